# compare.awk: compare a language's answers with C's (make_index.c format).
#   awk -f compare.awk c.txt other.txt
# Ids and counts must be equal; distances within 1e-6 relative. Prints the
# first differences and exits 1 on any.
FNR == NR { c[FNR] = $0; lines = FNR; next }
{
    seen = FNR
    n = split(c[FNR], want, " ")
    m = split($0, got, " ")
    if (n != m || want[1] != got[1] || want[2] != got[2]) { bad("count", FNR, c[FNR], $0); next }
    for (i = 3; i <= n; i += 2) {
        if (("" want[i]) != ("" got[i])) { bad("id", FNR, want[i], got[i]); next }
        a = want[i + 1] + 0; b = got[i + 1] + 0
        scale = (a < 0 ? -a : a) > (b < 0 ? -b : b) ? (a < 0 ? -a : a) : (b < 0 ? -b : b)
        diff = a - b; if (diff < 0) diff = -diff
        if (diff > 1e-6 * scale && diff > 1e-12) { bad("distance", FNR, want[i + 1], got[i + 1]); next }
    }
}
function bad(what, line, a, b) {
    errors++
    if (errors <= 3) printf("    query line %d: %s differs: C %s, here %s\n", line, what, a, b)
}
END {
    if (seen != lines) { printf("    %d lines, C has %d\n", seen, lines); errors++ }
    exit errors ? 1 : 0
}
