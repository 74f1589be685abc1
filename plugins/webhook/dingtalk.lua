-- 钉钉 (DingTalk) group robot: a markdown message. With a secret (the
-- robot's 加签 secret, "SEC..."), every attempt adds timestamp and sign to
-- the URL: sign = urlencode(base64(HMAC-SHA256(secret,
-- timestamp_ms .. "\n" .. secret))). Without one, configure the robot's
-- keyword or IP allow-list instead.
local text = require("webhook.text")
local M = {}

function M.render(batch)
  return webhook.json({
    msgtype = "markdown",
    markdown = { title = text.title(batch), text = text.lines(batch, "- ") },
  })
end

function M.sign(req)
  local url = req.url
  local secret = req.secrets[1]
  if secret then
    local ts = tostring(req.timestamp_ms)
    local mac = webhook.hmac_sha256(secret, ts .. "\n" .. secret)
    url = url .. text.join(url) .. "timestamp=" .. ts .. "&sign="
      .. webhook.urlencode(webhook.base64(mac))
  end
  return { url = url, body = req.body, headers = { ["content-type"] = "application/json" } }
end

return M
