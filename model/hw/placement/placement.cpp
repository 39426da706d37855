#include "model/hw/placement/placement.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "model/proto/ddp/tagged.h"

namespace rnicsim::hw {

std::optional<PlacementMode> parse_placement_mode(const std::string& s) {
  if (s == "model") return PlacementMode::Model;
  if (s == "rtl") return PlacementMode::Rtl;
  if (s == "lockstep") return PlacementMode::Lockstep;
  return std::nullopt;
}

std::string lockstep_report(const std::string& host, const std::string& conn, const Mismatch& mm) {
  return fmt::format(
      "lockstep divergence at {} ns: host {}, connection {}, segment {} (PD {}, STag 0x{:08x}, TO 0x{:x}, {} bytes)\n"
      "  first difference: {}\n  model: {}\n  rtl:   {}\n",
      mm.time.ps / 1000, host, conn, mm.segment, mm.pd, mm.stag, mm.to, mm.length, mm.difference,
      cosim::describe(mm.model), cosim::describe(mm.rtl));
}

PlacementUnit::PlacementUnit(sc_core::sc_module_name name, const PlacementConfig& cfg, Dma& dma,
                             host::HostMemory& mem)
    : PlacementUnit(name, cfg, dma, mem,
                    cfg.mode == PlacementMode::Model ? nullptr
                    : cfg.make_core                  ? cfg.make_core()
                                                     : cosim::make_placement_core()) {}

PlacementUnit::PlacementUnit(sc_core::sc_module_name name, const PlacementConfig& cfg, Dma& dma,
                             host::HostMemory& mem, std::unique_ptr<cosim::Core> core)
    : sc_module(name), cfg_(cfg), dma_(dma), mem_(mem), table_(cfg.regions) {
  if (cfg_.mode == PlacementMode::Model) return;
  if (!core) throw std::logic_error("placement rtl/lockstep without an RTL core");
  if (cfg_.regions > cosim::regs::kRegionEntries)
    throw std::runtime_error(fmt::format("{} region entries asked; the RTL core has {}", cfg_.regions,
                                         cosim::regs::kRegionEntries));
  rtl_ = std::make_unique<cosim::RtlPlacement>("rtl", cfg_.clock_period, std::move(core));
  if (!cfg_.wave_path.empty()) rtl_->open_wave(cfg_.wave_path);
  stats_.rtl_cycles = rtl_->cycles();
}

PlacementUnit::~PlacementUnit() = default;

std::optional<uint32_t> PlacementUnit::add_region(placement::Region r) {
  auto stag = table_.add(std::move(r));
  if (stag && rtl_) {
    const placement::Region& e = *table_.find(*stag);
    rtl_->write_region(placement::stag_index(*stag), e.key, e.pd, e.access, e.base_va, e.length, e.pages);
    stats_.rtl_cycles = rtl_->cycles();
  }
  if (stag && on_region_) on_region_(*stag);
  return stag;
}

bool PlacementUnit::invalidate(uint32_t stag) {
  const bool ok = table_.invalidate(stag);
  if (ok && rtl_) {
    rtl_->invalidate(placement::stag_index(stag));
    stats_.rtl_cycles = rtl_->cycles();
  }
  return ok;
}

cosim::Record PlacementUnit::model_record(placement::CheckFailure f, wire::TermCode e, uint32_t stag, uint64_t to,
                                          ConstByteSpan payload) const {
  cosim::Record rec;
  rec.failed = f != placement::CheckFailure::None;
  if (rec.failed) {
    rec.error = e;
    return rec;
  }
  table_.translate(stag, to, payload.size(), [&](uint64_t pa, uint64_t n, uint64_t off) {
    rec.pieces.push_back({pa, static_cast<uint32_t>(n), cosim::data_hash(payload.data() + off, n)});
  });
  return rec;
}

PlaceResult PlacementUnit::place(uint32_t pd, uint32_t stag, uint64_t to, ConstByteSpan payload,
                                 placement::TaggedUse use) {
  PlaceResult r;
  ++stats_.segments;
  const uint32_t required = placement::required_access(use);
  const uint64_t beats = (payload.size() + cfg_.beat_bytes - 1) / cfg_.beat_bytes;
  const Duration start = std::max(sim_now(), busy_until_);
  const Duration model_latency = cfg_.clock_period * static_cast<int64_t>(cfg_.cycles_per_segment + beats);
  const ddp::TaggedVerdict v = ddp::check_tagged(table_, stag, to, payload.size(), pd, use);
  r.failure = v.failure;
  r.error = v.error;

  std::optional<cosim::RtlSegment> rtl;
  if (rtl_) {
    rtl = rtl_->place(stag, to, payload, pd, required, use == placement::TaggedUse::ReadSource);
    stats_.rtl_cycles = rtl_->cycles();
    const Duration rtl_latency = cfg_.clock_period * static_cast<int64_t>(rtl->cycles);
    stats_.timing_error_ps.push_back((model_latency - rtl_latency).ps);
  }
  if (cfg_.mode == PlacementMode::Rtl) {
    // The RTL core decides and places; the model's table only mirrors the registrations.
    if (rtl->assertion_failed || !rtl->protocol_error.empty())
      throw std::runtime_error(fmt::format("RTL placement core, segment {}: {}", stats_.segments,
                                           rtl->assertion_failed ? "an assertion failed" : rtl->protocol_error));
    busy_until_ = start + cfg_.clock_period * static_cast<int64_t>(rtl->cycles);
    r.done = busy_until_;
    r.failure = placement::CheckFailure::None;
    r.error = {};
    if (rtl->record.failed) {
      ++stats_.violations;
      r.error = rtl->record.error;
      r.failure = ddp::failure_of(r.error, use);  // the RTL core reports the code only
      return r;
    }
    for (const auto& w : rtl->writes) {
      mem_.write(w.addr, w.data.data(), w.data.size());
      r.done = std::max(r.done, dma_.write(w.addr, w.data.size()));
    }
    stats_.bytes += payload.size();
    return r;
  }

  if (rtl && comparing_) {
    const cosim::Record mine = model_record(r.failure, r.error, stag, to, payload);
    std::string diff = cosim::first_difference(mine, rtl->record);
    if (rtl->assertion_failed) diff = "RTL assertion failed" + (diff.empty() ? std::string() : "; " + diff);
    else if (!rtl->protocol_error.empty()) diff = "RTL interface: " + rtl->protocol_error + (diff.empty() ? "" : "; " + diff);
    if (!diff.empty()) {
      ++stats_.cosim_mismatches;
      Mismatch m{sim_now(), stats_.segments, pd, stag, to, static_cast<uint32_t>(payload.size()), mine, rtl->record, diff};
      if (!stats_.first_mismatch) stats_.first_mismatch = m;
      if (cfg_.lockstep_stop_first) comparing_ = false;
      if (on_mismatch_) on_mismatch_(m);
    }
  }

  busy_until_ = start + model_latency;
  if (r.failure != placement::CheckFailure::None) {
    ++stats_.violations;
    r.done = busy_until_;
    return r;
  }
  Duration done = busy_until_;
  table_.translate(stag, to, payload.size(), [&](uint64_t pa, uint64_t n, uint64_t off) {
    mem_.write(pa, payload.data() + off, n);
    done = std::max(done, dma_.write(pa, n));
  });
  stats_.bytes += payload.size();
  r.done = done;
  return r;
}

}  // namespace rnicsim::hw
