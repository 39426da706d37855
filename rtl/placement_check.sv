// The protection checks of one tagged segment against its region entry, in the order of
// protocol-facts.md (siw's siw_check_mem): STag, PD, access, TO wrap, bounds. Purely
// combinational; the first failing check names the Terminate.
module placement_check
  import placement_pkg::*;
(
  input  logic        idx_in_range_i,  // STag index below the table size
  input  logic        entry_valid_i,
  input  logic [7:0]  entry_key_i,
  input  logic [31:0] entry_pd_i,
  input  logic [3:0]  entry_access_i,
  input  logic [63:0] entry_base_i,
  input  logic [63:0] entry_length_i,
  input  logic [7:0]  stag_key_i,
  input  logic [31:0] qp_pd_i,
  input  logic [3:0]  access_i,         // rights the operation needs
  input  logic        source_i,         // 1: Read source (RDMAP codes); 0: a sink
  input  logic [63:0] to_i,
  input  logic [15:0] len_i,
  output fail_e       fail_o,
  output term_t       term_o
);

  logic stag_fail, pd_fail, access_fail, wrap_fail, bounds_fail;
  logic [63:0] len64, off;

  assign len64       = {48'd0, len_i};
  assign off         = to_i - entry_base_i;
  assign stag_fail   = !idx_in_range_i || !entry_valid_i || entry_key_i != stag_key_i;
  assign pd_fail     = entry_pd_i != qp_pd_i;
  assign access_fail = (entry_access_i & access_i) != access_i;
  // The last byte, to + len - 1, must not pass 2^64 - 1 (~to is 2^64 - 1 - to).
  assign wrap_fail   = len_i != 16'd0 && (len64 - 64'd1) > ~to_i;
  // Without overflow: to >= base, to - base <= length, len <= length - (to - base).
  assign bounds_fail = to_i < entry_base_i || off > entry_length_i ||
                       len64 > entry_length_i - off;

  always_comb begin
    if (stag_fail)        fail_o = FailStag;
    else if (pd_fail)     fail_o = FailPd;
    else if (access_fail) fail_o = FailAccess;
    else if (wrap_fail)   fail_o = FailToWrap;
    else if (bounds_fail) fail_o = FailBounds;
    else                  fail_o = FailNone;
  end

  assign term_o = term_of(fail_o, source_i);

endmodule
