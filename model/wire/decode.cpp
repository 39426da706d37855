#include "model/wire/decode.h"

namespace rnicsim::wire {

const char* to_string(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::Ok: return "ok";
    case DecodeStatus::Truncated: return "truncated";
    case DecodeStatus::Malformed: return "malformed";
    case DecodeStatus::BadChecksum: return "bad checksum";
  }
  return "unknown";
}

}  // namespace rnicsim::wire
