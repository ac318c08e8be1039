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
assert(os.execute('mkdir -p "' .. scratch .. '"') == 0 or true)
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

local function brute_force(query, count)
    local scored = {}
    for i = 0, n - 1 do
        local d = 0
        for j = 0, dim - 1 do
            local diff = data[i * dim + j] - query[j + 1]
            d = d + diff * diff
        end
        scored[#scored + 1] = { i, d }
    end
    table.sort(scored, function(a, b) return a[2] < b[2] end)
    local top = {}
    for i = 1, count do top[scored[i][1]] = true end
    return top
end

check("version", vdb.version_number == 100 and vdb.version == "0.1.0", vdb.version)

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
idx:close()
check("close twice is harmless", true)

-- Finalizers: indexes left to the garbage collector are released.
for _ = 1, 2000 do
    local tmp = vdb.create { dim = 8, threads = 1 }
    tmp:add({ 1, 2, 3, 4, 5, 6, 7, 8 })
end
collectgarbage()
collectgarbage()
check("2000 indexes released by ffi.gc finalizers without a crash", true)

os.execute('rm -rf "' .. scratch .. '"')
print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
