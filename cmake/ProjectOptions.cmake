# Warnings for project code: an INTERFACE target that every project target links.
add_library(rnicsim_warnings INTERFACE)
target_compile_options(rnicsim_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough -Wswitch)
if(RNICSIM_WERROR)
  target_compile_options(rnicsim_warnings INTERFACE -Werror)
endif()

if(RNICSIM_SANITIZE)
  # Every target, third-party generated code included (cmake/Verilator.cmake narrows the
  # checks there). A UBSan report is fatal like an ASan one, so that it fails its test.
  # -O1: the sanitized suite at -O0 does not fit CI's time; -O1 keeps the stack traces.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined -O1)
  add_link_options(-fsanitize=address,undefined)
  # GCC 12 reports -Wmaybe-uninitialized falsely once -fsanitize=address is on at -O1
  # (GCC PR 105616: the instrumentation hides the stores from the warning's analysis).
  # The Release build keeps the warning (and -Werror); only this build drops it.
  target_compile_options(rnicsim_warnings INTERFACE -Wno-maybe-uninitialized)
endif()

# Third-party headers (SystemC above all) are included as system headers so that their
# own warnings do not fail a -Werror build of the project.
function(rnicsim_target name)
  target_link_libraries(${name} PRIVATE rnicsim_warnings)
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
endfunction()
