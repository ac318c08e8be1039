-- Lua side of the cross-language test:
--   luajit query.lua <index> <queries.f32> <dim> <nq> <k> <ef> [<allow ids|-> [<delete ids|-> [commit|disk]]]
-- With a delete file it opens the index writable and deletes those ids (one
-- call) before searching; with "commit" too it commits them, closes the index
-- and opens it again read-only. With an allow file every search is filtered
-- by that allow-list. With "disk" (and no delete file) it opens the index
-- disk-resident with a 64 KiB node cache. Prints the answers in make_index.c's
-- format.
local ffi = require("ffi")
local vdb = require("vdb")

local index_path, queries_path = arg[1], arg[2]
local dim, nq, k, ef = tonumber(arg[3]), tonumber(arg[4]), tonumber(arg[5]), tonumber(arg[6])
local allow_path, delete_path = arg[7] or "-", arg[8] or "-"
local commit, disk = arg[9] == "commit", arg[9] == "disk"

-- Decimal ids, one a line, into uint64_t[n] (they pass 2^53: no Lua numbers).
local function read_ids(path)
    local list = {}
    for line in assert(io.lines(path)) do
        local id = 0ULL
        for digit in line:gmatch("%d") do id = id * 10 + (digit:byte() - 48) end
        list[#list + 1] = id
    end
    return ffi.new("uint64_t[?]", #list, list), #list
end

local f = assert(io.open(queries_path, "rb"))
local bytes = f:read("*a")
f:close()
local queries = ffi.new("float[?]", dim * nq)
ffi.copy(queries, bytes, dim * nq * 4)

local index
if delete_path ~= "-" then
    index = assert(vdb.open(index_path, { writable = true }))
    assert(index:delete(read_ids(delete_path)))
    if commit then
        assert(index:commit())
        index:close()
        index = assert(vdb.open(index_path))
    end
elseif disk then
    index = assert(vdb.open(index_path, { disk = true }))
    assert(index:set_disk_cache(64 * 1024))
else
    index = assert(vdb.open(index_path))
end
local filter = allow_path ~= "-" and assert(vdb.filter(read_ids(allow_path))) or nil

for q = 0, nq - 1 do
    local ids, distances, found = index:search(queries + q * dim, k, { ef = ef, filter = filter })
    if not ids then error(distances) end
    local parts = { q, found }
    for i = 0, found - 1 do
        parts[#parts + 1] = (tostring(ids[i]):gsub("ULL$", ""))
        parts[#parts + 1] = string.format("%.9g", distances[i])
    end
    print(table.concat(parts, " "))
end
if filter then filter:close() end
index:close()
