/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * Host-side unit tests of the device-model core (rbnn_dev.c) with a fake
 * host: a flat guest memory array, recorded MSI-X messages, a fake virtual
 * clock and timer. Run under ASan + UBSan.
 *
 *   CMOCKA_MESSAGE_OUTPUT=TAP build/tests/unit/test_dev
 *   RBNN_TEST_VERBOSE=1 ... prints the guest errors the core reports
 */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rbnn_regs.h"
#include "rbnn_dev.h"
#include "rbnn_array.h"
#include "rbnn_params.h"

#define MEM_SIZE	(8u << 20)
#define SQ_ADDR		0x10000ull
#define CQ_ADDR		0x50000ull
#define DATA_ADDR	0x100000ull

struct fake {
	uint8_t *mem;
	uint64_t now;
	uint64_t timer;		/* UINT64_MAX: none */
	unsigned int irqs[RBNN_MSIX_VECTORS];
	unsigned int kicks;
	unsigned int errors;
	unsigned int timer_mods;
	bool verbose;
	struct rbnn_params p;
	struct rbnn_dev *d;
	/* driver-side ring state */
	uint32_t sqn, cqn, sq_tail, cq_head, phase;
};

/* ---- fake host --------------------------------------------------------- */

static int fk_dma_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = opaque;

	if (addr > MEM_SIZE || len > MEM_SIZE - addr)
		return -1;
	memcpy(buf, f->mem + addr, len);
	return 0;
}

static int fk_dma_write(void *opaque, uint64_t addr, const void *buf,
			size_t len)
{
	struct fake *f = opaque;

	if (addr > MEM_SIZE || len > MEM_SIZE - addr)
		return -1;
	memcpy(f->mem + addr, buf, len);
	return 0;
}

static void fk_irq(void *opaque, unsigned int vec)
{
	struct fake *f = opaque;

	assert_true(vec < RBNN_MSIX_VECTORS);
	f->irqs[vec]++;
}

static void fk_kick(void *opaque)
{
	((struct fake *)opaque)->kicks++;
}

static void fk_timer_mod(void *opaque, uint64_t when)
{
	struct fake *f = opaque;

	f->timer = when;
	f->timer_mods++;
}

static uint64_t fk_now(void *opaque)
{
	return ((struct fake *)opaque)->now;
}

static void fk_guest_error(void *opaque, const char *fmt, va_list ap)
{
	struct fake *f = opaque;

	f->errors++;
	if (f->verbose) {
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
}

static const struct rbnn_host fk_host_ops = {
	.dma_read = fk_dma_read,
	.dma_write = fk_dma_write,
	.irq = fk_irq,
	.kick = fk_kick,
	.timer_mod = fk_timer_mod,
	.now_ns = fk_now,
	.guest_error = fk_guest_error,
};

typedef void (*param_mod)(struct rbnn_params *p);

static struct fake *fk_new(param_mod mod)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct rbnn_host h = fk_host_ops;
	char err[200];

	assert_non_null(f);
	f->mem = calloc(1, MEM_SIZE);
	assert_non_null(f->mem);
	f->timer = UINT64_MAX;
	f->verbose = getenv("RBNN_TEST_VERBOSE") != NULL;
	rbnn_params_default(&f->p);
	f->p.error_model = false;
	f->p.debug = true;
	if (mod)
		mod(&f->p);
	h.opaque = f;
	f->d = rbnn_dev_new(&f->p, &h, err, sizeof(err));
	if (!f->d)
		fail_msg("rbnn_dev_new: %s", err);
	return f;
}

static void fk_free(struct fake *f)
{
	rbnn_dev_free(f->d);
	free(f->mem);
	free(f);
}

static uint32_t rd(struct fake *f, uint32_t off)
{
	return rbnn_dev_read(f->d, off);
}

static void wr(struct fake *f, uint32_t off, uint32_t v)
{
	rbnn_dev_write(f->d, off, v);
}

static uint64_t rd64(struct fake *f, uint32_t lo)
{
	uint64_t l = rd(f, lo);

	return l | (uint64_t)rd(f, lo + 4) << 32;
}

/* Process kicks like the embedding's bottom half would. */
static void fk_run(struct fake *f)
{
	int guard = 0;

	while (f->kicks) {
		f->kicks = 0;
		rbnn_dev_work(f->d);
		assert_true(++guard < 100000);
	}
}

/* Advance the fake clock, firing the timer when due. */
static void fk_advance(struct fake *f, uint64_t ns)
{
	uint64_t end = f->now + ns;

	while (f->timer != UINT64_MAX && f->timer <= end) {
		if (f->timer > f->now)
			f->now = f->timer;
		f->timer = UINT64_MAX;
		rbnn_dev_timer(f->d);
		fk_run(f);
	}
	f->now = end;
	fk_run(f);
}

static void fk_rings(struct fake *f, uint32_t sqn, uint32_t cqn)
{
	wr(f, RBNN_REG_SQ_BASE_LO, (uint32_t)SQ_ADDR);
	wr(f, RBNN_REG_SQ_BASE_HI, 0);
	wr(f, RBNN_REG_SQ_SIZE, sqn);
	wr(f, RBNN_REG_CQ_BASE_LO, (uint32_t)CQ_ADDR);
	wr(f, RBNN_REG_CQ_BASE_HI, 0);
	wr(f, RBNN_REG_CQ_SIZE, cqn);
	wr(f, RBNN_REG_INT_MASK, RBNN_INT_CQ | RBNN_INT_ERROR | RBNN_INT_TEST);
	wr(f, RBNN_REG_CONTROL, RBNN_CTRL_ENABLE);
	assert_int_equal(rd(f, RBNN_REG_STATUS), RBNN_STS_ENABLED);
	f->sqn = sqn;
	f->cqn = cqn;
	f->sq_tail = f->cq_head = 0;
	f->phase = 1;
	memset(f->mem + CQ_ADDR, 0, (size_t)cqn * 32);
}

/* Queue a command (no doorbell). */
static void fk_queue(struct fake *f, const struct rbnn_hw_cmd *c)
{
	memcpy(f->mem + SQ_ADDR + (uint64_t)f->sq_tail * 64, c, 64);
	f->sq_tail = (f->sq_tail + 1) % f->sqn;
}

static void fk_doorbell(struct fake *f)
{
	wr(f, RBNN_REG_SQ_TAIL, f->sq_tail);
	fk_run(f);
}

/* Next CQE if its phase says it is new; consumes it (no CQ_HEAD write). */
static bool fk_pop(struct fake *f, struct rbnn_hw_cqe *out)
{
	struct rbnn_hw_cqe e;

	memcpy(&e, f->mem + CQ_ADDR + (uint64_t)f->cq_head * 32, 32);
	if ((le16toh(e.flags) & RBNN_CQE_F_PHASE) != f->phase)
		return false;
	if (out)
		*out = e;
	f->cq_head = (f->cq_head + 1) % f->cqn;
	if (!f->cq_head)
		f->phase ^= 1;
	return true;
}

static void fk_consume(struct fake *f)
{
	wr(f, RBNN_REG_CQ_HEAD, f->cq_head);
	fk_run(f);
}

/* Run one command to completion (instant timing); returns its CQE. */
static struct rbnn_hw_cqe fk_do(struct fake *f, const struct rbnn_hw_cmd *c)
{
	struct rbnn_hw_cqe e;

	fk_queue(f, c);
	fk_doorbell(f);
	if (!fk_pop(f, &e))
		fail_msg("no completion for opcode %u", c->opcode);
	fk_consume(f);
	return e;
}

static struct rbnn_hw_cmd cmd_op(uint8_t op, uint32_t tag)
{
	struct rbnn_hw_cmd c;

	memset(&c, 0, sizeof(c));
	c.opcode = op;
	c.tag = htole32(tag);
	return c;
}

static struct rbnn_hw_cmd cmd_rows(uint8_t op, uint32_t tile, uint32_t row,
				   uint32_t nrows, uint64_t addr, uint32_t len)
{
	struct rbnn_hw_cmd c = cmd_op(op, 0x100 + op);

	c.rows.tile = htole32(tile);
	c.rows.row = htole32(row);
	c.rows.nrows = htole32(nrows);
	c.rows.buf.addr = htole64(addr);
	c.rows.buf.len = htole32(len);
	return c;
}

static void put_sge(struct fake *f, uint64_t at, uint64_t addr, uint32_t len)
{
	struct rbnn_hw_sge s = { htole64(addr), htole32(len), 0 };

	memcpy(f->mem + at, &s, sizeof(s));
}

static uint32_t status_of(const struct rbnn_hw_cqe *e)
{
	return le16toh(e->status);
}

/* Deterministic test data. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void fill_random(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* ---- tests: registers -------------------------------------------------- */

static void mod_small(struct rbnn_params *p)
{
	p->tiles = 4;
	p->rows = 64;
	p->cols = 128;
}

static void test_identity(void **state)
{
	struct fake *f = fk_new(mod_small);

	(void)state;
	assert_int_equal(rd(f, RBNN_REG_ID), RBNN_ID_VALUE);
	assert_int_equal(rd(f, RBNN_REG_VERSION), 0x00010000);
	assert_int_equal(rd(f, RBNN_REG_CAPS),
			 0xff | RBNN_CAP_DEBUG | RBNN_CAP_SCRUB_COUNT);
	assert_int_equal(rd(f, RBNN_REG_TILES), 4);
	assert_int_equal(rd(f, RBNN_REG_TILE_ROWS), 64);
	assert_int_equal(rd(f, RBNN_REG_TILE_COLS), 128);
	assert_int_equal(rd(f, RBNN_REG_ACT_BUF_SIZE), f->p.act_buf_size);
	assert_int_equal(rd(f, RBNN_REG_MAX_LAYERS), f->p.max_layers);
	assert_int_equal(rd(f, RBNN_REG_MAX_SGL), f->p.max_sgl);
	assert_int_equal(rd(f, RBNN_REG_MAX_BATCH), f->p.max_batch);
	assert_int_equal(rd(f, RBNN_REG_CELL_MODE), RBNN_CELL_2T2R);
	assert_int_equal(f->errors, 0);
	fk_free(f);
}

static void mod_caps(struct rbnn_params *p)
{
	p->timing = 1;
	p->debug = false;
	p->error_model = true;
	p->cell_mode = RBNN_CELL_1T1R;
}

static void test_caps_variants(void **state)
{
	struct fake *f = fk_new(mod_caps);

	(void)state;
	assert_int_equal(rd(f, RBNN_REG_CAPS),
			 0xff | RBNN_CAP_TIMING_MODELED | RBNN_CAP_ERROR_MODEL |
			 RBNN_CAP_SCRUB_COUNT);
	assert_int_equal(rd(f, RBNN_REG_CELL_MODE), RBNN_CELL_1T1R);
	/* debug registers inactive */
	wr(f, RBNN_REG_STUCK_TILE, 3);
	assert_int_equal(rd(f, RBNN_REG_STUCK_TILE), 0);
	wr(f, RBNN_REG_FAULT, RBNN_FAULT_HANG);
	assert_int_equal(rd(f, RBNN_REG_FAULT), 0);
	assert_true(f->errors >= 4);
	fk_free(f);
}

static void test_register_access(void **state)
{
	struct fake *f = fk_new(NULL);
	unsigned int e;

	(void)state;
	wr(f, RBNN_REG_SCRATCH, 0xdeadbeef);
	assert_int_equal(rd(f, RBNN_REG_SCRATCH), 0xdeadbeef);
	assert_int_equal(f->errors, 0);

	e = f->errors;
	wr(f, RBNN_REG_ID, 1);			/* RO */
	assert_int_equal(rd(f, RBNN_REG_ID), RBNN_ID_VALUE);
	assert_int_equal(f->errors, e + 1);
	assert_int_equal(rd(f, 0x0ffc), 0);	/* unassigned */
	assert_int_equal(f->errors, e + 2);
	assert_int_equal(rd(f, 0x1000), 0);	/* beyond BAR */
	assert_int_equal(rd(f, 0x2e), 0);	/* unaligned */
	wr(f, 0x2d, 5);
	assert_int_equal(rd(f, RBNN_REG_SCRATCH), 0xdeadbeef);
	wr(f, 0xffffffff, 1);
	assert_int_equal(f->errors, e + 6);
	assert_int_equal(rd(f, RBNN_REG_INT_TRIGGER), 0); /* WO: reads 0 */
	assert_int_equal(f->errors, e + 6);

	/* ring registers: RW while disabled */
	wr(f, RBNN_REG_SQ_BASE_LO, 0x12345000);
	wr(f, RBNN_REG_SQ_BASE_HI, 0x1);
	assert_int_equal(rd(f, RBNN_REG_SQ_BASE_LO), 0x12345000);
	assert_int_equal(rd(f, RBNN_REG_SQ_BASE_HI), 1);
	wr(f, RBNN_REG_SQ_SIZE, 8);
	assert_int_equal(rd(f, RBNN_REG_SQ_SIZE), 8);
	/* doorbell while disabled: ignored, not fatal */
	wr(f, RBNN_REG_SQ_TAIL, 3);
	assert_int_equal(rd(f, RBNN_REG_SQ_TAIL), 0);
	assert_int_equal(rd(f, RBNN_REG_STATUS), 0);

	/* INT_MASK keeps known bits only; IRQ_COAL is RW */
	wr(f, RBNN_REG_INT_MASK, 0xffffffff);
	assert_int_equal(rd(f, RBNN_REG_INT_MASK), 7);
	wr(f, RBNN_REG_IRQ_COAL, 0x00640004);
	assert_int_equal(rd(f, RBNN_REG_IRQ_COAL), 0x00640004);
	assert_int_equal(rd(f, RBNN_REG_CONTROL), 0);
	fk_free(f);
}

static void test_interrupts(void **state)
{
	struct fake *f = fk_new(NULL);

	(void)state;
	/* masked: status only */
	wr(f, RBNN_REG_INT_TRIGGER, RBNN_INT_TEST);
	assert_int_equal(rd(f, RBNN_REG_INT_STATUS), RBNN_INT_TEST);
	assert_int_equal(f->irqs[1], 0);
	/* enabling a pending source sends the message */
	wr(f, RBNN_REG_INT_MASK, RBNN_INT_TEST);
	assert_int_equal(f->irqs[1], 1);
	/* W1C */
	wr(f, RBNN_REG_INT_STATUS, RBNN_INT_TEST);
	assert_int_equal(rd(f, RBNN_REG_INT_STATUS), 0);
	wr(f, RBNN_REG_INT_TRIGGER, RBNN_INT_TEST);
	assert_int_equal(f->irqs[1], 2);
	assert_int_equal(f->irqs[0], 0);
	wr(f, RBNN_REG_INT_MASK, RBNN_INT_TEST | RBNN_INT_CQ);
	wr(f, RBNN_REG_INT_TRIGGER, RBNN_INT_CQ);
	assert_int_equal(f->irqs[0], 1);
	assert_int_equal(rd(f, RBNN_REG_INT_STATUS), RBNN_INT_TEST | RBNN_INT_CQ);
	/* drop one interrupt */
	wr(f, RBNN_REG_FAULT, RBNN_FAULT_DROP_IRQ);
	assert_int_equal(rd(f, RBNN_REG_FAULT), RBNN_FAULT_DROP_IRQ);
	wr(f, RBNN_REG_INT_TRIGGER, RBNN_INT_TEST);
	assert_int_equal(f->irqs[1], 2);
	assert_int_equal(rd(f, RBNN_REG_FAULT), 0);
	wr(f, RBNN_REG_INT_TRIGGER, RBNN_INT_TEST);
	assert_int_equal(f->irqs[1], 3);
	fk_free(f);
}

static void test_param_window(void **state)
{
	struct fake *f = fk_new(NULL);
	uint64_t v;

	(void)state;
	wr(f, RBNN_REG_PARAM_SEL, RBNN_PARAM_PROG_CURRENT_NA);
	assert_int_equal(rd64(f, RBNN_REG_PARAM_VAL_LO), 100000);
	wr(f, RBNN_REG_PARAM_SEL, RBNN_PARAM_READ_BER_PPB);
	assert_int_equal(rd64(f, RBNN_REG_PARAM_VAL_LO), 1);
	wr(f, RBNN_REG_PARAM_SEL, RBNN_PARAM_ENDURANCE);
	assert_int_equal(rd64(f, RBNN_REG_PARAM_VAL_LO), 1000000);
	wr(f, RBNN_REG_PARAM_SEL, RBNN_PARAM_E_DMA_FJ);
	assert_int_equal(rd64(f, RBNN_REG_PARAM_VAL_LO), 40000);
	wr(f, RBNN_REG_PARAM_SEL, RBNN_PARAM_DRIFT_NU_PPM);
	assert_int_equal(rd64(f, RBNN_REG_PARAM_VAL_LO), 30000);
	wr(f, RBNN_REG_PARAM_SEL, RBNN_PARAM_SEED);
	assert_int_equal(rd64(f, RBNN_REG_PARAM_VAL_LO), 1);
	wr(f, RBNN_REG_PARAM_SEL, RBNN_PARAM_ERROR_MODEL);
	assert_int_equal(rd64(f, RBNN_REG_PARAM_VAL_LO), 0);
	wr(f, RBNN_REG_PARAM_SEL, RBNN_PARAM_EXPECTED_BER_PPB);
	v = rd64(f, RBNN_REG_PARAM_VAL_LO);
	assert_true(v < 1000000000ull);
	wr(f, RBNN_REG_PARAM_SEL, RBNN_PARAM_COUNT);
	assert_true(rd64(f, RBNN_REG_PARAM_VAL_LO) == RBNN_PARAM_INVALID);
	wr(f, RBNN_REG_PARAM_SEL, 0xffffffff);
	assert_true(rd64(f, RBNN_REG_PARAM_VAL_LO) == RBNN_PARAM_INVALID);
	assert_int_equal(rd(f, RBNN_REG_PARAM_SEL), 0xffffffff);
	fk_free(f);
}

/* ---- tests: rings ------------------------------------------------------ */

static void test_ring_config_errors(void **state)
{
	static const struct { uint64_t sq; uint32_t sqn; uint64_t cq; uint32_t cqn; } bad[] = {
		{ 0, 8, CQ_ADDR, 8 },
		{ SQ_ADDR + 64, 8, CQ_ADDR, 8 },
		{ SQ_ADDR, 6, CQ_ADDR, 8 },
		{ SQ_ADDR, 1, CQ_ADDR, 8 },
		{ SQ_ADDR, 8192, CQ_ADDR, 8 },
		{ SQ_ADDR, 8, CQ_ADDR, 0 },
		{ SQ_ADDR, 8, 0xfffffffffffff000ull, 256 },
	};
	struct fake *f = fk_new(NULL);
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wr(f, RBNN_REG_INT_MASK, RBNN_INT_ERROR);
		wr(f, RBNN_REG_SQ_BASE_LO, (uint32_t)bad[i].sq);
		wr(f, RBNN_REG_SQ_BASE_HI, (uint32_t)(bad[i].sq >> 32));
		wr(f, RBNN_REG_SQ_SIZE, bad[i].sqn);
		wr(f, RBNN_REG_CQ_BASE_LO, (uint32_t)bad[i].cq);
		wr(f, RBNN_REG_CQ_BASE_HI, (uint32_t)(bad[i].cq >> 32));
		wr(f, RBNN_REG_CQ_SIZE, bad[i].cqn);
		wr(f, RBNN_REG_CONTROL, RBNN_CTRL_ENABLE);
		assert_int_equal(rd(f, RBNN_REG_CONTROL), 0);
		assert_int_equal(rd(f, RBNN_REG_STATUS), RBNN_STS_HALTED);
		assert_int_equal(rd(f, RBNN_REG_ERROR), RBNN_ERR_RING_CONFIG);
		assert_int_equal(rd(f, RBNN_REG_INT_STATUS), RBNN_INT_ERROR);
		assert_int_equal(f->irqs[1], i + 1);
		/* ERROR is W1C but the card stays halted */
		wr(f, RBNN_REG_ERROR, RBNN_ERR_RING_CONFIG);
		assert_int_equal(rd(f, RBNN_REG_ERROR), 0);
		assert_int_equal(rd(f, RBNN_REG_STATUS), RBNN_STS_HALTED);
		wr(f, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
		assert_int_equal(rd(f, RBNN_REG_STATUS), 0);
		assert_int_equal(rd(f, RBNN_REG_INT_MASK), 0);
		assert_int_equal(rd(f, RBNN_REG_SQ_SIZE), 0);
		assert_int_equal(rd(f, RBNN_REG_RESETS), i + 1);
	}
	/* good config after all that */
	fk_rings(f, 8, 8);
	/* ring registers are read-only while enabled */
	wr(f, RBNN_REG_SQ_SIZE, 16);
	assert_int_equal(rd(f, RBNN_REG_SQ_SIZE), 8);
	fk_free(f);
}

static void test_ring_wrap_phase(void **state)
{
	struct fake *f = fk_new(NULL);
	struct rbnn_hw_cmd c;
	struct rbnn_hw_cqe e;
	uint32_t tag = 1, expect = 1, i, pass;

	(void)state;
	fk_rings(f, 4, 8);
	/* several passes over both rings, 3 commands at a time */
	for (pass = 0; pass < 10; pass++) {
		for (i = 0; i < 3; i++) {
			c = cmd_op(RBNN_OP_NOP, tag++);
			fk_queue(f, &c);
		}
		fk_doorbell(f);
		for (i = 0; i < 3; i++) {
			uint32_t slot = f->cq_head, ph = f->phase;

			assert_true(fk_pop(f, &e));
			assert_int_equal(le32toh(e.tag), expect++);
			assert_int_equal(status_of(&e), RBNN_STATUS_OK);
			assert_int_equal(le16toh(e.flags), ph);
			assert_true(le64toh(e.time_ns) > 0);
			assert_true(le64toh(e.energy_pj) > 0);
			(void)slot;
		}
		assert_false(fk_pop(f, NULL));
		fk_consume(f);
		assert_int_equal(rd(f, RBNN_REG_SQ_HEAD), f->sq_tail);
		assert_int_equal(rd(f, RBNN_REG_CQ_TAIL), f->cq_head);
	}
	assert_int_equal(rd64(f, RBNN_REG_CMDS_DONE_LO), 30);
	fk_free(f);
}

static void test_cq_full_stall(void **state)
{
	struct fake *f = fk_new(NULL);
	struct rbnn_hw_cmd c;
	struct rbnn_hw_cqe e;
	uint32_t i;

	(void)state;
	fk_rings(f, 16, 4);	/* CQ holds 3 */
	wr(f, RBNN_REG_IRQ_COAL, 100);
	for (i = 0; i < 10; i++) {
		c = cmd_op(RBNN_OP_NOP, i);
		fk_queue(f, &c);
	}
	fk_doorbell(f);
	assert_int_equal(rd(f, RBNN_REG_SQ_HEAD), 3);
	assert_int_equal(rd(f, RBNN_REG_CQ_TAIL), 3);
	/* stalled with CQ full: the card signals what it has */
	assert_int_equal(f->irqs[0], 1);
	for (i = 0; i < 10; i++) {
		if (!fk_pop(f, &e)) {
			fk_consume(f);
			assert_true(fk_pop(f, &e));
		}
		assert_int_equal(le32toh(e.tag), i);
	}
	fk_consume(f);
	assert_int_equal(rd(f, RBNN_REG_SQ_HEAD), 10);
	fk_free(f);
}

static void test_work_bound(void **state)
{
	struct fake *f = fk_new(NULL);
	struct rbnn_hw_cmd c;
	uint32_t i;

	(void)state;
	fk_rings(f, 256, 256);
	for (i = 0; i < 200; i++) {
		c = cmd_op(RBNN_OP_NOP, i);
		fk_queue(f, &c);
	}
	wr(f, RBNN_REG_SQ_TAIL, f->sq_tail);
	assert_int_equal(f->kicks, 1);
	f->kicks = 0;
	rbnn_dev_work(f->d);
	assert_int_equal(rd(f, RBNN_REG_SQ_HEAD), 64);
	assert_int_equal(f->kicks, 1);	/* re-kicked itself */
	fk_run(f);
	assert_int_equal(rd(f, RBNN_REG_SQ_HEAD), 200);
	assert_int_equal(rd(f, RBNN_REG_CQ_TAIL), 200);
	fk_free(f);
}

static void test_doorbell_fatal(void **state)
{
	struct fake *f = fk_new(NULL);
	struct rbnn_hw_cmd c = cmd_op(RBNN_OP_NOP, 7);
	struct rbnn_hw_cqe e;

	(void)state;
	fk_rings(f, 8, 8);
	e = fk_do(f, &c);
	assert_int_equal(le32toh(e.tag), 7);
	wr(f, RBNN_REG_SQ_TAIL, 8);
	assert_int_equal(rd(f, RBNN_REG_ERROR), RBNN_ERR_DOORBELL);
	assert_true(rd(f, RBNN_REG_STATUS) & RBNN_STS_HALTED);
	assert_int_equal(f->irqs[1], 1);
	/* nothing is fetched while halted */
	fk_queue(f, &c);
	fk_doorbell(f);
	assert_int_equal(rd(f, RBNN_REG_SQ_HEAD), 1);
	/* CQ_HEAD out of range too */
	wr(f, RBNN_REG_CQ_HEAD, 9);
	assert_int_equal(rd(f, RBNN_REG_ERROR), RBNN_ERR_DOORBELL);
	/* enabling while halted is refused */
	wr(f, RBNN_REG_CONTROL, 0);
	wr(f, RBNN_REG_CONTROL, RBNN_CTRL_ENABLE);
	assert_int_equal(rd(f, RBNN_REG_CONTROL), 0);
	/* reset recovers; lifetime counters survive */
	wr(f, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
	assert_int_equal(rd(f, RBNN_REG_ERROR), 0);
	assert_int_equal(rd(f, RBNN_REG_STATUS), 0);
	assert_int_equal(rd64(f, RBNN_REG_CMDS_DONE_LO), 1);
	assert_int_equal(rd(f, RBNN_REG_RESETS), 1);
	fk_rings(f, 8, 8);
	e = fk_do(f, &c);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	assert_int_equal(rd64(f, RBNN_REG_CMDS_DONE_LO), 2);
	/* power-on reset clears the lifetime counters */
	rbnn_dev_reset(f->d, true);
	assert_int_equal(rd64(f, RBNN_REG_CMDS_DONE_LO), 0);
	assert_int_equal(rd64(f, RBNN_REG_ENERGY_PJ_LO), 0);
	assert_int_equal(rd(f, RBNN_REG_RESETS), 0);
	fk_free(f);
}

static void test_ring_dma_fatal(void **state)
{
	struct fake *f = fk_new(NULL);
	struct rbnn_hw_cmd c = cmd_op(RBNN_OP_NOP, 1);

	(void)state;
	/* SQ beyond memory */
	wr(f, RBNN_REG_SQ_BASE_LO, 0);
	wr(f, RBNN_REG_SQ_BASE_HI, 0x10);
	wr(f, RBNN_REG_SQ_SIZE, 4);
	wr(f, RBNN_REG_CQ_BASE_LO, (uint32_t)CQ_ADDR);
	wr(f, RBNN_REG_CQ_SIZE, 4);
	wr(f, RBNN_REG_CONTROL, RBNN_CTRL_ENABLE);
	wr(f, RBNN_REG_SQ_TAIL, 1);
	fk_run(f);
	assert_int_equal(rd(f, RBNN_REG_ERROR), RBNN_ERR_SQ_DMA);
	assert_int_equal(rd(f, RBNN_REG_SQ_HEAD), 0);
	assert_true(rd(f, RBNN_REG_STATUS) & RBNN_STS_HALTED);
	wr(f, RBNN_REG_CONTROL, RBNN_CTRL_RESET);

	/* CQ beyond memory */
	wr(f, RBNN_REG_SQ_BASE_LO, (uint32_t)SQ_ADDR);
	wr(f, RBNN_REG_SQ_SIZE, 4);
	wr(f, RBNN_REG_CQ_BASE_LO, 0);
	wr(f, RBNN_REG_CQ_BASE_HI, 0x10);
	wr(f, RBNN_REG_CQ_SIZE, 4);
	wr(f, RBNN_REG_CONTROL, RBNN_CTRL_ENABLE);
	memcpy(f->mem + SQ_ADDR, &c, 64);
	wr(f, RBNN_REG_SQ_TAIL, 1);
	fk_run(f);
	assert_int_equal(rd(f, RBNN_REG_ERROR), RBNN_ERR_CQ_DMA);
	assert_int_equal(rd(f, RBNN_REG_CQ_TAIL), 0);
	assert_true(rd(f, RBNN_REG_STATUS) & RBNN_STS_HALTED);
	fk_free(f);
}

/* ---- tests: moderation ------------------------------------------------- */

static void queue_nops(struct fake *f, uint32_t n, uint8_t flags_at, uint32_t at)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct rbnn_hw_cmd c = cmd_op(RBNN_OP_NOP, i);

		if (i == at)
			c.flags = flags_at;
		fk_queue(f, &c);
	}
}

static void drain(struct fake *f)
{
	while (fk_pop(f, NULL))
		;
	fk_consume(f);
}

static void test_moderation_count(void **state)
{
	struct fake *f = fk_new(NULL);

	(void)state;
	fk_rings(f, 64, 64);
	/* IRQ_COAL = 0: every completion */
	queue_nops(f, 5, 0, 99);
	fk_doorbell(f);
	assert_int_equal(f->irqs[0], 5);
	drain(f);
	/* count 4: 10 commands -> at 4, 8 and idle at 10 */
	f->irqs[0] = 0;
	wr(f, RBNN_REG_IRQ_COAL, 4);
	queue_nops(f, 10, 0, 99);
	fk_doorbell(f);
	assert_int_equal(f->irqs[0], 3);
	drain(f);
	/* IRQ_NOW on the 2nd: at 2, then idle at 6 (count 100) */
	f->irqs[0] = 0;
	wr(f, RBNN_REG_IRQ_COAL, 100);
	queue_nops(f, 6, RBNN_CMD_F_IRQ_NOW, 1);
	fk_doorbell(f);
	assert_int_equal(f->irqs[0], 2);
	drain(f);
	/* FENCE in the middle acts the same */
	f->irqs[0] = 0;
	{
		struct rbnn_hw_cmd c = cmd_op(RBNN_OP_NOP, 0);
		struct rbnn_hw_cmd fe = cmd_op(RBNN_OP_FENCE, 1);

		fk_queue(f, &c);
		fk_queue(f, &c);
		fk_queue(f, &fe);
		fk_queue(f, &c);
		fk_doorbell(f);
	}
	assert_int_equal(f->irqs[0], 2);
	drain(f);
	/* masked: INT_STATUS.CQ set, no message */
	f->irqs[0] = 0;
	wr(f, RBNN_REG_INT_STATUS, 7);
	wr(f, RBNN_REG_INT_MASK, RBNN_INT_ERROR);
	queue_nops(f, 3, 0, 99);
	fk_doorbell(f);
	assert_int_equal(f->irqs[0], 0);
	assert_int_equal(rd(f, RBNN_REG_INT_STATUS), RBNN_INT_CQ);
	fk_free(f);
}

static void mod_modeled(struct rbnn_params *p)
{
	p->timing = 1;
}

static void test_moderation_timer(void **state)
{
	struct fake *f = fk_new(mod_modeled);
	struct rbnn_hw_cqe e;
	uint64_t t;

	(void)state;
	fk_rings(f, 64, 64);
	/* each NOP takes t_cmd + 96 bytes of DMA */
	queue_nops(f, 1, 0, 99);
	fk_doorbell(f);
	assert_int_equal(rd(f, RBNN_REG_CQ_TAIL), 0);
	fk_advance(f, 100000);
	assert_true(fk_pop(f, &e));
	fk_consume(f);
	t = le64toh(e.time_ns);
	assert_true(t >= 500);
	f->irqs[0] = 0;

	/* count 100, 1 us: completions at t, 2t, 3t, ...; IRQ by timer */
	wr(f, RBNN_REG_IRQ_COAL, 100 | 1u << RBNN_COAL_USEC_SHIFT);
	queue_nops(f, 20, 0, 99);
	fk_doorbell(f);
	fk_advance(f, t);		/* first completion, timer armed */
	assert_int_equal(rd(f, RBNN_REG_CQ_TAIL), 2);
	assert_int_equal(f->irqs[0], 0);
	assert_true(f->timer != UINT64_MAX);
	fk_advance(f, 1000);		/* 1 us later: timer fires */
	assert_int_equal(f->irqs[0], 1);
	fk_advance(f, 20 * t + 5000);	/* rest; last one at idle */
	assert_int_equal(rd(f, RBNN_REG_CQ_TAIL), 21);
	assert_true(f->irqs[0] >= 3);
	assert_true(f->irqs[0] <= 1 + (20 * t) / 1000 + 2);
	fk_free(f);
}

/* ---- tests: commands --------------------------------------------------- */

static void test_rows_roundtrip(void **state)
{
	struct fake *f = fk_new(mod_small);
	const uint32_t rb = 128 / 8, nrows = 10;
	uint8_t data[10 * 16], back[10 * 16];
	struct rbnn_hw_cmd c;
	struct rbnn_hw_cqe e;
	int32_t thr[10];
	uint32_t i;

	(void)state;
	fk_rings(f, 8, 8);
	fill_random(data, sizeof(data));
	memcpy(f->mem + DATA_ADDR, data, sizeof(data));
	c = cmd_rows(RBNN_OP_PROGRAM_ROWS, 2, 5, nrows, DATA_ADDR, nrows * rb);
	e = fk_do(f, &c);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	assert_true(le32toh(e.detail) > 0);	/* pulses */
	assert_true(rd64(f, RBNN_REG_PROG_PULSES_LO) == le32toh(e.detail));

	/* read back through a 3-segment SG list with odd splits */
	put_sge(f, DATA_ADDR + 0x1000, DATA_ADDR + 0x2000, 7);
	put_sge(f, DATA_ADDR + 0x1010, DATA_ADDR + 0x3003, 100);
	put_sge(f, DATA_ADDR + 0x1020, DATA_ADDR + 0x4005, 200);
	c = cmd_rows(RBNN_OP_READ_ROWS, 2, 5, nrows, DATA_ADDR + 0x1000,
		     nrows * rb);
	c.rows.buf.nents = htole32(3);
	e = fk_do(f, &c);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	memcpy(back, f->mem + DATA_ADDR + 0x2000, 7);
	memcpy(back + 7, f->mem + DATA_ADDR + 0x3003, 100);
	memcpy(back + 107, f->mem + DATA_ADDR + 0x4005, sizeof(back) - 107);
	assert_memory_equal(back, data, sizeof(data));
	assert_true(rd64(f, RBNN_REG_CELL_READS_LO) >= nrows * 128);

	/* thresholds */
	for (i = 0; i < nrows; i++)
		thr[i] = (int32_t)htole32((uint32_t)(i * 7) - 30);
	memcpy(f->mem + DATA_ADDR, thr, sizeof(thr));
	c = cmd_rows(RBNN_OP_LOAD_THRESH, 1, 50, nrows, DATA_ADDR, sizeof(thr));
	e = fk_do(f, &c);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	for (i = 0; i < nrows; i++)
		assert_int_equal(rbnn_array_threshold(rbnn_dev_array(f->d), 1,
						      50 + i), (int32_t)(i * 7) - 30);

	/* wear: 10 rows of tile 2 programmed once */
	c = cmd_rows(RBNN_OP_READ_WEAR, 2, 0, 0, DATA_ADDR, 64 * 8);
	e = fk_do(f, &c);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	for (i = 0; i < 64; i++) {
		struct rbnn_hw_wear w;

		memcpy(&w, f->mem + DATA_ADDR + i * 8, 8);
		assert_int_equal(le32toh(w.cycles), i >= 5 && i < 15 ? 1 : 0);
		assert_int_equal(le32toh(w.stuck), 0);
	}
	wr(f, RBNN_REG_TILE_SEL, 2);
	assert_int_equal(rd(f, RBNN_REG_TILE_CYCLES_MAX), 1);
	assert_int_equal(rd64(f, RBNN_REG_TILE_CYCLES_LO), 10);
	wr(f, RBNN_REG_TILE_SEL, 9);	/* out of range: zeros */
	assert_int_equal(rd64(f, RBNN_REG_TILE_CYCLES_LO), 0);

	/* refresh keeps the data; erase clears it */
	c = cmd_rows(RBNN_OP_REFRESH, 2, 5, nrows, 0, 0);
	e = fk_do(f, &c);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	c = cmd_rows(RBNN_OP_READ_ROWS, 2, 5, nrows, DATA_ADDR, nrows * rb);
	e = fk_do(f, &c);
	assert_memory_equal(f->mem + DATA_ADDR, data, sizeof(data));
	c = cmd_rows(RBNN_OP_ERASE_TILE, 2, 0, 0, 0, 0);
	e = fk_do(f, &c);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	c = cmd_rows(RBNN_OP_READ_ROWS, 2, 5, nrows, DATA_ADDR, nrows * rb);
	e = fk_do(f, &c);
	for (i = 0; i < sizeof(data); i++)
		assert_int_equal(f->mem[DATA_ADDR + i], 0);

	c = cmd_op(RBNN_OP_SELF_TEST, 3);
	e = fk_do(f, &c);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	assert_int_equal(le32toh(e.detail), 0);
	fk_free(f);
}

struct bad_case {
	const char *what;
	struct rbnn_hw_cmd c;
	uint16_t status;
	uint32_t detail;
};

static void test_malformed_commands(void **state)
{
	struct fake *f = fk_new(mod_small);
	struct bad_case k[40];
	struct rbnn_hw_cqe e;
	unsigned int n = 0, i;
	const uint32_t rb = 16;

#define ADD(w, cmd, st, det) do {					\
		k[n].what = (w); k[n].c = (cmd); k[n].status = (st);	\
		k[n].detail = (det); n++;				\
	} while (0)
#define OFFC(f) ((uint32_t)offsetof(struct rbnn_hw_cmd, f))

	(void)state;
	fk_rings(f, 64, 64);
	{
		struct rbnn_hw_cmd c = cmd_op(0x42, 1);

		ADD("bad opcode", c, RBNN_STATUS_BAD_OPCODE, 0);
		c.flags = 0xff;
		c.rsvd0 = 0xffff;
		c.raw[3] = 1;
		ADD("bad opcode first", c, RBNN_STATUS_BAD_OPCODE, 0);
		c = cmd_op(RBNN_OP_SELF_TEST + 1, 1);
		ADD("opcode 10", c, RBNN_STATUS_BAD_OPCODE, 0);
		c = cmd_op(RBNN_OP_NOP, 1);
		c.rsvd0 = htole16(1);
		ADD("rsvd0", c, RBNN_STATUS_BAD_PARAM, OFFC(rsvd0));
		c = cmd_op(RBNN_OP_NOP, 1);
		c.flags = 0x80;
		ADD("flags", c, RBNN_STATUS_BAD_PARAM, OFFC(flags));
		c = cmd_op(RBNN_OP_FENCE, 1);
		c.raw[20] = 1;
		ADD("fence operands", c, RBNN_STATUS_BAD_PARAM, 28);
		c = cmd_rows(RBNN_OP_PROGRAM_ROWS, 4, 0, 1, DATA_ADDR, rb);
		ADD("tile", c, RBNN_STATUS_BAD_PARAM, OFFC(rows.tile));
		c = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 64, 1, DATA_ADDR, rb);
		ADD("row", c, RBNN_STATUS_BAD_PARAM, OFFC(rows.row));
		c = cmd_rows(RBNN_OP_READ_ROWS, 0, 60, 5, DATA_ADDR, 5 * rb);
		ADD("nrows", c, RBNN_STATUS_BAD_PARAM, OFFC(rows.nrows));
		c = cmd_rows(RBNN_OP_READ_ROWS, 0, 1, 0xffffffff, DATA_ADDR, rb);
		ADD("nrows wrap", c, RBNN_STATUS_BAD_PARAM, OFFC(rows.nrows));
		c = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 0, DATA_ADDR, rb);
		ADD("nrows 0", c, RBNN_STATUS_BAD_PARAM, OFFC(rows.nrows));
		c = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, 1, DATA_ADDR, rb);
		c.rows.current_na = htole32(999);
		ADD("current", c, RBNN_STATUS_BAD_PARAM, OFFC(rows.current_na));
		c = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, 1, DATA_ADDR, rb);
		c.rows.pulse_ns = htole32(10001);
		ADD("pulse", c, RBNN_STATUS_BAD_PARAM, OFFC(rows.pulse_ns));
		c = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, 1, DATA_ADDR, rb);
		c.rows.verify_max = htole16(65);
		ADD("verify", c, RBNN_STATUS_BAD_PARAM, OFFC(rows.verify_max));
		c = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, 1, DATA_ADDR, rb);
		c.rows.rsvd = htole16(1);
		ADD("rows rsvd", c, RBNN_STATUS_BAD_PARAM, OFFC(rows.rsvd));
		c = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, 1, DATA_ADDR, rb);
		c.raw[50] = 1;
		ADD("rows tail", c, RBNN_STATUS_BAD_PARAM, 58);
		c = cmd_rows(RBNN_OP_REFRESH, 0, 0, 1, DATA_ADDR, 0);
		ADD("refresh buf", c, RBNN_STATUS_BAD_PARAM, OFFC(rows.buf));
		c = cmd_rows(RBNN_OP_ERASE_TILE, 0, 3, 0, 0, 0);
		ADD("erase row", c, RBNN_STATUS_BAD_PARAM, OFFC(rows.row));
		c = cmd_rows(RBNN_OP_READ_WEAR, 0, 0, 1, DATA_ADDR, 64 * 8);
		ADD("wear nrows", c, RBNN_STATUS_BAD_PARAM, OFFC(rows.nrows));
		c = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, 2, DATA_ADDR, 2 * rb - 1);
		ADD("buf short", c, RBNN_STATUS_DMA, OFFC(rows.buf));
		c = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 2, DATA_ADDR, 2 * rb - 1);
		ADD("read short", c, RBNN_STATUS_DMA, OFFC(rows.buf));
		c = cmd_rows(RBNN_OP_READ_WEAR, 0, 0, 0, DATA_ADDR, 64 * 8 - 8);
		ADD("wear short", c, RBNN_STATUS_DMA, OFFC(rows.buf));
		c = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 1, MEM_SIZE - 8, rb);
		ADD("beyond memory", c, RBNN_STATUS_DMA, OFFC(rows.buf));
		c = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 1, 0xfffffffffffffff8ull, rb);
		ADD("wraps", c, RBNN_STATUS_DMA, OFFC(rows.buf));
		/* SG lists: entry of length 0, rsvd, too short, too many */
		put_sge(f, DATA_ADDR + 0x100, DATA_ADDR + 0x1000, 8);
		put_sge(f, DATA_ADDR + 0x110, DATA_ADDR + 0x2000, 0);
		c = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 1, DATA_ADDR + 0x100, 8);
		c.rows.buf.nents = htole32(2);
		ADD("sge len 0", c, RBNN_STATUS_DMA, OFFC(rows.buf));
		put_sge(f, DATA_ADDR + 0x200, DATA_ADDR + 0x1000, 8);
		put_sge(f, DATA_ADDR + 0x210, DATA_ADDR + 0x2000, 8);
		f->mem[DATA_ADDR + 0x21c] = 1;
		c = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 1, DATA_ADDR + 0x200, 16);
		c.rows.buf.nents = htole32(2);
		ADD("sge rsvd", c, RBNN_STATUS_DMA, OFFC(rows.buf));
		put_sge(f, DATA_ADDR + 0x300, DATA_ADDR + 0x1000, 8);
		put_sge(f, DATA_ADDR + 0x310, DATA_ADDR + 0x2000, 7);
		c = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 1, DATA_ADDR + 0x300, 16);
		c.rows.buf.nents = htole32(2);
		ADD("sge sum < len", c, RBNN_STATUS_DMA, OFFC(rows.buf));
		c.rows.buf.nents = htole32(f->p.max_sgl + 1);
		ADD("nents > max", c, RBNN_STATUS_DMA, OFFC(rows.buf));
		c.rows.buf.nents = htole32(1);
		c.rows.buf.addr = htole64(MEM_SIZE);
		ADD("sg list beyond memory", c, RBNN_STATUS_DMA, OFFC(rows.buf));
		/* EXEC */
		c = cmd_op(RBNN_OP_EXEC, 1);
		c.exec.batch = htole32(0);
		ADD("batch 0", c, RBNN_STATUS_BAD_PARAM, OFFC(exec.batch));
		c.exec.batch = htole32(f->p.max_batch + 1);
		ADD("batch max", c, RBNN_STATUS_BAD_PARAM, OFFC(exec.batch));
		c.exec.batch = htole32(1);
		c.exec.rsvd = htole32(1);
		ADD("exec rsvd", c, RBNN_STATUS_BAD_PARAM, OFFC(exec.rsvd));
		c.exec.rsvd = 0;
		c.exec.prog.addr = htole64(DATA_ADDR);
		c.exec.prog.len = htole32((1u << 20) + 1);
		ADD("prog > 1 MiB", c, RBNN_STATUS_BAD_PROGRAM, 1u << 20);
		c.exec.prog.len = htole32(64);
		memset(f->mem + DATA_ADDR + 0x8000, 0, 64);
		c.exec.prog.addr = htole64(DATA_ADDR + 0x8000);
		ADD("bad magic", c, RBNN_STATUS_BAD_PROGRAM, 0);
	}
	for (i = 0; i < n; i++) {
		fk_queue(f, &k[i].c);
		fk_doorbell(f);
		if (!fk_pop(f, &e))
			fail_msg("%s: no completion", k[i].what);
		fk_consume(f);
		if (status_of(&e) != k[i].status || le32toh(e.detail) != k[i].detail)
			fail_msg("%s: status %u detail %u, expected %u/%u",
				 k[i].what, status_of(&e), le32toh(e.detail),
				 k[i].status, k[i].detail);
	}
	/* the short buffer programmed nothing, the card is healthy */
	assert_int_equal(rd(f, RBNN_REG_STATUS), RBNN_STS_ENABLED);
	assert_int_equal(rd(f, RBNN_REG_ERROR), 0);
	assert_int_equal(rd64(f, RBNN_REG_PROG_PULSES_LO), 0);
	fk_free(f);
#undef ADD
#undef OFFC
}

/* A one-layer FC program: in C x L bits -> out_c bits, weights in tile 0. */
static size_t make_fc_prog(uint8_t *buf, uint32_t in_c, uint32_t in_l,
			   uint32_t out_c, uint8_t out_mode)
{
	struct rbnn_hw_prog h;
	struct rbnn_hw_layer l;
	struct rbnn_hw_seg s;

	memset(&h, 0, sizeof(h));
	h.magic = htole32(RBNN_PROG_MAGIC);
	h.version = htole16(RBNN_PROG_VERSION);
	h.nlayers = htole16(1);
	h.in_channels = htole32(in_c);
	h.in_length = htole32(in_l);
	h.in_bits = 1;
	memset(&l, 0, sizeof(l));
	l.op = RBNN_LAYER_FC;
	l.out_mode = out_mode;
	l.in_channels = htole32(in_c);
	l.out_channels = htole32(out_c);
	l.in_length = htole32(in_l);
	l.out_length = htole32(1);
	l.nsegs = htole32(1);
	l.seg_offset = htole32(96);
	memset(&s, 0, sizeof(s));
	s.tile = 0;
	s.row = 0;
	s.out_first = 0;
	s.out_count = htole16((uint16_t)out_c);
	s.block = 0;
	memcpy(buf, &h, 32);
	memcpy(buf + 32, &l, 64);
	memcpy(buf + 96, &s, 16);
	return 112;
}

static void test_exec_fc(void **state)
{
	struct fake *f = fk_new(mod_small);
	const uint32_t out_c = 8, n = 100, batch = 5;
	uint8_t w[8][16], x[5][16];
	struct rbnn_hw_cmd c;
	struct rbnn_hw_cqe e;
	size_t plen;
	uint32_t b, o, k;

	(void)state;
	fk_rings(f, 8, 8);
	fill_random(&w[0][0], sizeof(w));
	fill_random(&x[0][0], sizeof(x));
	memcpy(f->mem + DATA_ADDR, w, sizeof(w));
	c = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, out_c, DATA_ADDR, sizeof(w));
	e = fk_do(f, &c);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);

	plen = make_fc_prog(f->mem + DATA_ADDR + 0x1000, 4, 25, out_c,
			    RBNN_OUT_SCORES);
	memcpy(f->mem + DATA_ADDR + 0x2000, x, sizeof(x));
	c = cmd_op(RBNN_OP_EXEC, 9);
	c.exec.prog.addr = htole64(DATA_ADDR + 0x1000);
	c.exec.prog.len = htole32((uint32_t)plen);
	c.exec.in.addr = htole64(DATA_ADDR + 0x2000);
	c.exec.in.len = htole32(batch * 16);
	c.exec.out.addr = htole64(DATA_ADDR + 0x3000);
	c.exec.out.len = htole32(batch * 32);
	c.exec.batch = htole32(batch);
	e = fk_do(f, &c);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	for (b = 0; b < batch; b++) {
		for (o = 0; o < out_c; o++) {
			int32_t s = 0, got;

			for (k = 0; k < n; k++) {
				int wb = (w[o][k / 8] >> (k % 8)) & 1;
				int xb = (x[b][k / 8] >> (k % 8)) & 1;

				s += wb == xb ? 1 : -1;
			}
			memcpy(&got, f->mem + DATA_ADDR + 0x3000 + b * 32 + o * 4, 4);
			assert_int_equal((int32_t)le32toh((uint32_t)got), s);
		}
	}
	/* output too small: DMA, nothing written */
	memset(f->mem + DATA_ADDR + 0x3000, 0xaa, 256);
	c.exec.out.len = htole32(batch * 32 - 1);
	e = fk_do(f, &c);
	assert_int_equal(status_of(&e), RBNN_STATUS_DMA);
	assert_int_equal(le32toh(e.detail), offsetof(struct rbnn_hw_cmd, exec.out));
	assert_int_equal(f->mem[DATA_ADDR + 0x3000], 0xaa);
	/* malformed layer: FC with a kernel -> detail = layer offset */
	f->mem[DATA_ADDR + 0x1000 + 32 + 20] = 3;
	c.exec.out.len = htole32(batch * 32);
	e = fk_do(f, &c);
	assert_int_equal(status_of(&e), RBNN_STATUS_BAD_PROGRAM);
	assert_int_equal(le32toh(e.detail), 32);
	fk_free(f);
}

/* ---- tests: commands computed in slices --------------------------------- */

#define SL_OUT_C	8u
#define SL_BATCH	40u
#define SL_PROG		(DATA_ADDR + 0x1000)
#define SL_IN		(DATA_ADDR + 0x2000)
#define SL_OUT		(DATA_ADDR + 0x8000)

static void mod_slices(struct rbnn_params *p)
{
	p->tiles = 4;
	p->rows = 64;
	p->cols = 128;
	p->error_model = true;
	p->read_ber = 0.01;	/* sense errors inside the slices' reads */
	p->e_read_fj = 0.37;	/* costs whose sums depend on their order */
	p->t_read_ns = 1.3;
	p->seed = 77;
}

static void mod_slices_exact(struct rbnn_params *p)
{
	mod_slices(p);
	p->read_ber = 0;	/* no transient sense errors */
}

static void mod_slices_modeled(struct rbnn_params *p)
{
	mod_slices(p);
	p->timing = 1;
}

/* Program 8 FC rows, load an FC program and SL_BATCH random items. */
static struct rbnn_hw_cmd sl_setup(struct fake *f)
{
	uint8_t w[SL_OUT_C][16], x[SL_BATCH][16];
	struct rbnn_hw_cmd c;
	struct rbnn_hw_cqe e;
	size_t plen;

	fk_rings(f, 8, 8);
	rng_state = 0x1234567ull;
	fill_random(&w[0][0], sizeof(w));
	fill_random(&x[0][0], sizeof(x));
	memcpy(f->mem + DATA_ADDR, w, sizeof(w));
	c = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, SL_OUT_C, DATA_ADDR, sizeof(w));
	fk_queue(f, &c);
	fk_doorbell(f);
	if (f->p.timing)
		fk_advance(f, 1000000000);
	assert_true(fk_pop(f, &e));
	fk_consume(f);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	plen = make_fc_prog(f->mem + SL_PROG, 4, 25, SL_OUT_C, RBNN_OUT_SCORES);
	memcpy(f->mem + SL_IN, x, sizeof(x));
	memset(f->mem + SL_OUT, 0xee, SL_BATCH * 32);
	c = cmd_op(RBNN_OP_EXEC, 0x5e);
	c.exec.prog.addr = htole64(SL_PROG);
	c.exec.prog.len = htole32((uint32_t)plen);
	c.exec.in.addr = htole64(SL_IN);
	c.exec.in.len = htole32(SL_BATCH * 16);
	c.exec.out.addr = htole64(SL_OUT);
	c.exec.out.len = htole32(SL_BATCH * 32);
	c.exec.batch = htole32(SL_BATCH);
	return c;
}

static uint8_t *dev_state(struct fake *f, size_t *n)
{
	uint8_t *buf;

	*n = rbnn_dev_state_size(f->d);
	buf = malloc(*n);
	assert_non_null(buf);
	rbnn_dev_save(f->d, buf);
	return buf;
}

/* Doorbell without running the work: the test drives the slices. */
static void sl_submit(struct fake *f, const struct rbnn_hw_cmd *c)
{
	fk_queue(f, c);
	wr(f, RBNN_REG_SQ_TAIL, f->sq_tail);
	f->kicks = 0;
}

/*
 * The same EXEC (and a READ_ROWS after it) one-shot on card A and in
 * slices of any budget on card B: the same completions (status, modeled
 * time and energy), outputs, counters and device state, random draws of
 * the error model included. While B computes: BUSY, PROGRESS rising,
 * the state cannot be saved usefully.
 */
static void test_exec_sliced(void **state)
{
	static const uint64_t budgets[] = { 0, 1, 5, 99, 1000, 100000 };
	unsigned int bi;

	(void)state;
	for (bi = 0; bi < sizeof(budgets) / sizeof(budgets[0]); bi++) {
		struct fake *a = fk_new(mod_slices), *b = fk_new(mod_slices);
		struct rbnn_hw_cmd c = sl_setup(a), r;
		struct rbnn_hw_cqe ea, eb, ra, rb;
		uint32_t prog = 0, p;
		unsigned int slices = 0;
		uint8_t *sa, *sb;
		size_t na, nb;

		sl_setup(b);
		r = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, SL_OUT_C, DATA_ADDR + 0x10000,
			     SL_OUT_C * 16);
		fk_queue(a, &c);
		fk_queue(a, &r);
		fk_doorbell(a);
		assert_true(fk_pop(a, &ea));
		assert_true(fk_pop(a, &ra));
		fk_consume(a);

		fk_queue(b, &c);
		sl_submit(b, &r);
		while (rbnn_dev_work_slice(b->d, budgets[bi])) {
			slices++;
			assert_true(slices < 1000000);
			/* the EXEC is computed; then the READ_ROWS */
			if (!rbnn_dev_computing(b->d) ||
			    rd64(b, RBNN_REG_CMDS_DONE_LO) != 1)
				continue;
			assert_true(rd(b, RBNN_REG_STATUS) & RBNN_STS_BUSY);
			p = rd(b, RBNN_REG_PROGRESS);
			assert_true(p >= prog);
			prog = p;
			assert_false(fk_pop(b, NULL));
		}
		assert_false(rbnn_dev_computing(b->d));
		assert_int_equal(b->kicks, 0);
		if (budgets[bi] < 100000)
			assert_true(slices > 10);
		assert_true(prog > 0 || budgets[bi] >= 100000);
		assert_true(fk_pop(b, &eb));
		assert_true(fk_pop(b, &rb));
		fk_consume(b);
		assert_int_equal(status_of(&eb), RBNN_STATUS_OK);
		assert_memory_equal(&ea, &eb, sizeof(ea));
		assert_memory_equal(&ra, &rb, sizeof(ra));
		assert_memory_equal(a->mem + SL_OUT, b->mem + SL_OUT,
				    SL_BATCH * 32);
		assert_memory_equal(a->mem + DATA_ADDR + 0x10000,
				    b->mem + DATA_ADDR + 0x10000, SL_OUT_C * 16);
		assert_int_equal(rd(a, RBNN_REG_PROGRESS),
				 rd(b, RBNN_REG_PROGRESS));
		sa = dev_state(a, &na);
		sb = dev_state(b, &nb);
		assert_int_equal(na, nb);
		assert_memory_equal(sa, sb, na);
		free(sa);
		free(sb);
		fk_free(a);
		fk_free(b);
	}
}

/*
 * Row commands (PROGRAM_ROWS with verify at a low current, READ_ROWS,
 * REFRESH, ERASE_TILE) computed row by row in slices: the same
 * completions, data and device state as one-shot.
 */
static void test_rows_sliced(void **state)
{
	static const uint64_t budgets[] = { 1, 37, 5000 };
	enum { N = 48, RB = 16 };
	unsigned int bi, i;

	(void)state;
	for (bi = 0; bi < sizeof(budgets) / sizeof(budgets[0]); bi++) {
		struct fake *a = fk_new(mod_slices), *b = fk_new(mod_slices);
		struct fake *f[2] = { a, b };
		struct rbnn_hw_cmd cmds[6];
		struct rbnn_hw_cqe ea, eb;
		uint8_t *sa, *sb;
		size_t na, nb;
		unsigned int k, slices = 0;

		cmds[0] = cmd_rows(RBNN_OP_PROGRAM_ROWS, 1, 3, N, DATA_ADDR,
				   N * RB);
		cmds[0].flags = RBNN_CMD_F_VERIFY;
		cmds[0].rows.current_na = htole32(20000);
		cmds[0].rows.verify_max = htole16(16);
		cmds[1] = cmd_rows(RBNN_OP_READ_ROWS, 1, 3, N, DATA_ADDR + 0x10000,
				   N * RB);
		cmds[2] = cmd_rows(RBNN_OP_REFRESH, 1, 0, 64, 0, 0);
		cmds[3] = cmd_rows(RBNN_OP_ERASE_TILE, 1, 0, 0, 0, 0);
		cmds[4] = cmd_rows(RBNN_OP_READ_ROWS, 1, 0, 64, DATA_ADDR + 0x20000,
				   64 * RB);
		cmds[5] = cmd_rows(RBNN_OP_PROGRAM_ROWS, 1, 50, 8, DATA_ADDR,
				   8 * RB - 1);	/* too short: DMA, nothing done */
		for (k = 0; k < 2; k++) {
			fk_rings(f[k], 8, 8);
			rng_state = 0xfeedull;
			fill_random(f[k]->mem + DATA_ADDR, N * RB);
			memset(f[k]->mem + DATA_ADDR + 0x20000, 0x77, 64 * RB);
		}
		for (i = 0; i < 6; i++) {
			fk_queue(a, &cmds[i]);
			fk_doorbell(a);
			assert_true(fk_pop(a, &ea));
			fk_consume(a);
			sl_submit(b, &cmds[i]);
			while (rbnn_dev_work_slice(b->d, budgets[bi])) {
				slices++;
				assert_true(rd(b, RBNN_REG_STATUS) & RBNN_STS_BUSY);
			}
			assert_true(fk_pop(b, &eb));
			fk_consume(b);
			assert_memory_equal(&ea, &eb, sizeof(ea));
		}
		assert_int_equal(le16toh(ea.status), RBNN_STATUS_DMA);
		if (budgets[bi] < 5000)
			assert_true(slices > 6 * 10);
		assert_memory_equal(a->mem + DATA_ADDR + 0x10000,
				    b->mem + DATA_ADDR + 0x10000, N * RB);
		assert_memory_equal(a->mem + DATA_ADDR + 0x20000,
				    b->mem + DATA_ADDR + 0x20000, 64 * RB);
		/* the erased tile reads 0 but for sense errors (read_ber 1 %) */
		for (k = 0, i = 0; i < 64 * RB; i++)
			k += (unsigned int)__builtin_popcount(
				b->mem[DATA_ADDR + 0x20000 + i]);
		assert_true(k > 0 && k < 64 * RB * 8 / 20);
		sa = dev_state(a, &na);
		sb = dev_state(b, &nb);
		assert_int_equal(na, nb);
		assert_memory_equal(sa, sb, na);
		free(sa);
		free(sb);
		fk_free(a);
		fk_free(b);
	}
}

static void mod_big_modeled(struct rbnn_params *p)
{
	p->tiles = 1;
	p->rows = 1024;
	p->cols = 1024;
	p->timing = 1;
}

/*
 * A timer callback posts the due completion and fetches the next command
 * at that exact time, but computes a long one only for a bounded budget:
 * the rest waits for a kick (the embedding's work slices).
 */
static void test_timer_bounded(void **state)
{
	struct fake *f = fk_new(mod_big_modeled);
	struct rbnn_hw_cmd nop = cmd_op(RBNN_OP_NOP, 1);
	struct rbnn_hw_cmd rr = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 1024,
					 DATA_ADDR, 1024 * 128);
	struct rbnn_hw_cqe e;
	uint64_t due;

	(void)state;
	fk_rings(f, 8, 8);
	fk_queue(f, &nop);
	fk_queue(f, &rr);
	fk_doorbell(f);
	assert_true(rd(f, RBNN_REG_STATUS) & RBNN_STS_BUSY);
	assert_false(rbnn_dev_computing(f->d));
	due = f->timer;
	assert_true(due != UINT64_MAX);
	f->now = due;
	f->timer = UINT64_MAX;
	f->kicks = 0;
	rbnn_dev_timer(f->d);
	assert_true(fk_pop(f, &e));		/* the NOP, at its time */
	assert_int_equal(le32toh(e.tag), 1);
	assert_true(rbnn_dev_computing(f->d));	/* READ_ROWS fetched ... */
	assert_true(f->kicks > 0);		/* ... and left to work calls */
	assert_int_equal(rd(f, RBNN_REG_SQ_HEAD), 2);
	fk_run(f);
	assert_false(rbnn_dev_computing(f->d));
	assert_false(fk_pop(f, NULL));		/* modeled time not over */
	fk_advance(f, 100000000);
	assert_true(fk_pop(f, &e));
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	assert_int_equal(le32toh(e.tag), le32toh(rr.tag));
	fk_free(f);
}

/*
 * CONTROL.RESET between slices abandons the EXEC: not busy, no
 * completion or DMA after it, counters untouched but PROGRESS kept, the
 * state saveable again; the card then runs the same EXEC to the right
 * results. A state saved while computing does not load.
 */
static void test_exec_sliced_reset(void **state)
{
	struct fake *f = fk_new(mod_slices_exact), *g = fk_new(mod_slices_exact);
	struct rbnn_hw_cmd c = sl_setup(f);
	struct rbnn_hw_cqe e;
	uint8_t *mid, *st;
	size_t nmid, nst;
	uint32_t prog;
	int i;

	(void)state;
	sl_setup(g);
	sl_submit(f, &c);
	for (i = 0; i < 30; i++)
		assert_true(rbnn_dev_work_slice(f->d, 200));
	assert_true(rbnn_dev_computing(f->d));
	prog = rd(f, RBNN_REG_PROGRESS);
	assert_true(prog > 0);
	/* some items are out already, the rest untouched */
	assert_true(f->mem[SL_OUT + (SL_BATCH - 1) * 32] == 0xee);
	mid = dev_state(f, &nmid);
	assert_int_not_equal(rbnn_dev_load(g->d, mid, nmid, NULL, 0), 0);
	free(mid);

	wr(f, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
	assert_false(rbnn_dev_computing(f->d));
	assert_int_equal(rd(f, RBNN_REG_STATUS), 0);
	assert_int_equal(rd(f, RBNN_REG_RESETS), 1);
	assert_true(rd(f, RBNN_REG_PROGRESS) >= prog);
	memset(f->mem + SL_OUT, 0xee, SL_BATCH * 32);
	assert_false(rbnn_dev_work_slice(f->d, 1000000));
	fk_advance(f, 1000000);
	assert_false(fk_pop(f, NULL));
	assert_int_equal(f->mem[SL_OUT], 0xee);
	assert_int_equal(rd64(f, RBNN_REG_CMDS_DONE_LO), 1);
	assert_int_equal(rd64(f, RBNN_REG_CELL_READS_LO), 0);
	st = dev_state(f, &nst);
	assert_int_equal(rbnn_dev_load(g->d, st, nst, NULL, 0), 0);
	free(st);

	/* the card works afterwards: the outputs of an exact card */
	fk_rings(f, 8, 8);
	e = fk_do(f, &c);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	fk_free(g);
	g = fk_new(mod_small);
	c = sl_setup(g);
	e = fk_do(g, &c);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	assert_memory_equal(f->mem + SL_OUT, g->mem + SL_OUT, SL_BATCH * 32);
	fk_free(f);
	fk_free(g);
}

/*
 * timing=modeled: the completion is due time_ns after the fetch; a
 * command whose computing took longer (in virtual time) completes as soon
 * as it is computed. PROGRESS never goes backwards from what it showed
 * while computing to the modeled interpolation.
 */
static void test_exec_sliced_modeled(void **state)
{
	struct fake *a = fk_new(mod_slices_modeled), *b = fk_new(mod_slices_modeled);
	struct rbnn_hw_cmd c = sl_setup(a);
	struct rbnn_hw_cqe ea, eb;
	uint32_t prog = 0, p;
	uint64_t t0;

	(void)state;
	sl_setup(b);
	/* A: one-shot, completion exactly time_ns after the fetch */
	fk_advance(a, 1000);
	t0 = a->now;
	fk_queue(a, &c);
	fk_doorbell(a);
	assert_false(fk_pop(a, NULL));
	assert_true(a->timer > t0);
	fk_advance(a, a->timer - a->now);
	assert_true(fk_pop(a, &ea));

	/* B: computed in slices while the clock runs far past that */
	fk_advance(b, 1000);
	sl_submit(b, &c);
	while (rbnn_dev_work_slice(b->d, 300)) {
		p = rd(b, RBNN_REG_PROGRESS);
		assert_true(p >= prog);
		prog = p;
		b->now += 1000000;
		assert_false(fk_pop(b, NULL));
	}
	p = rd(b, RBNN_REG_PROGRESS);
	assert_true(p >= prog);
	assert_true(fk_pop(b, &eb));
	assert_memory_equal(&ea, &eb, sizeof(ea));
	assert_memory_equal(a->mem + SL_OUT, b->mem + SL_OUT, SL_BATCH * 32);
	fk_free(a);
	fk_free(b);
}

/* ---- tests: faults ----------------------------------------------------- */

static void test_fault_hang(void **state)
{
	struct fake *f = fk_new(NULL);
	struct rbnn_hw_cmd c = cmd_op(RBNN_OP_NOP, 5);
	struct rbnn_hw_cqe e;
	uint32_t prog;

	(void)state;
	fk_rings(f, 8, 8);
	e = fk_do(f, &c);
	prog = rd(f, RBNN_REG_PROGRESS);
	assert_true(prog >= 1);
	wr(f, RBNN_REG_FAULT, RBNN_FAULT_HANG);
	fk_queue(f, &c);
	fk_queue(f, &c);
	fk_doorbell(f);
	fk_advance(f, 1000000000);
	assert_false(fk_pop(f, &e));
	assert_int_equal(rd(f, RBNN_REG_SQ_HEAD), 2);	/* 2nd not fetched */
	assert_true(rd(f, RBNN_REG_STATUS) & RBNN_STS_BUSY);
	assert_int_equal(rd(f, RBNN_REG_PROGRESS), prog);
	assert_int_equal(rd(f, RBNN_REG_FAULT), 0);
	wr(f, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
	assert_int_equal(rd(f, RBNN_REG_STATUS), 0);
	assert_int_equal(rd(f, RBNN_REG_PROGRESS), prog);
	fk_rings(f, 8, 8);
	e = fk_do(f, &c);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	fk_free(f);
}

static void mod_periodic(struct rbnn_params *p)
{
	p->fault_hang_cmd = 6;
	p->fault_dma_every = 2;
	p->fault_irq_every = 3;
	p->debug = false;
	p->tiles = 2;
	p->rows = 16;
	p->cols = 64;
}

static void test_fault_periodic(void **state)
{
	struct fake *f = fk_new(mod_periodic);
	struct rbnn_hw_cmd rd_cmd = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 1,
					     DATA_ADDR, 8);
	struct rbnn_hw_cmd nop = cmd_op(RBNN_OP_NOP, 1);
	struct rbnn_hw_cqe e;

	(void)state;
	fk_rings(f, 8, 8);
	/* data-DMA commands 1, 2, 3, 4: the 2nd and 4th fail */
	e = fk_do(f, &rd_cmd);				/* cmd 1 */
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	e = fk_do(f, &nop);				/* cmd 2, no DMA */
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	e = fk_do(f, &rd_cmd);				/* cmd 3 */
	assert_int_equal(status_of(&e), RBNN_STATUS_DMA);
	e = fk_do(f, &rd_cmd);				/* cmd 4 */
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	e = fk_do(f, &rd_cmd);				/* cmd 5 */
	assert_int_equal(status_of(&e), RBNN_STATUS_DMA);
	/* messages 1..5 sent; every 3rd dropped */
	assert_int_equal(f->irqs[0], 4);
	/* the 6th command hangs */
	fk_queue(f, &nop);
	fk_doorbell(f);
	assert_false(fk_pop(f, &e));
	assert_true(rd(f, RBNN_REG_STATUS) & RBNN_STS_BUSY);
	wr(f, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
	fk_rings(f, 8, 8);
	e = fk_do(f, &nop);				/* cmd 7 */
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	fk_free(f);
}

static void test_fault_dma_oneshot(void **state)
{
	struct fake *f = fk_new(mod_small);
	struct rbnn_hw_cmd rd_cmd = cmd_rows(RBNN_OP_READ_ROWS, 0, 0, 1,
					     DATA_ADDR, 16);
	struct rbnn_hw_cmd nop = cmd_op(RBNN_OP_NOP, 1);
	struct rbnn_hw_cqe e;

	(void)state;
	fk_rings(f, 8, 8);
	wr(f, RBNN_REG_FAULT, RBNN_FAULT_DMA);
	e = fk_do(f, &nop);		/* no data DMA: unaffected */
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	assert_int_equal(rd(f, RBNN_REG_FAULT), RBNN_FAULT_DMA);
	e = fk_do(f, &rd_cmd);
	assert_int_equal(status_of(&e), RBNN_STATUS_DMA);
	assert_int_equal(rd(f, RBNN_REG_FAULT), 0);
	e = fk_do(f, &rd_cmd);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	fk_free(f);
}

static void test_stuck_and_age(void **state)
{
	struct fake *f = fk_new(mod_small);
	struct rbnn_hw_cmd c;
	struct rbnn_hw_cqe e;
	unsigned int errs;

	(void)state;
	fk_rings(f, 8, 8);
	memset(f->mem + DATA_ADDR, 0, 16);
	wr(f, RBNN_REG_STUCK_TILE, 1);
	wr(f, RBNN_REG_STUCK_ROW, 3);
	wr(f, RBNN_REG_STUCK_COL, 77);
	wr(f, RBNN_REG_STUCK_CMD, RBNN_STUCK_CMD_AT1);
	c = cmd_rows(RBNN_OP_PROGRAM_ROWS, 1, 3, 1, DATA_ADDR, 16);
	e = fk_do(f, &c);
	c = cmd_rows(RBNN_OP_READ_ROWS, 1, 3, 1, DATA_ADDR + 0x100, 16);
	e = fk_do(f, &c);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	assert_int_equal(f->mem[DATA_ADDR + 0x100 + 77 / 8], 1u << (77 % 8));
	wr(f, RBNN_REG_TILE_SEL, 1);
	assert_int_equal(rd(f, RBNN_REG_TILE_STUCK), 1);
	/* heal, reprogram */
	wr(f, RBNN_REG_STUCK_CMD, RBNN_STUCK_CMD_CLEAR);
	c = cmd_rows(RBNN_OP_PROGRAM_ROWS, 1, 3, 1, DATA_ADDR, 16);
	e = fk_do(f, &c);
	c = cmd_rows(RBNN_OP_READ_ROWS, 1, 3, 1, DATA_ADDR + 0x100, 16);
	e = fk_do(f, &c);
	assert_int_equal(f->mem[DATA_ADDR + 0x100 + 77 / 8], 0);
	/* out of range cell / bad command: guest errors only */
	errs = f->errors;
	wr(f, RBNN_REG_STUCK_COL, 128);
	wr(f, RBNN_REG_STUCK_CMD, RBNN_STUCK_CMD_AT0);
	wr(f, RBNN_REG_STUCK_CMD, 7);
	assert_int_equal(f->errors, errs + 2);
	/* age */
	assert_int_equal(rd64(f, RBNN_REG_AGE_S_LO), 0);
	wr(f, RBNN_REG_AGE_ADVANCE_S, 3600);
	wr(f, RBNN_REG_AGE_ADVANCE_S, 0xffffffff);
	assert_true(rd64(f, RBNN_REG_AGE_S_LO) == 3600ull + 0xffffffffull);
	fk_free(f);
}

/* ---- tests: timing, reset, counters ------------------------------------ */

static void test_modeled_timing(void **state)
{
	struct fake *f = fk_new(mod_modeled);
	struct rbnn_hw_cmd c;
	struct rbnn_hw_cqe e;
	uint32_t p0, p1, p2;
	uint64_t t;

	(void)state;
	fk_rings(f, 8, 8);
	fill_random(f->mem + DATA_ADDR, 256 * 32);
	c = cmd_rows(RBNN_OP_PROGRAM_ROWS, 0, 0, 256, DATA_ADDR, 256 * 32);
	p0 = rd(f, RBNN_REG_PROGRESS);
	fk_queue(f, &c);
	fk_doorbell(f);
	assert_true(rd(f, RBNN_REG_STATUS) & RBNN_STS_BUSY);
	assert_false(fk_pop(f, NULL));
	assert_true(f->timer != UINT64_MAX);
	t = f->timer - f->now;
	assert_true(t > 1000);
	fk_advance(f, t / 2);
	p1 = rd(f, RBNN_REG_PROGRESS);
	assert_true(p1 > p0);
	assert_false(fk_pop(f, NULL));
	fk_advance(f, t / 4);
	p2 = rd(f, RBNN_REG_PROGRESS);
	assert_true(p2 > p1);
	fk_advance(f, t);
	assert_true(fk_pop(f, &e));
	assert_int_equal(le64toh(e.time_ns), t);
	assert_false(rd(f, RBNN_REG_STATUS) & RBNN_STS_BUSY);
	assert_true(rd(f, RBNN_REG_PROGRESS) >= p0 + 257);
	assert_true(rd64(f, RBNN_REG_BUSY_NS_LO) == t);
	fk_free(f);
}

static void test_reset_midway(void **state)
{
	struct fake *f = fk_new(mod_modeled);
	struct rbnn_hw_cmd c;
	struct rbnn_hw_cqe e;
	uint8_t data[64 * 32];
	uint64_t energy;

	(void)state;
	fk_rings(f, 8, 8);
	fill_random(data, sizeof(data));
	memcpy(f->mem + DATA_ADDR, data, sizeof(data));
	c = cmd_rows(RBNN_OP_PROGRAM_ROWS, 3, 10, 64, DATA_ADDR, sizeof(data));
	fk_queue(f, &c);
	fk_doorbell(f);
	fk_advance(f, 1000);
	assert_true(rd(f, RBNN_REG_STATUS) & RBNN_STS_BUSY);
	energy = rd64(f, RBNN_REG_ENERGY_PJ_LO);
	wr(f, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
	assert_int_equal(f->timer, UINT64_MAX);
	assert_int_equal(rd(f, RBNN_REG_STATUS), 0);
	fk_advance(f, 100000000);
	assert_false(fk_pop(f, NULL));
	assert_true(rd64(f, RBNN_REG_ENERGY_PJ_LO) == energy);
	/* RRAM survived: read it back */
	fk_rings(f, 8, 8);
	c = cmd_rows(RBNN_OP_READ_ROWS, 3, 10, 64, DATA_ADDR + 0x10000,
		     sizeof(data));
	fk_queue(f, &c);
	fk_doorbell(f);
	fk_advance(f, 100000000);
	assert_true(fk_pop(f, &e));
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	assert_memory_equal(f->mem + DATA_ADDR + 0x10000, data, sizeof(data));
	fk_free(f);
}

static void test_counters_latch(void **state)
{
	struct fake *f = fk_new(NULL);
	struct rbnn_hw_cmd c = cmd_op(RBNN_OP_NOP, 1);
	struct rbnn_hw_cqe e;
	uint64_t sum_e = 0, sum_t = 0;
	int i;

	(void)state;
	fk_rings(f, 8, 8);
	for (i = 0; i < 5; i++) {
		e = fk_do(f, &c);
		sum_e += le64toh(e.energy_pj);
		sum_t += le64toh(e.time_ns);
	}
	assert_true(rd64(f, RBNN_REG_ENERGY_PJ_LO) == sum_e);
	assert_true(rd64(f, RBNN_REG_BUSY_NS_LO) == sum_t);
	assert_true(rd64(f, RBNN_REG_CMDS_DONE_LO) == 5);
	/* HI returns the value latched by the last LO read */
	wr(f, RBNN_REG_AGE_ADVANCE_S, 0xffffffff);
	wr(f, RBNN_REG_AGE_ADVANCE_S, 2);
	assert_int_equal(rd(f, RBNN_REG_AGE_S_HI), 0);
	assert_int_equal(rd(f, RBNN_REG_AGE_S_LO), 1);
	assert_int_equal(rd(f, RBNN_REG_AGE_S_HI), 1);
	fk_free(f);
}

/* ---- tests: scrub counts ------------------------------------------------ */

static void mod_scrub(struct rbnn_params *p)
{
	p->error_model = true;
	p->read_ber = 0;
	p->timing = 1;
	p->tiles = 4;
	p->rows = 64;
	p->cols = 128;
	p->seed = 11;
}

/* Run the queued commands to completion under modeled timing. */
static struct rbnn_hw_cqe fk_do_modeled(struct fake *f,
					const struct rbnn_hw_cmd *c)
{
	struct rbnn_hw_cqe e;

	fk_queue(f, c);
	fk_doorbell(f);
	fk_advance(f, 1000000000);
	if (!fk_pop(f, &e))
		fail_msg("no completion for opcode %u", c->opcode);
	fk_consume(f);
	return e;
}

/*
 * REFRESH reports the weak cells of its margin reads in the CQE's aux
 * field, and the card adds them to SCRUB_WEAK and to the tile's
 * TILE_SCRUB_WEAK when the completion is posted. The counts are the
 * array model's (the same operations on a bare array with the same seed),
 * they survive CONTROL.RESET and migration, and power-on clears them.
 */
static void test_scrub_counts(void **state)
{
	struct fake *f = fk_new(mod_scrub), *g;
	struct rbnn_params p;
	struct rbnn_array *ref;
	struct rbnn_prog_opts o = { .current_ua = 25 };
	struct rbnn_prog_result res;
	struct rbnn_hw_cmd c;
	struct rbnn_hw_cqe e;
	uint64_t *bits, want[2], total;
	uint32_t k, t;
	size_t n;
	uint8_t *blob;

	(void)state;
	p = f->p;
	ref = rbnn_array_new(&p);
	assert_non_null(ref);
	fk_rings(f, 8, 8);
	fill_random(f->mem + DATA_ADDR, 64 * 16);
	bits = malloc(64 * 16);
	assert_non_null(bits);
	for (k = 0; k < 64 * 2; k++) {
		uint64_t v;

		memcpy(&v, f->mem + DATA_ADDR + 8 * k, 8);
		bits[k] = le64toh(v);
	}

	/* Nothing programmed: nothing weak. */
	c = cmd_rows(RBNN_OP_REFRESH, 2, 0, 64, 0, 0);
	e = fk_do_modeled(f, &c);
	rbnn_array_refresh(ref, 2, 0, 64, &res, NULL);
	assert_int_equal(status_of(&e), RBNN_STATUS_OK);
	assert_int_equal(le32toh(e.aux), 0);
	assert_true(rd64(f, RBNN_REG_SCRUB_WEAK_LO) == 0);

	/* Weakly programmed rows in tiles 1 and 3, aged a year. */
	for (t = 1; t < 4; t += 2) {
		c = cmd_rows(RBNN_OP_PROGRAM_ROWS, t, 0, 64, DATA_ADDR, 64 * 16);
		c.rows.current_na = htole32(25000);
		e = fk_do_modeled(f, &c);
		assert_int_equal(status_of(&e), RBNN_STATUS_OK);
		assert_int_equal(le32toh(e.aux), 0);	/* not a REFRESH */
		rbnn_array_program(ref, t, 0, 64, bits, &o, NULL, NULL);
	}
	wr(f, RBNN_REG_AGE_ADVANCE_S, 365 * 86400);
	rbnn_array_advance_age(ref, 365 * 86400);

	for (k = 0; k < 2; k++) {
		t = 1 + 2 * k;
		rbnn_array_refresh(ref, t, 5, 40, &res, NULL);
		want[k] = res.weak;
		c = cmd_rows(RBNN_OP_REFRESH, t, 5, 40, 0, 0);
		fk_queue(f, &c);
		fk_doorbell(f);
		/* In flight: the counters wait for the completion. */
		assert_true(rd(f, RBNN_REG_STATUS) & RBNN_STS_BUSY);
		assert_true(rd64(f, RBNN_REG_SCRUB_WEAK_LO) ==
			    (k ? want[0] : 0));
		fk_advance(f, 1000000000);
		assert_true(fk_pop(f, &e));
		fk_consume(f);
		assert_true(status_of(&e) == RBNN_STATUS_OK ||
			    status_of(&e) == RBNN_STATUS_VERIFY);
		assert_int_equal(le32toh(e.aux), want[k]);
		assert_true(want[k] > 40 * 128 / 50);	/* ~10 % at 25 uA */
	}
	total = want[0] + want[1];
	assert_true(rd64(f, RBNN_REG_SCRUB_WEAK_LO) == total);
	wr(f, RBNN_REG_TILE_SEL, 1);
	assert_int_equal(rd(f, RBNN_REG_TILE_SCRUB_WEAK), want[0]);
	wr(f, RBNN_REG_TILE_SEL, 3);
	assert_int_equal(rd(f, RBNN_REG_TILE_SCRUB_WEAK), want[1]);
	wr(f, RBNN_REG_TILE_SEL, 0);
	assert_int_equal(rd(f, RBNN_REG_TILE_SCRUB_WEAK), 0);
	k = f->errors;
	wr(f, RBNN_REG_TILE_SEL, 4);	/* out of range: the window reads 0 */
	assert_int_equal(rd(f, RBNN_REG_TILE_SCRUB_WEAK), 0);
	wr(f, RBNN_REG_SCRUB_WEAK_LO, 7);	/* read-only */
	wr(f, RBNN_REG_TILE_SCRUB_WEAK, 7);
	assert_int_equal(f->errors, k + 3);
	assert_true(rd64(f, RBNN_REG_SCRUB_WEAK_LO) == total);

	/* The rows were re-programmed with verify: a second scrub finds
	 * only what did not verify. */
	c = cmd_rows(RBNN_OP_REFRESH, 1, 5, 40, 0, 0);
	rbnn_array_refresh(ref, 1, 5, 40, &res, NULL);
	e = fk_do_modeled(f, &c);
	assert_int_equal(le32toh(e.aux), res.weak);
	assert_true(res.weak < want[0] / 10);
	total += res.weak;

	/* A hung REFRESH aborted by a reset adds nothing. */
	wr(f, RBNN_REG_FAULT, RBNN_FAULT_HANG);
	c = cmd_rows(RBNN_OP_REFRESH, 3, 0, 64, 0, 0);
	fk_queue(f, &c);
	fk_doorbell(f);
	assert_true(rd(f, RBNN_REG_STATUS) & RBNN_STS_BUSY);

	/* Kept by CONTROL.RESET, and by migration. */
	wr(f, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
	assert_true(rd64(f, RBNN_REG_SCRUB_WEAK_LO) == total);
	g = fk_new(mod_scrub);
	n = rbnn_dev_state_size(f->d);
	blob = malloc(n);
	assert_non_null(blob);
	rbnn_dev_save(f->d, blob);
	assert_int_equal(rbnn_dev_load(g->d, blob, n, NULL, 0), 0);
	assert_true(rd64(g, RBNN_REG_SCRUB_WEAK_LO) == total);
	wr(g, RBNN_REG_TILE_SEL, 3);
	assert_int_equal(rd(g, RBNN_REG_TILE_SCRUB_WEAK), want[1]);
	free(blob);
	fk_free(g);

	/* Power-on clears them (the array keeps its data and wear). */
	rbnn_dev_reset(f->d, true);
	assert_true(rd64(f, RBNN_REG_SCRUB_WEAK_LO) == 0);
	wr(f, RBNN_REG_TILE_SEL, 1);
	assert_int_equal(rd(f, RBNN_REG_TILE_SCRUB_WEAK), 0);
	free(bits);
	rbnn_array_free(ref);
	fk_free(f);
}

/* ---- tests: save/load -------------------------------------------------- */

static void test_save_load(void **state)
{
	struct fake *a = fk_new(mod_modeled), *b = fk_new(mod_modeled);
	struct rbnn_hw_cmd c;
	struct rbnn_hw_cqe ea, eb;
	size_t n;
	uint8_t *blob;
	uint32_t off, i;

	(void)state;
	fk_rings(a, 16, 16);
	fill_random(a->mem + DATA_ADDR, 8 * 32);
	c = cmd_rows(RBNN_OP_PROGRAM_ROWS, 1, 0, 8, DATA_ADDR, 8 * 32);
	fk_queue(a, &c);
	c = cmd_rows(RBNN_OP_READ_ROWS, 1, 0, 8, DATA_ADDR + 0x1000, 8 * 32);
	fk_queue(a, &c);
	fk_queue(a, &c);
	wr(a, RBNN_REG_IRQ_COAL, 10 | 5u << RBNN_COAL_USEC_SHIFT);
	wr(a, RBNN_REG_SCRATCH, 0x5a5a);
	fk_doorbell(a);
	fk_advance(a, 500);		/* first command in flight */
	assert_true(rd(a, RBNN_REG_STATUS) & RBNN_STS_BUSY);

	n = rbnn_dev_state_size(a->d);
	blob = malloc(n);
	assert_non_null(blob);
	rbnn_dev_save(a->d, blob);
	/* b gets the same guest memory, clock and state */
	memcpy(b->mem, a->mem, MEM_SIZE);
	b->now = a->now;
	b->sqn = a->sqn; b->cqn = a->cqn; b->sq_tail = a->sq_tail;
	b->cq_head = a->cq_head; b->phase = a->phase;
	assert_int_equal(rbnn_dev_load(b->d, blob, n, NULL, 0), 0);
	assert_int_equal(b->timer, a->timer);
	fk_run(b);
	for (off = 0; off < 0x300; off += 4) {
		if (off == RBNN_REG_INT_TRIGGER || off == RBNN_REG_STUCK_CMD ||
		    off == RBNN_REG_AGE_ADVANCE_S)
			continue;
		assert_int_equal(rd(a, off), rd(b, off));
	}
	fk_advance(a, 10000000);
	fk_advance(b, 10000000);
	for (i = 0; i < 3; i++) {
		assert_true(fk_pop(a, &ea));
		assert_true(fk_pop(b, &eb));
		assert_memory_equal(&ea, &eb, sizeof(ea));
	}
	assert_memory_equal(a->mem + DATA_ADDR + 0x1000,
			    b->mem + DATA_ADDR + 0x1000, 8 * 32);
	assert_int_equal(a->irqs[0], b->irqs[0]);

	/* truncated / corrupted blobs are refused without damage */
	assert_int_not_equal(rbnn_dev_load(b->d, blob, n - 1, NULL, 0), 0);
	assert_int_not_equal(rbnn_dev_load(b->d, blob, 10, NULL, 0), 0);
	assert_int_not_equal(rbnn_dev_load(b->d, NULL, 0, NULL, 0), 0);
	blob[0] ^= 1;
	assert_int_not_equal(rbnn_dev_load(b->d, blob, n, NULL, 0), 0);
	blob[0] ^= 1;
	assert_int_equal(rd(b, RBNN_REG_SCRATCH), 0x5a5a);
	free(blob);
	fk_free(a);
	fk_free(b);
}

static void test_save_load_geometry_mismatch(void **state)
{
	struct fake *a = fk_new(NULL), *b = fk_new(mod_small);
	size_t n = rbnn_dev_state_size(a->d);
	uint8_t *blob = malloc(n);

	(void)state;
	assert_non_null(blob);
	rbnn_dev_save(a->d, blob);
	assert_int_not_equal(rbnn_dev_load(b->d, blob, n, NULL, 0), 0);
	free(blob);
	fk_free(a);
	fk_free(b);
}

static void mod_ber(struct rbnn_params *p)
{
	p->read_ber = 1e-6;
}

static void mod_seed(struct rbnn_params *p)
{
	p->seed = 2;
}

static void mod_hot(struct rbnn_params *p)
{
	p->temperature_c = 85;
}

/* A card with other physics refuses the state, naming the property. */
static void test_save_load_params_mismatch(void **state)
{
	struct fake *a = fk_new(NULL), *b = fk_new(mod_ber);
	struct fake *c = fk_new(mod_seed), *h = fk_new(mod_hot);
	size_t n = rbnn_dev_state_size(a->d);
	uint8_t *blob = malloc(n);
	char err[160];

	(void)state;
	assert_non_null(blob);
	wr(a, RBNN_REG_SCRATCH, 0x1234);
	wr(b, RBNN_REG_SCRATCH, 0x77);
	rbnn_dev_save(a->d, blob);
	assert_int_not_equal(rbnn_dev_load(b->d, blob, n, err, sizeof(err)), 0);
	assert_string_equal(err, "property read-ber differs: 1.0000000000000001e-09 "
			    "on the source, 9.9999999999999995e-07 here");
	assert_int_equal(rd(b, RBNN_REG_SCRATCH), 0x77);
	assert_int_not_equal(rbnn_dev_load(c->d, blob, n, err, sizeof(err)), 0);
	assert_string_equal(err, "property seed differs: 1 on the source, 2 here");
	/* the temperature migrates with the array */
	assert_int_equal(rbnn_dev_load(h->d, blob, n, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(rd(h, RBNN_REG_SCRATCH), 0x1234);
	free(blob);
	fk_free(a);
	fk_free(b);
	fk_free(c);
	fk_free(h);
}

/* A random, mostly plausible command (fuzzing the decoder and parser). */
static void random_cmd(struct fake *f, struct rbnn_hw_cmd *c)
{
	uint64_t area = DATA_ADDR + 0x20000 + (rnd() % 64) * 0x1000;

	memset(c, 0, sizeof(*c));
	c->opcode = (uint8_t)(rnd() % 11);
	c->tag = htole32((uint32_t)rnd());
	if (rnd() % 8 == 0)
		c->flags = (uint8_t)rnd();
	if (c->opcode == RBNN_OP_EXEC) {
		uint8_t *prog = f->mem + area;
		size_t plen = make_fc_prog(prog, 1 + rnd() % 8, 1 + rnd() % 20,
					   1 + rnd() % 8, (uint8_t)(rnd() % 2));
		unsigned int k, flips = rnd() % 4;

		for (k = 0; k < flips; k++)
			prog[rnd() % plen] ^= (uint8_t)(1u << (rnd() % 8));
		c->exec.prog.addr = htole64(area);
		c->exec.prog.len = htole32((uint32_t)(plen + rnd() % 3 * 16));
		c->exec.in.addr = htole64(area + 0x400);
		c->exec.in.len = htole32((uint32_t)(rnd() % 512));
		c->exec.out.addr = htole64(area + 0x800);
		c->exec.out.len = htole32((uint32_t)(rnd() % 512));
		c->exec.batch = htole32((uint32_t)(1 + rnd() % 4));
	} else if (c->opcode != RBNN_OP_NOP && c->opcode != RBNN_OP_FENCE &&
		   c->opcode != RBNN_OP_SELF_TEST) {
		c->rows.tile = htole32((uint32_t)(rnd() % 5));
		c->rows.row = htole32((uint32_t)(rnd() % 70));
		c->rows.nrows = htole32((uint32_t)(rnd() % 12));
		if (rnd() % 4 == 0)
			c->rows.current_na = htole32((uint32_t)(rnd() % 2000000));
		c->rows.buf.addr = htole64(area);
		c->rows.buf.len = htole32((uint32_t)(rnd() % 2048));
		if (rnd() % 3 == 0) {
			uint32_t k, n = 1 + rnd() % 6;

			for (k = 0; k < n; k++)
				put_sge(f, area + 0x900 + k * 16,
					area + (rnd() % 0x800),
					(uint32_t)(rnd() % 400));
			c->rows.buf.addr = htole64(area + 0x900);
			c->rows.buf.nents = htole32(n);
		}
		if (c->opcode == RBNN_OP_REFRESH || c->opcode == RBNN_OP_ERASE_TILE)
			memset(&c->rows.buf, 0, sizeof(c->rows.buf));
		if (c->opcode == RBNN_OP_ERASE_TILE || c->opcode == RBNN_OP_READ_WEAR)
			c->rows.row = c->rows.nrows = 0;
	}
	if (rnd() % 16 == 0)
		c->raw[rnd() % 56] ^= (uint8_t)rnd();
}

static void mod_fuzz(struct rbnn_params *p)
{
	mod_small(p);
	p->error_model = true;
}

/* Random commands, register writes and resets: must not crash (ASan). */
static void test_random_garbage(void **state)
{
	struct fake *f = fk_new(mod_fuzz);
	unsigned int i;
	uint64_t done = 0;

	(void)state;
	f->verbose = false;
	fill_random(f->mem + DATA_ADDR, 0x60000);
	for (i = 0; i < 20000; i++) {
		uint32_t off = (uint32_t)(rnd() % 0x300) & ~3u;
		uint32_t v = (uint32_t)rnd();

		if (i % 64 == 0) {
			done += rd64(f, RBNN_REG_CMDS_DONE_LO);
			rbnn_dev_reset(f->d, i % 512 == 0);
			done -= rd64(f, RBNN_REG_CMDS_DONE_LO);
			fk_rings(f, 16, 16);
			if (rnd() % 2)
				wr(f, RBNN_REG_IRQ_COAL, (uint32_t)rnd() % 0x40008);
		}
		if (rnd() % 10 == 0) {
			if (off == RBNN_REG_CONTROL && (v & 2))
				continue;
			if (off == RBNN_REG_AGE_ADVANCE_S)
				v %= 100000;
			if (off == RBNN_REG_SQ_TAIL || off == RBNN_REG_CQ_HEAD)
				v %= 17;
			wr(f, off, v);
			(void)rd(f, off);
		} else {
			struct rbnn_hw_cmd c;

			random_cmd(f, &c);
			fk_queue(f, &c);
			fk_doorbell(f);
			while (fk_pop(f, NULL))
				;
			fk_consume(f);
		}
		fk_advance(f, rnd() % 10000);
	}
	done += rd64(f, RBNN_REG_CMDS_DONE_LO);
	assert_true(done > 5000);
	fk_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_caps_variants),
		cmocka_unit_test(test_register_access),
		cmocka_unit_test(test_interrupts),
		cmocka_unit_test(test_param_window),
		cmocka_unit_test(test_ring_config_errors),
		cmocka_unit_test(test_ring_wrap_phase),
		cmocka_unit_test(test_cq_full_stall),
		cmocka_unit_test(test_work_bound),
		cmocka_unit_test(test_doorbell_fatal),
		cmocka_unit_test(test_ring_dma_fatal),
		cmocka_unit_test(test_moderation_count),
		cmocka_unit_test(test_moderation_timer),
		cmocka_unit_test(test_rows_roundtrip),
		cmocka_unit_test(test_malformed_commands),
		cmocka_unit_test(test_exec_fc),
		cmocka_unit_test(test_exec_sliced),
		cmocka_unit_test(test_rows_sliced),
		cmocka_unit_test(test_timer_bounded),
		cmocka_unit_test(test_exec_sliced_reset),
		cmocka_unit_test(test_exec_sliced_modeled),
		cmocka_unit_test(test_fault_hang),
		cmocka_unit_test(test_fault_periodic),
		cmocka_unit_test(test_fault_dma_oneshot),
		cmocka_unit_test(test_stuck_and_age),
		cmocka_unit_test(test_modeled_timing),
		cmocka_unit_test(test_reset_midway),
		cmocka_unit_test(test_counters_latch),
		cmocka_unit_test(test_scrub_counts),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_save_load_geometry_mismatch),
		cmocka_unit_test(test_save_load_params_mismatch),
		cmocka_unit_test(test_random_garbage),
	};

	return cmocka_run_group_tests_name("rbnn_dev", tests, NULL, NULL);
}
