# The RTL placement core, verilated once into one static library that the model and the
# RTL tests both link: C++ output, FST tracing compiled in (switched on at run time),
# assertions on. The same library holds a second verilation, the fault copy: the core
# with its PD check disabled, generated from the real source here (never a switch in the
# real core), used only by the lockstep fault test.
set(RTL_DIR ${PROJECT_SOURCE_DIR}/rtl)
set(RTL_SOURCES ${RTL_DIR}/placement_pkg.sv ${RTL_DIR}/placement_check.sv
                ${RTL_DIR}/placement_regfile.sv ${RTL_DIR}/placement_core.sv)

# The fault copy: one line of placement_check.sv replaced; regenerated when it changes.
set(RTL_FAULT_DIR ${CMAKE_BINARY_DIR}/rtl_fault)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${RTL_DIR}/placement_check.sv)
file(READ ${RTL_DIR}/placement_check.sv _check_src)
set(_pd_line "assign pd_fail     = entry_pd_i != qp_pd_i;")
string(FIND "${_check_src}" "${_pd_line}" _pd_at)
if(_pd_at LESS 0)
  message(FATAL_ERROR "rtl/placement_check.sv: the PD check line the fault copy disables is gone; update cmake/Verilator.cmake")
endif()
string(REPLACE "${_pd_line}" "assign pd_fail     = 1'b0;  // FAULT COPY: PD check disabled" _check_src "${_check_src}")
file(WRITE ${RTL_FAULT_DIR}/placement_check.sv.new "${_check_src}")
configure_file(${RTL_FAULT_DIR}/placement_check.sv.new ${RTL_FAULT_DIR}/placement_check.sv COPYONLY)

set(RTL_VERILATOR_ARGS --assert --timescale 1ps/1ps -O3 --x-assign fast --x-initial fast)
add_library(rnic_rtl STATIC)
verilate(rnic_rtl PREFIX Vplacement_core TOP_MODULE placement_core TRACE_FST
         SOURCES ${RTL_DIR}/lint.vlt ${RTL_SOURCES}
         VERILATOR_ARGS -Wall ${RTL_VERILATOR_ARGS}
         OPT_FAST -O2)
verilate(rnic_rtl PREFIX Vplacement_core_fault TOP_MODULE placement_core
         SOURCES ${RTL_DIR}/placement_pkg.sv ${RTL_FAULT_DIR}/placement_check.sv
                 ${RTL_DIR}/placement_regfile.sv ${RTL_DIR}/placement_core.sv
         VERILATOR_ARGS ${RTL_VERILATOR_ARGS}
         OPT_FAST -O2)
set_target_properties(rnic_rtl PROPERTIES POSITION_INDEPENDENT_CODE ON)
if(RNICSIM_SANITIZE)
  # Verilator's generated model and its runtime (the FST writer above all) are third-party
  # code that reads words through casted, unaligned pointers and shifts by the full word
  # width on purpose (masks of VL_MASK_*, fstapi's varint and hash code). UBSan's alignment
  # and shift checks alone are off for this library; ASan and every other check stay on.
  target_compile_options(rnic_rtl PRIVATE -fno-sanitize=alignment,shift)
endif()
# Users see the Verilated headers as system headers: their style is not the project's.
get_target_property(_rtl_inc rnic_rtl INTERFACE_INCLUDE_DIRECTORIES)
set_property(TARGET rnic_rtl PROPERTY INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${_rtl_inc})
target_compile_definitions(rnic_rtl INTERFACE VM_TRACE=1 VM_TRACE_FST=1 VM_COVERAGE=0 VM_SC=0)
find_package(ZLIB REQUIRED)  # the FST writer compresses with zlib
target_link_libraries(rnic_rtl PUBLIC ZLIB::ZLIB)

# `verilator --lint-only -Wall` on the real core, as a test.
find_program(VERILATOR_EXE verilator HINTS /usr/bin REQUIRED)
add_test(NAME "rtl: lint" COMMAND ${VERILATOR_EXE} --lint-only -Wall --assert ${RTL_DIR}/lint.vlt ${RTL_SOURCES}
         --top-module placement_core)
# Illegal parameter combinations stop elaboration with the core's own message.
foreach(_bad "DataWidth=100|DataWidth must be a power of two"
             "PipeDepth=0|PipeDepth must be 1 to 8"
             "RegionEntries=3000|RegionEntries must be a power of two")
  string(REPLACE "|" ";" _bad "${_bad}")
  list(GET _bad 0 _param)
  list(GET _bad 1 _msg)
  add_test(NAME "rtl: elaboration refuses ${_param}"
           COMMAND ${VERILATOR_EXE} --lint-only -Wall ${RTL_DIR}/lint.vlt ${RTL_SOURCES}
                   --top-module placement_core -G${_param})
  set_tests_properties("rtl: elaboration refuses ${_param}" PROPERTIES PASS_REGULAR_EXPRESSION "${_msg}")
endforeach()
# Legal corners lint clean too.
foreach(_good "DataWidth=64;PipeDepth=1" "DataWidth=1024;PipeDepth=8" "DataWidth=256;RegionEntries=64;PageEntries=1024")
  set(_gargs)
  foreach(_g ${_good})
    list(APPEND _gargs -G${_g})
  endforeach()
  string(REPLACE ";" " " _gname "${_good}")
  add_test(NAME "rtl: lint ${_gname}"
           COMMAND ${VERILATOR_EXE} --lint-only -Wall --assert ${RTL_DIR}/lint.vlt ${RTL_SOURCES}
                   --top-module placement_core ${_gargs})
endforeach()
