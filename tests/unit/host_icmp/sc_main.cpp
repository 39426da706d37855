// HostIcmp is in rnic_sim, which links libsystemc, and libsystemc wants an sc_main to link.
// Debian's GCC links with --as-needed unless -fsanitize is given, so the normal build drops
// the unused libsystemc and hides the need; the sanitizer build keeps it. Catch2's main
// runs the tests, so this is never called.
#include <systemc>

int sc_main(int, char**) { return 0; }
