/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * Unit tests: layer programs (parse and run).
 *
 * Networks are described in plain int arrays, placed on the array by a
 * random segment layout, encoded as program images by hand, and run both
 * through the core and through a naive reference evaluator that works
 * element by element from the semantics (+-1 values, explicit windows).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rbnn_regs.h"
#include "rbnn_exec.h"

#define MAXL 8

/* ---- test PRNG (independent of the core) ----------------------------- */

static uint64_t trng_state;

static uint64_t trng(void)
{
	uint64_t z = (trng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int rnd(int lo, int hi)	/* inclusive */
{
	return lo + (int)(trng() % (uint64_t)(hi - lo + 1));
}

/* ---- network description -------------------------------------------- */

struct tlayer {
	int op, mode;
	int in_c, in_l, out_c, out_l, kernel, stride, pad;
	int n;			/* fan-in */
	int *w;			/* out_c x n weights, 0/1 (1 = +1) */
	int *thr;		/* out_c */
};

struct tnet {
	int in_c, in_l, in_bits, nl;
	struct tlayer l[MAXL];
};

static void net_free(struct tnet *net)
{
	for (int i = 0; i < net->nl; i++) {
		free(net->l[i].w);
		free(net->l[i].thr);
		net->l[i].w = NULL;
		net->l[i].thr = NULL;
	}
}

/* Append a layer; shapes follow from the previous one. */
static struct tlayer *add_layer(struct tnet *net, int op, int mode, int out_c,
				int kernel, int stride, int pad)
{
	struct tlayer *l = &net->l[net->nl];
	int in_c = net->nl ? net->l[net->nl - 1].out_c : net->in_c;
	int in_l = net->nl ? net->l[net->nl - 1].out_l : net->in_l;

	memset(l, 0, sizeof(*l));
	l->op = op;
	l->mode = mode;
	l->in_c = in_c;
	l->in_l = in_l;
	l->kernel = kernel;
	l->stride = stride;
	l->pad = pad;
	if (op == RBNN_LAYER_FC) {
		l->out_c = out_c;
		l->out_l = 1;
		l->n = in_c * in_l;
	} else if (op == RBNN_LAYER_CONV1D) {
		l->out_c = out_c;
		l->out_l = (in_l + 2 * pad - kernel) / stride + 1;
		l->n = in_c * kernel;
	} else {
		l->out_c = in_c;
		l->out_l = (in_l - kernel) / stride + 1;
		l->n = 0;
	}
	if (l->n) {
		int amp = net->nl == 0 && net->in_bits > 1 ?
			  1 << (net->in_bits - 1) : 1;
		int span = (int)(2 * sqrt((double)l->n) * amp) + 1;

		l->w = malloc(sizeof(int) * l->out_c * l->n);
		l->thr = malloc(sizeof(int) * l->out_c);
		for (int i = 0; i < l->out_c * l->n; i++)
			l->w[i] = (int)(trng() & 1);
		for (int o = 0; o < l->out_c; o++)
			l->thr[o] = rnd(-span, span);
	}
	net->nl++;
	return l;
}

/* ---- naive reference ------------------------------------------------- */

/*
 * Evaluate @net on one input item. Returns the last layer's outputs in
 * @out: 0/1 for bits, the sums for scores.
 */
static void ref_eval(const struct tnet *net, const uint8_t *item, long *out)
{
	int elems = net->in_c * net->in_l;
	long *x = malloc(sizeof(long) * (elems + 1));

	for (int e = 0; e < elems; e++) {
		if (net->in_bits == 1) {
			x[e] = (item[e / 8] >> (e % 8)) & 1 ? 1 : -1;
		} else {
			int q = item[e] & ((1 << net->in_bits) - 1);

			x[e] = 2 * q - ((1 << net->in_bits) - 1);
		}
	}
	for (int i = 0; i < net->nl; i++) {
		const struct tlayer *l = &net->l[i];
		int oe = l->out_c * l->out_l;
		long *y = malloc(sizeof(long) * (oe + 1));

		for (int t = 0; t < l->out_l; t++) {
			for (int o = 0; o < l->out_c; o++) {
				long s = 0;
				int bit = 0;

				if (l->op == RBNN_LAYER_MAXPOOL1D) {
					for (int k = 0; k < l->kernel; k++) {
						int p = t * l->stride + k;

						if (x[p * l->in_c + o] > 0)
							bit = 1;
					}
					y[t * l->out_c + o] = bit;
					continue;
				}
				for (int j = 0; j < l->n; j++) {
					int e = j;
					long wv = l->w[o * l->n + j] ? 1 : -1;

					if (l->op == RBNN_LAYER_CONV1D) {
						int k = j / l->in_c;
						int c = j % l->in_c;
						int p = t * l->stride - l->pad + k;

						if (p < 0 || p >= l->in_l)
							continue;
						e = p * l->in_c + c;
					}
					s += wv * x[e];
				}
				if (l->mode == RBNN_OUT_SCORES)
					y[t * l->out_c + o] = s;
				else
					y[t * l->out_c + o] = s >= l->thr[o];
			}
		}
		free(x);
		x = y;
		if (i + 1 < net->nl)
			for (int e = 0; e < oe; e++)
				x[e] = x[e] ? 1 : -1;
	}
	{
		const struct tlayer *l = &net->l[net->nl - 1];

		memcpy(out, x, sizeof(long) * l->out_c * l->out_l);
	}
	free(x);
}

/* ---- encoding and placement ----------------------------------------- */

static void put16(uint8_t *b, uint32_t off, uint16_t v)
{
	b[off] = v & 0xff;
	b[off + 1] = v >> 8;
}

static void put32(uint8_t *b, uint32_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[off + i] = (v >> (8 * i)) & 0xff;
}

static uint32_t get32(const uint8_t *b, uint32_t off)
{
	return b[off] | b[off + 1] << 8 | b[off + 2] << 16 |
	       (uint32_t)b[off + 3] << 24;
}

struct tseg {
	uint32_t tile, row, first, count, block;
};

struct image {
	uint8_t *buf;
	size_t len;
	uint32_t seg_off[MAXL];
	uint32_t nsegs[MAXL];
};

/* Where each tile's next free row is (placement is append-only). */
struct alloc {
	uint32_t next[64];
};

/*
 * Place layer @l on the array: every block's outputs split into random
 * runs on random tiles; program the rows (junk beyond the fan-in, junk
 * thresholds on non-block-0 rows). Returns the number of segments.
 */
static uint32_t place_layer(struct rbnn_array *a, struct alloc *al,
			    const struct tlayer *l, struct tseg *segs)
{
	const struct rbnn_params *p = rbnn_array_params(a);
	unsigned int words = rbnn_array_row_words(a);
	int nblocks = (l->n + p->cols - 1) / p->cols;
	uint64_t *row = malloc(words * 8);
	uint32_t ns = 0;

	for (int b = 0; b < nblocks; b++) {
		int o = 0;

		while (o < l->out_c) {
			int want = rnd(1, l->out_c - o), tries = 0;
			uint32_t t;
			struct tseg *s;

			/* A random tile with room; shrink the run if needed. */
			do {
				t = (uint32_t)rnd(0, (int)p->tiles - 1);
			} while (al->next[t] >= p->rows && ++tries < 1000);
			assert_true(al->next[t] < p->rows);
			if ((uint32_t)want > p->rows - al->next[t])
				want = (int)(p->rows - al->next[t]);
			s = &segs[ns++];
			s->tile = t;
			s->row = al->next[t];
			s->first = (uint32_t)o;
			s->count = (uint32_t)want;
			s->block = (uint32_t)b;
			al->next[t] += want;
			for (int i = 0; i < want; i++) {
				for (unsigned int w = 0; w < words; w++)
					row[w] = trng();
				for (int c = 0; c < (int)p->cols; c++) {
					int j = b * (int)p->cols + c;
					uint64_t bit = 1ull << (c % 64);

					if (j >= l->n)
						continue;
					if (l->w[(o + i) * l->n + j])
						row[c / 64] |= bit;
					else
						row[c / 64] &= ~bit;
				}
				rbnn_array_program(a, t, s->row + i, 1, row,
						   NULL, NULL, NULL);
				rbnn_array_set_threshold(a, t, s->row + i,
							 b ? (int32_t)trng() :
							     l->thr[o + i]);
			}
			o += want;
		}
	}
	/* Shuffle: the table order must not matter. */
	for (uint32_t i = ns; i > 1; i--) {
		uint32_t j = (uint32_t)(trng() % i);
		struct tseg tmp = segs[i - 1];

		segs[i - 1] = segs[j];
		segs[j] = tmp;
	}
	free(row);
	return ns;
}

/* Place @net and encode it; segment tables go after the layer table
 * with random 8-byte-aligned gaps of junk. */
static void build(struct rbnn_array *a, const struct tnet *net,
		  struct image *img)
{
	struct alloc al = { { 0 } };
	struct tseg *segs[MAXL];
	size_t cap = 32 + 64 * net->nl, off;

	for (int i = 0; i < net->nl; i++) {
		const struct tlayer *l = &net->l[i];
		size_t max = l->n ? (size_t)l->out_c *
			     ((l->n + rbnn_array_params(a)->cols - 1) /
			      rbnn_array_params(a)->cols) : 0;

		segs[i] = malloc(sizeof(struct tseg) * (max + 1));
		img->nsegs[i] = l->n ? place_layer(a, &al, l, segs[i]) : 0;
		cap += 16 * img->nsegs[i] + 64;
	}
	img->buf = malloc(cap);
	for (size_t i = 0; i < cap; i++)
		img->buf[i] = (uint8_t)trng();
	memset(img->buf, 0, 32 + 64 * net->nl);
	put32(img->buf, 0, RBNN_PROG_MAGIC);
	put16(img->buf, 4, RBNN_PROG_VERSION);
	put16(img->buf, 6, (uint16_t)net->nl);
	put32(img->buf, 8, (uint32_t)net->in_c);
	put32(img->buf, 12, (uint32_t)net->in_l);
	img->buf[16] = (uint8_t)net->in_bits;
	off = 32 + 64 * net->nl;
	for (int i = 0; i < net->nl; i++) {
		const struct tlayer *l = &net->l[i];
		uint8_t *b = img->buf + 32 + 64 * i;

		b[0] = (uint8_t)l->op;
		b[1] = (uint8_t)l->mode;
		put32(b, 4, (uint32_t)l->in_c);
		put32(b, 8, (uint32_t)l->out_c);
		put32(b, 12, (uint32_t)l->in_l);
		put32(b, 16, (uint32_t)l->out_l);
		put16(b, 20, (uint16_t)l->kernel);
		put16(b, 22, (uint16_t)l->stride);
		put16(b, 24, (uint16_t)l->pad);
		put32(b, 28, img->nsegs[i]);
		img->seg_off[i] = 0;
		if (!img->nsegs[i])
			continue;
		off += 8 * rnd(0, 2);
		img->seg_off[i] = (uint32_t)off;
		put32(b, 32, (uint32_t)off);
		for (uint32_t j = 0; j < img->nsegs[i]; j++) {
			const struct tseg *s = &segs[i][j];
			uint8_t *sb = img->buf + off + 16 * j;

			put32(sb, 0, s->tile);
			put32(sb, 4, s->row);
			put16(sb, 8, (uint16_t)s->first);
			put16(sb, 10, (uint16_t)s->count);
			put16(sb, 12, (uint16_t)s->block);
			put16(sb, 14, 0);
		}
		off += 16 * img->nsegs[i];
	}
	img->len = off;
	for (int i = 0; i < net->nl; i++)
		free(segs[i]);
}

static size_t align8(size_t v)
{
	return (v + 7) & ~(size_t)7;
}

static size_t item_in_bytes(const struct tnet *net)
{
	size_t e = (size_t)net->in_c * net->in_l;

	return net->in_bits == 1 ? align8((e + 7) / 8) : align8(e);
}

static size_t item_out_bytes(const struct tnet *net)
{
	const struct tlayer *l = &net->l[net->nl - 1];
	size_t e = (size_t)l->out_c * l->out_l;

	return l->mode == RBNN_OUT_SCORES ? align8(4 * e) : align8((e + 7) / 8);
}

static struct rbnn_array *mk_array(uint32_t tiles, uint32_t rows,
				   uint32_t cols, bool error_model)
{
	struct rbnn_params p;
	char err[128];
	struct rbnn_array *a;

	rbnn_params_default(&p);
	p.tiles = tiles;
	p.rows = rows;
	p.cols = cols;
	p.error_model = error_model;
	if (rbnn_params_check(&p, err, sizeof(err)))
		fail_msg("%s", err);
	a = rbnn_array_new(&p);
	assert_non_null(a);
	return a;
}

/*
 * Build, parse and run @net on @items random inputs; compare with the
 * reference. Returns the accumulated cost.
 */
static struct rbnn_cost check_net(struct rbnn_array *a, const struct tnet *net,
				  int items)
{
	struct image img;
	struct rbnn_prog *prog;
	char err[160];
	uint32_t eo = 12345;
	size_t ib = item_in_bytes(net), ob = item_out_bytes(net);
	const struct tlayer *last = &net->l[net->nl - 1];
	int oe = last->out_c * last->out_l;
	uint64_t *in = malloc(ib + 8), *out = malloc(ob + 8);
	long *want = malloc(sizeof(long) * (oe + 1));
	struct rbnn_cost cost = { 0 };

	build(a, net, &img);
	prog = rbnn_prog_parse(a, img.buf, img.len, err, sizeof(err), &eo);
	if (!prog)
		fail_msg("valid program rejected at %u: %s", eo, err);
	assert_int_equal(rbnn_prog_in_bytes(prog), ib);
	assert_int_equal(rbnn_prog_out_bytes(prog), ob);
	for (int it = 0; it < items; it++) {
		const uint8_t *o8 = (const uint8_t *)out;

		for (size_t i = 0; i < ib / 8; i++)
			in[i] = trng();
		memset(out, 0xa5, ob);
		rbnn_prog_run(a, prog, in, out, &cost);
		ref_eval(net, (const uint8_t *)in, want);
		for (int e = 0; e < oe; e++) {
			long got;

			if (last->mode == RBNN_OUT_SCORES)
				got = (int32_t)get32(o8, 4 * e);
			else
				got = (o8[e / 8] >> (e % 8)) & 1;
			if (got != want[e])
				fail_msg("item %d element %d: got %ld want %ld",
					 it, e, got, want[e]);
		}
		/* Padding is zeroed. */
		if (last->mode == RBNN_OUT_SCORES) {
			for (size_t i = 4 * oe; i < ob; i++)
				assert_int_equal(o8[i], 0);
		} else {
			for (size_t e = oe; e < ob * 8; e++)
				assert_int_equal((o8[e / 8] >> (e % 8)) & 1, 0);
		}
	}
	rbnn_prog_free(prog);
	free(img.buf);
	free(in);
	free(out);
	free(want);
	return cost;
}

/* ---- operation tests ------------------------------------------------ */

static void test_fc_single_block(void **state)
{
	struct rbnn_array *a = mk_array(2, 64, 256, false);
	struct tnet net = { .in_c = 5, .in_l = 20, .in_bits = 1 };
	struct rbnn_cost c;

	(void)state;
	trng_state = 1;
	add_layer(&net, RBNN_LAYER_FC, RBNN_OUT_BITS, 37, 0, 0, 0);
	c = check_net(a, &net, 20);
	/* One row activation per output, n cells each. */
	assert_int_equal(c.progress, 20 * 37);
	assert_int_equal(c.cell_reads, 20ull * 37 * 100);
	assert_true(fabs(c.energy_fj - 20 * 37 * (100 * 15.0 + 500)) < 1e-3);
	assert_true(fabs(c.time_ns - 20 * 37 * 10.0) < 1e-6);
	net_free(&net);
	rbnn_array_free(a);
}

static void test_fc_blocks_and_tiles(void **state)
{
	struct rbnn_array *a = mk_array(4, 64, 64, false);
	struct tnet net = { .in_c = 5, .in_l = 61, .in_bits = 1 };
	struct rbnn_cost c;

	(void)state;
	trng_state = 2;
	/* n = 305: 5 blocks (the last of 49 bits), 50 outputs: 250 rows,
	 * necessarily over all 4 tiles. */
	add_layer(&net, RBNN_LAYER_FC, RBNN_OUT_BITS, 50, 0, 0, 0);
	c = check_net(a, &net, 10);
	assert_int_equal(c.progress, 10 * 250);
	assert_int_equal(c.cell_reads, 10ull * 50 * 305);
	net_free(&net);

	/* The same shape with scores. */
	memset(&net, 0, sizeof(net));
	net.in_c = 5;
	net.in_l = 61;
	net.in_bits = 1;
	rbnn_array_free(a);
	a = mk_array(4, 64, 64, false);
	add_layer(&net, RBNN_LAYER_FC, RBNN_OUT_SCORES, 50, 0, 0, 0);
	check_net(a, &net, 10);
	net_free(&net);
	rbnn_array_free(a);
}

static void test_conv_combos(void **state)
{
	/* in_c, in_l, out_c, kernel, stride, pad, cols */
	static const int cases[][7] = {
		{ 1, 10, 3, 1, 1, 0, 64 },
		{ 3, 16, 8, 3, 1, 1, 64 },
		{ 3, 16, 8, 3, 2, 1, 64 },
		{ 4, 17, 5, 5, 3, 2, 64 },
		{ 2, 9, 4, 4, 2, 3, 64 },
		{ 1, 1, 2, 7, 1, 6, 64 },	/* kernel > input */
		{ 1, 3, 2, 9, 4, 8, 64 },	/* mostly padding */
		{ 24, 12, 6, 5, 1, 2, 64 },	/* fan-in 120: 2 blocks */
		{ 30, 20, 7, 7, 2, 3, 64 },	/* fan-in 210, padded blocks */
		{ 64, 8, 9, 3, 1, 1, 64 },	/* aligned; padding-only blocks */
		{ 33, 11, 10, 6, 5, 5, 128 },
		{ 7, 40, 12, 3, 3, 0, 256 },
		{ 100, 6, 4, 4, 1, 3, 256 },	/* fan-in 400 over 2 blocks */
	};
	size_t i;

	(void)state;
	trng_state = 3;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const int *k = cases[i];
		struct rbnn_array *a = mk_array(8, 64, (uint32_t)k[6], false);
		struct tnet net = { .in_c = k[0], .in_l = k[1], .in_bits = 1 };

		add_layer(&net, RBNN_LAYER_CONV1D, RBNN_OUT_BITS, k[2], k[3],
			  k[4], k[5]);
		check_net(a, &net, 5);
		net_free(&net);
		/* And as the scores of a last layer. */
		net.nl = 0;
		add_layer(&net, RBNN_LAYER_CONV1D, RBNN_OUT_SCORES, k[2], k[3],
			  k[4], k[5]);
		rbnn_array_free(a);
		a = mk_array(8, 64, (uint32_t)k[6], false);
		check_net(a, &net, 5);
		net_free(&net);
		rbnn_array_free(a);
	}
}

static void test_conv_padding_cost(void **state)
{
	struct rbnn_array *a = mk_array(2, 64, 64, false);
	struct tnet net = { .in_c = 2, .in_l = 4, .in_bits = 1 };
	struct rbnn_cost c;

	(void)state;
	trng_state = 4;
	/* kernel 3, pad 2: windows start at -2, -1, 0, 1, 2, 3 with
	 * 1, 2, 3, 3, 2, 1 valid positions: 12 positions x 2 channels. */
	add_layer(&net, RBNN_LAYER_CONV1D, RBNN_OUT_BITS, 3, 3, 1, 2);
	c = check_net(a, &net, 1);
	assert_int_equal(c.cell_reads, 3 * 12 * 2);
	assert_int_equal(c.progress, 3 * 6);
	net_free(&net);
	rbnn_array_free(a);
}

static void test_maxpool(void **state)
{
	/* in_c, in_l, kernel, stride */
	static const int cases[][4] = {
		{ 1, 8, 2, 2 }, { 3, 9, 3, 1 }, { 5, 10, 2, 3 },
		{ 70, 7, 3, 2 }, { 64, 5, 5, 1 }, { 129, 4, 1, 1 },
	};
	size_t i;

	(void)state;
	trng_state = 5;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const int *k = cases[i];
		struct rbnn_array *a = mk_array(8, 128, 128, false);
		struct tnet net = { .in_c = k[0], .in_l = k[1], .in_bits = 1 };
		struct rbnn_cost c;

		/* Pool the raw input: no row reads at all. */
		add_layer(&net, RBNN_LAYER_MAXPOOL1D, RBNN_OUT_BITS, 0, k[2],
			  k[3], 0);
		c = check_net(a, &net, 5);
		assert_int_equal(c.cell_reads, 0);
		net_free(&net);

		/* conv -> pool -> FC scores */
		net.nl = 0;
		net.in_c = 3;
		net.in_l = 3 + k[1] * 2;
		add_layer(&net, RBNN_LAYER_CONV1D, RBNN_OUT_BITS, k[0] % 40 + 1,
			  3, 1, 1);
		add_layer(&net, RBNN_LAYER_MAXPOOL1D, RBNN_OUT_BITS, 0, k[2],
			  k[3], 0);
		add_layer(&net, RBNN_LAYER_FC, RBNN_OUT_SCORES, 10, 0, 0, 0);
		check_net(a, &net, 5);
		net_free(&net);
		rbnn_array_free(a);
	}
}

static void test_bitserial(void **state)
{
	(void)state;
	trng_state = 6;
	for (int k = 2; k <= 8; k++) {
		struct rbnn_array *a = mk_array(8, 64, 64, false);
		struct tnet net = { .in_c = 3, .in_l = 30, .in_bits = k };
		struct rbnn_cost c;

		/* FC over 90 multi-bit inputs (2 blocks): k reads per row. */
		add_layer(&net, RBNN_LAYER_FC, RBNN_OUT_SCORES, 12, 0, 0, 0);
		c = check_net(a, &net, 4);
		assert_int_equal(c.progress, 4 * 12 * 2 * k);
		assert_int_equal(c.cell_reads, 4ull * 12 * 90 * k);
		net_free(&net);
		rbnn_array_free(a);

		/* Padded conv with thresholds, then an FC. */
		a = mk_array(8, 64, 64, false);
		net.nl = 0;
		net.in_c = 22;
		net.in_l = 9;
		add_layer(&net, RBNN_LAYER_CONV1D, RBNN_OUT_BITS, 9, 4, 2, 2);
		add_layer(&net, RBNN_LAYER_FC, RBNN_OUT_BITS, 7, 0, 0, 0);
		check_net(a, &net, 4);
		net_free(&net);
		rbnn_array_free(a);
	}
}

/* Thresholds at the sum itself give 1, one above give 0. */
static void test_threshold_boundary(void **state)
{
	struct rbnn_array *a = mk_array(4, 64, 64, false);
	struct tnet net = { .in_c = 4, .in_l = 30, .in_bits = 1 };
	struct image img;
	struct rbnn_prog *pb, *ps;
	uint64_t in[2], out[16];
	int32_t s[20];
	char err[128];

	(void)state;
	trng_state = 7;
	add_layer(&net, RBNN_LAYER_FC, RBNN_OUT_SCORES, 20, 0, 0, 0);
	build(a, &net, &img);
	ps = rbnn_prog_parse(a, img.buf, img.len, err, sizeof(err), NULL);
	assert_non_null(ps);
	/* The same placement with BITS output: patch out_mode. */
	img.buf[32 + 1] = RBNN_OUT_BITS;
	pb = rbnn_prog_parse(a, img.buf, img.len, err, sizeof(err), NULL);
	assert_non_null(pb);
	in[0] = trng();
	in[1] = trng();
	rbnn_prog_run(a, ps, in, out, NULL);
	memcpy(s, out, sizeof(s));
	for (int delta = 0; delta <= 1; delta++) {
		for (uint32_t j = 0; j < img.nsegs[0]; j++) {
			const uint8_t *sb = img.buf + img.seg_off[0] + 16 * j;
			uint32_t t = get32(sb, 0), r = get32(sb, 4);
			uint32_t first = sb[8] | sb[9] << 8;
			uint32_t count = sb[10] | sb[11] << 8;

			if (sb[12] | sb[13])
				continue;	/* thresholds of block 0 only */
			for (uint32_t i = 0; i < count; i++)
				rbnn_array_set_threshold(a, t, r + i,
							 s[first + i] + delta);
		}
		rbnn_prog_run(a, pb, in, out, NULL);
		for (int o = 0; o < 20; o++)
			assert_int_equal((out[0] >> o) & 1, delta ? 0 : 1);
	}
	rbnn_prog_free(pb);
	rbnn_prog_free(ps);
	free(img.buf);
	net_free(&net);
	rbnn_array_free(a);
}

/* Random network with a fixed seed; 0 if it does not fit the array. */
static int random_net(struct tnet *net, const struct rbnn_params *p)
{
	uint32_t rows_needed = 0;

	memset(net, 0, sizeof(*net));
	net->in_bits = trng() & 1 ? 1 : rnd(2, 8);
	net->in_c = rnd(1, 9);
	net->in_l = rnd(1, 24);
	for (int i = 0, nl = rnd(1, 4); i < nl; i++) {
		int in_l = i ? net->l[i - 1].out_l : net->in_l;
		bool last = i == nl - 1;
		int op = rnd(1, 3), mode = last && (trng() & 1);
		struct tlayer *l;

		if (op == RBNN_LAYER_MAXPOOL1D && i == 0 && net->in_bits > 1)
			op = RBNN_LAYER_CONV1D;
		if (op == RBNN_LAYER_MAXPOOL1D && mode)
			mode = 0;
		if (op == RBNN_LAYER_FC) {
			l = add_layer(net, op, mode, rnd(1, 40), 0, 0, 0);
		} else if (op == RBNN_LAYER_CONV1D) {
			int k = rnd(1, 6), pad = rnd(0, k - 1);

			if (in_l + 2 * pad < k)
				pad = (k - in_l + 1) / 2;
			l = add_layer(net, op, mode, rnd(1, 40), k, rnd(1, 3),
				      pad);
		} else {
			l = add_layer(net, op, mode, 0, rnd(1, in_l),
				      rnd(1, 3), 0);
		}
		if (l->n)
			rows_needed += l->out_c *
				       ((l->n + p->cols - 1) / p->cols);
	}
	return rows_needed <= p->tiles * p->rows;
}

static void test_random_networks(void **state)
{
	int done = 0, tried = 0;

	(void)state;
	trng_state = 8;
	while (done < 250) {
		uint32_t cols = trng() & 1 ? 64 : 128;
		struct rbnn_array *a = mk_array(8, 128, cols, false);
		struct tnet net;

		tried++;
		if (random_net(&net, rbnn_array_params(a))) {
			check_net(a, &net, 3);
			done++;
		}
		net_free(&net);
		rbnn_array_free(a);
	}
	assert_true(tried < 2 * done);
}

static void test_default_geometry(void **state)
{
	struct rbnn_params p;
	struct rbnn_array *a;
	struct tnet net = { .in_c = 16, .in_l = 64, .in_bits = 1 };

	(void)state;
	trng_state = 9;
	rbnn_params_default(&p);
	p.error_model = false;
	a = rbnn_array_new(&p);
	assert_non_null(a);
	/* 1024 inputs -> conv (fan-in 48) -> pool -> FC 4 blocks */
	add_layer(&net, RBNN_LAYER_CONV1D, RBNN_OUT_BITS, 32, 3, 1, 1);
	add_layer(&net, RBNN_LAYER_MAXPOOL1D, RBNN_OUT_BITS, 0, 2, 2, 0);
	add_layer(&net, RBNN_LAYER_FC, RBNN_OUT_BITS, 300, 0, 0, 0);
	add_layer(&net, RBNN_LAYER_FC, RBNN_OUT_SCORES, 10, 0, 0, 0);
	check_net(a, &net, 3);
	net_free(&net);
	rbnn_array_free(a);
}

/* With the error model on at the default current the results are exact
 * (BER ~4e-10); with heavy sense noise they differ but stay reproducible. */
static void test_error_model_runs(void **state)
{
	struct rbnn_params p;
	struct rbnn_array *a, *b;
	struct tnet net = { .in_c = 8, .in_l = 40, .in_bits = 1 };
	struct image img;
	struct rbnn_prog *pa, *pb;
	uint64_t in[5], oa[2], ob[2];
	int diffs = 0;

	(void)state;
	trng_state = 10;
	rbnn_params_default(&p);
	p.tiles = 4;
	p.rows = 64;
	p.read_ber = 0;
	a = rbnn_array_new(&p);
	add_layer(&net, RBNN_LAYER_FC, RBNN_OUT_BITS, 64, 0, 0, 0);
	check_net(a, &net, 5);
	rbnn_array_free(a);

	p.read_ber = 0.05;
	a = rbnn_array_new(&p);
	b = rbnn_array_new(&p);
	trng_state = 11;
	build(a, &net, &img);
	free(img.buf);
	trng_state = 11;
	build(b, &net, &img);
	pa = rbnn_prog_parse(a, img.buf, img.len, NULL, 0, NULL);
	pb = rbnn_prog_parse(b, img.buf, img.len, NULL, 0, NULL);
	assert_non_null(pa);
	assert_non_null(pb);
	for (int it = 0; it < 50; it++) {
		long want[64];

		for (int i = 0; i < 5; i++)
			in[i] = trng();
		rbnn_prog_run(a, pa, in, oa, NULL);
		rbnn_prog_run(b, pb, in, ob, NULL);
		assert_memory_equal(oa, ob, 8);	/* 64 output bits */
		ref_eval(&net, (const uint8_t *)in, want);
		for (int o = 0; o < 64; o++)
			diffs += (long)((oa[0] >> o) & 1) != want[o];
	}
	assert_true(diffs > 0);
	rbnn_prog_free(pa);
	rbnn_prog_free(pb);
	free(img.buf);
	net_free(&net);
	rbnn_array_free(a);
	rbnn_array_free(b);
}

/* Intermediate outputs must fit half the activation buffer. */
static void test_act_buffer_limit(void **state)
{
	struct rbnn_params p;
	struct rbnn_array *a;
	struct image img;
	char err[160];
	uint32_t eo = 0;
	struct rbnn_prog *pr;

	(void)state;
	trng_state = 12;
	rbnn_params_default(&p);
	p.error_model = false;
	p.act_buf_size = 1024;	/* halves of 512 bytes = 4096 bits */
	p.tiles = 4;
	p.rows = 256;
	p.cols = 64;
	a = rbnn_array_new(&p);
	for (int extra = 0; extra <= 1; extra++) {
		struct tnet net = { .in_c = 1, .in_l = 4096, .in_bits = 1 };

		/* 64 x 64 = 4096 bits fit exactly; 65 channels do not. */
		add_layer(&net, RBNN_LAYER_CONV1D, RBNN_OUT_BITS, 64 + extra,
			  1, 64, 0);
		add_layer(&net, RBNN_LAYER_FC, RBNN_OUT_BITS, 3, 0, 0, 0);
		build(a, &net, &img);
		pr = rbnn_prog_parse(a, img.buf, img.len, err, sizeof(err),
				     &eo);
		if (!extra) {
			assert_non_null(pr);
		} else {
			assert_null(pr);
			assert_int_equal(eo, 32);
			assert_non_null(strstr(err, "activation buffer"));
		}
		rbnn_prog_free(pr);
		free(img.buf);
		net_free(&net);
	}
	rbnn_array_free(a);
}

/* ---- malformed programs --------------------------------------------- */

/*
 * The base program (array: 4 tiles x 64 rows x 64 cols):
 *   header: 32 channels x 16, bits                          @0
 *   layer 0: CONV1D 8 out, k3 s1 p1, fan-in 96: 2 blocks   @32
 *   layer 1: MAXPOOL1D k2 s2 -> 8 x 8                       @96
 *   layer 2: FC 10 scores, fan-in 64                        @160
 *   segments of layer 0 @224: (t0 r0 o0-7 b0) (t1 r0 o0-3 b1) (t1 r4 o4-7 b1)
 *   segments of layer 2 @272: (t2 r0 o0-9 b0)
 */
#define BASE_LEN 288

static void base_prog(uint8_t *b)
{
	memset(b, 0, BASE_LEN);
	put32(b, 0, RBNN_PROG_MAGIC);
	put16(b, 4, RBNN_PROG_VERSION);
	put16(b, 6, 3);
	put32(b, 8, 32);
	put32(b, 12, 16);
	b[16] = 1;
	/* layer 0 */
	b[32] = RBNN_LAYER_CONV1D;
	put32(b, 36, 32);
	put32(b, 40, 8);
	put32(b, 44, 16);
	put32(b, 48, 16);
	put16(b, 52, 3);
	put16(b, 54, 1);
	put16(b, 56, 1);
	put32(b, 60, 3);
	put32(b, 64, 224);
	/* layer 1 */
	b[96] = RBNN_LAYER_MAXPOOL1D;
	put32(b, 100, 8);
	put32(b, 104, 8);
	put32(b, 108, 16);
	put32(b, 112, 8);
	put16(b, 116, 2);
	put16(b, 118, 2);
	/* layer 2 */
	b[160] = RBNN_LAYER_FC;
	b[161] = RBNN_OUT_SCORES;
	put32(b, 164, 8);
	put32(b, 168, 10);
	put32(b, 172, 8);
	put32(b, 176, 1);
	put32(b, 188, 1);
	put32(b, 192, 272);
	/* segments */
	put32(b, 224, 0); put32(b, 228, 0); put16(b, 232, 0);
	put16(b, 234, 8); put16(b, 236, 0);
	put32(b, 240, 1); put32(b, 244, 0); put16(b, 248, 0);
	put16(b, 250, 4); put16(b, 252, 1);
	put32(b, 256, 1); put32(b, 260, 4); put16(b, 264, 4);
	put16(b, 266, 4); put16(b, 268, 1);
	put32(b, 272, 2); put32(b, 276, 0); put16(b, 280, 0);
	put16(b, 282, 10); put16(b, 284, 0);
}

struct bad_prog {
	const char *name;
	size_t len;		/* 0: BASE_LEN */
	void (*patch)(uint8_t *b);
	uint32_t off;		/* expected err_off */
	const char *why;	/* substring of the message */
};

#define PATCH(name, body) \
	static void p_##name(uint8_t *b) { body; }
PATCH(none, (void)b)
PATCH(magic, put32(b, 0, 0x12345678))
PATCH(version, put16(b, 4, 2))
PATCH(nlayers0, put16(b, 6, 0))
PATCH(nlayers_big, put16(b, 6, 33))
PATCH(in_c0, put32(b, 8, 0))
PATCH(in_l0, put32(b, 12, 0))
PATCH(in_bits0, b[16] = 0)
PATCH(in_bits9, b[16] = 9)
PATCH(hdr_rsvd, b[31] = 1)
PATCH(in_big, (put32(b, 12, 100000), put32(b, 44, 100000)))
PATCH(op0, b[32] = 0)
PATCH(op7, b[96] = 7)
PATCH(mode2, b[33] = 2)
PATCH(rsvd0, b[34] = 1)
PATCH(rsvd1, b[96 + 27] = 1)
PATCH(rsvd2, b[160 + 63] = 1)
PATCH(chain_c, put32(b, 36, 31))
PATCH(chain_l, put32(b, 172, 9))
PATCH(kernel0, put16(b, 52, 0))
PATCH(stride0, put16(b, 54, 0))
PATCH(pad_ge_k, put16(b, 56, 3))
PATCH(out_l, put32(b, 48, 15))
PATCH(k_long, (put16(b, 52, 19), put32(b, 48, 1)))
PATCH(fc_kernel, put16(b, 180, 1))
PATCH(fc_out_l, put32(b, 176, 2))
PATCH(mid_scores, b[33] = RBNN_OUT_SCORES)
PATCH(out_c0, put32(b, 168, 0))
PATCH(out_big, put32(b, 168, 200000))
PATCH(pool_segs, put32(b, 124, 1))
PATCH(pool_off, put32(b, 128, 272))
PATCH(pool_c, put32(b, 104, 4))
PATCH(pool_pad, put16(b, 120, 1))
PATCH(pool_scores, b[97] = RBNN_OUT_SCORES)
PATCH(seg_align, put32(b, 64, 228))
PATCH(seg_end, put32(b, 192, 280))
PATCH(nsegs0, put32(b, 188, 0))
PATCH(seg_rsvd, put16(b, 254, 1))
PATCH(seg_tile, put32(b, 224, 4))
PATCH(seg_count0, put16(b, 266, 0))
PATCH(seg_rows, put32(b, 228, 60))
PATCH(seg_outs, put16(b, 264, 5))
PATCH(seg_block, put16(b, 236, 2))
PATCH(seg_dup, put16(b, 264, 2))
PATCH(seg_dup0, put16(b, 252, 0))
PATCH(seg_missing, put32(b, 60, 2))
PATCH(seg_gap, (put16(b, 264, 5), put16(b, 266, 3)))
PATCH(l2_missing_out, put16(b, 282, 9))

static const struct bad_prog bad_progs[] = {
	{ "short", 31, p_none, 0, "shorter" },
	{ "empty", 1, p_none, 0, "shorter" },
	{ "huge", (1u << 20) + 8, p_none, 0, "1 MiB" },
	{ "magic", 0, p_magic, 0, "magic" },
	{ "version", 0, p_version, 0, "version" },
	{ "nlayers 0", 0, p_nlayers0, 0, "nlayers" },
	{ "nlayers > max", 0, p_nlayers_big, 0, "nlayers" },
	{ "in_channels 0", 0, p_in_c0, 0, "channels" },
	{ "in_length 0", 0, p_in_l0, 0, "length" },
	{ "in_bits 0", 0, p_in_bits0, 0, "in_bits" },
	{ "in_bits 9", 0, p_in_bits9, 0, "in_bits" },
	{ "header rsvd", 0, p_hdr_rsvd, 0, "reserved" },
	{ "input too big", 0, p_in_big, 0, "input item" },
	{ "truncated layers", 32 + 64 + 10, p_none, 96, "layer table" },
	{ "op 0", 0, p_op0, 32, "op" },
	{ "op 7", 0, p_op7, 96, "op" },
	{ "out_mode 2", 0, p_mode2, 32, "out_mode" },
	{ "layer rsvd0", 0, p_rsvd0, 32, "reserved" },
	{ "layer rsvd1", 0, p_rsvd1, 96, "reserved" },
	{ "layer rsvd2", 0, p_rsvd2, 160, "reserved" },
	{ "chain channels", 0, p_chain_c, 32, "previous" },
	{ "chain length", 0, p_chain_l, 160, "previous" },
	{ "kernel 0", 0, p_kernel0, 32, "kernel" },
	{ "stride 0", 0, p_stride0, 32, "stride" },
	{ "pad >= kernel", 0, p_pad_ge_k, 32, "pad" },
	{ "out_length", 0, p_out_l, 32, "out_length" },
	{ "kernel too long", 0, p_k_long, 32, "longer" },
	{ "FC kernel", 0, p_fc_kernel, 160, "FC" },
	{ "FC out_length", 0, p_fc_out_l, 160, "out_length" },
	{ "scores mid-program", 0, p_mid_scores, 32, "scores" },
	{ "out_channels 0", 0, p_out_c0, 160, "out_channels" },
	{ "output too big", 0, p_out_big, 160, "activation buffer" },
	{ "maxpool segs", 0, p_pool_segs, 96, "no segments" },
	{ "maxpool seg_offset", 0, p_pool_off, 96, "no segments" },
	{ "maxpool channels", 0, p_pool_c, 96, "in_channels" },
	{ "maxpool pad", 0, p_pool_pad, 96, "pad" },
	{ "maxpool scores", 0, p_pool_scores, 96, "bits" },
	{ "seg_offset align", 0, p_seg_align, 32, "aligned" },
	{ "segments past end", 0, p_seg_end, 160, "beyond the end" },
	{ "nsegs 0", 0, p_nsegs0, 160, "no segments" },
	{ "seg rsvd", 0, p_seg_rsvd, 240, "reserved" },
	{ "seg tile", 0, p_seg_tile, 224, "tile" },
	{ "seg out_count 0", 0, p_seg_count0, 256, "out_count" },
	{ "seg rows", 0, p_seg_rows, 224, "rows" },
	{ "seg outputs", 0, p_seg_outs, 256, "outputs" },
	{ "seg block", 0, p_seg_block, 224, "block" },
	{ "seg overlap", 0, p_seg_dup, 256, "twice" },
	{ "seg overlap block 0", 0, p_seg_dup0, 240, "twice" },
	{ "seg missing", 0, p_seg_missing, 32, "no segment" },
	{ "seg gap", 0, p_seg_gap, 32, "output 4 of block 1" },
	{ "last output uncovered", 0, p_l2_missing_out, 160,
	  "output 9 of block 0" },
};

static void test_invalid_programs(void **state)
{
	struct rbnn_array *a = mk_array(4, 64, 64, false);
	uint8_t *b = calloc(1, (1u << 20) + 64);
	char err[200];
	uint32_t eo;
	struct rbnn_prog *pr;
	size_t i;

	(void)state;
	/* The base program itself is fine. */
	base_prog(b);
	pr = rbnn_prog_parse(a, b, BASE_LEN, err, sizeof(err), &eo);
	if (!pr)
		fail_msg("base rejected at %u: %s", eo, err);
	assert_int_equal(rbnn_prog_in_bytes(pr), 64);
	assert_int_equal(rbnn_prog_out_bytes(pr), 40);
	rbnn_prog_free(pr);

	for (i = 0; i < sizeof(bad_progs) / sizeof(bad_progs[0]); i++) {
		const struct bad_prog *c = &bad_progs[i];

		base_prog(b);
		c->patch(b);
		eo = 0xdeadbeef;
		memset(err, 0, sizeof(err));
		pr = rbnn_prog_parse(a, b, c->len ? c->len : BASE_LEN, err,
				     sizeof(err), &eo);
		if (pr)
			fail_msg("%s: accepted", c->name);
		if (eo != c->off)
			fail_msg("%s: offset %u, expected %u (%s)", c->name, eo,
				 c->off, err);
		if (!strstr(err, c->why))
			fail_msg("%s: \"%s\" lacks \"%s\"", c->name, err,
				 c->why);
	}
	assert_true(i >= 25);

	/* Programs needing their own shapes. */
	{
		/* MAXPOOL1D on a multi-bit input. */
		memset(b, 0, 96);
		put32(b, 0, RBNN_PROG_MAGIC);
		put16(b, 4, 1);
		put16(b, 6, 1);
		put32(b, 8, 4);
		put32(b, 12, 8);
		b[16] = 3;
		b[32] = RBNN_LAYER_MAXPOOL1D;
		put32(b, 36, 4);
		put32(b, 40, 4);
		put32(b, 44, 8);
		put32(b, 48, 4);
		put16(b, 52, 2);
		put16(b, 54, 2);
		eo = 1;
		assert_null(rbnn_prog_parse(a, b, 96, err, sizeof(err), &eo));
		assert_int_equal(eo, 32);
		assert_non_null(strstr(err, "bit input"));

		/* A fan-in needing more than 65536 column blocks. */
		memset(b, 0, 112);
		put32(b, 0, RBNN_PROG_MAGIC);
		put16(b, 4, 1);
		put16(b, 6, 1);
		put32(b, 8, 65);
		put32(b, 12, 1);
		b[16] = 1;
		b[32] = RBNN_LAYER_CONV1D;
		put32(b, 36, 65);
		put32(b, 40, 1);
		put32(b, 44, 1);
		put32(b, 48, 65535);
		put16(b, 52, 65535);
		put16(b, 54, 1);
		put16(b, 56, 65534);
		put32(b, 60, 1);
		put32(b, 64, 96);
		put16(b, 96 + 10, 1);
		eo = 1;
		assert_null(rbnn_prog_parse(a, b, 112, err, sizeof(err), &eo));
		assert_int_equal(eo, 32);
		assert_non_null(strstr(err, "column blocks"));
	}
	free(b);
	rbnn_array_free(a);
}

/* Random corruption: never crashes; accepted programs run. */
static void test_fuzz_programs(void **state)
{
	struct rbnn_array *a = mk_array(4, 64, 64, false);
	uint8_t b[BASE_LEN + 64];
	uint64_t *in = malloc(32768 + 64), *out = malloc(32768 + 64);
	char err[64];
	int accepted = 0;

	(void)state;
	trng_state = 13;
	for (int it = 0; it < 20000; it++) {
		size_t len = BASE_LEN;
		struct rbnn_prog *pr;
		uint32_t eo = 0;

		base_prog(b);
		for (int i = BASE_LEN; i < BASE_LEN + 64; i++)
			b[i] = (uint8_t)trng();
		for (int k = rnd(1, 4); k > 0; k--) {
			int off = rnd(0, BASE_LEN - 1);

			/* Mostly small values: they get past more checks. */
			b[off] = trng() & 1 ? (uint8_t)rnd(0, 3) :
					      (uint8_t)trng();
		}
		if (it % 10 == 0)
			len = (size_t)rnd(0, BASE_LEN + 64);
		pr = rbnn_prog_parse(a, b, len, err, sizeof(err), &eo);
		if (!pr) {
			assert_true(err[0] != 0);
			assert_true(eo <= len);
			continue;
		}
		accepted++;
		assert_true(rbnn_prog_in_bytes(pr) <= 32768);
		assert_true(rbnn_prog_out_bytes(pr) <= 32768);
		for (size_t i = 0; i < rbnn_prog_in_bytes(pr) / 8; i++)
			in[i] = trng();
		rbnn_prog_run(a, pr, in, out, NULL);
		rbnn_prog_free(pr);
	}
	assert_true(accepted > 100);
	free(in);
	free(out);
	rbnn_array_free(a);
}

/* ---- resumable runs --------------------------------------------------- */

static uint8_t *array_state(const struct rbnn_array *a, size_t *n)
{
	uint8_t *buf;

	*n = rbnn_array_state_size(a);
	buf = malloc(*n);
	assert_non_null(buf);
	rbnn_array_save(a, buf);
	return buf;
}

/* Run one item in steps of @budget units (0: a random budget per step). */
static int run_sliced(struct rbnn_array *a, const struct rbnn_prog *prog,
		      const void *in, void *out, struct rbnn_cost *cost,
		      uint64_t budget)
{
	int steps = 0;

	rbnn_prog_begin(prog, in, out);
	for (;;) {
		uint64_t b = budget ? budget : (uint64_t)rnd(1, 5000);

		steps++;
		if (rbnn_prog_step(a, prog, cost, &b))
			return steps;
		/* A step that does not finish spends its whole budget. */
		assert_int_equal(b, 0);
	}
}

/*
 * Any budget gives the one-shot run's outputs, costs (bit for bit) and
 * array state (random draws included), with the error model on and sense
 * errors frequent enough to land inside split segment reads.
 */
static void test_sliced_equals_oneshot(void **state)
{
	static const uint64_t budgets[] = { 1, 2, 7, 64, 200, 4096, 0 };
	int done = 0, split = 0;

	(void)state;
	trng_state = 21;
	while (done < 60) {
		struct rbnn_params p;
		struct rbnn_array *a, *b;
		struct tnet net;
		struct image img;
		struct rbnn_prog *pa, *pb;
		uint64_t bud = budgets[done % 7], keep;
		size_t ib, ob;
		uint64_t *in, *oa, *obuf;
		struct rbnn_cost ca = { 0 }, cb = { 0 };

		rbnn_params_default(&p);
		p.tiles = 8;
		p.rows = 128;
		p.cols = trng() & 1 ? 64 : 128;
		p.read_ber = done % 2 ? 0.02 : 0;
		p.seed = 100 + done;
		/* costs that are not sums of integers: order matters */
		p.e_read_fj = 0.1 + 0.01 * done;
		p.e_popcount_fj = 0.3;
		p.t_read_ns = 1.1;
		if (!random_net(&net, &p)) {
			net_free(&net);
			continue;
		}
		a = rbnn_array_new(&p);
		b = rbnn_array_new(&p);
		assert_non_null(a);
		assert_non_null(b);
		keep = trng_state;
		build(a, &net, &img);
		free(img.buf);
		trng_state = keep;
		build(b, &net, &img);
		pa = rbnn_prog_parse(a, img.buf, img.len, NULL, 0, NULL);
		pb = rbnn_prog_parse(b, img.buf, img.len, NULL, 0, NULL);
		assert_non_null(pa);
		assert_non_null(pb);
		ib = rbnn_prog_in_bytes(pa);
		ob = rbnn_prog_out_bytes(pa);
		in = malloc(ib + 8);
		oa = malloc(ob + 8);
		obuf = malloc(ob + 8);
		for (int it = 0; it < 3; it++) {
			uint8_t *sa, *sb;
			size_t na, nb;

			for (size_t i = 0; i < ib / 8; i++)
				in[i] = trng();
			memset(oa, 0x5a, ob);
			memset(obuf, 0xa5, ob);
			rbnn_prog_run(a, pa, in, oa, &ca);
			if (run_sliced(b, pb, in, obuf, &cb, bud) > 1)
				split++;
			assert_memory_equal(oa, obuf, ob);
			assert_memory_equal(&ca, &cb, sizeof(ca));
			sa = array_state(a, &na);
			sb = array_state(b, &nb);
			assert_int_equal(na, nb);
			assert_memory_equal(sa, sb, na);
			free(sa);
			free(sb);
		}
		free(in);
		free(oa);
		free(obuf);
		free(img.buf);
		rbnn_prog_free(pa);
		rbnn_prog_free(pb);
		rbnn_array_free(a);
		rbnn_array_free(b);
		net_free(&net);
		done++;
	}
	/* Most runs really were split into many steps. */
	assert_true(split > 100);
}

/*
 * An item abandoned midway leaves nothing behind: the next item begun on
 * the same program is exact; a finished item stays finished.
 */
static void test_sliced_abandon(void **state)
{
	struct rbnn_array *a = mk_array(4, 64, 128, false);
	struct tnet net = { .in_c = 4, .in_l = 30, .in_bits = 3 };
	struct image img;
	struct rbnn_prog *pr;
	uint64_t in[16], out[4], ref[4], bud;
	struct rbnn_cost c1 = { 0 }, c2 = { 0 };
	int steps;

	(void)state;
	trng_state = 23;
	add_layer(&net, RBNN_LAYER_CONV1D, RBNN_OUT_BITS, 20, 5, 2, 2);
	add_layer(&net, RBNN_LAYER_MAXPOOL1D, RBNN_OUT_BITS, 0, 2, 2, 0);
	add_layer(&net, RBNN_LAYER_FC, RBNN_OUT_SCORES, 5, 0, 0, 0);
	build(a, &net, &img);
	pr = rbnn_prog_parse(a, img.buf, img.len, NULL, 0, NULL);
	assert_non_null(pr);
	assert_true(rbnn_prog_in_bytes(pr) <= sizeof(in));
	assert_true(rbnn_prog_out_bytes(pr) <= sizeof(out));
	for (size_t i = 0; i < 16; i++)
		in[i] = trng() & 0x0707070707070707ull;
	rbnn_prog_run(a, pr, in, ref, &c1);

	/* abandon a first attempt after a few steps, with other input */
	{
		uint64_t junk[16];

		for (size_t i = 0; i < 16; i++)
			junk[i] = trng() & 0x0707070707070707ull;
		rbnn_prog_begin(pr, junk, out);
		for (int k = 0; k < 5; k++) {
			bud = 10;
			assert_false(rbnn_prog_step(a, pr, NULL, &bud));
		}
	}
	steps = run_sliced(a, pr, in, out, &c2, 3);
	assert_true(steps > 10);
	assert_memory_equal(out, ref, rbnn_prog_out_bytes(pr));
	assert_memory_equal(&c1, &c2, sizeof(c1));
	/* done stays done, whatever the budget; it spends nothing */
	bud = 0;
	assert_true(rbnn_prog_step(a, pr, &c2, &bud));
	bud = 5;
	assert_true(rbnn_prog_step(a, pr, &c2, &bud));
	assert_int_equal(bud, 5);
	assert_memory_equal(&c1, &c2, sizeof(c1));
	/* a zero budget makes no progress on an unfinished item */
	rbnn_prog_begin(pr, in, out);
	bud = 0;
	assert_false(rbnn_prog_step(a, pr, &c2, &bud));
	assert_memory_equal(&c1, &c2, sizeof(c1));
	rbnn_prog_free(pr);
	free(img.buf);
	net_free(&net);
	rbnn_array_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fc_single_block),
		cmocka_unit_test(test_fc_blocks_and_tiles),
		cmocka_unit_test(test_conv_combos),
		cmocka_unit_test(test_conv_padding_cost),
		cmocka_unit_test(test_maxpool),
		cmocka_unit_test(test_bitserial),
		cmocka_unit_test(test_threshold_boundary),
		cmocka_unit_test(test_random_networks),
		cmocka_unit_test(test_default_geometry),
		cmocka_unit_test(test_error_model_runs),
		cmocka_unit_test(test_act_buffer_limit),
		cmocka_unit_test(test_invalid_programs),
		cmocka_unit_test(test_fuzz_programs),
		cmocka_unit_test(test_sliced_equals_oneshot),
		cmocka_unit_test(test_sliced_abandon),
	};

	return cmocka_run_group_tests_name("exec", tests, NULL, NULL);
}
