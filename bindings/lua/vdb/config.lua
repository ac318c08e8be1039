-- Index configuration: the metric and codes names ("l2", "int8", ...) and
-- their C values, and the vdb_config that create{} and map_vectors{}
-- options make.

local ffi = require("ffi")
local library = require("vdb.library")
local errors = require("vdb.errors")
local args = require("vdb.args")

local C = library.C
local enum_names = library.enum_names
local refuse = errors.refuse
local is_integer, u32 = args.is_integer, args.u32

local M = {}

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

local config_type = ffi.typeof("vdb_config")

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

M.metric_names = metric_names
M.codes_names = codes_names
M.config_type = config_type
M.make_config = make_config

return M
