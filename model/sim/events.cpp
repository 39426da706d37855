// The scenario's events, each at its time: host events through the host's network stack
// (which tells the RNIC as its notify mode allows), link events on the link itself.
#include <stdexcept>

#include "model/sim/model.h"

namespace rnicsim::sim {

void schedule_events(Model& m) {
  std::map<std::string, hw::Link*> link_by_name;
  for (auto& l : m.links) link_by_name[l->config().name] = l.get();
  for (const auto& e : m.s.events) {
    const scenario::EventSpec* ev = &e;
    if (e.kind == "bind") {
      apply_bind(m, e);  // event_bind.cpp
      continue;
    }
    if (!e.link.empty()) {
      hw::Link* link = link_by_name.at(e.link);
      m.control->at(e.at, [link, ev] {
        if (ev->kind == "down") link->set_up(false);
        if (ev->kind == "up") link->set_up(true);
        if (ev->kind != "set") return;
        // Unwritten faults keep their values.
        const hw::LinkConfig& c = link->config();
        double loss[2] = {c.loss[0], c.loss[1]}, reorder[2] = {c.reorder[0], c.reorder[1]},
               corrupt[2] = {c.corrupt[0], c.corrupt[1]};
        if (ev->loss) loss[0] = ev->loss->forward, loss[1] = ev->loss->reverse;
        if (ev->reorder) reorder[0] = ev->reorder->forward, reorder[1] = ev->reorder->reverse;
        if (ev->corrupt) corrupt[0] = ev->corrupt->forward, corrupt[1] = ev->corrupt->reverse;
        link->set_faults(loss, reorder, corrupt);
      });
      continue;
    }
    host::Host* h = m.host_by_name.at(e.host);
    m.control->at(e.at, [h, ev] {
      const std::string& k = ev->kind;
      if (k == "change_addr") h->change_addr(*ev->mac);
      else if (k == "neigh_update") h->set_neighbour(*ev->ip, *ev->mac);
      else if (k == "pmtu_update") h->learn_pmtu(*ev->dst, *ev->mtu);
      else if (k == "redirect") h->take_redirect(*ev->dst, *ev->gateway);
      else if (k == "change_mtu") h->change_mtu(*ev->mtu);
      else if (k == "netdev") h->set_netdev(ev->state);
      else throw std::logic_error("event kind not dispatched: " + k);
    });
  }
}

}  // namespace rnicsim::sim
