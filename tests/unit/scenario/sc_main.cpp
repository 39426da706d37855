// These tests read the simulator's results tree (sim::results_schema) from its library,
// and libsystemc wants an sc_main to link; Catch2's main runs the tests, so it is never
// called.
#include <systemc>

int sc_main(int, char**) { return 0; }
