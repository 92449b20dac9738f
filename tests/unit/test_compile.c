// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * Unit tests: compilation of models for the RBNN card (libbnn/src/
 * compile.c).
 *
 *  - mapping invariants on many random models and geometries: every
 *    (output, block) pair of every card layer covered exactly once, no
 *    physical row used twice, segments inside the card, row bits = the
 *    layer's fan-in block (columns past the fan-in 0), thresholds exactly
 *    on the block-0 rows of BITS layers, tiles_used, and every stage's
 *    program image accepted by the device-model core;
 *  - column blocks with fan-in not a multiple of the columns; fan-out over
 *    several tiles; partitioning of classifier-only, fully binarized and
 *    mixed models; bit-serial first layers; FLATTEN folding and the stage
 *    split a CONV1D after a FLATTEN needs; max_layers; binary layers the
 *    card cannot hold left on the host with a note; out-of-tiles errors;
 *    footprints computed by hand; the worked example of rbnn-device.rst.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bnn.h"
#include "bnn_test_models.h"
#include "compile.h"
#include "rbnn_array.h"
#include "rbnn_exec.h"
#include "rbnn_regs.h"

static struct bnn__card_geom geom(uint32_t tiles, uint32_t rows, uint32_t cols)
{
	struct bnn__card_geom g;

	memset(&g, 0, sizeof(g));
	g.tiles = tiles;
	g.rows = rows;
	g.cols = cols;
	g.act_buf_size = 65536;
	g.max_layers = 32;
	g.max_batch = 65536;
	return g;
}

static int is_w(uint32_t kind)
{
	return kind == BNN_LAYER_BCONV1D || kind == BNN_LAYER_BDENSE;
}

/* Model layer of card layer k of stage s (skipping FLATTEN). */
static const struct bnn__layer *model_layer(const struct bnn_model *m,
					    const struct bnn__card_stage *s,
					    uint32_t k)
{
	uint32_t n = 0;

	for (uint32_t i = s->first; i < s->last; i++) {
		if (m->layers[i].kind == BNN_LAYER_FLATTEN)
			continue;
		if (n++ == k)
			return &m->layers[i];
	}
	fail_msg("stage has fewer model layers than card layers");
	return NULL;
}

/*
 * Check every invariant of a plan against its model and geometry; returns
 * the number of (output, block) pairs checked.
 */
static uint64_t check_plan(const struct bnn_model *m, const struct bnn__plan *p,
			   const struct bnn__card_geom *g)
{
	uint32_t words = g->cols / 64;
	uint8_t *used = calloc((size_t)g->tiles * g->rows, 1);
	uint8_t *tiles = calloc(g->tiles, 1);
	uint32_t ntiles = 0, prev_last = 0;
	uint64_t pairs = 0, card_bits = 0;
	struct rbnn_params rp;
	struct rbnn_array *a;
	char msg[160];

	rbnn_params_default(&rp);
	rp.error_model = false;
	rp.tiles = p->tiles_used ? p->tiles_used : 1;
	rp.rows = g->rows;
	rp.cols = g->cols;
	rp.act_buf_size = g->act_buf_size;
	rp.max_layers = g->max_layers;
	assert_int_equal(rbnn_params_check(&rp, msg, sizeof(msg)), 0);
	a = rbnn_array_new(&rp);
	assert_non_null(a);

	for (uint32_t si = 0; si < p->nstages; si++) {
		const struct bnn__card_stage *s = &p->stages[si];
		uint32_t r = 0;
		struct rbnn_prog *prog;
		void *img;
		size_t len;
		uint32_t off;

		assert_true(s->first >= prev_last);
		assert_true(s->last > s->first && s->last <= m->nlayers);
		prev_last = s->last;
		assert_true(s->nlayers >= 1 && s->nlayers <= g->max_layers);
		/* the stage's input comes from the host as bits or k-bit */
		assert_int_not_equal(m->layers[s->first].in_vk, BNN_VALUES_FLOAT);
		assert_int_equal(s->in_bits, m->layers[s->first].in_bits);
		/* image accepted by the card, same item sizes */
		assert_int_equal(bnn__stage_image(s, &img, &len, NULL), 0);
		prog = rbnn_prog_parse(a, img, len, msg, sizeof(msg), &off);
		if (!prog)
			fail_msg("stage %u rejected at byte %u: %s", si, off, msg);
		assert_int_equal(rbnn_prog_in_bytes(prog), s->in_bytes);
		assert_int_equal(rbnn_prog_out_bytes(prog), s->out_bytes);
		rbnn_prog_free(prog);
		free(img);

		for (uint32_t k = 0; k < s->nlayers; k++) {
			const struct bnn__card_layer *cl = &s->layers[k];
			const struct bnn__layer *l = model_layer(m, s, k);
			uint32_t nb, *cover;

			assert_int_equal(cl->out_c, l->out_c);
			assert_int_equal(cl->out_l, l->out_l);
			assert_int_equal(cl->in_c * (uint64_t)cl->in_l,
					 l->in_c * (uint64_t)l->in_l);
			if (!is_w(l->kind)) {
				assert_int_equal(cl->op, RBNN_LAYER_MAXPOOL1D);
				assert_int_equal(cl->nsegs, 0);
				continue;
			}
			assert_int_equal(cl->op, l->kind == BNN_LAYER_BDENSE ?
					 RBNN_LAYER_FC : RBNN_LAYER_CONV1D);
			assert_int_equal(cl->out_mode, l->scores ? RBNN_OUT_SCORES :
					 RBNN_OUT_BITS);
			card_bits += (uint64_t)l->out_c * l->n +
				     (l->scores ? 0 : 32ull * l->out_c);
			nb = (l->n + g->cols - 1) / g->cols;
			cover = calloc((size_t)nb * l->out_c, sizeof(*cover));
			for (uint32_t j = cl->seg_first; j < cl->seg_first + cl->nsegs; j++) {
				const struct bnn__card_seg *sg = &s->segs[j];

				assert_true(sg->tile < g->tiles);
				assert_true(sg->out_count >= 1);
				assert_true(sg->row + sg->out_count <= g->rows);
				assert_true(sg->out_first + sg->out_count <= l->out_c);
				assert_true(sg->block < nb);
				if (!tiles[sg->tile]++)
					ntiles++;
				for (uint32_t i = 0; i < sg->out_count; i++) {
					uint32_t o = sg->out_first + i;
					size_t phys = (size_t)sg->tile * g->rows + sg->row + i;
					const struct bnn__card_row *row = &s->rows[r++];

					cover[(size_t)sg->block * l->out_c + o]++;
					assert_int_equal(used[phys]++, 0);
					/* rows follow the segments in order */
					assert_int_equal(row->tile, sg->tile);
					assert_int_equal(row->row, sg->row + i);
					assert_int_equal(row->has_thr,
							 sg->block == 0 && !l->scores);
					if (row->has_thr)
						assert_int_equal(row->thr, l->thr[o]);
					for (uint32_t c = 0; c < g->cols; c++) {
						uint64_t j2 = (uint64_t)sg->block * g->cols + c;
						int want = j2 < l->n &&
							   (l->bits[o * l->row_bytes + j2 / 8] >> (j2 % 8) & 1);
						int got = (int)(row->bits[c / 64] >> (c % 64) & 1);

						if (want != got)
							fail_msg("stage %u layer %u out %u block %u col %u: %d, want %d",
								 si, k, o, sg->block, c, got, want);
					}
				}
			}
			for (size_t i = 0; i < (size_t)nb * l->out_c; i++)
				assert_int_equal(cover[i], 1);
			pairs += (uint64_t)nb * l->out_c;
			free(cover);
		}
		assert_int_equal(r, s->nrows);
		(void)words;
	}
	assert_int_equal(p->tiles_used, ntiles);
	assert_true(p->card_bits == card_bits);
	rbnn_array_free(a);
	free(used);
	free(tiles);
	return pairs;
}

/* ---- random models ------------------------------------------------------ */

static void test_random_mappings(void **state)
{
	(void)state;
	uint64_t pairs = 0;
	int plans = 0;

	tm_state = 21;
	for (int it = 0; it < 300; it++) {
		uint32_t q = it % 3 == 0 ? 1 : (uint32_t)tm_rnd(2, 8);
		struct bnn_model *m = tm_random_binary(q);
		uint32_t cols = 64u << tm_rnd(0, 2);
		uint32_t rows = (uint32_t)tm_rnd(1, 80);
		struct bnn__card_geom g = geom(4096, rows, cols);
		struct bnn__plan *p = NULL;
		bnn_error e;
		bnn_model_info mi;

		if (it % 5 == 0)
			g.max_layers = (uint32_t)tm_rnd(1, 3);
		if (bnn__compile(m, &g, &p, &e))
			fail_msg("model %d: %s", it, e.msg);
		pairs += check_plan(m, p, &g);
		/* fully binarized: every binary layer on the card */
		assert_int_equal(p->host_binary, 0);
		assert_string_equal(p->note, "");
		bnn_model_info_get(m, &mi);
		assert_true(p->card_bits == mi.card_bits);
		assert_true(p->host_bits == mi.host_bits);
		if (g.max_layers == 32) {
			/* one program: QUANT/SIGN on the host, the rest here */
			assert_int_equal(p->nstages, 1);
			assert_int_equal(p->stages[0].first, 1);
			assert_int_equal(p->stages[0].last, m->nlayers);
		}
		plans++;
		bnn__plan_free(p);
		bnn_model_free(m);
	}
	print_message("# %d random plans, %llu (output, block) pairs covered once\n",
		      plans, (unsigned long long)pairs);
}

/* ---- column blocks -------------------------------------------------------- */

static void test_block_split(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(1, 300, 3);
	struct bnn__card_geom g = geom(4, 16, 64);
	struct bnn__plan *p;
	const struct bnn__card_stage *s;
	bnn_error e;

	tm_state = 3;
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	check_plan(m, p, &g);
	assert_int_equal(p->nstages, 1);
	s = &p->stages[0];
	assert_int_equal(s->first, 1);	/* FLATTEN folded into the stage */
	assert_int_equal(s->nlayers, 1);
	/* 300 = 4 x 64 + 44: 5 blocks of 3 rows, 15 rows on tile 0 */
	assert_int_equal(s->layers[0].nsegs, 5);
	assert_int_equal(s->nrows, 15);
	for (uint32_t b = 0; b < 5; b++) {
		assert_int_equal(s->segs[b].block, b);
		assert_int_equal(s->segs[b].tile, 0);
		assert_int_equal(s->segs[b].row, 3 * b);
		assert_int_equal(s->segs[b].out_count, 3);
	}
	/* the last, partial block: columns 44..63 are 0 */
	for (uint32_t i = 12; i < 15; i++)
		assert_int_equal(s->rows[i].bits[0] >> 44, 0);
	/* the header (and so FC) take the first card layer's input shape */
	assert_int_equal(s->in_c, 300);
	assert_int_equal(s->in_l, 1);
	assert_int_equal(s->layers[0].in_c, 300);
	assert_int_equal(s->layers[0].in_l, 1);
	assert_int_equal(s->in_bytes, 40);	/* ALIGN(ceil(300 / 8), 8) */
	assert_int_equal(s->out_bytes, 16);	/* ALIGN(4 * 3, 8) */
	assert_int_equal(p->tiles_used, 1);
	bnn__plan_free(p);
	bnn_model_free(m);
}

/* ---- fan-out over tiles -------------------------------------------------- */

static void test_multi_tile(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(1, 100, 2);
	struct bnn__card_geom g = geom(8, 32, 64);
	struct bnn__plan *p;
	const struct bnn__card_stage *s;
	bnn_error e;
	/* block 0: 100 outputs = 32 + 32 + 32 + 4 (tiles 0..3);
	 * block 1: 28 on tile 3, 32 on 4, 32 on 5, 8 on 6; then 2 x 2 */
	static const uint32_t want[][5] = {	/* tile row first count block */
		{ 0, 0, 0, 32, 0 }, { 1, 0, 32, 32, 0 }, { 2, 0, 64, 32, 0 },
		{ 3, 0, 96, 4, 0 }, { 3, 4, 0, 28, 1 }, { 4, 0, 28, 32, 1 },
		{ 5, 0, 60, 32, 1 }, { 6, 0, 92, 8, 1 },
	};

	tm_state = 4;
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 100, 0, 0, 0, 0), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	check_plan(m, p, &g);
	s = &p->stages[0];
	assert_int_equal(s->nlayers, 2);
	assert_int_equal(s->layers[0].nsegs, 8);
	for (uint32_t j = 0; j < 8; j++) {
		assert_int_equal(s->segs[j].tile, want[j][0]);
		assert_int_equal(s->segs[j].row, want[j][1]);
		assert_int_equal(s->segs[j].out_first, want[j][2]);
		assert_int_equal(s->segs[j].out_count, want[j][3]);
		assert_int_equal(s->segs[j].block, want[j][4]);
	}
	/* layer 2: fan-in 100 = 2 blocks of 2 rows, rows 8..11 of tile 6 */
	assert_int_equal(s->layers[1].nsegs, 2);
	assert_int_equal(s->segs[8].tile, 6);
	assert_int_equal(s->segs[8].row, 8);
	assert_int_equal(s->segs[9].row, 10);
	assert_int_equal(s->segs[9].block, 1);
	assert_int_equal(p->tiles_used, 7);
	/* thresholds: block-0 rows of layer 1 only (100 of them) */
	{
		uint32_t thr = 0;

		for (uint32_t r = 0; r < s->nrows; r++)
			thr += s->rows[r].has_thr;
		assert_int_equal(thr, 100);
	}
	bnn__plan_free(p);
	bnn_model_free(m);
}

/* ---- partitioning ---------------------------------------------------------- */

static void test_partition(void **state)
{
	(void)state;
	struct bnn_model *m;
	struct bnn__card_geom g = geom(16, 256, 256);
	struct bnn__plan *p;
	bnn_error e;

	tm_state = 5;
	/* classifier only: float conv features, binary dense classifier */
	m = tm_new(2, 40, 5);
	assert_int_equal(tm_add_float(m, BNN_LAYER_CONV1D, 8, 5, 2, 2), 0);
	assert_int_equal(tm_add_float(m, BNN_LAYER_BATCHNORM, 0, 0, 0, 0), 0);
	assert_int_equal(tm_add_act(m, BNN__ACT_HARDTANH), 0);
	assert_int_equal(tm_add_pool(m, 2, 2), 0);	/* float max pool */
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 32, 0, 0, 0, 0), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 5, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	check_plan(m, p, &g);
	assert_int_equal(p->nstages, 1);
	assert_int_equal(p->stages[0].first, 6);
	assert_int_equal(p->stages[0].last, 8);
	assert_int_equal(p->stages[0].in_bits, 1);
	assert_int_equal(p->stages[0].nlayers, 2);
	assert_int_equal(p->tiles_used, 1);
	bnn__plan_free(p);
	bnn_model_free(m);

	/* fully binarized: one program after QUANT */
	m = tm_new(1, 64, 4);
	assert_int_equal(tm_add_quant(m, 4, -1.0f, 0.125f), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 16, 5, 1, 2, 0), 0);
	assert_int_equal(tm_add_pool(m, 2, 2), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 16, 3, 1, 1, 0), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 20, 0, 0, 0, 0), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 4, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	check_plan(m, p, &g);
	assert_int_equal(p->nstages, 1);
	assert_int_equal(p->stages[0].first, 1);
	assert_int_equal(p->stages[0].last, 7);
	assert_int_equal(p->stages[0].nlayers, 5);	/* FLATTEN folded */
	assert_int_equal(p->stages[0].layers[1].op, RBNN_LAYER_MAXPOOL1D);
	/* FC after FLATTEN reads 16 x 32 */
	assert_int_equal(p->stages[0].layers[3].in_c, 16);
	assert_int_equal(p->stages[0].layers[3].in_l, 32);
	bnn__plan_free(p);
	bnn_model_free(m);

	/* binary scores in the middle: two programs, a host range between */
	m = tm_new(1, 30, 3);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 12, 0, 0, 0, 1), 0);
	assert_int_equal(tm_add_float(m, BNN_LAYER_BATCHNORM, 0, 0, 0, 0), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	check_plan(m, p, &g);
	assert_int_equal(p->nstages, 2);
	assert_int_equal(p->stages[0].first, 1);
	assert_int_equal(p->stages[0].last, 3);
	assert_int_equal(p->stages[1].first, 5);
	assert_int_equal(p->stages[1].last, 6);
	/* rows of the two programs do not overlap (check_plan) and pack */
	assert_int_equal(p->stages[1].segs[0].row, 12);
	bnn__plan_free(p);
	bnn_model_free(m);

	/* no binary layer at all: no stage */
	m = tm_new(1, 8, 2);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_float(m, BNN_LAYER_DENSE, 2, 0, 0, 0), 0);
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	assert_int_equal(p->nstages, 0);
	assert_int_equal(p->tiles_used, 0);
	assert_true(p->card_bits == 0);
	assert_true(p->host_bits == 32 * (16 + 2));
	bnn__plan_free(p);
	bnn_model_free(m);
}

/* JOIN is a host layer: the card program before it ends there, the one
 * after it reads the joined [1][L*C + A] bits like any FC input. */
static void test_join_split(void **state)
{
	(void)state;
	struct bnn__card_geom g = geom(16, 256, 256);
	static const uint32_t kinds[2] = { BNN_FEAT_PRE_RR, BNN_FEAT_POST_PRE };
	static const uint32_t nthr[2] = { 40, 30 };
	float thr[70];
	struct bnn__plan *p;
	struct bnn_model *m;
	bnn_model_info mi;
	bnn_error e;

	for (int i = 0; i < 70; i++)
		thr[i] = (float)(i % 40);
	tm_state = 9;
	/* SIGN BCONV1D MAXPOOL FLATTEN JOIN BDENSE BDENSE(scores) */
	m = tm_new(2, 60, 4);
	assert_int_equal(bnn__model_set_signal(m, 0, 0, 0, 2, kinds, nthr, thr,
					       NULL), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 16, 5, 1, 2, 0), 0);
	assert_int_equal(tm_add_pool(m, 2, 2), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_JOIN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 300, 0, 0, 0, 0), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 4, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__model_finish(m, NULL), 0);
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	check_plan(m, p, &g);
	assert_int_equal(p->nstages, 2);
	assert_int_equal(p->stages[0].first, 1);
	assert_int_equal(p->stages[0].last, 3);	/* FLATTEN, JOIN: host */
	assert_int_equal(p->stages[1].first, 5);
	assert_int_equal(p->stages[1].last, 7);
	/* the joined bits: 16 x 30 + 70 = 550 = 3 column blocks */
	assert_int_equal(p->stages[1].in_c, 16 * 30 + 70);
	assert_int_equal(p->stages[1].in_l, 1);
	assert_int_equal(p->stages[1].in_bits, 1);
	assert_int_equal(p->stages[1].in_bytes, 72);	/* ALIGN8(550 / 8) */
	assert_int_equal(p->stages[1].layers[0].op, RBNN_LAYER_FC);
	assert_int_equal(p->stages[1].layers[0].in_c, 550);
	assert_int_equal(m->layers[5].n, 550);
	/* rows: 16 + 3 x 300 + 4 x 3 blocks = 928 on 4 tiles */
	assert_int_equal(p->tiles_used, 4);
	assert_int_equal(p->host_binary, 0);
	/* the thresholds are host parameters */
	assert_int_equal(bnn_model_info_get(m, &mi), 0);
	assert_true(p->host_bits == mi.host_bits);
	assert_true(mi.host_bits == 70 * 32);
	assert_true(p->card_bits + p->host_bits == mi.card_bits + mi.host_bits);
	bnn__plan_free(p);
	bnn_model_free(m);

	/* JOIN right after a card layer (no FLATTEN), then scores */
	m = tm_new(1, 20, 2);
	assert_int_equal(bnn__model_set_signal(m, 0, 0, 0, 1, kinds, nthr, thr,
					       NULL), 0);
	assert_int_equal(tm_add_quant(m, 3, -1.0f, 0.125f), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 4, 3, 1, 1, 0), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_JOIN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	check_plan(m, p, &g);
	assert_int_equal(p->nstages, 2);
	assert_int_equal(p->stages[0].in_bits, 3);
	assert_int_equal(p->stages[0].last, 2);
	assert_int_equal(p->stages[1].first, 3);
	assert_int_equal(p->stages[1].in_c, 4 * 20 + 40);
	bnn__plan_free(p);
	bnn_model_free(m);

	/* random feature models keep every plan invariant */
	for (int i = 0; i < 30; i++) {
		m = tm_random_binary_feat(i % 2 ? 1 : (uint32_t)tm_rnd(2, 8),
					  (uint32_t)tm_rnd(1, BNN_FEAT_COUNT));
		assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
		check_plan(m, p, &g);
		assert_int_equal(p->nstages, 2);
		bnn__plan_free(p);
		bnn_model_free(m);
	}
}

/* A CONV1D after a FLATTEN needs the flattened shape: a new program. */
static void test_flatten_conv_split(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(2, 10, 2);
	struct bnn__card_geom g = geom(16, 256, 256);
	struct bnn__plan *p;
	bnn_error e;

	tm_state = 6;
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 4, 3, 1, 1, 0), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 6, 1, 1, 0, 0), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	check_plan(m, p, &g);
	assert_int_equal(p->nstages, 2);
	assert_int_equal(p->stages[0].first, 1);
	assert_int_equal(p->stages[0].last, 2);
	assert_int_equal(p->stages[1].first, 2);	/* starts at the FLATTEN */
	assert_int_equal(p->stages[1].last, 6);
	assert_int_equal(p->stages[1].in_c, 40);
	assert_int_equal(p->stages[1].in_l, 1);
	assert_int_equal(p->stages[1].nlayers, 2);
	bnn__plan_free(p);
	bnn_model_free(m);
}

static void test_max_layers(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(1, 32, 2);
	struct bnn__card_geom g = geom(16, 256, 256);
	struct bnn__plan *p;
	bnn_error e;

	tm_state = 7;
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 8, 3, 1, 1, 0), 0);
	assert_int_equal(tm_add_pool(m, 2, 2), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
	g.max_layers = 2;
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	check_plan(m, p, &g);
	assert_int_equal(p->nstages, 3);
	assert_int_equal(p->stages[0].first, 1);
	assert_int_equal(p->stages[0].last, 3);
	assert_int_equal(p->stages[1].first, 3);
	assert_int_equal(p->stages[1].last, 5);
	assert_int_equal(p->stages[2].first, 5);
	assert_int_equal(p->stages[2].last, 8);	/* pool, (flatten), dense */
	bnn__plan_free(p);
	bnn_model_free(m);
}

/* ---- bit-serial first layer ------------------------------------------------ */

static void test_bit_serial(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(3, 21, 2);
	struct bnn__card_geom g = geom(16, 256, 64);
	struct bnn__plan *p;
	bnn_error e;

	tm_state = 8;
	assert_int_equal(tm_add_quant(m, 6, 0.0f, 0.5f), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 7, 20, 1, 0, 0), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	check_plan(m, p, &g);
	assert_int_equal(p->nstages, 1);
	assert_int_equal(p->stages[0].in_bits, 6);
	assert_int_equal(p->stages[0].in_c, 3);
	assert_int_equal(p->stages[0].in_l, 21);
	assert_int_equal(p->stages[0].in_bytes, 64);	/* ALIGN(63, 8) */
	/* fan-in 60 in one 64-column block; 14 = 7 x 2 outputs */
	assert_int_equal(p->stages[0].layers[0].nsegs, 1);
	assert_int_equal(p->stages[0].layers[1].in_c, 7);
	assert_int_equal(p->stages[0].layers[1].in_l, 2);
	bnn__plan_free(p);
	bnn_model_free(m);

	/* a flatten straight after QUANT: still bit-serial, FC layer 0 */
	m = tm_new(2, 5, 2);
	assert_int_equal(tm_add_quant(m, 3, 0.0f, 1.0f), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	check_plan(m, p, &g);
	assert_int_equal(p->nstages, 1);
	assert_int_equal(p->stages[0].first, 1);
	assert_int_equal(p->stages[0].in_bits, 3);
	assert_int_equal(p->stages[0].in_bytes, 16);
	bnn__plan_free(p);
	bnn_model_free(m);
}

/* ---- what the card cannot hold ---------------------------------------------- */

static void test_out_of_tiles(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(1, 600, 3);
	struct bnn__card_geom g = geom(2, 16, 256);
	struct bnn__plan *p = (struct bnn__plan *)&g;
	bnn_error e;

	tm_state = 9;
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 10, 0, 0, 0, 0), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1), 0);
	/* layer 2: 10 x 3 blocks = 30 rows of 32: fits; layer 3 needs 3 */
	assert_int_equal(bnn__compile(m, &g, &p, &e), BNN_E_UNSUPPORTED);
	assert_null(p);
	assert_int_equal(e.code, BNN_E_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "layer 3 (bdense)"));
	assert_non_null(strstr(e.msg, "needs 3 rows"));
	assert_non_null(strstr(e.msg, "only 2 of the card's 32 rows"));
	g.tiles = 3;
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	check_plan(m, p, &g);
	assert_int_equal(p->tiles_used, 3);
	bnn__plan_free(p);
	g.tiles = 1;
	assert_int_equal(bnn__compile(m, &g, &p, &e), BNN_E_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "layer 2 (bdense): needs 30 rows"));
	/* geometry errors */
	g = geom(2, 16, 100);
	assert_int_equal(bnn__compile(m, &g, &p, &e), BNN_E_INVAL);
	g = geom(0, 16, 64);
	assert_int_equal(bnn__compile(m, &g, &p, &e), BNN_E_INVAL);
	assert_int_equal(bnn__compile(m, NULL, &p, &e), BNN_E_INVAL);
	bnn_model_free(m);
}

static void test_host_fallback(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(1, 512, 3);
	struct bnn__card_geom g = geom(16, 256, 256);
	struct bnn__plan *p;
	bnn_model_info mi;
	bnn_error e;

	tm_state = 10;
	g.act_buf_size = 1024;	/* halves of 512 bytes = 4096 bits */
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);	/* 64 B */
	/* 16 x 512 = 8192 bits = 1024 B: too large */
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 16, 3, 1, 1, 0), 0);
	assert_int_equal(tm_add_pool(m, 4, 4), 0);	/* 16 x 128 = 256 B */
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 8, 3, 2, 1, 0), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	check_plan(m, p, &g);
	assert_int_equal(p->host_binary, 1);
	assert_non_null(strstr(p->note, "layer 1 (bconv1d) runs on the host"));
	assert_non_null(strstr(p->note, "output item of 1024 bytes"));
	assert_int_equal(p->nstages, 1);
	/* the pool's 1024-byte input cannot be staged either (not a
	 * binary layer: no note); the card starts at layer 3 */
	assert_int_equal(p->stages[0].first, 3);
	assert_int_equal(p->stages[0].last, 6);
	bnn_model_info_get(m, &mi);
	/* layer 1's 16 x 3 weights and 16 thresholds count on the host */
	assert_true(p->host_bits == 16 * 3 + 16 * 32);
	assert_true(p->card_bits + p->host_bits == mi.card_bits + mi.host_bits);
	bnn__plan_free(p);

	/* input items too large: both convolutions on the host */
	g.act_buf_size = 160;	/* 80-byte halves */
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	assert_int_equal(p->nstages, 1);	/* only the last dense fits */
	assert_int_equal(p->stages[0].first, 4);	/* FLATTEN, BDENSE */
	assert_int_equal(p->host_binary, 2);
	assert_non_null(strstr(p->note, "(and 1 more binary layer)"));
	check_plan(m, p, &g);
	bnn__plan_free(p);
	bnn_model_free(m);
}

/* ---- footprint ---------------------------------------------------------------- */

static void test_footprint(void **state)
{
	(void)state;
	struct bnn_model *m;
	struct bnn__card_geom g = geom(16, 256, 256);
	struct bnn__plan *p;
	bnn_input_desc in;
	bnn_error e;

	tm_state = 11;
	/* SIGN; BCONV 1 -> 4, k 3 (12 weight bits + 4 thresholds); FLATTEN;
	 * BDENSE 32 -> 2 scores (64 bits, no thresholds) */
	m = tm_new(1, 8, 2);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 4, 3, 1, 1, 0), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	assert_true(p->card_bits == 12 + 4 * 32 + 64);
	assert_true(p->host_bits == 0);
	assert_int_equal(p->tiles_used, 1);
	bnn__plan_free(p);
	bnn_model_free(m);

	/* AFFINE input (2 floats); float CONV 1 -> 2, k 3 (6 + 2 floats);
	 * QUANT (offset, scale); BDENSE 16 -> 3 scores (48 bits) */
	memset(&in, 0, sizeof(in));
	in.channels = 1;
	in.length = 8;
	in.norm = BNN_INPUT_NORM_AFFINE;
	in.norm_offset = 1.0f;
	in.norm_scale = 2.0f;
	{
		const char *cls[3] = { "a", "b", "c" };

		assert_int_equal(bnn__model_new(&in, 3, cls, NULL, NULL, &m, &e), 0);
	}
	assert_int_equal(tm_add_float(m, BNN_LAYER_CONV1D, 2, 3, 1, 1), 0);
	assert_int_equal(tm_add_quant(m, 2, 0.0f, 1.0f), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	check_plan(m, p, &g);
	assert_true(p->card_bits == 48);
	assert_true(p->host_bits == 32 * 2 + 32 * 8 + 32 * 2);
	assert_int_equal(p->stages[0].in_bits, 2);
	bnn__plan_free(p);
	bnn_model_free(m);
}

/* ---- the worked example of rbnn-device.rst ----------------------------------- */

static void test_worked_example(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(2, 32, 5);
	struct bnn__card_geom g = geom(16, 256, 256);
	struct bnn__plan *p;
	void *img;
	size_t len;
	bnn_error e;

	tm_state = 12;
	assert_int_equal(tm_add_quant(m, 4, -1.0f, 0.125f), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 16, 5, 1, 2, 0), 0);
	assert_int_equal(tm_add_pool(m, 2, 2), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 32, 3, 1, 1, 0), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 64, 0, 0, 0, 0), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 5, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__compile(m, &g, &p, &e), 0);
	check_plan(m, p, &g);
	assert_int_equal(p->nstages, 1);
	assert_int_equal(p->stages[0].nlayers, 5);
	assert_int_equal(p->stages[0].nsegs, 5);
	assert_int_equal(p->stages[0].in_bytes, 64);
	assert_int_equal(p->stages[0].out_bytes, 24);
	assert_int_equal(bnn__stage_image(&p->stages[0], &img, &len, &e), 0);
	assert_int_equal(len, 432);
	free(img);
	/* 16 + 32 + 64 x 2 + 5 rows, all on tile 0 */
	assert_int_equal(p->stages[0].nrows, 181);
	assert_int_equal(p->tiles_used, 1);
	assert_true(p->card_bits == 16 * 10 + 32 * 48 + 64 * 512 + 5 * 64 +
				    (16 + 32 + 64) * 32);
	bnn__plan_free(p);
	bnn_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_mappings),
		cmocka_unit_test(test_block_split),
		cmocka_unit_test(test_multi_tile),
		cmocka_unit_test(test_partition),
		cmocka_unit_test(test_flatten_conv_split),
		cmocka_unit_test(test_join_split),
		cmocka_unit_test(test_max_layers),
		cmocka_unit_test(test_bit_serial),
		cmocka_unit_test(test_out_of_tiles),
		cmocka_unit_test(test_host_fallback),
		cmocka_unit_test(test_footprint),
		cmocka_unit_test(test_worked_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
