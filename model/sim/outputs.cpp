// The outputs of a run (results-format.md) besides results.json's figures: captures,
// timeseries.csv's columns, the files written at the end and the summary `run` prints.
#include <pcap/pcap.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "model/sim/model.h"

namespace rnicsim::sim {

struct PcapWriter::Handles {
  pcap_t* pcap = nullptr;
  pcap_dumper_t* dump = nullptr;
  /// The file's stdio buffer: 256 KiB (the memory estimate's kCaptureBuffer), so a
  /// capture costs a write(2) per 256 KiB instead of one per 4 KiB (the default buffer).
  std::unique_ptr<char[]> buffer;
};

PcapWriter::PcapWriter(const std::string& path, int snaplen) : snaplen_(snaplen), h_(std::make_unique<Handles>()) {
  constexpr size_t kBuffer = size_t{256} << 10;
  h_->buffer.reset(new char[kBuffer]);
  h_->pcap = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 262144, PCAP_TSTAMP_PRECISION_NANO);
  if (!h_->pcap) throw std::runtime_error("pcap_open_dead failed");
  std::FILE* fp = std::fopen(path.c_str(), "wb");
  if (!fp) {
    const std::string why = std::strerror(errno);
    pcap_close(h_->pcap);
    throw std::runtime_error(fmt::format("cannot write {}: {}", path, why));
  }
  std::setvbuf(fp, h_->buffer.get(), _IOFBF, kBuffer);  // before the first write, as C requires
  h_->dump = pcap_dump_fopen(h_->pcap, fp);  // owns fp from here: pcap_dump_close closes it
  if (!h_->dump) {
    // Not fclose(fp): libpcap closes the file itself when writing the header fails, its
    // only failure for an Ethernet dumper.
    const std::string why = pcap_geterr(h_->pcap);
    pcap_close(h_->pcap);
    throw std::runtime_error(fmt::format("cannot write {}: {}", path, why));
  }
}

PcapWriter::~PcapWriter() {
  pcap_dump_close(h_->dump);
  pcap_close(h_->pcap);
}

void PcapWriter::write(const Frame& f, Duration t) {
  pcap_pkthdr h{};
  const int64_t ns = t.ps / 1000;
  h.ts.tv_sec = ns / 1000000000;
  h.ts.tv_usec = ns % 1000000000;  // nanoseconds: the file's precision is nano
  h.len = static_cast<bpf_u_int32>(f.bytes.size());
  h.caplen = std::min<bpf_u_int32>(h.len, static_cast<bpf_u_int32>(snaplen_));
  pcap_dump(reinterpret_cast<u_char*>(h_->dump), &h, f.bytes.data());
}

/// The columns of timeseries.csv: per connection (the active side) cwnd, ssthresh, srtt,
/// bytes in flight, bytes acknowledged so far and the window the peer offers; per workload the goodput over the last interval; per switch port
/// the queue depth.
void add_series(Model& m) {
  m.series = std::make_unique<TimeSeries>(m.s.timeseries_interval);
  for (const auto& cr : m.conns) {
    const ConnRuntime* c = &cr;
    auto col = [&m, c](const char* what, double (*get)(const tcp::Connection&)) {
      m.series->add(fmt::format("{}.{}", c->id, what), [c, get] {
        const tcp::Connection* t = c->sim_tcp();
        return t ? get(*t) : 0.0;
      });
    };
    col("cwnd_bytes", [](const tcp::Connection& t) { return static_cast<double>(t.cwnd()); });
    col("ssthresh_bytes", [](const tcp::Connection& t) { return static_cast<double>(t.ssthresh()); });
    col("srtt_ns", [](const tcp::Connection& t) { return static_cast<double>(t.srtt().ps / 1000); });
    col("in_flight_bytes", [](const tcp::Connection& t) { return static_cast<double>(t.in_flight()); });
    col("acked_bytes", [](const tcp::Connection& t) { return static_cast<double>(t.bytes_acked()); });
    // The window the passive side last offered, as the active side holds it (SND.WND):
    // it shrinks when the target's placement falls behind (receive back-pressure).
    col("peer_window_bytes", [](const tcp::Connection& t) { return static_cast<double>(t.snd_wnd()); });
  }
  for (size_t wi = 0; wi < m.s.workloads.size(); ++wi) {
    // Bytes of operations completed; for bulk, bytes acknowledged on its streams (a bulk
    // transfer completes once, at its end).
    std::vector<const ConnRuntime*> streams;
    if (m.s.workloads[wi].op == "bulk")
      for (const auto& c : m.conns)
        for (auto [w, ri] : c.runners)
          if (w == wi) streams.push_back(&c);
    auto last = std::make_shared<std::pair<uint64_t, Duration>>(0, Duration{});
    m.series->add(fmt::format("{}.goodput_gbps", m.s.workloads[wi].id), [&m, wi, last, streams] {
      uint64_t bytes = 0;
      if (!streams.empty()) {
        for (const ConnRuntime* c : streams)
          if (const tcp::Connection* t = c->sim_tcp()) bytes += t->bytes_acked();
      } else {
        for (size_t ri = 0; ri < m.runners[wi].size(); ++ri)
          if (m.runners[wi][ri])
            for (const auto& [sz, f] : m.runners[wi][ri]->figures()) bytes += f.bytes;
      }
      const Duration now = sim_now();
      const double secs = (now - last->second).s();  // the last row may close a shorter interval
      const double g = secs > 0 ? static_cast<double>(bytes - last->first) * 8 / secs / 1e9 : 0.0;
      *last = {bytes, now};
      return std::round(g * 1e6) / 1e6;
    });
  }
  for (auto& sw : m.switches)
    for (int p = 0; p < static_cast<int>(sw->ports()); ++p) {
      hw::EthSwitch* swp = sw.get();
      m.series->add(fmt::format("{}.{}.queue_bytes", sw->config().name, sw->port_label(p)),
                    [swp, p] { return static_cast<double>(swp->queue_bytes(p)); });
    }
  m.series->start((std::filesystem::path(m.opt.out_dir) / "timeseries.csv").string());
}


std::string write_outputs(const Model& m, const nlohmann::ordered_json& r, const RunFigures& fig, bool lockstep_ok,
                          bool any_wave) {
  const scenario::Scenario& s = m.s;
  const RunOptions& opt = m.opt;
  // A file that cannot be written is the run's failure, never reported as success.
  auto write = [&](const char* name, const std::string& text) {
    const auto path = std::filesystem::path(opt.out_dir) / name;
    std::ofstream f(path);
    f << text;
    f.close();
    if (!f) throw std::runtime_error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  };
  write("results.json", r.dump(2) + "\n");
  write("events.jsonl", m.log.text());
  const Duration end = fig.end;
  const double wall = fig.wall_s;

  // Summary.
  std::string sum = fmt::format("{}: simulated {:.3f} ms in {:.2f} s wall\n", s.name, static_cast<double>(end.ps) / 1e9, wall);
  for (const auto& [id, w] : r["workloads"].items())
    sum += fmt::format("  workload {:<10} {:>6} completed {:>4} errors  goodput {:8.3f} Gb/s  latency p50 {} ns p99 {} ns  data {}\n",
                       id, w["completed"].get<uint64_t>(), w["errors"].get<uint64_t>(),
                       w["goodput_gbps"].get<double>(), w["latency_ns"]["p50"].dump(),
                       w["latency_ns"]["p99"].dump(),
                       w["data_intact"].is_null() ? "not verified" : w["data_intact"].get<bool>() ? "intact" : "CORRUPT") +
           (w["unfinished"].get<uint64_t>() ? fmt::format("  workload {:<10} {:>6} unfinished at the end of the run\n", id,
                                                          w["unfinished"].get<uint64_t>())
                                            : std::string());
  size_t shown = 0;
  const size_t nconns = r["connections"].size();
  for (const auto& [id, c] : r["connections"].items()) {
    if (++shown > 16 && nconns > 20) {
      sum += fmt::format("  ... {} more connections in results.json\n", nconns - 16);
      break;
    }
    sum += fmt::format("  connection {:<8} {:<12} retransmits {} (server {})\n", id, c["state"].get<std::string>(),
                       c["tcp"]["retransmits"].get<uint64_t>(), c["server_tcp"]["retransmits"].get<uint64_t>());
  }
  for (const auto& e : r["expectations"])
    if (!e["passed"].get<bool>())
      sum += fmt::format("  FAILED expect {} {} {} (actual {})\n", e["metric"].get<std::string>(),
                         e["op"].get<std::string>(), e["want"].dump(), e["actual"].dump());
  for (const auto& [hn, hv] : r["hosts"].items()) {
    const auto& pl = hv["rnic"]["placement"];
    if (pl["mode"] == "model") continue;
    sum += fmt::format("  placement {:<8} {:<8} {} segments, {} RTL cycles, {} lockstep mismatches\n", hn,
                       pl["mode"].get<std::string>(), pl["segments"].get<uint64_t>(), pl["rtl_cycles"].get<uint64_t>(),
                       pl["cosim_mismatches"].get<uint64_t>());
  }
  if (!lockstep_ok) sum += "  FAILED lockstep: the RTL placement core diverged from the model\n";
  {
    size_t failed = 0;
    for (const auto& e : r["expectations"]) failed += e["passed"].get<bool>() ? 0 : 1;
    if (failed == 0)
      sum += fmt::format("  {} expectations held\n", r["expectations"].size());
    else
      sum += fmt::format("  {} of {} expectations FAILED\n", failed, r["expectations"].size());
  }
  sum += fmt::format("  outputs: {}/{{results.json, events.jsonl, timeseries.csv{}{}}}\n", opt.out_dir,
                     opt.pcap == "off" ? "" : ", <host>.pcap", any_wave ? ", <host>.rtl.fst" : "");
  return sum;
}

}  // namespace rnicsim::sim
