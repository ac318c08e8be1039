-- Finding and loading libvdb for the LuaJIT binding: the generated
-- declarations (vdb_cdef.lua, made by tools/gen_bindings.py from
-- include/vdb.h), the library that matches their version, and the names of
-- the header's enums. Every other module reaches C through this one.

local ffi = require("ffi")
local generated = require("vdb_cdef")

ffi.cdef(generated.cdef)

local M = {}

local function this_dir()
    local source = debug.getinfo(1, "S").source
    if source:sub(1, 1) == "@" then
        return (source:sub(2):match("^(.*)/[^/]*$")) or "."
    end
    return "."
end

-- The folder of vdb.lua, one above this file's (vdb/library.lua): the
-- repository root, whose build*/lib folders are searched, is two above it,
-- and library_path is spelled from it as it was when vdb.lua held this code.
local function binding_dir()
    local dir = this_dir()
    if dir == "vdb" then return "." end
    return dir:match("^(.*)/vdb$") or dir
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
    for _, dir in ipairs(build_dirs(binding_dir() .. "/../..")) do
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
M.generated = generated
M.library_path = library_path
M.soname = soname
M.version = ffi.string(C.vdb_version_string())
M.version_number = running

-- The names of an enum's constants, read from the generated cdef.
local function enum_names(enum)
    local body = generated.cdef:match("enum " .. enum .. "%s*{(.-)}")
    local names = {}
    for name in (body or ""):gmatch("([%a_][%w_]*)%s*=") do names[#names + 1] = name end
    return names
end
M.enum_names = enum_names

return M
