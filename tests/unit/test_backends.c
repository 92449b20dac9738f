// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * Unit tests: backend equality (golden tests) and the `emu` backend
 * (libbnn/src/backend_emu.c on the device-model core).
 *
 *  - many random models of every family (fully binarized with 1-bit and
 *    k-bit inputs, classifier-only after float convolutional features,
 *    conv + maxpool + dense, fan-ins of many column blocks, binary layers
 *    too large for the card and left on the host, binary scores in the
 *    middle of float layers) on random inputs: emu with the error model
 *    off == cpu, bit for bit, on scores and predicted classes;
 *  - with the error model on (high read BER, weak 1T1R programming):
 *    outputs differ from cpu sometimes, runs are reproducible from the
 *    seed, and statistics report device time and energy;
 *  - emu on N worker threads gives the outputs and the costs of one
 *    thread, run after run, with the error model off, with persistent
 *    errors and with transient read errors (per-item error streams),
 *    whatever the batch split, and models with several card stages;
 *  - models with rhythm features (a JOIN of their thermometer bits, on
 *    bits after binary convolutions or on floats): cpu with every ISA
 *    and threads == emu == the reference evaluator; the JOIN's output
 *    against a hand computation (ties, NaN);
 *  - statistics of the worked example of rbnn-device.rst (time and
 *    energy of its EXEC, as the card's completion reports them) and of
 *    programming; option and preparation errors; async jobs; re-prepare.
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

#include "bnn.h"
#include "bnn_test_models.h"
#include "backend_emu.h"
#include "compile.h"
#include "exec.h"
#include "policy.h"

static bnn_backend *open_be(int kind, const bnn_backend_opts *o)
{
	bnn_backend *be = NULL;
	bnn_error e;

	if (bnn_backend_open(kind, o, &be, &e))
		fail_msg("open %s: %s", bnn_backend_kind_name(kind), e.msg);
	return be;
}

static bnn_backend *open_emu_off(uint32_t tiles)
{
	bnn_backend_opts o;

	bnn_backend_opts_init(&o);
	o.error_model = 0;
	o.tiles = tiles;
	return open_be(BNN_BACKEND_EMU, &o);
}

/* Random items (signal, then features): values the first layer of any
 * of our models takes. */
static void inputs(const struct bnn_model *m, float *x, size_t n)
{
	size_t e = (size_t)m->input.channels * m->input.length;
	size_t st = tm_item_floats(m);

	if (m->layers[0].kind == BNN_LAYER_QUANT ||
	    m->layers[0].kind == BNN_LAYER_SIGN) {
		tm_inputs(m, x, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < e; j++)
			x[i * st + j] = (float)tm_rnd(-16, 16) * 0.25f;
	tm_features(m, x, n);
}

/*
 * Run m on n random items on both contexts; fail on any difference.
 * Returns the number of scores compared.
 */
static size_t same_outputs(bnn_backend *a, bnn_backend *b,
			   const struct bnn_model *m, size_t n,
			   const char *what, int idx)
{
	float *x = malloc(sizeof(float) * n * tm_item_floats(m));
	float *sa = malloc(sizeof(float) * n * m->nclasses);
	float *sb = malloc(sizeof(float) * n * m->nclasses);
	int32_t *pa = malloc(sizeof(int32_t) * n), *pb = malloc(sizeof(int32_t) * n);
	bnn_error err;

	inputs(m, x, n);
	if (bnn_prepare(a, m, &err) || bnn_prepare(b, m, &err))
		fail_msg("%s %d: prepare: %s", what, idx, err.msg);
	assert_int_equal(bnn_run(a, x, n, sa, pa, NULL, &err), 0);
	assert_int_equal(bnn_run(b, x, n, sb, pb, NULL, &err), 0);
	for (size_t i = 0; i < n * m->nclasses; i++)
		if (memcmp(&sa[i], &sb[i], sizeof(float)))
			fail_msg("%s %d: item %zu class %zu: %.9g vs %.9g", what,
				 idx, i / m->nclasses, i % m->nclasses,
				 sa[i], sb[i]);
	assert_memory_equal(pa, pb, sizeof(int32_t) * n);
	free(x);
	free(sa);
	free(sb);
	free(pa);
	free(pb);
	return n * m->nclasses;
}

/* ---- model families ------------------------------------------------------- */

/* Float convolutional features, binary classifier. */
static struct bnn_model *classifier_only(void)
{
	uint32_t c = (uint32_t)tm_rnd(1, 3), len = (uint32_t)tm_rnd(16, 60);
	uint32_t ncls = (uint32_t)tm_rnd(2, 6);
	struct bnn_model *m = tm_new(c, len, ncls);

	if (tm_add_float(m, BNN_LAYER_CONV1D, (uint32_t)tm_rnd(2, 12),
			 (uint32_t)tm_rnd(3, 7), (uint32_t)tm_rnd(1, 2), 1) ||
	    tm_add_float(m, BNN_LAYER_BATCHNORM, 0, 0, 0, 0) ||
	    tm_add_act(m, BNN__ACT_RELU) ||
	    tm_add_pool(m, 2, 2) ||
	    tm_add_float(m, BNN_LAYER_CONV1D, (uint32_t)tm_rnd(2, 12), 3, 1, 1) ||
	    tm_add_simple(m, BNN_LAYER_FLATTEN) ||
	    tm_add_simple(m, BNN_LAYER_SIGN) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, (uint32_t)tm_rnd(8, 100), 0, 0, 0, 0) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, ncls, 0, 0, 0, 1) ||
	    bnn__model_finish(m, NULL))
		abort();
	return m;
}

/* conv + maxpool + conv + maxpool + dense + dense (k-bit or sign input). */
static struct bnn_model *conv_pool_dense(void)
{
	uint32_t c = (uint32_t)tm_rnd(1, 2), len = (uint32_t)tm_rnd(40, 160);
	uint32_t ncls = (uint32_t)tm_rnd(2, 5);
	struct bnn_model *m = tm_new(c, len, ncls);
	int q = tm_rnd(0, 1);

	if ((q ? tm_add_quant(m, (uint32_t)tm_rnd(2, 8), -1.0f, 0.125f) :
		 tm_add_simple(m, BNN_LAYER_SIGN)) ||
	    tm_add_binary(m, BNN_LAYER_BCONV1D, (uint32_t)tm_rnd(4, 40),
			  (uint32_t)tm_rnd(3, 9), (uint32_t)tm_rnd(1, 2),
			  (uint32_t)tm_rnd(0, 2), 0) ||
	    tm_add_pool(m, (uint32_t)tm_rnd(2, 3), 2) ||
	    tm_add_binary(m, BNN_LAYER_BCONV1D, (uint32_t)tm_rnd(4, 40),
			  (uint32_t)tm_rnd(1, 5), 1, 0, 0) ||
	    tm_add_pool(m, 2, 2) ||
	    tm_add_simple(m, BNN_LAYER_FLATTEN) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, (uint32_t)tm_rnd(10, 90), 0, 0, 0, 0) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, ncls, 0, 0, 0, 1) ||
	    bnn__model_finish(m, NULL))
		abort();
	return m;
}

/* Fan-ins of many 256-column blocks. */
static struct bnn_model *wide_fanin(void)
{
	uint32_t len = (uint32_t)tm_rnd(200, 700), ncls = (uint32_t)tm_rnd(2, 4);
	struct bnn_model *m = tm_new(1, len, ncls);

	if (tm_add_simple(m, BNN_LAYER_SIGN) ||
	    tm_add_binary(m, BNN_LAYER_BCONV1D, (uint32_t)tm_rnd(8, 24),
			  (uint32_t)tm_rnd(1, 4), 1, 0, 0) ||
	    tm_add_simple(m, BNN_LAYER_FLATTEN) ||	/* fan-in 1600..17000 */
	    tm_add_binary(m, BNN_LAYER_BDENSE, (uint32_t)tm_rnd(2, 40), 0, 0, 0, 0) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, ncls, 0, 0, 0, 1) ||
	    bnn__model_finish(m, NULL))
		abort();
	return m;
}

/* A convolution whose output exceeds half the activation buffer (32 KiB)
 * stays on the host; the rest runs on the card. */
static struct bnn_model *too_large(void)
{
	uint32_t len = (uint32_t)tm_rnd(2100, 2600);
	struct bnn_model *m = tm_new(1, len, 3);

	if (tm_add_quant(m, 3, -1.0f, 0.125f) ||
	    tm_add_binary(m, BNN_LAYER_BCONV1D, 128, 3, 1, 1, 0) ||	/* host */
	    tm_add_pool(m, 8, 8) ||
	    tm_add_binary(m, BNN_LAYER_BCONV1D, 8, 3, 4, 1, 0) ||
	    tm_add_simple(m, BNN_LAYER_FLATTEN) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1) ||
	    bnn__model_finish(m, NULL))
		abort();
	return m;
}

/* Binary scores feeding float layers, then a second binary block. */
static struct bnn_model *scores_between(void)
{
	uint32_t len = (uint32_t)tm_rnd(10, 50), ncls = (uint32_t)tm_rnd(2, 5);
	struct bnn_model *m = tm_new(2, len, ncls);

	if (tm_add_simple(m, BNN_LAYER_SIGN) ||
	    tm_add_binary(m, BNN_LAYER_BCONV1D, (uint32_t)tm_rnd(2, 20), 3, 1, 1, 1) ||
	    tm_add_float(m, BNN_LAYER_BATCHNORM, 0, 0, 0, 0) ||
	    tm_add_simple(m, BNN_LAYER_GLOBAL_MAXPOOL) ||
	    tm_add_simple(m, BNN_LAYER_SIGN) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, (uint32_t)tm_rnd(4, 30), 0, 0, 0, 0) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, ncls, 0, 0, 0, 1) ||
	    bnn__model_finish(m, NULL))
		abort();
	return m;
}

/* ---- models with rhythm features -------------------------------------------- */

/* Float features, a float JOIN, then SIGN and a binary classifier (a card
 * stage reading the joined bits) or a float DENSE (host only). */
static struct bnn_model *float_join(int binary)
{
	uint32_t c = (uint32_t)tm_rnd(1, 3), len = (uint32_t)tm_rnd(12, 40);
	uint32_t ncls = (uint32_t)tm_rnd(2, 5);
	struct bnn_model *m = tm_new(c, len, ncls);

	if (tm_add_signal(m, (uint32_t)tm_rnd(1, BNN_FEAT_COUNT)) ||
	    tm_add_float(m, BNN_LAYER_CONV1D, (uint32_t)tm_rnd(2, 10),
			 (uint32_t)tm_rnd(2, 5), (uint32_t)tm_rnd(1, 2), 1) ||
	    tm_add_act(m, BNN__ACT_HARDTANH))
		abort();
	if (binary) {
		if (tm_add_pool(m, 2, 2) ||
		    tm_add_simple(m, BNN_LAYER_FLATTEN) ||
		    tm_add_simple(m, BNN_LAYER_JOIN) ||
		    tm_add_simple(m, BNN_LAYER_SIGN) ||
		    tm_add_binary(m, BNN_LAYER_BDENSE, (uint32_t)tm_rnd(4, 60), 0, 0, 0, 0) ||
		    tm_add_binary(m, BNN_LAYER_BDENSE, ncls, 0, 0, 0, 1))
			abort();
	} else if (tm_add_simple(m, BNN_LAYER_GLOBAL_MAXPOOL) ||
		   tm_add_simple(m, BNN_LAYER_JOIN) ||
		   tm_add_float(m, BNN_LAYER_DENSE, ncls, 0, 0, 0)) {
		abort();
	}
	if (bnn__model_finish(m, NULL))
		abort();
	return m;
}

/* A JOIN straight on a [L][C] bit tensor (no FLATTEN), with a k-bit
 * front end and enough feature bits for several 256-column blocks. */
static struct bnn_model *bits_join_wide(void)
{
	uint32_t ncls = (uint32_t)tm_rnd(2, 4);
	struct bnn_model *m = tm_new(1, (uint32_t)tm_rnd(40, 120), ncls);

	if (tm_add_signal(m, BNN_FEAT_COUNT) ||
	    tm_add_quant(m, (uint32_t)tm_rnd(2, 4), -1.0f, 0.125f) ||
	    tm_add_binary(m, BNN_LAYER_BCONV1D, (uint32_t)tm_rnd(4, 12), 3, 1, 1, 0) ||
	    tm_add_simple(m, BNN_LAYER_JOIN) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, (uint32_t)tm_rnd(4, 40), 0, 0, 0, 0) ||
	    tm_add_binary(m, BNN_LAYER_BDENSE, ncls, 0, 0, 0, 1) ||
	    bnn__model_finish(m, NULL))
		abort();
	return m;
}

static struct bnn_model *feature_model(int f)
{
	switch (f) {
	case 0: return tm_random_binary_feat(1, (uint32_t)tm_rnd(1, BNN_FEAT_COUNT));
	case 1: return tm_random_binary_feat((uint32_t)tm_rnd(2, 8),
					     (uint32_t)tm_rnd(1, BNN_FEAT_COUNT));
	case 2: return float_join(1);
	case 3: return float_join(0);
	default: return bits_join_wide();
	}
}

/* Integer scores of binary-only feature models: exactly the reference. */
static void same_as_reference(bnn_backend *be, const struct bnn_model *m,
			      size_t n, int idx)
{
	size_t st = tm_item_floats(m);
	float *x = malloc(sizeof(float) * n * st);
	float *sc = malloc(sizeof(float) * n * m->nclasses);
	double *ref = malloc(sizeof(double) * m->nclasses);
	bnn_error err;

	inputs(m, x, n);
	if (bnn_prepare(be, m, &err))
		fail_msg("model %d: prepare: %s", idx, err.msg);
	assert_int_equal(bnn_run(be, x, n, sc, NULL, NULL, &err), 0);
	for (size_t i = 0; i < n; i++) {
		tm_ref_eval(m, x + i * st, ref);
		for (uint32_t c = 0; c < m->nclasses; c++)
			if (sc[i * m->nclasses + c] != (float)ref[c])
				fail_msg("model %d item %zu class %u: %g, reference %g",
					 idx, i, c, sc[i * m->nclasses + c], ref[c]);
	}
	free(x);
	free(sc);
	free(ref);
}

static void test_golden_features(void **state)
{
	(void)state;
	static const char *const fam[] = {
		"features, binary 1-bit", "features, binary k-bit",
		"float JOIN, binary classifier", "float JOIN, float classifier",
		"bit JOIN, no flatten, wide",
	};
	static const int isas[] = { BNN_ISA_PORTABLE, BNN_ISA_AVX2,
				    BNN_ISA_AVX512 };
	bnn_backend *cpu[3] = { NULL }, *cpu_t, *emu, *emu_t;
	bnn_backend_opts o;
	size_t scores = 0;
	int nisa = 0;

	for (int i = 0; i < 3; i++) {
		bnn_error e;

		bnn_backend_opts_init(&o);
		o.cpu_isa = isas[i];
		if (bnn_backend_open(BNN_BACKEND_CPU, &o, &cpu[nisa], &e) == 0)
			nisa++;
		else
			print_message("# cpu %s: %s (skipped)\n",
				      bnn_cpu_isa_name(isas[i]), e.msg);
	}
	bnn_backend_opts_init(&o);
	o.threads = 3;
	cpu_t = open_be(BNN_BACKEND_CPU, &o);
	o.tiles = 64;
	emu_t = open_be(BNN_BACKEND_EMU, &o);
	emu = open_emu_off(64);
	tm_state = 71;
	for (int it = 0; it < 60; it++) {
		int f = it % 5;
		struct bnn_model *m = feature_model(f);
		size_t n = (size_t)tm_rnd(1, it % 3 ? 40 : 300);
		uint64_t seed = tm_state;

		for (int i = 0; i < nisa; i++) {
			tm_state = seed;
			scores += same_outputs(cpu[i], emu, m, n, fam[f], it);
		}
		tm_state = seed;
		same_outputs(cpu_t, emu_t, m, n, fam[f], it);
		if (f == 0 || f == 1 || f == 4)
			same_as_reference(cpu[0], m, n < 100 ? n : 100, it);
		bnn_model_free(m);
	}
	print_message("# %d cpu ISAs, threads and emu: %zu scores of feature models bit for bit\n",
		      nisa, scores);
	for (int i = 0; i < nisa; i++)
		bnn_backend_close(cpu[i]);
	bnn_backend_close(cpu_t);
	bnn_backend_close(emu);
	bnn_backend_close(emu_t);
}

/* The JOIN's output, by hand: thresholds (0.5, 0.8, 1.2) and (-1). */
static void test_join_by_hand(void **state)
{
	(void)state;
	static const uint32_t kinds[2] = { BNN_FEAT_PRE_LOCAL, BNN_FEAT_IRREG };
	static const uint32_t nthr[2] = { 3, 1 };
	static const float thr[4] = { 0.5f, 0.8f, 1.2f, -1.0f };
	/* items: 4 signal floats, then the two features */
	float x[5][6] = {
		{ 1, -1, 1, 1, 0.8f, -1 },	/* ties: on */
		{ -1, -1, 1, -1, NAN, -1.5f },	/* NaN: all off */
		{ 1, 1, -1, -1, 1.2f, NAN },
		{ -0.0f, 2, -3, 0, 0.79999995f, 1e30f },
		{ 1, 1, 1, 1, INFINITY, -INFINITY },
	};
	/* bits after SIGN then JOIN, element e = bit e */
	static const uint8_t want[5] = {
		0x0d | 0x30 | 0x80, 0x04, 0x03 | 0x70, 0x0b | 0x10 | 0x80,
		0x0f | 0x70,
	};
	const struct bnn__kernels *k;
	struct bnn__hnet *h;
	struct bnn__hscratch *sc;
	struct bnn_model *m;
	uint8_t out[5][8];
	float fout[5][8];
	size_t bytes;
	int vk;

	assert_int_equal(bnn__kernels_get(BNN_ISA_PORTABLE, &k), 0);
	/* bits: SIGN JOIN BDENSE(scores) */
	m = tm_new(1, 4, 2);
	assert_int_equal(bnn__model_set_signal(m, 0, 0, 0, 2, kinds, nthr, thr,
					       NULL), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_JOIN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__hnet_new(m, k, &h, NULL), 0);
	assert_int_equal(bnn__hscratch_new(h, &sc), 0);
	assert_int_equal(bnn__hnet_item_floats(h), 6);
	assert_int_equal(bnn__hnet_io(h, 0, &vk, NULL, NULL, &bytes), 0);
	assert_int_equal(bytes, 6 * sizeof(float));
	assert_int_equal(bnn__hnet_io(h, 2, &vk, NULL, NULL, &bytes), 0);
	assert_int_equal(vk, BNN_VALUES_BITS);
	assert_int_equal(bytes, 8);
	memset(out, 0xff, sizeof(out));
	bnn__hnet_run(h, sc, 0, 2, x, 5, out, &x[0][0]);
	for (int i = 0; i < 5; i++) {
		if (out[i][0] != want[i])
			fail_msg("item %d: bits 0x%02x, want 0x%02x", i,
				 out[i][0], want[i]);
		for (int j = 1; j < 8; j++)
			assert_int_equal(out[i][j], 0);
	}
	/* the same from boundary 1: the user items still give the features */
	{
		uint8_t sb[5][8], o2[5][8];

		bnn__hnet_run(h, sc, 0, 1, x, 5, sb, NULL);
		bnn__hnet_run(h, sc, 1, 2, sb, 5, o2, &x[0][0]);
		assert_memory_equal(o2, out, sizeof(out));
		/* items 2.. alone: the user pointer follows them */
		bnn__hnet_run(h, sc, 1, 2, sb[2], 3, o2, &x[2][0]);
		assert_memory_equal(o2, out[2], 3 * 8);
	}
	bnn__hscratch_free(sc);
	bnn__hnet_free(h);
	bnn_model_free(m);

	/* float: JOIN on the (normalised) input, DENSE */
	m = tm_new(1, 4, 2);
	m->input.norm = BNN_INPUT_NORM_AFFINE;
	m->input.norm_offset = 1;
	m->input.norm_scale = 2;
	assert_int_equal(bnn__model_set_signal(m, 0, 0, 0, 2, kinds, nthr, thr,
					       NULL), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_JOIN), 0);
	assert_int_equal(tm_add_float(m, BNN_LAYER_DENSE, 2, 0, 0, 0), 0);
	assert_int_equal(bnn__hnet_new(m, k, &h, NULL), 0);
	assert_int_equal(bnn__hscratch_new(h, &sc), 0);
	assert_int_equal(bnn__hnet_io(h, 1, &vk, NULL, NULL, &bytes), 0);
	assert_int_equal(vk, BNN_VALUES_FLOAT);
	assert_int_equal(bytes, 8 * sizeof(float));
	bnn__hnet_run(h, sc, 0, 1, x, 5, fout, &x[0][0]);
	for (int i = 0; i < 5; i++) {
		for (int j = 0; j < 4; j++)	/* normalised signal only */
			assert_true(fout[i][j] == (x[i][j] - 1.0f) / 2.0f);
		for (int j = 0; j < 4; j++) {
			float w = want[i] >> (4 + j) & 1 ? 1.0f : -1.0f;

			if (fout[i][4 + j] != w)
				fail_msg("item %d element %d: %g, want %g", i,
					 4 + j, fout[i][4 + j], w);
		}
	}
	bnn__hscratch_free(sc);
	bnn__hnet_free(h);

	/* through bnn_run: cpu == emu, and n * item_floats are read */
	{
		bnn_backend *cpu = open_be(BNN_BACKEND_CPU, NULL), *emu = open_emu_off(0);
		float s1[10], s2[10];
		bnn_signal_desc d;

		d.size = sizeof(d);
		assert_int_equal(bnn_model_signal_get(m, &d), 0);
		assert_int_equal(d.item_floats, 6);
		assert_int_equal(bnn_prepare(cpu, m, NULL), 0);
		assert_int_equal(bnn_prepare(emu, m, NULL), 0);
		assert_int_equal(bnn_run(cpu, &x[0][0], 5, s1, NULL, NULL, NULL), 0);
		assert_int_equal(bnn_run(emu, &x[0][0], 5, s2, NULL, NULL, NULL), 0);
		assert_memory_equal(s1, s2, sizeof(s1));
		/* the scores of item 3 depend on its features alone: same
		 * signal, other features, other scores */
		bnn_backend_close(cpu);
		bnn_backend_close(emu);
	}
	bnn_model_free(m);
}

/* ---- golden equality -------------------------------------------------------- */

static void test_golden_random(void **state)
{
	(void)state;
	static const char *const fam[] = {
		"binary 1-bit", "binary k-bit", "classifier-only",
		"conv+pool+dense", "wide fan-in", "too large for the card",
		"scores between float layers",
	};
	int count[7] = { 0 };
	size_t scores = 0;
	bnn_backend *cpu, *emu;
	bnn_backend_opts o;

	bnn_backend_opts_init(&o);
	cpu = open_be(BNN_BACKEND_CPU, &o);
	emu = open_emu_off(64);
	tm_state = 31;
	for (int it = 0; it < 140; it++) {
		int f = it % 7;
		struct bnn_model *m;

		switch (f) {
		case 0: m = tm_random_binary(1); break;
		case 1: m = tm_random_binary((uint32_t)tm_rnd(2, 8)); break;
		case 2: m = classifier_only(); break;
		case 3: m = conv_pool_dense(); break;
		case 4: m = wide_fanin(); break;
		case 5: m = too_large(); break;
		default: m = scores_between(); break;
		}
		scores += same_outputs(cpu, emu, m,
				       f == 5 ? 3 : (size_t)tm_rnd(1, 40),
				       fam[f], it);
		count[f]++;
		bnn_model_free(m);
	}
	for (int f = 0; f < 7; f++)
		print_message("# %-30s %d models: emu == cpu\n", fam[f], count[f]);
	print_message("# %zu scores compared bit for bit\n", scores);
	bnn_backend_close(cpu);
	bnn_backend_close(emu);
}

/* The plan of the "too large" family really splits host and card. */
static void test_mixed_plan(void **state)
{
	(void)state;
	struct bnn__card_geom g = { 16, 256, 256, 65536, 32, 65536 };
	struct bnn__plan *p;
	struct bnn_model *m;

	tm_state = 32;
	m = too_large();
	assert_int_equal(bnn__compile(m, &g, &p, NULL), 0);
	assert_int_equal(p->host_binary, 1);
	assert_int_equal(p->nstages, 1);
	assert_int_equal(p->stages[0].first, 3);
	print_message("# %s\n", p->note);
	bnn__plan_free(p);
	bnn_model_free(m);
	m = scores_between();
	assert_int_equal(bnn__compile(m, &g, &p, NULL), 0);
	assert_int_equal(p->nstages, 2);
	bnn__plan_free(p);
	bnn_model_free(m);
}

/* Threads (both backends) and ISAs change nothing, statistics included. */
static void test_golden_threads(void **state)
{
	(void)state;
	bnn_backend_opts o;
	bnn_backend *cpu, *emu1 = open_emu_off(0), *emu3;
	bnn_backend_info bi;

	bnn_backend_opts_init(&o);
	o.threads = 2;
	o.cpu_isa = BNN_ISA_PORTABLE;
	cpu = open_be(BNN_BACKEND_CPU, &o);
	bnn_backend_opts_init(&o);
	o.threads = 3;
	emu3 = open_be(BNN_BACKEND_EMU, &o);
	assert_int_equal(bnn_backend_info_get(emu3, &bi), 0);
	assert_non_null(strstr(bi.detail, "3 threads"));
	tm_state = 33;
	for (int it = 0; it < 12; it++) {
		struct bnn_model *m = it % 2 ? conv_pool_dense() : scores_between();
		size_t n = (size_t)tm_rnd(1, 300);
		uint64_t seed = tm_state;
		bnn_stats a1, a3, b1, b3;

		same_outputs(cpu, emu3, m, n, "cpu 2 threads / emu 3 threads", it);
		assert_int_equal(bnn_backend_stats(emu1, &a1), 0);
		assert_int_equal(bnn_backend_stats(emu3, &a3), 0);
		tm_state = seed;
		same_outputs(emu1, emu3, m, n, "emu 1 / 3 threads", it);
		assert_int_equal(bnn_backend_stats(emu1, &b1), 0);
		assert_int_equal(bnn_backend_stats(emu3, &b3), 0);
		/* this run's statistics: the same with 1 or 3 threads */
		assert_int_equal(b1.device_ns - a1.device_ns,
				 b3.device_ns - a3.device_ns);
		assert_true(b1.device_energy_pj - a1.device_energy_pj ==
			    b3.device_energy_pj - a3.device_energy_pj);
		assert_int_equal(b1.device_cmds - a1.device_cmds,
				 b3.device_cmds - a3.device_cmds);
		assert_true(b1.device_cmds - a1.device_cmds >= 1);
		bnn_model_free(m);
	}
	bnn_backend_close(cpu);
	bnn_backend_close(emu1);
	bnn_backend_close(emu3);
}

/* With the error model on, the thread count changes nothing either:
 * copies of the array read alike, and with transient read errors every
 * item has its own error stream. */
static void test_error_model_threads(void **state)
{
	(void)state;
	struct bnn_model *m;
	bnn_backend_opts o;
	bnn_backend *a, *b;

	tm_state = 37;
	m = conv_pool_dense();
	for (int ber = 0; ber < 2; ber++) {
		bnn_backend_opts_init(&o);
		o.error_model = 1;
		o.cell_mode = BNN_CELL_1T1R;
		o.prog_current_ua = 30;
		o.verify = 0;
		o.read_ber = ber ? 0.01 : 0;
		o.age_s = 1e5;
		o.seed = 99;
		a = open_be(BNN_BACKEND_EMU, &o);
		o.threads = 2;
		b = open_be(BNN_BACKEND_EMU, &o);
		same_outputs(a, b, m, 77, ber ? "read BER 0.01, 1 / 2 threads" :
				       "persistent errors, 1 / 2 threads", ber);
		bnn_backend_close(a);
		bnn_backend_close(b);
	}
	bnn_model_free(m);
}


/*
 * emu with N threads == emu with 1 thread: scores, classes and the run's
 * statistics, over several runs of one context (the transient-error
 * streams are numbered across runs), for the error model off, persistent
 * errors only (read BER 0) and transient errors (read BER 0.01); and the
 * same items in other batch splits give the same outputs.
 */
struct emu_cfg {
	const char *what;
	int error_model;
	double read_ber;
};

static void run_emu(bnn_backend *be, const float *x, size_t n, float *sc,
		    int32_t *pr, bnn_stats *st)
{
	bnn_error e;

	if (bnn_run(be, x, n, sc, pr, st, &e))
		fail_msg("run: %s", e.msg);
}

static void test_emu_threads_same(void **state)
{
	(void)state;
	static const struct emu_cfg cfg[] = {
		{ "error model off", 0, 0 },
		{ "persistent errors", 1, 0 },
		{ "transient errors, read BER 0.01", 1, 0.01 },
	};
	static const uint32_t threads[] = { 2, 3, 5 };
	static const size_t runs[] = { 300, 1, 37, 520 };
	size_t total = 0;

	for (size_t c = 0; c < sizeof(cfg) / sizeof(cfg[0]); c++) {
		struct bnn_model *m;
		bnn_backend_opts o;
		bnn_backend *ref, *be;
		size_t e, ncls, diff_cpu = 0;
		float *x, *s0, *s1;
		int32_t *p0, *p1;
		bnn_error err;

		tm_state = 41 + c;
		m = c == 2 ? scores_between() : conv_pool_dense();
		e = (size_t)m->input.channels * m->input.length;
		ncls = m->nclasses;
		total = 0;
		for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++)
			total += runs[r];
		x = malloc(sizeof(float) * total * e);
		s0 = malloc(sizeof(float) * total * ncls);
		s1 = malloc(sizeof(float) * total * ncls);
		p0 = malloc(sizeof(int32_t) * total);
		p1 = malloc(sizeof(int32_t) * total);
		inputs(m, x, total);

		bnn_backend_opts_init(&o);
		o.error_model = cfg[c].error_model;
		o.read_ber = cfg[c].read_ber;
		o.cell_mode = BNN_CELL_1T1R;
		o.prog_current_ua = 40;
		o.verify = 0;
		o.age_s = 1e5;
		o.seed = 5 + c;
		o.threads = 1;
		ref = open_be(BNN_BACKEND_EMU, &o);
		if (bnn_prepare(ref, m, &err))
			fail_msg("prepare: %s", err.msg);
		{
			bnn_stats rs[4];
			size_t at = 0;

			for (size_t r = 0; r < 4; r++) {
				run_emu(ref, x + at * e, runs[r], s0 + at * ncls,
					p0 + at, &rs[r]);
				at += runs[r];
			}
			for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
				o.threads = threads[t];
				be = open_be(BNN_BACKEND_EMU, &o);
				if (bnn_prepare(be, m, &err))
					fail_msg("prepare: %s", err.msg);
				at = 0;
				for (size_t r = 0; r < 4; r++) {
					bnn_stats st;

					memset(s1 + at * ncls, 0x55,
					       sizeof(float) * runs[r] * ncls);
					run_emu(be, x + at * e, runs[r],
						s1 + at * ncls, p1 + at, &st);
					if (memcmp(s0 + at * ncls, s1 + at * ncls,
						   sizeof(float) * runs[r] * ncls) ||
					    memcmp(p0 + at, p1 + at,
						   sizeof(int32_t) * runs[r]))
						fail_msg("%s: %u threads, run %zu of %zu items: outputs differ from 1 thread",
							 cfg[c].what, threads[t], r,
							 runs[r]);
					assert_int_equal(st.device_ns, rs[r].device_ns);
					assert_true(st.device_energy_pj ==
						    rs[r].device_energy_pj);
					assert_int_equal(st.device_cmds, rs[r].device_cmds);
					assert_int_equal(st.items, runs[r]);
					at += runs[r];
				}
				bnn_backend_close(be);
			}
		}
		/* Another split of the same items (one run of everything, 2
		 * threads) after a new prepare: the same outputs. */
		o.threads = 2;
		be = open_be(BNN_BACKEND_EMU, &o);
		if (bnn_prepare(be, m, &err))
			fail_msg("prepare: %s", err.msg);
		run_emu(be, x, total, s1, p1, NULL);
		assert_memory_equal(s0, s1, sizeof(float) * total * ncls);
		assert_memory_equal(p0, p1, sizeof(int32_t) * total);
		/* A second prepare of the same context reprograms the array
		 * reproducibly: the same outputs again. */
		if (bnn_prepare(be, m, &err) || bnn_prepare(ref, m, &err))
			fail_msg("prepare: %s", err.msg);
		run_emu(be, x, 300, s1, p1, NULL);
		run_emu(ref, x, 300, s0, p0, NULL);
		assert_memory_equal(s0, s1, sizeof(float) * 300 * ncls);
		bnn_backend_close(be);

		/* The errors are real: transient ones change outputs, and
		 * another seed other outputs. */
		if (cfg[c].read_ber > 0) {
			bnn_backend *cpu;

			bnn_backend_opts_init(&o);
			cpu = open_be(BNN_BACKEND_CPU, &o);
			if (bnn_prepare(cpu, m, &err))
				fail_msg("prepare: %s", err.msg);
			run_emu(cpu, x, 300, s1, p1, NULL);
			for (size_t i = 0; i < 300 * ncls; i++)
				diff_cpu += s0[i] != s1[i];
			print_message("# %s: %zu of %zu scores differ from cpu\n",
				      cfg[c].what, diff_cpu, 300 * ncls);
			assert_true(diff_cpu > 0);
			bnn_backend_close(cpu);
			bnn_backend_opts_init(&o);
			o.error_model = 1;
			o.read_ber = cfg[c].read_ber;
			o.cell_mode = BNN_CELL_1T1R;
			o.prog_current_ua = 40;
			o.verify = 0;
			o.age_s = 1e5;
			o.seed = 6 + c;
			o.threads = 2;
			be = open_be(BNN_BACKEND_EMU, &o);
			if (bnn_prepare(be, m, &err))
				fail_msg("prepare: %s", err.msg);
			run_emu(be, x, 300, s1, p1, NULL);
			assert_true(memcmp(s0, s1, sizeof(float) * 300 * ncls) != 0);
			bnn_backend_close(be);
		}
		print_message("# %s: 1, 2, 3 and 5 threads, runs of 300, 1, 37 and 520 items: the same outputs and costs\n",
			      cfg[c].what);
		bnn_backend_close(ref);
		bnn_model_free(m);
		free(x);
		free(s0);
		free(s1);
		free(p0);
		free(p1);
	}
}

/* ---- error model ------------------------------------------------------------ */

static void run_items(bnn_backend *be, const struct bnn_model *m,
		      const float *x, size_t n, float *sc, int32_t *pred,
		      bnn_stats *st)
{
	bnn_error e;

	if (bnn_prepare(be, m, &e))
		fail_msg("prepare: %s", e.msg);
	assert_int_equal(bnn_run(be, x, n, sc, pred, st, &e), 0);
}

/* A worn card (wear_cycles): cells past their endurance are stuck, so a
 * card cycled to the median endurance computes visibly wrong scores, one
 * cycled 10 times gives the ideal array's; out-of-range values fail. */
static void test_worn_card(void **state)
{
	(void)state;
	static const uint64_t cycles[] = { 10, 1000000 };
	struct bnn_model *m;
	bnn_backend_opts o;
	bnn_backend *cpu, *emu;
	size_t n = 32, e;
	float *x, *s0, *s1;
	int32_t p0[32], p1[32];
	bnn_error err;

	tm_state = 41;
	m = conv_pool_dense();
	e = (size_t)m->input.channels * m->input.length;
	x = malloc(sizeof(float) * n * e);
	s0 = malloc(sizeof(float) * n * m->nclasses);
	s1 = malloc(sizeof(float) * n * m->nclasses);
	inputs(m, x, n);
	bnn_backend_opts_init(&o);
	assert_int_equal(o.wear_cycles, 0);
	cpu = open_be(BNN_BACKEND_CPU, &o);
	run_items(cpu, m, x, n, s0, p0, NULL);
	for (int i = 0; i < 2; i++) {
		size_t diff = 0;

		bnn_backend_opts_init(&o);
		o.error_model = 1;
		o.read_ber = 0;
		o.wear_cycles = cycles[i];
		emu = open_be(BNN_BACKEND_EMU, &o);
		run_items(emu, m, x, n, s1, p1, NULL);
		for (size_t j = 0; j < n * m->nclasses; j++)
			diff += s0[j] != s1[j];
		print_message("# worn card, %llu cycles: %zu of %zu scores differ\n",
			      (unsigned long long)cycles[i], diff,
			      n * m->nclasses);
		if (i == 0)
			assert_int_equal(diff, 0);
		else
			assert_true(diff > n * m->nclasses / 4);
		bnn_backend_close(emu);
	}
	bnn_backend_opts_init(&o);
	o.wear_cycles = 1000000001;
	emu = NULL;
	assert_int_equal(bnn_backend_open(BNN_BACKEND_EMU, &o, &emu, &err),
			 BNN_E_INVAL);
	assert_null(emu);
	assert_non_null(strstr(err.msg, "wear_cycles"));
	bnn_backend_close(cpu);
	bnn_model_free(m);
	free(x);
	free(s0);
	free(s1);
}

/* libbnn's scrub policy (policy.h): the interval follows Arrhenius; a card
 * programmed weakly and aged at 85 C computes wrong scores, and the same
 * card with the policy on computes (nearly) the cpu's, after the number of
 * scrubs the interval gives, some rows rewritten from the model; bad
 * values fail with the option named. */
/* bnn_backend_open() of @kind with @o fails with @code and a message
 * holding @needle, leaving no backend. */
static void open_fails(int kind, const bnn_backend_opts *o, int code,
		       const char *needle)
{
	bnn_backend *be = NULL;
	bnn_error err;

	assert_int_equal(bnn_backend_open(kind, o, &be, &err), code);
	assert_null(be);
	assert_non_null(strstr(err.msg, needle));
}

static void test_scrub_policy(void **state)
{
	(void)state;
	const double year = 365.25 * 86400, age = 2 * year;
	struct bnn__emu_prog_stats ps;
	struct bnn_model *m;
	bnn_backend_opts o;
	bnn_backend *cpu, *emu;
	size_t n = 64, e, diff[2];
	float *x, *s0, *s1;
	int32_t p0[64], p1[64];
	double iv;
	bnn_error err;

	assert_true(fabs(bnn__scrub_interval_s(25) - BNN_SCRUB_BUDGET_S) < 1e-6);
	iv = bnn__scrub_interval_s(85);
	assert_true(iv > BNN_SCRUB_BUDGET_S / 2000 && iv < BNN_SCRUB_BUDGET_S / 500);
	assert_true(bnn__scrub_interval_s(-40) > BNN_SCRUB_BUDGET_S);
	/* when: the same rule on every backend */
	assert_int_equal(bnn__scrub_due(0, 0, 25), 0);
	assert_int_equal(bnn__scrub_due(BNN_SCRUB_BUDGET_S - 1, 0, 25), 0);
	assert_int_equal(bnn__scrub_due(BNN_SCRUB_BUDGET_S, 0, 25), 1);
	assert_int_equal(bnn__scrub_due(100 + BNN_SCRUB_BUDGET_S, 100, 25), 1);
	assert_int_equal(bnn__scrub_due(100 + iv / 2, 100, 85), 0);
	assert_int_equal(bnn__scrub_due(100 + iv, 100, 85), 1);
	assert_int_equal(bnn__scrub_due(5, 10, 25), 1);	/* age went back */
	/* how: a row that reads wrong in any bit is programmed again */
	{
		uint64_t model[2] = { 0x0123456789abcdefull, 0xfedcba9876543210ull };
		uint64_t rd[2];

		memcpy(rd, model, sizeof(rd));
		assert_int_equal(bnn__scrub_row(rd, model, 128), BNN_SCRUB_REFRESH);
		rd[1] ^= 1ull << 63;
		assert_int_equal(bnn__scrub_row(rd, model, 128), BNN_SCRUB_REPROGRAM);
		/* only the row's words count */
		assert_int_equal(bnn__scrub_row(rd, model, 64), BNN_SCRUB_REFRESH);
		rd[0] ^= 1;
		assert_int_equal(bnn__scrub_row(rd, model, 64), BNN_SCRUB_REPROGRAM);
	}

	tm_state = 43;
	m = conv_pool_dense();
	e = (size_t)m->input.channels * m->input.length;
	x = malloc(sizeof(float) * n * e);
	s0 = malloc(sizeof(float) * n * m->nclasses);
	s1 = malloc(sizeof(float) * n * m->nclasses);
	inputs(m, x, n);
	bnn_backend_opts_init(&o);
	assert_true(o.temperature_c == 25);
	assert_int_equal(o.scrub, 0);
	cpu = open_be(BNN_BACKEND_CPU, &o);
	run_items(cpu, m, x, n, s0, p0, NULL);
	for (int pol = 0; pol < 2; pol++) {
		bnn_backend_opts_init(&o);
		o.error_model = 1;
		o.read_ber = 0;
		o.prog_current_ua = 10;
		o.temperature_c = 85;
		o.age_s = age;
		o.scrub = pol;
		emu = open_be(BNN_BACKEND_EMU, &o);
		run_items(emu, m, x, n, s1, p1, NULL);
		diff[pol] = 0;
		for (size_t j = 0; j < n * m->nclasses; j++)
			diff[pol] += s0[j] != s1[j];
		assert_int_equal(bnn__emu_prog_stats(emu, &ps), 0);
		print_message("# 10 uA, 2 years at 85 C, scrub policy %s: %zu of %zu scores differ; %llu scrubs, %llu rows rewritten, %llu weak cells\n",
			      pol ? "on" : "off", diff[pol], n * m->nclasses,
			      (unsigned long long)ps.scrubs,
			      (unsigned long long)ps.scrub_rewritten,
			      (unsigned long long)ps.scrub_weak);
		if (pol) {
			assert_int_equal(ps.scrubs, (uint64_t)floor(age / iv));
			assert_true(ps.scrub_rewritten > 0);
		} else {
			assert_int_equal(ps.scrubs, 0);
		}
		bnn_backend_close(emu);
	}
	assert_true(diff[0] > n * m->nclasses / 20);
	assert_true(diff[1] * 10 < diff[0]);

	/* bad values */
	{
		static const double temps[] = { -40.5, 200.5, NAN, INFINITY };

		for (size_t i = 0; i < 4; i++) {
			bnn_backend_opts_init(&o);
			o.temperature_c = temps[i];
			open_fails(BNN_BACKEND_EMU, &o, BNN_E_INVAL, "temperature_c");
		}
	}
	bnn_backend_opts_init(&o);
	o.scrub = 2;
	open_fails(BNN_BACKEND_EMU, &o, BNN_E_INVAL, "scrub");
	/* a real card takes the policy now: no card here is NODEV, not
	 * UNSUPPORTED (a card, where there is one, opens) */
	bnn_backend_opts_init(&o);
	o.scrub = 1;
	o.device = "/nonexistent/accel9";
	open_fails(BNN_BACKEND_RBNN, &o, BNN_E_NODEV, "RBNN card");
	/* more scrubs than one aging may run: refused at prepare */
	bnn_backend_opts_init(&o);
	o.error_model = 1;
	o.scrub = 1;
	o.temperature_c = 200;
	o.age_s = 1e12;
	emu = open_be(BNN_BACKEND_EMU, &o);
	assert_int_equal(bnn_prepare(emu, m, &err), BNN_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "scrub policy"));
	bnn_backend_close(emu);

	bnn_backend_close(cpu);
	bnn_model_free(m);
	free(x);
	free(s0);
	free(s1);
}

static void test_error_model(void **state)
{
	(void)state;
	struct bnn_model *m;
	bnn_backend_opts o;
	bnn_backend *cpu, *emu;
	size_t n = 64, e, diff = 0, pdiff = 0;
	float *x, *s0, *s1, *s2;
	int32_t p0[64], p1[64], p2[64];
	bnn_stats st;

	tm_state = 34;
	m = conv_pool_dense();
	e = (size_t)m->input.channels * m->input.length;
	x = malloc(sizeof(float) * n * e);
	s0 = malloc(sizeof(float) * n * m->nclasses);
	s1 = malloc(sizeof(float) * n * m->nclasses);
	s2 = malloc(sizeof(float) * n * m->nclasses);
	inputs(m, x, n);

	bnn_backend_opts_init(&o);
	cpu = open_be(BNN_BACKEND_CPU, &o);
	run_items(cpu, m, x, n, s0, p0, NULL);

	/* transient sense errors at a high rate */
	o.error_model = 1;
	o.read_ber = 0.02;
	o.seed = 7;
	emu = open_be(BNN_BACKEND_EMU, &o);
	run_items(emu, m, x, n, s1, p1, &st);
	for (size_t i = 0; i < n * m->nclasses; i++)
		diff += s0[i] != s1[i];
	for (size_t i = 0; i < n; i++)
		pdiff += p0[i] != p1[i];
	print_message("# read BER 0.02: %zu of %zu scores and %zu of %zu classes differ from cpu\n",
		      diff, n * m->nclasses, pdiff, n);
	assert_true(diff > 0);
	assert_true(st.device_energy_pj > 0);
	assert_true(st.device_ns > 0);
	assert_int_equal(st.device_cmds, 1);
	assert_int_equal(st.items, n);
	bnn_backend_close(emu);

	/* the same seed gives the same run */
	emu = open_be(BNN_BACKEND_EMU, &o);
	run_items(emu, m, x, n, s2, p2, NULL);
	assert_memory_equal(s1, s2, sizeof(float) * n * m->nclasses);
	bnn_backend_close(emu);

	/* weak 1T1R programming without verify: persistent errors */
	bnn_backend_opts_init(&o);
	o.error_model = 1;
	o.cell_mode = BNN_CELL_1T1R;
	o.prog_current_ua = 20;
	o.verify = 0;
	o.read_ber = 0;
	o.age_s = 3600;
	emu = open_be(BNN_BACKEND_EMU, &o);
	run_items(emu, m, x, n, s2, p2, &st);
	diff = 0;
	for (size_t i = 0; i < n * m->nclasses; i++)
		diff += s0[i] != s2[i];
	print_message("# 1T1R at 20 uA, no verify: %zu of %zu scores differ\n",
		      diff, n * m->nclasses);
	assert_true(diff > 0);
	assert_true(st.device_energy_pj > 0);
	{
		struct bnn__emu_prog_stats ps;

		assert_int_equal(bnn__emu_prog_stats(emu, &ps), 0);
		assert_true(ps.pulses > 0);
		assert_true(ps.device_energy_pj > 0);
	}
	bnn_backend_close(emu);

	/* error model off: the same as cpu, and energy still modeled */
	bnn_backend_opts_init(&o);
	emu = open_be(BNN_BACKEND_EMU, &o);
	run_items(emu, m, x, n, s2, p2, &st);
	assert_memory_equal(s0, s2, sizeof(float) * n * m->nclasses);
	assert_true(st.device_energy_pj > 0);
	bnn_backend_close(emu);

	bnn_backend_close(cpu);
	free(x);
	free(s0);
	free(s1);
	free(s2);
	bnn_model_free(m);
}

/* ---- statistics --------------------------------------------------------------- */

/* rbnn-device.rst, "Worked example": one item costs time_ns 27492 and
 * energy_pj 27232 on the card. */
static void test_worked_example_stats(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(2, 32, 5);
	bnn_backend *emu = open_emu_off(0);
	struct bnn__emu_prog_stats ps;
	bnn_backend_info bi;
	bnn_stats st, tot;
	float x[64 * 3], sc[15];
	bnn_error e;

	tm_state = 35;
	assert_int_equal(tm_add_quant(m, 4, -1.0f, 0.125f), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 16, 5, 1, 2, 0), 0);
	assert_int_equal(tm_add_pool(m, 2, 2), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 32, 3, 1, 1, 0), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 64, 0, 0, 0, 0), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 5, 0, 0, 0, 1), 0);
	tm_inputs(m, x, 3);
	assert_int_equal(bnn_prepare(emu, m, &e), 0);
	assert_int_equal(bnn_run(emu, x, 1, sc, NULL, &st, &e), 0);
	assert_int_equal(st.device_ns, 27492);
	assert_true(st.device_energy_pj == 27232.0);
	assert_int_equal(st.device_cmds, 1);
	assert_int_equal(st.items, 1);
	/* three items: one EXEC, three times the array work (26930 ns,
	 * 2491.78 pJ each: 2693 row activations, 76352 cells), 792 bytes
	 * of DMA (96 + 432 + 3 x (64 + 24)) */
	assert_int_equal(bnn_run(emu, x, 3, sc, NULL, &st, &e), 0);
	assert_int_equal(st.device_cmds, 1);
	assert_int_equal(st.device_ns, 81369);	/* 3 x 26930 + 500 + 79.2 */
	assert_true(st.device_energy_pj == 39255.0);	/* 7475.34 + 100 + 31680 */
	assert_int_equal(bnn_backend_stats(emu, &tot), 0);
	assert_int_equal(tot.items, 4);
	assert_int_equal(tot.device_cmds, 2);

	/* programming: 181 rows in one PROGRAM_ROWS, the 112 thresholds of
	 * layers 1, 3, 5 (block 0) in one LOAD_THRESH */
	assert_int_equal(bnn__emu_prog_stats(emu, &ps), 0);
	assert_int_equal(ps.rows, 181);
	assert_int_equal(ps.cmds, 2);
	assert_true(ps.pulses >= 181ull * 256 * 2);
	assert_int_equal(ps.unverified, 0);
	assert_true(ps.device_ns > 0 && ps.device_energy_pj > 0);
	print_message("# programming: %llu rows, %llu pulses, %.0f pJ, %llu ns\n",
		      (unsigned long long)ps.rows, (unsigned long long)ps.pulses,
		      ps.device_energy_pj, (unsigned long long)ps.device_ns);

	assert_int_equal(bnn_backend_info_get(emu, &bi), 0);
	assert_int_equal(bi.kind, BNN_BACKEND_EMU);
	assert_string_equal(bi.name, "emu");
	assert_int_equal(bi.cards, 1);
	assert_non_null(strstr(bi.detail, "error model off"));
	assert_int_equal(bnn__emu_prog_stats(NULL, &ps), BNN_E_INVAL);
	bnn_backend_close(emu);
	bnn_model_free(m);
}

/* ---- options, errors, async, re-prepare --------------------------------------- */

static void test_emu_api(void **state)
{
	(void)state;
	bnn_backend_opts o;
	bnn_backend *be = NULL, *cpu;
	struct bnn_model *m, *m2;
	bnn_error e;
	static float x[40 * 256], s1[40 * 8], s2[40 * 8];
	int32_t p1[40], p2[40];
	uint64_t job;
	bnn_stats st;

	bnn_backend_opts_init(&o);
	o.tiles = 2000;
	assert_int_equal(bnn_backend_open(BNN_BACKEND_EMU, &o, &be, &e),
			 BNN_E_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "tiles"));
	assert_null(be);
	bnn_backend_opts_init(&o);
	o.prog_current_ua = 5000;
	assert_int_equal(bnn_backend_open(BNN_BACKEND_EMU, &o, &be, &e),
			 BNN_E_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "1..1000 uA"));

	/* out of tiles: a 1-tile card (256 rows) and a 300-output layer */
	m = tm_new(1, 16, 2);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 300, 0, 0, 0, 0), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
	be = open_emu_off(1);
	assert_int_equal(bnn_prepare(be, m, &e), BNN_E_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "layer 2 (bdense): needs 300 rows"));
	assert_int_equal(bnn_run(be, x, 1, s1, NULL, NULL, &e), BNN_E_STATE);
	bnn_backend_close(be);
	bnn_model_free(m);

	/* async jobs and re-prepare on one context */
	tm_state = 36;
	m = tm_random_binary(3);
	m2 = classifier_only();
	assert_true((size_t)m->input.channels * m->input.length <= 256);
	assert_true((size_t)m2->input.channels * m2->input.length <= 256);
	assert_true(m->nclasses <= 8 && m2->nclasses <= 8);
	bnn_backend_opts_init(&o);
	cpu = open_be(BNN_BACKEND_CPU, &o);
	be = open_emu_off(0);
	inputs(m, x, 40);
	run_items(cpu, m, x, 40, s1, p1, NULL);
	assert_int_equal(bnn_prepare(be, m, &e), 0);
	assert_int_equal(bnn_submit(be, x, 40, s2, p2, &job, &e), 0);
	assert_int_equal(bnn_wait(be, job, -1, &st, &e), 0);
	assert_int_equal(st.items, 40);
	assert_true(st.device_energy_pj > 0);
	assert_memory_equal(s1, s2, sizeof(float) * 40 * m->nclasses);
	assert_memory_equal(p1, p2, sizeof(p1));
	inputs(m2, x, 40);
	run_items(cpu, m2, x, 40, s1, p1, NULL);
	run_items(be, m2, x, 40, s2, p2, NULL);
	assert_memory_equal(s1, s2, sizeof(float) * 40 * m2->nclasses);
	bnn_backend_close(be);
	bnn_backend_close(cpu);
	bnn_model_free(m);
	bnn_model_free(m2);
}

/* bnn_prepare_info_get(): errors before prepare, the cpu answer (no card,
 * the model's split) and the emu plan's numbers, on a mixed model (one
 * binary layer left on the host) and a float-free one. */
static void check_info_sum(const bnn_prepare_info *pi,
			   const struct bnn_model *m)
{
	bnn_model_info mi;

	assert_int_equal(bnn_model_info_get(m, &mi), 0);
	assert_true(pi->card_bits + pi->host_bits == mi.card_bits + mi.host_bits);
	assert_int_equal(pi->card_layers + pi->host_layers, mi.nlayers);
}

static void test_prepare_info(void **state)
{
	(void)state;
	struct bnn__card_geom g = { 16, 256, 256, 65536, 32, 65536 };
	bnn_backend *cpu = open_be(BNN_BACKEND_CPU, NULL);
	bnn_backend *emu = open_emu_off(16);
	struct bnn_model *ms[2];
	bnn_prepare_info pi;
	bnn_model_info mi;
	bnn_error e;

	/* before bnn_prepare */
	memset(&pi, 0, sizeof(pi));
	pi.size = sizeof(pi);
	assert_int_equal(bnn_prepare_info_get(cpu, &pi, &e), BNN_E_STATE);
	assert_int_equal(bnn_prepare_info_get(emu, &pi, &e), BNN_E_STATE);
	assert_int_equal(bnn_prepare_info_get(NULL, &pi, &e), BNN_E_INVAL);
	assert_int_equal(bnn_prepare_info_get(emu, NULL, &e), BNN_E_INVAL);

	tm_state = 32;
	ms[0] = too_large();
	ms[1] = conv_pool_dense();
	for (int k = 0; k < 2; k++) {
		struct bnn_model *m = ms[k];
		struct bnn__plan *p;
		uint32_t nl = 0;

		assert_int_equal(bnn_model_info_get(m, &mi), 0);
		assert_int_equal(bnn_prepare(cpu, m, &e), 0);
		assert_int_equal(bnn_prepare(emu, m, &e), 0);
		pi.size = 0;
		assert_int_equal(bnn_prepare_info_get(cpu, &pi, &e), BNN_E_INVAL);

		/* cpu: no card, the model's own split */
		memset(&pi, 0xa5, sizeof(pi));
		pi.size = sizeof(pi);
		assert_int_equal(bnn_prepare_info_get(cpu, &pi, &e), 0);
		assert_int_equal(pi.size, sizeof(pi));
		assert_int_equal(pi.cards, 0);
		assert_int_equal(pi.card_stages, 0);
		assert_int_equal(pi.card_layers, 0);
		assert_int_equal(pi.host_layers, mi.nlayers);
		assert_int_equal(pi.host_binary_layers, 0);
		assert_int_equal(pi.tiles_used, 0);
		assert_int_equal(pi.tiles_total, 0);
		assert_true(pi.card_bits == mi.card_bits);
		assert_true(pi.host_bits == mi.host_bits);
		assert_true(pi.prog_rows == 0 && pi.prog_pulses == 0 &&
			    pi.prog_time_ns == 0 && pi.prog_energy_pj == 0.0);
		assert_non_null(memchr(pi.note, 0, sizeof(pi.note)));
		check_info_sum(&pi, m);

		/* emu: the plan's numbers */
		assert_int_equal(bnn__compile(m, &g, &p, NULL), 0);
		for (uint32_t i = 0; i < p->nstages; i++)
			nl += p->stages[i].last - p->stages[i].first;
		memset(&pi, 0xa5, sizeof(pi));
		pi.size = sizeof(pi);
		assert_int_equal(bnn_prepare_info_get(emu, &pi, &e), 0);
		assert_int_equal(pi.cards, 1);
		assert_int_equal(pi.card_stages, p->nstages);
		assert_int_equal(pi.card_layers, nl);
		assert_int_equal(pi.host_layers, mi.nlayers - nl);
		assert_int_equal(pi.host_binary_layers, p->host_binary);
		assert_int_equal(pi.host_binary_layers, k == 0 ? 1 : 0);
		assert_int_equal(pi.tiles_used, p->tiles_used);
		assert_true(pi.tiles_used > 0);
		assert_int_equal(pi.tiles_total, 16);
		assert_true(pi.card_bits == p->card_bits);
		assert_true(pi.host_bits == p->host_bits);
		assert_true(pi.prog_rows > 0 && pi.prog_pulses > 0 &&
			    pi.prog_time_ns > 0 && pi.prog_energy_pj > 0.0);
		assert_string_equal(pi.note, p->note);
		assert_true(k == 0 ? pi.note[0] != 0 : pi.note[0] == 0);
		check_info_sum(&pi, m);
		{
			struct bnn__emu_prog_stats ps;

			assert_int_equal(bnn__emu_prog_stats(emu, &ps), 0);
			assert_true(pi.prog_rows == ps.rows);
			assert_true(pi.prog_cmds == ps.cmds);
			assert_true(pi.prog_pulses == ps.pulses);
			assert_true(pi.prog_time_ns == ps.device_ns);
			assert_true(pi.prog_energy_pj == ps.device_energy_pj);
		}
		print_message("# model %d: %u/%u tiles, %u stages, card %llu + host %llu bits\n",
			      k, pi.tiles_used, pi.tiles_total, pi.card_stages,
			      (unsigned long long)pi.card_bits,
			      (unsigned long long)pi.host_bits);

		/* an older caller's smaller struct: only its bytes written */
		{
			unsigned char buf[sizeof(pi) + 8];
			bnn_prepare_info *small = (bnn_prepare_info *)(void *)buf;
			size_t sz = offsetof(bnn_prepare_info, tiles_used);

			memset(buf, 0x5a, sizeof(buf));
			small->size = (uint32_t)sz;
			assert_int_equal(bnn_prepare_info_get(emu, small, &e), 0);
			assert_int_equal(small->size, sz);
			assert_int_equal(small->cards, 1);
			for (size_t i = sz; i < sizeof(buf); i++)
				assert_int_equal(buf[i], 0x5a);
		}
		bnn__plan_free(p);
	}
	bnn_backend_close(cpu);
	bnn_backend_close(emu);
	bnn_model_free(ms[0]);
	bnn_model_free(ms[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_random),
		cmocka_unit_test(test_mixed_plan),
		cmocka_unit_test(test_golden_features),
		cmocka_unit_test(test_join_by_hand),
		cmocka_unit_test(test_golden_threads),
		cmocka_unit_test(test_error_model),
		cmocka_unit_test(test_error_model_threads),
		cmocka_unit_test(test_worn_card),
		cmocka_unit_test(test_scrub_policy),
		cmocka_unit_test(test_emu_threads_same),
		cmocka_unit_test(test_worked_example_stats),
		cmocka_unit_test(test_emu_api),
		cmocka_unit_test(test_prepare_info),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
