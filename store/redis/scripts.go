package redisstore

import "github.com/redis/go-redis/v9"

// Every write is one Lua script: Redis runs a script alone, so a script is
// the unit of atomicity of this store (docs/stores.md). Scripts only
// touch keys they are given in KEYS, so they also run on a Redis Cluster
// when every key shares one hash slot (a prefix with a hash tag, see
// [WithPrefix]).
//
// Times travel as decimal strings of Unix microseconds ("" for the zero
// time). Lua numbers are doubles: microseconds of the present (~1.8e15) are
// exact below 2^53, and every number handed back to Redis goes through
// fmtint, because Lua's own number-to-string conversion keeps only 14
// significant digits.

// prelude holds the helpers every script shares.
const prelude = `
local function fmtint(x)
  return string.format('%d', x)
end

local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- expire_row sets the TTL of a row: it lives until keep after its expiry,
-- and until keep after its revocation when that comes first. Both are
-- counted from the server's clock at the latest, so a row written with a
-- time in the past is still readable for keep (the issuer judges it).
local function expire_row(key, ea, rv, keep)
  local now = now_us()
  local e = tonumber(ea)
  if e == nil or e < now then e = now end
  e = e + keep
  if rv ~= nil and rv ~= '' then
    local r = tonumber(rv)
    if r < now then r = now end
    r = r + keep
    if r < e then e = r end
  end
  redis.call('PEXPIREAT', key, fmtint(math.floor(e / 1000)))
end
`

// rowFields is the order in which scripts and Get read a row; decodeRow
// reads the same order.
const rowFieldsLua = `'sub', 'ca', 'ra', 'ea', 'rv', 'ua', 'ip', 'lb', 'pl', 'rf', 'v'`

var rowFields = []string{"sub", "ca", "ra", "ea", "rv", "ua", "ip", "lb", "pl", "rf", "v"}

// createScript writes a new row and its subject index entry.
//
//	KEYS: row, subject index
//	ARGV: sub ca ra ea rv ua ip lb pl rf handle keep_us
//	returns 1, or 0 when a row with this handle exists
var createScript = redis.NewScript(prelude + `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'sub', ARGV[1], 'ca', ARGV[2], 'ra', ARGV[3], 'ea', ARGV[4],
  'rv', ARGV[5], 'ua', ARGV[6], 'ip', ARGV[7], 'lb', ARGV[8], 'pl', ARGV[9], 'rf', ARGV[10], 'v', '1')
expire_row(KEYS[1], ARGV[4], ARGV[5], tonumber(ARGV[12]))
local score = ARGV[2]
if score == '' then score = '0' end
redis.call('ZADD', KEYS[2], score, ARGV[11])
return 1
`)

// swapScript is the compare-and-swap of refresh rotation.
//
//	KEYS: row
//	ARGV: version new_version rf ra ea keep_us
//	returns {0} when there is no row, else {swapped (0|1), row fields...}
var swapScript = redis.NewScript(prelude + `
local cur = redis.call('HMGET', KEYS[1], 'v', 'rv')
if not cur[1] then return {0} end
local ok = 0
if cur[1] == ARGV[1] and cur[2] == '' then
  redis.call('HSET', KEYS[1], 'rf', ARGV[3], 'ra', ARGV[4], 'ea', ARGV[5], 'v', ARGV[2])
  expire_row(KEYS[1], ARGV[5], '', tonumber(ARGV[6]))
  ok = 1
end
local row = redis.call('HMGET', KEYS[1], ` + rowFieldsLua + `)
table.insert(row, 1, ok)
return row
`)

// setPayloadScript replaces the payload of a live row.
//
//	KEYS: row
//	ARGV: payload
//	returns 1 when the row exists and is not revoked, else 0
var setPayloadScript = redis.NewScript(`
local rv = redis.call('HGET', KEYS[1], 'rv')
if rv ~= '' then return 0 end
redis.call('HSET', KEYS[1], 'pl', ARGV[1])
return 1
`)

// revokeScript revokes a batch of rows, records each revocation in the feed
// and publishes it.
//
//	KEYS: feed, subject index or the feed again (when no subject), rows...
//	ARGV: at_us keep_us channel subject ('' = any) check_expiry (0|1) handles...
//	returns the handles it revoked
//
// The feed is trimmed to the entries at most keep older than at, and
// expires when nothing was revoked for twice keep. With a subject, a row
// of another subject is skipped, and revoked rows and
// rows whose index entry has no row any more leave the subject index.
var revokeScript = redis.NewScript(prelude + `
local at, keep, channel, subject = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local atn = tonumber(at)
local out = {}
for i = 3, #KEYS do
  local h = ARGV[i + 3]
  local r = redis.call('HMGET', KEYS[i], 'sub', 'ea', 'rv')
  if not r[1] then
    if subject ~= '' then redis.call('ZREM', KEYS[2], h) end
  elseif r[3] == '' and (subject == '' or r[1] == subject) then
    local e = tonumber(r[2])
    if ARGV[5] == '0' or (e ~= nil and e > atn) then
      redis.call('HSET', KEYS[i], 'rv', at)
      expire_row(KEYS[i], r[2], at, keep)
      redis.call('ZADD', KEYS[1], at, h)
      redis.call('PUBLISH', channel, at .. ' ' .. h)
      if subject ~= '' then redis.call('ZREM', KEYS[2], h) end
      out[#out + 1] = h
    end
  end
end
if #out > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. fmtint(atn - keep))
  -- A feed without new revocations for a retention is all stale: let it go.
  redis.call('PEXPIRE', KEYS[1], fmtint(math.floor(keep / 1000) * 2))
end
return out
`)

// swapKeysScript is the compare-and-swap of the key ring.
//
//	KEYS: keys
//	ARGV: version new_version blob
//	returns 1 when it stored blob, else 0
var swapKeysScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v then v = '0' end
if v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'blob', ARGV[3])
return 1
`)
