#pragma once
/// The loader's readers, one per part of the scenario, and its cross-checks. Each reads
/// what it can and reports every error into the context. Internal to the scenario library.
#include "model/scenario/walk.h"

namespace rnicsim::scenario::detail {

void read_hosts(Ctx& c, const YNode* n, Scenario& s);                     // hosts.cpp
void read_tcp(Ctx& c, const YNode& n, const std::string& path, TcpSpec& t, bool host_stack);
void read_switches(Ctx& c, const YNode* n, Scenario& s);                  // network.cpp
void read_routers(Ctx& c, const YNode* n, Scenario& s);
void read_links(Ctx& c, const YNode* n, Scenario& s);
void read_connections(Ctx& c, const YNode* n, Scenario& s);               // work.cpp
void read_workloads(Ctx& c, const YNode* n, Scenario& s);
void read_events(Ctx& c, const YNode* n, Scenario& s);
void read_expect(Ctx& c, const YNode* n, Scenario& s);
/// Names, cross-references, rate conflicts, `violate` connections, metric paths (the
/// keys of results.json: `results`).
void check_scenario(Ctx& c, Scenario& s, const stats::Node& results);     // checks.cpp

}  // namespace rnicsim::scenario::detail
