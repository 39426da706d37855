// The host's side of the host events: what the scenario's events inject and what the
// network teaches (gratuitous ARP, ICMP fragmentation-needed and redirects), applied to
// the host's own stack and passed to the RNIC across the shim as its notify mode allows.
#include <fmt/format.h>

#include "host_if/host.h"
#include "model/common/address.h"

namespace rnicsim::host {

namespace {
constexpr uint32_t kIpv4TcpHeaders = 40;
}

void Host::netdev_notify(fw::NetdevEvent ev, nlohmann::ordered_json fields) {
  // The driver owns its device: UP, DOWN and GOING_DOWN reach the RNIC whatever its mode;
  // an address or MTU change only through the notifier (notify: netevent). A type-3 RNIC
  // has a netdev of its own: the host's events are not its.
  if (cfg_.notify == Notify::OwnStack) return;
  const bool state_event = ev == fw::NetdevEvent::Up || ev == fw::NetdevEvent::Down || ev == fw::NetdevEvent::GoingDown;
  if (!state_event && cfg_.notify != Notify::Netevent) return;
  std::string kind = fw::to_string(ev);  // NETDEV_UP -> netdev_up
  for (char& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  nlohmann::ordered_json f{{"netdev", cfg_.netdev}};
  for (auto& [k, v] : fields.items()) f[k] = v;
  ++stats_.netevents_to_rnic;
  log_.emit(sim_now(), cfg_.name, "to_rnic", kind.c_str(), std::move(f));
  firmware_->netdev_event(ev, cfg_.mtu, cfg_.mac);
}

void Host::change_addr(wire::MacAddr mac) {
  if (mac == cfg_.mac) return;
  const wire::MacAddr old = cfg_.mac;
  cfg_.mac = mac;
  rnic_->set_port_mac(mac);                  // ndo_set_mac_address: the port's filter
  soft_tcp_->engine().set_mac_addr(mac);     // the host's own frames
  netdev_notify(fw::NetdevEvent::ChangeAddr, {{"mac", format_mac(mac)}, {"old_mac", format_mac(old)}});
  // A gratuitous ARP (arp_notify: devinet's inetdev_send_gratuitous_arp): a broadcast
  // request for our own address, so every neighbour that knows us learns the new MAC.
  if (up_) send_arp(wire::ArpOp::Request, wire::kMacBroadcast, 0, cfg_.ip);
}

void Host::set_neighbour(wire::Ipv4Addr ip, wire::MacAddr mac) {
  netstack::NeighActions out;
  neigh_.confirm(ip, mac, sim_now(), out);
  apply(out);
}

uint32_t Host::path_mtu(wire::Ipv4Addr dst) {
  const netstack::RouteRef r = routes_.lookup(dst);
  return pmtu_.path_mtu(dst, r ? r->mtu : cfg_.mtu, sim_now());
}

template <typename F>
void Host::for_own_connections(wire::Ipv4Addr dst, F&& f) {
  hw::Toe& own = soft_tcp_->engine();
  for (uint32_t c = 0; c < own.connection_count(); ++c)
    if (own.tuple(c).remote_ip == dst) f(c);
}

void Host::learn_pmtu(wire::Ipv4Addr dst, uint32_t mtu) {
  const Duration now = sim_now();
  const netstack::RouteRef r = routes_.lookup(dst);
  const uint32_t route_mtu = r ? r->mtu : cfg_.mtu;
  // RFC 1191 s.6.3: never raised by a Datagram Too Big message; not above the route's.
  if (mtu >= route_mtu || !pmtu_.learn(dst, mtu, now)) return;
  const uint32_t pm = pmtu_.path_mtu(dst, route_mtu, now);
  for_own_connections(dst, [this, pm](uint32_t c) { soft_tcp_->engine().set_path_mtu(c, pm); });
  if (cfg_.notify == Notify::Netevent) {
    ++stats_.netevents_to_rnic;
    log_.emit(now, cfg_.name, "to_rnic", "pmtu_update", {{"dst", format_ipv4(dst)}, {"mtu", pm}});
    firmware_->netevent_pmtu_update(dst, pm);
  }
  // The learned MTU expires (Linux's ip_rt_mtu_expires): the host's own connections go
  // back to the route's. Nothing tells the RNIC (the 2006 patch raised updates only).
  agenda_.at(now + netstack::PmtuConfig{}.mtu_expires, [this, dst] {
    if (pmtu_.lookup(dst, sim_now())) return;  // learned again since
    for_own_connections(dst, [this](uint32_t c) { soft_tcp_->engine().set_path_mtu(c, 0); });
  });
}

void Host::repath_own(wire::Ipv4Addr dst) {
  for_own_connections(dst, [this, dst](uint32_t c) {
    when_resolved(next_hop(dst), [this, c, dst](wire::MacAddr mac) {
      if (mac == 0) return;  // the new first hop failed: the connection keeps the old
      soft_tcp_->engine().set_path(c, path(dst));
    });
  });
}

void Host::take_redirect(wire::Ipv4Addr dst, wire::Ipv4Addr gateway, wire::Ipv4Addr from) {
  const wire::Ipv4Addr old_gw = next_hop(dst);
  // Linux's __ip_do_redirect: from the current first hop only, toward a gateway on the
  // link that is not ourselves, and not the first hop already.
  const uint32_t mask = netstack::prefix_mask(cfg_.prefix_len);
  if ((from != 0 && from != old_gw) || (gateway & mask) != (cfg_.ip & mask) || gateway == cfg_.ip ||
      gateway == old_gw)
    return;
  const netstack::RouteRef r = routes_.lookup(dst);
  routes_.replace({dst, 32, gateway, r ? r->mtu : cfg_.mtu});
  repath_own(dst);
  if (cfg_.notify != Notify::Netevent) return;
  ++stats_.netevents_to_rnic;
  log_.emit(sim_now(), cfg_.name, "to_rnic", "redirect",
            {{"dst", format_ipv4(dst)}, {"old_gateway", format_ipv4(old_gw)}, {"new_gateway", format_ipv4(gateway)}});
  firmware_->netevent_redirect(dst, old_gw, gateway);
}

void Host::change_mtu(uint32_t mtu) {
  if (mtu == cfg_.mtu) return;
  const uint32_t old = cfg_.mtu;
  cfg_.mtu = mtu;
  routes_.set_mtu(mtu);  // the host's own connections hold these entries
  hw::Toe& own = soft_tcp_->engine();
  for (uint32_t c = 0; c < own.connection_count(); ++c) own.kick(c);
  netdev_notify(fw::NetdevEvent::ChangeMtu, {{"mtu", mtu}, {"old_mtu", old}});
}

void Host::set_netdev(const std::string& state) {
  if (cfg_.notify == Notify::OwnStack) {
    // Type 3: the host's netdev beside the RNIC's own on one port. Its state is the host
    // stack's alone (the port stays up for the RNIC, which hears nothing of it).
    up_ = state == "up";
    going_down_ = false;
    return;
  }
  if (state == "up") {
    if (up_ && !going_down_) return;
    up_ = true;
    going_down_ = going_down_done_ = down_pending_ = false;
    rnic_->set_port_up(true);
    netdev_notify(fw::NetdevEvent::Up, {{"state", "up"}});
    return;
  }
  if (!up_) return;
  if (!going_down_) {
    going_down_ = true;
    netdev_notify(fw::NetdevEvent::GoingDown, {{"state", "going_down"}});
  }
  if (state != "down") return;
  // ndo_stop follows the GOING_DOWN handlers (the notifier chain returns first).
  if (going_down_done_)
    stop_port();
  else
    down_pending_ = true;
}

void Host::stop_port() {
  down_pending_ = false;
  up_ = false;
  rnic_->set_port_up(false);
  netdev_notify(fw::NetdevEvent::Down, {{"state", "down"}});
}

}  // namespace rnicsim::host
