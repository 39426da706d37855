# Warnings for project code: an INTERFACE target that every project target links.
add_library(rnicsim_warnings INTERFACE)
target_compile_options(rnicsim_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough -Wswitch)
if(RNICSIM_WERROR)
  target_compile_options(rnicsim_warnings INTERFACE -Werror)
endif()

if(RNICSIM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Third-party headers (SystemC above all) are included as system headers so that their
# own warnings do not fail a -Werror build of the project.
function(rnicsim_target name)
  target_link_libraries(${name} PRIVATE rnicsim_warnings)
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
endfunction()
