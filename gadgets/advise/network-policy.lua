-- advise/network-policy: a Kubernetes NetworkPolicy per pod, allowing the
-- TCP connections it made and accepted and the UDP flows it started or
-- answered (ig's advise network-policy).
--
-- Each connect (egress) and accept (ingress) of a pod's container, and the
-- first datagram of each UDP flow (gadget.netpol judges who started it), is
-- kept as (pod, direction, peer address, port); the pods' own addresses are
-- learned from their connections' local ends, so a peer that is a pod
-- becomes a podSelector.  The manifests are written at the end (and every
-- --interval) as YAML.
local gadget = require("gadget")
local netpol = require("gadget.netpol")

local np = netpol.new()
local labels_of = {}  -- pod key -> labels seen on any container of the pod (a sandbox's
                      -- too); none when no container's runtime gave them
local warned = {}     -- pod key -> said its labels are unknown

local function pod_key(k8s)
  return k8s.namespace .. "/" .. k8s.podName
end

-- a pod's labels can be on its sandbox (CRI-O): look at every container
local function refresh_labels()
  for _, c in ipairs(gadget.containers()) do
    if c.k8s and c.k8s.namespace and c.k8s.podName and c.k8s.labels then
      local key = pod_key(c.k8s)
      labels_of[key] = labels_of[key] or {}
      for k, v in pairs(c.k8s.labels) do
        labels_of[key][k] = v
      end
    end
  end
end

local function emit_all(ctx)
  refresh_labels()
  for key, labels in pairs(labels_of) do
    if np.pods[key] then
      np:pod(key, { labels = labels })
    end
  end
  for key, p in pairs(np.pods) do
    if not p.labels_known and not warned[key] then
      warned[key] = true
      gadget.warn("the labels of pod " .. key .. " are not known: its policy selects no "
        .. "pod until its podSelector is written in")
    end
  end
  for _, policy in ipairs(np:policies()) do
    for _, dir in ipairs({ "ingress", "egress" }) do
      for _, rule in ipairs(policy.spec[dir] or {}) do
        gadget.ordered(rule, { "from", "to", "ports" })
      end
    end
    gadget.ordered(policy.metadata, { "name", "namespace", "annotations" })
    gadget.ordered(policy.spec, { "podSelector", "policyTypes", "ingress", "egress" })
    ctx.emit(gadget.ordered(policy, { "apiVersion", "kind", "metadata", "spec" }))
  end
end

return {
  name = "advise network-policy",
  description = "Print a Kubernetes NetworkPolicy per pod: the TCP connections and UDP flows it made and accepted",
  object = "advise/network-policy.bpf.o",
  documents_only = true,
  document_format = "yaml",

  fields = {
    typeRaw = { hidden = true },
    type = { from = "typeRaw", enum = { connect = 0, accept = 1, udpsend = 2, udprecv = 3 },
             width = 7 },
    proto = { hidden = true, description = "6 (TCP) or 17 (UDP)" },
  },

  enrich = function(ev)
    local c = gadget.container(ev.mountnsid)
    if not c or not c.k8s or not c.k8s.namespace or not c.k8s.podName or not c.selected then
      return -- not a pod: no NetworkPolicy selects it
    end
    local key = pod_key(c.k8s)
    np:pod(key, { namespace = c.k8s.namespace, name = c.k8s.podName, labels = c.k8s.labels })
    np:address(ev.saddr, key)
    local t = ev.typeRaw
    if t == 0 then
      np:connection(key, "egress", ev.daddr, ev.dport, "TCP")
    elseif t == 1 then
      np:connection(key, "ingress", ev.daddr, ev.sport, "TCP")
    else
      np:udp(key, t == 2 and "send" or "recv", ev.daddr, ev.dport, ev.sport)
    end
  end,

  on_interval = emit_all,
  on_container = function(ctx, c, added)
    if added then refresh_labels() end
  end,
  on_stop = emit_all,
}
