-- gadget.netpol: Kubernetes NetworkPolicy manifests from observed
-- connections (advise/network-policy).
--
--   local np = netpol.new()
--   np:pod(key, {namespace = ..., name = ..., labels = {...}})  -- labels nil: not known
--   np:address(ip, key)                 -- ip is a local address of pod key
--   np:connection(key, "egress" | "ingress", peer_ip, port, "TCP")
--   np:udp(key, "send" | "recv", peer_ip, peer_port, local_port)
--   np:policies()                       -- a list of NetworkPolicy tables
--
-- UDP has no connection: the first datagram of a flow (local port, peer,
-- peer port) says who started it.  A pod that sends first needs egress to
-- the peer's port and the replies it receives need nothing; a pod that
-- receives first needs ingress on its own port and its replies nothing.
-- A datagram received from a peer unknown (read() on a socket that is not
-- connected: peer port 0) needs ingress on the port from anywhere: a rule
-- with ports and no "from".
--
-- A peer whose address is some pod's becomes a podSelector (with a
-- namespaceSelector when the namespaces differ); any other peer an
-- ipBlock of that one address (/32, /128).  Loopback peers are left out:
-- policies do not apply to them.
--
-- A pod whose labels were never known (its runtime did not say) cannot be
-- selected by them, and {} would select every pod of its namespace: its
-- policy selects no pod until someone writes its labels in (a
-- matchExpressions on a label no pod has) and says so in an annotation;
-- as a peer it is the ipBlock of its address.
local M = {}
M.__index = M

-- an IPv4 address seen through an IPv6 socket (::ffff:10.0.0.1) is that
-- IPv4 address
local function plain(ip)
  return ip and (ip:match("^::ffff:(%d+%.%d+%.%d+%.%d+)$") or ip)
end

local function is_loopback(ip)
  return ip:match("^127%.") ~= nil or ip == "::1" or ip:match("^::ffff:127%.") ~= nil
end

function M.new()
  return setmetatable({ pods = {}, by_addr = {} }, M)
end

M.UNKNOWN_LABELS = "gadgethost.io/pod-labels-unknown"

function M:pod(key, info)
  local p = self.pods[key]
  if not p then
    p = { namespace = info.namespace, name = info.name, labels = {}, conns = {} }
    self.pods[key] = p
  end
  if info.labels then
    p.labels_known = true
    for k, v in pairs(info.labels) do
      p.labels[k] = v
    end
  end
  return p
end

function M:address(ip, key)
  ip = plain(ip)
  if ip and ip ~= "" and not is_loopback(ip) and ip ~= "0.0.0.0" and ip ~= "::" then
    self.by_addr[ip] = key
  end
end

-- peer nil: from anywhere
function M:connection(key, direction, peer, port, protocol)
  local p = self.pods[key]
  peer = plain(peer)
  if not p or (peer and is_loopback(peer)) then
    return
  end
  local id = direction .. "|" .. (peer or "*") .. "|" .. protocol .. "|" .. port
  p.conns[id] = { direction = direction, peer = peer, port = port, protocol = protocol }
end

function M:udp(key, kind, peer, peer_port, local_port)
  local p = self.pods[key]
  if not p then
    return
  end
  p.udp = p.udp or {}
  local flow = plain(peer) .. "|" .. peer_port .. "|" .. local_port
  if p.udp[flow] then
    return -- the flow's first datagram decided already
  end
  p.udp[flow] = kind
  if kind == "recv" and peer_port == 0 then
    self:connection(key, "ingress", nil, local_port, "UDP") -- from a peer unknown
  elseif kind == "send" then
    self:connection(key, "egress", peer, peer_port, "UDP")
  else
    self:connection(key, "ingress", peer, local_port, "UDP")
  end
end

local function copy(t)
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  return out
end

-- the peer of a rule: {podSelector...} or {ipBlock...}, and a sort key;
-- nil and "2|" for anywhere
function M:peer(pod, ip)
  if not ip then
    return nil, "2|"
  end
  local key = self.by_addr[ip]
  local other = key and self.pods[key]
  if other and other.labels_known then
    local sel = { podSelector = { matchLabels = copy(other.labels) } }
    if other.namespace ~= pod.namespace then
      sel.namespaceSelector = { matchLabels = { ["kubernetes.io/metadata.name"] = other.namespace } }
    end
    return sel, "0|" .. other.namespace .. "/" .. other.name
  end
  local bits = ip:find(":", 1, true) and "/128" or "/32"
  return { ipBlock = { cidr = ip .. bits } }, "1|" .. ip
end

-- the rules of one direction: one per peer, its ports sorted
function M:rules(pod, direction)
  local peers, order = {}, {}
  for _, c in pairs(pod.conns) do
    if c.direction == direction then
      local sel, sort = self:peer(pod, c.peer)
      local r = peers[sort]
      if not r then
        r = { sel = sel, ports = {}, seen = {} }
        peers[sort] = r
        order[#order + 1] = sort
      end
      local pk = c.protocol .. "|" .. c.port
      if not r.seen[pk] then
        r.seen[pk] = true
        r.ports[#r.ports + 1] = { port = c.port, protocol = c.protocol }
      end
    end
  end
  table.sort(order)
  local out = {}
  for _, sort in ipairs(order) do
    local r = peers[sort]
    table.sort(r.ports, function(a, b)
      if a.protocol ~= b.protocol then return a.protocol < b.protocol end
      return a.port < b.port
    end)
    local rule = { ports = r.ports }
    if r.sel then
      rule[direction == "ingress" and "from" or "to"] = { r.sel }
    end
    out[#out + 1] = rule
  end
  return out
end

-- one NetworkPolicy per pod, sorted by namespace and name
function M:policies()
  local keys = {}
  for k in pairs(self.pods) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local x, y = self.pods[a], self.pods[b]
    if x.namespace ~= y.namespace then return x.namespace < y.namespace end
    return x.name < y.name
  end)
  local out = {}
  for _, k in ipairs(keys) do
    local p = self.pods[k]
    local metadata = { name = p.name .. "-network", namespace = p.namespace }
    local selector = { matchLabels = copy(p.labels) }
    if not p.labels_known then
      selector = { matchExpressions = { { key = M.UNKNOWN_LABELS, operator = "Exists" } } }
      metadata.annotations = { [M.UNKNOWN_LABELS] = "the labels of pod " .. p.name
        .. " are not known (its runtime did not give them): this policy selects no pod; "
        .. "set spec.podSelector to its labels" }
    end
    local spec = {
      podSelector = selector,
      policyTypes = { "Ingress", "Egress" },
    }
    local ingress, egress = self:rules(p, "ingress"), self:rules(p, "egress")
    if #ingress > 0 then spec.ingress = ingress end
    if #egress > 0 then spec.egress = egress end
    out[#out + 1] = {
      apiVersion = "networking.k8s.io/v1",
      kind = "NetworkPolicy",
      metadata = metadata,
      spec = spec,
    }
  end
  return out
end

return M
