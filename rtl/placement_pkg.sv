// The placement core's one definition of its register map, check results and Terminate
// codes. The C++ side reads these constants from the Verilated package
// (V<prefix>_placement_pkg.h), so there is no second copy to keep in step.
package placement_pkg;

  // ---------------------------------------------------------------- register interface
  // Word addresses of the 64-bit, write-only register interface the firmware drives when
  // memory is registered or invalidated. A region is written field by field into staging
  // registers, then committed to its table entry in one write; a page list is written
  // through an auto-incrementing pointer.
  localparam int unsigned RegAddrWidth /*verilator public*/ = 4;
  localparam logic [3:0] RegRegionIndex  /*verilator public*/ = 4'h0;  // entry index = STag[31:8]
  localparam logic [3:0] RegRegionBase   /*verilator public*/ = 4'h1;  // base VA
  localparam logic [3:0] RegRegionLength /*verilator public*/ = 4'h2;  // length, bytes
  localparam logic [3:0] RegRegionAttr   /*verilator public*/ = 4'h3;  // [7:0] key, [11:8] access, [63:32] PD
  localparam logic [3:0] RegRegionPages  /*verilator public*/ = 4'h4;  // page-list index of the region's first page
  localparam logic [3:0] RegRegionCommit /*verilator public*/ = 4'h5;  // entry[index] := staged fields, valid := wdata[0]
  localparam logic [3:0] RegRegionInval  /*verilator public*/ = 4'h6;  // entry[wdata].valid := 0
  localparam logic [3:0] RegPageIndex    /*verilator public*/ = 4'h7;  // page-list write pointer
  localparam logic [3:0] RegPageData     /*verilator public*/ = 4'h8;  // page_list[pointer++] := wdata (physical address)

  // Bit positions inside RegRegionAttr.
  localparam int unsigned AttrKeyLsb    /*verilator public*/ = 0;
  localparam int unsigned AttrAccessLsb /*verilator public*/ = 8;
  localparam int unsigned AttrPdLsb     /*verilator public*/ = 32;

  // Access rights (the model's placement::access bits).
  localparam logic [3:0] AccessLocalWrite  /*verilator public*/ = 4'b0001;
  localparam logic [3:0] AccessRemoteWrite /*verilator public*/ = 4'b0010;
  localparam logic [3:0] AccessRemoteRead  /*verilator public*/ = 4'b0100;

  // Default geometry of the core as it is verilated for the model.
  localparam int unsigned DefaultDataWidth     /*verilator public*/ = 512;
  localparam int unsigned DefaultRegionEntries /*verilator public*/ = 4096;
  localparam int unsigned DefaultPageEntries   /*verilator public*/ = 65536;
  localparam int unsigned DefaultPipeDepth     /*verilator public*/ = 2;
  localparam int unsigned PageBytes            /*verilator public*/ = 4096;

  // ---------------------------------------------------------------- check results
  // The checks in the one order of protocol-facts.md; the first that fails is reported.
  typedef enum logic [2:0] {
    FailNone     = 3'd0,
    FailStag     = 3'd1,  // index out of range, entry invalid, key mismatch or invalidated
    FailPd       = 3'd2,  // STag's PD is not the QP's
    FailAccess   = 3'd3,  // rights do not cover the access
    FailToWrap   = 3'd4,  // TO + length passes 2^64
    FailBounds   = 3'd5   // outside [base, base + length)
  } fail_e;

  // A Terminate code: layer, error type, error code (RFC 5040 s.7.2, RFC 5041 s.7.2).
  typedef struct packed {
    logic [3:0] layer;
    logic [3:0] etype;
    logic [7:0] code;
  } term_t;

  localparam logic [3:0] LayerRdmap = 4'd0;
  localparam logic [3:0] LayerDdp   = 4'd1;

  // Which Terminate a failure becomes: sinks (Write, Read Response) report DDP tagged
  // errors except access rights; the Read source reports RDMAP remote protection errors.
  function automatic term_t term_of(fail_e f, logic source);
    term_t t;
    t = '{layer: source ? LayerRdmap : LayerDdp, etype: 4'd1, code: 8'h00};
    unique case (f)
      FailNone:   t = '{layer: 4'd0, etype: 4'd0, code: 8'h00};
      FailStag:   t.code = 8'h00;
      FailPd:     t.code = source ? 8'h03 : 8'h02;
      FailAccess: t = '{layer: LayerRdmap, etype: 4'd1, code: 8'h02};
      FailToWrap: t.code = source ? 8'h04 : 8'h03;
      FailBounds: t.code = 8'h01;
      default:    t = '{layer: 4'd0, etype: 4'd0, code: 8'h00};
    endcase
    return t;
  endfunction

endpackage
