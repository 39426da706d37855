#pragma once
/// The Core interface over one Verilated class (the real core or a test copy): included
/// only where a Verilated header is, so the rest of the model never sees Verilator types.
#include <verilated.h>
#include <verilated_fst_c.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "model/cosim/core.h"

namespace rnicsim::cosim {

/// Whether V was verilated with --trace-fst (the test copies are not).
template <class V, class = void>
constexpr bool kHasTrace = false;
template <class V>
constexpr bool kHasTrace<V, std::void_t<decltype(std::declval<V&>().trace(
                                std::declval<VerilatedFstC*>(), 0))>> = true;

template <class V>
class VerilatedCore final : public Core {
 public:
  VerilatedCore() : ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->fatalOnError(false);  // a failed assertion is reported by the lockstep, not fatal
    ctx_->traceEverOn(true);
    Verilated::threadContextp(ctx_.get());
    v_ = std::make_unique<V>(ctx_.get(), "placement_core");
  }
  ~VerilatedCore() override {
    trace_close();
    Verilated::threadContextp(ctx_.get());
    v_->final();
  }
  VerilatedCore(const VerilatedCore&) = delete;
  VerilatedCore& operator=(const VerilatedCore&) = delete;

  uint32_t beat_bytes() const override { return static_cast<uint32_t>(sizeof(v_->pay_data_i)); }

  void eval(const CoreInputs& in, bool clk) override {
    V& v = *v_;
    v.clk_i = clk;
    v.rst_ni = in.rst_n;
    v.reg_we_i = in.reg.we;
    v.reg_addr_i = in.reg.addr;
    v.reg_wdata_i = in.reg.wdata;
    v.desc_valid_i = in.desc.valid;
    v.desc_stag_i = in.desc.stag;
    v.desc_to_i = in.desc.to;
    v.desc_len_i = in.desc.len;
    v.desc_pd_i = in.desc.pd;
    v.desc_access_i = in.desc.access;
    v.desc_source_i = in.desc.source;
    v.pay_valid_i = in.pay.valid;
    v.pay_last_i = in.pay.last;
    {
      // Lane i = byte i (little-endian words); the lanes past the data are zero.
      uint8_t beat[sizeof(v.pay_data_i)] = {};
      if (in.pay.data) std::memcpy(beat, in.pay.data, std::min<size_t>(in.pay.bytes, sizeof beat));
      std::memcpy(&v.pay_data_i, beat, sizeof beat);
    }
    v.dma_ready_i = in.dma_ready;
    v.sts_ready_i = in.sts_ready;
    Verilated::threadContextp(ctx_.get());
    v.eval();
  }

  void outputs(CoreOutputs& o) const override {
    const V& v = *v_;
    o.desc_ready = v.desc_ready_o;
    o.pay_ready = v.pay_ready_o;
    o.dma_valid = v.dma_valid_o;
    o.dma_sop = v.dma_sop_o;
    o.dma_eop = v.dma_eop_o;
    o.dma_addr = v.dma_addr_o;
    o.dma_len = v.dma_len_o;
    if (o.dma_valid) {
      std::memcpy(o.dma_data.data(), &v.dma_data_o, sizeof v.dma_data_o);
      // Eight lanes' strobes at a time: each byte of the mask spread to eight 0/1 bytes.
      const uint32_t n = beat_bytes();
      uint32_t j = 0;
      for (; j + 8 <= n; j += 8) {
        const uint64_t lanes = kSpread[strb_byte(v.dma_strb_o, j / 8)];
        std::memcpy(o.dma_strb.data() + j, &lanes, 8);
      }
      for (; j < n; ++j) o.dma_strb[j] = strb_bit(v.dma_strb_o, j);
    }
    o.sts_valid = v.sts_valid_o;
    o.sts_error = v.sts_error_o;
    o.sts_layer = v.sts_layer_o;
    o.sts_etype = v.sts_etype_o;
    o.sts_code = v.sts_code_o;
  }

  void trace_open(const std::string& path) override {
    if (fst_) return;
    if constexpr (kHasTrace<V>) {
      fst_ = std::make_unique<VerilatedFstC>();
      v_->trace(fst_.get(), 99);
    } else {
      throw std::runtime_error("this core copy was verilated without traces");
    }
    fst_->open(path.c_str());
    if (!fst_->isOpen()) throw std::runtime_error("cannot write " + path);
  }
  void trace_dump(uint64_t time_ps) override {
    if (fst_) fst_->dump(time_ps);
  }
  void trace_close() override {
    if (fst_) fst_->close();
    fst_.reset();
  }
  bool take_assertion_failure() override {
    if (!ctx_->gotError()) return false;
    ctx_->gotError(false);
    ctx_->gotFinish(false);
    return true;
  }

 private:
  /// Byte k of a mask (bits 8k..8k+7), whether Verilator holds it as an integer or as
  /// 32-bit words.
  template <class S>
  static uint32_t strb_byte(const S& s, uint32_t k) {
    if constexpr (std::is_integral_v<S>) return static_cast<uint32_t>((s >> (8 * k)) & 0xFF);
    else return (s[k / 4] >> (8 * (k % 4))) & 0xFF;
  }
  /// For each byte value, the eight lanes it strobes as bytes 0 or 1 (lane i = bit i, the
  /// lowest lane in the lowest byte of a little-endian word).
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "kSpread's lanes are stored as a little-endian word");
  static constexpr std::array<uint64_t, 256> kSpread = [] {
    std::array<uint64_t, 256> t{};
    for (uint32_t b = 0; b < 256; ++b)
      for (uint32_t i = 0; i < 8; ++i)
        if ((b >> i) & 1) t[b] |= uint64_t{1} << (8 * i);
    return t;
  }();
  template <class S>
  static bool strb_bit(const S& s, uint32_t j) {
    if constexpr (std::is_integral_v<S>) return (s >> j) & 1;
    else return (s[j / 32] >> (j % 32)) & 1;
  }
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> v_;
  std::unique_ptr<VerilatedFstC> fst_;
};

}  // namespace rnicsim::cosim
