/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * RBNN card hardware interface: PCI identity, BAR0 registers, command and
 * completion descriptors, layer programs.
 *
 * This is the one definition of the interface between the rbnn driver and the
 * card. The device model (emulator/) includes it too. The full specification
 * with semantics is Documentation/rbnn-device.rst.
 *
 * Everything the card reads or writes in host memory is little-endian.
 */
#ifndef RBNN_REGS_H
#define RBNN_REGS_H

#include <linux/types.h>

/* ---- PCI identity ---------------------------------------------------- */
#define RBNN_PCI_VENDOR_ID		0x1af4
#define RBNN_PCI_DEVICE_ID		0x10f0
#define RBNN_PCI_CLASS_CODE		0x120000 /* processing accelerator */
#define RBNN_PCI_REVISION		0x01

#define RBNN_BAR_REGS			0	/* 4 KiB, 32-bit MMIO registers */
#define RBNN_BAR_MSIX			2	/* MSI-X table and PBA */
#define RBNN_REGS_SIZE			0x1000

#define RBNN_MSIX_VEC_CQ		0	/* completions posted */
#define RBNN_MSIX_VEC_EVENT		1	/* errors and test interrupts */
#define RBNN_MSIX_VECTORS		2

/* ---- BAR0 register map (32-bit registers, 32-bit aligned accesses) -- */
#define RBNN_ID_VALUE			0x4e4e4252 /* "RBNN" in LE bytes */
#define RBNN_VERSION_MAJOR		1
#define RBNN_VERSION_MINOR		0

#define RBNN_REG_ID			0x000	/* RO */
#define RBNN_REG_VERSION		0x004	/* RO: major << 16 | minor */
#define RBNN_REG_CAPS			0x008	/* RO: RBNN_CAP_* */
#define RBNN_REG_TILES			0x00c	/* RO: number of tiles */
#define RBNN_REG_TILE_ROWS		0x010	/* RO: rows per tile */
#define RBNN_REG_TILE_COLS		0x014	/* RO: columns per tile (a multiple of 64) */
#define RBNN_REG_ACT_BUF_SIZE		0x018	/* RO: activation buffer bytes */
#define RBNN_REG_MAX_LAYERS		0x01c	/* RO: layers per program */
#define RBNN_REG_MAX_SGL		0x020	/* RO: entries per SG list */
#define RBNN_REG_MAX_BATCH		0x024	/* RO: items per EXEC */
#define RBNN_REG_CELL_MODE		0x028	/* RO: RBNN_CELL_* */
#define RBNN_REG_SCRATCH		0x02c	/* RW: no side effect */
#define RBNN_REG_CONTROL		0x030	/* RW: RBNN_CTRL_* */
#define RBNN_REG_STATUS			0x034	/* RO: RBNN_STS_* */
#define RBNN_REG_ERROR			0x038	/* RW1C: RBNN_ERR_* */
#define RBNN_REG_INT_STATUS		0x03c	/* RW1C: RBNN_INT_* */
#define RBNN_REG_INT_MASK		0x040	/* RW: 1 = source enabled */
#define RBNN_REG_INT_TRIGGER		0x044	/* WO: raise RBNN_INT_* */
#define RBNN_REG_IRQ_COAL		0x048	/* RW: moderation */

#define RBNN_REG_SQ_BASE_LO		0x050	/* RW while disabled */
#define RBNN_REG_SQ_BASE_HI		0x054
#define RBNN_REG_SQ_SIZE		0x058	/* entries, power of two */
#define RBNN_REG_SQ_HEAD		0x05c	/* RO: next entry the card fetches */
#define RBNN_REG_SQ_TAIL		0x060	/* RW: doorbell */
#define RBNN_REG_CQ_BASE_LO		0x070	/* RW while disabled */
#define RBNN_REG_CQ_BASE_HI		0x074
#define RBNN_REG_CQ_SIZE		0x078	/* entries, power of two */
#define RBNN_REG_CQ_HEAD		0x07c	/* RW: host has consumed up to here */
#define RBNN_REG_CQ_TAIL		0x080	/* RO: next entry the card writes */

/* 64-bit counters: reading _LO latches the matching _HI half. */
#define RBNN_REG_ENERGY_PJ_LO		0x100	/* modeled energy, pJ */
#define RBNN_REG_ENERGY_PJ_HI		0x104
#define RBNN_REG_BUSY_NS_LO		0x108	/* modeled busy time, ns */
#define RBNN_REG_BUSY_NS_HI		0x10c
#define RBNN_REG_CMDS_DONE_LO		0x110	/* completions written */
#define RBNN_REG_CMDS_DONE_HI		0x114
#define RBNN_REG_PROG_PULSES_LO		0x118	/* device program pulses */
#define RBNN_REG_PROG_PULSES_HI		0x11c
#define RBNN_REG_CELL_READS_LO		0x120	/* cell (XNOR) reads */
#define RBNN_REG_CELL_READS_HI		0x124
#define RBNN_REG_PROGRESS		0x128	/* RO: +1 per unit of work */
#define RBNN_REG_RESETS			0x12c	/* RO: resets since power-on */
#define RBNN_REG_AGE_S_LO		0x130	/* RO: array age, seconds */
#define RBNN_REG_AGE_S_HI		0x134
#define RBNN_REG_SCRUB_WEAK_LO		0x138	/* RO: REFRESH weak cells */
#define RBNN_REG_SCRUB_WEAK_HI		0x13c

/* Per-tile wear window: write TILE_SEL, then read the others. */
#define RBNN_REG_TILE_SEL		0x140	/* RW */
#define RBNN_REG_TILE_CYCLES_MAX	0x144	/* RO: max row program cycles */
#define RBNN_REG_TILE_CYCLES_LO		0x148	/* RO: sum of row cycles */
#define RBNN_REG_TILE_CYCLES_HI		0x14c
#define RBNN_REG_TILE_STUCK		0x150	/* RO: stuck cells */
#define RBNN_REG_TILE_VERIFY_FAILS	0x154	/* RO: cells left unverified */
#define RBNN_REG_TILE_SCRUB_WEAK	0x158	/* RO: REFRESH weak cells */

/* Device-model parameter window: write PARAM_SEL, then read PARAM_VAL. */
#define RBNN_REG_PARAM_SEL		0x180	/* RW: RBNN_PARAM_* */
#define RBNN_REG_PARAM_VAL_LO		0x184	/* RO: latches _HI */
#define RBNN_REG_PARAM_VAL_HI		0x188

/* Debug registers: only active with the device property x-debug=on. */
#define RBNN_REG_FAULT			0x200	/* RW: RBNN_FAULT_* (one-shot) */
#define RBNN_REG_STUCK_TILE		0x204	/* RW */
#define RBNN_REG_STUCK_ROW		0x208	/* RW */
#define RBNN_REG_STUCK_COL		0x20c	/* RW */
#define RBNN_REG_STUCK_CMD		0x210	/* WO: RBNN_STUCK_CMD_* */
#define RBNN_REG_AGE_ADVANCE_S		0x214	/* WO: age the array N seconds */

/* RBNN_REG_CAPS */
#define RBNN_CAP_CELL_2T2R		(1u << 0)
#define RBNN_CAP_CELL_1T1R		(1u << 1)
#define RBNN_CAP_OP_FC			(1u << 2)
#define RBNN_CAP_OP_CONV1D		(1u << 3)
#define RBNN_CAP_OP_MAXPOOL1D		(1u << 4)
#define RBNN_CAP_BITSERIAL		(1u << 5)
#define RBNN_CAP_VERIFY			(1u << 6)
#define RBNN_CAP_REFRESH		(1u << 7)
#define RBNN_CAP_TIMING_MODELED		(1u << 8) /* completions take modeled time */
#define RBNN_CAP_DEBUG			(1u << 9) /* debug registers active */
#define RBNN_CAP_ERROR_MODEL		(1u << 10) /* cell error model is on */
#define RBNN_CAP_SCRUB_COUNT		(1u << 11) /* REFRESH counts weak cells */

/* RBNN_REG_CELL_MODE */
#define RBNN_CELL_2T2R			0
#define RBNN_CELL_1T1R			1

/* RBNN_REG_CONTROL */
#define RBNN_CTRL_ENABLE		(1u << 0) /* process the rings */
#define RBNN_CTRL_RESET			(1u << 1) /* W1: reset, reads 0 */

/* RBNN_REG_STATUS */
#define RBNN_STS_ENABLED		(1u << 0)
#define RBNN_STS_BUSY			(1u << 1) /* a command is executing */
#define RBNN_STS_HALTED			(1u << 2) /* fatal error, reset needed */

/* RBNN_REG_ERROR (fatal: each one halts the rings) */
#define RBNN_ERR_RING_CONFIG		(1u << 0) /* bad base/size at enable */
#define RBNN_ERR_SQ_DMA			(1u << 1) /* descriptor fetch failed */
#define RBNN_ERR_CQ_DMA			(1u << 2) /* completion write failed */
#define RBNN_ERR_DOORBELL		(1u << 3) /* SQ_TAIL or CQ_HEAD >= size */

/* RBNN_REG_INT_STATUS / INT_MASK / INT_TRIGGER */
#define RBNN_INT_CQ			(1u << 0) /* vector RBNN_MSIX_VEC_CQ */
#define RBNN_INT_ERROR			(1u << 1) /* vector RBNN_MSIX_VEC_EVENT */
#define RBNN_INT_TEST			(1u << 2) /* vector RBNN_MSIX_VEC_EVENT */

/* RBNN_REG_IRQ_COAL */
#define RBNN_COAL_COUNT_MASK		0x0000ffffu /* completions per IRQ */
#define RBNN_COAL_USEC_SHIFT		16	/* max delay, microseconds */

/* Ring limits */
#define RBNN_RING_MIN_ENTRIES		2
#define RBNN_RING_MAX_ENTRIES		4096
#define RBNN_RING_ALIGN			4096

/* RBNN_REG_FAULT (one-shot: each bit clears when it takes effect) */
#define RBNN_FAULT_HANG			(1u << 0) /* next command never ends */
#define RBNN_FAULT_DMA			(1u << 1) /* next command's data DMA fails */
#define RBNN_FAULT_DROP_IRQ		(1u << 2) /* next interrupt is lost */

/* RBNN_REG_STUCK_CMD */
#define RBNN_STUCK_CMD_AT0		0	/* stick the selected cell at 0 */
#define RBNN_STUCK_CMD_AT1		1	/* stick the selected cell at 1 */
#define RBNN_STUCK_CMD_CLEAR		2	/* heal the selected cell */

/* RBNN_REG_PARAM_SEL: read-only view of the device-model parameters */
enum rbnn_param {
	RBNN_PARAM_ERROR_MODEL = 0,	/* 0 off, 1 on */
	RBNN_PARAM_SEED = 1,
	RBNN_PARAM_TIMING = 2,		/* 0 instant, 1 modeled */
	RBNN_PARAM_PROG_CURRENT_NA = 3,	/* default programming current */
	RBNN_PARAM_PULSE_NS = 4,	/* default programming pulse */
	RBNN_PARAM_VERIFY_MAX = 5,	/* default verify iterations */
	RBNN_PARAM_READ_BER_PPB = 6,	/* transient read error rate, 1e-9 */
	RBNN_PARAM_EXPECTED_BER_PPB = 7, /* programming BER at default current */
	RBNN_PARAM_ENDURANCE = 8,	/* median program cycles to failure */
	RBNN_PARAM_WEAR_ACCEL = 9,	/* cycles counted per program */
	RBNN_PARAM_DRIFT_NU_PPM = 10,	/* mean drift coefficient, 1e-6 */
	RBNN_PARAM_E_READ_FJ = 11,	/* energy per cell read */
	RBNN_PARAM_E_POPCOUNT_FJ = 12,	/* energy per row popcount */
	RBNN_PARAM_E_DMA_FJ = 13,	/* energy per DMA byte */
	RBNN_PARAM_T_READ_NS = 14,	/* time per row read */
	RBNN_PARAM_COUNT
};

#define RBNN_PARAM_INVALID		(~0ull)

/* ---- DMA buffers ----------------------------------------------------- */

/**
 * struct rbnn_hw_sge - one scatter-gather segment
 * @addr: bus address of the segment
 * @len: length in bytes, non-zero
 * @rsvd: must be zero
 */
struct rbnn_hw_sge {
	__le64 addr;
	__le32 len;
	__le32 rsvd;
};

/**
 * struct rbnn_hw_buf - a host buffer the card may access
 * @addr: with @nents == 0, bus address of a contiguous buffer; otherwise
 *        bus address of an array of @nents &struct rbnn_hw_sge
 * @nents: number of SG entries (0 = contiguous), at most RBNN_REG_MAX_SGL
 * @len: buffer length in bytes; the card never accesses byte @len or
 *       beyond, and fails the command with RBNN_STATUS_DMA if it would
 */
struct rbnn_hw_buf {
	__le64 addr;
	__le32 nents;
	__le32 len;
};

/* ---- Submission queue entries (64 bytes) ----------------------------- */
enum rbnn_opcode {
	RBNN_OP_NOP = 0x00,
	RBNN_OP_FENCE = 0x01,		/* ends after all earlier commands */
	RBNN_OP_PROGRAM_ROWS = 0x02,
	RBNN_OP_READ_ROWS = 0x03,
	RBNN_OP_LOAD_THRESH = 0x04,
	RBNN_OP_EXEC = 0x05,
	RBNN_OP_REFRESH = 0x06,
	RBNN_OP_ERASE_TILE = 0x07,
	RBNN_OP_READ_WEAR = 0x08,
	RBNN_OP_SELF_TEST = 0x09,
};

/* rbnn_hw_cmd.flags */
#define RBNN_CMD_F_IRQ_NOW		(1u << 0) /* interrupt without moderation */
#define RBNN_CMD_F_VERIFY		(1u << 1) /* PROGRAM_ROWS: program-and-verify */

/**
 * struct rbnn_hw_rows - operands of PROGRAM_ROWS, READ_ROWS, LOAD_THRESH,
 *                       REFRESH, ERASE_TILE and READ_WEAR
 * @tile: tile index
 * @row: first row
 * @nrows: number of rows (>= 1, row + nrows <= rows per tile); ERASE_TILE
 *         and READ_WEAR act on the whole tile: @row and @nrows must be 0
 * @current_na: programming current in nA, 0 = device default
 * @pulse_ns: programming pulse width in ns, 0 = device default
 * @verify_max: program-and-verify iterations, 0 = device default
 * @rsvd: must be zero
 * @buf: data buffer (rows, thresholds or wear records), unused by
 *       REFRESH and ERASE_TILE (must be zero)
 */
struct rbnn_hw_rows {
	__le32 tile;
	__le32 row;
	__le32 nrows;
	__le32 current_na;
	__le32 pulse_ns;
	__le16 verify_max;
	__le16 rsvd;
	struct rbnn_hw_buf buf;
};

/**
 * struct rbnn_hw_exec - operands of EXEC
 * @prog: layer program (&struct rbnn_hw_prog and what follows it)
 * @in: input items, each padded to a multiple of 8 bytes
 * @out: output items, each padded to a multiple of 8 bytes
 * @batch: number of items, 1..RBNN_REG_MAX_BATCH
 * @rsvd: must be zero
 */
struct rbnn_hw_exec {
	struct rbnn_hw_buf prog;
	struct rbnn_hw_buf in;
	struct rbnn_hw_buf out;
	__le32 batch;
	__le32 rsvd;
};

/**
 * struct rbnn_hw_cmd - submission queue entry
 * @opcode: enum rbnn_opcode
 * @flags: RBNN_CMD_F_*
 * @rsvd0: must be zero
 * @tag: copied to the completion
 * @rows: operands of the row commands
 * @exec: operands of EXEC
 * @raw: all operands, must be zero for NOP, FENCE and SELF_TEST
 */
struct rbnn_hw_cmd {
	__u8 opcode;
	__u8 flags;
	__le16 rsvd0;
	__le32 tag;
	union {
		struct rbnn_hw_rows rows;
		struct rbnn_hw_exec exec;
		__u8 raw[56];
	};
};

/* ---- Completion queue entries (32 bytes) ----------------------------- */
enum rbnn_status {
	RBNN_STATUS_OK = 0,
	RBNN_STATUS_BAD_OPCODE = 1,
	RBNN_STATUS_BAD_PARAM = 2,	/* operand out of range, rsvd != 0 */
	RBNN_STATUS_DMA = 3,		/* out of bounds or failed DMA */
	RBNN_STATUS_BAD_PROGRAM = 4,	/* layer program rejected */
	RBNN_STATUS_VERIFY = 5,		/* cells left unverified (detail) */
	RBNN_STATUS_SELF_TEST = 6,	/* self-test failed (detail) */
};

#define RBNN_CQE_F_PHASE		(1u << 0)

/**
 * struct rbnn_hw_cqe - completion queue entry
 * @tag: tag of the command
 * @status: enum rbnn_status
 * @flags: RBNN_CQE_F_PHASE: 1 on the first pass over the ring, then
 *         toggling on each wrap
 * @detail: status detail (BAD_PARAM/DMA/BAD_PROGRAM: byte offset or layer
 *          index of the fault; VERIFY: unverified cells; PROGRAM_ROWS and
 *          REFRESH success: program pulses spent)
 * @aux: REFRESH that took effect (OK or VERIFY), with RBNN_CAP_SCRUB_COUNT:
 *       weak cells its margin reads found (saturating); otherwise zero
 * @time_ns: modeled device time of this command
 * @energy_pj: modeled energy of this command
 */
struct rbnn_hw_cqe {
	__le32 tag;
	__le16 status;
	__le16 flags;
	__le32 detail;
	__le32 aux;
	__le64 time_ns;
	__le64 energy_pj;
};

/**
 * struct rbnn_hw_wear - READ_WEAR record, one per row of the tile
 * @cycles: program cycles of the row
 * @stuck: stuck cells in the row
 */
struct rbnn_hw_wear {
	__le32 cycles;
	__le32 stuck;
};

/* ---- Layer programs -------------------------------------------------- */
#define RBNN_PROG_MAGIC			0x504c4252 /* "RBLP" */
#define RBNN_PROG_VERSION		1

enum rbnn_layer_op {
	RBNN_LAYER_FC = 1,		/* fan-in = channels * length */
	RBNN_LAYER_CONV1D = 2,		/* fan-in = channels * kernel */
	RBNN_LAYER_MAXPOOL1D = 3,	/* OR over windows of bits */
};

enum rbnn_layer_out {
	RBNN_OUT_BITS = 0,		/* threshold: bit = (sum >= thr) */
	RBNN_OUT_SCORES = 1,		/* signed sums as __le32, last layer */
};

/**
 * struct rbnn_hw_prog - layer program header
 * @magic: RBNN_PROG_MAGIC
 * @version: RBNN_PROG_VERSION
 * @nlayers: 1..RBNN_REG_MAX_LAYERS, &struct rbnn_hw_layer follow
 * @in_channels: channels of an input item
 * @in_length: positions of an input item
 * @in_bits: 1: bit-packed +-1 inputs; 2..8: one byte per element, whose
 *           low @in_bits bits are applied bit-serially
 * @rsvd: must be zero
 */
struct rbnn_hw_prog {
	__le32 magic;
	__le16 version;
	__le16 nlayers;
	__le32 in_channels;
	__le32 in_length;
	__u8 in_bits;
	__u8 rsvd[15];
};

/**
 * struct rbnn_hw_layer - one layer of a program (64 bytes)
 * @op: enum rbnn_layer_op
 * @out_mode: enum rbnn_layer_out
 * @rsvd0: must be zero
 * @in_channels: input channels (must match the previous layer)
 * @out_channels: output channels (neurons); MAXPOOL1D: = @in_channels
 * @in_length: input positions (must match the previous layer)
 * @out_length: output positions (checked against the shape formula)
 * @kernel: window (CONV1D, MAXPOOL1D), 0 for FC
 * @stride: window step (CONV1D, MAXPOOL1D), 0 for FC
 * @pad: CONV1D zero padding on both ends (padded positions contribute 0)
 * @rsvd1: must be zero
 * @nsegs: number of &struct rbnn_hw_seg of this layer (0 for MAXPOOL1D)
 * @seg_offset: byte offset of the segments from the program start
 * @rsvd2: must be zero
 */
struct rbnn_hw_layer {
	__u8 op;
	__u8 out_mode;
	__le16 rsvd0;
	__le32 in_channels;
	__le32 out_channels;
	__le32 in_length;
	__le32 out_length;
	__le16 kernel;
	__le16 stride;
	__le16 pad;
	__le16 rsvd1;
	__le32 nsegs;
	__le32 seg_offset;
	__le32 rsvd2[7];
};

/**
 * struct rbnn_hw_seg - where a layer's weights live (16 bytes)
 * @tile: tile index
 * @row: first row in the tile
 * @out_first: first output channel
 * @out_count: number of consecutive output channels, on consecutive rows
 * @block: column block: fan-in bits [block * cols, (block + 1) * cols)
 * @rsvd: must be zero
 *
 * Every (output channel, column block) pair of a layer is covered exactly
 * once. The threshold of an output channel is the one loaded for the row
 * holding its block 0.
 */
struct rbnn_hw_seg {
	__le32 tile;
	__le32 row;
	__le16 out_first;
	__le16 out_count;
	__le16 block;
	__le16 rsvd;
};

#endif /* RBNN_REGS_H */
