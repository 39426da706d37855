#include "model/cosim/rtl_placement.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace rnicsim::cosim {

RtlPlacement::RtlPlacement(sc_core::sc_module_name name, Duration clock_period, std::unique_ptr<Core> core)
    : sc_module(name), core_(std::move(core)), period_(clock_period), beat_bytes_(core_->beat_bytes()) {
  if (beat_bytes_ > kMaxBeatBytes) throw std::logic_error("placement core wider than the driver's beat");
  // Two cycles in reset clear the table's valid bits and the control state.
  in_.rst_n = false;
  cycle();
  cycle();
  in_.rst_n = true;
}

RtlPlacement::~RtlPlacement() = default;

void RtlPlacement::open_wave(const std::string& path) {
  core_->trace_open(path);
  // Time starts where the core's last cycle left it.
}

void RtlPlacement::set_stalls(const Stalls& s) {
  stalls_ = s;
  stall_rng_ = std::make_unique<Rng>(s.seed, "rtl.stalls");
}

void RtlPlacement::cycle() {
  // Low phase: inputs settle, outputs are read by the caller after this; then the edge.
  core_->eval(in_, false);
  core_->trace_dump(static_cast<uint64_t>(time_ps_));
  core_->eval(in_, true);
  core_->trace_dump(static_cast<uint64_t>(time_ps_ + period_.ps / 2));
  time_ps_ += period_.ps;
  ++cycles_;
  if (core_->take_assertion_failure()) assertion_ = true;
}

void RtlPlacement::reg_write(uint8_t addr, uint64_t data) {
  time_ps_ = std::max(time_ps_, sim_now().ps);
  in_.reg = {true, addr, data};
  cycle();
  in_.reg = {};
}

void RtlPlacement::write_region(uint32_t index, uint8_t key, uint32_t pd, uint32_t access, uint64_t base_va,
                                uint64_t length, const std::vector<uint64_t>& pages) {
  if (index >= regs::kRegionEntries)
    throw std::runtime_error(fmt::format("RTL region table has {} entries; index {} does not fit",
                                         regs::kRegionEntries, index));
  if (pages.size() > regs::kPageEntries - next_page_)
    throw std::runtime_error(fmt::format("RTL page list full: {} of {} entries used, {} more asked",
                                         next_page_, regs::kPageEntries, pages.size()));
  const uint32_t first = next_page_;
  next_page_ += static_cast<uint32_t>(pages.size());
  reg_write(regs::kPageIndex, first);
  for (uint64_t pa : pages) reg_write(regs::kPageData, pa);
  reg_write(regs::kRegionIndex, index);
  reg_write(regs::kRegionBase, base_va);
  reg_write(regs::kRegionLength, length);
  reg_write(regs::kRegionAttr, (uint64_t{key} << regs::kAttrKeyLsb) | (uint64_t{access & 0xF} << regs::kAttrAccessLsb) |
                                   (uint64_t{pd} << regs::kAttrPdLsb));
  reg_write(regs::kRegionPages, first);
  reg_write(regs::kRegionCommit, 1);
}

void RtlPlacement::invalidate(uint32_t index) {
  if (index < regs::kRegionEntries) reg_write(regs::kRegionInval, index);
}

RtlSegment RtlPlacement::place(uint32_t stag, uint64_t to, ConstByteSpan payload, uint32_t pd, uint32_t access,
                               bool source) {
  if (payload.size() > 0xFFFF) throw std::runtime_error("tagged segment longer than 65535 bytes");
  RtlSegment s;
  time_ps_ = std::max(time_ps_, sim_now().ps);
  assertion_ = false;
  const uint32_t len = static_cast<uint32_t>(payload.size());
  const size_t nin = (len + beat_bytes_ - 1) / beat_bytes_;
  const uint64_t start = cycles_;
  // A segment's cycles are bounded; past this the core has hung.
  const uint64_t limit = start + 1000 + 200 * (nin + 1);
  auto stall = [&](uint32_t pct) { return pct > 0 && stall_rng_ && stall_rng_->next() % 100 < pct; };

  in_.desc = {true, stag, to, static_cast<uint16_t>(len), pd, static_cast<uint8_t>(access), source};
  bool desc_taken = false, done = false;
  size_t beat = 0;
  uint64_t cmd_len = 0;
  while (!done) {
    if (cycles_ >= limit) throw std::runtime_error(fmt::format("RTL placement core: no status after {} cycles", cycles_ - start));
    // Inputs of this cycle; a valid already shown stays up until it is taken.
    if (!in_.pay.valid) in_.pay.valid = desc_taken && beat < nin && !stall(stalls_.payload_gap_pct);
    if (beat < nin) {
      in_.pay.data = payload.data() + beat * beat_bytes_;
      in_.pay.bytes = static_cast<uint32_t>(std::min<size_t>(beat_bytes_, len - beat * beat_bytes_));
      in_.pay.last = beat + 1 == nin;
    }
    in_.dma_ready = !stall(stalls_.dma_stall_pct);
    in_.sts_ready = !stall(stalls_.status_stall_pct);
    core_->eval(in_, false);
    core_->outputs(out_);
    const bool desc_fire = in_.desc.valid && out_.desc_ready;
    const bool pay_fire = in_.pay.valid && out_.pay_ready;
    if (out_.dma_valid && in_.dma_ready) {
      if (out_.dma_sop) {
        if (!s.writes.empty() && s.writes.back().data.size() != cmd_len && s.protocol_error.empty())
          s.protocol_error = "a DMA command ended short of its length";
        s.writes.push_back({out_.dma_addr, {}});
        cmd_len = out_.dma_len;
        s.writes.back().data.reserve(cmd_len);
      } else if (s.writes.empty() || out_.dma_addr != s.writes.back().addr) {
        if (s.protocol_error.empty()) s.protocol_error = "a DMA beat without its command";
      }
      if (!s.writes.empty()) {
        // The strobed lanes in order, a run of them at a time (a beat is most often one run).
        std::vector<uint8_t>& data = s.writes.back().data;
        for (uint32_t j = 0; j < beat_bytes_;) {
          if (!out_.dma_strb[j]) {
            ++j;
            continue;
          }
          uint32_t k = j + 1;
          while (k < beat_bytes_ && out_.dma_strb[k]) ++k;
          data.insert(data.end(), out_.dma_data.begin() + j, out_.dma_data.begin() + k);
          j = k;
        }
      }
    }
    if (out_.sts_valid && in_.sts_ready) {
      s.record.failed = out_.sts_error;
      if (out_.sts_error) s.record.error = {out_.sts_layer, out_.sts_etype, out_.sts_code};
      done = true;
    }
    cycle();
    if (desc_fire) {
      desc_taken = true;
      in_.desc.valid = false;
    }
    if (pay_fire) {
      ++beat;
      in_.pay.valid = false;
    }
  }
  in_.pay = {};
  if (!s.writes.empty() && s.writes.back().data.size() != cmd_len && s.protocol_error.empty())
    s.protocol_error = "a DMA command ended short of its length";
  if (beat != nin && s.protocol_error.empty())
    s.protocol_error = fmt::format("status after {} of {} payload beats", beat, nin);
  for (const auto& w : s.writes)
    s.record.pieces.push_back({w.addr, static_cast<uint32_t>(w.data.size()), data_hash(w.data.data(), w.data.size())});
  s.cycles = cycles_ - start;
  s.assertion_failed = assertion_;
  return s;
}

}  // namespace rnicsim::cosim
