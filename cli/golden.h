#pragma once
/// Goldens: a digest of every output a run writes, so that a regression names the first
/// file that changed. One text file per scenario, `<stem>.golden`:
///   exit 0
///   alice.pcap <sha256>
///   results.json <sha256>      (wall-clock figures, keys named wall_*, left out)
/// with the run's exit status first and the files in name order. `run.log` and RTL
/// waveforms are not digested (the log holds wall-clock text; waves are optional).
#include <filesystem>
#include <string>

namespace rnicsim::cli {

/// The golden text of the outputs in `dir` of a run that exited with `exit_code`.
std::string golden_digest(const std::filesystem::path& dir, int exit_code);

/// Empty when `want` and `got` agree; otherwise what differs first, for instance
/// "results.json differs" or "bob.pcap missing".
std::string golden_compare(const std::string& want, const std::string& got);

}  // namespace rnicsim::cli
