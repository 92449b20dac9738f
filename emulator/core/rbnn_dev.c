/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * RBNN device-model core: the card as the host sees it.
 *
 * BAR0 register file, submission/completion rings, command decode and
 * execution on the array (rbnn_array_*, rbnn_prog_*), DMA through bounded
 * scatter-gather lists, interrupts with CQ moderation, fatal errors, reset,
 * fault injection, instant or modeled timing, counters, the PARAM and TILE
 * windows and the migration state.
 *
 * Plain C: no QEMU types, no global state. Everything the guest controls is
 * checked; a bad access or descriptor is reported through host->guest_error
 * and (for commands) a completion status, never by crashing.
 *
 * Choices the notes leave open (documented in the report / spec):
 * - INT_STATUS.CQ is set when the moderation logic decides to signal (not on
 *   every completion); each time a bit is raised while enabled in INT_MASK
 *   one message is sent (CQ -> vector 0, ERROR/TEST -> vector 1, at most one
 *   message per vector per event). Enabling a mask bit whose status bit is
 *   already set sends the message then.
 * - PROGRESS counts work units: 1 per command + 1 per row operation of the
 *   array (rbnn_cost.progress). While a command is computed over several
 *   work slices (rbnn_dev_work_slice()) it shows the units done so far; in
 *   modeled timing it is then interpolated over the command's modeled
 *   duration, never below what it showed while computing.
 * - EXEC and the row commands (PROGRAM_ROWS, READ_ROWS, REFRESH,
 *   ERASE_TILE) are computed in steps (struct cmd_job), between which the
 *   registers work and CONTROL.RESET abandons the command. The steps do
 *   what one whole call would, in the same order, so results, costs and
 *   random draws do not depend on the budgets. A device computing such a
 *   command cannot be saved (rbnn_dev_computing()).
 * - Hung commands (fault injection) are fetched but never executed.
 * - BAD_PARAM / DMA details are the byte offset, within the 64-byte SQE, of
 *   the offending field (for DMA: of the struct rbnn_hw_buf involved).
 * - Flag bits other than IRQ_NOW and VERIFY are reserved (BAD_PARAM, detail
 *   1); VERIFY is ignored by opcodes other than PROGRAM_ROWS.
 * - fault_hang_cmd counts fetched commands since power-on; fault_dma_every
 *   counts commands that do data DMA; fault_irq_every counts MSI-X messages
 *   the card tries to send. Soft resets (CONTROL.RESET) keep these counts.
 *   The FAULT.DMA one-shot (and fault_dma_every) fails the first data DMA
 *   (SG list, program, data) of the command: status DMA, detail = offset of
 *   the descriptor.
 * - Operands a command does not use must be zero: NOP/FENCE/SELF_TEST all
 *   56 operand bytes; row commands bytes 48..63; REFRESH, ERASE_TILE and
 *   READ_WEAR current_na/pulse_ns/verify_max (and ERASE_TILE/READ_WEAR
 *   row/nrows). READ_ROWS and LOAD_THRESH range-check but ignore them.
 * - SQ_TAIL/CQ_HEAD written while disabled: ignored (guest error, not
 *   fatal). CONTROL.ENABLE while HALTED: ignored (guest error).
 * - "The card goes idle" for moderation = it cannot fetch another command:
 *   SQ empty, CQ full, disabled or halted.
 * - Counters (ENERGY, BUSY, CMDS_DONE, PULSES, CELL_READS) grow when the
 *   completion is posted; a command aborted by reset adds nothing to them
 *   but keeps the PROGRESS it made.
 */
#include <endian.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rbnn_regs.h"
#include "rbnn_dev.h"
#include "rbnn_exec.h"

_Static_assert(sizeof(struct rbnn_hw_cmd) == 64, "SQE size");
_Static_assert(sizeof(struct rbnn_hw_cqe) == 32, "CQE size");
_Static_assert(sizeof(struct rbnn_hw_sge) == 16, "SGE size");
_Static_assert(sizeof(struct rbnn_hw_buf) == 16, "buf size");
_Static_assert(sizeof(struct rbnn_hw_wear) == 8, "wear size");

#define SQE_SIZE		64u
#define CQE_SIZE		32u
#define WORK_BATCH		64u	/* commands per rbnn_dev_work() call */
#define UNBOUNDED		UINT64_MAX
/*
 * Work a timer callback may do (rbnn_dev_timer()): it posts due
 * completions and fetches the next command at its exact time, and computes
 * only this much of it before leaving the rest to work calls.
 */
#define TIMER_BUDGET		(1u << 18)
#define PROG_MAX_BYTES		(1u << 20)
#define SG_CHUNK		256u	/* SG entries fetched per DMA */
#define NO_DEADLINE		UINT64_MAX

#define STATE_MAGIC		0x53444e42u /* "BNDS" */
#define STATE_VERSION		4u

#define CTRL_MASK	(RBNN_CTRL_ENABLE | RBNN_CTRL_RESET)
#define INT_MASK_ALL	(RBNN_INT_CQ | RBNN_INT_ERROR | RBNN_INT_TEST)
#define FAULT_ALL	(RBNN_FAULT_HANG | RBNN_FAULT_DMA | RBNN_FAULT_DROP_IRQ)
#define ERR_ALL		(RBNN_ERR_RING_CONFIG | RBNN_ERR_SQ_DMA | \
			 RBNN_ERR_CQ_DMA | RBNN_ERR_DOORBELL)
#define CMD_FLAGS_ALL	(RBNN_CMD_F_IRQ_NOW | RBNN_CMD_F_VERIFY)

/* 64-bit registers read as _LO (latching _HI) / _HI. */
enum latch {
	L_ENERGY, L_BUSY, L_CMDS, L_PULSES, L_READS, L_AGE, L_TILE_CYCLES,
	L_PARAM, L_SCRUB, L_COUNT
};

struct seg {
	uint64_t addr;
	uint64_t len;
};

struct dbuf {
	uint64_t addr;
	uint32_t nents;
	uint32_t len;
	uint32_t desc_off;	/* offset of the descriptor in the SQE */
	struct seg *segs;
	/* cursor for sequential access */
	uint32_t cur;
	uint64_t cur_start;
};

struct cmdctx {
	struct rbnn_dev *d;
	struct rbnn_cost cost;
	uint64_t dma_bytes;
	bool dma_started;
	bool dma_fail;
	bool failed;
	uint16_t status;
	uint32_t detail;
	uint32_t aux;
	uint64_t weak;		/* REFRESH: weak cells (for the counters) */
	uint32_t tile;		/* REFRESH: its tile */
	bool started;		/* goes on in d->job (EXEC, row commands) */
};

/*
 * The command being computed over several work slices: an EXEC (see
 * exec_begin()) or a row command (rows_begin()).
 */
struct cmd_job {
	bool on;
	uint8_t op;		/* RBNN_OP_* */
	struct cmdctx c;
	struct rbnn_hw_cmd cmd;
	uint64_t seen;		/* units done when the last slice began */
	/* EXEC */
	bool item_on;		/* item read, being computed */
	struct rbnn_prog *prog;
	struct dbuf bi, bo;
	bool bi_open, bo_open;
	void *in, *out;
	uint64_t in_bytes, out_bytes;
	uint32_t batch, item;
	/* PROGRAM_ROWS, READ_ROWS, REFRESH, ERASE_TILE: row by row */
	uint32_t tile, row, nrows, r;	/* r: rows done */
	uint64_t *bits;		/* PROGRAM_ROWS data, else one row */
	struct dbuf b;		/* READ_ROWS buffer */
	bool b_open;
	struct rbnn_prog_opts opts;
	struct rbnn_prog_result res;	/* summed over the rows */
};

struct rbnn_dev {
	struct rbnn_params p;
	struct rbnn_host host;
	struct rbnn_array *arr;

	/* registers */
	uint32_t scratch;
	uint32_t control;	/* RBNN_CTRL_ENABLE only */
	uint32_t status;	/* ENABLED | HALTED; BUSY derived */
	uint32_t error;
	uint32_t int_status;
	uint32_t int_mask;
	uint32_t irq_coal;
	uint64_t sq_base, cq_base;
	uint32_t sq_size, cq_size;
	uint32_t sq_head, sq_tail, cq_head, cq_tail;
	uint32_t phase;
	uint32_t tile_sel, param_sel;
	uint32_t fault;
	uint32_t stuck_tile, stuck_row, stuck_col;
	uint32_t latch[L_COUNT];

	/* lifetime counters */
	uint64_t energy_pj, busy_ns, cmds_done, prog_pulses, cell_reads;
	uint64_t progress;	/* completed work units */
	uint32_t resets;
	uint64_t scrub_weak;	/* weak cells found by REFRESH */
	uint64_t *tile_scrub_weak;	/* the same per tile */

	/* periodic fault injection, counted since power-on */
	uint64_t cmds_fetched, dma_cmds, msgs;

	/* command in flight (modeled timing or hung) */
	bool inflight;
	bool hung;
	bool inflight_irq_now;
	struct {
		uint32_t tag;
		uint16_t status;
		uint32_t detail;
		uint32_t aux;
		uint64_t time_ns, energy_pj;
	} cqe;			/* completion to post, host byte order */
	uint64_t start_ns, end_ns;
	uint64_t inflight_units, inflight_pulses, inflight_reads;
	uint64_t inflight_weak;	/* REFRESH: weak cells, counted at posting */
	uint32_t inflight_tile;	/* ... in this tile */

	/* CQ interrupt moderation */
	uint32_t coal_pending;	/* completions since the last CQ signal */
	uint64_t coal_deadline;	/* NO_DEADLINE: timer not armed */

	uint64_t timer_req;	/* last deadline passed to timer_mod */

	/* command being computed (inflight too; end_ns not known yet) */
	struct cmd_job job;
	uint64_t inflight_floor;	/* PROGRESS units already shown */
};

/* ---------------------------------------------------------------------- */

static void gerr(struct rbnn_dev *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void gerr(struct rbnn_dev *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->host.guest_error)
		return;
	va_start(ap, fmt);
	d->host.guest_error(d->host.opaque, fmt, ap);
	va_end(ap);
}

static uint64_t now_ns(struct rbnn_dev *d)
{
	return d->host.now_ns ? d->host.now_ns(d->host.opaque) : 0;
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* Round a non-negative double to u64, saturating; NaN/negative -> 0. */
static uint64_t round_u64(double v)
{
	if (!(v > 0.0))
		return 0;
	if (v >= 18446744073709549568.0)
		return UINT64_MAX;
	return (uint64_t)(v + 0.5);
}

/* Take @u units from a work budget (saturating at 0). */
static void spend(uint64_t *budget, uint64_t u)
{
	*budget = u < *budget ? *budget - u : 0;
}

static uint32_t sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* ---------------------------------------------------------------------- */
/* Interrupts                                                             */

static void send_msg(struct rbnn_dev *d, unsigned int vec)
{
	bool drop = false;

	d->msgs++;
	if (d->fault & RBNN_FAULT_DROP_IRQ) {
		d->fault &= ~RBNN_FAULT_DROP_IRQ;
		drop = true;
	}
	if (d->p.fault_irq_every && d->msgs % d->p.fault_irq_every == 0)
		drop = true;
	if (!drop && d->host.irq)
		d->host.irq(d->host.opaque, vec);
}

/* Set INT_STATUS bits; one message per vector for the enabled ones. */
static void raise_int(struct rbnn_dev *d, uint32_t bits)
{
	uint32_t en;

	bits &= INT_MASK_ALL;
	d->int_status |= bits;
	en = bits & d->int_mask;
	if (en & RBNN_INT_CQ)
		send_msg(d, RBNN_MSIX_VEC_CQ);
	if (en & (RBNN_INT_ERROR | RBNN_INT_TEST))
		send_msg(d, RBNN_MSIX_VEC_EVENT);
}

void rbnn_dev_int_replay(struct rbnn_dev *d)
{
	uint32_t en = d->int_status & d->int_mask;

	if (en & RBNN_INT_CQ)
		send_msg(d, RBNN_MSIX_VEC_CQ);
	if (en & (RBNN_INT_ERROR | RBNN_INT_TEST))
		send_msg(d, RBNN_MSIX_VEC_EVENT);
}

/* ---------------------------------------------------------------------- */
/* Timer and moderation                                                   */

static void rearm(struct rbnn_dev *d)
{
	uint64_t next = NO_DEADLINE;

	if (d->inflight && !d->hung)
		next = d->end_ns;
	if (d->coal_deadline < next)
		next = d->coal_deadline;
	if (next != d->timer_req) {
		d->timer_req = next;
		if (d->host.timer_mod)
			d->host.timer_mod(d->host.opaque, next);
	}
}

static void coal_fire(struct rbnn_dev *d)
{
	d->coal_pending = 0;
	d->coal_deadline = NO_DEADLINE;
	raise_int(d, RBNN_INT_CQ);
}

/* Signal completions that were held back (the card goes idle). */
static void coal_flush(struct rbnn_dev *d)
{
	if (d->coal_pending)
		coal_fire(d);
}

static bool cq_full(const struct rbnn_dev *d)
{
	return ((d->cq_tail + 1) & (d->cq_size - 1)) == d->cq_head;
}

static bool can_fetch(const struct rbnn_dev *d)
{
	return (d->status & RBNN_STS_ENABLED) && !(d->status & RBNN_STS_HALTED) &&
	       !d->inflight && d->sq_head != d->sq_tail && !cq_full(d);
}

static void fatal(struct rbnn_dev *d, uint32_t err, const char *what)
{
	gerr(d, "rbnn: fatal error: %s; card halted until reset", what);
	d->error |= err;
	d->status |= RBNN_STS_HALTED;
	coal_flush(d);
	raise_int(d, RBNN_INT_ERROR);
}

/* ---------------------------------------------------------------------- */
/* Command context and DMA buffers                                        */

static void cmd_fail(struct cmdctx *c, uint16_t status, uint32_t detail)
{
	if (c->failed)
		return;
	c->failed = true;
	c->status = status;
	c->detail = detail;
}

/* One data DMA transfer (buffers, SG lists, programs). */
static int data_dma(struct cmdctx *c, uint64_t addr, void *p, size_t n,
		    bool write)
{
	struct rbnn_dev *d = c->d;
	int r;

	if (!c->dma_started) {
		c->dma_started = true;
		d->dma_cmds++;
		if (d->fault & RBNN_FAULT_DMA) {
			d->fault &= ~RBNN_FAULT_DMA;
			c->dma_fail = true;
		}
		if (d->p.fault_dma_every &&
		    d->dma_cmds % d->p.fault_dma_every == 0)
			c->dma_fail = true;
	}
	if (c->dma_fail)
		return -1;
	c->dma_bytes += n;
	if (write)
		r = d->host.dma_write(d->host.opaque, addr, p, n);
	else
		r = d->host.dma_read(d->host.opaque, addr, p, n);
	return r ? -1 : 0;
}

static bool buf_is_zero(const struct rbnn_hw_buf *b)
{
	return !b->addr && !b->nents && !b->len;
}

static void buf_close(struct dbuf *b)
{
	free(b->segs);
	b->segs = NULL;
}

/*
 * Validate a buffer descriptor; for SG buffers fetch and check the list.
 * On failure the command status is DMA (detail: descriptor offset).
 */
static int buf_open(struct cmdctx *c, const struct rbnn_hw_buf *hb,
		    uint32_t desc_off, struct dbuf *b)
{
	struct rbnn_dev *d = c->d;
	struct rbnn_hw_sge chunk[SG_CHUNK];
	uint64_t total = 0;
	uint32_t i;

	memset(b, 0, sizeof(*b));
	b->addr = le64toh(hb->addr);
	b->nents = le32toh(hb->nents);
	b->len = le32toh(hb->len);
	b->desc_off = desc_off;

	if (!b->nents) {
		if (b->len && b->addr > UINT64_MAX - (b->len - 1)) {
			gerr(d, "rbnn: buffer at SQE+%u wraps the address space",
			     desc_off);
			goto bad;
		}
		return 0;
	}
	if (b->nents > d->p.max_sgl) {
		gerr(d, "rbnn: SG list at SQE+%u has %u entries (max %u)",
		     desc_off, b->nents, d->p.max_sgl);
		goto bad;
	}
	if (b->addr > UINT64_MAX - ((uint64_t)b->nents * 16 - 1)) {
		gerr(d, "rbnn: SG list at SQE+%u wraps the address space",
		     desc_off);
		goto bad;
	}
	b->segs = calloc(b->nents, sizeof(*b->segs));
	if (!b->segs) {
		gerr(d, "rbnn: no memory for an SG list of %u entries",
		     b->nents);
		goto bad;
	}
	for (i = 0; i < b->nents; i += SG_CHUNK) {
		uint32_t n = b->nents - i < SG_CHUNK ? b->nents - i : SG_CHUNK;
		uint32_t k;

		if (data_dma(c, b->addr + (uint64_t)i * 16, chunk,
			     (size_t)n * 16, false)) {
			gerr(d, "rbnn: SG list read failed (SQE+%u)",
			     desc_off);
			goto bad;
		}
		for (k = 0; k < n; k++) {
			uint64_t a = le64toh(chunk[k].addr);
			uint32_t l = le32toh(chunk[k].len);

			if (!l || chunk[k].rsvd ||
			    a > UINT64_MAX - (l - 1)) {
				gerr(d, "rbnn: SG entry %u of SQE+%u invalid "
				     "(len %u rsvd %u)", i + k, desc_off, l,
				     le32toh(chunk[k].rsvd));
				goto bad;
			}
			b->segs[i + k].addr = a;
			b->segs[i + k].len = l;
			total += l;
		}
	}
	if (total < b->len) {
		gerr(d, "rbnn: SG list of SQE+%u covers %llu bytes < len %u",
		     desc_off, (unsigned long long)total, b->len);
		goto bad;
	}
	return 0;
bad:
	buf_close(b);
	cmd_fail(c, RBNN_STATUS_DMA, desc_off);
	return -1;
}

/* Access [off, off + n) of a buffer; -1 (status DMA) if out of bounds. */
static int buf_io(struct cmdctx *c, struct dbuf *b, uint64_t off, void *p,
		  size_t n, bool write)
{
	uint8_t *q = p;
	uint32_t i;
	uint64_t start;

	if (c->failed)
		return -1;
	if (!n)
		return 0;
	if (off > b->len || n > b->len - off) {
		gerr(c->d, "rbnn: access [%llu, +%zu) beyond buffer SQE+%u "
		     "of %u bytes", (unsigned long long)off, n, b->desc_off,
		     b->len);
		goto bad;
	}
	if (!b->nents) {
		if (data_dma(c, b->addr + off, p, n, write))
			goto dmafail;
		return 0;
	}
	/* Find the segment holding @off, from the cursor when possible. */
	if (off >= b->cur_start && b->cur < b->nents) {
		i = b->cur;
		start = b->cur_start;
	} else {
		i = 0;
		start = 0;
	}
	while (i < b->nents && off >= start + b->segs[i].len) {
		start += b->segs[i].len;
		i++;
	}
	while (n) {
		uint64_t within, chunk;

		if (i >= b->nents)
			goto bad; /* cannot happen: total >= len */
		within = off - start;
		chunk = b->segs[i].len - within;
		if (chunk > n)
			chunk = n;
		if (data_dma(c, b->segs[i].addr + within, q, chunk, write))
			goto dmafail;
		q += chunk;
		off += chunk;
		n -= chunk;
		b->cur = i;
		b->cur_start = start;
		if (off >= start + b->segs[i].len) {
			start += b->segs[i].len;
			i++;
		}
	}
	return 0;
dmafail:
	gerr(c->d, "rbnn: DMA %s failed (buffer SQE+%u)",
	     write ? "write" : "read", b->desc_off);
bad:
	cmd_fail(c, RBNN_STATUS_DMA, b->desc_off);
	return -1;
}

/* ---------------------------------------------------------------------- */
/* Commands                                                               */

#define OFF(f) ((uint32_t)offsetof(struct rbnn_hw_cmd, f))

static void bad_param(struct cmdctx *c, uint32_t off, const char *what)
{
	gerr(c->d, "rbnn: bad command parameter at SQE+%u: %s", off, what);
	cmd_fail(c, RBNN_STATUS_BAD_PARAM, off);
}

/* Bytes [from, 64) of the SQE must be zero; returns false (BAD_PARAM). */
static bool zero_from(struct cmdctx *c, const struct rbnn_hw_cmd *cmd,
		      uint32_t from, const char *what)
{
	const uint8_t *raw = (const uint8_t *)cmd;
	uint32_t i;

	for (i = from; i < SQE_SIZE; i++) {
		if (raw[i]) {
			bad_param(c, i, what);
			return false;
		}
	}
	return true;
}

struct rows_args {
	uint32_t tile, row, nrows, current_na, pulse_ns, verify_max;
};

enum rows_need {
	NEED_RANGE = 1 << 0,	/* row/nrows checked against the tile */
	NEED_PROG = 1 << 1,	/* current/pulse/verify allowed (ranges) */
	NEED_BUF = 1 << 2,	/* buffer used */
};

static bool rows_decode(struct cmdctx *c, const struct rbnn_hw_cmd *cmd,
			unsigned int need, struct rows_args *a)
{
	const struct rbnn_hw_rows *r = &cmd->rows;
	const struct rbnn_params *p = &c->d->p;

	a->tile = le32toh(r->tile);
	a->row = le32toh(r->row);
	a->nrows = le32toh(r->nrows);
	a->current_na = le32toh(r->current_na);
	a->pulse_ns = le32toh(r->pulse_ns);
	a->verify_max = le16toh(r->verify_max);

	if (r->rsvd) {
		bad_param(c, OFF(rows.rsvd), "rsvd");
		return false;
	}
	if (!zero_from(c, cmd, (uint32_t)(OFF(rows.buf) +
					   sizeof(struct rbnn_hw_buf)),
		       "unused operand bytes"))
		return false;
	if (a->tile >= p->tiles) {
		bad_param(c, OFF(rows.tile), "tile out of range");
		return false;
	}
	if (need & NEED_RANGE) {
		if (a->row >= p->rows) {
			bad_param(c, OFF(rows.row), "row out of range");
			return false;
		}
		if (!a->nrows || a->nrows > p->rows - a->row) {
			bad_param(c, OFF(rows.nrows), "nrows out of range");
			return false;
		}
	} else {
		if (a->row) {
			bad_param(c, OFF(rows.row), "row must be 0");
			return false;
		}
		if (a->nrows) {
			bad_param(c, OFF(rows.nrows), "nrows must be 0");
			return false;
		}
	}
	if (need & NEED_PROG) {
		if (a->current_na &&
		    (a->current_na < 1000 || a->current_na > 1000000)) {
			bad_param(c, OFF(rows.current_na), "current_na");
			return false;
		}
		if (a->pulse_ns && (a->pulse_ns < 10 || a->pulse_ns > 10000)) {
			bad_param(c, OFF(rows.pulse_ns), "pulse_ns");
			return false;
		}
		if (a->verify_max > 64) {
			bad_param(c, OFF(rows.verify_max), "verify_max");
			return false;
		}
	} else {
		if (a->current_na) {
			bad_param(c, OFF(rows.current_na), "current_na must be 0");
			return false;
		}
		if (a->pulse_ns) {
			bad_param(c, OFF(rows.pulse_ns), "pulse_ns must be 0");
			return false;
		}
		if (a->verify_max) {
			bad_param(c, OFF(rows.verify_max), "verify_max must be 0");
			return false;
		}
	}
	if (!(need & NEED_BUF) && !buf_is_zero(&r->buf)) {
		bad_param(c, OFF(rows.buf), "unused buffer must be zero");
		return false;
	}
	return true;
}

static void finish_prog(struct cmdctx *c, const struct rbnn_prog_result *res)
{
	if (res->unverified) {
		c->status = RBNN_STATUS_VERIFY;
		c->detail = res->unverified;
	} else {
		c->status = RBNN_STATUS_OK;
		c->detail = sat32(res->pulses);
	}
}

/* Free what the command being computed holds; no command then. */
static void job_end(struct rbnn_dev *d)
{
	struct cmd_job *j = &d->job;

	if (j->bi_open)
		buf_close(&j->bi);
	if (j->bo_open)
		buf_close(&j->bo);
	if (j->b_open)
		buf_close(&j->b);
	free(j->bits);
	rbnn_prog_free(j->prog);
	free(j->in);
	free(j->out);
	memset(j, 0, sizeof(*j));
}

/*
 * PROGRAM_ROWS, READ_ROWS, REFRESH and ERASE_TILE run row by row in work
 * slices like an EXEC: rows_begin() checks the command and does its DMA
 * reads (all of PROGRAM_ROWS' data, so a failed read programs nothing),
 * rows_step() does the rows in order, exactly as the array functions do
 * them for a whole range (same draws, same costs), rows_finish() sets the
 * status. job_end() frees what they hold.
 */
static bool rows_begin(struct cmdctx *c, const struct rbnn_hw_cmd *cmd)
{
	struct rbnn_dev *d = c->d;
	struct cmd_job *j = &d->job;
	struct rows_args a;
	unsigned int words = rbnn_array_row_words(d->arr);
	unsigned int need = NEED_RANGE | NEED_PROG | NEED_BUF;
	size_t nwords, k;

	memset(j, 0, sizeof(*j));
	if (cmd->opcode == RBNN_OP_REFRESH)
		need = NEED_RANGE;
	else if (cmd->opcode == RBNN_OP_ERASE_TILE)
		need = 0;
	if (!rows_decode(c, cmd, need, &a))
		return false;
	j->op = cmd->opcode;
	j->tile = a.tile;
	j->row = a.row;
	j->nrows = cmd->opcode == RBNN_OP_ERASE_TILE ? d->p.rows : a.nrows;
	if (cmd->opcode == RBNN_OP_ERASE_TILE)
		j->row = 0;
	nwords = cmd->opcode == RBNN_OP_PROGRAM_ROWS ?
		 (size_t)a.nrows * words : words;
	j->bits = calloc(nwords + 1, 8);
	if (!j->bits) {
		gerr(d, "rbnn: no memory for %u rows", a.nrows);
		cmd_fail(c, RBNN_STATUS_DMA, OFF(rows.buf));
		goto fail;
	}
	switch (cmd->opcode) {
	case RBNN_OP_PROGRAM_ROWS:
		if (buf_open(c, &cmd->rows.buf, OFF(rows.buf), &j->b))
			goto fail;
		j->b_open = true;
		if (buf_io(c, &j->b, 0, j->bits, nwords * 8, false))
			goto fail;
		for (k = 0; k < nwords; k++)
			j->bits[k] = le64toh(j->bits[k]);
		j->opts.current_ua = a.current_na / 1000.0;
		j->opts.pulse_ns = a.pulse_ns;
		j->opts.verify_max = a.verify_max;
		j->opts.verify = cmd->flags & RBNN_CMD_F_VERIFY;
		break;
	case RBNN_OP_READ_ROWS:
		if (buf_open(c, &cmd->rows.buf, OFF(rows.buf), &j->b))
			goto fail;
		j->b_open = true;
		/* Bounds first: nothing is written if the buffer is too short. */
		if ((uint64_t)a.nrows * words * 8 > j->b.len) {
			gerr(d, "rbnn: READ_ROWS buffer of %u bytes < %llu",
			     j->b.len, (unsigned long long)a.nrows * words * 8);
			cmd_fail(c, RBNN_STATUS_DMA, OFF(rows.buf));
			goto fail;
		}
		break;
	default:
		break;
	}
	j->on = true;
	return true;
fail:
	job_end(d);
	return false;
}

/* One row of the row command in flight; false if the command failed. */
static bool rows_one(struct rbnn_dev *d)
{
	struct cmd_job *j = &d->job;
	struct cmdctx *c = &j->c;
	unsigned int words = rbnn_array_row_words(d->arr), k;
	uint32_t row = j->row + j->r;
	struct rbnn_prog_result res;

	memset(&res, 0, sizeof(res));
	switch (j->op) {
	case RBNN_OP_PROGRAM_ROWS:
		rbnn_array_program(d->arr, j->tile, row, 1,
				   j->bits + (size_t)j->r * words, &j->opts,
				   &res, &c->cost);
		break;
	case RBNN_OP_READ_ROWS:
		rbnn_array_read(d->arr, j->tile, row, j->bits, &c->cost);
		for (k = 0; k < words; k++)
			j->bits[k] = htole64(j->bits[k]);
		if (buf_io(c, &j->b, (uint64_t)j->r * words * 8, j->bits,
			   (size_t)words * 8, true))
			return false;
		break;
	case RBNN_OP_REFRESH:
		rbnn_array_refresh(d->arr, j->tile, row, 1, &res, &c->cost);
		break;
	case RBNN_OP_ERASE_TILE:
		/* rbnn_array_erase() row by row: zeros at the defaults. */
		rbnn_array_program(d->arr, j->tile, row, 1, j->bits, NULL,
				   &res, &c->cost);
		rbnn_array_set_threshold(d->arr, j->tile, row, 0);
		break;
	}
	j->res.pulses += res.pulses;
	j->res.unverified += res.unverified;
	j->res.weak = j->res.weak + res.weak < j->res.weak ? UINT32_MAX :
		      j->res.weak + res.weak;
	return true;
}

/* Rows for about *@budget units; true when done (or failed). */
static bool rows_step(struct rbnn_dev *d, uint64_t *budget)
{
	struct cmd_job *j = &d->job;
	struct cmdctx *c = &j->c;

	while (*budget) {
		uint64_t before = c->cost.cell_reads + c->cost.pulses;

		if (j->r == j->nrows)
			break;
		if (!rows_one(d))
			return true;
		j->r++;
		spend(budget, 1 + c->cost.cell_reads + c->cost.pulses - before);
	}
	if (j->r < j->nrows)
		return false;
	switch (j->op) {
	case RBNN_OP_PROGRAM_ROWS:
		finish_prog(c, &j->res);
		break;
	case RBNN_OP_REFRESH:
		finish_prog(c, &j->res);
		c->aux = j->res.weak;
		c->weak = j->res.weak;
		c->tile = j->tile;
		break;
	default:
		break;
	}
	return true;
}

static void cmd_load_thresh(struct cmdctx *c, const struct rbnn_hw_cmd *cmd)
{
	struct rbnn_dev *d = c->d;
	struct rows_args a;
	struct dbuf b;
	uint32_t *thr, r;

	if (!rows_decode(c, cmd, NEED_RANGE | NEED_PROG | NEED_BUF, &a))
		return;
	thr = malloc((size_t)a.nrows * 4);
	if (!thr) {
		cmd_fail(c, RBNN_STATUS_DMA, OFF(rows.buf));
		return;
	}
	if (buf_open(c, &cmd->rows.buf, OFF(rows.buf), &b))
		goto out;
	if (!buf_io(c, &b, 0, thr, (size_t)a.nrows * 4, false)) {
		for (r = 0; r < a.nrows; r++)
			rbnn_array_set_threshold(d->arr, a.tile, a.row + r,
						 (int32_t)le32toh(thr[r]));
	}
	buf_close(&b);
out:
	free(thr);
}

static void cmd_read_wear(struct cmdctx *c, const struct rbnn_hw_cmd *cmd)
{
	struct rbnn_dev *d = c->d;
	struct rows_args a;
	struct dbuf b;
	struct rbnn_hw_wear *w;
	uint32_t r;

	if (!rows_decode(c, cmd, NEED_BUF, &a))
		return;
	w = calloc(d->p.rows, sizeof(*w));
	if (!w) {
		cmd_fail(c, RBNN_STATUS_DMA, OFF(rows.buf));
		return;
	}
	for (r = 0; r < d->p.rows; r++) {
		uint32_t cyc = 0, st = 0;

		rbnn_array_row_wear(d->arr, a.tile, r, &cyc, &st);
		w[r].cycles = htole32(cyc);
		w[r].stuck = htole32(st);
	}
	if (!buf_open(c, &cmd->rows.buf, OFF(rows.buf), &b)) {
		buf_io(c, &b, 0, w, (size_t)d->p.rows * sizeof(*w), true);
		buf_close(&b);
	}
	free(w);
}

/* Built-in vectors through the popcount/threshold periphery. */
static void cmd_self_test(struct cmdctx *c)
{
	static const struct {
		uint64_t a, b;
		uint32_t pop;	/* XNOR popcount over 64 bits */
	} vec[] = {
		{ 0, 0, 64 },
		{ 0, ~0ull, 0 },
		{ 0x5555555555555555ull, 0x5555555555555555ull, 64 },
		{ 0x5555555555555555ull, 0xaaaaaaaaaaaaaaaaull, 0 },
		{ 0x00000000ffffffffull, 0x0000ffff0000ffffull, 32 },
		{ 0x8000000000000001ull, 0x0000000000000001ull, 63 },
	};
	uint32_t i;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		uint32_t pop = (uint32_t)__builtin_popcountll(~(vec[i].a ^ vec[i].b));
		int32_t sum = 2 * (int32_t)pop - 64;
		int32_t want = 2 * (int32_t)vec[i].pop - 64;

		/* popcount, then the threshold compare at and above the sum */
		if (pop != vec[i].pop || !(sum >= want) || sum >= want + 1) {
			c->status = RBNN_STATUS_SELF_TEST;
			c->detail = i + 1;
			return;
		}
		/* one popcount, at the array's supply (vdd-v scales it) */
		rbnn_array_planes_cost(c->d->arr, 1, 1, 0, &c->cost);
	}
}

/*
 * EXEC runs in steps (rbnn_dev_work_slice()): exec_begin() checks the
 * command, reads and parses the program and opens the buffers; each
 * exec_step() continues the batch item by item, each item in bounded
 * rbnn_prog_step()s; job_end() frees what the command holds.
 */

/* Returns true when the command goes on in exec_step(). */
static bool exec_begin(struct cmdctx *c, const struct rbnn_hw_cmd *cmd)
{
	struct rbnn_dev *d = c->d;
	struct cmd_job *j = &d->job;
	const struct rbnn_hw_exec *e = &cmd->exec;
	struct dbuf bp;
	uint32_t batch = le32toh(e->batch);
	uint32_t plen = le32toh(e->prog.len);
	void *img = NULL;
	char err[160];
	uint32_t err_off = 0;

	memset(j, 0, sizeof(*j));
	j->op = RBNN_OP_EXEC;
	if (e->rsvd) {
		bad_param(c, OFF(exec.rsvd), "rsvd");
		return false;
	}
	if (!batch || batch > d->p.max_batch) {
		bad_param(c, OFF(exec.batch), "batch out of range");
		return false;
	}
	if (plen > PROG_MAX_BYTES) {
		gerr(d, "rbnn: program of %u bytes > 1 MiB", plen);
		cmd_fail(c, RBNN_STATUS_BAD_PROGRAM, PROG_MAX_BYTES);
		return false;
	}
	/* The image is read into an 8-byte aligned buffer. */
	img = calloc(1, (size_t)plen + 8);
	if (!img) {
		cmd_fail(c, RBNN_STATUS_DMA, OFF(exec.prog));
		return false;
	}
	if (buf_open(c, &e->prog, OFF(exec.prog), &bp))
		goto fail;
	if (buf_io(c, &bp, 0, img, plen, false)) {
		buf_close(&bp);
		goto fail;
	}
	buf_close(&bp);
	err[0] = 0;
	j->prog = rbnn_prog_parse(d->arr, img, plen, err, sizeof(err),
				  &err_off);
	free(img);
	img = NULL;
	if (!j->prog) {
		gerr(d, "rbnn: program rejected at byte %u: %s", err_off, err);
		cmd_fail(c, RBNN_STATUS_BAD_PROGRAM, err_off);
		goto fail;
	}
	j->in_bytes = rbnn_prog_in_bytes(j->prog);
	j->out_bytes = rbnn_prog_out_bytes(j->prog);
	if (j->in_bytes * batch > le32toh(e->in.len) ||
	    j->in_bytes > UINT32_MAX) {
		gerr(d, "rbnn: input buffer %u bytes < %u x %llu",
		     le32toh(e->in.len), batch,
		     (unsigned long long)j->in_bytes);
		cmd_fail(c, RBNN_STATUS_DMA, OFF(exec.in));
		goto fail;
	}
	if (j->out_bytes * batch > le32toh(e->out.len) ||
	    j->out_bytes > UINT32_MAX) {
		gerr(d, "rbnn: output buffer %u bytes < %u x %llu",
		     le32toh(e->out.len), batch,
		     (unsigned long long)j->out_bytes);
		cmd_fail(c, RBNN_STATUS_DMA, OFF(exec.out));
		goto fail;
	}
	j->in = calloc(1, (size_t)j->in_bytes + 8);
	j->out = calloc(1, (size_t)j->out_bytes + 8);
	if (!j->in || !j->out) {
		cmd_fail(c, RBNN_STATUS_DMA, OFF(exec.in));
		goto fail;
	}
	if (buf_open(c, &e->in, OFF(exec.in), &j->bi))
		goto fail;
	j->bi_open = true;
	if (buf_open(c, &e->out, OFF(exec.out), &j->bo))
		goto fail;
	j->bo_open = true;
	j->batch = batch;
	j->on = true;
	return true;
fail:
	free(img);
	job_end(d);
	return false;
}

/*
 * Continue the EXEC in flight for about *@budget units; true when every
 * item is done or the command failed (then job_end() is due).
 */
static bool exec_step(struct rbnn_dev *d, uint64_t *budget)
{
	struct cmd_job *j = &d->job;
	struct cmdctx *c = &j->c;

	while (*budget) {
		if (!j->item_on) {
			if (j->item == j->batch)
				return true;
			if (buf_io(c, &j->bi, j->item * j->in_bytes, j->in,
				   (size_t)j->in_bytes, false))
				return true;
			rbnn_prog_begin(j->prog, j->in, j->out);
			j->item_on = true;
			spend(budget, 1 + j->in_bytes);
			continue;
		}
		if (!rbnn_prog_step(d->arr, j->prog, &c->cost, budget))
			return false;
		if (buf_io(c, &j->bo, j->item * j->out_bytes, j->out,
			   (size_t)j->out_bytes, true))
			return true;
		spend(budget, 1 + j->out_bytes);
		j->item_on = false;
		j->item++;
	}
	return false;
}

/* Checks in the documented order: opcode, then fields, then buffers. */
static void execute(struct cmdctx *c, const struct rbnn_hw_cmd *cmd)
{
	uint32_t flags = cmd->flags;

	if (cmd->opcode > RBNN_OP_SELF_TEST) {
		gerr(c->d, "rbnn: bad opcode 0x%02x", cmd->opcode);
		cmd_fail(c, RBNN_STATUS_BAD_OPCODE, 0);
		return;
	}
	if (flags & ~CMD_FLAGS_ALL) {
		bad_param(c, OFF(flags), "unknown flags");
		return;
	}
	if (cmd->rsvd0) {
		bad_param(c, OFF(rsvd0), "rsvd0");
		return;
	}
	switch (cmd->opcode) {
	case RBNN_OP_NOP:
	case RBNN_OP_FENCE:
		zero_from(c, cmd, OFF(raw), "operands must be zero");
		break;
	case RBNN_OP_SELF_TEST:
		if (zero_from(c, cmd, OFF(raw), "operands must be zero"))
			cmd_self_test(c);
		break;
	case RBNN_OP_PROGRAM_ROWS:
	case RBNN_OP_READ_ROWS:
	case RBNN_OP_REFRESH:
	case RBNN_OP_ERASE_TILE:
		c->started = rows_begin(c, cmd);
		break;
	case RBNN_OP_LOAD_THRESH:
		cmd_load_thresh(c, cmd);
		break;
	case RBNN_OP_EXEC:
		c->started = exec_begin(c, cmd);
		break;
	case RBNN_OP_READ_WEAR:
		cmd_read_wear(c, cmd);
		break;
	}
}

/* ---------------------------------------------------------------------- */
/* Rings                                                                  */

static void post(struct rbnn_dev *d, bool irq_now)
{
	struct rbnn_hw_cqe w;
	uint64_t addr = d->cq_base + (uint64_t)d->cq_tail * CQE_SIZE;

	w.tag = htole32(d->cqe.tag);
	w.status = htole16(d->cqe.status);
	w.flags = htole16(d->phase ? RBNN_CQE_F_PHASE : 0);
	w.detail = htole32(d->cqe.detail);
	w.aux = htole32(d->cqe.aux);
	w.time_ns = htole64(d->cqe.time_ns);
	w.energy_pj = htole64(d->cqe.energy_pj);
	if (d->host.dma_write(d->host.opaque, addr, &w, sizeof(w))) {
		fatal(d, RBNN_ERR_CQ_DMA, "completion write failed");
		return;
	}
	d->cq_tail = (d->cq_tail + 1) & (d->cq_size - 1);
	if (!d->cq_tail)
		d->phase ^= 1;
	if (d->host.cmd_posted)
		d->host.cmd_posted(d->host.opaque, d->cqe.tag, d->cqe.status,
				   d->cqe.time_ns);

	d->energy_pj += d->cqe.energy_pj;
	d->busy_ns += d->cqe.time_ns;
	d->cmds_done++;
	d->prog_pulses += d->inflight_pulses;
	d->cell_reads += d->inflight_reads;
	d->progress += d->inflight_units;
	if (d->inflight_weak) {
		d->scrub_weak += d->inflight_weak;
		d->tile_scrub_weak[d->inflight_tile] += d->inflight_weak;
	}

	/* Moderation. */
	d->coal_pending++;
	{
		uint32_t count = d->irq_coal & RBNN_COAL_COUNT_MASK;
		uint32_t usec = d->irq_coal >> RBNN_COAL_USEC_SHIFT;

		if (irq_now || d->coal_pending >= (count ? count : 1) ||
		    !can_fetch(d)) {
			coal_fire(d);
		} else if (usec && d->coal_deadline == NO_DEADLINE) {
			d->coal_deadline = now_ns(d) + (uint64_t)usec * 1000;
		}
	}
}

/* The in-flight command's modeled time has passed: post it. */
static void complete_inflight(struct rbnn_dev *d)
{
	d->inflight = false;
	d->inflight_floor = 0;
	post(d, d->inflight_irq_now);
}

/*
 * The command's effects are computed: its completion is posted now, or
 * with timing=modeled time_ns after its fetch at @start (the completion is due
 * at once if computing it took longer than that).
 */
static void finish_cmd(struct rbnn_dev *d, const struct cmdctx *cc,
		       const struct rbnn_hw_cmd *cmd, uint64_t start)
{
	struct cmdctx c = *cc;
	double e_fj, t_ns;

	c.dma_bytes += SQE_SIZE + CQE_SIZE;
	e_fj = c.cost.energy_fj + d->p.e_cmd_fj + (double)c.dma_bytes * d->p.e_dma_fj;
	t_ns = c.cost.time_ns + d->p.t_cmd_ns +
	       (double)c.dma_bytes * d->p.t_dma_ns_per_byte;

	memset(&d->cqe, 0, sizeof(d->cqe));
	d->cqe.tag = le32toh(cmd->tag);
	d->cqe.status = c.status;
	d->cqe.detail = c.detail;
	d->cqe.aux = c.aux;
	d->cqe.time_ns = round_u64(t_ns);
	d->cqe.energy_pj = round_u64(e_fj / 1000.0);
	d->inflight_units = c.cost.progress + 1;
	d->inflight_pulses = c.cost.pulses;
	d->inflight_reads = c.cost.cell_reads;
	d->inflight_weak = c.weak;
	d->inflight_tile = c.tile;
	d->inflight_irq_now = (cmd->flags & RBNN_CMD_F_IRQ_NOW) ||
			      cmd->opcode == RBNN_OP_FENCE;

	if (d->p.timing == 1 && d->cqe.time_ns) {
		d->inflight = true;
		d->hung = false;
		d->start_ns = start;
		d->end_ns = start + d->cqe.time_ns < start ? NO_DEADLINE - 1 :
			    start + d->cqe.time_ns;
		return;
	}
	d->inflight = false;
	d->inflight_floor = 0;
	post(d, d->inflight_irq_now);
}

/* Continue the command being computed; false if the budget ran out first. */
static bool continue_job(struct rbnn_dev *d, uint64_t *budget)
{
	struct cmd_job *j = &d->job;
	struct cmdctx c;
	struct rbnn_hw_cmd cmd;
	uint64_t start = d->start_ns;

	j->seen = j->c.cost.progress;
	if (!(j->op == RBNN_OP_EXEC ? exec_step(d, budget) :
					rows_step(d, budget)))
		return false;
	c = j->c;
	cmd = j->cmd;
	d->inflight_floor = j->seen;
	job_end(d);
	finish_cmd(d, &c, &cmd, start);
	return true;
}

static void fetch_one(struct rbnn_dev *d, uint64_t *budget)
{
	struct rbnn_hw_cmd cmd;
	struct cmdctx c;
	uint64_t addr = d->sq_base + (uint64_t)d->sq_head * SQE_SIZE;
	bool hang = false;

	if (d->host.dma_read(d->host.opaque, addr, &cmd, sizeof(cmd))) {
		fatal(d, RBNN_ERR_SQ_DMA, "descriptor fetch failed");
		return;
	}
	d->sq_head = (d->sq_head + 1) & (d->sq_size - 1);
	d->cmds_fetched++;
	d->inflight_floor = 0;
	if (d->host.cmd_fetched)
		d->host.cmd_fetched(d->host.opaque, le32toh(cmd.tag),
				    cmd.opcode);

	if (d->fault & RBNN_FAULT_HANG) {
		d->fault &= ~RBNN_FAULT_HANG;
		hang = true;
	}
	if (d->p.fault_hang_cmd && d->cmds_fetched == d->p.fault_hang_cmd)
		hang = true;
	if (hang) {
		d->inflight = true;
		d->hung = true;
		memset(&d->cqe, 0, sizeof(d->cqe));
		d->cqe.tag = le32toh(cmd.tag);
		d->start_ns = d->end_ns = now_ns(d);
		d->inflight_units = d->inflight_pulses = d->inflight_reads = 0;
		d->inflight_weak = 0;
		d->inflight_tile = 0;
		return;
	}

	memset(&c, 0, sizeof(c));
	c.d = d;
	c.status = RBNN_STATUS_OK;
	execute(&c, &cmd);
	spend(budget, 1 + c.cost.cell_reads + c.cost.pulses);
	if (c.started) {
		/* Busy from now on; the completion once computed. */
		d->job.c = c;
		d->job.cmd = cmd;
		d->inflight = true;
		d->hung = false;
		memset(&d->cqe, 0, sizeof(d->cqe));
		d->cqe.tag = le32toh(cmd.tag);
		d->start_ns = now_ns(d);
		d->end_ns = NO_DEADLINE;
		d->inflight_units = d->inflight_pulses = d->inflight_reads = 0;
		d->inflight_weak = 0;
		d->inflight_tile = 0;
		continue_job(d, budget);
		return;
	}
	finish_cmd(d, &c, &cmd, now_ns(d));
}

/*
 * Complete due work, fire due timers, compute and fetch for about
 * @budget units (and at most WORK_BATCH commands). Returns true if work
 * is left that the budget did not cover.
 */
static bool service(struct rbnn_dev *d, uint64_t budget)
{
	uint64_t now = now_ns(d);
	unsigned int n = 0;
	bool more = false;

	if (d->job.on && !continue_job(d, &budget)) {
		more = true;
		goto out;
	}
	if (d->inflight && !d->hung && now >= d->end_ns)
		complete_inflight(d);
	if (d->coal_deadline != NO_DEADLINE && now >= d->coal_deadline) {
		d->coal_deadline = NO_DEADLINE;
		coal_flush(d);
	}

	while (can_fetch(d)) {
		if (n++ >= WORK_BATCH || !budget) {
			more = true;
			break;
		}
		fetch_one(d, &budget);
		if (d->job.on) {
			more = true;
			break;
		}
		/* Modeled timing: a fetched command may already be due. */
		if (d->inflight && !d->hung && now_ns(d) >= d->end_ns)
			complete_inflight(d);
	}
out:
	rearm(d);
	return more;
}

void rbnn_dev_work(struct rbnn_dev *d)
{
	if (service(d, UNBOUNDED) && d->host.kick)
		d->host.kick(d->host.opaque);
}

bool rbnn_dev_work_slice(struct rbnn_dev *d, uint64_t budget)
{
	return service(d, budget ? budget : 1);
}

bool rbnn_dev_computing(const struct rbnn_dev *d)
{
	return d->job.on;
}

void rbnn_dev_timer(struct rbnn_dev *d)
{
	d->timer_req = NO_DEADLINE; /* the requested timer has fired */
	if (service(d, TIMER_BUDGET) && d->host.kick)
		d->host.kick(d->host.opaque);
}

/* ---------------------------------------------------------------------- */
/* Reset                                                                  */

/*
 * While a command is computed in slices: the units done so far. Then,
 * with timing=modeled, interpolated over the modeled duration but never below
 * what was shown while computing.
 */
static uint64_t progress_now(struct rbnn_dev *d)
{
	uint64_t v = d->progress;

	if (d->job.on)
		return v + d->job.c.cost.progress;
	if (d->inflight && !d->hung && d->inflight_units) {
		uint64_t now = now_ns(d);
		uint64_t dur = d->end_ns - d->start_ns;
		uint64_t el = now > d->start_ns ? now - d->start_ns : 0;
		uint64_t u;

		if (el >= dur || !dur)
			u = d->inflight_units;
		else
			u = (uint64_t)((double)d->inflight_units *
				       ((double)el / (double)dur));
		v += u > d->inflight_floor ? u : d->inflight_floor;
	}
	return v;
}

void rbnn_dev_reset(struct rbnn_dev *d, bool power_on)
{
	/* The aborted command keeps the progress it made. */
	d->progress = progress_now(d);
	job_end(d);
	d->inflight_floor = 0;
	d->inflight = false;
	d->hung = false;
	d->inflight_irq_now = false;
	d->inflight_units = d->inflight_pulses = d->inflight_reads = 0;
	d->inflight_weak = 0;
	d->inflight_tile = 0;
	memset(&d->cqe, 0, sizeof(d->cqe));
	d->start_ns = d->end_ns = 0;

	d->scratch = 0;
	d->control = 0;
	d->status = 0;
	d->error = 0;
	d->int_status = 0;
	d->int_mask = 0;
	d->irq_coal = 0;
	d->sq_base = d->cq_base = 0;
	d->sq_size = d->cq_size = 0;
	d->sq_head = d->sq_tail = d->cq_head = d->cq_tail = 0;
	d->phase = 1;
	d->tile_sel = d->param_sel = 0;
	d->fault = 0;
	d->stuck_tile = d->stuck_row = d->stuck_col = 0;
	memset(d->latch, 0, sizeof(d->latch));
	d->coal_pending = 0;
	d->coal_deadline = NO_DEADLINE;

	if (power_on) {
		d->energy_pj = d->busy_ns = d->cmds_done = 0;
		d->prog_pulses = d->cell_reads = d->progress = 0;
		d->resets = 0;
		d->scrub_weak = 0;
		memset(d->tile_scrub_weak, 0,
		       d->p.tiles * sizeof(*d->tile_scrub_weak));
		d->cmds_fetched = d->dma_cmds = d->msgs = 0;
	} else {
		d->resets++;
	}
	/* Cancel timers unconditionally. */
	d->timer_req = NO_DEADLINE;
	if (d->host.timer_mod)
		d->host.timer_mod(d->host.opaque, NO_DEADLINE);
}

/* ---------------------------------------------------------------------- */
/* Registers                                                              */

static uint32_t caps(const struct rbnn_dev *d)
{
	uint32_t c = RBNN_CAP_CELL_2T2R | RBNN_CAP_CELL_1T1R | RBNN_CAP_OP_FC |
		     RBNN_CAP_OP_CONV1D | RBNN_CAP_OP_MAXPOOL1D |
		     RBNN_CAP_BITSERIAL | RBNN_CAP_VERIFY | RBNN_CAP_REFRESH |
		     RBNN_CAP_SCRUB_COUNT;

	if (d->p.timing == 1)
		c |= RBNN_CAP_TIMING_MODELED;
	if (d->p.debug)
		c |= RBNN_CAP_DEBUG;
	if (d->p.error_model)
		c |= RBNN_CAP_ERROR_MODEL;
	return c;
}

static uint64_t param_value(const struct rbnn_dev *d, uint32_t id)
{
	const struct rbnn_params *p = &d->p;

	switch (id) {
	case RBNN_PARAM_ERROR_MODEL:
		return p->error_model ? 1 : 0;
	case RBNN_PARAM_SEED:
		return p->seed;
	case RBNN_PARAM_TIMING:
		return p->timing;
	case RBNN_PARAM_PROG_CURRENT_NA:
		return round_u64(p->prog_current_ua * 1000.0);
	case RBNN_PARAM_PULSE_NS:
		return p->pulse_ns;
	case RBNN_PARAM_VERIFY_MAX:
		return p->verify_max;
	case RBNN_PARAM_READ_BER_PPB:
		return round_u64(p->read_ber * 1e9);
	case RBNN_PARAM_EXPECTED_BER_PPB:
		return round_u64(rbnn_params_expected_ber(p, p->prog_current_ua) *
				 1e9);
	case RBNN_PARAM_ENDURANCE:
		return round_u64(p->endurance);
	case RBNN_PARAM_WEAR_ACCEL:
		return p->wear_accel;
	case RBNN_PARAM_DRIFT_NU_PPM:
		return round_u64(p->drift_nu * 1e6);
	case RBNN_PARAM_E_READ_FJ:
		return round_u64(p->e_read_fj);
	case RBNN_PARAM_E_POPCOUNT_FJ:
		return round_u64(p->e_popcount_fj);
	case RBNN_PARAM_E_DMA_FJ:
		return round_u64(p->e_dma_fj);
	case RBNN_PARAM_T_READ_NS:
		return round_u64(p->t_read_ns);
	default:
		return RBNN_PARAM_INVALID;
	}
}

static uint32_t lo_latch(struct rbnn_dev *d, enum latch l, uint64_t v)
{
	d->latch[l] = (uint32_t)(v >> 32);
	return (uint32_t)v;
}

static bool debug_reg(uint32_t off)
{
	return off >= RBNN_REG_FAULT && off <= RBNN_REG_AGE_ADVANCE_S;
}

uint32_t rbnn_dev_read(struct rbnn_dev *d, uint32_t off)
{
	struct rbnn_tile_wear tw;

	if (off >= RBNN_REGS_SIZE || (off & 3)) {
		gerr(d, "rbnn: read at invalid offset 0x%x", off);
		return 0;
	}
	if (debug_reg(off) && !d->p.debug) {
		gerr(d, "rbnn: read of debug register 0x%x with debug=off", off);
		return 0;
	}
	switch (off) {
	case RBNN_REG_ID:
		return RBNN_ID_VALUE;
	case RBNN_REG_VERSION:
		return RBNN_VERSION_MAJOR << 16 | RBNN_VERSION_MINOR;
	case RBNN_REG_CAPS:
		return caps(d);
	case RBNN_REG_TILES:
		return d->p.tiles;
	case RBNN_REG_TILE_ROWS:
		return d->p.rows;
	case RBNN_REG_TILE_COLS:
		return d->p.cols;
	case RBNN_REG_ACT_BUF_SIZE:
		return d->p.act_buf_size;
	case RBNN_REG_MAX_LAYERS:
		return d->p.max_layers;
	case RBNN_REG_MAX_SGL:
		return d->p.max_sgl;
	case RBNN_REG_MAX_BATCH:
		return d->p.max_batch;
	case RBNN_REG_CELL_MODE:
		return d->p.cell_mode;
	case RBNN_REG_SCRATCH:
		return d->scratch;
	case RBNN_REG_CONTROL:
		return d->control;
	case RBNN_REG_STATUS:
		return d->status | (d->inflight ? RBNN_STS_BUSY : 0);
	case RBNN_REG_ERROR:
		return d->error;
	case RBNN_REG_INT_STATUS:
		return d->int_status;
	case RBNN_REG_INT_MASK:
		return d->int_mask;
	case RBNN_REG_IRQ_COAL:
		return d->irq_coal;
	case RBNN_REG_SQ_BASE_LO:
		return (uint32_t)d->sq_base;
	case RBNN_REG_SQ_BASE_HI:
		return (uint32_t)(d->sq_base >> 32);
	case RBNN_REG_SQ_SIZE:
		return d->sq_size;
	case RBNN_REG_SQ_HEAD:
		return d->sq_head;
	case RBNN_REG_SQ_TAIL:
		return d->sq_tail;
	case RBNN_REG_CQ_BASE_LO:
		return (uint32_t)d->cq_base;
	case RBNN_REG_CQ_BASE_HI:
		return (uint32_t)(d->cq_base >> 32);
	case RBNN_REG_CQ_SIZE:
		return d->cq_size;
	case RBNN_REG_CQ_HEAD:
		return d->cq_head;
	case RBNN_REG_CQ_TAIL:
		return d->cq_tail;
	case RBNN_REG_ENERGY_PJ_LO:
		return lo_latch(d, L_ENERGY, d->energy_pj);
	case RBNN_REG_ENERGY_PJ_HI:
		return d->latch[L_ENERGY];
	case RBNN_REG_BUSY_NS_LO:
		return lo_latch(d, L_BUSY, d->busy_ns);
	case RBNN_REG_BUSY_NS_HI:
		return d->latch[L_BUSY];
	case RBNN_REG_CMDS_DONE_LO:
		return lo_latch(d, L_CMDS, d->cmds_done);
	case RBNN_REG_CMDS_DONE_HI:
		return d->latch[L_CMDS];
	case RBNN_REG_PROG_PULSES_LO:
		return lo_latch(d, L_PULSES, d->prog_pulses);
	case RBNN_REG_PROG_PULSES_HI:
		return d->latch[L_PULSES];
	case RBNN_REG_CELL_READS_LO:
		return lo_latch(d, L_READS, d->cell_reads);
	case RBNN_REG_CELL_READS_HI:
		return d->latch[L_READS];
	case RBNN_REG_PROGRESS:
		return (uint32_t)progress_now(d);
	case RBNN_REG_RESETS:
		return d->resets;
	case RBNN_REG_AGE_S_LO:
		return lo_latch(d, L_AGE, round_u64(floor(rbnn_array_age(d->arr))));
	case RBNN_REG_AGE_S_HI:
		return d->latch[L_AGE];
	case RBNN_REG_SCRUB_WEAK_LO:
		return lo_latch(d, L_SCRUB, d->scrub_weak);
	case RBNN_REG_SCRUB_WEAK_HI:
		return d->latch[L_SCRUB];
	case RBNN_REG_TILE_SEL:
		return d->tile_sel;
	case RBNN_REG_TILE_SCRUB_WEAK:
		return d->tile_sel < d->p.tiles ?
		       sat32(d->tile_scrub_weak[d->tile_sel]) : 0;
	case RBNN_REG_TILE_CYCLES_MAX:
	case RBNN_REG_TILE_CYCLES_LO:
	case RBNN_REG_TILE_CYCLES_HI:
	case RBNN_REG_TILE_STUCK:
	case RBNN_REG_TILE_VERIFY_FAILS:
		if (off == RBNN_REG_TILE_CYCLES_HI)
			return d->latch[L_TILE_CYCLES];
		memset(&tw, 0, sizeof(tw));
		if (d->tile_sel < d->p.tiles)
			rbnn_array_tile_wear(d->arr, d->tile_sel, &tw);
		switch (off) {
		case RBNN_REG_TILE_CYCLES_MAX:
			return tw.cycles_max;
		case RBNN_REG_TILE_CYCLES_LO:
			return lo_latch(d, L_TILE_CYCLES, tw.cycles_sum);
		case RBNN_REG_TILE_STUCK:
			return tw.stuck;
		default:
			return tw.verify_fails;
		}
	case RBNN_REG_PARAM_SEL:
		return d->param_sel;
	case RBNN_REG_PARAM_VAL_LO:
		return lo_latch(d, L_PARAM, param_value(d, d->param_sel));
	case RBNN_REG_PARAM_VAL_HI:
		return d->latch[L_PARAM];
	case RBNN_REG_FAULT:
		return d->fault;
	case RBNN_REG_STUCK_TILE:
		return d->stuck_tile;
	case RBNN_REG_STUCK_ROW:
		return d->stuck_row;
	case RBNN_REG_STUCK_COL:
		return d->stuck_col;
	case RBNN_REG_INT_TRIGGER:
	case RBNN_REG_STUCK_CMD:
	case RBNN_REG_AGE_ADVANCE_S:
		return 0;	/* write-only: reads 0 */
	default:
		gerr(d, "rbnn: read of unassigned register 0x%x", off);
		return 0;
	}
}

static bool ring_ok(uint64_t base, uint32_t size, uint32_t esize)
{
	if (!base || (base & (RBNN_RING_ALIGN - 1)))
		return false;
	if (!is_pow2(size) || size < RBNN_RING_MIN_ENTRIES ||
	    size > RBNN_RING_MAX_ENTRIES)
		return false;
	return base <= UINT64_MAX - (uint64_t)size * esize;
}

static void write_control(struct rbnn_dev *d, uint32_t val)
{
	if (val & ~CTRL_MASK)
		gerr(d, "rbnn: CONTROL: unknown bits 0x%x ignored",
		     val & ~CTRL_MASK);
	if (val & RBNN_CTRL_RESET) {
		rbnn_dev_reset(d, false);
		return;
	}
	if ((val & RBNN_CTRL_ENABLE) && !(d->control & RBNN_CTRL_ENABLE)) {
		if (d->status & RBNN_STS_HALTED) {
			gerr(d, "rbnn: CONTROL.ENABLE while halted ignored");
			return;
		}
		if (!ring_ok(d->sq_base, d->sq_size, SQE_SIZE) ||
		    !ring_ok(d->cq_base, d->cq_size, CQE_SIZE)) {
			fatal(d, RBNN_ERR_RING_CONFIG, "bad ring configuration");
			return;
		}
		d->sq_head = d->sq_tail = d->cq_head = d->cq_tail = 0;
		d->phase = 1;
		d->control |= RBNN_CTRL_ENABLE;
		d->status |= RBNN_STS_ENABLED;
	} else if (!(val & RBNN_CTRL_ENABLE) &&
		   (d->control & RBNN_CTRL_ENABLE)) {
		d->control &= ~RBNN_CTRL_ENABLE;
		d->status &= ~RBNN_STS_ENABLED;
		if (!d->inflight)
			coal_flush(d);
	}
}

static void write_ring_reg(struct rbnn_dev *d, uint32_t off, uint32_t val)
{
	if (d->control & RBNN_CTRL_ENABLE) {
		gerr(d, "rbnn: ring register 0x%x written while enabled", off);
		return;
	}
	switch (off) {
	case RBNN_REG_SQ_BASE_LO:
		d->sq_base = (d->sq_base & ~0xffffffffull) | val;
		break;
	case RBNN_REG_SQ_BASE_HI:
		d->sq_base = (d->sq_base & 0xffffffffull) | (uint64_t)val << 32;
		break;
	case RBNN_REG_SQ_SIZE:
		d->sq_size = val;
		break;
	case RBNN_REG_CQ_BASE_LO:
		d->cq_base = (d->cq_base & ~0xffffffffull) | val;
		break;
	case RBNN_REG_CQ_BASE_HI:
		d->cq_base = (d->cq_base & 0xffffffffull) | (uint64_t)val << 32;
		break;
	case RBNN_REG_CQ_SIZE:
		d->cq_size = val;
		break;
	}
}

static void write_doorbell(struct rbnn_dev *d, uint32_t off, uint32_t val)
{
	bool sq = off == RBNN_REG_SQ_TAIL;
	uint32_t size = sq ? d->sq_size : d->cq_size;

	if (!(d->status & RBNN_STS_ENABLED)) {
		gerr(d, "rbnn: %s written while disabled (ignored)",
		     sq ? "SQ_TAIL" : "CQ_HEAD");
		return;
	}
	if (val >= size) {
		fatal(d, RBNN_ERR_DOORBELL, sq ? "SQ_TAIL out of range" :
		      "CQ_HEAD out of range");
		return;
	}
	if (sq)
		d->sq_tail = val;
	else
		d->cq_head = val;
	if (d->host.kick)
		d->host.kick(d->host.opaque);
}

static void write_debug(struct rbnn_dev *d, uint32_t off, uint32_t val)
{
	if (!d->p.debug) {
		gerr(d, "rbnn: write of debug register 0x%x with debug=off",
		     off);
		return;
	}
	switch (off) {
	case RBNN_REG_FAULT:
		if (val & ~FAULT_ALL)
			gerr(d, "rbnn: FAULT: unknown bits 0x%x", val & ~FAULT_ALL);
		d->fault = val & FAULT_ALL;
		break;
	case RBNN_REG_STUCK_TILE:
		d->stuck_tile = val;
		break;
	case RBNN_REG_STUCK_ROW:
		d->stuck_row = val;
		break;
	case RBNN_REG_STUCK_COL:
		d->stuck_col = val;
		break;
	case RBNN_REG_STUCK_CMD:
		if (val > RBNN_STUCK_CMD_CLEAR) {
			gerr(d, "rbnn: STUCK_CMD: bad command %u", val);
			break;
		}
		if (d->stuck_tile >= d->p.tiles || d->stuck_row >= d->p.rows ||
		    d->stuck_col >= d->p.cols) {
			gerr(d, "rbnn: STUCK_CMD: cell (%u, %u, %u) out of range",
			     d->stuck_tile, d->stuck_row, d->stuck_col);
			break;
		}
		rbnn_array_stick(d->arr, d->stuck_tile, d->stuck_row,
				 d->stuck_col, val);
		break;
	case RBNN_REG_AGE_ADVANCE_S:
		rbnn_array_advance_age(d->arr, (double)val);
		break;
	default:
		gerr(d, "rbnn: write of unassigned register 0x%x", off);
		break;
	}
}

void rbnn_dev_write(struct rbnn_dev *d, uint32_t off, uint32_t val)
{
	uint32_t newly;

	if (off >= RBNN_REGS_SIZE || (off & 3)) {
		gerr(d, "rbnn: write at invalid offset 0x%x", off);
		return;
	}
	if (debug_reg(off)) {
		write_debug(d, off, val);
		return;
	}
	switch (off) {
	case RBNN_REG_SCRATCH:
		d->scratch = val;
		break;
	case RBNN_REG_CONTROL:
		write_control(d, val);
		break;
	case RBNN_REG_ERROR:
		d->error &= ~val;
		break;
	case RBNN_REG_INT_STATUS:
		d->int_status &= ~val;
		break;
	case RBNN_REG_INT_MASK:
		if (val & ~INT_MASK_ALL)
			gerr(d, "rbnn: INT_MASK: unknown bits 0x%x",
			     val & ~INT_MASK_ALL);
		newly = val & INT_MASK_ALL & ~d->int_mask;
		d->int_mask = val & INT_MASK_ALL;
		newly &= d->int_status;
		if (newly & RBNN_INT_CQ)
			send_msg(d, RBNN_MSIX_VEC_CQ);
		if (newly & (RBNN_INT_ERROR | RBNN_INT_TEST))
			send_msg(d, RBNN_MSIX_VEC_EVENT);
		break;
	case RBNN_REG_INT_TRIGGER:
		if (val & ~INT_MASK_ALL)
			gerr(d, "rbnn: INT_TRIGGER: unknown bits 0x%x",
			     val & ~INT_MASK_ALL);
		raise_int(d, val & INT_MASK_ALL);
		break;
	case RBNN_REG_IRQ_COAL:
		d->irq_coal = val;
		break;
	case RBNN_REG_SQ_BASE_LO:
	case RBNN_REG_SQ_BASE_HI:
	case RBNN_REG_SQ_SIZE:
	case RBNN_REG_CQ_BASE_LO:
	case RBNN_REG_CQ_BASE_HI:
	case RBNN_REG_CQ_SIZE:
		write_ring_reg(d, off, val);
		break;
	case RBNN_REG_SQ_TAIL:
	case RBNN_REG_CQ_HEAD:
		write_doorbell(d, off, val);
		break;
	case RBNN_REG_TILE_SEL:
		if (val >= d->p.tiles)
			gerr(d, "rbnn: TILE_SEL %u >= tiles %u", val, d->p.tiles);
		d->tile_sel = val;
		break;
	case RBNN_REG_PARAM_SEL:
		d->param_sel = val;
		break;
	case RBNN_REG_ID: case RBNN_REG_VERSION: case RBNN_REG_CAPS:
	case RBNN_REG_TILES: case RBNN_REG_TILE_ROWS: case RBNN_REG_TILE_COLS:
	case RBNN_REG_ACT_BUF_SIZE: case RBNN_REG_MAX_LAYERS:
	case RBNN_REG_MAX_SGL: case RBNN_REG_MAX_BATCH: case RBNN_REG_CELL_MODE:
	case RBNN_REG_STATUS: case RBNN_REG_SQ_HEAD: case RBNN_REG_CQ_TAIL:
	case RBNN_REG_ENERGY_PJ_LO: case RBNN_REG_ENERGY_PJ_HI:
	case RBNN_REG_BUSY_NS_LO: case RBNN_REG_BUSY_NS_HI:
	case RBNN_REG_CMDS_DONE_LO: case RBNN_REG_CMDS_DONE_HI:
	case RBNN_REG_PROG_PULSES_LO: case RBNN_REG_PROG_PULSES_HI:
	case RBNN_REG_CELL_READS_LO: case RBNN_REG_CELL_READS_HI:
	case RBNN_REG_PROGRESS: case RBNN_REG_RESETS:
	case RBNN_REG_AGE_S_LO: case RBNN_REG_AGE_S_HI:
	case RBNN_REG_SCRUB_WEAK_LO: case RBNN_REG_SCRUB_WEAK_HI:
	case RBNN_REG_TILE_CYCLES_MAX: case RBNN_REG_TILE_CYCLES_LO:
	case RBNN_REG_TILE_CYCLES_HI: case RBNN_REG_TILE_STUCK:
	case RBNN_REG_TILE_VERIFY_FAILS: case RBNN_REG_TILE_SCRUB_WEAK:
	case RBNN_REG_PARAM_VAL_LO: case RBNN_REG_PARAM_VAL_HI:
		gerr(d, "rbnn: write of read-only register 0x%x ignored", off);
		break;
	default:
		gerr(d, "rbnn: write of unassigned register 0x%x", off);
		break;
	}
}

/* ---------------------------------------------------------------------- */
/* Life cycle                                                             */

struct rbnn_dev *rbnn_dev_new(const struct rbnn_params *p,
			      const struct rbnn_host *host,
			      char *err, size_t errlen)
{
	struct rbnn_dev *d;

	if (err && errlen)
		err[0] = 0;
	if (!p || !host || !host->dma_read || !host->dma_write) {
		if (err && errlen)
			snprintf(err, errlen, "missing parameters or host DMA");
		return NULL;
	}
	if (rbnn_params_check(p, err, errlen))
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->p = *p;
	d->host = *host;
	d->arr = rbnn_array_new(&d->p);
	d->tile_scrub_weak = calloc(d->p.tiles, sizeof(*d->tile_scrub_weak));
	if (!d->arr || !d->tile_scrub_weak) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory for the array");
		rbnn_array_free(d->arr);
		free(d->tile_scrub_weak);
		free(d);
		return NULL;
	}
	d->timer_req = NO_DEADLINE;
	rbnn_dev_reset(d, true);
	return d;
}

void rbnn_dev_free(struct rbnn_dev *d)
{
	if (!d)
		return;
	job_end(d);
	rbnn_array_free(d->arr);
	free(d->tile_scrub_weak);
	free(d);
}

struct rbnn_array *rbnn_dev_array(struct rbnn_dev *d)
{
	return d->arr;
}

/* ---------------------------------------------------------------------- */
/* State                                                                  */

struct ser {
	uint8_t *buf;		/* NULL: count only */
	const uint8_t *in;	/* load source */
	size_t off, len;
	bool err;
};

static void ser_u64(struct ser *s, uint64_t *v)
{
	uint64_t le;

	if (s->in) {
		if (s->off > s->len || s->len - s->off < 8) {
			s->err = true;
			return;
		}
		memcpy(&le, s->in + s->off, 8);
		*v = le64toh(le);
	} else if (s->buf) {
		le = htole64(*v);
		memcpy(s->buf + s->off, &le, 8);
	}
	s->off += 8;
}

static void ser_u32(struct ser *s, uint32_t *v)
{
	uint64_t t = *v;

	ser_u64(s, &t);
	if (t > UINT32_MAX)
		s->err = true;
	*v = (uint32_t)t;
}

static void ser_u16(struct ser *s, uint16_t *v)
{
	uint64_t t = *v;

	ser_u64(s, &t);
	if (t > UINT16_MAX)
		s->err = true;
	*v = (uint16_t)t;
}

static void ser_bool(struct ser *s, bool *v)
{
	uint64_t t = *v;

	ser_u64(s, &t);
	if (t > 1)
		s->err = true;
	*v = t != 0;
}

/* Every field of the register/ring state, in a fixed order. */
static void ser_regs(struct ser *s, struct rbnn_dev *d)
{
	uint32_t magic = STATE_MAGIC, version = STATE_VERSION;
	uint32_t tiles = d->p.tiles, rows = d->p.rows, cols = d->p.cols;
	unsigned int i;

	ser_u32(s, &magic);
	ser_u32(s, &version);
	ser_u32(s, &tiles);
	ser_u32(s, &rows);
	ser_u32(s, &cols);
	if (magic != STATE_MAGIC || version != STATE_VERSION ||
	    tiles != d->p.tiles || rows != d->p.rows || cols != d->p.cols)
		s->err = true;

	ser_u32(s, &d->scratch);
	ser_u32(s, &d->control);
	ser_u32(s, &d->status);
	ser_u32(s, &d->error);
	ser_u32(s, &d->int_status);
	ser_u32(s, &d->int_mask);
	ser_u32(s, &d->irq_coal);
	ser_u64(s, &d->sq_base);
	ser_u64(s, &d->cq_base);
	ser_u32(s, &d->sq_size);
	ser_u32(s, &d->cq_size);
	ser_u32(s, &d->sq_head);
	ser_u32(s, &d->sq_tail);
	ser_u32(s, &d->cq_head);
	ser_u32(s, &d->cq_tail);
	ser_u32(s, &d->phase);
	ser_u32(s, &d->tile_sel);
	ser_u32(s, &d->param_sel);
	ser_u32(s, &d->fault);
	ser_u32(s, &d->stuck_tile);
	ser_u32(s, &d->stuck_row);
	ser_u32(s, &d->stuck_col);
	for (i = 0; i < L_COUNT; i++)
		ser_u32(s, &d->latch[i]);
	ser_u64(s, &d->energy_pj);
	ser_u64(s, &d->busy_ns);
	ser_u64(s, &d->cmds_done);
	ser_u64(s, &d->prog_pulses);
	ser_u64(s, &d->cell_reads);
	ser_u64(s, &d->progress);
	ser_u32(s, &d->resets);
	ser_u64(s, &d->cmds_fetched);
	ser_u64(s, &d->dma_cmds);
	ser_u64(s, &d->msgs);
	ser_bool(s, &d->inflight);
	ser_bool(s, &d->hung);
	ser_bool(s, &d->inflight_irq_now);
	ser_u32(s, &d->cqe.tag);
	ser_u16(s, &d->cqe.status);
	ser_u32(s, &d->cqe.detail);
	ser_u32(s, &d->cqe.aux);
	ser_u64(s, &d->cqe.time_ns);
	ser_u64(s, &d->cqe.energy_pj);
	ser_u64(s, &d->start_ns);
	ser_u64(s, &d->end_ns);
	ser_u64(s, &d->inflight_units);
	ser_u64(s, &d->inflight_pulses);
	ser_u64(s, &d->inflight_reads);
	ser_u64(s, &d->inflight_weak);
	ser_u32(s, &d->inflight_tile);
	ser_u64(s, &d->inflight_floor);
	ser_u32(s, &d->coal_pending);
	ser_u64(s, &d->coal_deadline);
	ser_u64(s, &d->scrub_weak);
	for (i = 0; i < d->p.tiles && !s->err; i++)
		ser_u64(s, &d->tile_scrub_weak[i]);
}

static size_t regs_size(const struct rbnn_dev *d)
{
	struct rbnn_dev tmp = *d;
	struct ser s = { 0 };

	ser_regs(&s, &tmp);
	return s.off;
}

/*
 * Registers, the card's properties, then the array's image with its
 * length (0 and no image in the "regs" form, where the embedding sends
 * the array itself, rbnn_array_save_row()/_head()).
 */
static size_t state_size(const struct rbnn_dev *d, bool with_array)
{
	return regs_size(d) + rbnn_params_state_size() + 8 +
	       (with_array ? rbnn_array_state_size(d->arr) : 0);
}

static void state_save(const struct rbnn_dev *d, void *buf, bool with_array)
{
	struct rbnn_dev tmp = *d;
	struct ser s = { .buf = buf };
	uint64_t alen = with_array ? rbnn_array_state_size(d->arr) : 0;

	/* Encode little-endian internals (the CQE is kept in host order). */
	ser_regs(&s, &tmp);
	rbnn_params_save(&d->p, (uint8_t *)buf + s.off);
	s.off += rbnn_params_state_size();
	ser_u64(&s, &alen);
	if (with_array)
		rbnn_array_save(d->arr, (uint8_t *)buf + s.off);
}

size_t rbnn_dev_state_size(const struct rbnn_dev *d)
{
	return state_size(d, true);
}

void rbnn_dev_save(const struct rbnn_dev *d, void *buf)
{
	state_save(d, buf, true);
}

size_t rbnn_dev_regs_state_size(const struct rbnn_dev *d)
{
	return state_size(d, false);
}

void rbnn_dev_save_regs(const struct rbnn_dev *d, void *buf)
{
	state_save(d, buf, false);
}

/* Sanity of a loaded register state (no out-of-range ring indices). */
static bool regs_valid(const struct rbnn_dev *t, uint32_t tiles)
{
	if (t->control & ~RBNN_CTRL_ENABLE)
		return false;
	if (t->status & ~(RBNN_STS_ENABLED | RBNN_STS_HALTED))
		return false;
	if (t->phase > 1 || (t->error & ~ERR_ALL) ||
	    (t->int_status & ~INT_MASK_ALL) || (t->int_mask & ~INT_MASK_ALL) ||
	    (t->fault & ~FAULT_ALL))
		return false;
	if (t->status & RBNN_STS_ENABLED) {
		if (!ring_ok(t->sq_base, t->sq_size, SQE_SIZE) ||
		    !ring_ok(t->cq_base, t->cq_size, CQE_SIZE))
			return false;
		if (t->sq_head >= t->sq_size || t->sq_tail >= t->sq_size ||
		    t->cq_head >= t->cq_size || t->cq_tail >= t->cq_size)
			return false;
	}
	if (t->hung && !t->inflight)
		return false;
	if (t->inflight && !t->hung && t->end_ns < t->start_ns)
		return false;
	/* A command being computed is never saved (rbnn_dev_computing()). */
	if (t->inflight && !t->hung && t->end_ns == NO_DEADLINE)
		return false;
	if (t->inflight_tile >= tiles)
		return false;
	return true;
}

static int state_load(struct rbnn_dev *d, const void *buf, size_t len,
		      bool with_array, char *err, size_t errlen)
{
	struct rbnn_dev tmp = *d;
	struct ser s = { .in = buf, .len = len };
	size_t plen = rbnn_params_state_size();
	uint64_t alen = 0;
	uint64_t *tiles = d->tile_scrub_weak;

	snprintf(err, errlen, "a malformed or other-version card state");
	if (!buf)
		return -1;
	/* Loaded into a copy: a rejected state leaves the device as it was. */
	tmp.tile_scrub_weak = calloc(d->p.tiles, sizeof(*tmp.tile_scrub_weak));
	if (!tmp.tile_scrub_weak) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ser_regs(&s, &tmp);
	if (s.err || !regs_valid(&tmp, d->p.tiles) || len - s.off < plen)
		goto fail;
	/* A card with other physics would compute other results. */
	if (rbnn_params_compare_state(&d->p, (const uint8_t *)buf + s.off, plen,
				      err, errlen))
		goto fail;
	snprintf(err, errlen, "a malformed or other-version card state");
	s.off += plen;
	ser_u64(&s, &alen);
	if (s.err || alen != len - s.off)
		goto fail;
	if (with_array ? rbnn_array_load(d->arr, (const uint8_t *)buf + s.off,
					 (size_t)alen) : alen != 0)
		goto fail;
	if (errlen)
		err[0] = '\0';
	memcpy(tiles, tmp.tile_scrub_weak, d->p.tiles * sizeof(*tiles));
	free(tmp.tile_scrub_weak);
	tmp.tile_scrub_weak = tiles;
	/* A command this device was computing is replaced by the state's. */
	job_end(d);
	memset(&tmp.job, 0, sizeof(tmp.job));
	tmp.arr = d->arr;
	tmp.host = d->host;
	tmp.p = d->p;
	*d = tmp;
	/* Re-arm the timer for the restored deadlines and resume. */
	d->timer_req = 0;
	rearm(d);
	if (d->host.kick)
		d->host.kick(d->host.opaque);
	return 0;

fail:
	free(tmp.tile_scrub_weak);
	return -1;
}

int rbnn_dev_load(struct rbnn_dev *d, const void *buf, size_t len,
		  char *err, size_t errlen)
{
	return state_load(d, buf, len, true, err, errlen);
}

int rbnn_dev_load_regs(struct rbnn_dev *d, const void *buf, size_t len,
		       char *err, size_t errlen)
{
	return state_load(d, buf, len, false, err, errlen);
}
