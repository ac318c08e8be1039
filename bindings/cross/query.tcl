# Tcl (SWIG module) side of the cross-language test:
#   tclsh query.tcl <vdb.so> <index> <queries.f32> <dim> <nq> <k> <ef>
# Prints the answers in make_index.c's format.
lassign $argv module index_path queries_path dim nq k ef
load $module vdb
set f [open $queries_path rb]
binary scan [read $f] r[expr {$dim * $nq}] floats
close $f
set index [vdb::Index_open $index_path]
for {set q 0} {$q < $nq} {incr q} {
    set query [lrange $floats [expr {$q * $dim}] [expr {($q + 1) * $dim - 1}]]
    lassign [$index search $query $k $ef] ids distances
    set line [list $q [llength $ids]]
    foreach id $ids d $distances { lappend line $id $d }
    puts [join $line " "]
}
$index close
vdb::delete_Index $index
