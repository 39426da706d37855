// The on-chip region table and page-list memory of the placement core, written through
// the register interface (map in placement_pkg) and read asynchronously by the core.
module placement_regfile
  import placement_pkg::*;
#(
  parameter int unsigned RegionEntries = DefaultRegionEntries,  // region table entries (power of two)
  parameter int unsigned PageEntries   = DefaultPageEntries,    // page-list entries (power of two)
  localparam int unsigned IdxWidth     = $clog2(RegionEntries),
  localparam int unsigned PageIdxWidth = $clog2(PageEntries)
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  // Register interface: one write per cycle, always accepted.
  input  logic                    reg_we_i,
  input  logic [RegAddrWidth-1:0] reg_addr_i,
  input  logic [63:0]             reg_wdata_i,
  // Region read port.
  input  logic [IdxWidth-1:0]     rd_idx_i,
  output logic                    rd_valid_o,
  output logic [7:0]              rd_key_o,
  output logic [31:0]             rd_pd_o,
  output logic [3:0]              rd_access_o,
  output logic [63:0]             rd_base_o,
  output logic [63:0]             rd_length_o,
  output logic [PageIdxWidth-1:0] rd_pages_o,
  // Page-list read port: physical page frame (address bits 63:12).
  input  logic [PageIdxWidth-1:0] pg_idx_i,
  output logic [51:0]             pg_frame_o
);

  // Staged fields of the region being written.
  logic [IdxWidth-1:0]     idx_q;
  logic [63:0]             base_q, length_q;
  logic [7:0]              attr_key_q;
  logic [3:0]              attr_access_q;
  logic [31:0]             attr_pd_q;
  logic [PageIdxWidth-1:0] pages_q, pg_wptr_q;

  // The table itself.
  logic [RegionEntries-1:0] valid_q;
  logic [7:0]              key_q    [RegionEntries];
  logic [31:0]             pd_q     [RegionEntries];
  logic [3:0]              access_q [RegionEntries];
  logic [63:0]             rbase_q  [RegionEntries];
  logic [63:0]             rlen_q   [RegionEntries];
  logic [PageIdxWidth-1:0] rpages_q [RegionEntries];
  logic [51:0]             frame_q  [PageEntries];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      idx_q     <= '0;
      base_q    <= '0;
      length_q  <= '0;
      attr_key_q    <= '0;
      attr_access_q <= '0;
      attr_pd_q     <= '0;
      pages_q   <= '0;
      pg_wptr_q <= '0;
    end else if (reg_we_i) begin
      unique case (reg_addr_i)
        RegRegionIndex:  idx_q <= reg_wdata_i[IdxWidth-1:0];
        RegRegionBase:   base_q <= reg_wdata_i;
        RegRegionLength: length_q <= reg_wdata_i;
        RegRegionAttr: begin
          attr_key_q    <= reg_wdata_i[AttrKeyLsb +: 8];
          attr_access_q <= reg_wdata_i[AttrAccessLsb +: 4];
          attr_pd_q     <= reg_wdata_i[AttrPdLsb +: 32];
        end
        RegRegionPages:  pages_q <= reg_wdata_i[PageIdxWidth-1:0];
        RegPageIndex:    pg_wptr_q <= reg_wdata_i[PageIdxWidth-1:0];
        RegPageData:     pg_wptr_q <= pg_wptr_q + 1'b1;
        default: ;
      endcase
    end
  end

  // Entry valid bits: cleared by reset, set by a commit, cleared by an invalidation.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= '0;
    end else if (reg_we_i && reg_addr_i == RegRegionCommit) begin
      valid_q[idx_q] <= reg_wdata_i[0];
    end else if (reg_we_i && reg_addr_i == RegRegionInval) begin
      valid_q[reg_wdata_i[IdxWidth-1:0]] <= 1'b0;
    end
  end

  // Entry fields and page frames carry no reset: an entry is read only while valid.
  always_ff @(posedge clk_i) begin
    if (reg_we_i && reg_addr_i == RegRegionCommit) begin
      key_q[idx_q]    <= attr_key_q;
      access_q[idx_q] <= attr_access_q;
      pd_q[idx_q]     <= attr_pd_q;
      rbase_q[idx_q]  <= base_q;
      rlen_q[idx_q]   <= length_q;
      rpages_q[idx_q] <= pages_q;
    end
    if (reg_we_i && reg_addr_i == RegPageData) frame_q[pg_wptr_q] <= reg_wdata_i[63:12];
  end

  assign rd_valid_o  = valid_q[rd_idx_i];
  assign rd_key_o    = key_q[rd_idx_i];
  assign rd_pd_o     = pd_q[rd_idx_i];
  assign rd_access_o = access_q[rd_idx_i];
  assign rd_base_o   = rbase_q[rd_idx_i];
  assign rd_length_o = rlen_q[rd_idx_i];
  assign rd_pages_o  = rpages_q[rd_idx_i];
  assign pg_frame_o  = frame_q[pg_idx_i];

endmodule
