-- Helpers shared by the national rules and the provincial rule sets: exact
-- money, lists, events, courts. Loaded with `require "courtrules.common"`
-- (plugins/README.md); the sandbox hands it out read-only.
local M = {}

-- An amount as integer fen, without floating point: "123.45", "123.4", "123"
-- or an integer (yuan), as ingest normalizes claim_amount and as event data
-- may carry it. nil for anything else (negative, more than two decimals, junk).
function M.fen(v)
  if math.type(v) == "integer" then
    return v >= 0 and v * 100 or nil
  end
  if type(v) ~= "string" then
    return nil
  end
  -- one match and one tonumber: this runs several times per case
  local yuan, dot, cents = v:match("^(%d+)(%.?)(%d?%d?)$")
  if not yuan or #yuan > 15 or (dot ~= "" and #cents == 0) then
    return nil
  end
  if #cents == 2 then
    return tonumber(yuan .. cents)
  elseif #cents == 1 then
    return tonumber(yuan .. cents) * 10
  end
  return tonumber(yuan) * 100
end

-- Integer fen -> "123.45".
function M.yuan(fen)
  return string.format("%d.%02d", fen // 100, fen % 100)
end

function M.contains(list, value)
  for _, v in ipairs(list or {}) do
    if v == value then
      return true
    end
  end
  return false
end

-- The first word of `words` found in `text` (plain search), or nil.
function M.find_word(text, words)
  if not text then
    return nil
  end
  for _, word in ipairs(words or {}) do
    if text:find(word, 1, true) then
      return word
    end
  end
  return nil
end

-- A reason counts only if it has a non-blank character.
function M.has_text(s)
  return type(s) == "string" and s:find("%S") ~= nil
end

-- The calendar day of an event timestamp ("2024-03-01T09:30:00+08:00").
function M.day(timestamp)
  return timestamp:sub(1, 10)
end

-- Court level from the 法院代字: 最高法; a province abbreviation alone is the
-- high court; +2 digits intermediate (or specialised, e.g. 沪74); +4 basic.
function M.court_level(court)
  if court == "最高法" then
    return "最高"
  elseif court:match("%d%d%d%d$") then
    return "基层"
  elseif court:match("%d%d$") then
    return "中级"
  end
  return "高级"
end

-- The province abbreviation: the first character of the court code.
local FIRST_CHARACTER = "^" .. utf8.charpattern
function M.province(court)
  return court:match(FIRST_CHARACTER)
end

-- Keys of a table in byte order, so that iteration is deterministic.
function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t or {}) do
    keys[#keys + 1] = k
  end
  table.sort(keys)
  return keys
end

-- The procedure in force: the last procedure_changed event's data.to, else
-- the record's procedure field.
function M.current_procedure(case)
  local procedure = case.procedure
  for _, e in ipairs(case.events) do
    if e.event == "procedure_changed" and e.data and e.data.to then
      procedure = e.data.to
    end
  end
  return procedure
end

-- Does any event of this kind exist?
function M.has_event(case, kind)
  for _, e in ipairs(case.events) do
    if e.event == kind then
      return true
    end
  end
  return false
end

return M
