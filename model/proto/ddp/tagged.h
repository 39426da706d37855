#pragma once
/// DDP tagged buffer model (RFC 5041 s.5.1, s.7.2.1): a tagged segment (an RDMA Write, a
/// Read Response, or the source a Read Request names) is checked against the region table
/// in the one protocol-facts order (placement::RegionTable::check), and the failure is
/// named by the operation's column of protocol-facts.md's table; plus the version check
/// every DDP segment passes first. Plain C++, no timing.
#include <cstdint>
#include <optional>

#include "model/proto/placement/regions.h"
#include "model/wire/ddp_rdmap.h"

namespace rnicsim::ddp {

/// The outcome of a tagged segment's checks: which check failed, and its Terminate code.
struct TaggedVerdict {
  placement::CheckFailure failure = placement::CheckFailure::None;
  wire::TermCode error;  ///< meaningful when failure != None
  bool ok() const { return failure == placement::CheckFailure::None; }
};

/// Checks `len` bytes at `to` of `stag` for a QP of protection domain `pd`, used as `use`.
TaggedVerdict check_tagged(const placement::RegionTable& t, uint32_t stag, uint64_t to, uint64_t len,
                           uint32_t pd, placement::TaggedUse use);
/// The same with the right asked given (an atomic's target: remote atomic, named as a
/// Read's source).
TaggedVerdict check_tagged(const placement::RegionTable& t, uint32_t stag, uint64_t to, uint64_t len,
                           uint32_t pd, uint32_t required_access, placement::TaggedUse use);

/// The check whose failure `use` names with `code` (the RTL core reports the code only);
/// InvalidStag when no check of that use gives it.
placement::CheckFailure failure_of(wire::TermCode code, placement::TaggedUse use);

/// RFC 5041 s.7.2: a DDP version other than 1 is "bad version", of the tagged or the
/// untagged error type by the segment's T bit; nullopt when the version is right.
std::optional<wire::TermCode> check_version(const wire::DdpHeader& h);

}  // namespace rnicsim::ddp
