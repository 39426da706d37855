#pragma once
// The fuzz targets' assertion: on failure it prints what failed and aborts, which libFuzzer
// reports as a crash and saves the input (in every build type, unlike assert()).
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)
