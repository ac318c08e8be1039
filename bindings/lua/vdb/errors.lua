-- The binding's error convention: failures return nil, message, code,
-- where code is the status name ("VDB_EDIM") and codes maps the names to
-- the C values.

local ffi = require("ffi")
local library = require("vdb.library")

local C = library.C
local enum_names = library.enum_names

local M = {}

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

M.code_names = code_names
M.failure = failure
M.refuse = refuse

return M
