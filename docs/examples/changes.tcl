# A living index, in Tcl through the SWIG module: open a saved index writable,
# delete, upsert and get by id, search with an allow-list filter, and save the
# changes back to the same file.
# Build the module (bash bindings/swig/build.sh OUT_DIR LIBVDB_DIR), then:
#   tclsh docs/examples/changes.tcl OUT_DIR/vdb.so /tmp/changes.vdb
set module [expr {$argc > 0 ? [lindex $argv 0] : "./vdb.so"}]
set path [expr {$argc > 1 ? [lindex $argv 1] : "changes.vdb"}]
load $module vdb

set DIM 16
set COUNT 1000
set K 3

expr {srand(7)} ;# Tcl's generator: the same data on every run
set vectors {}
for {set i 0} {$i < $COUNT * $DIM} {incr i} { lappend vectors [expr {rand()}] }
proc row {r} { global vectors DIM; lrange $vectors [expr {$r * $DIM}] [expr {($r + 1) * $DIM - 1}] }

# A saved index with ids 0 .. 999.
set index [vdb::new_Index $DIM]
$index add $vectors ;# ids 0, 1, 2, ...
$index save $path
vdb::delete_Index $index

# Reopen it writable: delete two ids, give id 7 the vector of row 500, add id 5000.
set index [vdb::Index_open $path $vdb::VDB_OPEN_WRITABLE]
$index delete {10 11}
$index upsert [row 500] {7}
$index add [row 900] {5000}
set missing [expr {[catch {$index get 10} message options] &&
                   [lindex [dict get $options -errorcode] 1] eq "VDB_ENOTFOUND" && ![$index has 10]}]
set same_vector [expr {[$index get 7] eq [$index get 500]}] ;# lists of DIM numbers

# Search near row 500 with and without a filter: ids 500 and 7 now hold the same vector.
lassign [$index search [row 500] $K] ids
set allowed [vdb::new_Filter {7 501 502}] ;# an allow-list, reusable by any number of searches
lassign [$index search [row 500] $K 0 $allowed] listed_ids
lassign [$index search [row 500] $K 0 {1 2 3}] plain_list_ids ;# or give the ids for one search
puts "[$index count] vectors; id 10 deleted: [expr {$missing ? "yes" : "no"}] ($message);\
      nearest to row 500: [lrange $ids 0 1]; listed: [lindex $listed_ids 0]; 1 2 3: $plain_list_ids"
set ok [expr {$missing && $same_vector && [lindex $listed_ids 0] in {7 501 502}
              && [lsort -integer $plain_list_ids] eq {1 2 3} && [$index deleted] == 3}] ;# 10, 11 and 7's old vector

# Save over the file it was opened from; the deleted vectors are left out.
$index save $path
vdb::delete_Filter $allowed
vdb::delete_Index $index
set index [vdb::Index_open $path $vdb::VDB_OPEN_VERIFY]
set ok [expr {$ok && [$index count] == $COUNT - 1 && [$index deleted] == 0}]
puts "after saving: [$index count] vectors"
vdb::delete_Index $index
exit [expr {!$ok}]
