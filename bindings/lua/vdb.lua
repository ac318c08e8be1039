-- LuaJIT binding of libvdb: the idiomatic layer over the generated ffi.cdef
-- (vdb_cdef.lua, made by tools/gen_bindings.py from include/vdb.h).
--
-- Failures return nil, message, code: message is libvdb's detail
-- (vdb_last_error()), code the status name, e.g. "VDB_EDIM"; vdb.codes maps
-- names to the C values. See README.md.
--
-- Filters: a Lua function given as a search filter is a LuaJIT callback, and
-- a callback may only run on the Lua thread that made it. vdb_search_filtered
-- on one query calls its filter on the calling thread; the batch calls call it
-- from the index's worker threads. So function filters are taken for
-- single-query searches only and refused for batches; allow-lists (tables of
-- ids, vdb.filter(ids)) work for both.

local ffi = require("ffi")
local generated = require("vdb_cdef")

ffi.cdef(generated.cdef)
-- The binding's own object: a handle that close() clears, so a closed index
-- is refused by every method instead of reaching C with a freed pointer.
ffi.cdef([[ typedef struct vdb_lua_index { vdb_index *handle; } vdb_lua_index; ]])
-- A filter: an allow-list (slot 0) or a Lua predicate (slot > 0, its key in
-- `predicates` below); count is the number of ids an allow-list was given.
ffi.cdef([[ typedef struct vdb_lua_filter { vdb_filter *handle; uint64_t count; int32_t slot; } vdb_lua_filter; ]])

local M = {}

-- Library lookup ------------------------------------------------------------

local function this_dir()
    local source = debug.getinfo(1, "S").source
    if source:sub(1, 1) == "@" then
        return (source:sub(2):match("^(.*)/[^/]*$")) or "."
    end
    return "."
end

local function build_dirs(root)
    local dirs = {}
    local listing = io.popen('ls -d "' .. root .. '"/build*/lib 2>/dev/null')
    if listing then
        for dir in listing:lines() do dirs[#dirs + 1] = dir end
        listing:close()
    end
    return dirs
end

-- A sanitizer build (-fsanitize=...) cannot be dlopen()ed into a plain
-- luajit: the ASan runtime aborts the process, beyond any pcall. Such a
-- library names its runtime among its DT_NEEDED strings.
local function sanitized(path)
    local f = io.open(path, "rb")
    if not f then return false end
    local bytes = f:read("*a") or ""
    f:close()
    return bytes:find("lib[ahlt]?[st]an%.so") ~= nil or bytes:find("libubsan%.so") ~= nil
end

-- The soname of the version the declarations were generated from: before 1.0
-- the ABI is tied to major.minor (libvdb.so.0.MINOR), from 1.0 to the major
-- (libvdb.so.MAJOR), as lib/CMakeLists.txt names the library.
local function soname_of(version)
    local major, minor = math.floor(version / 10000), math.floor(version / 100) % 100
    if major == 0 then return "libvdb.so.0." .. minor end
    return "libvdb.so." .. major
end
local soname = soname_of(generated.version)

-- VDB_LIBRARY, then the repository's build dirs (skipping sanitizer builds,
-- libraries that fail to load and other versions), then the system loader.
local function load_library()
    local tried = {}
    local function try(name, want_version)
        local ok, lib = pcall(ffi.load, name)
        if not ok then
            tried[#tried + 1] = name .. ": " .. tostring(lib)
            return nil
        end
        local version = tonumber(lib.vdb_version_number())
        if want_version and version ~= generated.version then
            tried[#tried + 1] = string.format("%s: version %d, not %d", name, version, generated.version)
            return nil
        end
        return lib
    end
    local explicit = os.getenv("VDB_LIBRARY")
    if explicit and explicit ~= "" then
        local lib = try(explicit, false)
        if lib then return lib, explicit end
        error("vdb: VDB_LIBRARY=" .. explicit .. " cannot be loaded: " .. tried[1], 0)
    end
    for _, dir in ipairs(build_dirs(this_dir() .. "/../..")) do
        for _, file in ipairs({ soname, "libvdb.so" }) do
            local path = dir .. "/" .. file
            local f = io.open(path, "rb")
            if f then
                f:close()
                if sanitized(path) then
                    tried[#tried + 1] = path .. ": a sanitizer build, skipped"
                    break
                end
                local lib = try(path, true)
                if lib then return lib, path end
            end
        end
    end
    for _, name in ipairs({ soname, "vdb" }) do
        local lib = try(name, true)
        if lib then return lib, name end
    end
    error("vdb: libvdb " .. generated.version_string .. " (" .. soname .. ") not found. Build it "
        .. "(cmake -B build -S . && cmake --build build) or set VDB_LIBRARY to the path of " .. soname
        .. ". Tried:\n  " .. table.concat(tried, "\n  "), 0)
end

local C, library_path = load_library()

local running = tonumber(C.vdb_version_number())
if running ~= generated.version then
    error(string.format("vdb: %s is version %d but these declarations are for %d; "
        .. "load a matching library or regenerate with tools/gen_bindings.py",
        library_path, running, generated.version), 0)
end

M.C = C
M.library_path = library_path
M.soname = soname
M.version = ffi.string(C.vdb_version_string())
M.version_number = running

-- Errors ----------------------------------------------------------------------

-- The names of an enum's constants, read from the generated cdef.
local function enum_names(enum)
    local body = generated.cdef:match("enum " .. enum .. "%s*{(.-)}")
    local names = {}
    for name in (body or ""):gmatch("([%a_][%w_]*)%s*=") do names[#names + 1] = name end
    return names
end

M.codes = {}
local code_names = {}
for _, name in ipairs(enum_names("vdb_status")) do
    M.codes[name] = tonumber(C[name])
    code_names[M.codes[name]] = name
end

-- nil, detail, name for a failed C call.
local function failure(rc)
    rc = tonumber(rc)
    return nil, ffi.string(C.vdb_last_error()), code_names[rc] or ("VDB_E" .. rc)
end

-- nil, message, name for a failure found by the binding itself.
local function refuse(name, message)
    return nil, message, name
end

-- "l2", "ip", "cosine": the VDB_METRIC_* names in lower case.
local metrics, metric_names = {}, {}
for _, name in ipairs(enum_names("vdb_metric")) do
    local short = name:gsub("^VDB_METRIC_", ""):lower()
    metrics[short] = tonumber(C[name])
    metric_names[metrics[short]] = short
end

-- "none", "int8", "pq": the VDB_CODES_* names in lower case. A config reports none as nil.
local codes_kinds, codes_names, codes_list = {}, {}, {}
for _, name in ipairs(enum_names("vdb_codes")) do
    local short = name:gsub("^VDB_CODES_", ""):lower()
    codes_kinds[short] = tonumber(C[name])
    if short ~= "none" then codes_names[codes_kinds[short]] = short end
    codes_list[#codes_list + 1] = '"' .. short .. '"'
end
codes_list = table.concat(codes_list, ", ")

-- Conversions -----------------------------------------------------------------

local float_array = ffi.typeof("float[?]")
local id_array = ffi.typeof("uint64_t[?]")
local count_array = ffi.typeof("uint32_t[?]")
local index_out = ffi.typeof("vdb_index *[1]")
local config_type = ffi.typeof("vdb_config")

local function is_integer(x, low, high)
    return type(x) == "number" and x == math.floor(x) and x >= low and x <= high
end

-- A cdata's element type name and, for an array, its length; nil for
-- anything that is not a pointer or an array.
local function cdata_shape(value)
    local ctype = tostring(ffi.typeof(value)):match("^ctype<(.*)>$") or ""
    ctype = ctype:gsub("^const ", "")
    local element, bracket = ctype:match("^(.-) %[(.*)%]$")
    if element then
        local size = ffi.sizeof(value)
        return element, size and size / ffi.sizeof(element) or nil
    end
    element = ctype:match("^(.-) %*$")
    if element then return (element:gsub("^const ", "")), nil end
    return nil
end

local element_names = {
    float = { float = true },
    uint64 = { uint64_t = true, ["unsigned long"] = true, ["unsigned long long"] = true },
}

-- floats: a flat table of numbers, a table of rows (tables), or float cdata.
-- rows: how many rows of dim a cdata pointer holds (ignored for tables).
-- Returns pointer, rows, anchor (keeps a converted buffer alive) or nil, msg, code.
local function float_rows(values, dim, rows, what)
    if type(values) == "table" then
        local flat = values
        if type(values[1]) == "table" then
            flat = {}
            for r = 1, #values do
                local row = values[r]
                if type(row) ~= "table" or #row ~= dim then
                    return refuse("VDB_EDIM", string.format("dimension mismatch: index has %d, %s row %d has %s",
                        dim, what, r, type(row) == "table" and tostring(#row) or type(row)))
                end
                for j = 1, dim do flat[#flat + 1] = row[j] end
            end
        end
        local n = #flat
        if n == 0 or n % dim ~= 0 then
            return refuse("VDB_EDIM", string.format("dimension mismatch: index has %d, %s has %d numbers (not whole rows)",
                dim, what, n))
        end
        local buffer = float_array(n)
        for i = 1, n do
            local x = flat[i]
            if type(x) ~= "number" then
                return refuse("VDB_EINVAL", string.format("%s element %d is a %s, not a number", what, i, type(x)))
            end
            buffer[i - 1] = x
        end
        return buffer, n / dim, buffer
    elseif type(values) == "cdata" then
        local element, length = cdata_shape(values)
        if not element_names.float[element] then
            return refuse("VDB_EINVAL", string.format("%s must hold float (float[n] or float *), not %s", what,
                tostring(ffi.typeof(values))))
        end
        if length then
            if length == 0 or length % dim ~= 0 then
                return refuse("VDB_EDIM", string.format(
                    "dimension mismatch: index has %d, %s has %d floats (not whole rows)", dim, what, length))
            end
            if rows and rows * dim > length then
                return refuse("VDB_ERANGE", string.format("%d rows asked of a %s of %d floats", rows, what, length))
            end
            return ffi.cast("const float *", values), rows or length / dim, values
        end
        if not is_integer(rows, 1, 2 ^ 53) then
            return refuse("VDB_EINVAL", what .. " is a pointer: pass the number of rows too")
        end
        return ffi.cast("const float *", values), rows, values
    end
    return refuse("VDB_EINVAL", string.format("%s must be a table of numbers or float cdata, not a %s", what, type(values)))
end

local function id_buffer(ids, n)
    if ids == nil then return nil end
    if type(ids) == "table" then
        if #ids ~= n then
            return refuse("VDB_EINVAL", string.format("%d ids given for %d vectors", #ids, n))
        end
        local buffer = id_array(n)
        for i = 1, n do
            local id = ids[i]
            if type(id) == "cdata" then
                buffer[i - 1] = id
            elseif is_integer(id, 0, 2 ^ 53) then
                buffer[i - 1] = id
            else
                return refuse("VDB_EINVAL", string.format("id %d is not an integer in 0..2^53 (use 123ULL cdata beyond)", i))
            end
        end
        return buffer
    elseif type(ids) == "cdata" then
        local element, length = cdata_shape(ids)
        if not element_names.uint64[element] then
            return refuse("VDB_EINVAL", "ids must hold uint64_t (uint64_t[n] or uint64_t *), not " .. tostring(ffi.typeof(ids)))
        end
        if length and length < n then
            return refuse("VDB_EINVAL", string.format("%d ids given for %d vectors", length, n))
        end
        return ffi.cast("const uint64_t *", ids)
    end
    return refuse("VDB_EINVAL", "ids must be nil, a table or uint64_t cdata, not a " .. type(ids))
end

-- One id: a number (an integer in 0..2^53) or a uint64_t / non-negative
-- int64_t scalar cdata. Returns the id or nil, message, code.
local function one_id(id, what)
    if is_integer(id, 0, 2 ^ 53) then return id end
    if type(id) == "cdata" and (ffi.istype("uint64_t", id) or (ffi.istype("int64_t", id) and id >= 0)) then
        return id
    end
    return refuse("VDB_EINVAL", string.format("%s must be an integer in 0..2^53 or uint64_t cdata (123ULL), not %s",
        what, type(id) == "number" and tostring(id) or type(id)))
end

-- A list of ids of any length: one id, a table of ids, a uint64_t[n] array
-- (n given: its first n), or a uint64_t pointer with n.
-- Returns pointer, count, anchor or nil, message, code.
local function id_list(ids, n, what)
    if type(ids) == "number" or (type(ids) == "cdata" and cdata_shape(ids) == nil) then
        local id, message, code = one_id(ids, what)
        if id == nil then return nil, message, code end
        local buffer = id_array(1, { id })
        return buffer, 1, buffer
    elseif type(ids) == "table" then
        local count = #ids
        local buffer = id_array(math.max(count, 1))
        for i = 1, count do
            local id, message, code = one_id(ids[i], string.format("%s[%d]", what, i))
            if id == nil then return nil, message, code end
            buffer[i - 1] = id
        end
        return buffer, count, buffer
    elseif type(ids) == "cdata" then
        local element, length = cdata_shape(ids)
        if not element_names.uint64[element] then
            return refuse("VDB_EINVAL", string.format("%s must hold uint64_t (uint64_t[n] or uint64_t *), not %s",
                what, tostring(ffi.typeof(ids))))
        end
        if n ~= nil and not is_integer(n, 0, 2 ^ 53) then
            return refuse("VDB_EINVAL", "the id count must be an integer >= 0")
        end
        if length == nil and n == nil then
            return refuse("VDB_EINVAL", what .. " is a pointer: pass the number of ids too")
        end
        if length and n and n > length then
            return refuse("VDB_ERANGE", string.format("%d ids asked of an array of %d", n, length))
        end
        return ffi.cast("const uint64_t *", ids), n or length, ids
    end
    return refuse("VDB_EINVAL", string.format("%s must be an id, a table of ids or uint64_t cdata, not a %s",
        what, type(ids)))
end

local function u32(value, name, low)
    if value == nil then return 0 end
    if not is_integer(value, low or 0, 4294967295) then
        return refuse("VDB_EINVAL", string.format("%s must be an integer in %d..4294967295", name, low or 0))
    end
    return value
end

-- A vdb_config from create{}/map_vectors{} options.
local function make_config(opts, dim_required)
    if type(opts) ~= "table" then return refuse("VDB_EINVAL", "options must be a table") end
    local cfg = config_type()
    C.vdb_config_init(cfg, C.VDB_CONFIG_VERSION)
    if dim_required or opts.dim ~= nil then
        if not is_integer(opts.dim, 0, 4294967295) then
            return refuse("VDB_EINVAL", "dim must be an integer in 1..65536")
        end
        cfg.dim = opts.dim
    end
    if opts.metric ~= nil then
        local metric = metrics[opts.metric]
        if metric == nil then
            return refuse("VDB_EINVAL", "metric must be \"l2\", \"ip\" or \"cosine\", not " .. tostring(opts.metric))
        end
        cfg.metric = metric
    end
    if opts.codes ~= nil then
        local kind = codes_kinds[opts.codes]
        if kind == nil and type(opts.codes) == "number" and (opts.codes == codes_kinds.none or codes_names[opts.codes]) then
            kind = opts.codes
        end
        if kind == nil then
            local given = type(opts.codes) == "string" and ('"' .. opts.codes .. '"') or tostring(opts.codes)
            return refuse("VDB_EINVAL", "codes must be one of " .. codes_list .. ", not " .. given)
        end
        cfg.codes = kind
    end
    for _, field in ipairs({ "m", "ef_construction", "ef_search", "threads", "code_bytes", "rerank" }) do
        if opts[field] ~= nil then
            local value, message, code = u32(opts[field], field)
            if value == nil then return nil, message, code end
            cfg[field] = value
        end
    end
    if opts.seed ~= nil then
        if type(opts.seed) == "cdata" then
            cfg.seed = opts.seed
        elseif is_integer(opts.seed, 0, 2 ^ 53) then
            cfg.seed = opts.seed
        else
            return refuse("VDB_EINVAL", "seed must be an integer >= 0")
        end
    end
    return cfg
end

-- Filters ---------------------------------------------------------------------

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

-- Index -----------------------------------------------------------------------

local Index = {}
Index.__index = Index

-- Row counts of mapped vector files, by handle address (a cdata struct has no
-- room for them); dropped when the index is closed or collected.
local rows_of = {}
local function forget(h) rows_of[tostring(ffi.cast("uintptr_t", h))] = nil end

-- Progress callbacks ---------------------------------------------------------------

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

-- As search_calling_lua: C calls that may call back into Lua are never compiled.
local function add_calling_lua(h, ptr, n, ids) return C.vdb_add(h, ptr, n, ids) end
local function build_calling_lua(h, first, count) return C.vdb_build(h, first, count) end
jit.off(add_calling_lua)
jit.off(build_calling_lua)

-- The progress function of add/build options, or nil, message, code.
local function progress_option(opts)
    if opts == nil then return false end
    if type(opts) ~= "table" then return refuse("VDB_EINVAL", "options must be a table") end
    for key in pairs(opts) do
        if key ~= "progress" then return refuse("VDB_EINVAL", "unknown option '" .. tostring(key) .. "' (known: progress)") end
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

local function live(self)
    local h = self.handle
    if h == nil then return refuse("VDB_EINVAL", "the index is closed") end
    if reporting_calls > 0 and reporting[handle_key(h)] then
        return refuse("VDB_EINVAL", "a progress function must not use the index it reports on")
    end
    return h
end

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

-- The first key of opts that is not in known, or nil.
local function unknown_key(opts, known)
    for key in pairs(opts) do
        if not known[key] then return tostring(key) end
    end
    return nil
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

--- vdb.to_table(cdata, n) -> a Lua table of n numbers. uint64_t values above
--- 2^53 stay uint64_t cdata (a Lua number cannot hold them exactly).
function M.to_table(values, n)
    local t = {}
    if values == nil then return t end
    if n == nil then
        local _, length = cdata_shape(values)
        n = length or error("vdb.to_table: pass n for a pointer", 2)
    end
    local is64 = ffi.istype("uint64_t", values[0]) or ffi.istype("int64_t", values[0])
    for i = 0, n - 1 do
        local v = values[i]
        if is64 then
            if v <= 9007199254740992ULL then v = tonumber(v) end
        else
            v = tonumber(v)
        end
        t[i + 1] = v
    end
    return t
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

--- idx:build(first, count): link rows [first, first+count) of a mapped vector
--- file; first defaults to 0, count to the rest of the file. opts as in add.
function Index:build(first, count, opts)
    local h, message, code = live(self)
    if not h then return nil, message, code end
    local fn
    fn, message, code = progress_option(opts)
    if fn == nil then return nil, message, code end
    first = first or 0
    if count == nil and is_integer(first, 0, 2 ^ 53) then count = math.max(0, (self:rows() or 0) - first) end
    if not is_integer(first, 0, 2 ^ 53) or not is_integer(count, 0, 2 ^ 53) then
        return refuse("VDB_EINVAL", "first and count must be integers >= 0")
    end
    local rc
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
    if reporting_calls > 0 and reporting[handle_key(h)] then
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
M.Filter = Filter
return M
