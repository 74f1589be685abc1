-- Standard Webhooks JSON: the default format (docs/webhooks.md).
--
-- A format module returns a table with two functions; copy this file to
-- plugins/webhook/<name>.lua to add a format and pass --format <name> to
-- `courtrules webhook add`.
--
--   render(batch) -> body text. Called once per message; the body is stored,
--     so every retry sends the same bytes. batch = {webhook = name,
--     created_at = "...+08:00", alerts = {alert, ...}}; each alert has
--     event ("firing", "resolved" or "repeat"), id, code, severity, court,
--     case_no, message, basis, rule_set, rule, rule_version, rule_set_sha,
--     status, as_of, created_at, last_seen_at, resolved_at and data.
--   sign(req) -> {url = ..., headers = {name = value}, body = ...}. Called
--     for every attempt. req = {id (webhook-id, the same on every attempt),
--     timestamp (seconds), timestamp_ms, url, body, secrets = {current,
--     previous?}}.
--
-- The global `webhook` offers json(value), hmac_sha256(key, data),
-- base64(bytes), urlencode(text), secret_key(secret) and
-- standard_signature(secrets, id, timestamp, body).
local M = {}

function M.render(batch)
  local alerts = batch.alerts
  local kind = "alert.group"
  if #alerts == 1 then
    kind = "alert." .. alerts[1].event
  end
  return webhook.json({
    type = kind,
    timestamp = batch.created_at,
    data = { webhook = batch.webhook, count = #alerts, alerts = alerts },
  })
end

-- webhook-signature: "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>" for
-- each valid secret, separated by spaces (two during a rotation).
-- webhook.standard_signature computes exactly that in one call; with the
-- primitives it reads:
--   local key = webhook.secret_key(secret)
--   "v1," .. webhook.base64(webhook.hmac_sha256(key, id .. "." .. ts .. "." .. body))
function M.sign(req)
  local headers = {
    ["content-type"] = "application/json",
    ["webhook-id"] = req.id,
    ["webhook-timestamp"] = tostring(req.timestamp),
  }
  if #req.secrets > 0 then
    headers["webhook-signature"] =
      webhook.standard_signature(req.secrets, req.id, req.timestamp, req.body)
  end
  return { url = req.url, body = req.body, headers = headers }
end

return M
