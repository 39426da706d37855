// connections[], workloads[], events[] and expect[].
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <cmath>
#include <cctype>
#include <cstdlib>

#include "model/scenario/sections.h"

namespace rnicsim::scenario::detail {
namespace {

const std::vector<std::string> kOps = {"write",   "read",     "send",     "send_se",  "send_inv",
                                       "send_se_inv", "fetch_add", "cmp_swap", "write_lat", "read_lat",
                                       "send_lat", "bulk",     "sink",     "expose",   "ping"};
const std::vector<std::string> kViolations = {"stag", "pd", "bounds", "access", "invalidated"};

/// protocol-facts.md, "Which Terminate for which violation": the violations that have a
/// code for an op. The latency ops carry the same RDMA Writes and Reads on the wire.
std::vector<std::string> violations_for(const std::string& op) {
  if (op == "write" || op == "write_lat" || op == "read" || op == "read_lat") return kViolations;
  if (op == "send_inv" || op == "send_se_inv") return {"stag", "invalidated", "pd"};
  return {};
}

/// A plain scalar that reads as a finite number.
bool plain_number(const YNode& v) {
  if (v.quoted || v.kind != YNode::Kind::Scalar || v.text.empty()) return false;
  char* end = nullptr;
  const double d = std::strtod(v.text.c_str(), &end);
  return end == v.text.c_str() + v.text.size() && std::isfinite(d);
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

/// `revision` 2 puts the 4-byte IRD/ORD prefix of RFC 6581 in the private data: 508 bytes
/// are left for the application's.
void read_mpa_side(Ctx& c, const MapIn& m, MpaSideSpec& side, int revision) {
  m.read("markers", side.markers, read_bool);
  m.read("crc", side.crc, read_bool);
  m.read("ird", side.ird, read_uint, 0, 16383);
  m.read("ord", side.ord, read_uint, 0, 16383);
  if (const YNode* p = m.get("private_data")) {
    if (const auto text = read_string(c, *p, m.sub("private_data"))) {
      if (text->size() > 512)
        c.error(p->loc, fmt::format("{}: {} bytes, more than MPA's limit of 512", m.sub("private_data"), text->size()));
      else if (revision == 2 && text->size() > 508)
        c.error(p->loc, fmt::format("{}: {} bytes, more than the 508 that MPA revision 2 leaves after its "
                                    "4-byte IRD/ORD prefix (512 in all)", m.sub("private_data"), text->size()));
      else
        side.private_data = *text;
    }
  }
}

void read_mpa(Ctx& c, const YNode& n, const std::string& path, MpaSpec& mpa) {
  MapIn m(c, n, path, {"revision", "markers", "crc", "ird", "ord", "private_data", "reject", "server"});
  const auto read_revision = [&c](const MapIn& mm, int& rev) {
    if (const YNode* r = mm.get("revision")) {
      if (r->kind == YNode::Kind::Scalar && !r->quoted && (r->text == "1" || r->text == "2"))
        rev = r->text == "1" ? 1 : 2;
      else
        c.error(r->loc, fmt::format("{}: expected 1 (RFC 5044) or 2 (RFC 6581), got {}", mm.sub("revision"), describe(*r)));
    }
  };
  read_revision(m, mpa.revision);
  m.forbid("reject", "at the top of mpa: only the passive side rejects; write it under mpa.server");
  std::optional<MapIn> sm;
  if (const YNode* sv = m.get("server"))
    sm.emplace(c, *sv, m.sub("server"), std::vector<std::string>{"revision", "markers", "crc", "ird", "ord", "private_data", "reject"});
  mpa.server_revision = mpa.revision;
  if (sm) read_revision(*sm, mpa.server_revision);
  // Top-level keys apply to both sides: private data is checked against both revisions
  // unless the server has its own.
  const bool shared_pd = !(sm && sm->has("private_data"));
  read_mpa_side(c, m, mpa.client, shared_pd ? std::max(mpa.revision, mpa.server_revision) : mpa.revision);
  mpa.server = mpa.client;
  if (sm) {
    read_mpa_side(c, *sm, mpa.server, mpa.server_revision);
    sm->read("reject", mpa.server.reject, read_bool);
  }
}

std::vector<uint64_t> read_sizes(Ctx& c, const YNode& n, const std::string& path, bool& is_list) {
  std::vector<uint64_t> out;
  is_list = n.kind == YNode::Kind::Seq;
  if (!is_list) {
    if (const auto v = read_size(c, n, path)) out.push_back(*v);
    return out;
  }
  if (n.items.empty()) c.error(n.loc, fmt::format("{}: expected a size or a list of sizes, got an empty list", path));
  for (size_t i = 0; i < n.items.size(); ++i) {
    const std::string ip = fmt::format("{}[{}]", path, i);
    if (const auto v = read_size(c, n.items[i], ip)) {
      if (std::find(out.begin(), out.end(), *v) != out.end())
        c.error(n.items[i].loc, fmt::format("{}: {} bytes is already in this list", ip, *v));
      out.push_back(*v);
    }
  }
  return out;
}

}  // namespace

void read_connections(Ctx& c, const YNode* n, Scenario& s) {
  const auto items = list_items(c, n, "connections");
  for (size_t i = 0; i < items.size(); ++i) {
    MapIn m(c, *items[i], fmt::format("connections[{}]", i),
            {"id", "from", "to", "port", "src_port", "kind", "at", "disconnect", "repeat", "mpa", "qp"});
    ConnectionSpec cn;
    cn.loc = m.loc();
    if (m.require("id", "a name ([a-z][a-z0-9_]*)")) m.read("id", cn.id, read_name);
    // A side is a host's name, or a peer outside the simulation written as its IPv4 address.
    auto side = [&](const char* key, std::string& name, bool client) {
      const YNode* v = m.get(key);
      if (!v) return;
      const bool address = v->kind == YNode::Kind::Scalar && !v->text.empty() && std::isdigit(static_cast<unsigned char>(v->text[0]));
      if (!address) {
        m.read(key, name, read_name);
        return;
      }
      if (cn.outside) {
        c.error(v->loc, fmt::format("{}: both sides are outside addresses: one side is a simulated host", m.sub(key)));
        return;
      }
      if (auto a = read_ipv4(c, *v, m.sub(key))) {
        cn.outside = *a;
        cn.outside_is_client = client;
      }
    };
    if (m.require("from", "the name of a host (the active side), or an outside peer's IPv4 address")) side("from", cn.from, true);
    if (m.require("to", "the name of a host (the passive side), or an outside peer's IPv4 address")) side("to", cn.to, false);
    if (m.require("port", "the server's port, 1..65535")) m.read("port", cn.port, read_uint, 1, 65535);
    m.read("src_port", cn.src_port, read_uint, 1, 65535);
    m.read("kind", cn.kind, read_enum, std::vector<std::string>{"rdma", "tcp"});
    m.read("at", cn.at, read_duration);
    if (m.read("disconnect", cn.disconnect, read_duration) && *cn.disconnect <= cn.at)
      c.error(c.where(m.sub("disconnect"), cn.loc),
              fmt::format("{}: the disconnect must come after the connection starts (at: {} ns), got {} ns",
                          m.sub("disconnect"), cn.at.ps / 1000, cn.disconnect->ps / 1000));
    if (m.read("repeat", cn.repeat, read_uint, 1, 65535) && cn.port != 0 && cn.port + cn.repeat - 1 > 65535)
      c.error(c.where(m.sub("repeat"), cn.loc),
              fmt::format("{}: {} copies from port {} run past port 65535", m.sub("repeat"), cn.repeat, cn.port));
    if (cn.src_port && cn.repeat > 1 && *cn.src_port + cn.repeat - 1 > 65535)
      c.error(c.where(m.sub("src_port"), cn.loc),
              fmt::format("{}: {} copies from port {} run past port 65535", m.sub("src_port"), cn.repeat, *cn.src_port));
    if (cn.kind == "tcp") {
      m.forbid("mpa", "by kind: tcp (a host-stack socket has no MPA)");
      m.forbid("qp", "by kind: tcp (a host-stack socket has no QP)");
      m.forbid("disconnect", "by kind: tcp (a host-stack socket closes when its bulk data is sent)");
    } else {
      if (const YNode* mp = m.get("mpa")) read_mpa(c, *mp, m.sub("mpa"), cn.mpa);
      if (const YNode* q = m.get("qp")) {
        MapIn qm(c, *q, m.sub("qp"), {"sq_depth", "rq_depth", "cq_depth", "cq_mode", "cq_moderation"});
        qm.read("sq_depth", cn.sq_depth, read_uint, 1, 65536);
        qm.read("rq_depth", cn.rq_depth, read_uint, 1, 65536);
        qm.read("cq_depth", cn.cq_depth, read_uint, 1, 131072);
        qm.read("cq_mode", cn.cq_mode, read_enum, std::vector<std::string>{"poll", "event"});
        if (const YNode* mo = qm.get("cq_moderation")) {
          MapIn mm(c, *mo, qm.sub("cq_moderation"), {"count", "period"});
          mm.read("count", cn.cq_moderation_count, read_uint, 0, 65535);
          mm.read("period", cn.cq_moderation_period, read_duration);
          if (cn.cq_mode != "event")
            c.error(mo->loc, fmt::format("{}: moderation paces interrupts, so it needs cq_mode: event",
                                         qm.sub("cq_moderation")));
        }
      }
    }
    s.connections.push_back(std::move(cn));
  }
}

void read_workloads(Ctx& c, const YNode* n, Scenario& s) {
  const auto items = list_items(c, n, "workloads");
  for (size_t i = 0; i < items.size(); ++i) {
    MapIn m(c, *items[i], fmt::format("workloads[{}]", i),
            {"id", "conn", "op", "size", "count", "depth", "start", "fence", "verify", "violate", "from", "to",
             "interval", "timeout", "access"});
    WorkloadSpec w;
    w.loc = m.loc();
    if (m.require("id", "a name ([a-z][a-z0-9_]*)")) m.read("id", w.id, read_name);
    if (m.require("op", "one of " + join(kOps, " | "))) m.read("op", w.op, read_enum, kOps);
    const bool ping = w.op == "ping";
    if (ping) {
      const std::string why = "by op: ping, which needs no connection";
      m.forbid("conn", why);
      m.forbid("violate", why);
      m.forbid("fence", "by op: ping");
      m.forbid("depth", "by op: ping (it sends one echo request per interval)");
      if (m.require("from", "the name of the host that pings")) m.read("from", w.from, read_name);
      if (m.require("to", "the IPv4 address to ping")) m.read("to", w.to, read_ipv4);
      m.read("interval", w.interval, read_duration);
      if (m.read("timeout", w.timeout, read_duration) && w.timeout.ps <= 0)
        c.error(c.where(m.sub("timeout"), w.loc), fmt::format("{}: a request waits more than 0s for its answer", m.sub("timeout")));
      w.sizes = {56};  // ping(8)'s default payload
    } else if (!w.op.empty()) {
      const std::string why = "by op: " + w.op + " (only by op: ping)";
      m.forbid("from", why);
      m.forbid("to", why);
      m.forbid("interval", why);
      m.forbid("timeout", why);
      if (m.require("conn", "the id of a connection")) m.read("conn", w.conn, read_name);
    }
    if (w.op == "sink") {
      // It reads what the peer sends, from the first byte, and checks every byte.
      const std::string why = "by op: sink (it reads the peer's stream from its first byte and checks every byte)";
      for (const char* k : {"depth", "start", "fence", "verify", "violate"}) m.forbid(k, why);
    }
    if (w.op == "expose") {
      // Regions registered before the connection, for the peer to Read or Write.
      const std::string why = "by op: expose (its regions are registered before the peer connects, every byte checked)";
      for (const char* k : {"depth", "start", "fence", "verify", "violate"}) m.forbid(k, why);
      if (m.require("access", "read or write: what the peer may do to the regions"))
        m.read("access", w.access, read_enum, std::vector<std::string>{"read", "write"});
    } else if (!w.op.empty()) {
      m.forbid("access", "by op: " + w.op + " (only by op: expose)");
    }
    if (const YNode* sz = m.get("size")) w.sizes = read_sizes(c, *sz, m.sub("size"), w.size_sweep);
    else if (!ping && !w.op.empty()) m.require("size", "a size or a list of sizes");
    if ((w.op == "fetch_add" || w.op == "cmp_swap")) {
      for (size_t k = 0; k < w.sizes.size(); ++k)
        if (w.sizes[k] != 8) {
          const std::string sp = w.size_sweep ? fmt::format("{}[{}]", m.sub("size"), k) : m.sub("size");
          c.error(c.where(sp, w.loc),
                  fmt::format("{}: {} operands are 8 bytes (RFC 7306), got {} bytes", sp, w.op, w.sizes[k]));
        }
    }
    m.read("count", w.count, read_uint, 1, UINT64_MAX);
    m.read("depth", w.depth, read_uint, 1, 65536);
    m.read("start", w.start, read_duration);
    if (m.read("fence", w.fence, read_bool) && w.fence && w.op != "read" && w.op != "read_lat" && !ping)
      c.error(c.where(m.sub("fence"), w.loc),
              fmt::format("{}: a fence orders RDMA Reads: only for op: read or read_lat, not {}", m.sub("fence"), w.op));
    m.read("verify", w.verify, read_bool);
    if (!ping && m.read("violate", w.violate, read_enum, kViolations) && !w.op.empty()) {
      const auto valid = violations_for(w.op);
      if (valid.empty())
        c.error(c.where(m.sub("violate"), w.loc),
                fmt::format("{}: op: {} has no Terminate for a violation (valid with write, read, write_lat, read_lat, "
                            "send_inv, send_se_inv)",
                            m.sub("violate"), w.op));
      else if (!has(valid, w.violate))
        c.error(c.where(m.sub("violate"), w.loc),
                fmt::format("{}: '{}' has no Terminate with op: {} (valid: {})", m.sub("violate"), w.violate, w.op,
                            join(valid)));
    }
    s.workloads.push_back(std::move(w));
  }
}

void read_events(Ctx& c, const YNode* n, Scenario& s) {
  struct KindRule {
    const char* kind;
    bool link;                           // a link event, else a host event
    std::vector<std::string> required;   // beyond at, kind and host/link
    std::vector<std::string> optional;
  };
  static const std::vector<KindRule> rules = {
      {"change_addr", false, {"mac"}, {}},      {"pmtu_update", false, {"dst", "mtu"}, {}},
      {"redirect", false, {"dst", "gateway"}, {}}, {"change_mtu", false, {"mtu"}, {}},
      {"neigh_update", false, {"ip", "mac"}, {}}, {"bind", false, {"port"}, {}},
      {"netdev", false, {"state"}, {}},          {"down", true, {}, {}},
      {"up", true, {}, {}},                      {"set", true, {}, {"loss", "reorder", "corrupt"}},
  };
  const std::vector<std::string> fields = {"mac", "dst", "gateway", "ip", "mtu", "port", "state", "loss", "reorder", "corrupt"};
  std::vector<std::string> kinds;
  for (const auto& r : rules) kinds.emplace_back(r.kind);
  std::vector<std::string> keys = {"at", "host", "link", "kind"};
  keys.insert(keys.end(), fields.begin(), fields.end());

  const auto items = list_items(c, n, "events");
  for (size_t i = 0; i < items.size(); ++i) {
    MapIn m(c, *items[i], fmt::format("events[{}]", i), keys);
    EventSpec e;
    e.loc = m.loc();
    if (m.require("at", "a time (ns, us, ms, s)")) m.read("at", e.at, read_duration);
    const KindRule* rule = nullptr;
    if (m.require("kind", "one of " + join(kinds, " | ")) && m.read("kind", e.kind, read_enum, kinds))
      for (const auto& r : rules)
        if (e.kind == r.kind) rule = &r;
    if (rule) {
      const std::string by = fmt::format("by kind: {}", e.kind);
      if (rule->link) {
        m.forbid("host", by + " (a link event)");
        if (m.require("link", "the name of a link")) m.read("link", e.link, read_name);
      } else {
        m.forbid("link", by + " (a host event)");
        if (m.require("host", "the name of a host")) m.read("host", e.host, read_name);
      }
      for (const auto& f : fields)
        if (!has(rule->required, f) && !has(rule->optional, f)) m.forbid(f, by);
      for (const auto& f : rule->required) m.require(f, "a value for kind: " + e.kind);
      if (!rule->optional.empty() && std::none_of(rule->optional.begin(), rule->optional.end(),
                                                  [&](const std::string& f) { return m.has(f); }))
        c.error(e.loc, fmt::format("{}: kind: {} needs at least one of {}", m.path(), e.kind, join(rule->optional)));
      if (has(rule->required, "mac")) m.read("mac", e.mac, read_mac);
      if (has(rule->required, "dst")) m.read("dst", e.dst, read_ipv4);
      if (has(rule->required, "gateway")) m.read("gateway", e.gateway, read_ipv4);
      if (has(rule->required, "ip")) m.read("ip", e.ip, read_ipv4);
      // A PMTU may fall to IPv4's minimum of 68 (RFC 791); a netdev MTU stays in the host's range.
      if (has(rule->required, "mtu")) m.read("mtu", e.mtu, read_uint, e.kind == "pmtu_update" ? 68 : 576, 9216);
      if (has(rule->required, "port")) m.read("port", e.port, read_uint, 1, 65535);
      if (has(rule->required, "state"))
        m.read("state", e.state, read_enum, std::vector<std::string>{"going_down", "down", "up"});
      if (has(rule->optional, "loss")) m.read("loss", e.loss, read_prob);
      if (has(rule->optional, "reorder")) m.read("reorder", e.reorder, read_prob);
      if (has(rule->optional, "corrupt")) m.read("corrupt", e.corrupt, read_prob);
    }
    s.events.push_back(std::move(e));
  }
}

void read_expect(Ctx& c, const YNode* n, Scenario& s) {
  const std::vector<std::string> ops = {"eq", "min", "max", "approx"};
  const auto items = list_items(c, n, "expect");
  for (size_t i = 0; i < items.size(); ++i) {
    MapIn m(c, *items[i], fmt::format("expect[{}]", i), {"metric", "eq", "min", "max", "approx", "rel", "abs"});
    Expectation x;
    x.loc = m.loc();
    if (m.require("metric", "a path into results.json, like workloads.w1.completed"))
      m.read("metric", x.metric, read_string);
    std::vector<std::string> present;
    for (const auto& op : ops)
      if (m.has(op)) present.push_back(op);
    if (present.empty() && m.is_map())
      c.error(x.loc, fmt::format("{}: needs one of eq, min, max, approx", m.path()));
    for (size_t k = 1; k < present.size(); ++k)
      c.error(c.where(m.sub(present[k]), x.loc),
              fmt::format("{}: only one of eq, min, max, approx per entry (this one has {} too)", m.sub(present[k]),
                          present[0]));
    if (!present.empty()) {
      x.op = present[0];
      const YNode& v = *m.get(x.op);
      if (x.op == "eq" && v.kind == YNode::Kind::Scalar && !plain_number(v)) {
        // Not a number: a boolean when written plainly as one, else a string.
        const bool plain_bool = !v.quoted && (v.text == "true" || v.text == "false" || v.text == "True" ||
                                              v.text == "False" || v.text == "TRUE" || v.text == "FALSE");
        if (plain_bool) x.want = v.text[0] == 't' || v.text[0] == 'T';
        else x.want = v.text;
      } else if (x.op == "eq" && v.kind != YNode::Kind::Scalar) {
        c.error(v.loc, fmt::format("{}: expected a number, a string or a boolean, got {}", m.sub("eq"), describe(v)));
      } else if (const auto num = read_number(c, v, m.sub(x.op), -HUGE_VAL, HUGE_VAL)) {
        x.want = *num;
      }
    }
    for (const char* tol : {"rel", "abs"}) {
      if (!m.has(tol)) continue;
      if (x.op != "approx") {
        m.forbid(tol, "without approx");
        continue;
      }
      std::optional<double>& out = std::string(tol) == "rel" ? x.rel : x.abs;
      m.read(tol, out, read_number, 0.0, HUGE_VAL);
    }
    if (x.op == "approx" && !m.has("rel") && !m.has("abs"))
      c.error(c.where(m.sub("approx"), x.loc), fmt::format("{}: needs a tolerance: rel or abs", m.sub("approx")));
    s.expect.push_back(std::move(x));
  }
}

}  // namespace rnicsim::scenario::detail
