-- Lua side of the cross-language test:
--   luajit query.lua <index> <queries.f32> <dim> <nq> <k> <ef>
-- Prints the answers in make_index.c's format.
local ffi = require("ffi")
local vdb = require("vdb")

local index_path, queries_path = arg[1], arg[2]
local dim, nq, k, ef = tonumber(arg[3]), tonumber(arg[4]), tonumber(arg[5]), tonumber(arg[6])
local f = assert(io.open(queries_path, "rb"))
local bytes = f:read("*a")
f:close()
local queries = ffi.new("float[?]", dim * nq)
ffi.copy(queries, bytes, dim * nq * 4)

local index = assert(vdb.open(index_path))
for q = 0, nq - 1 do
    local ids, distances, found = index:search(queries + q * dim, k, ef)
    if not ids then error(distances) end
    local parts = { q, found }
    for i = 0, found - 1 do
        parts[#parts + 1] = (tostring(ids[i]):gsub("ULL$", ""))
        parts[#parts + 1] = string.format("%.9g", distances[i])
    end
    print(table.concat(parts, " "))
end
index:close()
