import { grantOutputTokensLua } from './grant-output-tokens-lua.ts';

/** Lua's `tostring` writes large numbers in exponent form, which HINCRBY refuses; integers go out whole. */
const integerLua = `
local function integer(value)
  return string.format('%d', value)
end
`;

/**
 * Reads the user's minute, day and month totals, decides with the shared rule, and books the grant
 * into all three windows (so a window a plan limits later already knows its use), the day's usage
 * (as an unsettled request, so the usage report shows what the quota charges even if no instance
 * ever settles it) and the open reservation — one script, so concurrent reservations from any
 * instance never overspend.
 *
 * KEYS: minute, day, month window hashes (fields `tokens`, `usd` in micro-dollars), reservation hash.
 * ARGV: input tokens, wanted, minimum, input price, output price, limits JSON (`w` = 1..3 the window
 * key, `window`, `tokens?`, `usd?`), three window expiries (ms), reservation expiry (ms), then the
 * reservation's user, model, limits JSON, usage-by-day hash key and its lifetime (seconds).
 * Returns `{-1}` for a duplicate id, `{0, window, totals...}` refused, `{1, output, tokens, usd, totals...}`
 * granted, where totals are the three windows' tokens and micro-dollars after the booking.
 */
export const reserveLua = `${grantOutputTokensLua}${integerLua}
if redis.call('EXISTS', KEYS[4]) == 1 then return {-1} end
local input_tokens = tonumber(ARGV[1])
local limits = cjson.decode(ARGV[6])
local totals = {}
for w = 1, 3 do
  local values = redis.call('HMGET', KEYS[w], 'tokens', 'usd')
  totals[w] = { tokens = tonumber(values[1]) or 0, usd = tonumber(values[2]) or 0 }
end
local uses = {}
for i, limit in ipairs(limits) do
  local total = totals[limit.w]
  uses[i] = { tokens = total.tokens, usd = total.usd / 1000000 }
end
local granted, result = grant_output_tokens(input_tokens, tonumber(ARGV[2]), tonumber(ARGV[3]),
  tonumber(ARGV[4]), tonumber(ARGV[5]), limits, uses)
local function with_totals(reply)
  for w = 1, 3 do
    table.insert(reply, totals[w].tokens)
    table.insert(reply, totals[w].usd)
  end
  return reply
end
if not granted then return with_totals({0, result}) end
local tokens = input_tokens + result
local usd = math.floor((input_tokens * tonumber(ARGV[4]) + result * tonumber(ARGV[5])) * 1000000 + 0.5)
for w = 1, 3 do
  redis.call('HINCRBY', KEYS[w], 'tokens', integer(tokens))
  redis.call('HINCRBY', KEYS[w], 'usd', integer(usd))
  redis.call('PEXPIREAT', KEYS[w], ARGV[6 + w])
  totals[w].tokens = totals[w].tokens + tokens
  totals[w].usd = totals[w].usd + usd
end
local group = cjson.encode({ARGV[11], ARGV[12]})
redis.call('HINCRBY', ARGV[14], 'requests:' .. group, 1)
redis.call('HINCRBY', ARGV[14], 'unsettled:' .. group, 1)
redis.call('HINCRBY', ARGV[14], 'input:' .. group, integer(input_tokens))
redis.call('HINCRBY', ARGV[14], 'output:' .. group, integer(result))
redis.call('HINCRBY', ARGV[14], 'cost:' .. group, integer(usd))
redis.call('EXPIRE', ARGV[14], ARGV[15])
redis.call('HSET', KEYS[4], 'tokens', integer(tokens), 'usd', integer(usd), 'input', integer(input_tokens),
  'minute', KEYS[1], 'day', KEYS[2], 'month', KEYS[3],
  'user', ARGV[11], 'model', ARGV[12], 'limits', ARGV[13], 'usage', ARGV[14])
redis.call('PEXPIREAT', KEYS[4], ARGV[10])
return with_totals({1, result, tokens, usd})
`;

/**
 * Replaces a reservation by the true usage: the difference goes into the windows it was booked in
 * (those not yet expired) and into its day's usage-by-day hash, where the request stops counting as
 * unsettled, and the reservation is gone.
 *
 * KEYS: the reservation hash. ARGV: input tokens, output tokens, cost in micro-dollars, usage-by-day
 * lifetime (seconds). Returns `{0}` when there is no such reservation, else `{1, user, limits JSON}`.
 */
export const settleLua = `${integerLua}
local stored = redis.call('HGETALL', KEYS[1])
if #stored == 0 then return {0} end
local reservation = {}
for i = 1, #stored, 2 do reservation[stored[i]] = stored[i + 1] end
local input_tokens = tonumber(ARGV[1])
local output_tokens = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local token_change = input_tokens + output_tokens - tonumber(reservation.tokens)
local usd_change = cost - tonumber(reservation.usd)
for _, key in ipairs({reservation.minute, reservation.day, reservation.month}) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('HINCRBY', key, 'tokens', integer(token_change))
    redis.call('HINCRBY', key, 'usd', integer(usd_change))
  end
end
local reserved_input = tonumber(reservation.input)
local reserved_output = tonumber(reservation.tokens) - reserved_input
local group = cjson.encode({reservation.user, reservation.model})
redis.call('HINCRBY', reservation.usage, 'unsettled:' .. group, -1)
redis.call('HINCRBY', reservation.usage, 'input:' .. group, integer(input_tokens - reserved_input))
redis.call('HINCRBY', reservation.usage, 'output:' .. group, integer(output_tokens - reserved_output))
redis.call('HINCRBY', reservation.usage, 'cost:' .. group, integer(usd_change))
redis.call('EXPIRE', reservation.usage, ARGV[4])
redis.call('DEL', KEYS[1])
return {1, reservation.user, reservation.limits}
`;
