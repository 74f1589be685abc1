-- luacheck config for courtrules rule scripts, plugins and rule tests.
-- The globals are exactly what the sandbox gives a script (docs/sandbox.md),
-- all read-only; `courtrules lint --print-config` prints this part.
stds.courtrules = {
  read_globals = {
    "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall",
    "rawequal", "rawget", "rawlen", "require", "select", "setmetatable",
    "tonumber", "tostring", "type", "xpcall",
    string = { fields = { "byte", "char", "find", "format", "gmatch", "gsub",
      "len", "lower", "match", "pack", "packsize", "rep", "reverse", "sub",
      "unpack", "upper" } },
    table = { fields = { "concat", "insert", "move", "pack", "remove", "sort",
      "unpack" } },
    math = { fields = { "abs", "acos", "asin", "atan", "ceil", "cos", "deg",
      "exp", "floor", "fmod", "huge", "log", "max", "maxinteger", "min",
      "mininteger", "modf", "pi", "rad", "sin", "sqrt", "tan", "tointeger",
      "type", "ult" } },
    utf8 = { fields = { "char", "charpattern", "codepoint", "codes", "len",
      "offset" } },
    coroutine = { fields = { "close", "create", "isyieldable", "resume", "running",
      "status", "wrap", "yield" } },
  },
}
std = "courtrules"
max_line_length = 120

-- Webhook formats also see the read-only `webhook` table (docs/webhooks.md).
files["plugins/webhook"] = {
  read_globals = {
    webhook = { fields = { "json", "hmac_sha256", "base64", "urlencode", "secret_key",
      "standard_signature" } },
  },
}

-- `luacheck .` at the repository root checks these; `courtrules lint PATH`
-- checks PATH with the config above.
include_files = {
  "rules/**/*.lua",
  "plugins/**/*.lua",
  "bench/rules/**/*.lua",
  "tests/fixtures/ruletest/**/*.lua",
}
