// switches[], routers[] and links[].
#include <fmt/format.h>

#include "model/scenario/sections.h"

namespace rnicsim::scenario::detail {

void read_switches(Ctx& c, const YNode* n, Scenario& s) {
  const auto items = list_items(c, n, "switches");
  for (size_t i = 0; i < items.size(); ++i) {
    MapIn m(c, *items[i], fmt::format("switches[{}]", i), {"name", "buffer", "ecn_threshold", "latency"});
    SwitchSpec sw;
    sw.loc = m.loc();
    if (m.require("name", "a name ([a-z][a-z0-9_]*)")) m.read("name", sw.name, read_name);
    m.read("buffer", sw.buffer, read_size);
    m.read("ecn_threshold", sw.ecn_threshold, read_size);
    m.read("latency", sw.latency, read_duration);
    if (sw.buffer == 0) c.error(c.where(m.sub("buffer"), m.loc()), fmt::format("{}: expected a size above zero", m.sub("buffer")));
    if (sw.ecn_threshold > sw.buffer)
      c.error(c.where(m.sub("ecn_threshold"), m.loc()),
              fmt::format("{}: {} bytes is above the buffer ({} bytes): no frame would ever be marked",
                          m.sub("ecn_threshold"), sw.ecn_threshold, sw.buffer));
    s.switches.push_back(std::move(sw));
  }
}

void read_routers(Ctx& c, const YNode* n, Scenario& s) {
  const auto items = list_items(c, n, "routers");
  for (size_t i = 0; i < items.size(); ++i) {
    MapIn m(c, *items[i], fmt::format("routers[{}]", i), {"name", "latency", "redirects", "interfaces", "routes"});
    RouterSpec r;
    r.loc = m.loc();
    if (m.require("name", "a name ([a-z][a-z0-9_]*)")) m.read("name", r.name, read_name);
    m.read("latency", r.latency, read_duration);
    m.read("redirects", r.redirects, read_bool);
    if (m.require("interfaces", "a list of {name, ip, mac, mtu}")) {
      const auto ifs = list_items(c, m.get("interfaces"), m.sub("interfaces"));
      const YNode::Kind ik = m.get("interfaces")->kind;
      if (ifs.empty() && (ik == YNode::Kind::Seq || ik == YNode::Kind::Null))
        c.error(m.get("interfaces")->loc, fmt::format("{}: a router needs at least one interface", m.sub("interfaces")));
      for (size_t k = 0; k < ifs.size(); ++k) {
        MapIn im(c, *ifs[k], fmt::format("{}[{}]", m.sub("interfaces"), k), {"name", "ip", "mac", "mtu"});
        RouterIfSpec f;
        f.loc = im.loc();
        if (im.require("name", "a name ([a-z][a-z0-9_]*)")) im.read("name", f.name, read_name);
        if (im.require("ip", "an IPv4 address with prefix, like 10.0.0.254/24")) im.read("ip", f.ip, read_prefix);
        if (im.require("mac", "a MAC address, like 02:00:00:00:fe:01")) im.read("mac", f.mac, read_mac);
        im.read("mtu", f.mtu, read_uint, 576, 9216);
        for (const auto& other : r.interfaces)
          if (!f.name.empty() && other.name == f.name)
            c.error(c.where(im.sub("name"), f.loc),
                    fmt::format("{}: '{}' is already an interface of this router (at line {})", im.sub("name"), f.name,
                                other.loc.line));
        r.interfaces.push_back(std::move(f));
      }
    }
    const auto routes = list_items(c, m.get("routes"), m.sub("routes"));
    for (size_t k = 0; k < routes.size(); ++k) {
      MapIn rm(c, *routes[k], fmt::format("{}[{}]", m.sub("routes"), k), {"dst", "via"});
      Route rt;
      const bool has_dst = rm.require("dst", "an IPv4 prefix, like 10.9.0.0/16") && rm.read("dst", rt.dst, read_prefix);
      const bool has_via = rm.require("via", "an IPv4 address, like 10.0.0.253") && rm.read("via", rt.via, read_ipv4);
      if (has_dst && has_via) r.routes.push_back(rt);
    }
    s.routers.push_back(std::move(r));
  }
}

void read_links(Ctx& c, const YNode* n, Scenario& s) {
  const auto items = list_items(c, n, "links");
  for (size_t i = 0; i < items.size(); ++i) {
    MapIn m(c, *items[i], fmt::format("links[{}]", i), {"name", "ends", "rate", "delay", "loss", "reorder", "corrupt"});
    LinkSpec l;
    l.loc = m.loc();
    m.read("name", l.name, read_name);
    if (m.require("ends", "a list of two nodes: hosts, switches, router.interface or tap:DEVICE")) {
      const YNode* e = m.get("ends");
      const auto ends = list_items(c, e, m.sub("ends"));
      if (e->kind == YNode::Kind::Seq && ends.size() != 2)
        c.error(e->loc, fmt::format("{}: expected two ends, got {}", m.sub("ends"), ends.size()));
      for (size_t k = 0; k < ends.size() && ends.size() == 2; ++k) {
        const std::string ep = fmt::format("{}[{}]", m.sub("ends"), k);
        const auto text = read_string(c, *ends[k], ep);
        if (!text) continue;
        if (text->rfind("tap:", 0) == 0) {
          // A Linux TAP device: its name as `ip tuntap` takes it, within the name rule.
          YNode part = *ends[k];
          part.text = text->substr(4);
          const auto dev = read_name(c, part, ep + " (TAP device)");
          if (dev && dev->size() > 15)
            c.error(ends[k]->loc, fmt::format("{}: TAP device name '{}' is longer than Linux's 15 characters", ep, *dev));
          else if (dev)
            l.ends[k] = LinkEnd{"", "", *dev};
          continue;
        }
        const size_t dot = text->find('.');
        YNode part = *ends[k];
        part.text = text->substr(0, dot);
        const auto node = read_name(c, part, ep);
        std::optional<std::string> iface = std::string();
        if (dot != std::string::npos) {
          part.text = text->substr(dot + 1);
          iface = read_name(c, part, ep + " (interface)");
        }
        if (node && iface) l.ends[k] = LinkEnd{*node, *iface, ""};
      }
    }
    auto named = [](const LinkEnd& e) { return !e.node.empty() || !e.tap.empty(); };
    if (l.name.empty() && named(l.ends[0]) && named(l.ends[1])) {
      auto end_name = [](const LinkEnd& e) {
        return !e.tap.empty() ? "tap_" + e.tap : e.iface.empty() ? e.node : e.node + "_" + e.iface;
      };
      // A TAP end reads last, whichever end it is: <end>_tap_<NAME>.
      const bool tap_first = !l.ends[0].tap.empty() && l.ends[1].tap.empty();
      l.name = tap_first ? end_name(l.ends[1]) + "_" + end_name(l.ends[0])
                         : end_name(l.ends[0]) + "_" + end_name(l.ends[1]);
    }
    m.read("rate", l.rate, read_rate);
    m.read("delay", l.delay, read_duration);
    m.read("loss", l.loss, read_prob);
    m.read("reorder", l.reorder, read_prob);
    m.read("corrupt", l.corrupt, read_prob);
    s.links.push_back(std::move(l));
  }
}

}  // namespace rnicsim::scenario::detail
