-- The ways to get an index: vdb.create, vdb.open and vdb.map_vectors; and
-- vdb.verify, which checks a saved one without opening it.

local ffi = require("ffi")
local library = require("vdb.library")
local errors = require("vdb.errors")
local args = require("vdb.args")
local config = require("vdb.config")
local index = require("vdb.index") -- declares vdb_lua_index, which wrap makes

local C = library.C
local failure, refuse = errors.failure, errors.refuse
local unknown_key = args.unknown_key
local make_config = config.make_config
local rows_of = index.rows_of

local M = {}

local index_out = ffi.typeof("vdb_index *[1]")

local function wrap(rc, out)
    if rc ~= 0 then return failure(rc) end
    return ffi.new("vdb_lua_index", out[0])
end

--- vdb.create{dim=..., metric="l2", m=16, ef_construction=200, ef_search=64, threads=0, seed=42,
---            codes="none", code_bytes=0, rerank=0}
--- codes="int8" (a byte per dimension, trained at 1024 vectors) or "pq" (code_bytes bytes a
--- vector, 0 = dim / 8, trained at 4096): searches walk the graph by the codes, then measure
--- their rerank best candidates (0: all ef) with the float32 rows.
function M.create(opts)
    local cfg, message, code = make_config(opts, true)
    if not cfg then return nil, message, code end
    local out = index_out()
    return wrap(C.vdb_create(out, cfg), out)
end

local open_options = { writable = true, verify = true, populate = true, recover = true, disk = true }
local open_flags = {
    writable = "VDB_OPEN_WRITABLE", verify = "VDB_OPEN_VERIFY", populate = "VDB_OPEN_POPULATE",
    recover = "VDB_OPEN_RECOVER", disk = "VDB_OPEN_DISK",
}

--- vdb.open(path, {writable=false, verify=false, populate=false, recover=false, disk=false})
--- -> a saved index, with the committed changes of its journal (PATH-journal)
--- applied; read-only unless writable, which lets it take add, upsert and
--- delete (idx:commit() keeps them in the journal, idx:save(path) in the file).
--- One writable open of a file at a time: another gives VDB_EBUSY. recover:
--- apply the intact commits of a damaged journal instead of VDB_EFORMAT.
--- disk: disk-resident search of an index saved with codes (int8 or pq):
--- nodes are read from the disk as searches expand them, the same results
--- as mapped; read-only, VDB_EINVAL with writable or populate or no codes.
function M.open(path, opts)
    if type(path) ~= "string" then return refuse("VDB_EINVAL", "path must be a string") end
    local flags = 0
    if opts ~= nil then
        if type(opts) ~= "table" then return refuse("VDB_EINVAL", "options must be a table") end
        local bad = unknown_key(opts, open_options)
        if bad then
            return refuse("VDB_EINVAL", "unknown option '" .. bad .. "' (known: writable, verify, populate, recover, disk)")
        end
        for key, flag in pairs(open_flags) do
            if opts[key] then flags = bit.bor(flags, tonumber(C[flag])) end
        end
    end
    local out = index_out()
    return wrap(C.vdb_open(out, path, flags), out)
end

--- vdb.map_vectors(path, {dim=0, metric=..., ...}) -> an empty graph over a vector file; fill it with idx:build
function M.map_vectors(path, opts)
    if type(path) ~= "string" then return refuse("VDB_EINVAL", "path must be a string") end
    local cfg, message, code = make_config(opts or {}, false)
    if not cfg then return nil, message, code end
    local out = index_out()
    local index, message, code = wrap(C.vdb_map_vectors(out, path, cfg), out)
    if not index then return nil, message, code end
    rows_of[tostring(ffi.cast("uintptr_t", index.handle))] = tonumber(C.vdb_rows(index.handle))
    return index
end

--- vdb.verify(path) -> true, or nil, message, code
function M.verify(path)
    if type(path) ~= "string" then return refuse("VDB_EINVAL", "path must be a string") end
    local rc = C.vdb_verify(path)
    if rc ~= 0 then return failure(rc) end
    return true
end

return M
