-- gadget.sockets: socket options by name.
local M = {}

-- the bind options trace/bind reports, by bit (as bcc's bindsnoop numbers them)
M.bind_options = {
  IP_FREEBIND = 0x01, IP_TRANSPARENT = 0x02, IP_BIND_ADDRESS_NO_PORT = 0x04,
  SO_REUSEADDR = 0x08, SO_REUSEPORT = 0x10,
}

-- the same bits as Inspektor Gadget's 5 letters, highest bit first:
-- 0x08 -> ".R...", 0x18 -> "rR...", 0 -> "....."
local LETTERS = { "F", "T", "N", "R", "r" }

function M.bind_options_letters(bits)
  local out = {}
  for i = #LETTERS, 1, -1 do
    out[#out + 1] = (bits & (1 << (i - 1))) ~= 0 and LETTERS[i] or "."
  end
  return table.concat(out)
end

return M
