-- Shared by the robot formats (钉钉, 企业微信, 飞书): the Chinese text of an
-- alert for a group chat. Not a format itself (it has no render/sign).
local M = {}

local EVENT = { firing = "触发", resolved = "已解除", ["repeat"] = "仍未处理" }
local SEVERITY = { critical = "严重", warning = "警告", info = "提示" }

function M.title(batch)
  local alerts = batch.alerts
  if #alerts == 1 then
    local a = alerts[1]
    return string.format("【%s】%s %s", SEVERITY[a.severity] or a.severity,
      EVENT[a.event] or a.event, a.code)
  end
  return string.format("courtrules 预警 %d 条", #alerts)
end

-- One line per alert: 级别 事件 代码 法院 案号：消息（依据：…）
function M.line(a)
  local where = a.court
  if a.case_no then
    where = where .. " " .. a.case_no
  end
  local basis = ""
  if a.basis then
    basis = "（依据：" .. a.basis .. "）"
  end
  return string.format("[%s][%s] %s %s：%s%s", SEVERITY[a.severity] or a.severity,
    EVENT[a.event] or a.event, a.code, where, a.message, basis)
end

function M.lines(batch, bullet)
  local out = {}
  for i, a in ipairs(batch.alerts) do
    out[i] = (bullet or "") .. M.line(a)
  end
  return table.concat(out, "\n")
end

-- "?" or "&": what joins one more query parameter to url.
function M.join(url)
  if url:find("?", 1, true) then
    return "&"
  end
  return "?"
end

return M
