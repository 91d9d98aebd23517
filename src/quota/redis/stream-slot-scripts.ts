/**
 * Shared by the slot scripts: Redis' own clock in milliseconds (so the clocks of the instances never
 * matter), and a key lifetime that only ever grows, so the set outlives the longest lease in it even
 * when instances are configured with different lease lengths. Scores go out through `%d`: Lua's
 * `tostring` would write a large number in exponent form.
 */
const slotHelpersLua = `
local function now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local function keep_key_for(lease)
  if redis.call('PTTL', KEYS[1]) < lease then redis.call('PEXPIRE', KEYS[1], lease) end
end
`;

/**
 * Takes a leased slot if fewer than `limit` leases are alive: expired leases (those of a holder that
 * crashed or lost Redis) are dropped first, then the slot is added with its expiry as its score.
 *
 * KEYS: the sorted set of one (plan limit, user). ARGV: slot id, limit, lease (ms).
 * Returns 1 when the slot was taken, 0 when all are held.
 */
export const takeSlotLua = `${slotHelpersLua}
local now = now_ms()
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], string.format('%d', now + lease), ARGV[1])
keep_key_for(lease)
return 1
`;

/**
 * Extends a slot's lease, only while it is still alive: a lease that expired (its slot may already be
 * someone else's) is dropped, never revived.
 *
 * KEYS: the sorted set. ARGV: slot id, lease (ms). Returns 1 when renewed, 0 when the lease was gone.
 */
export const renewSlotLua = `${slotHelpersLua}
local now = now_ms()
local lease = tonumber(ARGV[2])
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expiry or tonumber(expiry) <= now then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 0
end
redis.call('ZADD', KEYS[1], 'XX', string.format('%d', now + lease), ARGV[1])
keep_key_for(lease)
return 1
`;
