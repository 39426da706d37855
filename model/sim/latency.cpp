// The perftest latency workloads (write_lat, send_lat, read_lat): one message at a time,
// half the round trip reported for the ping-pongs and the whole Read for read_lat.
#include <algorithm>
#include <stdexcept>

#include "model/proto/placement/regions.h"
#include "model/sim/host_access.h"
#include "model/sim/workload.h"

namespace rnicsim::sim {

// ------------------------------------------------------------------ latency (ping-pong)

namespace {
constexpr uint64_t kLatServerBit = uint64_t{1} << 39;
constexpr uint64_t kLatRecvBit = uint64_t{1} << 38;
}  // namespace

LatencyRunner::LatencyRunner(const scenario::WorkloadSpec& spec, uint32_t index, uint64_t seed, uint32_t copy,
                             Endpoint ep)
    : spec_(spec), index_(index), seed_(seed), copy_(copy) {
  client_.host = ep.client;
  client_.qpn = ep.client_qpn;
  client_.sq = ep.client_sq;
  server_.host = ep.server;
  server_.qpn = ep.server_qpn;
  server_.sq = ep.server_sq;
  rq_depth_ = ep.rq_depth;
}

void LatencyRunner::post(Side& s, const hw::Wqe& w) {
  if (!s.sq || s.sq->try_take()) {
    s.host->post_send(s.qpn, w);
    return;
  }
  s.sq->wait([&s, w] { s.host->post_send(s.qpn, w); });
}

uint64_t LatencyRunner::key(uint64_t n) const { return workload_key(spec_.id, copy_) + n; }

uint64_t LatencyRunner::wr_id(uint64_t n, bool server) const {
  return (uint64_t{index_} << 48) | (uint64_t{copy_} << 40) | (server ? kLatServerBit : 0) | n;
}

void LatencyRunner::start() {
  if (started_) return;
  started_ = true;
  const uint64_t len = std::max<uint64_t>(1, *std::max_element(spec_.sizes.begin(), spec_.sizes.end()));
  const uint32_t pd = 1;
  // violate: the client's remote reference (the server's Write sink or Read source) is bad.
  const std::string& v = spec_.violate;
  const uint32_t target_pd = v == "pd" ? server_.host->alloc_pd() : pd;
  if (spec_.op == "read_lat") {
    server_.src = server_.host->alloc_buffer(len);
    server_.src_stag = server_.host->reg_mr(server_.src, target_pd,
                                            v == "access" ? placement::access::kRemoteWrite : placement::access::kRemoteRead);
    client_rkey_ = server_.src_stag;
    client_.sink.make(*client_.host, len);
    client_.sink_stag = client_.host->reg_mr(client_.sink.inner, pd, placement::access::kLocalWrite);
  } else {
    const bool send = spec_.op == "send_lat";
    for (Side* s : {&client_, &server_}) {
      s->src = s->host->alloc_buffer(len);
      s->host->reg_mr(s->src, pd, placement::access::kLocalWrite);
      // send_lat: two receive slots, each posted again when its receive completes.
      s->sink.make(*s->host, send ? 2 * len : len);
      const bool target = s == &server_ && !send;
      s->sink_stag = s->host->reg_mr(s->sink.inner, target ? target_pd : pd,
                                     send                           ? placement::access::kLocalWrite
                                     : target && v == "access"      ? placement::access::kRemoteRead
                                                                    : placement::access::kRemoteWrite);
    }
    client_rkey_ = server_.sink_stag;
    if (send)
      for (Side* s : {&client_, &server_})
        for (uint32_t i = 0; i < std::min(2u, rq_depth_); ++i) post_recv(*s);
  }
  if (v == "invalidated") server_.host->invalidate_stag(client_rkey_);
  // An index past the end of any region table: never registered.
  if (v == "stag") client_rkey_ = placement::make_stag(0xFFFFFF - copy_, placement::stag_key(client_rkey_));
  bounds_ = v == "bounds";
  begin_iteration();
}

void LatencyRunner::post_recv(Side& s) {
  const uint64_t slot = s.sink.inner.length / 2;
  hw::Rqe r;
  r.wr_id = wr_id(s.recv_posted, &s == &server_) | kLatRecvBit;
  r.sgl.push_back({&s.sink.inner, s.sink.inner.va + (s.recv_posted % 2) * slot, slot});
  ++s.recv_posted;
  // Never more than min(2, rq_depth) are held: a refusal would be the runner's own fault.
  if (!s.host->post_recv(s.qpn, r)) throw std::logic_error("send_lat: a receive posted past qp.rq_depth");
}

void LatencyRunner::begin_iteration() {
  open_ = true;
  intact_ = true;
  posted_ = sim_now();
  SizeFigures& f = figures_[size()];
  if (f.first_post.ps < 0) f.first_post = posted_;
  const uint64_t n = iterations_;
  if (spec_.op == "read_lat") {
    // The responder's application put this Read's bytes in its buffer.
    write_pattern(server_.host->memory(), server_.src, server_.src.va, seed_, key(n), size());
    hw::Wqe w;
    w.wr_id = wr_id(n, false);
    w.opcode = wire::RdmapOpcode::RdmaReadRequest;
    w.length = size();
    w.local = &client_.sink.inner;
    w.local_va = client_.sink.inner.va;
    w.local_stag = client_.sink_stag;
    // bounds: from the region's last byte on, past its end (a size of 1 starts just past it).
    w.remote_va = bounds_ ? server_.src.va + server_.src.length - (size() > 1 ? 1 : 0) : server_.src.va;
    w.rkey = client_rkey_;
    w.fence = spec_.fence;
    post(client_, w);
    return;
  }
  send_message(client_, server_, 2 * n);
}

void LatencyRunner::send_message(Side& from, Side& to, uint64_t k) {
  write_pattern(from.host->memory(), from.src, from.src.va, seed_, key(k), size());
  hw::Wqe w;
  w.wr_id = wr_id(iterations_, &from == &server_);
  w.length = size();
  w.local = &from.src;
  w.local_va = from.src.va;
  if (spec_.op == "write_lat") {
    w.opcode = wire::RdmapOpcode::RdmaWrite;
    const bool client = &from == &client_;
    w.remote_va = client && bounds_ ? to.sink.inner.va + to.sink.inner.length - (size() > 1 ? 1 : 0) : to.sink.inner.va;
    w.rkey = client ? client_rkey_ : to.sink_stag;
  } else {
    w.opcode = wire::RdmapOpcode::Send;
  }
  post(from, w);
}

bool LatencyRunner::check_landed(Side& at, uint64_t va, uint64_t len, uint64_t k) {
  bool ok = len == size();
  if (ok && spec_.verify && size()) {
    ok = holds_pattern(at.host->memory(), at.sink.inner, va, seed_, key(k), size());
  }
  fill_guard(at.host->memory(), at.sink.inner, va, std::max<uint64_t>(size(), 1));  // the application consumed it
  return ok;
}

void LatencyRunner::server_got(bool ok) {
  intact_ = intact_ && ok;
  send_message(server_, client_, 2 * iterations_ + 1);
}

void LatencyRunner::on_write_placed(host::Host* h, uint32_t qpn, uint32_t stag, uint64_t to_end, uint64_t /*bytes*/) {
  if (!open_ || spec_.op != "write_lat") return;
  Side* at = nullptr;
  if (h == server_.host && qpn == server_.qpn && stag == server_.sink_stag) at = &server_;
  if (h == client_.host && qpn == client_.qpn && stag == client_.sink_stag) at = &client_;
  if (!at) return;
  // The polled last byte changed: the whole message is there.
  const bool ok = check_landed(*at, at->sink.inner.va, to_end - at->sink.inner.va, 2 * iterations_ + (at == &client_));
  if (at == &server_)
    server_got(ok);
  else
    end_iteration(ok, false);
}

void LatencyRunner::on_cqe(const hw::Cqe& c) {
  if ((c.wr_id >> 40) != ((uint64_t{index_} << 8) | copy_)) return;
  const bool server = (c.wr_id & kLatServerBit) != 0;
  Side& s = server ? server_ : client_;
  if (c.qpn != s.qpn) return;
  if (!(c.wr_id & kLatRecvBit) && s.sq) s.sq->give();  // a send-queue entry completed
  if (finished_) return;
  if (c.status != hw::WcStatus::Success) {
    if (open_) end_iteration(false, true);
    return;
  }
  if (!open_) return;
  if (spec_.op == "read_lat") {
    if (c.opcode != hw::WcOpcode::RdmaRead || (c.wr_id & ((uint64_t{1} << 38) - 1)) != iterations_) return;
    const bool ok = check_landed(client_, client_.sink.inner.va, c.byte_len, iterations_);
    end_iteration(ok, false);
    return;
  }
  if (spec_.op != "send_lat" || !(c.wr_id & kLatRecvBit)) return;  // Write/Send completions: nothing to do
  const uint64_t slot = s.sink.inner.length / 2;
  const uint64_t va = s.sink.inner.va + (s.recv_done % 2) * slot;
  ++s.recv_done;
  const bool ok = c.opcode == hw::WcOpcode::Recv && check_landed(s, va, c.byte_len, 2 * iterations_ + !server);
  post_recv(s);
  if (server)
    server_got(ok);
  else
    end_iteration(ok, false);
}

void LatencyRunner::end_iteration(bool ok, bool error) {
  open_ = false;
  SizeFigures& f = figures_[size()];
  const Duration now = sim_now();
  if (error) {
    ++f.errors;
  } else {
    ++f.completed;
    f.bytes += size();
    f.last_completion = now;
    // perftest: half the round trip for the ping-pongs, the whole Read for read_lat.
    const int64_t ps = (now - posted_).ps;
    f.latencies_ns.push_back((spec_.op == "read_lat" ? ps : ps / 2) / 1000);
    if (spec_.verify) ++f.verified;
    if (!(ok && intact_)) f.data_intact = false;
  }
  ++iterations_;
  if (++done_ == spec_.count) {
    done_ = 0;
    if (++size_idx_ == spec_.sizes.size()) {
      finished_ = true;
      return;
    }
  }
  begin_iteration();
}

void LatencyRunner::finish_checks() {
  if (!started_) return;
  if (open_) figures_[size()].in_flight = 1;
  bool ok = client_.sink.untouched(client_.host->memory());
  if (spec_.op != "read_lat") ok = ok && server_.sink.untouched(server_.host->memory());
  // violate: the claim is that nothing is placed, which the sinks' guard bytes verify.
  if (!spec_.violate.empty())
    for (auto& [size, f] : figures_) f.verified = std::max<uint64_t>(f.verified, 1);
  if (!ok)
    for (auto& [size, f] : figures_) f.data_intact = false;
}

}  // namespace rnicsim::sim
