-- LuaJIT binding of libvdb: the idiomatic layer over the generated ffi.cdef
-- (vdb_cdef.lua, made by tools/gen_bindings.py from include/vdb.h).
--
-- Failures return nil, message, code: message is libvdb's detail
-- (vdb_last_error()), code the status name, e.g. "VDB_EDIM"; vdb.codes maps
-- names to the C values. See README.md.

local ffi = require("ffi")
local generated = require("vdb_cdef")

ffi.cdef(generated.cdef)
-- The binding's own object: a handle that close() clears, so a closed index
-- is refused by every method instead of reaching C with a freed pointer.
ffi.cdef([[ typedef struct vdb_lua_index { vdb_index *handle; } vdb_lua_index; ]])

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
        local path = dir .. "/libvdb.so.0.1"
        local f = io.open(path, "rb")
        if f then
            f:close()
            if sanitized(path) then
                tried[#tried + 1] = path .. ": a sanitizer build, skipped"
            else
                local lib = try(path, true)
                if lib then return lib, path end
            end
        end
    end
    for _, name in ipairs({ "vdb", "libvdb.so.0.1" }) do
        local lib = try(name, false)
        if lib then return lib, name end
    end
    error("vdb: libvdb not found. Build it (cmake -B build -S . && cmake --build build) or set VDB_LIBRARY "
        .. "to the path of libvdb.so. Tried:\n  " .. table.concat(tried, "\n  "), 0)
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
    C.vdb_config_init(cfg)
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
    for _, field in ipairs({ "m", "ef_construction", "ef_search", "threads" }) do
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

-- Index -----------------------------------------------------------------------

local Index = {}
Index.__index = Index

-- Row counts of mapped vector files, by handle address (a cdata struct has no
-- room for them); dropped when the index is closed or collected.
local rows_of = {}
local function forget(h) rows_of[tostring(ffi.cast("uintptr_t", h))] = nil end

local function live(self)
    local h = self.handle
    if h == nil then return refuse("VDB_EINVAL", "the index is closed") end
    return h
end

local function wrap(rc, out)
    if rc ~= 0 then return failure(rc) end
    return ffi.new("vdb_lua_index", out[0])
end

--- vdb.create{dim=..., metric="l2", m=16, ef_construction=200, ef_search=64, threads=0, seed=42}
function M.create(opts)
    local cfg, message, code = make_config(opts, true)
    if not cfg then return nil, message, code end
    local out = index_out()
    return wrap(C.vdb_create(out, cfg), out)
end

--- vdb.open(path, {verify=false, populate=false}) -> a read-only index
function M.open(path, opts)
    if type(path) ~= "string" then return refuse("VDB_EINVAL", "path must be a string") end
    local flags = 0
    if opts ~= nil then
        if type(opts) ~= "table" then return refuse("VDB_EINVAL", "options must be a table") end
        if opts.verify then flags = flags + C.VDB_OPEN_VERIFY end
        if opts.populate then flags = flags + C.VDB_OPEN_POPULATE end
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

--- idx:add(vectors, ids, rows) -> true, or nil, message, code.
--- vectors: a flat table, a table of rows, or float cdata (rows needed for a pointer);
--- ids: nil (the next row numbers), a table, or uint64_t cdata.
function Index:add(vectors, ids, rows)
    local h, message, code = live(self)
    if not h then return nil, message, code end
    local ptr, n, anchor = float_rows(vectors, tonumber(C.vdb_dim(h)), rows, "vectors")
    if not ptr then return nil, n, anchor end
    local idbuf
    idbuf, message, code = id_buffer(ids, n)
    if ids ~= nil and not idbuf then return nil, message, code end
    local rc = C.vdb_add(h, ptr, n, idbuf)
    local _ = anchor
    if rc ~= 0 then return failure(rc) end
    return true
end

--- idx:rows() -> rows in the vector file of an index from map_vectors, or nil
function Index:rows()
    local h = self.handle
    return h ~= nil and rows_of[tostring(ffi.cast("uintptr_t", h))] or nil
end

--- idx:build(first, count): link rows [first, first+count) of a mapped vector
--- file; first defaults to 0, count to the rest of the file.
function Index:build(first, count)
    local h, message, code = live(self)
    if not h then return nil, message, code end
    first = first or 0
    if count == nil and is_integer(first, 0, 2 ^ 53) then count = math.max(0, (self:rows() or 0) - first) end
    if not is_integer(first, 0, 2 ^ 53) or not is_integer(count, 0, 2 ^ 53) then
        return refuse("VDB_EINVAL", "first and count must be integers >= 0")
    end
    local rc = C.vdb_build(h, first, count)
    if rc ~= 0 then return failure(rc) end
    return true
end

--- idx:search(query, k, ef) -> ids (uint64_t[k]), distances (float[k]), found.
--- A query of several rows (a multiple of dim numbers, or a table of rows)
--- is a batch: ids and distances hold nq*k entries, query after query, and
--- found is a uint32_t[nq] array. Slots past found hold 2^64-1 and +inf.
function Index:search(query, k, ef, rows)
    local h, message, code = live(self)
    if not h then return nil, message, code end
    local dim = tonumber(C.vdb_dim(h))
    if rows == nil and type(query) == "cdata" and select(2, cdata_shape(query)) == nil then rows = 1 end
    local ptr, nq, anchor = float_rows(query, dim, rows, "query")
    if not ptr then return nil, nq, anchor end
    if not is_integer(k, 0, 4294967295) then return refuse("VDB_EINVAL", "k must be an integer >= 1") end
    ef, message, code = u32(ef, "ef")
    if not ef then return nil, message, code end
    local ids, distances = id_array(math.max(nq * k, 1)), float_array(math.max(nq * k, 1))
    local rc, found
    if nq == 1 then
        found = count_array(1)
        rc = C.vdb_search(h, ptr, k, ef, ids, distances, found)
        found = tonumber(found[0])
    else
        found = count_array(nq)
        rc = C.vdb_search_batch(h, ptr, nq, k, ef, ids, distances, found)
    end
    local _ = anchor
    if rc ~= 0 then return failure(rc) end
    return ids, distances, found
end

--- idx:save(path) -> true, or nil, message, code
function Index:save(path)
    local h, message, code = live(self)
    if not h then return nil, message, code end
    if type(path) ~= "string" then return refuse("VDB_EINVAL", "path must be a string") end
    local rc = C.vdb_save(h, path)
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

--- idx:config() -> a table of the index's configuration
function Index:config()
    local h, message, code = live(self)
    if not h then return nil, message, code end
    local cfg = config_type()
    local rc = C.vdb_get_config(h, cfg)
    if rc ~= 0 then return failure(rc) end
    return {
        dim = cfg.dim, metric = metric_names[cfg.metric], m = cfg.m, ef_construction = cfg.ef_construction,
        ef_search = cfg.ef_search, threads = cfg.threads, seed = cfg.seed,
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
return M
