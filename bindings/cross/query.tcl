# Tcl (SWIG module) side of the cross-language test:
#   tclsh query.tcl <vdb.so> <index> <queries.f32> <dim> <nq> <k> <ef> ?<allow ids|-> ?<delete ids|-> ?commit|disk???
# With a delete file it opens the index writable and deletes those ids (one
# call) before searching; with "commit" too it commits them, closes the index
# and opens it again read-only. With an allow file every search is filtered
# by that allow-list. With "disk" (and no delete file) it opens the index
# disk-resident with a 64 KiB node cache. Prints the answers in make_index.c's
# format.
lassign $argv module index_path queries_path dim nq k ef allow_path delete_path commit
load $module vdb
proc read_ids {path} {
    set f [open $path r]
    set ids [split [string trim [read $f]] \n]
    close $f
    return $ids
}
set f [open $queries_path rb]
binary scan [read $f] r[expr {$dim * $nq}] floats
close $f
if {$delete_path ne "" && $delete_path ne "-"} {
    set index [vdb::Index_open $index_path $vdb::VDB_OPEN_WRITABLE]
    $index delete [read_ids $delete_path]
    if {$commit eq "commit"} {
        $index commit
        $index close
        vdb::delete_Index $index
        set index [vdb::Index_open $index_path]
    }
} elseif {$commit eq "disk"} {
    set index [vdb::Index_open $index_path $vdb::VDB_OPEN_DISK]
    $index set_disk_cache 65536
} else {
    set index [vdb::Index_open $index_path]
}
set filter NULL
if {$allow_path ne "" && $allow_path ne "-"} { set filter [vdb::new_Filter [read_ids $allow_path]] }
for {set q 0} {$q < $nq} {incr q} {
    set query [lrange $floats [expr {$q * $dim}] [expr {($q + 1) * $dim - 1}]]
    lassign [$index search $query $k $ef $filter] ids distances
    set line [list $q [llength $ids]]
    foreach id $ids d $distances { lappend line $id $d }
    puts [join $line " "]
}
if {$filter ne "NULL"} { vdb::delete_Filter $filter }
$index close
vdb::delete_Index $index
