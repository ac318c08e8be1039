-- Checking and converting the arguments Lua code passes: float rows, ids
-- and id lists (tables or cdata) into C buffers, 32-bit counts, option
-- tables; and C arrays back into Lua tables (vdb.to_table). A failed check
-- returns nil, message, code.

local ffi = require("ffi")
local errors = require("vdb.errors")

local refuse = errors.refuse

local M = {}

local float_array = ffi.typeof("float[?]")
local id_array = ffi.typeof("uint64_t[?]")
local count_array = ffi.typeof("uint32_t[?]")

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

-- The first key of opts that is not in known, or nil.
local function unknown_key(opts, known)
    for key in pairs(opts) do
        if not known[key] then return tostring(key) end
    end
    return nil
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

M.float_array = float_array
M.id_array = id_array
M.count_array = count_array
M.is_integer = is_integer
M.cdata_shape = cdata_shape
M.element_names = element_names
M.float_rows = float_rows
M.id_buffer = id_buffer
M.one_id = one_id
M.id_list = id_list
M.u32 = u32
M.unknown_key = unknown_key

return M
