-- Progress callbacks of add and build: the progress option, the one
-- callback that calls the Lua functions, and the record of which indexes
-- are reporting, so that a function cannot call into its own index.

local ffi = require("ffi")
local library = require("vdb.library")
local errors = require("vdb.errors")

local C = library.C
local refuse = errors.refuse

local M = {}

-- The running add/build calls with a progress function, by slot, as for
-- predicates: one callback serves them all, and the context pointer says
-- whose function it is. An error in the function must not unwind through
-- libvdb's frames: it is caught, recorded, and cancels the call, which then
-- returns it. `reporting` holds the handles of those calls (keyed by
-- address), so the function cannot call into its own index.
local reporters, next_reporter, reporting, reporting_calls = {}, 0, {}, 0
local progress_trampoline

local function handle_key(h) return tostring(ffi.cast("uintptr_t", h)) end

local function call_progress(done, total, ctx)
    local entry = reporters[tonumber(ffi.cast("intptr_t", ctx))]
    if entry == nil or entry.error ~= nil then return 1 end
    local ok, stop = pcall(entry.fn, tonumber(done), tonumber(total))
    if not ok then
        entry.error = stop
        return 1
    end
    return stop and 1 or 0
end

-- As search_calling_lua (filter.lua): C calls that may call back into Lua are never compiled.
local function add_calling_lua(h, ptr, n, ids) return C.vdb_add(h, ptr, n, ids) end
local function build_calling_lua(h, first, count) return C.vdb_build(h, first, count) end
jit.off(add_calling_lua)
jit.off(build_calling_lua)

-- The progress function of add/build options, or nil, message, code.
local function progress_option(opts, others)
    if opts == nil then return false end
    if type(opts) ~= "table" then return refuse("VDB_EINVAL", "options must be a table") end
    for key in pairs(opts) do
        if key ~= "progress" and not (others and others[key]) then
            local known = "progress"
            for other in pairs(others or {}) do known = known .. ", " .. other end
            return refuse("VDB_EINVAL", "unknown option '" .. tostring(key) .. "' (known: " .. known .. ")")
        end
    end
    local fn = opts.progress
    if fn ~= nil and type(fn) ~= "function" then
        return refuse("VDB_EINVAL", "progress must be a function(done, total) that returns true to stop")
    end
    return fn or false
end

-- call(...) with fn as h's vdb_set_progress callback for just that call;
-- the C code it returns, or nil, message, code for an error raised in fn.
local function with_progress(h, fn, call, ...)
    if not fn then return call(h, ...) end
    if progress_trampoline == nil then
        progress_trampoline = ffi.cast("int (*)(uint64_t, uint64_t, void *)", call_progress)
    end
    next_reporter = next_reporter + 1
    local slot, key = next_reporter, handle_key(h)
    local rc = C.vdb_set_progress(h, progress_trampoline, ffi.cast("void *", slot))
    if rc ~= 0 then return rc end
    local entry = { fn = fn }
    reporters[slot], reporting[key], reporting_calls = entry, true, reporting_calls + 1
    -- call cannot raise (the binding checked its arguments), so no pcall is needed to clear up.
    rc = call(h, ...)
    reporters[slot], reporting[key], reporting_calls = nil, nil, reporting_calls - 1
    C.vdb_set_progress(h, nil, nil)
    if entry.error ~= nil then
        if rc ~= 0 then return nil, tostring(entry.error), "VDB_ECANCELED" end
        -- The error came from the last report, whose answer is not asked:
        -- the call succeeded, so nil, message, code would lie; raise it.
        error(entry.error, 0)
    end
    return rc
end

-- Whether h is the index of a running add or build with a progress function.
local function reports_on(h)
    return reporting_calls > 0 and reporting[handle_key(h)]
end

M.add_calling_lua = add_calling_lua
M.build_calling_lua = build_calling_lua
M.progress_option = progress_option
M.with_progress = with_progress
M.reports_on = reports_on

return M
