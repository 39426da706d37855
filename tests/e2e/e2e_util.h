#pragma once
// Helpers for end-to-end tests: run a command, read a file.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace e2e {

struct Result {
  int status = -1;
  std::string out;  ///< stdout and stderr together
};

/// Runs `cmd` through the shell; stderr is captured too unless `with_stderr` is false.
inline Result sh(const std::string& cmd, bool with_stderr = true) {
  Result r;
  FILE* p = popen((cmd + (with_stderr ? " 2>&1" : " 2>/dev/null")).c_str(), "r");
  if (!p) return r;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/// tshark as protocol-facts.md says to run it (two heuristics off).
/// IPSICTL claims TCP port 5010, which the interop tests give the RNIC.
inline std::string tshark() {
  return "tshark --disable-protocol rpcordma --disable-protocol gsm_ipa --disable-protocol ipsictl";
}

}  // namespace e2e
