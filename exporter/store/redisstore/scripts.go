package redisstore

import "github.com/redis/go-redis/v9"

// The scripts below are the state machine of session.State, written in Lua so that
// Redis runs each batch as one atomic step: two replicas applying changes at once
// never interleave, so no session is started or ended twice and no count goes
// negative. They take the keys in the order of keyNames.
//
// Times are unix nanoseconds written as 19-digit decimal strings (zero-padded).
// Lua numbers are doubles and cannot hold them exactly, so the scripts compare
// them as strings (equal widths compare like numbers) and use them as numbers only
// for sorted-set scores, where rounding merely widens a range that is then checked
// exactly.
//
// A session is stored as "<started> <stations> <location>": the location comes
// last, so it may hold any byte. What a session with an API key has besides (its
// phase, whether its start is counted, its schedule and lookup) is a JSON object in
// session_schedule, absent for a session without: so keys of schema 1 read as
// what they were, sessions without a schedule whose start was counted.

// scriptPrelude declares the keys and helpers both writing scripts use.
const scriptPrelude = `
local kSchema, kSessions, kStarted, kTombs, kTombUntil, kActive, kStations, kLast, kForgotten =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local kExtra, kBooked, kDue, kLookups = KEYS[10], KEYS[11], KEYS[12], KEYS[13]

local schema = redis.call('GET', kSchema)
if (not schema) or schema == '1' then
  -- Schema 1 differs only by lacking the keys of schedules: it is read as is.
  redis.call('SET', kSchema, ARGV[1])
elseif schema ~= ARGV[1] then
  return redis.error_reply('SCHEMA keys under this prefix have schema ' .. schema ..
    ', this exporter writes ' .. ARGV[1] .. ': use another --storage.redis.prefix, or the exporter version that wrote them')
end

local function parse(v)
  return string.match(v, '^(%d+) (%-?%d+) (.*)$')
end

-- phaseOf returns a session's extra JSON ('' when none) and its phase.
local function phaseOf(uuid)
  local x = redis.call('HGET', kExtra, uuid)
  if not x then
    return '', ''
  end
  return x, cjson.decode(x)['phase'] or ''
end

local function endSession(uuid, stations, loc)
  local x, phase = phaseOf(uuid)
  redis.call('HDEL', kSessions, uuid)
  redis.call('ZREM', kStarted, uuid)
  if x ~= '' then
    redis.call('HDEL', kExtra, uuid)
    redis.call('ZREM', kDue, uuid)
    redis.call('ZREM', kLookups, uuid)
  end
  if phase == 'booked' then
    redis.call('HINCRBY', kBooked, loc, -1)
  else
    redis.call('HINCRBY', kActive, loc, -1)
    redis.call('HINCRBY', kStations, loc, 0 - tonumber(stations)) -- never -0, which HINCRBY refuses
  end
  return x
end

local function tombstone(uuid, untilT)
  redis.call('HSET', kTombs, uuid, untilT)
  redis.call('ZADD', kTombUntil, tonumber(untilT), uuid)
end
`

// applyScript applies a batch. ARGV: schema, now, tombstone until, max locations,
// overflow label, max active sessions, max active sessions at a location, then per
// change: action, uuid, location, stations, exempt (1/0), needs lookup (1/0).
// It returns per change: result, label, folded (1/0), and for a session the
// started, stations, location and extra JSON (empty when none) of that session.
var applyScript = redis.NewScript(scriptPrelude + `
local now, untilT, maxLocs, overflow = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local maxActive, maxAtLoc = tonumber(ARGV[6]), tonumber(ARGV[7])

local function full(loc)
  return (maxActive > 0 and redis.call('HLEN', kSessions) >= maxActive) or
    (maxAtLoc > 0 and tonumber(redis.call('HGET', kActive, loc) or '0') >= maxAtLoc)
end

local function label(loc, exempt)
  if redis.call('HEXISTS', kLast, loc) == 1 or maxLocs <= 0 or exempt == '1' then
    return loc, '0'
  end
  if redis.call('HLEN', kLast) < maxLocs then
    return loc, '0'
  end
  return overflow, '1'
end

local function touch(loc)
  local cur = redis.call('HGET', kLast, loc)
  if not cur then
    redis.call('SREM', kForgotten, loc) -- a forgotten location is back
  end
  if (not cur) or now > cur then
    redis.call('HSET', kLast, loc, now)
  end
end

local function create(uuid, loc, stations, needsLookup)
  local v = redis.call('HGET', kSessions, uuid)
  if v then
    -- The newest stations value wins; the session keeps its first location.
    local started, old, sloc = parse(v)
    local x, phase = phaseOf(uuid)
    if phase ~= 'booked' then -- a booking's stations are not in use yet
      redis.call('HINCRBY', kStations, sloc, tonumber(stations) - tonumber(old))
    end
    redis.call('HSET', kSessions, uuid, started .. ' ' .. stations .. ' ' .. sloc)
    return {'duplicate', started, stations, sloc, x}
  end
  if redis.call('HEXISTS', kTombs, uuid) == 1 then
    return {'late'}
  end
  if full(loc) then
    return {'limited'}
  end
  redis.call('HSET', kSessions, uuid, now .. ' ' .. stations .. ' ' .. loc)
  redis.call('ZADD', kStarted, tonumber(now), uuid)
  redis.call('HINCRBY', kActive, loc, 1)
  redis.call('HINCRBY', kStations, loc, stations)
  local x = ''
  if needsLookup == '1' then
    x = '{"waiting":true,"lookup":{"needed":true,"next_try":"' .. now .. '"}}'
    redis.call('HSET', kExtra, uuid, x)
    redis.call('ZADD', kLookups, tonumber(now), uuid)
  end
  return {'applied', now, stations, loc, x}
end

local function delete(uuid)
  tombstone(uuid, untilT)
  local v = redis.call('HGET', kSessions, uuid)
  if not v then
    return {'unmatched'}
  end
  local started, stations, sloc = parse(v)
  local x = endSession(uuid, stations, sloc)
  return {'applied', started, stations, sloc, x}
end

local out = {}
for i = 8, #ARGV, 6 do
  local action, uuid, loc, stations, exempt, needsLookup = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5]
  local lbl, folded = label(loc, exempt)
  touch(lbl)
  local r
  if action == 'create' then
    r = create(uuid, lbl, stations, needsLookup)
  elseif action == 'delete' then
    r = delete(uuid)
  else
    r = {'ignored'}
  end
  table.insert(r, 2, lbl)
  table.insert(r, 3, folded)
  out[#out + 1] = r
end
return out
`)

// expireScript ends at most limit sessions started before the cutoff and forgets
// at most limit tombstones that are past their time. ARGV: schema, cutoff, now,
// tombstone until, limit. It returns the ended sessions as {uuid, started,
// stations, location, extra}, then how many sessions and tombstones it looked at (a full
// page means there may be more), then how many tombstones it forgot.
var expireScript = redis.NewScript(scriptPrelude + `
local cutoff, now, untilT, limit = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])

local ended = {}
local cands = redis.call('ZRANGEBYSCORE', kStarted, '-inf', tonumber(cutoff), 'LIMIT', 0, limit)
for _, uuid in ipairs(cands) do
  local v = redis.call('HGET', kSessions, uuid)
  if not v then
    redis.call('ZREM', kStarted, uuid)
  else
    local started, stations, sloc = parse(v)
    local _, phase = phaseOf(uuid)
    if phase ~= '' then
      -- A scheduled session ends at its end (the change script took it out of
      -- sessions_by_start; this is a guard).
      redis.call('ZREM', kStarted, uuid)
    elseif started < cutoff then
      local x = endSession(uuid, stations, sloc)
      tombstone(uuid, untilT)
      ended[#ended + 1] = {uuid, started, stations, sloc, x}
    end
  end
end

local dropped = 0
local tombs = redis.call('ZRANGEBYSCORE', kTombUntil, '-inf', tonumber(now), 'LIMIT', 0, limit)
for _, uuid in ipairs(tombs) do
  local u = redis.call('HGET', kTombs, uuid)
  if (not u) or u <= now then
    redis.call('HDEL', kTombs, uuid)
    redis.call('ZREM', kTombUntil, uuid)
    dropped = dropped + 1
  end
end
return {ended, #cands, #tombs, dropped}
`)

// changeScript writes what a schedule transition, computed by the exporter on the
// records it read, changed, if those records are still as read: a compare and set
// over several sessions, so two replicas never both apply (and count) the same
// transition. ARGV: schema, the number of sessions n, then per session: uuid, the
// read main record, extra and tombstone (empty when absent), the new ones (empty to
// delete), and the new scores in sessions_by_start, sessions_due and lookups_due
// (empty to remove); then per location: name, and the deltas of its active sessions,
// stations and bookings. It returns 'ok', or 'conflict' when a record changed.
var changeScript = redis.NewScript(scriptPrelude + `
local n = tonumber(ARGV[2])
local function cur(key, uuid)
  return redis.call('HGET', key, uuid) or ''
end
for i = 0, n - 1 do
  local b = 3 + i * 10
  local uuid = ARGV[b]
  if cur(kSessions, uuid) ~= ARGV[b+1] or cur(kExtra, uuid) ~= ARGV[b+2] or cur(kTombs, uuid) ~= ARGV[b+3] then
    return 'conflict'
  end
end
local function put(key, uuid, v)
  if v == '' then
    redis.call('HDEL', key, uuid)
  else
    redis.call('HSET', key, uuid, v)
  end
end
local function score(key, uuid, s)
  if s == '' then
    redis.call('ZREM', key, uuid)
  else
    redis.call('ZADD', key, tonumber(s), uuid)
  end
end
for i = 0, n - 1 do
  local b = 3 + i * 10
  local uuid = ARGV[b]
  put(kSessions, uuid, ARGV[b+4])
  put(kExtra, uuid, ARGV[b+5])
  put(kTombs, uuid, ARGV[b+6])
  score(kTombUntil, uuid, ARGV[b+6])
  score(kStarted, uuid, ARGV[b+7])
  score(kDue, uuid, ARGV[b+8])
  score(kLookups, uuid, ARGV[b+9])
end
for i = 3 + n * 10, #ARGV, 4 do
  local loc = ARGV[i]
  -- A location first seen by a poll is known from now on, without an event.
  redis.call('HSETNX', kLast, loc, '0000000000000000000')
  local da, ds, db = tonumber(ARGV[i+1]), tonumber(ARGV[i+2]), tonumber(ARGV[i+3])
  if da ~= 0 then redis.call('HINCRBY', kActive, loc, da) end
  if ds ~= 0 then redis.call('HINCRBY', kStations, loc, ds) end
  if db ~= 0 then redis.call('HINCRBY', kBooked, loc, db) end
end
return 'ok'
`)

// endScript ends one active session through the admin API. ARGV: schema, uuid,
// tombstone until. It returns {started, stations, location, extra} of the session
// it ended, or an empty array when it was not active.
var endScript = redis.NewScript(scriptPrelude + `
local uuid, untilT = ARGV[2], ARGV[3]
local v = redis.call('HGET', kSessions, uuid)
if not v then
  return {}
end
local started, stations, sloc = parse(v)
local x = endSession(uuid, stations, sloc)
tombstone(uuid, untilT)
return {started, stations, sloc, x}
`)

// forgetScript removes a location, ending its sessions first with force. ARGV:
// schema, location, tombstone until, force (1/0). The location joins the
// forgotten set, which tells the other replicas to drop its series. It returns {'unknown'} for a
// location not known, {'busy', active} for one with sessions and no force, or
// {'forgotten', ended} with ended as {uuid, started, stations, location, extra}.
// Sessions have no index by location, so with active sessions it reads them all:
// an operator's rare request, over what is at most a few thousand sessions.
var forgetScript = redis.NewScript(scriptPrelude + `
local loc, untilT, force = ARGV[2], ARGV[3], ARGV[4]
if redis.call('HEXISTS', kLast, loc) == 0 then
  return {'unknown'}
end
local active = tonumber(redis.call('HGET', kActive, loc) or '0') + tonumber(redis.call('HGET', kBooked, loc) or '0')
if active > 0 and force ~= '1' then
  return {'busy', tostring(active)}
end
local ended = {}
if active > 0 then
  local all = redis.call('HGETALL', kSessions)
  for i = 1, #all, 2 do
    local uuid = all[i]
    local started, stations, sloc = parse(all[i + 1])
    if sloc == loc then
      local x = endSession(uuid, stations, sloc)
      tombstone(uuid, untilT)
      ended[#ended + 1] = {uuid, started, stations, sloc, x}
    end
  end
end
redis.call('HDEL', kLast, loc)
redis.call('HDEL', kActive, loc)
redis.call('HDEL', kStations, loc)
redis.call('HDEL', kBooked, loc)
redis.call('SADD', kForgotten, loc)
return {'forgotten', ended}
`)
