#include "model/proto/tcp/congestion.h"

#include "model/proto/tcp/cubic.h"
#include "model/proto/tcp/dctcp.h"
#include "model/proto/tcp/newreno.h"

namespace rnicsim::tcp {

std::unique_ptr<CongestionControl> make_congestion_control(const std::string& name) {
  if (name == "newreno") return std::make_unique<NewReno>();
  if (name == "cubic") return std::make_unique<Cubic>();
  if (name == "dctcp") return std::make_unique<Dctcp>();
  return nullptr;
}

}  // namespace rnicsim::tcp
