#pragma once
#include <cstdint>
  #  include <systemc>  // wrong: logic includes SystemC
