-- Tests of the LuaJIT binding. Run from the repository root:
--   LUA_PATH="bindings/lua/?.lua;;" luajit bindings/lua/test.lua
-- The last line is "N passed, N failed"; the exit status is 1 on failure.

local ffi = require("ffi")
local vdb = require("vdb")

local passed, failed = 0, 0
local function check(name, ok, detail)
    if ok then
        passed = passed + 1
        print("ok   " .. name)
    else
        failed = failed + 1
        print("FAIL " .. name .. (detail ~= nil and ("  (" .. tostring(detail) .. ")") or ""))
    end
end

-- Expect nil, message, code from fn(...).
local function expect_error(name, code, fn, ...)
    local ok, result, message, got = pcall(fn, ...)
    if not ok then
        check(name, false, "raised: " .. tostring(result))
        return
    end
    check(name, result == nil and got == code and type(message) == "string" and #message > 0,
        string.format("got %s, %s, %s", tostring(result), tostring(message), tostring(got)))
end

local scratch = os.tmpname()
os.remove(scratch)
local made = os.execute('mkdir -p "' .. scratch .. '"')
assert(made == 0 or made == true, "cannot make " .. scratch) -- LuaJIT returns 0, Lua 5.2+ true
local function path(name) return scratch .. "/" .. name end

-- Seeded data: a 64-bit LCG in uint64_t cdata arithmetic.
local state = 987654321ULL
local function rand01()
    state = state * 6364136223846793005ULL + 1442695040888963407ULL
    return tonumber(state / 2199023255552ULL) / 8388608.0 -- top 23 bits
end

local dim, n, nq, k = 24, 1500, 30, 10
local data = ffi.new("float[?]", n * dim)
for i = 0, n * dim - 1 do data[i] = rand01() * 2 - 1 end
local queries = {}
for q = 1, nq do
    local row = {}
    for j = 1, dim do row[j] = rand01() * 2 - 1 end
    queries[q] = row
end

-- The ids of the `count` nearest rows to query (a set), among the rows
-- allowed(row) accepts when it is given.
local function brute_force(query, count, allowed)
    local scored = {}
    for i = 0, n - 1 do
        if allowed == nil or allowed(i) then
            local d = 0
            for j = 0, dim - 1 do
                local diff = data[i * dim + j] - query[j + 1]
                d = d + diff * diff
            end
            scored[#scored + 1] = { i, d }
        end
    end
    table.sort(scored, function(a, b) return a[2] < b[2] end)
    local top = {}
    for i = 1, math.min(count, #scored) do top[scored[i][1]] = true end
    return top
end

-- The version the declarations were generated from, and its soname.
local generated = require("vdb_cdef")
check("version matches the generated declarations", vdb.version_number == generated.version
    and vdb.version == generated.version_string, vdb.version)
local major, minor = math.floor(generated.version / 10000), math.floor(generated.version / 100) % 100
check("soname derived from the version", vdb.soname == (major == 0 and "libvdb.so.0." .. minor or "libvdb.so." .. major),
    vdb.soname)
check("the library loaded is the one of that soname, or named by VDB_LIBRARY",
    (os.getenv("VDB_LIBRARY") or "") ~= "" or vdb.library_path:sub(-#vdb.soname) == vdb.soname, vdb.library_path)

-- create, add, search, recall.
local idx, message, code = vdb.create { dim = dim, metric = "l2", m = 16, ef_construction = 200, ef_search = 64,
    threads = 2, seed = 7 }
check("create", idx ~= nil, message)
check("add a float cdata array", idx:add(data) == true)
check("#idx counts vectors", #idx == n, #idx)
check("dim and metric", idx:dim() == dim and idx:metric() == "l2")
local config = idx:config()
check("config reads back", config.m == 16 and config.ef_search == 64 and config.seed == 7ULL, config.seed)

local hits = 0
local first_ids, first_distances
for q = 1, nq do
    local ids, distances, found = idx:search(queries[q], k, 128)
    if q == 1 then first_ids, first_distances = vdb.to_table(ids, found), vdb.to_table(distances, found) end
    local truth = brute_force(queries[q], k)
    for i = 0, found - 1 do
        if truth[tonumber(ids[i])] then hits = hits + 1 end
    end
end
local recall = hits / (nq * k)
check(string.format("recall@10 vs brute force >= 0.95 (got %.3f)", recall), recall >= 0.95)
check("to_table gives k numbers", #first_ids == k and type(first_ids[1]) == "number")
local ascending = true
for i = 2, k do if first_distances[i] < first_distances[i - 1] then ascending = false end end
check("distances ascend", ascending)

-- A batch equals a loop of single searches.
local batch = {}
for q = 1, 5 do for j = 1, dim do batch[#batch + 1] = queries[q][j] end end
local bids, bdist, bfound = idx:search(batch, k, 128)
local same = bids ~= nil and ffi.istype("uint32_t[?]", bfound)
for q = 1, 5 do
    local ids, distances, found = idx:search(queries[q], k, 128)
    if not same or bfound[q - 1] ~= found then same = false break end
    for i = 0, k - 1 do
        if bids[(q - 1) * k + i] ~= ids[i] or bdist[(q - 1) * k + i] ~= distances[i] then same = false end
    end
end
check("batch search equals a loop of searches", same)
local rows_ids = idx:search({ queries[1], queries[2] }, k, 128)
check("a table of rows is a batch too", rows_ids ~= nil and rows_ids[k] == bids[k])

-- Explicit ids, few vectors, more than k asked.
local small = assert(vdb.create { dim = 2 })
check("add with ids", small:add({ 0, 0, 1, 1, 5, 5 }, { 100, 2 ^ 53, 7 }) == true)
check("add with uint64 cdata ids", small:add({ { 9, 9 } }, ffi.new("uint64_t[1]", { 18446744073709551614ULL })) == true)
local ids, distances, found = small:search({ 1, 1 }, 10)
check("fewer vectors than k: found = 4", found == 4, found)
check("slots past found hold 2^64-1 and inf", ids[4] == 18446744073709551615ULL and distances[4] == math.huge)
local t = vdb.to_table(ids, found)
check("ids beyond 2^53 stay cdata in to_table", t[1] == 2 ^ 53 and t[2] == 100 and t[3] == 7
    and t[4] == 18446744073709551614ULL,
    table.concat({ tostring(t[1]), tostring(t[2]), tostring(t[3]), tostring(t[4]) }, " "))
expect_error("repeated id", "VDB_EEXIST", small.add, small, { 3, 3 }, { 7 })
small:close()

-- Save / open round trip.
local file = path("round.vdbi")
check("save", idx:save(file) == true)
check("verify", vdb.verify(file) == true)
local opened = vdb.open(file, { verify = true, populate = true })
check("open", opened ~= nil and #opened == n)
local identical = true
for q = 1, nq do
    local a_ids, a_dist, a_found = idx:search(queries[q], k, 128)
    local b_ids, b_dist, b_found = opened:search(queries[q], k, 128)
    if a_found ~= b_found then identical = false end
    for i = 0, k - 1 do
        if a_ids[i] ~= b_ids[i] or a_dist[i] ~= b_dist[i] then identical = false end
    end
end
check("opened index answers exactly as the one saved", identical)
expect_error("add to an opened index", "VDB_EREADONLY", opened.add, opened, queries[1])
opened:close()

-- map_vectors + build over a raw float32 file.
local raw = path("vectors.f32")
local f = assert(io.open(raw, "wb"))
f:write(ffi.string(data, n * dim * 4))
f:close()
local mapped, mmsg = vdb.map_vectors(raw, { dim = dim, threads = 2 })
check("map_vectors", mapped ~= nil, mmsg)
check("rows of the mapped file", mapped:rows() == n and idx:rows() == nil, mapped:rows())
check("build a quarter", mapped:build(0, n / 4) == true and #mapped == n / 4)
check("build the next quarter", mapped:build(n / 4, n / 4) == true and #mapped == n / 2)
check("build the rest (count omitted)", mapped:build(n / 2) == true and #mapped == n, #mapped)
local mids = mapped:search(queries[1], k, 128)
local mtruth = brute_force(queries[1], k)
local mhits = 0
for i = 0, k - 1 do if mtruth[tonumber(mids[i])] then mhits = mhits + 1 end end
check("mapped index finds the true neighbours (>= 9 of 10)", mhits >= 9, mhits)
expect_error("build past the end of the file", "VDB_ERANGE", mapped.build, mapped, n, 1)
expect_error("build a row twice", "VDB_EEXIST", mapped.build, mapped, 0, 1)
expect_error("map_vectors without dim on a raw file", "VDB_EINVAL", vdb.map_vectors, raw, {})
mapped:close()

-- int8 codes on clustered data: recall against brute force, exact distances, kept by save and open.
-- (pq codes follow the bad inputs of codes, below.)
local clusters, spread = 20, 0.3
local centres = {}
for c = 0, clusters * dim - 1 do centres[c] = rand01() * 2 - 1 end
local function clustered_rows(count)
    local rows = ffi.new("float[?]", count * dim)
    for i = 0, count - 1 do
        local c = math.floor(rand01() * clusters)
        for j = 0, dim - 1 do rows[i * dim + j] = centres[c * dim + j] + (rand01() * 2 - 1) * spread end
    end
    return rows
end
local cn = 3000 -- over the 1024 vectors codes are trained at
local cdata_rows, cqueries = clustered_rows(cn), clustered_rows(nq)
local function l2_to_row(q, row)
    local d = 0
    for j = 0, dim - 1 do
        local diff = cdata_rows[row * dim + j] - cqueries[q * dim + j]
        d = d + diff * diff
    end
    return d
end
local coded, cmsg = vdb.create { dim = dim, codes = "int8", rerank = 25, threads = 2, seed = 5 }
check("create with codes = \"int8\"", coded ~= nil, cmsg)
check("add to an index with codes", coded:add(cdata_rows) == true and #coded == cn, #coded)
local cconfig = coded:config()
check("config reports codes and rerank", cconfig.codes == "int8" and cconfig.rerank == 25,
    tostring(cconfig.codes) .. " " .. tostring(cconfig.rerank))
check("config of an index without codes: codes nil, rerank 0", config.codes == nil and config.rerank == 0)
check("the codes are trained", tonumber(vdb.C.vdb_coded(coded.handle)) == cn)
local chits, exact_distances = 0, true
for q = 0, nq - 1 do
    local ids, distances, found = coded:search(cqueries + q * dim, k, 128)
    local scored = {}
    for i = 0, cn - 1 do scored[#scored + 1] = { i, l2_to_row(q, i) } end
    table.sort(scored, function(a, b) return a[2] < b[2] end)
    local truth = {}
    for i = 1, k do truth[scored[i][1]] = true end
    for i = 0, found - 1 do
        local id = tonumber(ids[i])
        if truth[id] then chits = chits + 1 end
        local want = l2_to_row(q, id)
        if math.abs(distances[i] - want) > 1e-4 * math.max(1, want) then exact_distances = false end
    end
end
local crecall = chits / (nq * k)
check(string.format("int8 recall@10 vs brute force >= 0.95 (got %.3f)", crecall), crecall >= 0.95)
check("int8 distances are the exact float32 distances", exact_distances)
local cfile = path("coded.vdbi")
check("save an index with codes", coded:save(cfile) == true and vdb.verify(cfile) == true)
local copened = assert(vdb.open(cfile))
local oconfig = copened:config()
check("open keeps codes and rerank", oconfig.codes == "int8" and oconfig.rerank == 25)
local csame = true
for q = 0, nq - 1 do
    local a_ids, a_dist = coded:search(cqueries + q * dim, k, 64)
    local b_ids, b_dist = copened:search(cqueries + q * dim, k, 64)
    for i = 0, k - 1 do
        if a_ids[i] ~= b_ids[i] or a_dist[i] ~= b_dist[i] then csame = false end
    end
end
check("the opened index with codes answers as the one saved", csame)
-- Disk-resident: the mapped index's ids and distances, with and without a cache.
local function same_answer(a_ids, a_dist, a_found, b_ids, b_dist, b_found)
    if not b_ids or a_found ~= b_found then return false end
    for i = 0, a_found - 1 do
        if a_ids[i] ~= b_ids[i] or a_dist[i] ~= b_dist[i] then return false end
    end
    return true
end
for _, cache in ipairs({ false, 0, 64 * 1024, 64ULL * 1024 * 1024 }) do
    local disk, dmsg = vdb.open(cfile, { disk = true })
    local dsame = disk ~= nil and (cache == false or disk:set_disk_cache(cache) == true)
    for q = 0, nq - 1 do
        if not dsame then break end
        local a_ids, a_dist, a_found = copened:search(cqueries + q * dim, k, 64)
        dsame = same_answer(a_ids, a_dist, a_found, disk:search(cqueries + q * dim, k, 64))
    end
    check("disk gives the mapped results, cache " .. tostring(cache), dsame, dmsg)
    if disk then disk:close() end
end
local disk = assert(vdb.open(cfile, { disk = true }))
expect_error("a disk index is read-only", "VDB_EREADONLY", disk.delete, disk, 0)
expect_error("set_disk_cache(-1)", "VDB_EINVAL", disk.set_disk_cache, disk, -1)
disk:close()
expect_error("disk with writable", "VDB_EINVAL", vdb.open, cfile, { disk = true, writable = true })
expect_error("disk with populate", "VDB_EINVAL", vdb.open, cfile, { disk = true, populate = true })
local _, nmsg, ncode = vdb.open(file, { disk = true })
check("disk without codes is refused, naming codes", ncode == "VDB_EINVAL" and nmsg:find("codes", 1, true) ~= nil,
    nmsg)
local _, smsg, scode = copened:set_disk_cache(1024 * 1024)
check("set_disk_cache on an index not opened disk is refused",
    scode == "VDB_EINVAL" and smsg:find("VDB_OPEN_DISK", 1, true) ~= nil, smsg)
copened:close()
coded:close()
local mcoded = assert(vdb.map_vectors(raw, { dim = dim, codes = "int8", rerank = 12, threads = 2 }))
local mconfig = mcoded:config()
check("map_vectors with codes", mconfig.codes == "int8" and mconfig.rerank == 12 and mcoded:build() == true)
mcoded:close()
for _, c in ipairs({ "none", vdb.C.VDB_CODES_NONE }) do
    local none = assert(vdb.create { dim = 4, codes = c })
    check("codes = " .. tostring(c) .. " is no codes", none:config().codes == nil)
    none:close()
end
local by_number = assert(vdb.create { dim = 4, codes = tonumber(vdb.C.VDB_CODES_INT8) })
check("codes by number", by_number:config().codes == "int8")
by_number:close()
for _, c in ipairs({ "int4", "INT8", "", 3, -1, true, {} }) do
    local none, msg, why = vdb.create { dim = 4, codes = c }
    check("bad codes " .. (type(c) == "table" and "{}" or tostring(c)) .. " is refused, naming the choices",
        none == nil and why == "VDB_EINVAL" and msg:find('codes must be one of "none", "int8", "pq"', 1, true) ~= nil,
        msg)
end
expect_error("bad codes in map_vectors", "VDB_EINVAL", vdb.map_vectors, raw, { dim = dim, codes = "int4" })
expect_error("rerank -1", "VDB_EINVAL", vdb.create, { dim = 4, codes = "int8", rerank = -1 })
local _, rmsg = vdb.create { dim = 4, codes = "int8", rerank = 65537 }
check("rerank past 65536 is refused by the library", rmsg ~= nil and rmsg:find("rerank 65537", 1, true) ~= nil, rmsg)

-- pq codes: over the 4096 vectors they are trained at.
local pn = 5000
local pq_rows = clustered_rows(pn)
local pq = assert(vdb.create { dim = dim, codes = "pq", code_bytes = 12, threads = 2, seed = 5 })
check("config reports pq and code_bytes", pq:config().codes == "pq" and pq:config().code_bytes == 12)
check("add to a pq index trains its codes", pq:add(pq_rows) == true and tonumber(vdb.C.vdb_coded(pq.handle)) == pn)
local phits, pq_exact = 0, true
for q = 0, nq - 1 do
    local ids, distances, found = pq:search(cqueries + q * dim, k, 128)
    local scored = {}
    for i = 0, pn - 1 do
        local d = 0
        for j = 0, dim - 1 do d = d + (pq_rows[i * dim + j] - cqueries[q * dim + j]) ^ 2 end
        scored[#scored + 1] = { i, d }
    end
    table.sort(scored, function(a, b) return a[2] < b[2] end)
    local truth = {}
    for i = 1, k do truth[scored[i][1]] = true end
    for i = 0, found - 1 do
        if truth[tonumber(ids[i])] then phits = phits + 1 end
        local want = 0
        for j = 0, dim - 1 do want = want + (pq_rows[tonumber(ids[i]) * dim + j] - cqueries[q * dim + j]) ^ 2 end
        if math.abs(distances[i] - want) > 1e-4 * math.max(1, want) then pq_exact = false end
    end
end
local precall = phits / (nq * k)
check(string.format("pq recall@10 vs brute force >= 0.95 (got %.3f)", precall), precall >= 0.95)
check("pq distances are the exact float32 distances", pq_exact)
local pfile = path("pq.vdbi")
check("save a pq index", pq:save(pfile) == true)
local popened = assert(vdb.open(pfile))
check("open keeps pq and code_bytes", popened:config().codes == "pq" and popened:config().code_bytes == 12)
popened:close()
pq:close()
local chosen = assert(vdb.create { dim = dim, codes = "pq" })
check("code_bytes 0 chooses dim / 8", chosen:config().code_bytes == dim / 8, chosen:config().code_bytes)
chosen:close()
local _, bmsg = vdb.create { dim = 16, codes = "int8", code_bytes = 4 }
check("code_bytes without pq is refused", bmsg ~= nil and bmsg:find("code_bytes 4 is for VDB_CODES_PQ only", 1, true) ~= nil,
    bmsg)
_, bmsg = vdb.create { dim = 16, codes = "pq", code_bytes = 17 }
check("code_bytes past the dimension is refused", bmsg ~= nil and bmsg:find("more than the dimension 16", 1, true) ~= nil,
    bmsg)

-- Filters: allow-lists and Lua predicates, single and batch.
local function ids_where(allowed)
    local list = {}
    for i = 0, n - 1 do if allowed(i) then list[#list + 1] = i end end
    return list
end
local function filtered_recall(allowed, filter, ef)
    local hits, total, stray = 0, 0, 0
    for q = 1, nq do
        local ids, _, found = idx:search(queries[q], k, { ef = ef, filter = filter })
        if not ids then return nil, _ end
        local truth = brute_force(queries[q], k, allowed)
        for i = 0, found - 1 do
            local id = tonumber(ids[i])
            if truth[id] then hits = hits + 1 end
            if not allowed(id) then stray = stray + 1 end
        end
        for _ in pairs(truth) do total = total + 1 end
    end
    return hits / total, stray
end
local even = function(id) return id % 2 == 0 end
local tenth = function(id) return id % 10 == 3 end
-- Half the ids at ef 32: the graph walk; a tenth: few enough for the exact scan.
local r, stray = filtered_recall(even, ids_where(even), 32)
check(string.format("allow-list of half the ids: recall vs brute force among them >= 0.95 (got %.3f)", r),
    r ~= nil and r >= 0.95, stray)
check("allow-list of half the ids: no disallowed id returned", stray == 0, stray)
r, stray = filtered_recall(tenth, ids_where(tenth), 64)
check(string.format("allow-list of a tenth: recall >= 0.95 (got %.3f), nothing disallowed", r or -1),
    r ~= nil and r >= 0.95 and stray == 0, stray)
r, stray = filtered_recall(even, even, 32)
check(string.format("function filter: recall >= 0.95 (got %.3f), nothing disallowed", r or -1),
    r ~= nil and r >= 0.95 and stray == 0, stray)
local even_filter = assert(vdb.filter(ids_where(even)))
r, stray = filtered_recall(even, even_filter, 32)
check("vdb.filter(ids), reused for every query: recall >= 0.95, nothing disallowed",
    r ~= nil and r >= 0.95 and stray == 0, r)
local even_fn_filter = assert(vdb.filter(even))
r, stray = filtered_recall(even, even_fn_filter, 32)
check("vdb.filter(fn), reused: recall >= 0.95, nothing disallowed", r ~= nil and r >= 0.95 and stray == 0, r)
check("filter objects say what they are", tostring(even_filter) == "vdb.filter(750 ids)"
    and not even_filter:is_function() and even_fn_filter:is_function(), tostring(even_filter))

-- The same allow-list given as a table, cdata or an object gives the same answer, and so does the same
-- predicate as a function or an object. A list and a predicate may not: the library times a predicate
-- (a Lua one is slow beside a hash probe) and may then walk the graph where it scans a list exactly.
local even_cdata = ffi.new("uint64_t[?]", n / 2)
for i = 0, n / 2 - 1 do even_cdata[i] = 2 * i end
local function same_results(a_ids, a_dist, a_found, b_ids, b_dist, b_found)
    if not a_ids or not b_ids or a_found ~= b_found then return false end
    for i = 0, a_found - 1 do
        if a_ids[i] ~= b_ids[i] or a_dist[i] ~= b_dist[i] then return false end
    end
    return true
end
local function forms_agree(first, others)
    for q = 1, 5 do
        local a = { idx:search(queries[q], k, { ef = 32, filter = first }) }
        for _, other in ipairs(others) do
            if not same_results(a[1], a[2], a[3], idx:search(queries[q], k, { ef = 32, filter = other })) then
                return false
            end
        end
    end
    return true
end
check("table, uint64_t[n] and vdb.filter(ids) agree", forms_agree(ids_where(even), { even_cdata, even_filter }))
check("a function and vdb.filter(fn) agree", forms_agree(even, { even_fn_filter }))
local ptr_ids = idx:search(queries[1], k, { ef = 32, filter = vdb.filter(ffi.cast("uint64_t *", even_cdata), n / 2) })
check("vdb.filter(uint64_t pointer, n)", ptr_ids ~= nil and ptr_ids[0] % 2 == 0ULL)
expect_error("vdb.filter of a pointer without n", "VDB_EINVAL", vdb.filter, ffi.cast("uint64_t *", even_cdata))

-- A batch with an allow-list equals a loop of filtered searches.
local batch2 = {}
for q = 1, 6 do batch2[q] = queries[q] end
local fb_ids, fb_dist, fb_found = idx:search(batch2, k, { ef = 32, filter = even_filter })
local batch_same = fb_ids ~= nil
for q = 1, 6 do
    local ids, distances, found = idx:search(queries[q], k, { ef = 32, filter = even_filter })
    if not batch_same or fb_found[q - 1] ~= found then batch_same = false break end
    for i = 0, found - 1 do
        if fb_ids[(q - 1) * k + i] ~= ids[i] or fb_dist[(q - 1) * k + i] ~= distances[i] then batch_same = false end
    end
end
check("batch search with an allow-list equals a loop of filtered searches", batch_same)
expect_error("a function filter on a batch is refused", "VDB_EINVAL", idx.search, idx, batch2, k, { filter = even })
expect_error("a vdb.filter(fn) on a batch is refused", "VDB_EINVAL", idx.search, idx, batch2, k,
    { filter = even_fn_filter })
local _, batch_message = idx:search(batch2, k, { filter = even })
check("the refusal says why: worker threads", type(batch_message) == "string" and batch_message:find("worker threads") ~= nil,
    batch_message)

-- Edge cases of filters.
local none_ids, _, none_found = idx:search(queries[1], k, { filter = {} })
check("an empty allow-list allows nothing: found = 0", none_ids ~= nil and none_found == 0
    and none_ids[0] == 18446744073709551615ULL, none_found)
local few_ids, few_dist, few_found = idx:search(queries[1], k, { filter = { 5, 9, 5, 99999 } })
check("an allow-list of 2 held ids (one repeated, one unknown): found = 2", few_found == 2
    and ((few_ids[0] == 5 and few_ids[1] == 9) or (few_ids[0] == 9 and few_ids[1] == 5)) and few_dist[1] >= few_dist[0],
    few_found)
local seen_types, calls = {}, 0
local big_index = assert(vdb.create { dim = 2 })
assert(big_index:add({ 0, 0, 1, 1 }, { 2 ^ 53 + 0ULL + 1, 3 }))
local big_ids, _, big_found = big_index:search({ 0, 0 }, 2, { filter = function(id)
    calls = calls + 1
    seen_types[type(id)] = true
    return id ~= 3
end })
check("a predicate gets numbers, and uint64_t cdata past 2^53", seen_types.number and seen_types.cdata and calls >= 2
    and big_found == 1 and big_ids[0] == 2 ^ 53 + 0ULL + 1)
big_index:close()
local predicate_calls = 0
local raised_ids, raised_message, raised_code = idx:search(queries[1], k, { filter = function()
    predicate_calls = predicate_calls + 1
    if predicate_calls == 3 then error("no third call") end
    return true
end })
check("an error in a predicate is returned, not thrown", raised_ids == nil and raised_code == "VDB_EINVAL"
    and tostring(raised_message):find("no third call") ~= nil, raised_message)
check("the index still searches after a predicate's error", idx:search(queries[1], k, { filter = even }) ~= nil)
local hot = true
for round = 1, 300 do -- hot enough for the JIT to compile the loop: no "bad callback"
    local ids, _, found = idx:search(queries[round % nq + 1], 3, { ef = 16, filter = even })
    if not ids or found ~= 3 or ids[0] % 2 ~= 0ULL then hot = false break end
end
check("300 function-filtered searches from a hot loop", hot)
expect_error("an unknown search option", "VDB_EINVAL", idx.search, idx, queries[1], k, { fliter = { 1 } })
expect_error("a filter of the wrong type", "VDB_EINVAL", idx.search, idx, queries[1], k, { filter = "even" })
expect_error("a filter id that is not an integer", "VDB_EINVAL", vdb.filter, { 1, 2.5 })
expect_error("a negative filter id", "VDB_EINVAL", vdb.filter, { -1 })
expect_error("search's third argument of the wrong type", "VDB_EINVAL", idx.search, idx, queries[1], k, "fast")
even_filter:close()
check("a closed filter says so", even_filter:closed() and tostring(even_filter) == "vdb.filter(closed)")
expect_error("search with a closed filter", "VDB_EINVAL", idx.search, idx, queries[1], k, { filter = even_filter })
check("closing a filter twice is harmless", pcall(even_filter.close, even_filter) and pcall(even_fn_filter.close, even_fn_filter)
    and even_filter:closed() and even_fn_filter:closed())
-- Finalizers release what the loop drops: memory in use stays flat over 4000 filters.
collectgarbage()
local kb_before = collectgarbage("count")
for _ = 1, 2000 do
    vdb.filter({ 1, 2, 3 })
    vdb.filter(function(id) return id > 1 end)
end
collectgarbage()
collectgarbage()
local kb_after = collectgarbage("count")
check("4000 filters released by ffi.gc finalizers", kb_after - kb_before < 256, kb_after - kb_before)

-- Changes: a writable open of a saved file, delete, upsert, add, get, has.
local live_file = path("changes.vdbi")
assert(idx:save(live_file))
local ro = assert(vdb.open(live_file))
local _, ro_message, ro_code = ro:delete(1)
check("delete on a read-only index: VDB_EREADONLY naming VDB_OPEN_WRITABLE", ro_code == "VDB_EREADONLY"
    and tostring(ro_message):find("VDB_OPEN_WRITABLE", 1, true) ~= nil, ro_message)
expect_error("upsert on a read-only index", "VDB_EREADONLY", ro.upsert, ro, queries[1], { 1 })
check("get and has work read-only", ro:get(5) ~= nil and ro:has(5) == true and ro:has(n + 5) == false)
check("a read-only index still holds every vector", #ro == n and ro:deleted() == 0)
ro:close()
expect_error("an unknown open option (writeable)", "VDB_EINVAL", vdb.open, live_file, { writeable = true })

local w = vdb.open(live_file, { writable = true, verify = true })
check("open writable", w ~= nil and #w == n)
local row10 = w:get(10)
check("get gives float[dim] cdata of the vector", ffi.istype("float[?]", row10) and ffi.sizeof(row10) == dim * 4
    and row10[0] == data[10 * dim] and row10[dim - 1] == data[10 * dim + dim - 1])
local out = ffi.new("float[?]", dim)
check("get into a caller's buffer", w:get(11, out) == out and out[3] == data[11 * dim + 3])
expect_error("get into a buffer too small", "VDB_EINVAL", w.get, w, 11, ffi.new("float[?]", dim - 1))
expect_error("get into a table", "VDB_EINVAL", w.get, w, 11, {})
expect_error("get into double cdata", "VDB_EINVAL", w.get, w, 11, ffi.new("double[?]", dim))
check("delete one id", w:delete(10) == true and #w == n - 1 and w:deleted() == 1, #w)
check("delete a table of ids", w:delete({ 11, 12, 13 }) == true and #w == n - 4 and w:deleted() == 4)
check("delete uint64_t cdata", w:delete(ffi.new("uint64_t[2]", { 14, 15 })) == true and #w == n - 6)
check("delete a uint64_t pointer with n", w:delete(ffi.cast("uint64_t *", ffi.new("uint64_t[1]", { 16 })), 1) == true
    and #w == n - 7)
check("delete one uint64_t scalar", w:delete(17ULL) == true and #w == n - 8)
check("delete nothing", w:delete({}) == true and #w == n - 8)
local gone_ok, gone_message, gone_code = w:get(10)
check("get of a deleted id: VDB_ENOTFOUND", gone_ok == nil and gone_code == "VDB_ENOTFOUND"
    and tostring(gone_message):find("10", 1, true) ~= nil, gone_message)
check("has of a deleted id is false", w:has(10) == false and w:has(9) == true)
expect_error("delete an absent id", "VDB_ENOTFOUND", w.delete, w, { 20, n + 1000 })
expect_error("delete a deleted id", "VDB_ENOTFOUND", w.delete, w, 10)
expect_error("delete a repeated id", "VDB_ENOTFOUND", w.delete, w, { 21, 21 })
check("a refused delete deletes nothing (all or nothing)", #w == n - 8 and w:has(20) and w:has(21))
expect_error("delete a negative id", "VDB_EINVAL", w.delete, w, -3)
expect_error("delete a non-integer id", "VDB_EINVAL", w.delete, w, 2.5)
expect_error("delete a string", "VDB_EINVAL", w.delete, w, "12")
expect_error("delete float cdata", "VDB_EINVAL", w.delete, w, ffi.new("float[1]"))
expect_error("get of an absent id", "VDB_ENOTFOUND", w.get, w, n + 1000)
local never = {}
for q = 1, nq do
    local ids, _, found = w:search(queries[q], k, 128)
    for i = 0, found - 1 do if tonumber(ids[i]) >= 10 and tonumber(ids[i]) <= 17 then never[#never + 1] = ids[i] end end
    ids, _, found = w:search(queries[q], k, { ef = 128, filter = { 10, 11, 12, 13, 14, 15, 16, 17, 18 } })
    if found ~= 1 or ids[0] ~= 18 then never[#never + 1] = "filtered" end
end
check("deleted ids never come back, even when a filter allows them", #never == 0, table.concat(never, " "))

-- upsert: id 30 takes row 500's vector; id 99999 is new.
local row500 = w:get(500)
check("upsert replaces a held id and adds a new one", w:upsert({ vdb.to_table(row500, dim), queries[2] }, { 30, 99999 })
    == true and #w == n - 8 + 1 and w:deleted() == 9, #w)
local got30 = w:get(30)
local same30 = true
for j = 0, dim - 1 do if got30[j] ~= row500[j] then same30 = false end end
check("get reads the upserted vector back", same30)
local near500, d500 = w:search(row500, 2, 64)
check("a search for row 500 finds ids 500 and 30 at distance 0", near500 ~= nil and d500[0] == 0 and d500[1] == 0
    and ((near500[0] == 500 and near500[1] == 30) or (near500[0] == 30 and near500[1] == 500)))
expect_error("upsert without ids", "VDB_EINVAL", w.upsert, w, queries[1])
expect_error("upsert with a repeated id", "VDB_EINVAL", w.upsert, w, { queries[1], queries[2] }, { 40, 40 })
expect_error("upsert with too few ids", "VDB_EINVAL", w.upsert, w, { queries[1], queries[2] }, { 40 })
expect_error("upsert of the wrong dimension", "VDB_EDIM", w.upsert, w, { 1, 2 }, { 40 })
check("add to a writable index", w:add(queries[3], { 123456 }) == true and w:has(123456))
expect_error("add of a held id", "VDB_EEXIST", w.add, w, queries[3], { 123456 })
check("a deleted id may be added again", w:add(queries[4], { 10 }) == true and w:has(10) and #w == n - 8 + 3)
local expect_count = #w
check("save in place", w:save(live_file) == true)
w:close()
local back = vdb.open(live_file, { verify = true })
check("reopened: the count kept, nothing deleted left in the file", back ~= nil and #back == expect_count
    and back:deleted() == 0, back and #back)
check("reopened: deleted ids gone, upserted vector kept", back:has(11) == false and back:has(99999) == true
    and back:get(30)[0] == row500[0])
back:close()

-- The journal: commit, replay on every open, one writer, checkpoints, recover.
local function row(i) return ffi.cast("float *", data) + i * dim end
local function file_size(name)
    local fh = io.open(name, "rb")
    if not fh then return nil end
    local size = fh:seek("end")
    fh:close()
    return size
end
local function nearest(index, i)
    local ids = index:search(row(i), 1)
    return ids and tonumber(ids[0])
end
local jfile = path("journaled.vdbi")
local jjournal = jfile .. "-journal"
local small = assert(vdb.create { dim = dim, threads = 1, seed = 3 })
assert(small:add(row(0), nil, 200)) -- ids 0 .. 199
assert(small:save(jfile))
small:close()
check("the new codes and the recover flag", vdb.codes.VDB_EBUSY == -11 and vdb.codes.VDB_ENOSPC == -12
    and tonumber(vdb.C.VDB_OPEN_RECOVER) == 8)

local jw = assert(vdb.open(jfile, { writable = true }))
check("a writable open creates the journal", file_size(jjournal) ~= nil)
local busy_ok, busy_message, busy_code = vdb.open(jfile, { writable = true })
check("a second writable open: VDB_EBUSY naming the file", busy_ok == nil and busy_code == "VDB_EBUSY"
    and tostring(busy_message):find(jfile, 1, true) ~= nil, busy_message)
local jr = vdb.open(jfile)
check("a read-only open beside the writer", jr ~= nil and #jr == 200)
if jr then jr:close() end
assert(jw:add(row(200), { 1000, 1001, 1002 }, 3))
assert(jw:delete({ 5, 6 }))
assert(jw:upsert(row(210), { 7 }, 1))
check("commit", jw:commit() == true)
check("commit with nothing new", jw:commit() == true)
assert(jw:add(row(220), { 2000 }, 1)) -- after the commit: lost at close
assert(jw:delete(20))
assert(jw:upsert(row(221), { 21 }, 1))
check("uncommitted changes are there until close", jw:has(2000) and not jw:has(20))
jw:close()

local jback = assert(vdb.open(jfile))
check("reopened read-only: the committed count", #jback == 200 + 3 - 2, #jback)
check("reopened: committed adds and deletes kept", jback:has(1002) and not jback:has(5) and not jback:has(6))
check("reopened: the committed ids found by search", nearest(jback, 201) == 1001 and nearest(jback, 210) == 7,
    tostring(nearest(jback, 201)) .. " " .. tostring(nearest(jback, 210)))
local got7 = jback:get(7)
check("reopened: the committed upsert's vector", got7 ~= nil and got7[0] == row(210)[0] and got7[dim - 1] == row(210)[dim - 1])
check("reopened: the changes after the commit are gone", not jback:has(2000) and jback:has(20)
    and nearest(jback, 20) == 20 and jback:get(21)[0] == row(21)[0])
expect_error("commit on a read-only index", "VDB_EREADONLY", jback.commit, jback)
local _, commit_message = jback:commit()
check("commit's refusal names VDB_OPEN_WRITABLE", tostring(commit_message):find("VDB_OPEN_WRITABLE", 1, true) ~= nil,
    commit_message)
jback:close()
expect_error("commit on a closed index", "VDB_EINVAL", jback.commit, jback)
local in_memory = assert(vdb.create { dim = dim })
expect_error("commit on an index with no file", "VDB_EINVAL", in_memory.commit, in_memory)
in_memory:close()

-- save in place is a checkpoint: the uncommitted change kept, the journal emptied.
jw = assert(vdb.open(jfile, { writable = true }))
assert(jw:delete(0))
local before_checkpoint = file_size(jjournal)
check("save in place (a checkpoint)", jw:save(jfile) == true)
check("the checkpoint empties the journal", file_size(jjournal) < before_checkpoint)
jw:close()
jback = assert(vdb.open(jfile, { verify = true }))
check("the checkpoint kept the change", #jback == 200 and not jback:has(0) and jback:deleted() == 0, #jback)
jback:close()

-- recover: three commits, the record after the first one damaged.
jw = assert(vdb.open(jfile, { writable = true }))
assert(jw:add(row(230), { 3000 }, 1))
assert(jw:commit())
local first_end = file_size(jjournal)
assert(jw:add(row(231), { 3001 }, 1))
assert(jw:commit())
assert(jw:add(row(232), { 3002 }, 1))
assert(jw:commit())
jw:close()
local jf = assert(io.open(jjournal, "r+b"))
jf:seek("set", first_end)
local byte = jf:read(1)
jf:seek("set", first_end)
jf:write(string.char(bit.bxor(byte:byte(), 0xff)))
jf:close()
expect_error("a damaged journal", "VDB_EFORMAT", vdb.open, jfile)
local rec = vdb.open(jfile, { recover = true })
check("recover applies the intact commit only", rec ~= nil and rec:has(3000) and not rec:has(3001)
    and not rec:has(3002))
if rec then rec:close() end
rec = vdb.open(jfile, { writable = true, recover = true })
check("a writable recover", rec ~= nil and #rec == 201)
if rec then rec:close() end
jback = vdb.open(jfile)
check("after a writable recover a plain open works", jback ~= nil and #jback == 201 and jback:has(3000))
if jback then jback:close() end

-- Deleting from an index over a mapped vector file.
local mapped2 = assert(vdb.map_vectors(raw, { dim = dim, threads = 2 }))
assert(mapped2:build())
check("delete on a mapped index", mapped2:delete({ 0, 1 }) == true and #mapped2 == n - 2 and mapped2:has(0) == false)
expect_error("upsert on a mapped index", "VDB_EREADONLY", mapped2.upsert, mapped2, queries[1], { 0 })
check("build a deleted row again", mapped2:build(0, 1) == true and mapped2:has(0) and #mapped2 == n - 1)
mapped2:close()

-- Bad inputs.
local short = {}
for j = 1, dim - 1 do short[j] = 0.5 end
local nan_query, inf_row = {}, {}
for j = 1, dim do nan_query[j], inf_row[j] = queries[1][j], queries[1][j] end
nan_query[5] = 0 / 0
inf_row[3] = math.huge
expect_error("query of the wrong dimension", "VDB_EDIM", idx.search, idx, short, k)
expect_error("vectors not whole rows", "VDB_EDIM", idx.add, idx, short)
expect_error("NaN in a query", "VDB_EINVAL", idx.search, idx, nan_query, k)
expect_error("Inf in a vector", "VDB_EINVAL", idx.add, idx, inf_row)
expect_error("k = 0", "VDB_EINVAL", idx.search, idx, queries[1], 0)
expect_error("k not an integer", "VDB_EINVAL", idx.search, idx, queries[1], 2.5)
local with_string = {}
for j = 1, dim do with_string[j] = j == 2 and "x" or 0.5 end
expect_error("a string in a vector", "VDB_EINVAL", idx.add, idx, with_string)
expect_error("double cdata instead of float", "VDB_EINVAL", idx.search, idx, ffi.new("double[?]", dim), k)
expect_error("wrong id count", "VDB_EINVAL", idx.add, idx, queries[1], { 1, 2 })
expect_error("negative id", "VDB_EINVAL", idx.add, idx, queries[1], { -1 })
expect_error("dim 0", "VDB_EINVAL", vdb.create, { dim = 0 })
expect_error("dim missing", "VDB_EINVAL", vdb.create, {})
expect_error("unknown metric", "VDB_EINVAL", vdb.create, { dim = 4, metric = "manhattan" })
expect_error("m = 1", "VDB_EINVAL", vdb.create, { dim = 4, m = 1 })
expect_error("missing file", "VDB_EIO", vdb.open, path("missing.vdbi"))
expect_error("a directory", "VDB_EIO", vdb.open, scratch)
local corrupt = path("corrupt.vdbi")
f = assert(io.open(corrupt, "wb"))
f:write(string.rep("not an index ", 1000))
f:close()
expect_error("a corrupt file", "VDB_EFORMAT", vdb.open, corrupt)
expect_error("verify a corrupt file", "VDB_EFORMAT", vdb.verify, corrupt)
f = assert(io.open(file, "rb"))
local bytes = f:read("*a")
f:close()
local at = #bytes - 100
local damaged = path("damaged.vdbi")
f = assert(io.open(damaged, "wb"))
f:write(bytes:sub(1, at - 1), string.char((bytes:byte(at) + 1) % 256), bytes:sub(at + 1))
f:close()
expect_error("verify finds one changed byte", "VDB_EFORMAT", vdb.verify, damaged)
f = assert(io.open(path("truncated.vdbi"), "wb"))
f:write(bytes:sub(1, 5000))
f:close()
expect_error("a truncated file", "VDB_EFORMAT", vdb.open, path("truncated.vdbi"))
expect_error("save into a missing directory", "VDB_EIO", idx.save, idx, path("no/such/dir.vdbi"))

-- A closed index refuses everything, and never crashes.
idx:close()
check("closed", idx:closed() and #idx == 0 and tostring(idx) == "vdb.Index(closed)")
expect_error("search on a closed index", "VDB_EINVAL", idx.search, idx, queries[1], k)
expect_error("add on a closed index", "VDB_EINVAL", idx.add, idx, queries[1])
expect_error("save on a closed index", "VDB_EINVAL", idx.save, idx, file)
expect_error("build on a closed index", "VDB_EINVAL", idx.build, idx, 0, 1)
expect_error("delete on a closed index", "VDB_EINVAL", idx.delete, idx, 1)
expect_error("upsert on a closed index", "VDB_EINVAL", idx.upsert, idx, queries[1], { 1 })
expect_error("get on a closed index", "VDB_EINVAL", idx.get, idx, 1)
expect_error("has on a closed index", "VDB_EINVAL", idx.has, idx, 1)
check("deleted() of a closed index is 0", idx:deleted() == 0)
check("close twice is harmless", pcall(idx.close, idx) and #idx == 0)

-- Progress: reports from 0 to total, cancel by a true return or an error.
do
    local function zero_to_total(calls, total)
        if #calls < 2 or calls[1][1] ~= 0 or calls[#calls][1] ~= total then return false end
        for i, c in ipairs(calls) do
            if c[2] ~= total or (i > 1 and c[1] < calls[i - 1][1]) then return false end
        end
        return true
    end
    local calls = {}
    local record = function(done, total) calls[#calls + 1] = { done, total } end
    local pidx = vdb.create { dim = dim, threads = 2 }
    check("add with progress", pidx:add(data, nil, n, { progress = record }) == true and #pidx == n)
    check("add reports from 0 to total", zero_to_total(calls, n), #calls)

    local cidx = vdb.create { dim = dim, threads = 2 }
    local ids = {}
    for i = 1, n do ids[i] = i - 1 end
    expect_error("progress returning true cancels", "VDB_ECANCELED", cidx.add, cidx, data, ids, n,
        { progress = function() return true end })
    check("a cancelled add adds nothing", #cidx == 0)
    local _, emsg, ecode = cidx:add(data, ids, n, { progress = function() error("enough") end })
    check("an error in progress cancels and is returned", ecode == "VDB_ECANCELED" and emsg:find("enough") ~= nil
        and #cidx == 0, emsg)
    local _, umsg = cidx:add(data, ids, n, { progress = function() return cidx:count() end })
    check("progress must not use its own index", umsg ~= nil and umsg:find("progress") ~= nil and #cidx == 0, umsg)
    check("the ids are free after a cancel", cidx:add(data, ids, n) == true and #cidx == n)
    local lidx = vdb.create { dim = dim, threads = 2 }
    local raised, lerr = pcall(lidx.add, lidx, data, nil, 100, { progress = function(done, total)
        if done == total then error("at the end", 0) end
    end })
    check("an error at the last report is raised after the add", not raised and lerr == "at the end" and #lidx == 100,
        lerr)
    lidx:close()
    expect_error("progress must be a function", "VDB_EINVAL", cidx.add, cidx, data, nil, n, { progress = 1 })
    expect_error("unknown add option", "VDB_EINVAL", cidx.add, cidx, data, nil, n, { progres = record })
    check("opts in place of rows", pidx:add({ data[0], data[1], data[2], data[3], data[4], data[5], data[6], data[7],
        data[8], data[9], data[10], data[11], data[12], data[13], data[14], data[15], data[16], data[17], data[18],
        data[19], data[20], data[21], data[22], data[23] }, nil, { progress = record }) == true and #pidx == n + 1)

    local bcalls = {}
    local bidx = assert(vdb.map_vectors(raw, { dim = dim, threads = 2 }))
    expect_error("a cancelled build", "VDB_ECANCELED", bidx.build, bidx, 0, n,
        { progress = function(done) return done > 0 end })
    check("a cancelled build builds nothing", #bidx == 0)
    check("build with progress", bidx:build(100, 1000, { progress = function(done, total)
        bcalls[#bcalls + 1] = { done, total }
    end }) == true and #bidx == 1000)
    check("build reports from 0 to total", zero_to_total(bcalls, 1000), #bcalls)

    -- A build within a memory bound: 400 KiB does not hold these rows and their graph, so it goes by partitions.
    local midx = assert(vdb.map_vectors(raw, { dim = dim, threads = 2 }))
    expect_error("a build memory too small", "VDB_EINVAL", midx.build, midx, 0, n, { memory = 1024 })
    expect_error("a build memory of 0 bytes", "VDB_EINVAL", midx.build, midx, 0, n, { memory = 0 })
    check("nothing built within too small a bound", #midx == 0)
    check("build within 400 KiB", midx:build(0, n, { memory = 400 * 1024 }) == true and #midx == n, #midx)
    local own_ids, own_dist = midx:search(ffi.cast("float *", data) + 7 * dim, 1, 64)
    check("a row built by partitions is found by its own vector", own_ids[0] == 7ULL and own_dist[0] == 0, own_ids[0])
    midx:close()
    pidx:close()
    cidx:close()
    bidx:close()
end

-- Finalizers: indexes left to the garbage collector are released.
for _ = 1, 2000 do
    local tmp = vdb.create { dim = 8, threads = 1 }
    tmp:add({ 1, 2, 3, 4, 5, 6, 7, 8 })
end
collectgarbage()
collectgarbage()
check("2000 indexes released by ffi.gc finalizers", collectgarbage("count") < kb_after + 1024, collectgarbage("count"))

os.execute('rm -rf "' .. scratch .. '"')
print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
