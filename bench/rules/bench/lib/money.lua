-- Exact money for the benchmark rules: "123.45", "123.4", "123" or a JSON
-- integer (yuan) -> fen, without floating point; nil if not an amount.
local function to_fen(v)
  if math.type(v) == "integer" then
    return v * 100
  end
  if type(v) ~= "string" then
    return nil
  end
  local yuan, cents = v:match("^(%d+)%.?(%d?%d?)$")
  if not yuan or #yuan > 15 then
    return nil
  end
  local fen = tonumber(yuan) * 100
  if #cents == 1 then
    fen = fen + tonumber(cents) * 10
  elseif #cents == 2 then
    fen = fen + tonumber(cents)
  end
  return fen
end

return { to_fen = to_fen }
