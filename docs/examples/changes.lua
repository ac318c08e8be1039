-- A living index, in LuaJIT: open a saved index writable, delete, upsert and
-- get by id, search with a filter, and save the changes back to the same file.
-- Run from the repository root:
--   LUA_PATH="bindings/lua/?.lua;;" luajit docs/examples/changes.lua /tmp/changes.vdb
local vdb = require("vdb")

local DIM, COUNT, K = 16, 1000, 3
local path = arg[1] or "changes.vdb"

math.randomseed(7) -- LuaJIT's generator: the same data on every run
local vectors = {} -- vectors[row + 1] is row `row`, whose id is `row`
for row = 1, COUNT do
    local v = {}
    for j = 1, DIM do v[j] = math.random() end
    vectors[row] = v
end

-- A saved index with ids 0 .. 999.
local index = assert(vdb.create{ dim = DIM })
assert(index:add(vectors)) -- ids nil: 0, 1, 2, ...
assert(index:save(path))
index:close()

-- Reopen it writable: delete two ids, give id 7 the vector of row 500, add id 5000.
index = assert(vdb.open(path, { writable = true }))
assert(index:delete({ 10, 11 }))
assert(index:upsert({ vectors[501] }, { 7 }))
assert(index:add({ vectors[901] }, { 5000 }))
local _, message, code = index:get(10) -- nil, "id 10 is not in the index", "VDB_ENOTFOUND"
local missing = code == "VDB_ENOTFOUND" and not index:has(10)
local row, original = assert(index:get(7)), assert(index:get(500)) -- float[DIM] cdata, 0-based
local same_vector = true
for j = 0, DIM - 1 do same_vector = same_vector and row[j] == original[j] end

-- Search near row 500 with and without a filter: ids 500 and 7 now hold the same vector.
local query = vectors[501]
local ids = assert(index:search(query, K))
local even_ids = assert(index:search(query, K, { filter = function(id) return id % 2 == 0 end }))
local allowed = vdb.filter({ 7, 501, 502 }) -- an allow-list, reusable by any number of searches
local listed_ids = assert(index:search(query, K, { filter = allowed }))
print(string.format("%d vectors; id 10 deleted: %s (%s); nearest to row 500: %d %d; even only: %d; listed: %d",
    #index, missing and "yes" or "no", message, tonumber(ids[0]), tonumber(ids[1]), tonumber(even_ids[0]),
    tonumber(listed_ids[0])))
local listed = tonumber(listed_ids[0])
local ok = missing and same_vector and even_ids[0] % 2 == 0
    and (listed == 7 or listed == 501 or listed == 502) and index:deleted() == 3 -- 10, 11 and 7's old vector

-- Save over the file it was opened from; the deleted vectors are left out.
assert(index:save(path))
allowed:close()
index:close()
index = assert(vdb.open(path, { verify = true }))
ok = ok and #index == COUNT - 1 and index:deleted() == 0
print(string.format("after saving: %d vectors", #index))
index:close()
os.exit(ok and 0 or 1)
