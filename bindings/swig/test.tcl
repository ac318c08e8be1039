# Test of the SWIG Tcl module: tclsh test.tcl <path to vdb.so> <scratch dir>
# Recall against brute force, save/open round trip, the raw API through the
# carrays helpers, and the bad inputs. Last line: "N passed, N failed".

set module [lindex $argv 0]
set scratch [lindex $argv 1]
load $module vdb

set passed 0
set failed 0
proc check {name ok {detail ""}} {
    global passed failed
    if {$ok} {
        incr passed
        puts "ok   $name"
    } else {
        incr failed
        puts "FAIL $name $detail"
    }
}
# Run script; pass when it raises with errorCode {VDB <name> ...}.
proc expect_error {name code script} {
    set raised [catch {uplevel 1 $script} message options]
    set error_code [dict get $options -errorcode]
    check $name [expr {$raised == 1 && [lindex $error_code 0] eq "VDB" && [lindex $error_code 1] eq $code}] \
        "(raised $raised, errorCode $error_code, message $message)"
}

# A seeded generator (64-bit LCG), so every run sees the same data.
set rng_state 12345
proc rand01 {} {
    global rng_state
    set rng_state [expr {($rng_state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF}]
    return [expr {double($rng_state >> 40) / double(1 << 24)}]
}

set dim 16
set n 600
set data {}
for {set i 0} {$i < $n * $dim} {incr i} { lappend data [expr {[rand01] * 2.0 - 1.0}] }
set queries {}
for {set q 0} {$q < 20} {incr q} {
    set row {}
    for {set j 0} {$j < $dim} {incr j} { lappend row [expr {[rand01] * 2.0 - 1.0}] }
    lappend queries $row
}

proc brute_force {data dim n query k} {
    set scored {}
    for {set i 0} {$i < $n} {incr i} {
        set d 0.0
        for {set j 0} {$j < $dim} {incr j} {
            set diff [expr {[lindex $data [expr {$i * $dim + $j}]] - [lindex $query $j]}]
            set d [expr {$d + $diff * $diff}]
        }
        lappend scored [list $i $d]
    }
    set top {}
    foreach pair [lrange [lsort -real -index 1 $scored] 0 [expr {$k - 1}]] { lappend top [lindex $pair 0] }
    return $top
}

check "library version matches the header" [expr {[vdb::vdb_version_number] == $vdb::VDB_VERSION_NUMBER}]

# Object layer: create, add, search.
set idx [vdb::new_Index $dim $vdb::VDB_METRIC_L2 16 200 64 1 42]
$idx add $data
check "count after add" [expr {[$idx count] == $n}] [$idx count]
check "dim and metric" [expr {[$idx dim] == $dim && [$idx metric] == $vdb::VDB_METRIC_L2}]

set k 10
set hits 0
set results {}
foreach query $queries {
    set pair [$idx search $query $k 100]
    lappend results $pair
    set truth [brute_force $data $dim $n $query $k]
    foreach id [lindex $pair 0] { if {$id in $truth} { incr hits } }
}
set recall [expr {double($hits) / ([llength $queries] * $k)}]
check "recall@10 vs brute force >= 0.95 (got $recall)" [expr {$recall >= 0.95}]
set first [lindex $results 0]
check "search gives k ids and k distances" [expr {[llength [lindex $first 0]] == $k && [llength [lindex $first 1]] == $k}]
set sorted 1
set ds [lindex $first 1]
for {set i 1} {$i < [llength $ds]} {incr i} { if {[lindex $ds $i] < [lindex $ds [expr {$i - 1}]]} { set sorted 0 } }
check "distances ascend" $sorted

# Explicit ids, and fewer vectors than k.
set small [vdb::new_Index 2]
$small add {0 0 1 1 5 5} {100 18446744073709551614 7}
set pair [$small search {1 1} 10]
check "explicit ids, including 2^64-2" [expr {[lindex $pair 0] eq {18446744073709551614 100 7}}] $pair
check "fewer vectors than k returns what there is" [expr {[llength [lindex $pair 1]] == 3}]
expect_error "repeated id" VDB_EEXIST { $small add {9 9} {7} }
vdb::delete_Index $small

# Save / open round trip gives the same answers.
set path [file join $scratch round.vdbi]
$idx save $path
vdb::verify $path
check "verify accepts the saved file" 1
set opened [vdb::Index_open $path $vdb::VDB_OPEN_VERIFY]
check "opened count" [expr {[$opened count] == $n}]
set same 1
foreach query $queries pair $results {
    if {[$opened search $query $k 100] ne $pair} { set same 0 }
}
check "opened index answers exactly as before saving" $same
expect_error "add to an opened index" VDB_EREADONLY { $opened add [lrepeat $dim 0.5] }
$opened close

# Raw API through the carrays and cpointer helpers.
set cfg [vdb::new_vdb_config]
vdb::vdb_config_init $cfg
vdb::vdb_config_dim_set $cfg $dim
vdb::vdb_config_threads_set $cfg 1
set box [vdb::new_vdb_index_box]
check "raw vdb_open" [expr {[vdb::vdb_open $box $path 0] == $vdb::VDB_OK}]
set raw [vdb::vdb_index_box_value $box]
set query [vdb::new_vdb_floats $dim]
set j 0
foreach value [lindex $queries 0] { vdb::vdb_floats_setitem $query $j $value; incr j }
set ids [vdb::new_vdb_ids $k]
set distances [vdb::new_vdb_floats $k]
set found [vdb::new_vdb_counts 1]
set rc [vdb::vdb_search $raw $query $k 100 $ids $distances $found]
set raw_ids {}
for {set i 0} {$i < [vdb::vdb_counts_getitem $found 0]} {incr i} { lappend raw_ids [vdb::vdb_ids_getitem $ids $i] }
check "raw vdb_search agrees with the object layer" [expr {$rc == 0 && $raw_ids eq [lindex $results 0 0]}] "$rc $raw_ids"
check "raw error code for k = 0" [expr {[vdb::vdb_search $raw $query 0 0 $ids $distances $found] == $vdb::VDB_EINVAL}]
check "vdb_last_error describes it" [string match "*k*" [vdb::vdb_last_error]]
vdb::vdb_close $raw
foreach {f p} [list delete_vdb_floats $query delete_vdb_ids $ids delete_vdb_floats $distances delete_vdb_counts $found \
                   delete_vdb_index_box $box delete_vdb_config $cfg] { vdb::$f $p }

# Bad inputs.
expect_error "query of the wrong dimension" VDB_EDIM { $idx search {1 2 3} 5 }
expect_error "vectors not whole rows" VDB_EDIM { $idx add {1 2 3} }
# Tcl itself refuses to turn NaN into a double (errorCode {TCL VALUE DOUBLE NAN}),
# so a NaN never reaches the library from Tcl; either refusal will do.
set raised [catch { $idx search [lreplace [lindex $queries 0] 3 3 NaN] 5 } message options]
set error_code [dict get $options -errorcode]
check "NaN in a query is refused" [expr {$raised == 1 && ([lrange $error_code 0 1] eq {VDB VDB_EINVAL} ||
                                                          [lrange $error_code 0 3] eq {TCL VALUE DOUBLE NAN})}] $error_code
expect_error "Inf in a vector" VDB_EINVAL { $idx add [lreplace [lindex $queries 0] 3 3 Inf] }
expect_error "k = 0" VDB_EINVAL { $idx search [lindex $queries 0] 0 }
expect_error "bad config (dim 0)" VDB_EINVAL { vdb::new_Index 0 }
expect_error "missing file" VDB_EIO { vdb::Index_open [file join $scratch missing.vdbi] }
expect_error "directory" VDB_EIO { vdb::Index_open $scratch }
set corrupt [file join $scratch corrupt.vdbi]
set fd [open $corrupt wb]
puts -nonewline $fd [string repeat "not an index " 1000]
close $fd
expect_error "corrupt file" VDB_EFORMAT { vdb::Index_open $corrupt }
expect_error "verify a corrupt file" VDB_EFORMAT { vdb::verify $corrupt }
# A saved file with a flipped byte past the header: open may accept it (O(1)), verify must not.
set fd [open $path rb]
set bytes [read $fd]
close $fd
set offset [expr {[string length $bytes] - 100}]
binary scan [string index $bytes $offset] c byte
set damaged [file join $scratch damaged.vdbi]
set fd [open $damaged wb]
puts -nonewline $fd [string replace $bytes $offset $offset [binary format c [expr {$byte ^ 0x55}]]]
close $fd
expect_error "verify finds a flipped byte" VDB_EFORMAT { vdb::verify $damaged }

$idx close
check "closed? reports it" [$idx closed]
expect_error "search on a closed index" VDB_EINVAL { $idx search [lindex $queries 0] 5 }
expect_error "add on a closed index" VDB_EINVAL { $idx add [lindex $queries 0] }
expect_error "save on a closed index" VDB_EINVAL { $idx save $path }
$idx close
check "close twice is harmless" 1
vdb::delete_Index $idx

puts "$passed passed, $failed failed"
exit [expr {$failed > 0}]
