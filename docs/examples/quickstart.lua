-- libvdb in one page, in LuaJIT: create, add, search, save, open, search again.
-- Run from the repository root:  LUA_PATH="bindings/lua/?.lua;;" luajit docs/examples/quickstart.lua
local vdb = require("vdb")

local DIM, COUNT, K, NQ = 32, 2000, 5, 10

math.randomseed(1) -- LuaJIT's generator: the same data on every run
local vectors, queries = {}, {}
for row = 1, COUNT do
    local v = {}
    for j = 1, DIM do v[j] = math.random() end
    vectors[row] = v
    if row <= NQ then queries[row] = v end -- stored rows: each must find itself first
end

local index = assert(vdb.create{ dim = DIM }) -- metric "l2", m 16, ef_construction 200, ef_search 64
assert(index:add(vectors)) -- a table of rows; ids 0, 1, 2, ...
-- A table of NQ rows is a batch: NQ*K slots, query after query (0-based cdata arrays).
local ids, distances = assert(index:search(queries, K))

local path = os.tmpname()
assert(index:save(path))
index:close()
local opened = assert(vdb.open(path)) -- read-only, maps the file
local count = #opened
local reopened_ids, reopened_distances = assert(opened:search(queries, K))
opened:close()
os.remove(path)

local nearest = {}
for i = 0, K - 1 do nearest[#nearest + 1] = string.format("%d (%.4f)", tonumber(ids[i]), distances[i]) end
print(string.format("libvdb %s: %d vectors; nearest to row 0: %s", vdb.version, count, table.concat(nearest, " ")))
local same = true
for q = 0, NQ - 1 do
    if ids[q * K] ~= q then same = false end
end
for i = 0, NQ * K - 1 do
    if ids[i] ~= reopened_ids[i] or distances[i] ~= reopened_distances[i] then same = false end
end
print(same and "ok: the reopened index gives the same answer" or "MISMATCH")
os.exit(same and 0 or 1)
