-- LuaJIT binding of libvdb: the idiomatic layer over the generated ffi.cdef
-- (vdb_cdef.lua, made by tools/gen_bindings.py from include/vdb.h).
--
-- Failures return nil, message, code: message is libvdb's detail
-- (vdb_last_error()), code the status name, e.g. "VDB_EDIM"; vdb.codes maps
-- names to the C values. See README.md.
--
-- This file assembles the module; the work is done under vdb/:
--   library.lua   finding and loading libvdb, the generated declarations
--   errors.lua    the nil, message, code convention and vdb.codes
--   args.lua      checking and converting arguments; vdb.to_table
--   config.lua    metric and codes names, the vdb_config of create/map_vectors
--   filter.lua    vdb.filter: allow-lists and Lua predicates
--   progress.lua  progress callbacks of add and build
--   index.lua     the Index methods
--   open.lua      vdb.create, vdb.open, vdb.map_vectors, vdb.verify

local library = require("vdb.library")
local errors = require("vdb.errors")
local args = require("vdb.args")
local filter = require("vdb.filter")
local index = require("vdb.index")
local open = require("vdb.open")

local M = {}

M.C = library.C
M.library_path = library.library_path
M.soname = library.soname
M.version = library.version
M.version_number = library.version_number
M.codes = errors.codes

M.filter = filter.filter
M.create = open.create
M.open = open.open
M.map_vectors = open.map_vectors
M.verify = open.verify
M.to_table = args.to_table

M.Index = index.Index
M.Filter = filter.Filter
return M
