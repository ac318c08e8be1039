/*
 * The option parser and error printers declared in cli_args.h. Parsing is
 * strict on purpose: a typo'd option or a "10x" count is an error, never
 * silently ignored, because a benchmark run with a wrong parameter wastes far
 * more time than retyping a command.
 */
#include "cli_args.h"

#include "vdb.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "vdb %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "vdb %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'vdb %s --help'.\n", cmd);
    va_end(ap);
}

/*
 * A journal damaged before its last commit is refused with VDB_EFORMAT and a
 * message that names VDB_OPEN_RECOVER; the commands pass that flag for
 * --recover, so the user is told about the option. Messages are read for
 * nothing else.
 */
static const char *recover_hint(int code, const char *detail)
{
    if (code == VDB_EFORMAT && strstr(detail, "VDB_OPEN_RECOVER"))
        return "; run again with --recover to keep the intact commits";
    return "";
}

void cli_lib_error(const char *cmd, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "vdb %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    /* The thread-local detail names paths and numbers; the code's text is the fallback. */
    const char *detail = vdb_last_error();
    if (strcmp(detail, "no error") == 0)
        detail = vdb_strerror(code);
    fprintf(stderr, ": %s%s\n", detail, recover_hint(code, detail));
    va_end(ap);
}

void cli_file_error(const char *cmd, int code, const char *what, const char *path)
{
    const char *detail = vdb_last_error();
    if (strcmp(detail, "no error") == 0)
        detail = vdb_strerror(code);
    if (strstr(detail, path))
        fprintf(stderr, "vdb %s: %s%s\n", cmd, detail, recover_hint(code, detail));
    else
        fprintf(stderr, "vdb %s: %s '%s': %s%s\n", cmd, what, path, detail, recover_hint(code, detail));
}

void cli_print_help(const char *text) { fputs(text, stdout); }

int cli_parse_u64(const char *text, uint64_t max, uint64_t *out)
{
    /* strtoull accepts "-1" (and wraps it) and leading blanks; neither is a count. */
    if (!text || text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int cli_parse_u32_list(const char *text, uint32_t **out, size_t *n)
{
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    uint32_t *list = malloc(cap * sizeof *list);
    if (!list)
        return -1;
    size_t count = 0;
    const char *start = text;
    for (;;) {
        const char *comma = strchr(start, ',');
        size_t len = comma ? (size_t)(comma - start) : strlen(start);
        char item[32];
        uint64_t v;
        if (len == 0 || len >= sizeof item) {
            free(list);
            return -1;
        }
        memcpy(item, start, len);
        item[len] = '\0';
        if (cli_parse_u64(item, UINT32_MAX, &v) != 0) {
            free(list);
            return -1;
        }
        list[count++] = (uint32_t)v;
        if (!comma)
            break;
        start = comma + 1;
    }
    *out = list;
    *n = count;
    return 0;
}

int cli_metric_from_name(const char *name)
{
    if (strcmp(name, "l2") == 0)
        return VDB_METRIC_L2;
    if (strcmp(name, "ip") == 0)
        return VDB_METRIC_IP;
    if (strcmp(name, "cosine") == 0)
        return VDB_METRIC_COSINE;
    return -1;
}

const char *cli_metric_name(int metric)
{
    switch (metric) {
    case VDB_METRIC_L2: return "l2";
    case VDB_METRIC_IP: return "ip";
    case VDB_METRIC_COSINE: return "cosine";
    default: return "?";
    }
}

int cli_codes_from_name(const char *name)
{
    if (strcmp(name, "none") == 0)
        return VDB_CODES_NONE;
    if (strcmp(name, "int8") == 0)
        return VDB_CODES_INT8;
    if (strcmp(name, "pq") == 0)
        return VDB_CODES_PQ;
    return -1;
}

const char *cli_codes_name(int codes)
{
    switch (codes) {
    case VDB_CODES_NONE: return "none";
    case VDB_CODES_INT8: return "int8";
    case VDB_CODES_PQ: return "pq";
    default: return "?";
    }
}

static cli_opt *find_opt(cli_opt *opts, size_t nopts, const char *name, size_t len)
{
    for (size_t i = 0; i < nopts; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

static int set_value(const char *cmd, cli_opt *opt, const char *text)
{
    uint64_t v;
    switch (opt->kind) {
    case CLI_U32:
        if (cli_parse_u64(text, UINT32_MAX, &v) != 0) {
            cli_usage_error(cmd, "--%s: '%s' is not an integer in 0..%u", opt->name, text, UINT32_MAX);
            return -1;
        }
        *(uint32_t *)opt->value = (uint32_t)v;
        return 0;
    case CLI_U64:
        if (cli_parse_u64(text, UINT64_MAX, &v) != 0) {
            cli_usage_error(cmd, "--%s: '%s' is not a non-negative integer", opt->name, text);
            return -1;
        }
        *(uint64_t *)opt->value = v;
        return 0;
    case CLI_DOUBLE: {
        char *end;
        errno = 0;
        double d = strtod(text, &end);
        if (end == text || *end != '\0' || errno != 0 || !isfinite(d)) {
            cli_usage_error(cmd, "--%s: '%s' is not a finite number", opt->name, text);
            return -1;
        }
        *(double *)opt->value = d;
        return 0;
    }
    case CLI_STRING: *(const char **)opt->value = text; return 0;
    case CLI_FLAG: break;
    }
    return -1;
}

int cli_parse(const char *cmd, int argc, char **argv, cli_opt *opts, size_t nopts, const char **positional,
              size_t max_positional, size_t *npositional)
{
    size_t npos = 0;
    int options_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int is_option = !options_done && arg[0] == '-' && arg[1] != '\0';
        if (is_option && strcmp(arg, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (!is_option) {
            if (npos == max_positional) {
                cli_usage_error(cmd, "unexpected argument '%s'", arg);
                return CLI_BAD;
            }
            positional[npos++] = arg;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
            return CLI_HELP;
        if (arg[1] != '-') {
            cli_usage_error(cmd, "unknown option '%s'", arg);
            return CLI_BAD;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        cli_opt *opt = find_opt(opts, nopts, name, len);
        if (!opt) {
            cli_usage_error(cmd, "unknown option '--%.*s'", (int)len, name);
            return CLI_BAD;
        }
        opt->seen = 1;
        if (opt->kind == CLI_FLAG) {
            if (eq) {
                cli_usage_error(cmd, "--%s takes no value", opt->name);
                return CLI_BAD;
            }
            *(int *)opt->value = 1;
            continue;
        }
        const char *text = eq ? eq + 1 : NULL;
        if (!text) {
            if (i + 1 >= argc) {
                cli_usage_error(cmd, "--%s needs a value", opt->name);
                return CLI_BAD;
            }
            text = argv[++i];
        }
        if (set_value(cmd, opt, text) != 0)
            return CLI_BAD;
    }
    *npositional = npos;
    return CLI_PARSED;
}

int cli_parse_one_path(const char *cmd, int argc, char **argv, const char *help, const char *name, const char **path)
{
    size_t npos = 0;
    int parsed = cli_parse(cmd, argc, argv, NULL, 0, path, 1, &npos);
    if (parsed == CLI_HELP) {
        cli_print_help(help);
        return CLI_EXIT_OK;
    }
    if (parsed != CLI_PARSED)
        return CLI_EXIT_USAGE;
    if (npos != 1) {
        cli_usage_error(cmd, "missing %s", name);
        return CLI_EXIT_USAGE;
    }
    return -1;
}
