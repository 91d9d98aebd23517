/**
 * `grantOutputTokens` (src/store/grant-output-tokens.ts) in Lua, so Redis can decide and book in one
 * atomic script. Keep the two in step: a test compares them on a table of cases. Lua numbers are
 * doubles, like JavaScript's, so the same arithmetic gives the same results.
 *
 * `limits[i]` is `{ window = name, tokens = n?, usd = n? }`, `uses[i]` is `{ tokens = n, usd = dollars }`;
 * returns `true, outputTokens` or `false, bindingWindowName`.
 */
export const grantOutputTokensLua = `
local function grant_output_tokens(input_tokens, wanted, min_output, price_input, price_output, limits, uses)
  local output_tokens = wanted
  local binding = nil
  for i, limit in ipairs(limits) do
    local use = uses[i]
    if limit.tokens ~= nil then
      local fits = limit.tokens - use.tokens - input_tokens
      if fits < output_tokens then
        output_tokens = fits
        binding = limit.window
      end
    end
    if limit.usd ~= nil then
      local dollars_left = limit.usd - use.usd - input_tokens * price_input
      local fits
      if price_output > 0 then
        fits = math.floor(dollars_left / price_output + 1e-9)
      elseif dollars_left >= 0 then
        fits = output_tokens
      else
        fits = -1
      end
      if fits < output_tokens then
        output_tokens = fits
        binding = limit.window
      end
    end
  end
  local minimum = math.min(min_output, wanted)
  if binding ~= nil and output_tokens < minimum then return false, binding end
  return true, output_tokens
end
`;
