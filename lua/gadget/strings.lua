-- gadget.strings: small string helpers for gadget scripts.
local M = {}

-- split("a,b,,c", ",") -> {"a", "b", "", "c"}; plain separator, not a pattern
function M.split(s, sep)
  local out, i = {}, 1
  while true do
    local j = string.find(s, sep, i, true)
    if not j then
      out[#out + 1] = string.sub(s, i)
      return out
    end
    out[#out + 1] = string.sub(s, i, j - 1)
    i = j + #sep
  end
end

function M.trim(s)
  return (string.gsub(s, "^%s*(.-)%s*$", "%1"))
end

function M.starts_with(s, prefix)
  return string.sub(s, 1, #prefix) == prefix
end

function M.ends_with(s, suffix)
  return suffix == "" or string.sub(s, -#suffix) == suffix
end

-- basename("/usr/bin/ls") -> "ls"
function M.basename(path)
  return string.match(path, "([^/]*)/*$")
end

-- the argv of an exec event as one shell-like line: quoted where needed
function M.join_args(args)
  local parts = {}
  for i, a in ipairs(args) do
    if a == "" or string.find(a, "[%s'\"\\$`]") then
      parts[i] = "'" .. string.gsub(a, "'", "'\\''") .. "'"
    else
      parts[i] = a
    end
  end
  return table.concat(parts, " ")
end

return M
