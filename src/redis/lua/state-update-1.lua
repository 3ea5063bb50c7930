--[[
  Replaces top-level fields of an engine state entry (a JSON object), only if it exists: one
  atomic step instead of a read and a write (EngineState.update).
  KEYS[1] the state entry
  ARGV[1] TTL in ms ('0': keep the entry's TTL)
  ARGV[2], ARGV[3], ...: pairs of a field name and its new value, both JSON-encoded by the caller
  Returns 1 updated, 0 no such entry; an error reply if the entry is not a JSON object.

  The value is spliced as text, never decoded and re-encoded: Redis's cjson would turn an empty
  array into {} and round large numbers. A field is found by its name exactly as JSON.stringify
  writes it (the entries are written by JSON.stringify too); a missing field is appended.
]]
local s = redis.call('GET', KEYS[1])
if not s then return 0 end

-- Index of the quote closing the string that opens at i.
local function string_end(i)
  local j = i + 1
  while true do
    local q = string.find(s, '["\\]', j)
    if not q then return nil end
    if string.byte(s, q) == 92 then j = q + 2 else return q end
  end
end

-- Index of the last character of the value that starts at i.
local function value_end(i)
  local c = string.byte(s, i)
  if c == 34 then return string_end(i) end
  if c == 123 or c == 91 then
    local depth = 0
    local j = i
    while true do
      local p = string.find(s, '["{}%[%]]', j)
      if not p then return nil end
      local b = string.byte(s, p)
      if b == 34 then
        p = string_end(p)
        if not p then return nil end
      elseif b == 123 or b == 91 then
        depth = depth + 1
      else
        depth = depth - 1
        if depth == 0 then return p end
      end
      j = p + 1
    end
  end
  local p = string.find(s, '[,}%]%s]', i)
  if not p then return nil end
  return p - 1
end

-- Start and end of the value of top-level field `name`; or nil and the index of the closing
-- brace and whether the object has fields; false when s is not an object.
local function locate(name)
  local open = string.find(s, '^%s*{')
  if not open then return false end
  local i = string.find(s, '{', open, true)
  local any = false
  while true do
    local k = string.find(s, '[^%s]', i + 1)
    if not k then return false end
    local c = string.byte(s, k)
    if c == 125 then return nil, k, any end
    if c == 44 then
      k = string.find(s, '[^%s]', k + 1)
      if not k then return false end
    end
    if string.byte(s, k) ~= 34 then return false end
    local key_end = string_end(k)
    if not key_end then return false end
    local colon = string.find(s, '^%s*:', key_end + 1)
    if not colon then return false end
    local v = string.find(s, '[^%s]', string.find(s, ':', colon, true) + 1)
    if not v then return false end
    local v_end = value_end(v)
    if not v_end then return false end
    if string.sub(s, k, key_end) == name then return v, v_end end
    any = true
    i = v_end
  end
end

for a = 2, #ARGV, 2 do
  local name, value = ARGV[a], ARGV[a + 1]
  local v, v_end, any = locate(name)
  if v == false then return redis.error_reply('engine state entry is not a JSON object') end
  if v then
    s = string.sub(s, 1, v - 1) .. value .. string.sub(s, v_end + 1)
  else
    local close = v_end
    s = string.sub(s, 1, close - 1) .. (any and ',' or '') .. name .. ':' .. value .. string.sub(s, close)
  end
end

local ttl = tonumber(ARGV[1])
if ttl > 0 then
  redis.call('SET', KEYS[1], s, 'PX', ttl)
else
  redis.call('SET', KEYS[1], s, 'KEEPTTL')
end
return 1
