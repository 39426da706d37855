#include "model/hw/pcie/link.h"

#include <algorithm>
#include <cassert>
#include <functional>

#include "model/hw/pcie/phy.h"

namespace rnicsim::hw::pcie {
namespace {

bool power_of_two_in(uint64_t v, uint64_t lo, uint64_t hi) { return v >= lo && v <= hi && (v & (v - 1)) == 0; }

}  // namespace

Duration PcieConfig::fc_latency() const {
  if (update_fc_latency) return *update_fc_latency;
  return symbol_time(gen) * static_cast<int64_t>(dllp_interval(gen, lanes, mps));
}

std::string PcieConfig::check() const {
  if (std::string e = check_link(gen, lanes, mps); !e.empty()) return e;
  if (!power_of_two_in(mrrs, 128, 4096)) return "PCIe MRRS must be a power of two, 128..4096 bytes";
  if (rcb != 64 && rcb != 128) return "PCIe read completion boundary must be 64 or 128 bytes";
  // 2.6.1: a receiver advertises at least one header and, for posted data, the largest
  // payload it accepts.
  const uint64_t mps_credits = mps / kDataCreditBytes;
  if (host_posted.data != 0 && host_posted.data < mps_credits)
    return "host posted data credits must hold one MPS payload";
  if (device_posted.data != 0 && device_posted.data < mps_credits)
    return "device posted data credits must hold one MPS payload";
  // A request of MRRS bytes has at most mrrs/rcb completions, each rounding its payload
  // up to a whole credit at most once.
  const uint64_t per_request = mrrs / rcb;
  if (device_completion.header != 0 && device_completion.header < per_request)
    return "device completion headers must hold one MRRS read's completions";
  if (device_completion.data != 0 && device_completion.data < mrrs / kDataCreditBytes + per_request)
    return "device completion data must hold one MRRS read's completions";
  if (completer_latency.ps < 0) return "PCIe completer latency must not be negative";
  if (update_fc_latency && update_fc_latency->ps < 0) return "PCIe UpdateFC latency must not be negative";
  return {};
}

stats::Group<DirectionStats> DirectionStats::group() {
  using stats::Unit;
  return stats::Group<DirectionStats>()
      .counter("tlps", &DirectionStats::tlps, Unit::Tlps, "TLPs sent in this direction")
      .counter("posted_tlps", &DirectionStats::posted_tlps, Unit::Tlps, "memory write TLPs")
      .counter("nonposted_tlps", &DirectionStats::nonposted_tlps, Unit::Tlps, "memory read request TLPs")
      .counter("completion_tlps", &DirectionStats::completion_tlps, Unit::Tlps, "completions with data")
      .counter("payload_bytes", &DirectionStats::payload_bytes, Unit::Bytes, "bytes of memory the TLPs carried")
      .counter("link_bytes", &DirectionStats::link_bytes, Unit::Bytes,
               "TLP bytes on the link: framing, sequence number, header, payload dwords, LCRC")
      .counter("ack_dllps", &DirectionStats::ack_dllps, Unit::Count, "ACK DLLPs the busy time held")
      .counter("updatefc_dllps", &DirectionStats::updatefc_dllps, Unit::Count, "UpdateFC DLLPs the busy time held")
      .counter("credit_stalls", &DirectionStats::credit_stalls, Unit::Tlps,
               "TLPs held back until the receiver returned flow-control credits")
      .formula("credit_stall_ns", Unit::Ns, "time those TLPs waited for credits",
               [](const DirectionStats& s) { return static_cast<double>(s.credit_stall_ps) / 1e3; })
      .formula("busy_ns", Unit::Ns, "time the direction carried TLPs and their DLLPs",
               [](const DirectionStats& s) { return static_cast<double>(s.busy_ps) / 1e3; });
}

stats::Group<PcieStats> PcieStats::group() {
  using stats::Unit;
  return stats::Group<PcieStats>()
      .group("up", "RNIC to host: memory writes and read requests", DirectionStats::group(),
             [](const PcieStats& s) -> const DirectionStats& { return s.up; })
      .group("down", "host to RNIC: completions and MMIO writes", DirectionStats::group(),
             [](const PcieStats& s) -> const DirectionStats& { return s.down; })
      .counter("reads", &PcieStats::reads, Unit::Operations, "DMA reads of host memory")
      .counter("writes", &PcieStats::writes, Unit::Operations, "DMA writes to host memory")
      .counter("host_writes", &PcieStats::host_writes, Unit::Operations, "MMIO writes by the host")
      .counter("tag_stalls", &PcieStats::tag_stalls, Unit::Tlps, "read requests that waited for a free tag")
      .counter("completion_stalls", &PcieStats::completion_stalls, Unit::Tlps,
               "read requests that waited for completion buffer space")
      .distribution("read_latency_ns", Unit::Ns, "per DMA read, issue to its last completion",
                    stats::Dist::Thousandths,
                    [](const PcieStats& s) -> const std::vector<int64_t>& { return s.read_latency_ps; });
}

Link::Link(const PcieConfig& cfg)
    : cfg_(cfg),
      rate_(pcie::tlp_rate(cfg.gen, cfg.lanes, cfg.mps)),
      // The largest TLP carries MPS bytes (writes and completions are cut at MPS) after
      // the framing and a 4 DW header.
      wire_(rate_, kTlpFramingBytes + kHeader4Dw + cfg.mps),
      fetch_(cfg.completer_rate, cfg.mrrs),
      fc_latency_(cfg.fc_latency()),
      ack_interval_(raw_rate(cfg.gen, cfg.lanes).time_for_bytes(dllp_interval(cfg.gen, cfg.lanes, cfg.mps))),
      host_posted_(cfg.host_posted),
      host_nonposted_(cfg.host_nonposted),
      device_posted_(cfg.device_posted),
      device_completion_(cfg.device_completion),
      tags_(CreditLimit{cfg.tags(), 0}) {
  assert(cfg.check().empty() && "a PCIe configuration the model does not cover (PcieConfig::check names it)");
  up_.stats = &stats_.up;
  down_.stats = &stats_.down;
  assert(ack_interval_.ps > 0 && "a DLLP takes link time");
  up_.next_dllp_ps = down_.next_dllp_ps = ack_interval_.ps;
}

Link::Times::Times(Rate r, uint64_t max_bytes) : rate(r) {
  if (r.bps == 0) return;
  ps.resize(max_bytes + 1);
  for (uint64_t b = 0; b <= max_bytes; ++b) ps[b] = r.time_for_bytes(b).ps;
}

void Link::count_dllps(Direction& d) {
  // floor(busy / interval), kept by steps: the busy time grows one TLP at a time.
  while (d.next_dllp_ps <= d.stats->busy_ps) {
    ++d.stats->ack_dllps;
    d.next_dllp_ps += ack_interval_.ps;
  }
  d.stats->updatefc_dllps = d.stats->ack_dllps;
}

Duration Link::send(Direction& d, Duration ready, Duration credits_at, uint64_t link_bytes, bool& stalled) {
  Duration start = std::max(ready, d.free);
  stalled = credits_at > start;
  if (stalled) start = credits_at;
  const Duration end = start + wire_time(link_bytes);
  d.free = end;
  d.stats->tlps += 1;
  d.stats->link_bytes += link_bytes;
  d.stats->busy_ps += (end - start).ps;
  count_dllps(d);
  return end;
}

Duration Link::credits_back(Direction& d, Duration arrival, uint64_t payload, Rate sink) {
  Duration absorbed = arrival;
  if (sink.bps != 0) {
    absorbed = std::max(arrival, d.sink_free) + sink.time_for_bytes(payload);
    d.sink_free = absorbed;
  }
  return absorbed + fc_latency_;
}

Transfer Link::post(Direction& d, CreditPool& pool, Rate sink, Duration now, uint64_t addr, uint64_t bytes,
                    bool between) {
  Transfer t;
  bool first = true;
  split_writes(addr, bytes, cfg_.mps, chunks_);
  for (const Chunk& c : chunks_) {
    const Duration ready = std::max(now, between ? d.mmio_free : d.free);
    const uint64_t credits = data_credits(c);
    const Duration granted{pool.earliest(ready, 1, credits)};  // posted returns are always scheduled
    bool stalled = false;
    Duration end;
    if (between) {
      // Its own queue in the root port: it waits for the MMIO writes before it only, and
      // the completions scheduled past its start leave one TLP time later.
      const Duration wt = wire_time(write_tlp_bytes(c));
      Duration at = std::max(now, d.mmio_free);
      stalled = granted > at;
      if (stalled) at = granted;
      end = at + wt;
      d.mmio_free = end;
      d.free = std::max(d.free, at) + wt;
      d.stats->tlps += 1;
      d.stats->link_bytes += write_tlp_bytes(c);
      d.stats->busy_ps += wt.ps;
      count_dllps(d);
    } else {
      end = send(d, now, granted, write_tlp_bytes(c), stalled);
    }
    const Duration start = end - wire_time(write_tlp_bytes(c));
    pool.consume(start, 1, credits, credits_back(d, end, c.bytes, sink));
    if (stalled) {
      d.stats->credit_stalls += 1;
      d.stats->credit_stall_ps += (granted - ready).ps;
      t.credit_stalls += 1;
    }
    d.stats->posted_tlps += 1;
    d.stats->payload_bytes += c.bytes;
    if (first) t.start = start;
    first = false;
    t.end = end;
    t.tlps += 1;
  }
  return t;
}

Transfer Link::write(Duration now, uint64_t addr, uint64_t bytes) {
  stats_.writes += 1;
  return post(up_, host_posted_, cfg_.host_sink_rate, now, addr, bytes);
}

Transfer Link::host_write(Duration now, uint64_t addr, uint64_t bytes) {
  stats_.host_writes += 1;
  return post(down_, device_posted_, cfg_.device_sink_rate, now, addr, bytes, /*between=*/true);
}

Transfer Link::read(Duration now, uint64_t addr, uint64_t bytes) {
  // The completions of this transfer's requests (pending_, by the time their data is
  // ready) and what each request still holds (open_).
  pending_.clear();
  open_.clear();
  const auto later = std::greater<Pending>();
  uint64_t seq = 0;
  Transfer t;
  auto place_next = [&] {
    std::pop_heap(pending_.begin(), pending_.end(), later);
    const Pending p = pending_.back();
    pending_.pop_back();
    bool unused = false;  // the endpoint's completion credits are infinite (2.6.1)
    const Duration end = send(down_, p.ready, p.ready, completion_tlp_bytes(p.chunk), unused);
    down_.stats->completion_tlps += 1;
    down_.stats->payload_bytes += p.chunk.bytes;
    Open& o = open_[p.request];
    o.last_end = std::max(o.last_end, end);
    if (--o.left == 0) {  // the tag and the buffer space come back with the last completion
      tags_.give_back(1, 0, o.last_end);
      device_completion_.give_back(o.header, o.data, o.last_end);
    }
    t.completions += 1;
    t.end = std::max(t.end, end);
  };

  bool first = true;
  split_read_requests(addr, bytes, cfg_.mrrs, chunks_);
  for (const Chunk& req : chunks_) {
    split_completions(req, cfg_.mps, cfg_.rcb, cfg_.completion_split, cpls_);
    uint64_t cpl_data = 0;
    for (const Chunk& c : cpls_) cpl_data += data_credits(c);

    // A tag and completion buffer space: given back by completions not placed yet, place
    // those whose data is ready before the request could otherwise go (every later
    // request's completions are ready after that).
    const Duration ready = std::max(now, up_.free);
    Duration tag_at{}, buffer_at{};
    for (;;) {
      const int64_t tag = tags_.earliest(ready, 1, 0);
      const int64_t buffer = device_completion_.earliest(ready, cpls_.size(), cpl_data);
      if (tag >= 0 && buffer >= 0) {
        tag_at = Duration{tag};
        buffer_at = Duration{buffer};
        const Duration gate = std::max(tag_at, buffer_at);
        if (gate <= ready || pending_.empty() || pending_.front().ready >= gate) break;
      }
      assert(!pending_.empty() && "tags or completion space held with no completion to return them");
      place_next();
    }
    const Duration credit{host_nonposted_.earliest(ready, 1, 0)};
    assert(credit.ps >= 0 && "non-posted credits always have their returns scheduled");
    const Duration gate = std::max({tag_at, buffer_at, credit});
    bool stalled = false;
    const Duration req_end = send(up_, now, gate, read_request_bytes(req), stalled);
    const Duration req_start = req_end - wire_time(read_request_bytes(req));
    if (stalled) {
      t.credit_stalls += 1;
      if (tag_at == gate) stats_.tag_stalls += 1;
      else if (buffer_at == gate) stats_.completion_stalls += 1;
      else {
        up_.stats->credit_stalls += 1;
        up_.stats->credit_stall_ps += (gate - ready).ps;
      }
    }
    up_.stats->nonposted_tlps += 1;
    // The root port takes the request off its buffer as it arrives.
    host_nonposted_.consume(req_start, 1, 0, req_end + fc_latency_);
    tags_.take(req_start, 1, 0);
    device_completion_.take(req_start, cpls_.size(), cpl_data);
    open_.push_back({cpls_.size(), cpls_.size(), cpl_data, Duration{}});

    // The completer streams this request's data from completer_latency on, at
    // completer_rate; a completion is ready once its last byte has been fetched.
    const Duration first_ready = req_end + cfg_.completer_latency;
    uint64_t fetched = 0;
    for (const Chunk& c : cpls_) {
      fetched += c.bytes;
      Duration ready_c = first_ready;
      if (cfg_.completer_rate.bps != 0)
        ready_c = first_ready + fetch_.of(fetched);
      pending_.push_back({ready_c, seq++, c, open_.size() - 1});
      std::push_heap(pending_.begin(), pending_.end(), later);
    }
    if (first) t.start = req_start;
    first = false;
    t.tlps += 1;
  }
  while (!pending_.empty()) place_next();
  stats_.reads += 1;
  stats_.read_latency_ps.push_back((t.end - now).ps);
  return t;
}

}  // namespace rnicsim::hw::pcie
