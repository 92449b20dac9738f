// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * fuzz_dev.c - libFuzzer target for the QEMU-free device-model core
 * (emulator/core/rbnn_dev.c and the array and layer-program code under
 * it), driven as a hostile guest would drive the card.
 *
 * The input is a byte stream (bytes past its end read as zero):
 *   - 8 bytes of device geometry and parameters, bounded so that one input
 *     runs in milliseconds: 1..4 tiles, 8..64 rows, 64 or 128 columns,
 *     batch, layers and SG entries up to 8, error model, modeled timing,
 *     cell mode, debug registers, read errors, read disturb, fault
 *     injection, seed;
 *   - then up to MAX_OPS operations, each an opcode byte and operands:
 *     register writes and reads (rbnn_dev_write/read), raw writes into the
 *     fake guest memory (64 KiB behind the struct rbnn_host DMA callbacks;
 *     anything outside it fails like an unmapped address), ring setup,
 *     well-formed commands of every opcode (row commands with contiguous
 *     or scatter-gather buffers, EXEC with an FC, FC-FC or
 *     CONV1D-MAXPOOL1D-FC layer program written into guest memory) that
 *     later operations mutate, doorbells, whole work (rbnn_dev_work) and
 *     slices with budgets from the input (rbnn_dev_work_slice), time
 *     advancing with the requested timer fired (rbnn_dev_timer), resets,
 *     and save/load of the device state with the blob as saved, with
 *     bytes flipped or truncated (rbnn_dev_save/rbnn_dev_load), and the
 *     pieces a live migration sends: one array row, the array head, the
 *     registers' state (rbnn_array_save_row/_head, rbnn_dev_save_regs).
 * Invariants (any violation traps):
 *   - interrupts name an existing vector; DMA stays within what a buffer
 *     descriptor can describe;
 *   - STATUS, ERROR and INT_STATUS hold only defined bits; ring indices
 *     stay below the ring sizes while enabled;
 *   - a state saved while no command is being computed loads back into
 *     the device and saves again to the same bytes; a rejected blob leaves
 *     the register state as it was; so does a row, head or registers'
 *     state loaded back as saved, or refused;
 *   - the card drains: after the input, work and timers come to rest.
 *
 * Build and run (Makefile, targets test-fuzz and fuzz):
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -Ikernel \
 *     -Iemulator/core tests/fuzz/fuzz_dev.c emulator/core/[a-z]*.c -lm \
 *     -o fuzz_dev
 *   ./fuzz_dev -seeds=DIR        write the seed inputs and exit
 *   ./fuzz_dev -max_len=4096 tests/fuzz/corpus/dev DIR
 */
#include <endian.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rbnn_regs.h"
#include "rbnn_dev.h"
#include "rbnn_params.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

#define MEM_SIZE	0x10000u
#define SQ_ADDR		0x1000u		/* up to 64 entries */
#define CQ_ADDR		0x2000u		/* up to 64 entries */
#define DATA_ADDR	0x3000u
#define MAX_RING	64u
#define MAX_OPS		192
#define MAX_WORK	64		/* work calls per drain */

/* ---- input reader --------------------------------------------------- */
struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t u16(struct in *in)
{
	uint16_t v = u8(in);

	return v | (uint16_t)u8(in) << 8;
}

static uint32_t u32(struct in *in)
{
	uint32_t v = u16(in);

	return v | (uint32_t)u16(in) << 16;
}

static bool verbose;

/* ---- fake host ------------------------------------------------------ */
struct fake {
	uint8_t mem[MEM_SIZE];
	uint64_t now;
	uint64_t timer;		/* UINT64_MAX: none */
	unsigned int kicks;
	struct rbnn_params p;
	struct rbnn_dev *d;
	uint32_t sqn, cqn, sq_tail;
};

static int fk_dma_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = opaque;

	/* A descriptor's length is 32 bits; anything longer is a bug. */
	CHECK(len <= UINT32_MAX);
	if (addr > MEM_SIZE || len > MEM_SIZE - addr)
		return -1;
	memcpy(buf, f->mem + addr, len);
	return 0;
}

static int fk_dma_write(void *opaque, uint64_t addr, const void *buf,
			size_t len)
{
	struct fake *f = opaque;

	CHECK(len <= UINT32_MAX);
	if (addr > MEM_SIZE || len > MEM_SIZE - addr)
		return -1;
	memcpy(f->mem + addr, buf, len);
	return 0;
}

static void fk_irq(void *opaque, unsigned int vec)
{
	(void)opaque;
	CHECK(vec < RBNN_MSIX_VECTORS);
}

static void fk_kick(void *opaque)
{
	((struct fake *)opaque)->kicks++;
}

static void fk_timer_mod(void *opaque, uint64_t when)
{
	((struct fake *)opaque)->timer = when;
}

static uint64_t fk_now(void *opaque)
{
	return ((struct fake *)opaque)->now;
}

static void fk_guest_error(void *opaque, const char *fmt, va_list ap)
{
	(void)opaque;
	(void)fmt;
	(void)ap;
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

static uint32_t rd(struct fake *f, uint32_t off)
{
	return rbnn_dev_read(f->d, off);
}

static void wr(struct fake *f, uint32_t off, uint32_t v)
{
	rbnn_dev_write(f->d, off, v);
}

/* Register invariants, checked after every operation. */
static void check_regs(struct fake *f)
{
	uint32_t sts = rd(f, RBNN_REG_STATUS);

	CHECK(!(sts & ~(RBNN_STS_ENABLED | RBNN_STS_BUSY | RBNN_STS_HALTED)));
	CHECK(!(rd(f, RBNN_REG_ERROR) & ~(RBNN_ERR_RING_CONFIG |
		RBNN_ERR_SQ_DMA | RBNN_ERR_CQ_DMA | RBNN_ERR_DOORBELL)));
	CHECK(!(rd(f, RBNN_REG_INT_STATUS) & ~(RBNN_INT_CQ | RBNN_INT_ERROR |
		RBNN_INT_TEST)));
	if (sts & RBNN_STS_ENABLED) {
		uint32_t sq = rd(f, RBNN_REG_SQ_SIZE), cq = rd(f, RBNN_REG_CQ_SIZE);

		CHECK(rd(f, RBNN_REG_SQ_HEAD) < sq);
		CHECK(rd(f, RBNN_REG_SQ_TAIL) < sq);
		CHECK(rd(f, RBNN_REG_CQ_HEAD) < cq);
		CHECK(rd(f, RBNN_REG_CQ_TAIL) < cq);
	}
}

/* Fire the timer if it is due by @ns from now, then move the clock. */
static void advance(struct fake *f, uint64_t ns)
{
	uint64_t end = f->now + ns;

	if (end < f->now)
		end = UINT64_MAX - 1;
	for (int i = 0; i < MAX_WORK && f->timer != UINT64_MAX &&
	     f->timer <= end; i++) {
		if (f->timer > f->now)
			f->now = f->timer;
		f->timer = UINT64_MAX;
		rbnn_dev_timer(f->d);
	}
	f->now = end;
}

/* What the embedding's bottom half does: work while it is asked to. */
static void drain(struct fake *f, uint64_t budget)
{
	for (int i = 0; i < MAX_WORK; i++) {
		bool more = rbnn_dev_work_slice(f->d, budget);

		if (!more && !f->kicks)
			return;
		f->kicks = 0;
	}
}

/* ---- guest-side builders -------------------------------------------- */
static uint64_t data_addr(struct in *in)
{
	return DATA_ADDR + ((u16(in) % (MEM_SIZE - DATA_ADDR)) & ~7u);
}

static void put(struct fake *f, uint64_t at, const void *src, size_t n)
{
	if (at < MEM_SIZE && n <= MEM_SIZE - at)
		memcpy(f->mem + at, src, n);
}

static void rings(struct fake *f, struct in *in)
{
	f->sqn = 2u << (u8(in) % 6);	/* 2..64 */
	f->cqn = 2u << (u8(in) % 6);
	f->sq_tail = 0;
	wr(f, RBNN_REG_CONTROL, 0);
	wr(f, RBNN_REG_SQ_BASE_LO, SQ_ADDR);
	wr(f, RBNN_REG_SQ_BASE_HI, 0);
	wr(f, RBNN_REG_SQ_SIZE, f->sqn);
	wr(f, RBNN_REG_CQ_BASE_LO, CQ_ADDR);
	wr(f, RBNN_REG_CQ_BASE_HI, 0);
	wr(f, RBNN_REG_CQ_SIZE, f->cqn);
	wr(f, RBNN_REG_INT_MASK, u8(in) & 7);
	wr(f, RBNN_REG_IRQ_COAL, u32(in));
	memset(f->mem + CQ_ADDR, 0, MAX_RING * sizeof(struct rbnn_hw_cqe));
	wr(f, RBNN_REG_CONTROL, RBNN_CTRL_ENABLE);
}

/* A buffer of @len bytes at a data address: contiguous or an SG list. */
static void buf(struct fake *f, struct in *in, struct rbnn_hw_buf *b,
		uint32_t len)
{
	uint8_t mode = u8(in);
	uint64_t at = data_addr(in);

	b->len = htole32(len);
	b->nents = 0;
	b->addr = htole64(at);
	if (mode & 1 && len) {
		/* SG: up to 4 segments after a table at a data address. */
		uint32_t n = 1 + (mode >> 1) % 4, left = len;
		uint64_t tab = data_addr(in), seg = data_addr(in);

		if (n > len)
			n = len;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t l = i + 1 < n ? left / (n - i) : left;
			struct rbnn_hw_sge s = { htole64(seg), htole32(l), 0 };

			put(f, tab + 16 * i, &s, sizeof(s));
			seg += l + 8 * (mode >> 4);
			left -= l;
		}
		b->addr = htole64(tab);
		b->nents = htole32(n);
	}
	if (mode & 0x80) {
		/* Random contents (weights, inputs) from a simple generator. */
		uint32_t x = u32(in) | 1;

		for (uint32_t i = 0; i < len && at + i < MEM_SIZE; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			f->mem[at + i] = (uint8_t)x;
		}
	}
}

static void layer(uint8_t *p, uint8_t op, uint8_t mode, uint32_t ic,
		  uint32_t oc, uint32_t il, uint32_t ol, uint16_t k,
		  uint16_t s, uint16_t pad, uint32_t nsegs, uint32_t segoff)
{
	struct rbnn_hw_layer l;

	memset(&l, 0, sizeof(l));
	l.op = op;
	l.out_mode = mode;
	l.in_channels = htole32(ic);
	l.out_channels = htole32(oc);
	l.in_length = htole32(il);
	l.out_length = htole32(ol);
	l.kernel = htole16(k);
	l.stride = htole16(s);
	l.pad = htole16(pad);
	l.nsegs = htole32(nsegs);
	l.seg_offset = htole32(segoff);
	memcpy(p, &l, sizeof(l));
}

static void seg(uint8_t *p, uint32_t tile, uint32_t row, uint16_t first,
		uint16_t count, uint16_t block)
{
	struct rbnn_hw_seg s = { htole32(tile), htole32(row), htole16(first),
				 htole16(count), htole16(block), 0 };

	memcpy(p, &s, sizeof(s));
}

/*
 * An EXEC with a layer program the geometry can hold (rows of tile 0 and
 * 1 hold the weights; programmed or not, it runs): kind 0 one FC layer
 * with scores, 1 FC bits then FC scores, 2 CONV1D, MAXPOOL1D, FC.
 */
static void exec_cmd(struct fake *f, struct in *in, struct rbnn_hw_cmd *c)
{
	uint8_t prog[32 + 3 * 64 + 3 * 16];
	struct rbnn_hw_prog h;
	uint32_t cols = f->p.cols, rows = f->p.rows;
	uint8_t kind = u8(in) % 3, bits = u8(in) % 9;
	uint32_t ic = 1 + u8(in) % 4, il, out_c, in_bytes, out_bytes;
	uint32_t batch = 1 + u8(in) % f->p.max_batch, plen = 32;
	uint16_t nl;

	if (bits == 0)
		bits = 1;
	out_c = 1 + u8(in) % (rows < 16 ? rows : 16);
	memset(prog, 0, sizeof(prog));
	if (kind == 0) {
		il = 1 + u8(in) % (cols / ic);
		nl = 1;
		layer(prog + 32, RBNN_LAYER_FC, RBNN_OUT_SCORES, ic, out_c, il,
		      1, 0, 0, 0, 1, 96);
		seg(prog + 96, 0, 0, 0, (uint16_t)out_c, 0);
		plen = 112;
	} else if (kind == 1) {
		uint32_t hid = 1 + u8(in) % (rows < 16 ? rows : 16);

		il = 1 + u8(in) % (cols / ic);
		nl = 2;
		layer(prog + 32, RBNN_LAYER_FC, RBNN_OUT_BITS, ic, hid, il, 1,
		      0, 0, 0, 1, 160);
		layer(prog + 96, RBNN_LAYER_FC, RBNN_OUT_SCORES, hid, out_c, 1,
		      1, 0, 0, 0, 1, 176);
		seg(prog + 160, 0, 0, 0, (uint16_t)hid, 0);
		seg(prog + 176, f->p.tiles > 1, f->p.tiles > 1 ? 0 : hid % rows,
		    0, (uint16_t)out_c, 0);
		plen = 192;
	} else {
		uint16_t k = (uint16_t)(1 + u8(in) % 4), st = 1 + u8(in) % 2;
		uint16_t pad = u8(in) % 2;
		uint32_t oc = 1 + u8(in) % 8, cl, pl;

		il = k + u8(in) % 16;
		cl = (il + 2u * pad - k) / st + 1;
		pl = cl / 2 ? cl / 2 : 1;
		nl = 3;
		layer(prog + 32, RBNN_LAYER_CONV1D, RBNN_OUT_BITS, ic, oc, il,
		      cl, k, st, pad, 1, 224);
		layer(prog + 96, RBNN_LAYER_MAXPOOL1D, RBNN_OUT_BITS, oc, oc, cl,
		      pl, cl / 2 ? 2 : 1, cl / 2 ? 2 : 1, 0, 0, 0);
		layer(prog + 160, RBNN_LAYER_FC, RBNN_OUT_SCORES, oc, out_c, pl,
		      1, 0, 0, 0, 1, 240);
		seg(prog + 224, 0, 0, 0, (uint16_t)oc, 0);
		seg(prog + 240, f->p.tiles > 1, f->p.tiles > 1 ? 0 : oc % rows,
		    0, (uint16_t)out_c, 0);
		plen = 256;
	}
	memset(&h, 0, sizeof(h));
	h.magic = htole32(RBNN_PROG_MAGIC);
	h.version = htole16(RBNN_PROG_VERSION);
	h.nlayers = htole16(nl);
	h.in_channels = htole32(ic);
	h.in_length = htole32(il);
	h.in_bits = bits;
	memcpy(prog, &h, sizeof(h));
	in_bytes = bits == 1 ? (ic * il + 7) / 8 : ic * il;
	in_bytes = (in_bytes + 7) & ~7u;
	out_bytes = (out_c * 4 + 7) & ~7u;
	{
		uint64_t at = data_addr(in);

		put(f, at, prog, plen);
		c->exec.prog.addr = htole64(at);
		c->exec.prog.len = htole32(plen);
	}
	buf(f, in, &c->exec.in, in_bytes * batch);
	buf(f, in, &c->exec.out, out_bytes * batch);
	c->exec.batch = htole32(batch);
}

static void submit(struct fake *f, struct in *in)
{
	struct rbnn_hw_cmd c;
	uint8_t op = u8(in), fl = u8(in);
	uint32_t rows = f->p.rows, cols = f->p.cols, tile, row, n, len = 0;

	memset(&c, 0, sizeof(c));
	c.opcode = op % 11;	/* 10: a bad opcode */
	c.flags = fl & 3;
	c.tag = htole32(u32(in));
	tile = u8(in) % (f->p.tiles + (fl >> 7));	/* sometimes one too far */
	row = u8(in) % rows;
	n = 1 + u8(in) % (rows - row);
	switch (c.opcode) {
	case RBNN_OP_PROGRAM_ROWS:
	case RBNN_OP_READ_ROWS:
		len = n * (cols / 8);
		break;
	case RBNN_OP_LOAD_THRESH:
		len = n * 4;
		break;
	case RBNN_OP_READ_WEAR:
		len = rows * 8;
		row = n = 0;
		break;
	case RBNN_OP_ERASE_TILE:
		row = n = 0;
		break;
	}
	if (c.opcode == RBNN_OP_EXEC) {
		exec_cmd(f, in, &c);
	} else if (c.opcode != RBNN_OP_NOP && c.opcode != RBNN_OP_FENCE &&
		   c.opcode != RBNN_OP_SELF_TEST && c.opcode < 10) {
		c.rows.tile = htole32(tile);
		c.rows.row = htole32(row);
		c.rows.nrows = htole32(n);
		if (fl & 0x40) {
			c.rows.current_na = htole32(20000 + 1000 * (u8(in) % 100));
			c.rows.pulse_ns = htole32(10 + u8(in));
			c.rows.verify_max = htole16(u8(in) % 8);
		}
		if (len)
			buf(f, in, &c.rows.buf, len);
	}
	if (fl & 0x20)	/* one mutated operand byte */
		c.raw[u8(in) % sizeof(c.raw)] ^= (uint8_t)(1u << (u8(in) % 8));
	if (f->sqn) {
		memcpy(f->mem + SQ_ADDR + (uint64_t)f->sq_tail * 64, &c, 64);
		f->sq_tail = (f->sq_tail + 1) % f->sqn;
		if (!(fl & 0x10))
			wr(f, RBNN_REG_SQ_TAIL, f->sq_tail);
	}
}

/*
 * Consume every completion the card posted (CQ_HEAD = CQ_TAIL); with
 * RBNN_FUZZ_VERBOSE=1 in the environment, print them (to check what the
 * seeds reach).
 */
static void consume(struct fake *f)
{
	uint32_t t = rd(f, RBNN_REG_CQ_TAIL);

	for (uint32_t h = rd(f, RBNN_REG_CQ_HEAD); verbose && f->cqn &&
	     h != t && h < MAX_RING; h = (h + 1) % f->cqn) {
		struct rbnn_hw_cqe e;

		memcpy(&e, f->mem + CQ_ADDR + h * sizeof(e), sizeof(e));
		fprintf(stderr, "cqe tag %#x status %u detail %u\n",
			le32toh(e.tag), le16toh(e.status), le32toh(e.detail));
	}
	wr(f, RBNN_REG_CQ_HEAD, t);
}

/*
 * The pieces a live migration sends (emulator/qemu/rbnn_pci.c), as a
 * destination takes them: every row of the device's array into a fresh
 * array of the same properties, one row again (@piece 0), then the head;
 * or the registers' state into the device itself (@piece 2). As saved,
 * each is accepted and the copy's image is the device's (the registers'
 * state is refused while a command is computed); with a byte flipped or a
 * wrong length, each load is refused leaving things as they were, or is
 * accepted. The device's array is never changed.
 */
static void piece_array(struct fake *f, struct in *in, uint8_t mode)
{
	struct rbnn_array *ar = rbnn_dev_array(f->d);
	struct rbnn_array *z = rbnn_array_new(rbnn_array_params(ar));
	size_t rl = rbnn_array_row_state_size(ar), hl = rbnn_array_head_size();
	size_t an = rbnn_array_state_size(ar), idx, i, m;
	uint8_t *row = malloc(rl), *head = malloc(hl);
	uint8_t *z0 = malloc(an), *z1 = malloc(an), *ai = malloc(an);
	bool bad = mode & 0x80, head_bad = bad && mode / 4 % 3 == 1;
	int r;

	CHECK(z && row && head && z0 && z1 && ai);
	idx = u16(in) % rbnn_array_nrows(ar);
	for (i = 0; i < rbnn_array_nrows(ar); i++) {
		rbnn_array_save_row(ar, i, row);
		CHECK(!rbnn_array_load_row(z, i, row, rl));
	}
	/* one row again, as saved or damaged */
	rbnn_array_save_row(ar, idx, row);
	m = rl;
	if (bad && !head_bad) {
		if (mode & 1)
			m = u16(in) % rl;
		else
			row[u16(in) % rl] ^= u8(in) | 1;
	}
	rbnn_array_save(z, z0);
	r = rbnn_array_load_row(z, idx, row, m);
	rbnn_array_save(z, z1);
	CHECK(!r || !memcmp(z0, z1, an));
	CHECK(!r || bad);
	/* then the head */
	rbnn_array_save_head(ar, head);
	m = hl;
	if (head_bad) {
		if (mode & 1)
			m = u16(in) % hl;
		else
			head[u16(in) % hl] ^= u8(in) | 1;
	}
	r = rbnn_array_load_head(z, head, m);
	rbnn_array_save(z, z1);
	if (r)
		CHECK(bad);
	if (!bad) {
		rbnn_array_save(ar, ai);
		CHECK(!memcmp(z1, ai, an));
	}
	rbnn_array_free(z);
	free(row);
	free(head);
	free(z0);
	free(z1);
	free(ai);
}

static void save_load_piece(struct fake *f, struct in *in, uint8_t mode)
{
	bool computing = rbnn_dev_computing(f->d), bad = mode & 0x80;
	size_t n = rbnn_dev_state_size(f->d), len, m;
	uint8_t *a = malloc(n), *c = malloc(n), *b;
	int r;

	CHECK(a && c);
	rbnn_dev_save(f->d, a);
	if (mode / 4 % 3 != 2) {
		piece_array(f, in, mode);
		rbnn_dev_save(f->d, c);
		CHECK(!memcmp(a, c, n));
		free(a);
		free(c);
		return;
	}
	len = rbnn_dev_regs_state_size(f->d);
	b = malloc(len);
	CHECK(b);
	rbnn_dev_save_regs(f->d, b);
	m = len;
	if (bad && (mode & 1))
		m = u16(in) % len;
	else if (bad)
		b[u16(in) % len] ^= u8(in) | 1;
	r = rbnn_dev_load_regs(f->d, b, m, NULL, 0);
	CHECK(rbnn_dev_state_size(f->d) == n);
	rbnn_dev_save(f->d, c);
	if (r || !bad) {
		CHECK(!memcmp(a, c, n));
		CHECK(!r || bad || computing);
	}
	free(a);
	free(b);
	free(c);
}

static void save_load(struct fake *f, struct in *in)
{
	uint8_t mode = u8(in);
	bool computing;
	size_t n, m;
	uint8_t *a, *b;

	if (mode & 0x40) {
		save_load_piece(f, in, mode);
		return;
	}
	computing = rbnn_dev_computing(f->d);
	n = rbnn_dev_state_size(f->d);
	a = malloc(n);
	b = malloc(n);
	CHECK(a && b);
	rbnn_dev_save(f->d, a);
	memcpy(b, a, n);
	m = n;
	switch (mode % 4) {
	case 0:		/* as saved */
		break;
	case 1:		/* bytes flipped, biased towards the registers */
		for (int i = 0, k = 1 + mode / 4 % 8; i < k; i++) {
			size_t at = u16(in) % (n < 1024 ? n : 1024);

			if (mode & 0x80)
				at = u32(in) % n;
			b[at] ^= u8(in) | 1;
		}
		break;
	case 2:		/* truncated */
		m = u32(in) % n;
		break;
	case 3:		/* one register word replaced */
		if (n >= 4) {
			uint32_t v = u32(in);

			memcpy(b + (u16(in) % (n / 4)) * 4, &v, 4);
		}
		break;
	}
	if (rbnn_dev_load(f->d, b, m, NULL, 0)) {
		/* Rejected: the device is as it was (registers and array). */
		uint8_t *c = malloc(n);

		CHECK(mode % 4 || computing);
		CHECK(c);
		CHECK(rbnn_dev_state_size(f->d) == n);
		rbnn_dev_save(f->d, c);
		CHECK(!memcmp(a, c, n));
		free(c);
	} else if (mode % 4 == 0) {
		uint8_t *c = malloc(n);

		CHECK(c);
		CHECK(!computing);
		CHECK(rbnn_dev_state_size(f->d) == n);
		rbnn_dev_save(f->d, c);
		CHECK(!memcmp(a, c, n));
		free(c);
	}
	free(a);
	free(b);
	/* Loaded rings may point anywhere: the fuzzer's tail follows. */
	if (rd(f, RBNN_REG_STATUS) & RBNN_STS_ENABLED) {
		f->sqn = rd(f, RBNN_REG_SQ_SIZE);
		f->sq_tail = rd(f, RBNN_REG_SQ_TAIL);
		if (f->sqn > MAX_RING)
			f->sqn = 0;
	}
}

static bool params(struct rbnn_params *p, struct in *in)
{
	uint8_t g = u8(in), s = u8(in), e = u8(in), x = u8(in);
	char err[200];

	rbnn_params_default(p);
	p->tiles = 1 + g % 4;
	p->rows = 8 << (g >> 2 & 3);		/* 8..64 */
	p->cols = 64 << (g >> 4 & 1);		/* 64, 128 */
	p->cell_mode = g >> 5 & 1;
	p->timing = g >> 6 & 1;
	p->debug = g >> 7 & 1;
	p->max_batch = 1 + s % 8;
	p->max_layers = 1 + (s >> 3) % 8;
	p->max_sgl = 1 + (s >> 5) % 8;
	p->act_buf_size = 64u << (x % 6);	/* 64..2048 */
	p->error_model = e & 1;
	p->read_ber = e & 2 ? 0.01 : 0;
	p->read_disturb = e & 4 ? 0.1 : 0;
	p->read_disturb_n0 = 4;
	p->fault_hang_cmd = e >> 3 & 1 ? 1 + (x >> 3) % 8 : 0;
	p->fault_dma_every = e >> 4 & 1 ? 1 + (x >> 3) % 4 : 0;
	p->fault_irq_every = e >> 5 & 1 ? 1 + (x >> 5) % 4 : 0;
	p->wear_accel = e & 0x40 ? 100000 : 1;
	p->seed = u32(in);
	if (rbnn_params_check(p, err, sizeof(err))) {
		if (verbose)
			fprintf(stderr, "params: %s\n", err);
		return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fake f;
	struct in in = { data, size };
	struct rbnn_host h = fk_host_ops;
	char err[200];

	memset(&f, 0, sizeof(f));
	f.timer = UINT64_MAX;
	if (!params(&f.p, &in))
		return 0;
	h.opaque = &f;
	f.d = rbnn_dev_new(&f.p, &h, err, sizeof(err));
	CHECK(f.d);
	for (int i = 0; i < MAX_OPS && in.n; i++) {
		uint8_t op = u8(&in);

		switch (op % 16) {
		case 0:		/* register write, 32-bit aligned in BAR0 */
		{
			uint32_t off = (u16(&in) & (RBNN_REGS_SIZE - 1)) & ~3u;

			wr(&f, off, u32(&in));
			break;
		}
		case 1:		/* register read */
			rd(&f, (u16(&in) & (RBNN_REGS_SIZE - 1)) & ~3u);
			break;
		case 2:		/* raw guest memory write */
		{
			uint16_t at = u16(&in);
			uint8_t n = u8(&in);

			for (unsigned int k = 0; k < n; k++)
				f.mem[(uint16_t)(at + k)] = u8(&in);
			break;
		}
		case 3:
			rings(&f, &in);
			break;
		case 4:
		case 5:
		case 6:
			submit(&f, &in);
			break;
		case 7:		/* doorbell at the fuzzer's tail */
			wr(&f, RBNN_REG_SQ_TAIL, f.sq_tail);
			break;
		case 8:
			rbnn_dev_work(f.d);
			f.kicks = 0;
			break;
		case 9:		/* one slice of 0..2^20 units */
			rbnn_dev_work_slice(f.d, u16(&in) >> (u8(&in) % 16)
					    << (u8(&in) % 5));
			break;
		case 10:
			drain(&f, 1u + u16(&in));
			break;
		case 11:	/* time passes: 0 ns .. ~70 s */
			advance(&f, (uint64_t)u16(&in) << (u8(&in) % 21));
			break;
		case 12:
			consume(&f);
			break;
		case 13:
			if (u8(&in) & 1)
				rbnn_dev_reset(f.d, u8(&in) & 1);
			else
				wr(&f, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
			break;
		case 14:
			save_load(&f, &in);
			break;
		case 15:	/* flip bits in a queued descriptor */
			f.mem[SQ_ADDR + u16(&in) % (MAX_RING * 64)] ^= u8(&in);
			break;
		}
		check_regs(&f);
	}
	/* Come to rest: the card must not compute or re-arm forever. */
	for (int i = 0; i < 4; i++) {
		drain(&f, 1u << 16);
		consume(&f);
		advance(&f, 100000000000ull);
	}
	check_regs(&f);
	rbnn_dev_free(f.d);
	return 0;
}

/* ---- seeds ---------------------------------------------------------- */
struct out {
	uint8_t b[1024];
	size_t n;
};

static void o8(struct out *o, unsigned int v)
{
	if (o->n < sizeof(o->b))
		o->b[o->n++] = (uint8_t)v;
}

static void o16(struct out *o, unsigned int v)
{
	o8(o, v & 0xff);
	o8(o, v >> 8 & 0xff);
}

static void o32(struct out *o, uint32_t v)
{
	o16(o, v & 0xffff);
	o16(o, v >> 16);
}

static void write_seed(const char *dir, const char *name, const struct out *o)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	if (!fp || fwrite(o->b, 1, o->n, fp) != o->n || fclose(fp))
		abort();
}

/* Geometry: tiles 2, rows 16, cols 64, @flags (cell/timing/debug bits). */
static void seed_head(struct out *o, unsigned int g, unsigned int e)
{
	o->n = 0;
	o8(o, g);
	o8(o, 3 | 1 << 3 | 1 << 5);	/* batch 4, 2 layers, 2 SG entries */
	o8(o, e);
	o8(o, 4);			/* 1 KiB activation buffer */
	o32(o, 1234);
	o8(o, 3);			/* rings 8 and 8, all interrupts */
	o8(o, 2);
	o8(o, 2);
	o8(o, 7);
	o32(o, 0);
}

/* submit: opcode, flags, tag, tile, row, nrows byte, buffer. */
static void seed_rows(struct out *o, unsigned int op, unsigned int tile,
		      unsigned int nrows, unsigned int bufmode)
{
	o8(o, 4);
	o8(o, op);
	o8(o, 0);
	o32(o, 0x100 + op);
	o8(o, tile);
	o8(o, 0);
	o8(o, nrows - 1);
	if (op == RBNN_OP_PROGRAM_ROWS || op == RBNN_OP_READ_ROWS ||
	    op == RBNN_OP_LOAD_THRESH || op == RBNN_OP_READ_WEAR) {
		o8(o, bufmode);
		o16(o, 0x1000);
		if (bufmode & 1) {
			o16(o, 0x3000);
			o16(o, 0x4000);
		}
		if (bufmode & 0x80)
			o32(o, 0x9e3779b9);
	}
}

static void seed_exec(struct out *o, unsigned int kind, unsigned int bits)
{
	o8(o, 4);
	o8(o, RBNN_OP_EXEC);
	o8(o, 1);			/* IRQ_NOW */
	o32(o, 0xe0 + kind);
	o8(o, 0);
	o8(o, 0);
	o8(o, 0);
	o8(o, kind);
	o8(o, bits);
	o8(o, 1);			/* 2 channels */
	o8(o, 3);			/* batch 4 */
	o8(o, 3);			/* 4 outputs */
	if (kind == 1)
		o8(o, 7);		/* 8 hidden */
	if (kind == 2) {
		o8(o, 2);		/* kernel 3 */
		o8(o, 0);		/* stride 1 */
		o8(o, 1);		/* pad 1 */
		o8(o, 3);		/* 4 conv channels */
		o8(o, 9);		/* length 12 */
	} else {
		o8(o, 15);		/* length 16 */
	}
	o16(o, 0x0800);			/* program */
	o8(o, 0x80);			/* input: random */
	o16(o, 0x2000);
	o32(o, 42);
	o8(o, 0);			/* output */
	o16(o, 0x3000);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	verbose = getenv("RBNN_FUZZ_VERBOSE") != NULL;
	for (int a = 1; a < *argc; a++) {
		static const char *const names[] = {
			"exec-fc", "exec-fc-fc", "exec-conv",
		};
		const char *dir;
		struct out o;

		if (strncmp((*argv)[a], "-seeds=", 7))
			continue;
		dir = (*argv)[a] + 7;
		/* Program weights and thresholds, then each kind of EXEC,
		 * with the error model off and on, instant and modeled. */
		for (unsigned int k = 0; k < 3; k++) {
			seed_head(&o, 1 | 1 << 2 | (k == 2) << 6 | 1 << 7,
				  k == 1 ? 3 : 0);
			seed_rows(&o, RBNN_OP_PROGRAM_ROWS, 0, 16, 0x80);
			seed_rows(&o, RBNN_OP_LOAD_THRESH, 0, 16, 0x80);
			seed_rows(&o, RBNN_OP_PROGRAM_ROWS, 1, 16, 0x81);
			seed_rows(&o, RBNN_OP_LOAD_THRESH, 1, 16, 0x80);
			o8(&o, 8);		/* work */
			o8(&o, 12);		/* consume */
			seed_exec(&o, k, k == 2 ? 4 : 1);
			o8(&o, 9);		/* one small slice */
			o16(&o, 50);
			o8(&o, 0);
			o8(&o, 0);
			o8(&o, 14);		/* save/load while computing */
			o8(&o, 0);
			o8(&o, 10);		/* drain */
			o16(&o, 300);
			o8(&o, 11);		/* 1 s */
			o16(&o, 1000);
			o8(&o, 20);
			o8(&o, 12);
			o8(&o, 14);		/* save/load at rest */
			o8(&o, 0);
			write_seed(dir, names[k], &o);
		}
		/* Row commands: read back, wear, refresh, erase, self-test. */
		seed_head(&o, 1 | 1 << 2 | 1 << 7, 1);
		seed_rows(&o, RBNN_OP_PROGRAM_ROWS, 0, 8, 0x81);
		seed_rows(&o, RBNN_OP_READ_ROWS, 0, 8, 0x01);
		seed_rows(&o, RBNN_OP_READ_WEAR, 0, 1, 0);
		seed_rows(&o, RBNN_OP_REFRESH, 0, 8, 0);
		seed_rows(&o, RBNN_OP_ERASE_TILE, 1, 1, 0);
		seed_rows(&o, RBNN_OP_SELF_TEST, 0, 1, 0);
		seed_rows(&o, RBNN_OP_FENCE, 0, 1, 0);
		o8(&o, 10);
		o16(&o, 7);
		o8(&o, 12);
		o8(&o, 14);			/* a flipped blob */
		o8(&o, 1 | 4);
		o16(&o, 40);
		o8(&o, 0x10);
		o16(&o, 44);
		o8(&o, 0x01);
		write_seed(dir, "rows", &o);
		/* Registers: debug knobs, reset mid-ring, a truncated load. */
		seed_head(&o, 1 | 1 << 7, 0);
		o8(&o, 0);
		o16(&o, RBNN_REG_INT_TRIGGER);
		o32(&o, RBNN_INT_TEST);
		o8(&o, 0);
		o16(&o, RBNN_REG_AGE_ADVANCE_S);
		o32(&o, 86400);
		o8(&o, 0);
		o16(&o, RBNN_REG_FAULT);
		o32(&o, RBNN_FAULT_DMA | RBNN_FAULT_DROP_IRQ);
		seed_rows(&o, RBNN_OP_PROGRAM_ROWS, 0, 4, 0x80);
		o8(&o, 13);
		o8(&o, 0);
		o8(&o, 14);
		o8(&o, 2);
		o32(&o, 100);
		write_seed(dir, "regs", &o);
		exit(0);
	}
	return 0;
}
