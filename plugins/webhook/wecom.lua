-- 企业微信 (WeCom) group robot: a markdown message. The robot's key is part
-- of its URL (…/send?key=…); WeCom robots have no signature, so the URL is
-- the secret: keep it out of logs (courtrules never prints it in full).
local text = require("webhook.text")
local M = {}

function M.render(batch)
  return webhook.json({
    msgtype = "markdown",
    markdown = { content = "**" .. text.title(batch) .. "**\n" .. text.lines(batch, "> ") },
  })
end

function M.sign(req)
  return { url = req.url, body = req.body, headers = { ["content-type"] = "application/json" } }
end

return M
