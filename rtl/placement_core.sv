// The tagged placement core: takes a DDP segment descriptor and its payload beats, looks
// the STag up in the region table, runs the protection checks in the protocol-facts.md
// order and either reports the Terminate code and drops the payload, or translates the
// tagged offset page by page and emits DMA write commands with their data, split at 4 KiB
// page boundaries. One payload beat per cycle sustained; valid/ready on every interface.
//
// DMA data is address-aligned: lane j of a beat holds the byte whose host address is
// j modulo the beat size, so a page boundary always falls between beats. Every beat
// carries its command's address and length; dma_sop_o marks a command's first beat and
// dma_eop_o its last. One status per segment follows its last DMA beat (or, on a failed
// check, its last dropped payload beat).
module placement_core
  import placement_pkg::*;
#(
  parameter int unsigned DataWidth     = DefaultDataWidth,      // payload and DMA data, bits
  parameter int unsigned RegionEntries = DefaultRegionEntries,  // region table entries
  parameter int unsigned PageEntries   = DefaultPageEntries,    // page-list entries
  parameter int unsigned PipeDepth     = DefaultPipeDepth,      // cycles from descriptor to check decision
  localparam int unsigned Bytes        = DataWidth / 8,
  localparam int unsigned BW           = $clog2(Bytes),
  localparam int unsigned IdxWidth     = $clog2(RegionEntries),
  localparam int unsigned PageIdxWidth = $clog2(PageEntries)
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  // Register interface (placement_pkg map).
  input  logic                    reg_we_i,
  input  logic [RegAddrWidth-1:0] reg_addr_i,
  input  logic [63:0]             reg_wdata_i,
  // Segment descriptor.
  input  logic                    desc_valid_i,
  output logic                    desc_ready_o,
  input  logic [31:0]             desc_stag_i,
  input  logic [63:0]             desc_to_i,
  input  logic [15:0]             desc_len_i,     // payload bytes (an MPA ULPDU is below 64 KiB)
  input  logic [31:0]             desc_pd_i,      // the QP's protection domain
  input  logic [3:0]              desc_access_i,  // rights the operation needs
  input  logic                    desc_source_i,  // 1: Read source; 0: Write or Read Response sink
  // Payload beats: byte i of the segment in lane i modulo Bytes.
  input  logic                    pay_valid_i,
  output logic                    pay_ready_o,
  input  logic [DataWidth-1:0]    pay_data_i,
  input  logic                    pay_last_i,
  // DMA write commands with their data.
  output logic                    dma_valid_o,
  input  logic                    dma_ready_i,
  output logic                    dma_sop_o,
  output logic                    dma_eop_o,
  output logic [63:0]             dma_addr_o,
  output logic [12:0]             dma_len_o,
  output logic [DataWidth-1:0]    dma_data_o,
  output logic [Bytes-1:0]        dma_strb_o,
  // Per-segment status.
  output logic                    sts_valid_o,
  input  logic                    sts_ready_i,
  output logic                    sts_error_o,
  output logic [3:0]              sts_layer_o,
  output logic [3:0]              sts_etype_o,
  output logic [7:0]              sts_code_o
);

  // ---------------------------------------------------------------- elaboration checks
  if (DataWidth < 64 || DataWidth > 1024 || (DataWidth & (DataWidth - 1)) != 0) begin : g_bad_width
    $error("DataWidth must be a power of two from 64 to 1024 bits");
  end
  if (RegionEntries < 2 || RegionEntries > (1 << 24) ||
      (RegionEntries & (RegionEntries - 1)) != 0) begin : g_bad_regions
    $error("RegionEntries must be a power of two from 2 to 2^24 (the STag index is 24 bits)");
  end
  if (PageEntries < 2 || PageEntries > (1 << 30) ||
      (PageEntries & (PageEntries - 1)) != 0) begin : g_bad_pages
    $error("PageEntries must be a power of two from 2 to 2^30");
  end
  if (PipeDepth < 1 || PipeDepth > 8) begin : g_bad_depth
    $error("PipeDepth must be 1 to 8 cycles");
  end

  // Beat counts of a segment: 16-bit length over at least 8-byte beats.
  localparam int unsigned CntWidth = 17 - BW + 1;
  localparam logic [31:0] BytesL = 32'(Bytes);

  typedef enum logic [2:0] {
    StIdle, StCheck, StData, StDrain, StStatus
  } state_e;

  state_e                 state_q, state_d;
  logic [31:0]            stag_q;
  logic [63:0]            to_q;
  logic [15:0]            len_q;
  logic [31:0]            pd_q;
  logic [3:0]             access_q;
  logic                   source_q;
  logic [2:0]             cnt_q;
  fail_e                  fail_q;
  term_t                  term_q;
  logic [51:0]            first_page_q;   // page frame of the region's base VA
  logic [PageIdxWidth-1:0] pages_q;       // page-list index of the region's first page
  logic [CntWidth-1:0]    nin_q, nout_q, k_q;
  logic [DataWidth-1:0]   prev_q;

  // ---------------------------------------------------------------- lookup and checks
  logic                    e_valid;
  logic [7:0]              e_key;
  logic [31:0]             e_pd;
  logic [3:0]              e_access;
  logic [63:0]             e_base, e_length;
  logic [PageIdxWidth-1:0] e_pages;
  logic [PageIdxWidth-1:0] pg_idx;
  logic [51:0]             pg_frame;
  fail_e                   fail;
  term_t                   term;
  logic                    idx_in_range;

  placement_regfile #(
    .RegionEntries(RegionEntries),
    .PageEntries  (PageEntries)
  ) u_regfile (
    .clk_i,
    .rst_ni,
    .reg_we_i,
    .reg_addr_i,
    .reg_wdata_i,
    .rd_idx_i   (stag_q[8 +: IdxWidth]),
    .rd_valid_o (e_valid),
    .rd_key_o   (e_key),
    .rd_pd_o    (e_pd),
    .rd_access_o(e_access),
    .rd_base_o  (e_base),
    .rd_length_o(e_length),
    .rd_pages_o (e_pages),
    .pg_idx_i   (pg_idx),
    .pg_frame_o (pg_frame)
  );

  assign idx_in_range = (stag_q[31:8] >> IdxWidth) == 24'd0;

  placement_check u_check (
    .idx_in_range_i(idx_in_range),
    .entry_valid_i (e_valid),
    .entry_key_i   (e_key),
    .entry_pd_i    (e_pd),
    .entry_access_i(e_access),
    .entry_base_i  (e_base),
    .entry_length_i(e_length),
    .stag_key_i    (stag_q[7:0]),
    .qp_pd_i       (pd_q),
    .access_i      (access_q),
    .source_i      (source_q),
    .to_i          (to_q),
    .len_i         (len_q),
    .fail_o        (fail),
    .term_o        (term)
  );

  // ---------------------------------------------------------------- datapath
  logic [BW-1:0]        shift;       // byte offset of the segment in its first beat
  logic [63:0]          beat_va, page_va, cmd_va;
  logic [64:0]          end_va, page_end, cmd_end;
  logic [16:0]          total;       // shift + length: bytes from the first aligned beat start
  logic [17:0]          beat_lo, beat_hi;
  logic                 in_needed;
  logic                 last_out;
  logic [DataWidth-1:0] cur;
  logic [Bytes-1:0]     strb;

  assign shift     = to_q[BW-1:0];
  assign total     = 17'(shift) + 17'(len_q);
  assign beat_va   = {to_q[63:BW], BW'(0)} + (64'(k_q) << BW);
  assign page_va   = {beat_va[63:12], 12'd0};
  assign cmd_va    = to_q > page_va ? to_q : page_va;
  assign end_va    = {1'b0, to_q} + 65'(len_q);
  assign page_end  = {1'b0, page_va} + 65'(PageBytes);
  assign cmd_end   = end_va < page_end ? end_va : page_end;
  assign pg_idx    = pages_q + PageIdxWidth'(beat_va[63:12] - first_page_q);
  assign in_needed = k_q < nin_q;
  assign last_out  = k_q == nout_q - 1'b1;
  assign cur       = in_needed ? pay_data_i : '0;
  // Bytes of this beat inside the segment: [beat_lo, beat_hi) relative to the beat start.
  assign beat_lo   = k_q == '0 ? 18'(shift) : 18'd0;
  assign beat_hi   = last_out ? 18'(total) - (18'(k_q) << BW) : 18'(Bytes);

  always_comb begin
    for (int unsigned j = 0; j < Bytes; j++) begin
      strb[j] = 18'(j) >= beat_lo && 18'(j) < beat_hi;
    end
  end

  assign dma_data_o = (cur << {shift, 3'b000}) | (prev_q >> ((BytesL - 32'(shift)) << 3));
  assign dma_strb_o = strb;
  assign dma_addr_o = {pg_frame, cmd_va[11:0]};
  assign dma_len_o  = 13'(cmd_end - {1'b0, cmd_va});
  assign dma_sop_o  = k_q == '0 || beat_va[11:0] == 12'd0;
  assign dma_eop_o  = last_out || beat_va[11:BW] == {(12 - BW){1'b1}};

  // ---------------------------------------------------------------- control
  always_comb begin
    state_d      = state_q;
    desc_ready_o = 1'b0;
    pay_ready_o  = 1'b0;
    dma_valid_o  = 1'b0;
    sts_valid_o  = 1'b0;
    unique case (state_q)
      StIdle: begin
        desc_ready_o = 1'b1;
        if (desc_valid_i) state_d = StCheck;
      end
      StCheck: begin
        if (cnt_q == 3'(PipeDepth - 1)) begin
          if (len_q == 16'd0) state_d = StStatus;
          else if (fail != FailNone) state_d = StDrain;
          else state_d = StData;
        end
      end
      StData: begin
        dma_valid_o = in_needed ? pay_valid_i : 1'b1;
        pay_ready_o = in_needed && dma_ready_i;
        if (dma_valid_o && dma_ready_i && last_out) state_d = StStatus;
      end
      StDrain: begin
        pay_ready_o = 1'b1;
        if (pay_valid_i && k_q == nin_q - 1'b1) state_d = StStatus;
      end
      StStatus: begin
        sts_valid_o = 1'b1;
        if (sts_ready_i) state_d = StIdle;
      end
      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q      <= StIdle;
      stag_q       <= '0;
      to_q         <= '0;
      len_q        <= '0;
      pd_q         <= '0;
      access_q     <= '0;
      source_q     <= 1'b0;
      cnt_q        <= '0;
      fail_q       <= FailNone;
      term_q       <= '0;
      first_page_q <= '0;
      pages_q      <= '0;
      nin_q        <= '0;
      nout_q       <= '0;
      k_q          <= '0;
      prev_q       <= '0;
    end else begin
      state_q <= state_d;
      unique case (state_q)
        StIdle: begin
          if (desc_valid_i) begin
            stag_q   <= desc_stag_i;
            to_q     <= desc_to_i;
            len_q    <= desc_len_i;
            pd_q     <= desc_pd_i;
            access_q <= desc_access_i;
            source_q <= desc_source_i;
            cnt_q    <= '0;
          end
        end
        StCheck: begin
          cnt_q        <= cnt_q + 1'b1;
          fail_q       <= fail;
          term_q       <= term;
          first_page_q <= e_base[63:12];
          pages_q      <= e_pages;
          nin_q        <= CntWidth'((17'(len_q) + 17'(Bytes - 1)) >> BW);
          nout_q       <= CntWidth'((18'(total) + 18'(Bytes - 1)) >> BW);
          k_q          <= '0;
          prev_q       <= '0;
        end
        StData: begin
          if (dma_valid_o && dma_ready_i) begin
            k_q <= k_q + 1'b1;
            if (in_needed) prev_q <= pay_data_i;
          end
        end
        StDrain: begin
          if (pay_valid_i) k_q <= k_q + 1'b1;
        end
        StStatus: ;
        default: ;
      endcase
    end
  end

  assign sts_error_o = fail_q != FailNone;
  assign sts_layer_o = term_q.layer;
  assign sts_etype_o = term_q.etype;
  assign sts_code_o  = term_q.code;

  // ---------------------------------------------------------------- assertions
  // Every valid stays up, with its payload unchanged, until it is taken.
  DescHold_A: assert property (@(posedge clk_i) disable iff (!rst_ni)
    $past(desc_valid_i && !desc_ready_o) |-> desc_valid_i && $stable(desc_stag_i) &&
    $stable(desc_to_i) && $stable(desc_len_i) && $stable(desc_pd_i))
    else $error("descriptor withdrawn or changed while stalled");
  PayHold_A: assert property (@(posedge clk_i) disable iff (!rst_ni)
    $past(pay_valid_i && !pay_ready_o) |-> pay_valid_i && $stable(pay_data_i))
    else $error("payload beat withdrawn or changed while stalled");
  DmaHold_A: assert property (@(posedge clk_i) disable iff (!rst_ni)
    $past(dma_valid_o && !dma_ready_i) |-> dma_valid_o && $stable(dma_data_o) &&
    $stable(dma_addr_o) && $stable(dma_len_o) && $stable(dma_strb_o))
    else $error("DMA beat withdrawn or changed while stalled");
  StsHold_A: assert property (@(posedge clk_i) disable iff (!rst_ni)
    $past(sts_valid_o && !sts_ready_i) |-> sts_valid_o && $stable(sts_code_o))
    else $error("status withdrawn or changed while stalled");
  // The operation needs exactly one right: a sink's write or a source's read.
  DescAccess_A: assert property (@(posedge clk_i) disable iff (!rst_ni)
    desc_valid_i |-> desc_access_i == AccessLocalWrite || desc_access_i == AccessRemoteWrite ||
    desc_access_i == AccessRemoteRead)
    else $error("descriptor asks for an access that is not one right");
  // The sender's last flag marks exactly the segment's last payload beat.
  PayLast_A: assert property (@(posedge clk_i) disable iff (!rst_ni)
    (pay_valid_i && pay_ready_o) |-> pay_last_i == (k_q == nin_q - 1'b1))
    else $error("payload last flag disagrees with the descriptor length");
  // A command stays inside one page, is not empty and places at least one byte per beat.
  DmaPage_A: assert property (@(posedge clk_i) disable iff (!rst_ni)
    dma_valid_o |-> dma_len_o != 13'd0 && 13'(dma_addr_o[11:0]) + dma_len_o <= 13'(PageBytes) &&
    dma_strb_o != '0)
    else $error("DMA command crosses a page or is empty");
  // Nothing is placed for a segment that failed a check.
  NoPlaceOnFail_A: assert property (@(posedge clk_i) disable iff (!rst_ni)
    dma_valid_o |-> state_q == StData && fail_q == FailNone)
    else $error("DMA write for a refused segment");

endmodule
