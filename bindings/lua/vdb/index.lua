-- The Index methods (add, build, upsert, delete, get, has, search, save,
-- commit, config, close, ...) and the vdb_lua_index type they are methods of.

local ffi = require("ffi")
local library = require("vdb.library")
local errors = require("vdb.errors")
local args = require("vdb.args")
local config = require("vdb.config")
local filter = require("vdb.filter")
local progress = require("vdb.progress")

local C = library.C
local failure, refuse = errors.failure, errors.refuse
local float_array, id_array, count_array = args.float_array, args.id_array, args.count_array
local is_integer, cdata_shape, element_names = args.is_integer, args.cdata_shape, args.element_names
local float_rows, id_buffer, one_id, id_list = args.float_rows, args.id_buffer, args.one_id, args.id_list
local u32, unknown_key = args.u32, args.unknown_key
local metric_names, codes_names, config_type = config.metric_names, config.codes_names, config.config_type
local search_calling_lua, search_filter, is_function_filter =
    filter.search_calling_lua, filter.search_filter, filter.is_function_filter
local add_calling_lua, build_calling_lua = progress.add_calling_lua, progress.build_calling_lua
local progress_option, with_progress, reports_on = progress.progress_option, progress.with_progress, progress.reports_on

-- The binding's own object: a handle that close() clears, so a closed index
-- is refused by every method instead of reaching C with a freed pointer.
ffi.cdef([[ typedef struct vdb_lua_index { vdb_index *handle; } vdb_lua_index; ]])

local M = {}

local Index = {}
Index.__index = Index

-- Row counts of mapped vector files, by handle address (a cdata struct has no
-- room for them); dropped when the index is closed or collected.
local rows_of = {}
local function forget(h) rows_of[tostring(ffi.cast("uintptr_t", h))] = nil end

local function live(self)
    local h = self.handle
    if h == nil then return refuse("VDB_EINVAL", "the index is closed") end
    if reports_on(h) then
        return refuse("VDB_EINVAL", "a progress function must not use the index it reports on")
    end
    return h
end

--- idx:add(vectors, ids, rows, opts) -> true, or nil, message, code.
--- vectors: a flat table, a table of rows, or float cdata (rows needed for a pointer);
--- ids: nil (the next row numbers), a table, or uint64_t cdata.
--- opts (also in place of rows): {progress = function(done, total)}, called
--- with 0, each hundredth of the way (or 0.1 s), then total; a true return cancels (nil,
--- message, "VDB_ECANCELED"), as does an error in it (its message is
--- returned); nothing is added then. An error at the last report (done =
--- total) is raised after the vectors were added. It must not use this index.
function Index:add(vectors, ids, rows, opts)
    if type(rows) == "table" and opts == nil then rows, opts = nil, rows end
    local h, message, code = live(self)
    if not h then return nil, message, code end
    local fn
    fn, message, code = progress_option(opts)
    if fn == nil then return nil, message, code end
    local ptr, n, anchor = float_rows(vectors, tonumber(C.vdb_dim(h)), rows, "vectors")
    if not ptr then return nil, n, anchor end
    local idbuf
    idbuf, message, code = id_buffer(ids, n)
    if ids ~= nil and not idbuf then return nil, message, code end
    local rc
    if fn then
        rc, message, code = with_progress(h, fn, add_calling_lua, ptr, n, idbuf)
    else
        rc = C.vdb_add(h, ptr, n, idbuf)
    end
    local _ = anchor
    if rc == nil then return nil, message, code end
    if rc ~= 0 then return failure(rc) end
    return true
end

--- idx:rows() -> rows in the vector file of an index from map_vectors, or nil
function Index:rows()
    local h = self.handle
    return h ~= nil and rows_of[tostring(ffi.cast("uintptr_t", h))] or nil
end

--- idx:build(first, count, opts): link rows [first, first+count) of a mapped
--- vector file; first defaults to 0, count to the rest of the file. opts as
--- in add, and opts.memory bounds the build's memory in bytes: when the rows
--- and graph do not fit, it builds by partitions (vdb_set_build_memory).
function Index:build(first, count, opts)
    local h, message, code = live(self)
    if not h then return nil, message, code end
    local memory = type(opts) == "table" and opts.memory or nil
    if memory ~= nil and not is_integer(memory, 1, 2 ^ 53) then
        return refuse("VDB_EINVAL", "memory must be an integer number of bytes >= 1, or nil for no bound")
    end
    local fn
    fn, message, code = progress_option(opts, { memory = true })
    if fn == nil then return nil, message, code end
    local rc = C.vdb_set_build_memory(h, memory or 0)
    if rc ~= 0 then return failure(rc) end
    first = first or 0
    if count == nil and is_integer(first, 0, 2 ^ 53) then count = math.max(0, (self:rows() or 0) - first) end
    if not is_integer(first, 0, 2 ^ 53) or not is_integer(count, 0, 2 ^ 53) then
        return refuse("VDB_EINVAL", "first and count must be integers >= 0")
    end
    if fn then
        rc, message, code = with_progress(h, fn, build_calling_lua, first, count)
    else
        rc = C.vdb_build(h, first, count)
    end
    if rc == nil then return nil, message, code end
    if rc ~= 0 then return failure(rc) end
    return true
end

--- idx:upsert(vectors, ids, rows) -> true, or nil, message, code: insert each
--- vector under its id, or replace the vector of an id the index holds.
--- Arguments as add, but ids are required (distinct). All or nothing.
function Index:upsert(vectors, ids, rows)
    local h, message, code = live(self)
    if not h then return nil, message, code end
    local ptr, n, anchor = float_rows(vectors, tonumber(C.vdb_dim(h)), rows, "vectors")
    if not ptr then return nil, n, anchor end
    if ids == nil then return refuse("VDB_EINVAL", "upsert needs ids, one per vector") end
    local idbuf
    idbuf, message, code = id_buffer(ids, n)
    if not idbuf then return nil, message, code end
    local rc = C.vdb_upsert(h, ptr, n, idbuf)
    local _ = anchor
    if rc ~= 0 then return failure(rc) end
    return true
end

--- idx:delete(ids, n) -> true, or nil, message, code. ids: one id, a table,
--- or uint64_t cdata (n needed for a pointer). All or nothing: an id that is
--- absent or repeated gives VDB_ENOTFOUND and deletes none.
function Index:delete(ids, n)
    local h, message, code = live(self)
    if not h then return nil, message, code end
    local ptr, count, anchor = id_list(ids, n, "ids")
    if not ptr then return nil, count, anchor end
    local rc = C.vdb_delete(h, ptr, count)
    local _ = anchor
    if rc ~= 0 then return failure(rc) end
    return true
end

--- idx:get(id, out) -> the vector of id as float[dim] cdata (0-based), or
--- nil, message, "VDB_ENOTFOUND" for an id the index does not hold. out: a
--- float cdata of at least dim floats to fill instead of a new array.
function Index:get(id, out)
    local h, message, code = live(self)
    if not h then return nil, message, code end
    id, message, code = one_id(id, "id")
    if id == nil then return nil, message, code end
    local dim = tonumber(C.vdb_dim(h))
    if out == nil then
        out = float_array(dim)
    else
        local element, length
        if type(out) == "cdata" then element, length = cdata_shape(out) end
        if not element_names.float[element] or (length and length < dim) then
            return refuse("VDB_EINVAL", string.format("out must be float cdata of at least %d floats", dim))
        end
    end
    local rc = C.vdb_get(h, id, out)
    if rc ~= 0 then return failure(rc) end
    return out
end

local has_buffer, has_length = nil, 0

--- idx:has(id) -> true or false (nil, message, code for a bad id or a closed index)
function Index:has(id)
    local h, message, code = live(self)
    if not h then return nil, message, code end
    id, message, code = one_id(id, "id")
    if id == nil then return nil, message, code end
    local dim = tonumber(C.vdb_dim(h))
    if has_length < dim then has_buffer, has_length = float_array(dim), dim end
    local rc = C.vdb_get(h, id, has_buffer)
    if rc == 0 then return true end
    if rc == C.VDB_ENOTFOUND then return false end
    return failure(rc)
end

--- idx:deleted() -> deleted vectors the index still holds (the next save drops them)
function Index:deleted()
    local h = self.handle
    return h ~= nil and tonumber(C.vdb_deleted(h)) or 0
end

local search_options = { ef = true, filter = true, rows = true }
local batch_refusal = "a Lua function filter is called on the Lua thread only, and a batch search calls its "
    .. "filter from worker threads: search the queries one at a time, or filter by an allow-list "
    .. "(a table of ids or vdb.filter(ids))"


--- idx:search(query, k, {ef=, filter=, rows=}) -> ids (uint64_t[k]),
--- distances (float[k]), found. (idx:search(query, k, ef, rows) also works.)
--- A query of several rows (a multiple of dim numbers, or a table of rows)
--- is a batch: ids and distances hold nq*k entries, query after query, and
--- found is a uint32_t[nq] array. Slots past found hold 2^64-1 and +inf.
--- filter: only ids it allows are returned; an allow-list (a table of ids,
--- uint64_t cdata, vdb.filter(ids)) or, for one query only, a Lua function
--- fn(id) -> truthy (or vdb.filter(fn)).
function Index:search(query, k, opts, rows)
    local h, message, code = live(self)
    if not h then return nil, message, code end
    local ef, filter = opts, nil
    if type(opts) == "table" then
        local bad = unknown_key(opts, search_options)
        if bad then return refuse("VDB_EINVAL", "unknown search option '" .. bad .. "' (known: ef, filter, rows)") end
        ef, filter = opts.ef, opts.filter
        if opts.rows ~= nil then rows = opts.rows end
    elseif opts ~= nil and type(opts) ~= "number" then
        return refuse("VDB_EINVAL", "search's third argument must be ef or an options table {ef=, filter=, rows=}")
    end
    local dim = tonumber(C.vdb_dim(h))
    if rows == nil and type(query) == "cdata" and select(2, cdata_shape(query)) == nil then rows = 1 end
    local ptr, nq, anchor = float_rows(query, dim, rows, "query")
    if not ptr then return nil, nq, anchor end
    if not is_integer(k, 0, 4294967295) then return refuse("VDB_EINVAL", "k must be an integer >= 1") end
    ef, message, code = u32(ef, "ef")
    if not ef then return nil, message, code end
    if nq > 1 and is_function_filter(filter) then return refuse("VDB_EINVAL", batch_refusal) end
    local fh, entry, temporary = nil, false, nil
    if filter ~= nil then
        fh, entry, temporary = search_filter(filter)
        if not fh then return nil, entry, temporary end
    end
    local ids, distances = id_array(math.max(nq * k, 1)), float_array(math.max(nq * k, 1))
    local rc, found
    if nq == 1 then
        found = count_array(1)
        if fh == nil then
            rc = C.vdb_search(h, ptr, k, ef, ids, distances, found)
        elseif entry then
            entry.error = nil
            rc = search_calling_lua(h, ptr, k, ef, fh, ids, distances, found)
        else
            rc = C.vdb_search_filtered(h, ptr, k, ef, fh, ids, distances, found)
        end
        found = tonumber(found[0])
    else
        found = count_array(nq)
        if fh == nil then
            rc = C.vdb_search_batch(h, ptr, nq, k, ef, ids, distances, found)
        else
            rc = C.vdb_search_batch_filtered(h, ptr, nq, k, ef, fh, ids, distances, found)
        end
    end
    local _ = anchor
    local raised = entry and entry.error
    if entry then entry.error = nil end
    if temporary then temporary:close() end
    if rc ~= 0 then return failure(rc) end
    if raised then return refuse("VDB_EINVAL", "the filter function raised an error: " .. tostring(raised)) end
    return ids, distances, found
end

--- idx:save(path) -> true, or nil, message, code. To the file a writable
--- index was opened from it is a checkpoint: every change, committed or
--- not, goes into the file and the journal is emptied. VDB_EBUSY over a file
--- open writable elsewhere, or whose journal holds changes the file lacks.
function Index:save(path)
    local h, message, code = live(self)
    if not h then return nil, message, code end
    if type(path) ~= "string" then return refuse("VDB_EINVAL", "path must be a string") end
    local rc = C.vdb_save(h, path)
    if rc ~= 0 then return failure(rc) end
    return true
end

--- idx:commit() -> true, or nil, message, code: make the changes since the
--- last commit durable in the journal (PATH-journal) with one fsync; every
--- later open of the file has them. Changes neither committed nor saved are
--- lost at close. VDB_EREADONLY for an index opened read-only, VDB_EINVAL
--- for one with no file (save it instead).
function Index:commit()
    local h, message, code = live(self)
    if not h then return nil, message, code end
    local rc = C.vdb_commit(h)
    if rc ~= 0 then return failure(rc) end
    return true
end

function Index:set_threads(threads)
    local h, message, code = live(self)
    if not h then return nil, message, code end
    threads, message, code = u32(threads, "threads")
    if not threads then return nil, message, code end
    local rc = C.vdb_set_threads(h, threads)
    if rc ~= 0 then return failure(rc) end
    return true
end

--- idx:set_disk_cache(bytes) -> true, or nil, message, code: keep up to bytes
--- (a number or uint64_t cdata) of node blocks of a vdb.open(path, {disk=true})
--- index in memory, top graph levels first; 0 empties it. VDB_EINVAL otherwise.
function Index:set_disk_cache(bytes)
    local h, message, code = live(self)
    if not h then return nil, message, code end
    bytes, message, code = one_id(bytes, "bytes")
    if not bytes then return nil, message, code end
    local rc = C.vdb_set_disk_cache(h, bytes)
    if rc ~= 0 then return failure(rc) end
    return true
end

--- idx:config() -> a table of the index's configuration; codes is "int8", "pq", or nil without codes
function Index:config()
    local h, message, code = live(self)
    if not h then return nil, message, code end
    local cfg = config_type()
    C.vdb_config_init(cfg, C.VDB_CONFIG_VERSION) -- vdb_get_config reads cfg.version first
    local rc = C.vdb_get_config(h, cfg)
    if rc ~= 0 then return failure(rc) end
    return {
        dim = cfg.dim, metric = metric_names[cfg.metric], m = cfg.m, ef_construction = cfg.ef_construction,
        ef_search = cfg.ef_search, threads = cfg.threads, seed = cfg.seed,
        codes = codes_names[tonumber(cfg.codes)], code_bytes = cfg.code_bytes, rerank = cfg.rerank,
    }
end

function Index:count()
    local h = self.handle
    return h ~= nil and tonumber(C.vdb_count(h)) or 0
end

function Index:dim()
    local h = self.handle
    return h ~= nil and tonumber(C.vdb_dim(h)) or 0
end

function Index:metric()
    local h = self.handle
    return h ~= nil and metric_names[tonumber(C.vdb_metric(h))] or nil
end

function Index:closed()
    return self.handle == nil
end

--- idx:close(): release now (the garbage collector does it otherwise). Twice is harmless.
function Index:close()
    local h = self.handle
    if h == nil then return end
    if reports_on(h) then
        error("vdb: a progress function must not close the index it reports on", 2)
    end
    self.handle = nil
    forget(h)
    C.vdb_close(h)
end

ffi.metatype("vdb_lua_index", {
    __index = Index,
    __len = function(self) return self:count() end,
    __gc = function(self) -- the finalizer: ffi.gc semantics for every vdb_lua_index
        local h = self.handle
        if h ~= nil then
            self.handle = nil
            forget(h)
            C.vdb_close(h)
        end
    end,
    __tostring = function(self)
        if self.handle == nil then return "vdb.Index(closed)" end
        return string.format("vdb.Index(dim=%d, metric=%s, count=%d)", self:dim(), self:metric(), self:count())
    end,
})

M.Index = Index
M.rows_of = rows_of

return M
