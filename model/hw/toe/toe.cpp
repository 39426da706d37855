#include "model/hw/toe/toe.h"

#include <cassert>

#include "model/hw/mac/mac.h"
#include "model/proto/ip/frame.h"
#include "model/wire/tcp.h"

namespace rnicsim::hw {

/// Routes a connection's upcalls to its client, tagged with the connection id.
class Toe::Up : public tcp::Upcalls {
 public:
  Up(Toe& toe, uint32_t id) : toe_(toe), id_(id) {}
  bool on_data(ConstByteSpan d) override;
  Duration held_until() const override;
  void on_acked(uint64_t total) override;
  void on_state_change(tcp::State from, tcp::State to) override;
  void on_out_of_order(uint64_t pos, ConstByteSpan data) override;

 private:
  Toe& toe_;
  uint32_t id_;
};

struct Toe::Entry {
  uint32_t id = 0;
  FourTuple tuple;
  netstack::Path path;  ///< handles, never copies: a neighbour update reaches the next frame
  ToeClient* client = nullptr;
  std::unique_ptr<Up> up;
  std::unique_ptr<tcp::Connection> tcp;
  bool queued = false;    ///< in the ready list
  Duration timer_at{-1};  ///< the agenda item armed for this connection
};

bool Toe::Up::on_data(ConstByteSpan d) {
  ToeClient* c = toe_.conns_[id_]->client;
  return c ? c->toe_data(id_, d) : false;
}
Duration Toe::Up::held_until() const {
  const ToeClient* c = toe_.conns_[id_]->client;
  return c ? c->toe_held_until(id_) : Duration{-1};
}
void Toe::Up::on_acked(uint64_t total) {
  if (ToeClient* c = toe_.conns_[id_]->client) c->toe_acked(id_, total);
}
void Toe::Up::on_state_change(tcp::State from, tcp::State to) {
  if (ToeClient* c = toe_.conns_[id_]->client) c->toe_state(id_, from, to);
}
void Toe::Up::on_out_of_order(uint64_t pos, ConstByteSpan data) {
  if (ToeClient* c = toe_.conns_[id_]->client) c->toe_out_of_order(id_, pos, data);
}

Toe::~Toe() = default;

tcp::Connection& Toe::conn(uint32_t id) { return *conns_[id]->tcp; }
tcp::State Toe::state(uint32_t id) const { return conns_[id]->tcp->state(); }
const FourTuple& Toe::tuple(uint32_t id) const { return conns_[id]->tuple; }
const netstack::Path& Toe::path(uint32_t id) const { return conns_[id]->path; }
void Toe::set_client(uint32_t id, ToeClient* c) { conns_[id]->client = c; }

void Toe::set_path(uint32_t id, netstack::Path path) {
  assert(path.neighbour && "a connection needs its next hop's neighbour entry");
  Entry& e = *conns_[id];
  e.path = std::move(path);
  e.tcp->set_route(e.path.route);
  kick(id);
}

void Toe::set_path_mtu(uint32_t id, uint32_t mtu) {
  conns_[id]->tcp->set_path_mtu(mtu, sim_now());
  kick(id);
}

Toe::Toe(sc_core::sc_module_name name, const ToeConfig& cfg, Mac& mac, wire::MacAddr mac_addr,
         uint64_t seed)
    : sc_module(name), cfg_(cfg), mac_(mac), mac_addr_(mac_addr), rng_(seed, std::string(this->name())),
      agenda_(basename()) {
  mac_.on_tx_space([this] { pump(); });
}

uint32_t Toe::add(const FourTuple& t, netstack::Path path, const tcp::Config& cfg,
                  ToeClient* c) {
  assert(path.neighbour && "a connection needs its next hop's neighbour entry");
  const auto id = static_cast<uint32_t>(conns_.size());
  auto e = std::make_unique<Entry>();
  e->id = id;
  e->tuple = t;
  e->path = std::move(path);
  e->client = c;
  e->up = std::make_unique<Up>(*this, id);
  // ISN and timestamp offset from the seeded generator (RFC 9293 3.4.1 wants them
  // unpredictable; a fixed seed keeps runs identical).
  const uint32_t isn = rng_.u32();
  const uint32_t ts_off = rng_.u32();
  e->tcp = std::make_unique<tcp::Connection>(cfg, isn, ts_off, *e->up);
  e->tcp->set_route(e->path.route);
  conns_.push_back(std::move(e));
  table_[t] = id;
  return id;
}

uint32_t Toe::open_active(const FourTuple& t, netstack::Path path, const tcp::Config& cfg,
                          ToeClient* client) {
  const uint32_t id = add(t, std::move(path), cfg, client);
  conns_[id]->tcp->open_active(sim_now());
  kick(id);
  return id;
}

uint32_t Toe::open_passive(const SynInfo& syn, netstack::Path path, const tcp::Config& cfg,
                           ToeClient* client) {
  const uint32_t id = add(syn.tuple, std::move(path), cfg, client);
  conns_[id]->tcp->open_passive(syn.syn, sim_now());
  kick(id);
  return id;
}

void Toe::close(uint32_t id) {
  conns_[id]->tcp->close(sim_now());
  kick(id);
}

void Toe::abort(uint32_t id) {
  conns_[id]->tcp->abort(sim_now());
  kick(id);
}

void Toe::flush_resets() {
  std::deque<uint32_t> rest;
  for (const uint32_t id : ready_) {
    Entry& e = *conns_[id];
    if (e.tcp->state() == tcp::State::Closed && e.tcp->has_output()) {
      send_segment(e);  // a closed connection has nothing after its RST
      e.queued = false;
      continue;
    }
    rest.push_back(id);
  }
  ready_.swap(rest);
}

Duration Toe::tx_slot(Duration now) {
  Duration& busy = cfg_.shared_pipeline ? rx_busy_ : tx_busy_;
  const Duration start = std::max(now, busy);
  busy = start + cfg_.tx_interval;
  return busy + cfg_.tx_latency;
}

void Toe::to_mac(FramePtr f, Duration ready) {
  if (!cfg_.shared_pipeline) {
    // A hardware pipeline: the MAC takes the frame now and serialises it when it is ready.
    if (tx_filter_ && !tx_filter_(*f)) return;
    mac_.send(std::move(f), ready);
    return;
  }
  // Software: the frame reaches the driver's queue only when the CPU has built it, so it
  // never holds the shared MAC's queue head while the CPU works (the RNIC's frames pass).
  ++deferred_;
  agenda_.at(ready, [this, f = std::move(f)]() mutable {
    --deferred_;
    if (!tx_filter_ || tx_filter_(*f)) mac_.send(std::move(f), sim_now());
    pump();
  });
}

Duration Toe::rx_slot(Duration now) {
  const Duration start = std::max(now, rx_busy_);
  rx_busy_ = start + cfg_.rx_interval;
  return rx_busy_ + cfg_.rx_latency;
}

void Toe::send_reset(const wire::Ipv4Header& ip, const wire::TcpHeader& h, size_t payload_len,
                     wire::MacAddr dst_mac) {
  // RFC 9293 3.10.7.1: a segment for no connection is answered with a reset, never a reset.
  if (h.flags & wire::tcp_flags::kRst) return;
  wire::TcpHeader r;
  r.sport = h.dport;
  r.dport = h.sport;
  if (h.flags & wire::tcp_flags::kAck) {
    r.seq = h.ack;
    r.flags = wire::tcp_flags::kRst;
  } else {
    uint32_t len = static_cast<uint32_t>(payload_len);
    if (h.flags & wire::tcp_flags::kSyn) ++len;
    if (h.flags & wire::tcp_flags::kFin) ++len;
    r.seq = 0;
    r.ack = h.seq + len;
    r.flags = wire::tcp_flags::kRst | wire::tcp_flags::kAck;
  }
  // Not a connection: the reset goes back to the MAC the segment came from.
  const ip::TcpFrameAddrs a{mac_addr_, dst_mac, ip.dst, ip.src};
  uint8_t* payload = nullptr;
  FramePtr f = ip::build_tcp_frame(agenda_.frames(), ipv4_, a, r, 0, false, &payload);
  ip::fill_tcp_checksum(*f, a);
  ++stats_.resets_tx;
  to_mac(std::move(f), tx_slot(sim_now()));
}

void Toe::refuse(const SynInfo& syn) {
  wire::Ipv4Header ip;
  ip.src = syn.tuple.remote_ip;
  ip.dst = syn.tuple.local_ip;
  send_reset(ip, syn.syn, 0, syn.peer_mac);
}

void Toe::kick(uint32_t id) {
  Entry& e = *conns_[id];
  if (!e.queued && e.tcp->has_output()) {
    e.queued = true;
    ready_.push_back(id);
  }
  schedule_timer(id);
  pump();
}

void Toe::pump() {
  while (!ready_.empty() && mac_.tx_space() && deferred_ < mac_.config().tx_queue) {
    const uint32_t id = ready_.front();
    ready_.pop_front();
    Entry& e = *conns_[id];
    e.queued = false;
    if (!e.tcp->has_output()) continue;
    send_segment(e);
    schedule_timer(id);
    if (e.tcp->has_output()) {
      e.queued = true;
      ready_.push_back(id);
    }
  }
}

void Toe::send_segment(Entry& e) {
  const Duration now = sim_now();
  tcp::Outgoing out = e.tcp->next_output(now);
  out.hdr.sport = e.tuple.local_port;
  out.hdr.dport = e.tuple.remote_port;
  // The neighbour entry's MAC as of now: an update since the last frame takes effect here.
  const ip::TcpFrameAddrs a{mac_addr_, e.path.neighbour->mac, e.tuple.local_ip, e.tuple.remote_ip};
  uint8_t* payload = nullptr;
  FramePtr f = ip::build_tcp_frame(agenda_.frames(), ipv4_, a, out.hdr, out.len, out.ect, &payload);
  if (out.len) e.tcp->send_buffer().copy_out(out.offset, out.len, payload);
  ip::fill_tcp_checksum(*f, a);
  ++stats_.segments_tx;
  if (tx_observer_) tx_observer_(e.id, a.dst_mac);
  to_mac(std::move(f), tx_slot(now));
}

bool Toe::receive(FramePtr f, const wire::Ipv4Header& ip, const wire::TcpHeader& h,
                  size_t payload_off, size_t payload_len, wire::MacAddr src_mac) {
  const FourTuple t{ip.dst, ip.src, h.dport, h.sport};
  auto it = table_.find(t);
  if (it != table_.end() && conns_[it->second]->tcp->state() != tcp::State::Closed) {
    const uint32_t id = it->second;
    ++stats_.segments_rx;
    const bool ce = ip.ecn == 3;
    agenda_.at(rx_slot(sim_now()), [this, id, f = std::move(f), h, payload_off, payload_len, ce] {
      conns_[id]->tcp->on_segment(h, ConstByteSpan(f->bytes.data() + payload_off, payload_len),
                                  sim_now(), ce);
      kick(id);
    });
    return true;
  }
  if (listening(h.dport) && (h.flags & wire::tcp_flags::kSyn) &&
      !(h.flags & wire::tcp_flags::kAck)) {
    ++stats_.segments_rx;
    if (on_syn_) on_syn_(SynInfo{t, src_mac, h});
    return true;
  }
  ++stats_.unmatched_rx;
  if (cfg_.reset_unmatched) {
    send_reset(ip, h, payload_len, src_mac);
    return true;
  }
  return false;
}

void Toe::schedule_timer(uint32_t id) {
  Entry& e = *conns_[id];
  const Duration d = e.tcp->next_deadline();
  if (d.ps < 0) return;
  if (e.timer_at.ps >= 0 && e.timer_at <= d) return;  // an earlier wake-up will re-check
  e.timer_at = d;
  agenda_.at(d, [this, id, d] {
    Entry& en = *conns_[id];
    if (en.timer_at != d) return;  // superseded by an earlier one
    en.timer_at = Duration{-1};
    const Duration now = sim_now();
    const Duration next = en.tcp->next_deadline();
    if (next.ps >= 0 && next <= now) en.tcp->on_timer(now);
    kick(id);
  });
}

}  // namespace rnicsim::hw
