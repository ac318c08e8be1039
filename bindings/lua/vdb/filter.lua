-- Search filters: allow-lists (vdb.filter(ids)) and Lua predicates
-- (vdb.filter(fn)), the one callback that calls the predicates, and the
-- vdb_filter a search's filter option stands for.
--
-- Filters: a Lua function given as a search filter is a LuaJIT callback, and
-- a callback may only run on the Lua thread that made it. vdb_search_filtered
-- on one query calls its filter on the calling thread; the batch calls call it
-- from the index's worker threads. So function filters are taken for
-- single-query searches only and refused for batches; allow-lists (tables of
-- ids, vdb.filter(ids)) work for both.

local ffi = require("ffi")
local library = require("vdb.library")
local errors = require("vdb.errors")
local args = require("vdb.args")

local C = library.C
local failure, refuse = errors.failure, errors.refuse
local id_list = args.id_list

-- A filter: an allow-list (slot 0) or a Lua predicate (slot > 0, its key in
-- `predicates` below); count is the number of ids an allow-list was given.
ffi.cdef([[ typedef struct vdb_lua_filter { vdb_filter *handle; uint64_t count; int32_t slot; } vdb_lua_filter; ]])

local M = {}

local filter_type = ffi.typeof("vdb_lua_filter")
local filter_out = ffi.typeof("vdb_filter *[1]")

-- Lua predicates by slot. One callback, made on first use, serves them all:
-- LuaJIT has few callback slots, and the ctx pointer C hands back says
-- whose predicate it is. An error in a predicate must not unwind through
-- libvdb's frames, so it is caught, recorded in the entry, and every later
-- id of that search is refused; the search then reports it.
local predicates, next_slot = {}, 0
local trampoline

local function call_predicate(id, ctx)
    local entry = predicates[tonumber(ffi.cast("intptr_t", ctx))]
    if entry == nil or entry.error ~= nil then return 0 end
    if id <= 9007199254740992ULL then id = tonumber(id) end
    local ok, allowed = pcall(entry.fn, id)
    if not ok then
        entry.error = allowed
        return 0
    end
    return allowed and 1 or 0
end

-- A C call that may call back into Lua must not be made from a compiled
-- trace ("bad callback"), so this one is never compiled.
local function search_calling_lua(h, query, k, ef, filter, ids, distances, found)
    return C.vdb_search_filtered(h, query, k, ef, filter, ids, distances, found)
end
jit.off(search_calling_lua)

local function release_filter(f)
    local h = f.handle
    if h ~= nil then
        f.handle = nil
        C.vdb_filter_close(h)
    end
    if f.slot ~= 0 then
        predicates[f.slot] = nil
        f.slot = 0
    end
end

local Filter = {}
Filter.__index = Filter

--- vdb.filter(ids, n) -> an allow-list: one id, a table of ids, or uint64_t
--- cdata (n needed for a pointer). vdb.filter(fn) -> a predicate: fn(id) is
--- truthy for the ids a search may return (single-query searches only).
--- The filter copies the ids; it is released by close() or the collector.
function M.filter(spec, n)
    local out = filter_out()
    if type(spec) == "function" then
        if trampoline == nil then trampoline = ffi.cast("int (*)(uint64_t, void *)", call_predicate) end
        next_slot = next_slot + 1
        local rc = C.vdb_filter_from_fn(out, trampoline, ffi.cast("void *", next_slot))
        if rc ~= 0 then return failure(rc) end
        predicates[next_slot] = { fn = spec }
        return ffi.gc(filter_type(out[0], 0, next_slot), release_filter)
    end
    local ptr, count, anchor = id_list(spec, n, "filter ids")
    if not ptr then return nil, count, anchor end
    local rc = C.vdb_filter_create(out, ptr, count)
    local _ = anchor
    if rc ~= 0 then return failure(rc) end
    return ffi.gc(filter_type(out[0], count, 0), release_filter)
end

--- filter:close(): release now (the garbage collector does it otherwise). Twice is harmless.
function Filter:close()
    ffi.gc(self, nil)
    release_filter(self)
end

function Filter:closed()
    return self.handle == nil
end

--- filter:is_function() -> true for a Lua predicate, false for an allow-list
function Filter:is_function()
    return self.slot ~= 0
end

ffi.metatype("vdb_lua_filter", {
    __index = Filter,
    __tostring = function(self)
        if self.handle == nil then return "vdb.filter(closed)" end
        if self.slot ~= 0 then return "vdb.filter(function)" end
        return string.format("vdb.filter(%d id%s)", tonumber(self.count), self.count == 1 and "" or "s")
    end,
})

-- The vdb_filter for a search's filter option, and the predicate entry when
-- Lua code is called back; temporary is a filter to close after the search.
-- Returns handle, entry, temporary or nil, message, code.
local function search_filter(spec)
    local f = spec
    local temporary = nil
    if not ffi.istype(filter_type, spec) then
        local message, code
        f, message, code = M.filter(spec)
        if not f then return nil, message, code end
        temporary = f
    end
    if f.handle == nil then return refuse("VDB_EINVAL", "the filter is closed") end
    local entry = f.slot ~= 0 and predicates[f.slot] or false
    return f.handle, entry, temporary
end

local function is_function_filter(spec)
    return type(spec) == "function" or (ffi.istype(filter_type, spec) and spec.slot ~= 0)
end

M.Filter = Filter
M.search_calling_lua = search_calling_lua
M.search_filter = search_filter
M.is_function_filter = is_function_filter

return M
