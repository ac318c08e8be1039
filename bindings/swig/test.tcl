# Test of the SWIG Tcl module: tclsh test.tcl <path to vdb.so> <scratch dir>
# Recall against brute force, save/open round trip, changes to a writable
# open (delete, upsert, get, has), the journal (commit, one writer, recover),
# int8 codes, filtered search, the raw API through the carrays helpers, and
# the bad inputs. Last line: "N passed, N failed".

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

# The k nearest rows to query; with `allowed`, among the rows the command
# `allowed row` accepts.
proc brute_force {data dim n query k {allowed ""}} {
    set scored {}
    for {set i 0} {$i < $n} {incr i} {
        if {$allowed ne "" && ![{*}$allowed $i]} { continue }
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

# The module's hand-kept table of code names covers every VDB_E* constant.
set named 1
foreach var [info vars ::vdb::VDB_E*] {
    set name [namespace tail $var]
    if {[vdb::status_name [set $var]] ne $name} { set named 0; puts "    [set $var] is named [vdb::status_name [set $var]], not $name" }
}
check "status_name names every VDB_E* code (VDB_ENOTFOUND too)" [expr {$named && [vdb::status_name $vdb::VDB_ENOTFOUND] eq "VDB_ENOTFOUND"
                                                                     && [llength [info vars ::vdb::VDB_E*]] >= 10}]
check "VDB_OPEN_WRITABLE is 4" [expr {$vdb::VDB_OPEN_WRITABLE == 4}]

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
set verify_failed [catch {vdb::verify $path} verify_error]
check "verify accepts the saved file" [expr {!$verify_failed}] $verify_error
set opened [vdb::Index_open $path $vdb::VDB_OPEN_VERIFY]
check "opened count" [expr {[$opened count] == $n}]
set same 1
foreach query $queries pair $results {
    if {[$opened search $query $k 100] ne $pair} { set same 0 }
}
check "opened index answers exactly as before saving" $same
expect_error "add to an opened index" VDB_EREADONLY { $opened add [lrepeat $dim 0.5] }
$opened close

# Filtered search: an allow-list as a Filter or as a list; recall among the allowed ids.
proc even {id} { expr {$id % 2 == 0} }
proc seventh {id} { expr {$id % 7 == 3} }
set even_ids {}
set seventh_ids {}
for {set i 0} {$i < $n} {incr i} {
    if {[even $i]} { lappend even_ids $i }
    if {[seventh $i]} { lappend seventh_ids $i }
}
set even_filter [vdb::new_Filter $even_ids]
foreach {label filter allowed ef} [list "a Filter of half the ids" $even_filter even 32 \
                                      "a list of a seventh of the ids" $seventh_ids seventh 64] {
    set hits 0
    set total 0
    set stray 0
    foreach query $queries {
        lassign [$idx search $query $k $ef $filter] ids
        set truth [brute_force $data $dim $n $query $k $allowed]
        incr total [llength $truth]
        foreach id $ids {
            if {$id in $truth} { incr hits }
            if {![$allowed $id]} { incr stray }
        }
    }
    set recall [expr {double($hits) / $total}]
    check "$label: recall vs brute force among them >= 0.95 (got $recall)" [expr {$recall >= 0.95}]
    check "$label: no disallowed id returned" [expr {$stray == 0}] $stray
}
set same 1
foreach query [lrange $queries 0 4] {
    if {[$idx search $query $k 32 $even_filter] ne [$idx search $query $k 32 $even_ids]} { set same 0 }
}
check "a Filter and the same list give the same answer" $same
vdb::Filter named_filter {5 9 5 123456}
set pair [$idx search [lindex $queries 0] $k 0 named_filter]
check "a named Filter of 2 held ids (one repeated, one unknown): 2 results" \
    [expr {[lsort [lindex $pair 0]] eq {5 9}}] $pair
check "an empty list allows nothing" [expr {[$idx search [lindex $queries 0] $k 0 {}] eq {{} {}}}]
check "NULL is no filter" [expr {[$idx search [lindex $queries 0] $k 100 NULL] eq [lindex $results 0]}]
set raised [catch { $idx search [lindex $queries 0] $k 0 {1 x} } message]
check "a filter list with a word that is not an id is refused" [expr {$raised && [string match "*VDB_EINVAL*" $message]}] $message
set raised [catch { $idx search [lindex $queries 0] $k 0 nonsense } message]
check "a filter that is neither a Filter nor ids is refused" [expr {$raised && [string match "*vdb::Filter*" $message]}] $message
$even_filter close
check "a closed Filter says so" [$even_filter closed]
expect_error "search with a closed Filter" VDB_EINVAL { $idx search [lindex $queries 0] $k 0 $even_filter }
$even_filter close
vdb::delete_Filter $even_filter
rename named_filter ""
check "Filter close twice, then destroyed" 1

# Changes: a writable open of a saved file.
set live [file join $scratch live.vdbi]
$idx save $live
set ro [vdb::Index_open $live]
set raised [catch { $ro delete {1} } message options]
check "delete on a read-only index: VDB_EREADONLY naming VDB_OPEN_WRITABLE" \
    [expr {$raised && [lindex [dict get $options -errorcode] 1] eq "VDB_EREADONLY" && [string match "*VDB_OPEN_WRITABLE*" $message]}] $message
expect_error "upsert on a read-only index" VDB_EREADONLY { $ro upsert [lindex $queries 0] {1} }
check "get and has work read-only" [expr {[llength [$ro get 5]] == $dim && [$ro has 5] && ![$ro has 99999]}]
$ro close

set w [vdb::Index_open $live [expr {$vdb::VDB_OPEN_WRITABLE | $vdb::VDB_OPEN_VERIFY}]]
check "open writable" [expr {[$w count] == $n && [$w deleted] == 0}]
set row10 [$w get 10]
set close_enough 1
foreach a $row10 b [lrange $data [expr {10 * $dim}] [expr {11 * $dim - 1}]] {
    if {abs($a - $b) > 1e-6} { set close_enough 0 }
}
check "get gives the vector as a list of dim numbers" [expr {[llength $row10] == $dim && $close_enough}]
$w delete 10
check "delete one id" [expr {[$w count] == $n - 1 && [$w deleted] == 1}]
$w delete {11 12 13}
check "delete a list of ids" [expr {[$w count] == $n - 4 && [$w deleted] == 4}]
$w delete {}
check "delete an empty list" [expr {[$w count] == $n - 4}]
expect_error "get of a deleted id" VDB_ENOTFOUND { $w get 10 }
check "has of a deleted id" [expr {![$w has 10] && [$w has 9]}]
expect_error "delete an absent id" VDB_ENOTFOUND { $w delete {20 99999} }
expect_error "delete a deleted id" VDB_ENOTFOUND { $w delete 10 }
expect_error "delete a repeated id" VDB_ENOTFOUND { $w delete {21 21} }
check "a refused delete deletes nothing" [expr {[$w count] == $n - 4 && [$w has 20] && [$w has 21]}]
set raised [catch { $w delete {-1} } message options]
check "a negative id is refused" [expr {$raised && [string match "*VDB_EINVAL*" $message]}] $message
set raised [catch { $w get abc } message options]
check "get of a word that is not an id is refused" [expr {$raised && [string match "*VDB_EINVAL*" $message]}] $message
set never 1
foreach query $queries {
    foreach id [lindex [$w search $query $k 100] 0] { if {$id >= 10 && $id <= 13} { set never 0 } }
    if {[lindex [$w search $query $k 100 {10 11 12 13 14}] 0] ne {14}} { set never 0 }
}
check "deleted ids never come back, even when a filter allows them" $never
set row500 [$w get 500]
$w upsert [concat $row500 [lindex $queries 1]] {30 99999}
check "upsert replaces a held id and adds a new one" [expr {[$w count] == $n - 4 + 1 && [$w deleted] == 5 && [$w has 99999]}]
check "get reads the upserted vector back" [expr {[$w get 30] eq $row500}]
lassign [$w search $row500 2] ids distances
check "a search for row 500 finds ids 500 and 30 at distance 0" [expr {[lsort $ids] eq {30 500} && $distances eq {0.0 0.0}}] "$ids $distances"
expect_error "upsert without ids" VDB_EINVAL { $w upsert [lindex $queries 0] {} }
expect_error "upsert with a repeated id" VDB_EINVAL { $w upsert [concat [lindex $queries 0] [lindex $queries 1]] {40 40} }
expect_error "upsert of the wrong dimension" VDB_EDIM { $w upsert {1 2 3} {40} }
$w add [lindex $queries 2] {10}
check "a deleted id may be added again" [expr {[$w has 10] && [$w count] == $n - 4 + 2}]
set expect_count [$w count]
$w save $live
$w close
vdb::delete_Index $w
set back [vdb::Index_open $live $vdb::VDB_OPEN_VERIFY]
check "reopened after saving in place: count kept, nothing deleted left" [expr {[$back count] == $expect_count && [$back deleted] == 0}]
check "reopened: deleted ids gone, upserted vector kept" [expr {![$back has 11] && [$back has 99999] && [$back get 30] eq $row500}]
vdb::delete_Index $back

# The journal: commit, replay on every open, one writer, checkpoints, recover.
proc row {i} {
    global data dim
    return [lrange $data [expr {$i * $dim}] [expr {($i + 1) * $dim - 1}]]
}
proc rows {from to} {
    global data dim
    return [lrange $data [expr {$from * $dim}] [expr {$to * $dim - 1}]]
}
proc nearest {index i} { return [lindex [$index search [row $i] 1] 0 0] }
check "VDB_EBUSY, VDB_ENOSPC and VDB_OPEN_RECOVER" \
    [expr {$vdb::VDB_EBUSY == -11 && $vdb::VDB_ENOSPC == -12 && $vdb::VDB_OPEN_RECOVER == 8}]
set jfile [file join $scratch journaled.vdbi]
set jjournal "$jfile-journal"
set small [vdb::new_Index $dim $vdb::VDB_METRIC_L2 16 200 64 1 3]
$small add [rows 0 200]
$small save $jfile
vdb::delete_Index $small

set jw [vdb::Index_open $jfile $vdb::VDB_OPEN_WRITABLE]
check "a writable open creates the journal" [file exists $jjournal]
set raised [catch { vdb::Index_open $jfile $vdb::VDB_OPEN_WRITABLE } message options]
check "a second writable open raises VDB_EBUSY naming the file" \
    [expr {$raised && [dict get $options -errorcode] eq {VDB VDB_EBUSY -11} && [string first $jfile $message] >= 0}] $message
set jr [vdb::Index_open $jfile]
check "a read-only open beside the writer" [expr {[$jr count] == 200}]
vdb::delete_Index $jr
$jw add [rows 200 203] {1000 1001 1002}
$jw delete {5 6}
$jw upsert [row 210] {7}
$jw commit
$jw commit
check "commit, twice" 1
$jw add [row 220] {2000}
$jw delete {20}
$jw upsert [row 221] {21}
check "uncommitted changes are there until close" [expr {[$jw has 2000] && ![$jw has 20]}]
$jw close
vdb::delete_Index $jw

set back [vdb::Index_open $jfile]
check "reopened read-only: the committed count" [expr {[$back count] == 200 + 3 - 2}] [$back count]
check "reopened: committed adds and deletes kept" [expr {[$back has 1002] && ![$back has 5] && ![$back has 6]}]
check "reopened: search finds the committed ids" [expr {[nearest $back 201] eq "1001" && [nearest $back 210] eq "7"}] \
    "[nearest $back 201] [nearest $back 210]"
check "reopened: the committed upsert's vector" [expr {[llength [$back get 7]] == $dim
                                                         && abs([lindex [$back get 7] 0] - [lindex [row 210] 0]) < 1e-6}]
check "reopened: the changes after the commit are gone" \
    [expr {![$back has 2000] && [$back has 20] && [nearest $back 20] eq "20"
           && abs([lindex [$back get 21] 0] - [lindex [row 21] 0]) < 1e-6}]
set raised [catch { $back commit } message options]
check "commit on a read-only index raises VDB_EREADONLY" \
    [expr {$raised && [lindex [dict get $options -errorcode] 1] eq "VDB_EREADONLY" && [string match "*vdb_commit*" $message]}] $message
$back close
expect_error "commit on a closed index" VDB_EINVAL { $back commit }
vdb::delete_Index $back
set in_memory [vdb::new_Index $dim]
expect_error "commit on an index with no file" VDB_EINVAL { $in_memory commit }
vdb::delete_Index $in_memory

# save in place is a checkpoint: the uncommitted delete kept, the journal emptied.
set jw [vdb::Index_open $jfile $vdb::VDB_OPEN_WRITABLE]
$jw delete {0}
set before_checkpoint [file size $jjournal]
$jw save $jfile
check "the checkpoint empties the journal" [expr {[file size $jjournal] < $before_checkpoint}]
vdb::delete_Index $jw
set back [vdb::Index_open $jfile $vdb::VDB_OPEN_VERIFY]
check "the checkpoint kept the change" [expr {[$back count] == 200 && ![$back has 0] && [$back deleted] == 0}]
vdb::delete_Index $back

# recover: three commits, the record after the first one damaged.
set jw [vdb::Index_open $jfile $vdb::VDB_OPEN_WRITABLE]
$jw add [row 230] {3000}
$jw commit
set first_end [file size $jjournal]
$jw add [row 231] {3001}
$jw commit
$jw add [row 232] {3002}
$jw commit
vdb::delete_Index $jw
set fd [open $jjournal r+b]
seek $fd $first_end
binary scan [read $fd 1] c byte
seek $fd $first_end
puts -nonewline $fd [binary format c [expr {$byte ^ 0xff}]]
close $fd
expect_error "a damaged journal raises VDB_EFORMAT" VDB_EFORMAT { vdb::Index_open $jfile }
set rec [vdb::Index_open $jfile $vdb::VDB_OPEN_RECOVER]
check "VDB_OPEN_RECOVER applies the intact commit only" [expr {[$rec has 3000] && ![$rec has 3001] && ![$rec has 3002]}]
vdb::delete_Index $rec
set rec [vdb::Index_open $jfile [expr {$vdb::VDB_OPEN_WRITABLE | $vdb::VDB_OPEN_RECOVER}]]
check "a writable recover" [expr {[$rec count] == 201}]
vdb::delete_Index $rec
set back [vdb::Index_open $jfile]
check "after a writable recover a plain open works" [expr {[$back count] == 201 && [$back has 3000]}]
vdb::delete_Index $back

# int8 codes: over the 1024 vectors they are trained at, recall against brute
# force, exact distances, and codes and rerank kept by save and open.
set cn 1100
set coded_data {}
for {set i 0} {$i < $cn * $dim} {incr i} { lappend coded_data [expr {[rand01] * 2.0 - 1.0}] }
set coded [vdb::new_Index $dim $vdb::VDB_METRIC_L2 16 200 64 1 42 $vdb::VDB_CODES_INT8 0 20]
$coded add $coded_data
check "an index with codes trains them" [expr {[vdb::vdb_coded [$coded handle]] == $cn}] [vdb::vdb_coded [$coded handle]]
# {codes code_bytes rerank} of an index, through the raw vdb_get_config.
proc codes_and_rerank {index} {
    set cfg [vdb::new_vdb_config]
    vdb::vdb_config_init $cfg $vdb::VDB_CONFIG_VERSION
    vdb::vdb_get_config [$index handle] $cfg
    set got [list [vdb::vdb_config_codes_get $cfg] [vdb::vdb_config_code_bytes_get $cfg] [vdb::vdb_config_rerank_get $cfg]]
    vdb::delete_vdb_config $cfg
    return $got
}
check "its config has codes int8 and rerank 20" [expr {[codes_and_rerank $coded] eq [list $vdb::VDB_CODES_INT8 0 20]}] \
    [codes_and_rerank $coded]
set hits 0
set exact 1
foreach query [lrange $queries 0 9] {
    lassign [$coded search $query $k 100] ids ds
    set truth [brute_force $coded_data $dim $cn $query $k]
    foreach id $ids d $ds {
        if {$id in $truth} { incr hits }
        set want 0.0
        for {set j 0} {$j < $dim} {incr j} {
            set diff [expr {[lindex $coded_data [expr {$id * $dim + $j}]] - [lindex $query $j]}]
            set want [expr {$want + $diff * $diff}]
        }
        if {abs($d - $want) > 1e-4 * max(1.0, $want)} { set exact 0 }
    }
}
set recall [expr {double($hits) / (10 * $k)}]
check "int8 recall@10 vs brute force >= 0.95 (got $recall)" [expr {$recall >= 0.95}]
check "int8 distances are the exact float32 distances" $exact
set coded_path [file join $scratch coded.vdbi]
$coded save $coded_path
set coded_opened [vdb::Index_open $coded_path]
check "open keeps codes and rerank" [expr {[codes_and_rerank $coded_opened] eq [list $vdb::VDB_CODES_INT8 0 20]}]
check "the opened index with codes answers as the one saved" \
    [expr {[$coded_opened search [lindex $queries 0] $k 64] eq [$coded search [lindex $queries 0] $k 64]}]
# Disk-resident (VDB_OPEN_DISK): the mapped index's answers, with and without a cache.
set coded_disk [vdb::Index_open $coded_path $vdb::VDB_OPEN_DISK]
set same_disk 1
foreach cache {none 0 65536 67108864} {
    if {$cache ne "none"} { $coded_disk set_disk_cache $cache }
    foreach query [lrange $queries 0 9] {
        if {[$coded_disk search $query $k 64] ne [$coded_opened search $query $k 64]} { set same_disk 0 }
    }
}
check "VDB_OPEN_DISK answers as the mapped index, with and without set_disk_cache" $same_disk
check "the raw vdb_set_disk_cache" [expr {[vdb::vdb_set_disk_cache [$coded_disk handle] 0] == $vdb::VDB_OK}]
expect_error "a disk index is read-only" VDB_EREADONLY { $coded_disk delete {1} }
vdb::delete_Index $coded_disk
expect_error "VDB_OPEN_DISK with VDB_OPEN_WRITABLE" VDB_EINVAL {
    vdb::Index_open $coded_path [expr {$vdb::VDB_OPEN_DISK | $vdb::VDB_OPEN_WRITABLE}] }
set raised [catch { vdb::Index_open $path $vdb::VDB_OPEN_DISK } message]
check "VDB_OPEN_DISK on an index without codes raises VDB_EINVAL naming codes" \
    [expr {$raised && [string match "*VDB_EINVAL*codes*" $message]}] $message
expect_error "set_disk_cache on an index not opened VDB_OPEN_DISK" VDB_EINVAL { $coded_opened set_disk_cache 1048576 }
vdb::delete_Index $coded_opened
vdb::delete_Index $coded
set raw_rows [file join $scratch coded.f32]
set fd [open $raw_rows wb]
puts -nonewline $fd [binary format r* $coded_data]
close $fd
set mapped_coded [vdb::Index_map_vectors $raw_rows $dim $vdb::VDB_METRIC_L2 16 200 64 1 42 $vdb::VDB_CODES_PQ 4 7]
check "map_vectors takes codes, code_bytes and rerank" \
    [expr {[codes_and_rerank $mapped_coded] eq [list $vdb::VDB_CODES_PQ 4 7]}] [codes_and_rerank $mapped_coded]
vdb::delete_Index $mapped_coded
set bounded [vdb::Index_map_vectors $raw_rows $dim]
$bounded set_build_memory 1024
expect_error "a build memory too small for the rows" VDB_EINVAL { $bounded build 0 $cn }
$bounded set_build_memory 0
$bounded build 0 $cn
check "set_build_memory 0 lifts the bound" [expr {[$bounded count] == $cn}] [$bounded count]
vdb::delete_Index $bounded
set plain [vdb::new_Index 4]
check "an index without codes: VDB_CODES_NONE, rerank 0" [expr {[codes_and_rerank $plain] eq [list $vdb::VDB_CODES_NONE 0 0]}]
vdb::delete_Index $plain
set plain [vdb::new_Index $dim $vdb::VDB_METRIC_L2 16 200 64 1 42 $vdb::VDB_CODES_PQ]
check "pq with code_bytes 0 chooses dim / 8" [expr {[codes_and_rerank $plain] eq [list $vdb::VDB_CODES_PQ [expr {$dim / 8}] 0]}]
vdb::delete_Index $plain
expect_error "unknown codes" VDB_EINVAL { vdb::new_Index 4 $vdb::VDB_METRIC_L2 16 200 64 0 42 7 }
expect_error "code_bytes without pq" VDB_EINVAL { vdb::new_Index 4 $vdb::VDB_METRIC_L2 16 200 64 0 42 $vdb::VDB_CODES_INT8 2 }
expect_error "rerank past 65536" VDB_EINVAL { vdb::new_Index 4 $vdb::VDB_METRIC_L2 16 200 64 0 42 $vdb::VDB_CODES_INT8 0 65537 }

# Raw API through the carrays and cpointer helpers.
set cfg [vdb::new_vdb_config]
vdb::vdb_config_init $cfg $vdb::VDB_CONFIG_VERSION
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
set fbox [vdb::new_vdb_filter_box]
set allowed [vdb::new_vdb_ids 3]
foreach i {0 1 2} id {4 8 15} { vdb::vdb_ids_setitem $allowed $i $id }
check "raw vdb_filter_create" [expr {[vdb::vdb_filter_create $fbox $allowed 3] == $vdb::VDB_OK}]
set raw_filter [vdb::vdb_filter_box_value $fbox]
set rc [vdb::vdb_search_filtered $raw $query $k 0 $raw_filter $ids $distances $found]
set raw_ids {}
for {set i 0} {$i < [vdb::vdb_counts_getitem $found 0]} {incr i} { lappend raw_ids [vdb::vdb_ids_getitem $ids $i] }
check "raw vdb_search_filtered returns only allowed ids" [expr {$rc == 0 && [lsort -integer $raw_ids] eq {4 8 15}}] "$rc $raw_ids"
vdb::vdb_filter_close $raw_filter
set vector [vdb::new_vdb_floats $dim]
check "raw vdb_get" [expr {[vdb::vdb_get $raw 3 $vector] == 0 && abs([vdb::vdb_floats_getitem $vector 0] - [lindex $data [expr {3 * $dim}]]) < 1e-6}]
check "raw vdb_get of an absent id is VDB_ENOTFOUND" [expr {[vdb::vdb_get $raw 99999 $vector] == $vdb::VDB_ENOTFOUND}]
check "raw vdb_delete on a read-only index is VDB_EREADONLY" [expr {[vdb::vdb_delete $raw $allowed 1] == $vdb::VDB_EREADONLY}]
vdb::delete_vdb_floats $vector
vdb::delete_vdb_ids $allowed
vdb::delete_vdb_filter_box $fbox
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
expect_error "delete on a closed index" VDB_EINVAL { $idx delete {1} }
expect_error "upsert on a closed index" VDB_EINVAL { $idx upsert [lindex $queries 0] {1} }
expect_error "get on a closed index" VDB_EINVAL { $idx get 1 }
expect_error "has on a closed index" VDB_EINVAL { $idx has 1 }
$idx close
check "close twice is harmless" 1
vdb::delete_Index $idx

puts "$passed passed, $failed failed"
exit [expr {$failed > 0}]
