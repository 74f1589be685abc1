-- Helpers shared by the national rules and the provincial rule sets: exact
-- money, lists, events, courts. Loaded with `require "courtrules.common"`
-- (plugins/README.md); the sandbox hands it out read-only.
local M = {}

-- The functions used on every case, as locals: a global read goes through
-- the sandbox's read-only view of the globals.
local find, match, format, sub = string.find, string.match, string.format, string.sub
local type, tonumber, math_type = type, tonumber, math.type
local NONE = {}

-- An amount as integer fen, without floating point: "123.45", "123.4", "123"
-- or an integer (yuan), as ingest normalizes claim_amount and as event data
-- may carry it. nil for anything else (negative, more than two decimals, junk).
function M.fen(v)
  if type(v) ~= "string" then
    return math_type(v) == "integer" and v >= 0 and v * 100 or nil
  end
  -- one match and one tonumber: this runs several times per case. First
  -- "123.45", the form of ingest's claim_amount and of the params.
  local yuan, cents = match(v, "^(%d+)%.(%d%d)$")
  if yuan then
    return #yuan <= 15 and tonumber(yuan .. cents) or nil
  end
  local dot
  yuan, dot, cents = match(v, "^(%d+)(%.?)(%d?)$")
  if not yuan or #yuan > 15 or (dot ~= "" and cents == "") then
    return nil
  end
  if cents ~= "" then
    return tonumber(yuan .. cents) * 10
  end
  return tonumber(yuan) * 100
end

-- The cents as format's %02d writes them, 0..99: "00" .. "99".
local CENTS = {}
for cents = 0, 99 do
  CENTS[cents] = (cents < 10 and "0" or "") .. cents
end

-- Integer fen -> "123.45", as format("%d.%02d", fen // 100, fen % 100)
-- writes it; joined for an integer, which is cheaper than format (a float
-- goes to format, which writes one with an integer value, refuses others).
function M.yuan(fen)
  if math_type(fen) == "integer" then
    return fen // 100 .. "." .. CENTS[fen % 100]
  end
  return format("%d.%02d", fen // 100, fen % 100)
end

-- Lists are JSON arrays (no holes): a numeric loop visits what ipairs
-- would, without a call per element.
function M.contains(list, value)
  list = list or NONE
  for i = 1, #list do
    if list[i] == value then
      return true
    end
  end
  return false
end

-- A list (a params array, a read-only view) as a plain table, for a rule
-- that reads it on every case: reading a plain table costs no metamethod.
function M.copy_list(list)
  local copy = {}
  for i = 1, #list do
    copy[i] = list[i]
  end
  return copy
end

-- make(key, ...) once per key, keeping at most max answers: returns a
-- function of (key, ...) that gives what make returned for that key the
-- first time (a nil answer is not kept). Past max keys all answers are
-- dropped and made again, so keys from data cannot grow it without end.
-- make's answer must depend on the key alone.
function M.kept(make, max)
  local made, n = {}, 0
  return function(key, ...)
    local value = made[key]
    if value == nil then
      value = make(key, ...)
      if n == max then
        made, n = {}, 0
      end
      made[key], n = value, n + 1
    end
    return value
  end
end

-- make(params, ...) once per params table: returns a function of (params,
-- ...) that gives what make returned for that table the first time. For
-- what a rule derives from params alone (plain copies of lists, amounts in
-- fen, texts): every case of a court's rule sets gets the same read-only
-- params table (ctx.params), which nothing can change, so what is derived
-- from it is the same for every case, and keeping it changes no result.
-- The tables made are kept by the returned function, which the rule holds;
-- this module keeps nothing. An evaluation sees one params table per list
-- of sets covering a court, a handful; but the daemon makes new ones each
-- time a request's as-of date differs from the last one's, so at most
-- PER_PARAMS_KEPT are kept (then all are dropped and made again): the
-- keys would otherwise keep every old params table alive.
local PER_PARAMS_KEPT = 16

function M.per_params(make)
  return M.kept(make, PER_PARAMS_KEPT)
end

-- The first word of `words` found in `text` (plain search), or nil.
function M.find_word(text, words)
  if not text then
    return nil
  end
  words = words or NONE
  for i = 1, #words do
    local word = words[i]
    if find(text, word, 1, true) then
      return word
    end
  end
  return nil
end

-- find_word over a copy of `words` made now, keeping its answers by text:
-- a rule makes one per params table (in what it derives once per params,
-- see per_params) and spares the search, a call per word, for texts it
-- has seen: 案由 and reasons repeat from case to case. At most
-- FINDER_TEXTS_KEPT texts are kept (then all are dropped and found again):
-- the texts come from data.
local FINDER_TEXTS_KEPT = 1024

function M.word_finder(words)
  local list = M.copy_list(words or NONE)
  local found = M.kept(function(text)
    return M.find_word(text, list) or false -- false: kept too
  end, FINDER_TEXTS_KEPT)
  return function(text)
    if type(text) ~= "string" then
      return M.find_word(text, list)
    end
    return found(text) or nil
  end
end

-- A reason counts only if it has a non-blank character.
function M.has_text(s)
  return type(s) == "string" and find(s, "%S") ~= nil
end

-- The calendar day of an event timestamp ("2024-03-01T09:30:00+08:00").
function M.day(timestamp)
  return sub(timestamp, 1, 10)
end

-- Court level from the 法院代字: 最高法; a province abbreviation alone is the
-- high court; +2 digits intermediate (or specialised, e.g. 沪74); +4 basic.
function M.court_level(court)
  if court == "最高法" then
    return "最高"
  elseif match(court, "%d%d%d%d$") then
    return "基层"
  elseif match(court, "%d%d$") then
    return "中级"
  end
  return "高级"
end

-- The province abbreviation: the first character of the court code.
local FIRST_CHARACTER = "^" .. utf8.charpattern
function M.province(court)
  return match(court, FIRST_CHARACTER)
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
  local procedure, events = case.procedure, case.events
  for i = 1, #events do
    local e = events[i]
    if e.event == "procedure_changed" and e.data and e.data.to then
      procedure = e.data.to
    end
  end
  return procedure
end

-- Does any event of this kind exist?
function M.has_event(case, kind)
  local events = case.events
  for i = 1, #events do
    if events[i].event == kind then
      return true
    end
  end
  return false
end

return M
