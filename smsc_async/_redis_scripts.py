"""The Redis side of :class:`~smsc_async.redis.RedisGate`: key layout and the Lua scripts.

Every key of one account sits under one hash tag, ``<prefix>{<account>}:``, so each script
touches keys of one slot and runs on Redis Cluster too. Times are the Redis server's
(``TIME`` inside the scripts, in milliseconds): hosts' clocks are never compared.

=========================  =========  ==========================================================
key                        type       holds
=========================  =========  ==========================================================
``A:in``                   zset       requests in flight (the cap): ticket → lease deadline
``A:q``                    zset       admissions waiting for the cap, FIFO: ticket → sequence
``A:qd``                   zset       the same waiters: ticket → heartbeat deadline
``A:seq``                  string     the sequence counter of ``A:q``
``A:r:<rule>:<key hex>``   zset       one rule's sliding-window log for one identity:
                                      ticket → the time its slot frees
``A:wake``                 channel    pub/sub: ``g <ticket> ...`` (cap slots handed to these
                                      waiters), ``f`` (rule slots given back by a refund)
=========================  =========  ==========================================================

A ticket is ``<process>.<number>:<cap>``: who holds or waits, and the cap a release needs to
know before it hands a freed slot to that waiter. A slot handed to a waiter lasts until the
waiter's heartbeat deadline until the waiter claims it for its whole lease (at once when the
wake-up message arrives, or at its next check). A rule slot frees at ``completion + period +
margin``; while its request is in flight it frees at ``lease deadline + period + margin``, so a
request whose process died counts as completed when its lease ran out, never as a free slot.
A waiter queued for the cap holds its rule slots already (as the in-process gate does), scored
from its heartbeat deadline. Every key's TTL is kept at least as long as the latest time any of
its members matters, plus a second (a release trims it to exactly that): an idle account
leaves nothing behind.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ADMIT", "RELEASE", "RENEW", "STATS"]

# Shared by the scripts: the server time, and a TTL that never shortens.
_PRELUDE: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function keep(key, until_ms)
  local need = math.ceil(until_ms - now) + 1000
  if redis.call('PTTL', key) < need then redis.call('PEXPIRE', key, need) end
end
local function fit(key)  -- the TTL a sorted set needs now: until its latest score, plus 1 s
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if #last == 0 then return end
  redis.call('PEXPIRE', key, math.max(math.ceil(tonumber(last[2]) - now), 0) + 1000)
end
local function purge_queue(q, qd)
  while true do
    local gone = redis.call('ZRANGEBYSCORE', qd, '-inf', now, 'LIMIT', 0, 500)
    if #gone == 0 then return end
    redis.call('ZREM', q, unpack(gone))
    redis.call('ZREM', qd, unpack(gone))
  end
end
-- Hand free cap slots to the queue's head, then the next, while the head's own cap allows
-- (strict FIFO, as in the in-process gate), and publish who got one (but ``quiet``, the
-- caller). Until its waiter claims it, a slot handed over lasts only until the waiter's
-- heartbeat deadline: a waiter that died meanwhile frees it soon, not after a whole lease.
local function grant_heads(inflight, q, qd, channel, quiet)
  local granted = {}
  while true do
    local head = redis.call('ZRANGE', q, 0, 0)
    if #head == 0 then break end
    local cap = tonumber(string.match(head[1], ':(%d+)$'))
    if redis.call('ZCARD', inflight) >= cap then break end
    local claim = tonumber(redis.call('ZSCORE', qd, head[1]) or (now + 5000))
    redis.call('ZREM', q, head[1])
    redis.call('ZREM', qd, head[1])
    redis.call('ZADD', inflight, claim, head[1])
    keep(inflight, claim)
    if head[1] ~= quiet then granted[#granted + 1] = head[1] end
  end
  if #granted > 0 then redis.call('PUBLISH', channel, 'g ' .. table.concat(granted, ' ')) end
end
"""

ADMIT: Final = (
    _PRELUDE
    + """
-- KEYS: in, q, qd, seq, then one log per rule.
-- ARGV: ticket, cap, lease ms, queue heartbeat ms, channel, then limit and hold ms per rule.
-- Returns {1, 0, 0} admitted; {0, wait ms, rule index, exact} refused by a rule (nothing
-- taken; exact 0 when the slot awaited is still in flight: it frees at its completion + hold,
-- so the wait is a lower bound); {2, places ahead, ms until the oldest lease ends} queued for
-- the cap, holding the rule slots.
local ticket = ARGV[1]
local cap, lease, beat = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local channel = ARGV[5]
local rules = #KEYS - 4
local function take()  -- the slot in flight and the rule slots, for a whole lease from now
  redis.call('ZADD', KEYS[1], now + lease, ticket)
  keep(KEYS[1], now + lease)
  for i = 1, rules do
    local log, hold = KEYS[4 + i], tonumber(ARGV[5 + 2 * i])
    redis.call('ZADD', log, now + lease + hold, ticket)
    keep(log, now + lease + hold)
  end
  return {1, 0, 0}
end
if redis.call('ZSCORE', KEYS[1], ticket) then return take() end  -- handed a slot: claim it
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
purge_queue(KEYS[2], KEYS[3])
if not redis.call('ZSCORE', KEYS[2], ticket) then
  local worst, which, exact = -1, 0, 1
  for i = 1, rules do
    local log, limit = KEYS[4 + i], tonumber(ARGV[4 + 2 * i])
    redis.call('ZREMRANGEBYSCORE', log, '-inf', now)
    local n = redis.call('ZCARD', log)
    if redis.call('ZSCORE', log, ticket) then n = n - 1 end  -- this very admission, retried
    if n >= limit then
      local nth = redis.call('ZRANGE', log, n - limit, n - limit, 'WITHSCORES')
      local wait, known = math.max(tonumber(nth[2]) - now, 1), 1
      if redis.call('ZSCORE', KEYS[1], nth[1]) then
        wait, known = tonumber(ARGV[5 + 2 * i]), 0
      end
      if wait > worst then worst, which, exact = wait, i, known end
    end
  end
  if which > 0 then return {0, math.ceil(worst), which, exact} end
  if redis.call('ZCARD', KEYS[2]) == 0 and redis.call('ZCARD', KEYS[1]) < cap then
    return take()
  end
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), ticket)
end
-- Queued (or still queued: this call is its heartbeat), holding the rule slots meanwhile.
redis.call('ZADD', KEYS[3], now + beat, ticket)
keep(KEYS[2], now + beat)
keep(KEYS[3], now + beat)
keep(KEYS[4], now + beat)
for i = 1, rules do
  local log, hold = KEYS[4 + i], tonumber(ARGV[5 + 2 * i])
  redis.call('ZADD', log, now + beat + lease + hold, ticket)
  keep(log, now + beat + lease + hold)
end
grant_heads(KEYS[1], KEYS[2], KEYS[3], channel, ticket)  -- slots a dead holder's lease freed
if redis.call('ZSCORE', KEYS[1], ticket) then return take() end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local lease_end = 0
if #oldest > 0 then lease_end = math.max(math.ceil(tonumber(oldest[2]) - now), 1) end
return {2, redis.call('ZRANK', KEYS[2], ticket), lease_end}
"""
)

RELEASE: Final = (
    _PRELUDE
    + """
-- KEYS: in, q, qd, then one log per rule.
-- ARGV: ticket, 's' (stamp the rule slots) or 'r' (give them back), channel, hold ms per rule.
-- Frees the ticket's cap slot or queue place, then hands free cap slots to the queue, oldest
-- first, and publishes who got one.
local ticket, stamp, channel = ARGV[1], ARGV[2] == 's', ARGV[3]
redis.call('ZREM', KEYS[1], ticket)
redis.call('ZREM', KEYS[2], ticket)
redis.call('ZREM', KEYS[3], ticket)
local freed = false
for i = 4, #KEYS do
  if stamp then
    redis.call('ZADD', KEYS[i], now + tonumber(ARGV[i]), ticket)
  elseif redis.call('ZREM', KEYS[i], ticket) == 1 then
    freed = true
  end
  fit(KEYS[i])  -- the lease's longer TTL is no longer needed
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
purge_queue(KEYS[2], KEYS[3])
grant_heads(KEYS[1], KEYS[2], KEYS[3], channel, '')
fit(KEYS[1])
if freed then redis.call('PUBLISH', channel, 'f') end
return 0
"""
)

RENEW: Final = (
    _PRELUDE
    + """
-- KEYS: in, then one log per rule. ARGV: ticket, lease ms, hold ms per rule.
-- Pushes the lease of a request still running further; 0 when it had already run out.
local ticket, lease = ARGV[1], tonumber(ARGV[2])
if not redis.call('ZSCORE', KEYS[1], ticket) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + lease, ticket)
keep(KEYS[1], now + lease)
for i = 2, #KEYS do
  local hold = tonumber(ARGV[i + 1])
  redis.call('ZADD', KEYS[i], 'XX', now + lease + hold, ticket)
  keep(KEYS[i], now + lease + hold)
end
return 1
"""
)

STATS: Final = """
-- KEYS: in, q, qd. Returns {requests in flight, admissions queued for the cap} (read only).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local inflight = redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
local queued = redis.call('ZCOUNT', KEYS[3], '(' .. now, '+inf')
return {inflight, queued}
"""
