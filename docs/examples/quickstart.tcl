# libvdb in one page, in Tcl through the SWIG module: create, add, search, save, open, search again.
# Build the module (bash bindings/swig/build.sh OUT_DIR LIBVDB_DIR), then:
#   tclsh docs/examples/quickstart.tcl OUT_DIR/vdb.so
set module [expr {$argc > 0 ? [lindex $argv 0] : "./vdb.so"}]
load $module vdb

set DIM 32
set COUNT 2000
set K 5
set NQ 10

expr {srand(1)} ;# Tcl's generator: the same data on every run
set vectors {}
for {set i 0} {$i < $COUNT * $DIM} {incr i} { lappend vectors [expr {rand()}] }

set index [vdb::new_Index $DIM] ;# metric L2, m 16, ef_construction 200, ef_search 64
$index add $vectors             ;# a flat list of COUNT*DIM numbers; ids 0, 1, 2, ...
set queries {}
set before {}
for {set q 0} {$q < $NQ} {incr q} {
    set query [lrange $vectors [expr {$q * $DIM}] [expr {($q + 1) * $DIM - 1}]] ;# stored row q
    lappend queries $query
    lappend before [$index search $query $K] ;# {ids distances}
}

close [file tempfile path]
$index save $path
$index close
vdb::delete_Index $index
set opened [vdb::Index_open $path] ;# read-only, maps the file
set count [$opened count]
set after {}
foreach query $queries { lappend after [$opened search $query $K] }
vdb::delete_Index $opened ;# the destructor closes it
file delete $path

lassign [lindex $before 0] ids distances
set nearest {}
foreach id $ids d $distances { lappend nearest [format "%s (%.4f)" $id $d] }
puts "libvdb [vdb::vdb_version_string]: $count vectors; nearest to row 0: [join $nearest]"
set same [expr {$before eq $after}]
for {set q 0} {$q < $NQ} {incr q} {
    if {[lindex $before $q 0 0] != $q} { set same 0 }
}
puts [expr {$same ? "ok: the reopened index gives the same answer" : "MISMATCH"}]
exit [expr {!$same}]
