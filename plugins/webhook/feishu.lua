-- 飞书 (Feishu/Lark) group robot: a text message. With the robot's
-- signature secret, every attempt puts timestamp (seconds) and sign into
-- the body: sign = base64(HMAC-SHA256(key = timestamp .. "\n" .. secret,
-- message = "")), as Feishu specifies.
local text = require("webhook.text")
local M = {}

function M.render(batch)
  return webhook.json({
    msg_type = "text",
    content = { text = text.title(batch) .. "\n" .. text.lines(batch) },
  })
end

function M.sign(req)
  local body = req.body
  local secret = req.secrets[1]
  if secret then
    local ts = tostring(req.timestamp)
    local sign = webhook.base64(webhook.hmac_sha256(ts .. "\n" .. secret, ""))
    -- render made a JSON object: add the two members at its front
    body = '{"timestamp":"' .. ts .. '","sign":"' .. sign .. '",' .. body:sub(2)
  end
  return { url = req.url, body = body, headers = { ["content-type"] = "application/json" } }
end

return M
