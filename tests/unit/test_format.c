// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * Unit tests: the .bnn model format (libbnn/src/format.c).
 *
 * Round trips (byte-identical re-serialisation), truncation at every byte,
 * every single-bit flip, hostile fields re-sealed with valid checksums by
 * an independent container writer (bnn_test_container.h, written from
 * Documentation/bnn-format.rst), allocation failures, files.  The leads
 * section (version 3) has its own file, test_format_leads.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "bnn.h"
#include "bnn_data.h"
#include "bnn_test_models.h"
#include "bnn_test_container.h"

/* ---- models covering every layer kind ---------------------------------- */

/* Float front end, binary back end: CONV1D BN ACT MAXPOOL(float) SIGN
 * BCONV1D MAXPOOL(bits) FLATTEN BDENSE BDENSE(scores). */
static struct bnn_model *model_a(void)
{
	struct bnn_model *m = tm_new(2, 16, 3);

	assert_int_equal(tm_add_float(m, BNN_LAYER_CONV1D, 4, 3, 1, 1), 0);
	assert_int_equal(tm_add_float(m, BNN_LAYER_BATCHNORM, 0, 0, 0, 0), 0);
	assert_int_equal(tm_add_act(m, BNN__ACT_RELU), 0);
	assert_int_equal(tm_add_pool(m, 2, 2), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 6, 3, 1, 1, 0), 0);
	assert_int_equal(tm_add_pool(m, 2, 2), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 9, 0, 0, 0, 0), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__model_finish(m, NULL), 0);
	return m;
}

/* Bit-serial: QUANT BCONV1D FLATTEN BDENSE(scores) BN ACT(hardtanh) DENSE,
 * with an affine input normalisation, a beat window and a lead. */
static struct bnn_model *model_b(void)
{
	bnn_input_desc in;
	const char *cls[] = { "N", "S", "V", "F", "Q" };
	struct bnn_model *m;

	memset(&in, 0, sizeof(in));
	in.channels = 1;
	in.length = 24;
	in.sample_rate_hz = 360;
	in.norm = BNN_INPUT_NORM_AFFINE;
	in.norm_offset = 1024;
	in.norm_scale = 200;
	in.beat_pre = 10;
	in.beat_post = 14;
	strcpy(in.lead, "MLII");
	assert_int_equal(bnn__model_new(&in, 5, cls, "ecg-b", "desc\nline 2",
					&m, NULL), 0);
	assert_int_equal(tm_add_quant(m, 4, -1.0f, 0.125f), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 8, 5, 2, 2, 0), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 10, 0, 0, 0, 1), 0);
	assert_int_equal(tm_add_float(m, BNN_LAYER_BATCHNORM, 0, 0, 0, 0), 0);
	assert_int_equal(tm_add_act(m, BNN__ACT_HARDTANH), 0);
	assert_int_equal(tm_add_float(m, BNN_LAYER_DENSE, 5, 0, 0, 0), 0);
	assert_int_equal(bnn__model_finish(m, NULL), 0);
	return m;
}

/* Float only: CONV1D GLOBAL_MAXPOOL DENSE / CONV1D GLOBAL_AVGPOOL DENSE. */
static struct bnn_model *model_c(int avg)
{
	struct bnn_model *m = tm_new(3, 20, 2);

	assert_int_equal(tm_add_float(m, BNN_LAYER_CONV1D, 6, 5, 2, 2), 0);
	assert_int_equal(tm_add_simple(m, avg ? BNN_LAYER_GLOBAL_AVGPOOL :
					  BNN_LAYER_GLOBAL_MAXPOOL), 0);
	assert_int_equal(tm_add_float(m, BNN_LAYER_DENSE, 2, 0, 0, 0), 0);
	assert_int_equal(bnn__model_finish(m, NULL), 0);
	return m;
}

/* Version 2: the signal section (every preprocessing on, 3 features of
 * 3, 1 and 2 thresholds), SIGN BCONV1D FLATTEN JOIN BDENSE BDENSE(scores). */
static const uint32_t f_kinds[3] = { BNN_FEAT_PRE_LOCAL, BNN_FEAT_IRREG,
				     BNN_FEAT_POST_RR };
static const uint32_t f_nthr[3] = { 3, 1, 2 };
static const float f_thr[6] = { 0.5f, 0.8f, 1.2f, 0.25f, 0.3f, 0.9f };

static struct bnn_model *model_f(void)
{
	struct bnn_model *m = tm_new(1, 12, 2);

	assert_int_equal(bnn__model_set_signal(m, BNN_BASELINE_MEDIAN, 40.0f,
					       BNN_AMP_QRS, 3, f_kinds, f_nthr,
					       f_thr, NULL), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 3, 3, 2, 1, 0), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_JOIN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 7, 0, 0, 0, 0), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__model_finish(m, NULL), 0);
	return m;
}

/* Version 2, float JOIN: CONV1D GLOBAL_AVGPOOL JOIN DENSE, a named model
 * (meta after the signal section). */
static struct bnn_model *model_g(void)
{
	struct bnn_model *m = tm_new(2, 10, 3);

	assert_int_equal(bnn__model_set_signal(m, 0, 0, 0, 2, f_kinds + 1,
					       f_nthr + 1, f_thr + 3, NULL), 0);
	assert_int_equal(tm_add_float(m, BNN_LAYER_CONV1D, 4, 3, 1, 1), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_GLOBAL_AVGPOOL), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_JOIN), 0);
	assert_int_equal(tm_add_float(m, BNN_LAYER_DENSE, 3, 0, 0, 0), 0);
	assert_int_equal(bnn__model_finish(m, NULL), 0);
	return m;
}

/* Version 2 with preprocessing only (no features, no JOIN). */
static struct bnn_model *model_p(void)
{
	struct bnn_model *m = tm_new(1, 8, 2);

	assert_int_equal(bnn__model_set_signal(m, BNN_BASELINE_MEDIAN, 0, 0, 0,
					       NULL, NULL, NULL, NULL), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__model_finish(m, NULL), 0);
	return m;
}

/* ---- tests ---------------------------------------------------------------- */

static void roundtrip_one(struct bnn_model *m)
{
	uint8_t *a, *b;
	size_t la, lb;
	bnn_model *r;
	bnn_model_info i1, i2;
	bnn_signal_desc d1, d2;
	bnn_error e;

	save(m, &a, &la);
	/* Our independent container parser agrees with the writer. */
	{
		struct tfile f;
		uint8_t *c;
		size_t lc;

		split(a, la, &f);
		c = join(&f, m->sig.present ? 2 : 1, 0, &lc);
		assert_int_equal(lc, la);
		assert_memory_equal(a, c, la);
		free(c);
		tfile_free(&f);
	}
	assert_int_equal(bnn_model_load_mem(a, la, &r, &e), 0);
	save(r, &b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	assert_int_equal(bnn_model_info_get(m, &i1), 0);
	assert_int_equal(bnn_model_info_get(r, &i2), 0);
	assert_int_equal(i1.card_bits, i2.card_bits);
	assert_int_equal(i1.host_bits, i2.host_bits);
	assert_int_equal(i1.nlayers, i2.nlayers);
	assert_string_equal(i1.name, i2.name);
	assert_memory_equal(&i1.input, &i2.input, sizeof(i1.input));
	for (uint32_t c = 0; c < m->nclasses; c++)
		assert_string_equal(bnn_model_class_name(m, c),
				    bnn_model_class_name(r, c));
	assert_null(bnn_model_class_name(r, m->nclasses));
	d1.size = d2.size = sizeof(d1);
	assert_int_equal(bnn_model_signal_get(m, &d1), 0);
	assert_int_equal(bnn_model_signal_get(r, &d2), 0);
	assert_memory_equal(&d1, &d2, sizeof(d1));
	for (uint32_t f = 0; f < d1.nfeatures; f++) {
		int k1, k2;
		uint32_t n1, n2;
		const float *t1, *t2;

		assert_int_equal(bnn_model_feature_get(m, f, &k1, &n1, &t1), 0);
		assert_int_equal(bnn_model_feature_get(r, f, &k2, &n2, &t2), 0);
		assert_int_equal(k1, k2);
		assert_int_equal(n1, n2);
		assert_memory_equal(t1, t2, n1 * sizeof(float));
	}
	/* version 1 exactly without a signal section */
	assert_int_equal(a[4], m->sig.present ? 2 : 1);
	free(a);
	free(b);
	bnn_model_free(r);
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct bnn_model *ms[] = { model_a(), model_b(), model_c(0),
				   model_c(1), model_f(), model_g(),
				   model_p() };

	for (size_t i = 0; i < sizeof(ms) / sizeof(*ms); i++) {
		roundtrip_one(ms[i]);
		bnn_model_free(ms[i]);
	}
	tm_state = 11;
	for (int i = 0; i < 20; i++) {
		struct bnn_model *m = tm_random_binary(i % 3 ? 1 : (uint32_t)tm_rnd(2, 8));

		roundtrip_one(m);
		bnn_model_free(m);
	}
	for (int i = 0; i < 20; i++) {
		struct bnn_model *m = tm_random_binary_feat(
			i % 3 ? 1 : (uint32_t)tm_rnd(2, 8),
			(uint32_t)tm_rnd(1, BNN_FEAT_COUNT));

		roundtrip_one(m);
		bnn_model_free(m);
	}
}

/* The signal section of model_f, byte by byte (bnn-format.rst). */
static void test_v2_layout(void **state)
{
	(void)state;
	struct bnn_model *m = model_f();
	uint8_t *buf;
	size_t len;
	struct tfile f;
	const uint8_t *p;
	bnn_signal_desc d;
	bnn_layer_info li;
	bnn_model_info mi;
	const float *thr;
	uint32_t nthr;
	int kind;

	save(m, &buf, &len);
	assert_int_equal(buf[4] | buf[5] << 8, 2);
	split(buf, len, &f);
	assert_int_equal(f.ns, 10);	/* input classes signal meta 6 layers */
	assert_int_equal(f.s[2].type, 5);
	assert_int_equal(f.s[2].flags, 0);
	assert_int_equal(f.s[3].type, 3);
	assert_int_equal(f.s[2].len, 16 + 3 * 4 + 6 * 4);
	p = f.s[2].data;
	assert_int_equal(rd32(p), 1);
	assert_int_equal(rd32(p + 4), 0x42200000u);	/* 40.0f */
	assert_int_equal(rd32(p + 8), 1);
	assert_int_equal(rd32(p + 12), 3);
	assert_int_equal(p[16] | p[17] << 8, BNN_FEAT_PRE_LOCAL);
	assert_int_equal(p[18] | p[19] << 8, 3);
	assert_int_equal(rd32(p + 20), 0x3f000000u);	/* 0.5f */
	assert_int_equal(p[32] | p[33] << 8, BNN_FEAT_IRREG);
	assert_int_equal(p[34] | p[35] << 8, 1);
	/* the JOIN layer: a bare 64-byte header */
	assert_int_equal(f.s[7].len, 64);
	p = f.s[7].data;
	assert_int_equal(p[0], BNN_LAYER_JOIN);
	assert_int_equal(rd32(p + 4), 3 * 6);		/* in_c: flattened */
	assert_int_equal(rd32(p + 8), 1);
	assert_int_equal(rd32(p + 12), 3 * 6 + 6);	/* + aux bits */
	assert_int_equal(rd32(p + 16), 1);
	for (int k = 20; k < 64; k++)
		assert_int_equal(p[k], 0);
	tfile_free(&f);

	d.size = sizeof(d);
	assert_int_equal(bnn_model_signal_get(m, &d), 0);
	assert_int_equal(d.size, sizeof(d));
	assert_int_equal(d.baseline, BNN_BASELINE_MEDIAN);
	assert_true(d.lowpass_hz == 40.0f);
	assert_int_equal(d.amp_norm, BNN_AMP_QRS);
	assert_int_equal(d.nfeatures, 3);
	assert_int_equal(d.aux_bits, 6);
	assert_int_equal(d.item_floats, 12 + 3);
	assert_int_equal(bnn_model_feature_get(m, 2, &kind, &nthr, &thr), 0);
	assert_int_equal(kind, BNN_FEAT_POST_RR);
	assert_int_equal(nthr, 2);
	assert_true(thr[0] == 0.3f && thr[1] == 0.9f);
	assert_int_equal(bnn_model_feature_get(m, 0, NULL, NULL, NULL), 0);
	assert_int_equal(bnn_model_feature_get(m, 3, &kind, &nthr, &thr),
			 BNN_E_INVAL);
	assert_int_equal(bnn_model_feature_get(NULL, 0, &kind, &nthr, &thr),
			 BNN_E_INVAL);
	/* a smaller struct: only its bytes are written */
	{
		uint8_t raw[sizeof(d) + 8];

		memset(raw, 0xa5, sizeof(raw));
		((bnn_signal_desc *)(void *)raw)->size = 8;
		assert_int_equal(bnn_model_signal_get(m, (bnn_signal_desc *)(void *)raw), 0);
		assert_int_equal(rd32(raw), 8);
		assert_int_equal(rd32(raw + 4), BNN_BASELINE_MEDIAN);
		assert_int_equal(raw[8], 0xa5);
		((bnn_signal_desc *)(void *)raw)->size = 3;
		assert_int_equal(bnn_model_signal_get(m, (bnn_signal_desc *)(void *)raw),
				 BNN_E_INVAL);
	}
	assert_int_equal(bnn_model_signal_get(NULL, &d), BNN_E_INVAL);
	assert_int_equal(bnn_model_signal_get(m, NULL), BNN_E_INVAL);
	/* JOIN: layer info; its thresholds count as host parameters */
	assert_int_equal(bnn_model_layer_info(m, 3, &li), 0);
	assert_int_equal(li.kind, BNN_LAYER_JOIN);
	assert_int_equal(li.in_values, BNN_VALUES_BITS);
	assert_int_equal(li.out_values, BNN_VALUES_BITS);
	assert_int_equal(li.in_channels, 18);
	assert_int_equal(li.out_channels, 24);
	assert_int_equal(li.out_length, 1);
	assert_int_equal(li.host_bits, 6 * 32);
	assert_int_equal(bnn_model_layer_info(m, 4, &li), 0);
	assert_int_equal(li.fan_in, 24);
	assert_int_equal(bnn_model_info_get(m, &mi), 0);
	assert_int_equal(mi.host_bits, 6 * 32);
	assert_string_equal(bnn_layer_kind_name(BNN_LAYER_JOIN), "join");
	assert_string_equal(bnn_feature_name(BNN_FEAT_PRE_RR), "pre_rr");
	assert_string_equal(bnn_feature_name(BNN_FEAT_POST_RR), "post_rr");
	assert_string_equal(bnn_feature_name(BNN_FEAT_LOCAL_RR), "local_rr");
	assert_string_equal(bnn_feature_name(BNN_FEAT_LONG_RR), "long_rr");
	assert_string_equal(bnn_feature_name(BNN_FEAT_PRE_LOCAL), "pre_local");
	assert_string_equal(bnn_feature_name(BNN_FEAT_POST_PRE), "post_pre");
	assert_string_equal(bnn_feature_name(BNN_FEAT_PRE_LONG), "pre_long");
	assert_string_equal(bnn_feature_name(BNN_FEAT_LOCAL_LONG), "local_long");
	assert_string_equal(bnn_feature_name(BNN_FEAT_IRREG), "irreg");
	assert_string_equal(bnn_feature_name(BNN_FEAT_COUNT), "?");
	assert_string_equal(bnn_feature_name(-1), "?");
	free(buf);
	bnn_model_free(m);

	/* version 1 models: no signal */
	m = model_a();
	d.size = sizeof(d);
	assert_int_equal(bnn_model_signal_get(m, &d), 0);
	assert_int_equal(d.nfeatures, 0);
	assert_int_equal(d.aux_bits, 0);
	assert_int_equal(d.baseline, 0);
	assert_int_equal(d.amp_norm, 0);
	assert_true(d.lowpass_hz == 0);
	assert_int_equal(d.item_floats, 2 * 16);
	assert_int_equal(bnn_model_feature_get(m, 0, &kind, &nthr, &thr),
			 BNN_E_INVAL);
	save(m, &buf, &len);
	assert_int_equal(buf[4] | buf[5] << 8, 1);
	split(buf, len, &f);
	for (uint32_t i = 0; i < f.ns; i++)
		assert_int_not_equal(f.s[i].type, 5);
	tfile_free(&f);
	free(buf);
	bnn_model_free(m);
}

static void test_identical_models_identical_bytes(void **state)
{
	(void)state;
	uint8_t *a, *b;
	size_t la, lb;
	struct bnn_model *m1, *m2;

	tm_state = 5;
	m1 = model_b();
	tm_state = 5;
	m2 = model_b();
	save(m1, &a, &la);
	save(m2, &b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	free(a);
	free(b);
	bnn_model_free(m1);
	bnn_model_free(m2);
}

static void test_info_footprint(void **state)
{
	(void)state;
	struct bnn_model *m = model_b();
	bnn_model_info in;
	bnn_layer_info li;

	assert_int_equal(bnn_model_info_get(m, &in), 0);
	/* BCONV1D 8 x (1 * 5) + thresholds; BDENSE 10 x (8 * 12) scores. */
	assert_int_equal(in.card_weight_bits, 8 * 5 + 10 * 96);
	assert_int_equal(in.card_threshold_bits, 8 * BNN_THRESHOLD_BITS);
	assert_int_equal(in.card_bits, 8 * 5 + 10 * 96 + 8 * 32);
	/* affine 2 + quant 2 + BN 2 * 10 + dense 5 * 10 + 5 floats. */
	assert_int_equal(in.host_bits, 32 * (2 + 2 + 20 + 50 + 5));
	assert_int_equal(in.binary_layers, 2);
	assert_int_equal(in.nclasses, 5);
	assert_string_equal(in.input.lead, "MLII");
	assert_string_equal(in.name, "ecg-b");
	assert_int_equal(in.binary_macs, 8 * 12 * 5 + 10 * 96);
	assert_int_equal(in.float_macs, 50);
	assert_int_equal(bnn_model_layer_info(m, 1, &li), 0);
	assert_int_equal(li.kind, BNN_LAYER_BCONV1D);
	assert_int_equal(li.in_bits, 4);
	assert_int_equal(li.in_values, BNN_VALUES_QUANT);
	assert_int_equal(li.out_length, 12);
	assert_int_equal(li.fan_in, 5);
	assert_int_equal(bnn_model_layer_info(m, 7, &li), BNN_E_INVAL);
	assert_string_equal(bnn_layer_kind_name(BNN_LAYER_GLOBAL_AVGPOOL),
			    "global_avgpool");
	assert_string_equal(bnn_layer_kind_name(99), "?");
	bnn_model_free(m);
}

static void test_truncation_every_byte(void **state)
{
	(void)state;
	struct bnn_model *m = model_a();
	uint8_t *buf, *big;
	size_t len;

	save(m, &buf, &len);
	for (size_t k = 0; k < len; k++)
		expect_fail(buf, k, BNN_E_TRUNCATED, NULL);
	big = calloc(1, len + 8);
	memcpy(big, buf, len);
	for (size_t k = 1; k <= 8; k++)
		expect_fail(big, len + k, BNN_E_SIZE, "extra data");
	expect_ok(big, len);
	free(big);
	free(buf);
	bnn_model_free(m);
}

static void test_bit_flips(void **state)
{
	(void)state;
	struct bnn_model *m = model_b();
	uint8_t *buf;
	size_t len;

	save(m, &buf, &len);
	for (size_t i = 0; i < len * 8; i++) {
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (i < 32)
			expect_fail(buf, len, BNN_E_CORRUPT, "bad magic");
		else
			expect_fail(buf, len, BNN_E_CHECKSUM, "checksum");
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	expect_ok(buf, len);
	/* A flip inside a layer names the layer. */
	{
		struct tfile f;

		split(buf, len, &f);
		tfile_free(&f);
	}
	buf[len - 9] ^= 1;	/* in the last layer's data */
	expect_fail(buf, len, BNN_E_CHECKSUM, "layer 6");
	free(buf);
	bnn_model_free(m);
}

static void test_header_fields(void **state)
{
	(void)state;
	struct bnn_model *m = model_a();
	uint8_t *buf, *b2;
	size_t len, len2;
	struct tfile f;

	save(m, &buf, &len);
	split(buf, len, &f);
	b2 = join(&f, 6, 0, &len2);
	expect_fail(b2, len2, BNN_E_UNSUPPORTED, "version 6 (this library reads versions 1 to 5)");
	free(b2);
	b2 = join(&f, 0, 0, &len2);
	expect_fail(b2, len2, BNN_E_UNSUPPORTED, "version 0");
	free(b2);
	/* version 2 needs a signal section */
	b2 = join(&f, 2, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT, "without a signal section");
	free(b2);
	/* version 3 needs a leads section */
	b2 = join(&f, 3, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT, "version 3 without a leads section");
	free(b2);
	b2 = join(&f, 1, 4, &len2);
	expect_fail(b2, len2, BNN_E_UNSUPPORTED, "flags");
	free(b2);

	/* Edits in place, resealed. */
	b2 = malloc(len);
#define EDIT(stmt, code, needle) \
	do { memcpy(b2, buf, len); stmt; reseal(b2, len); \
	     expect_fail(b2, len, code, needle); } while (0)
	EDIT(wr16(b2 + 6, 72), BNN_E_CORRUPT, "header size");
	EDIT(b2[40] = 1, BNN_E_CORRUPT, "reserved");
	EDIT(wr32(b2 + 12, 2), BNN_E_RANGE, "sections");
	EDIT(wr32(b2 + 12, 0x7fffffff), BNN_E_RANGE, "sections");
	EDIT(wr32(b2 + 12, 200), BNN_E_TRUNCATED, "section table");
	EDIT(wr64(b2 + 16, len - 8), BNN_E_SIZE, "extra data");
	EDIT(wr64(b2 + 16, UINT64_MAX), BNN_E_TRUNCATED, NULL);
	/* table: offset, length, flags of section 2 */
	EDIT(wr32(b2 + 64 + 48 + 8, rd32(b2 + 64 + 48 + 8) + 8),
	     BNN_E_CORRUPT, "offset");
	EDIT(wr32(b2 + 64 + 48 + 16, 0xffffff00u), BNN_E_TRUNCATED,
	     "beyond the end");
	EDIT(wr32(b2 + 64 + 48 + 4, 2), BNN_E_CORRUPT, "flags");
	EDIT(wr32(b2 + 64 + 4, 1), BNN_E_CORRUPT, "flags");
	/* Section CRC wrong but payload CRC right: named. */
	memcpy(b2, buf, len);
	wr32(b2 + 64 + 24 + 20, rd32(b2 + 64 + 24 + 20) ^ 1);
	wr32(b2 + 24, crc32_ref(b2 + 64, len - 64));
	wr32(b2 + 60, crc32_ref(b2, 60));
	expect_fail(b2, len, BNN_E_CHECKSUM, "classes");
	/* Padding after a section. */
	{
		uint8_t *e = buf + 64 + 24 * 0;
		uint64_t end = rd32(e + 8) + rd32(e + 16);

		if (end % 8)
			EDIT(b2[end] = 1, BNN_E_CORRUPT, "padding");
	}
#undef EDIT
	free(b2);
	tfile_free(&f);
	free(buf);
	bnn_model_free(m);
}

static void test_section_order(void **state)
{
	(void)state;
	struct bnn_model *m = model_b();	/* input classes meta layers */
	uint8_t *buf, *b2;
	size_t len, len2;
	struct tfile f, g;

	save(m, &buf, &len);
	split(buf, len, &f);
	assert_int_equal(f.s[2].type, 3);

	/* classes first */
	g = f;
	g.s[0] = f.s[1];
	g.s[1] = f.s[0];
	b2 = join(&g, 1, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT, "section 0");
	free(b2);
	/* meta after a layer */
	g = f;
	g.s[2] = f.s[3];
	g.s[3] = f.s[2];
	b2 = join(&g, 1, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT, "meta");
	free(b2);
	/* unknown required section */
	g = f;
	g.s[g.ns] = f.s[2];
	g.s[g.ns].type = 99;
	g.s[g.ns].flags = 0;
	g.ns++;
	b2 = join(&g, 1, 0, &len2);
	expect_fail(b2, len2, BNN_E_UNSUPPORTED, "unknown required");
	free(b2);
	/* unknown optional section: skipped */
	g.s[g.ns - 1].flags = 1;
	b2 = join(&g, 1, 0, &len2);
	expect_ok(b2, len2);
	free(b2);
	/* no layers; last layer missing */
	g = f;
	g.ns = 3;
	b2 = join(&g, 1, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT, "no layers");
	free(b2);
	g = f;
	g.ns--;
	b2 = join(&g, 1, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT, "one per class");
	free(b2);
	/* a layer dropped in the middle breaks the chain */
	g = f;
	memmove(&g.s[4], &g.s[5], sizeof(g.s[0]) * (g.ns - 5));
	g.ns--;
	b2 = join(&g, 1, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT, "layer 1 (flatten)");
	free(b2);
	tfile_free(&f);
	free(buf);
	bnn_model_free(m);
}

/* ---- section-level edits ---- */

static void e_in_channels0(struct tsec *s) { wr32(s->data, 0); }
static void e_in_huge(struct tsec *s) { wr32(s->data, 65535); wr32(s->data + 4, 65535); }
static void e_in_norm(struct tsec *s) { wr32(s->data + 16, 7); }
static void e_in_rate_nan(struct tsec *s) { wr32(s->data + 8, 0); wr32(s->data + 12, 0x7ff80000); }
static void e_in_lead_len(struct tsec *s) { wr32(s->data + 36, 40); }
static void e_in_lead_nul(struct tsec *s) { wr32(s->data + 36, 6); }
static void e_in_window(struct tsec *s) { wr32(s->data + 28, 3); }
static void e_in_short(struct tsec *s) { s->len = 71; }
static void e_in_scale0(struct tsec *s) { wr32(s->data + 24, 0); }

static void e_cls_count_huge(struct tsec *s) { wr32(s->data, 0xffffffffu); }
static void e_cls_count_big(struct tsec *s) { wr32(s->data, 4000); }
static void e_cls_count0(struct tsec *s) { wr32(s->data, 0); }
static void e_cls_dup(struct tsec *s) { s->data[9] = 'N'; }	/* "S" -> "N" */
static void e_cls_ctrl(struct tsec *s) { s->data[6] = '\n'; }
static void e_cls_utf8(struct tsec *s) { s->data[6] = 0xc0; }
static void e_cls_namelen(struct tsec *s) { wr16(s->data + 4, 0xffff); }
static void e_cls_extra(struct tsec *s) { s->len += 3; }
static void e_cls_empty(struct tsec *s) { wr16(s->data + 4, 0); memmove(s->data + 6, s->data + 7, s->len - 7); s->len--; }

static void e_meta_len(struct tsec *s) { wr16(s->data, 0xfff0); }
static void e_meta_long(struct tsec *s)
{
	/* 300-byte name: over the cap */
	uint8_t *d = malloc(4 + 300);

	wr16(d, 300);
	memset(d + 2, 'a', 300);
	wr16(d + 302, 0);
	free(s->data);
	s->data = d;
	s->len = 304;
}

/* model_b layers: 0 quant, 1 bconv1d, 2 flatten, 3 bdense(scores),
 * 4 batchnorm, 5 act, 6 dense; layer i is section 3 + i. */
static void e_l_kind(struct tsec *s) { wr16(s->data, 77); }
static void e_l_flags(struct tsec *s) { wr16(s->data + 2, 2); }
static void e_l_in_c(struct tsec *s) { wr32(s->data + 4, 2); }
static void e_l_out_c(struct tsec *s) { wr32(s->data + 12, 9); }
static void e_l_out_l(struct tsec *s) { wr32(s->data + 16, 11); }
static void e_l_out_c_huge(struct tsec *s) { wr32(s->data + 12, 0x7fffffff); }
static void e_l_out_c_max(struct tsec *s) { wr32(s->data + 12, 65535); }
static void e_l_kernel0(struct tsec *s) { wr32(s->data + 20, 0); }
static void e_l_pad(struct tsec *s) { wr32(s->data + 28, 5); }
static void e_l_stride_huge(struct tsec *s) { wr32(s->data + 24, 0x10000); }
static void e_l_param(struct tsec *s) { wr32(s->data + 32, 1); }
static void e_l_fanin(struct tsec *s) { wr32(s->data + 36, 6); }
static void e_l_reserved(struct tsec *s) { s->data[63] = 1; }
static void e_l_short(struct tsec *s) { s->len -= 4; }
static void e_l_long(struct tsec *s) { s->len += 4; }
static void e_l_hdr_short(struct tsec *s) { s->len = 20; }
static void e_l_padbits(struct tsec *s) { s->data[64] |= 0x80; }	/* n = 5 */
static void e_l_qbits(struct tsec *s) { wr32(s->data + 32, 9); }
static void e_l_qscale0(struct tsec *s) { wr32(s->data + 44, 0); }
static void e_l_qscale_neg(struct tsec *s) { wr32(s->data + 44, 0xbf800000u); }
static void e_l_nan_w(struct tsec *s) { wr32(s->data + 64 + 8, 0x7fc00000u); }
static void e_l_inf_b(struct tsec *s) { wr32(s->data + s->len - 4, 0x7f800000u); }
static void e_l_act(struct tsec *s) { wr32(s->data + 32, 5); }
static void e_l_quant_aux(struct tsec *s) { wr32(s->data + 40, 1); }
static void e_l_scores_flag(struct tsec *s) { wr16(s->data + 2, 0); }

static void test_hostile_fields(void **state)
{
	(void)state;
	struct bnn_model *m = model_b();
	static const struct {
		uint32_t sec;
		edit_fn fn;
		int code;
		const char *needle;
	} cases[] = {
		{ 0, e_in_channels0, BNN_E_RANGE, "channels" },
		{ 0, e_in_huge, BNN_E_RANGE, "elements" },
		{ 0, e_in_norm, BNN_E_UNSUPPORTED, "normalisation" },
		{ 0, e_in_rate_nan, BNN_E_RANGE, "sample rate" },
		{ 0, e_in_lead_len, BNN_E_RANGE, "lead" },
		{ 0, e_in_lead_nul, BNN_E_CORRUPT, "lead" },
		{ 0, e_in_window, BNN_E_CORRUPT, "beat window" },
		{ 0, e_in_short, BNN_E_SIZE, "input section" },
		{ 0, e_in_scale0, BNN_E_RANGE, "affine" },
		{ 1, e_cls_count_huge, BNN_E_RANGE, "count" },
		{ 1, e_cls_count_big, BNN_E_TRUNCATED, "cannot hold" },
		{ 1, e_cls_count0, BNN_E_RANGE, "count" },
		{ 1, e_cls_dup, BNN_E_CORRUPT, "repeats" },
		{ 1, e_cls_ctrl, BNN_E_CORRUPT, "UTF-8" },
		{ 1, e_cls_utf8, BNN_E_CORRUPT, "UTF-8" },
		{ 1, e_cls_namelen, BNN_E_TRUNCATED, "name 0" },
		{ 1, e_cls_extra, BNN_E_SIZE, "extra" },
		{ 1, e_cls_empty, BNN_E_RANGE, "length 0" },
		{ 2, e_meta_len, BNN_E_TRUNCATED, "meta" },
		{ 2, e_meta_long, BNN_E_RANGE, "name" },
		{ 4, e_l_kind, BNN_E_UNSUPPORTED, "unknown layer kind 77" },
		{ 4, e_l_flags, BNN_E_CORRUPT, "flags" },
		{ 4, e_l_in_c, BNN_E_CORRUPT, "layer 1 (bconv1d): input" },
		{ 4, e_l_out_c, BNN_E_TRUNCATED, "layer 1 (bconv1d)" },
		{ 4, e_l_out_l, BNN_E_CORRUPT, "output" },
		{ 4, e_l_out_c_huge, BNN_E_RANGE, "out_channels" },
		{ 4, e_l_out_c_max, BNN_E_TRUNCATED, "section of" },
		{ 4, e_l_kernel0, BNN_E_RANGE, "kernel 0" },
		{ 4, e_l_pad, BNN_E_RANGE, "pad 5" },
		{ 4, e_l_stride_huge, BNN_E_RANGE, "stride" },
		{ 4, e_l_param, BNN_E_CORRUPT, "in_bits" },
		{ 4, e_l_fanin, BNN_E_CORRUPT, "fan_in" },
		{ 4, e_l_reserved, BNN_E_CORRUPT, "reserved" },
		{ 4, e_l_short, BNN_E_TRUNCATED, "section of" },
		{ 4, e_l_long, BNN_E_SIZE, "section of" },
		{ 4, e_l_hdr_short, BNN_E_TRUNCATED, "layer header" },
		{ 4, e_l_padbits, BNN_E_CORRUPT, "padding bits" },
		{ 3, e_l_qbits, BNN_E_RANGE, "bits 9" },
		{ 3, e_l_qscale0, BNN_E_RANGE, "scale" },
		{ 3, e_l_qscale_neg, BNN_E_RANGE, "scale" },
		{ 5, e_l_act, BNN_E_CORRUPT, "param must be 0" },
		{ 3, e_l_act, BNN_E_CORRUPT, "in_bits 4, the input holds 5-bit" },
		{ 4, e_l_quant_aux, BNN_E_CORRUPT, "quantiser" },
		{ 9, e_l_nan_w, BNN_E_RANGE, "weight 2 is not finite" },
		{ 9, e_l_inf_b, BNN_E_RANGE, "bias 4" },
		{ 7, e_l_inf_b, BNN_E_RANGE, "shift 9" },
		{ 8, e_l_act, BNN_E_UNSUPPORTED, "activation 5" },
		{ 6, e_l_scores_flag, BNN_E_TRUNCATED, "layer 3 (bdense)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		edit_case(m, cases[i].sec, cases[i].fn, cases[i].code,
			  cases[i].needle);
	bnn_model_free(m);
}

/* ---- the signal section (model_f: section 2, 52 bytes; features at 16
 * (kind, nthr 3, thresholds 20..28), 32 (nthr 1, 36), 40 (nthr 2, 44, 48);
 * layers 4 sign, 5 bconv1d, 6 flatten, 7 join, 8 bdense, 9 bdense) ---- */

static void e_s_baseline(struct tsec *s) { wr32(s->data, 2); }
static void e_s_amp(struct tsec *s) { wr32(s->data + 8, 5); }
static void e_s_lp_nan(struct tsec *s) { wr32(s->data + 4, 0x7fc00000u); }
static void e_s_lp_inf(struct tsec *s) { wr32(s->data + 4, 0x7f800000u); }
static void e_s_lp_nyq(struct tsec *s) { wr32(s->data + 4, 0x43340000u); }	/* 180 */
static void e_s_lp_neg(struct tsec *s) { wr32(s->data + 4, 0xbf800000u); }
static void e_s_lp_m0(struct tsec *s) { wr32(s->data + 4, 0x80000000u); }
static void e_s_nfeat_big(struct tsec *s) { wr32(s->data + 12, 65); }
static void e_s_nfeat_huge(struct tsec *s) { wr32(s->data + 12, 0xffffffffu); }
static void e_s_nfeat_more(struct tsec *s) { wr32(s->data + 12, 4); }
static void e_s_nfeat_less(struct tsec *s) { wr32(s->data + 12, 2); }
static void e_s_kind(struct tsec *s) { wr16(s->data + 16, 9); }
static void e_s_kind_big(struct tsec *s) { wr16(s->data + 32, 0xffff); }
static void e_s_kind_dup(struct tsec *s) { wr16(s->data + 40, BNN_FEAT_PRE_LOCAL); }
static void e_s_nthr0(struct tsec *s) { wr16(s->data + 18, 0); }
static void e_s_nthr65(struct tsec *s) { wr16(s->data + 18, 65); }
static void e_s_nthr_more(struct tsec *s) { wr16(s->data + 42, 3); }
static void e_s_nthr_less(struct tsec *s) { wr16(s->data + 42, 1); }
static void e_s_thr_nan(struct tsec *s) { wr32(s->data + 24, 0x7fc00000u); }
static void e_s_thr_inf(struct tsec *s) { wr32(s->data + 48, 0xff800000u); }
static void e_s_thr_eq(struct tsec *s) { memcpy(s->data + 28, s->data + 24, 4); }
static void e_s_thr_dec(struct tsec *s) { wr32(s->data + 20, 0x40000000u); }	/* 2.0 */
static void e_s_short(struct tsec *s) { s->len = 15; }
static void e_s_cut(struct tsec *s) { s->len -= 4; }
static void e_s_long(struct tsec *s) { s->len += 4; }
static void e_s_none(struct tsec *s) { wr32(s->data, 0); }	/* model_p */
static void e_s_flags(struct tsec *s) { s->flags = 1; }
static void e_j_param(struct tsec *s) { wr32(s->data + 32, 1); }
static void e_j_kernel(struct tsec *s) { wr32(s->data + 20, 1); }
static void e_j_out_c(struct tsec *s) { wr32(s->data + 12, 18); }
static void e_j_fanin(struct tsec *s) { wr32(s->data + 36, 1); }
static void e_j_len(struct tsec *s) { s->len += 4; }

static void test_signal_rejections(void **state)
{
	(void)state;
	struct bnn_model *m = model_f(), *mp = model_p();
	static const struct {
		uint32_t sec;
		edit_fn fn;
		int code;
		const char *needle;
	} cases[] = {
		{ 2, e_s_baseline, BNN_E_UNSUPPORTED, "signal: unknown baseline 2" },
		{ 2, e_s_amp, BNN_E_UNSUPPORTED, "signal: unknown amp_norm 5" },
		{ 2, e_s_lp_nan, BNN_E_RANGE, "lowpass_hz nan" },
		{ 2, e_s_lp_inf, BNN_E_RANGE, "lowpass_hz inf" },
		{ 2, e_s_lp_nyq, BNN_E_RANGE, "lowpass_hz 180 not in (0, 180)" },
		{ 2, e_s_lp_neg, BNN_E_RANGE, "lowpass_hz -1" },
		{ 2, e_s_lp_m0, BNN_E_CORRUPT, "lowpass_hz is -0" },
		{ 2, e_s_nfeat_big, BNN_E_RANGE, "nfeatures 65 not in 0..64" },
		{ 2, e_s_nfeat_huge, BNN_E_RANGE, "nfeatures 4294967295" },
		{ 2, e_s_nfeat_more, BNN_E_TRUNCATED, "feature 3 beyond the section" },
		{ 2, e_s_nfeat_less, BNN_E_SIZE, "signal section: 12 extra bytes" },
		{ 2, e_s_kind, BNN_E_UNSUPPORTED, "feature 0: unknown kind 9" },
		{ 2, e_s_kind_big, BNN_E_UNSUPPORTED, "feature 1: unknown kind 65535" },
		{ 2, e_s_kind_dup, BNN_E_CORRUPT, "feature 2: kind pre_local repeats" },
		{ 2, e_s_nthr0, BNN_E_RANGE, "feature 0: nthr 0 not in 1..64" },
		{ 2, e_s_nthr65, BNN_E_RANGE, "feature 0: nthr 65" },
		{ 2, e_s_nthr_more, BNN_E_TRUNCATED, "feature 2: 3 thresholds beyond" },
		{ 2, e_s_nthr_less, BNN_E_SIZE, "4 extra bytes" },
		{ 2, e_s_thr_nan, BNN_E_RANGE, "feature 0 (pre_local): threshold 1 is not finite" },
		{ 2, e_s_thr_inf, BNN_E_RANGE, "feature 2 (post_rr): threshold 1 is not finite" },
		{ 2, e_s_thr_eq, BNN_E_CORRUPT, "threshold 2 (0.8) not above threshold 1 (0.8)" },
		{ 2, e_s_thr_dec, BNN_E_CORRUPT, "strictly increasing" },
		{ 2, e_s_short, BNN_E_TRUNCATED, "16-byte header" },
		{ 2, e_s_cut, BNN_E_TRUNCATED, "feature 2: 2 thresholds beyond" },
		{ 2, e_s_long, BNN_E_SIZE, "signal section: 4 extra bytes" },
		{ 2, e_s_flags, BNN_E_CORRUPT, "section 2 (signal): bad flags" },
		{ 7, e_j_param, BNN_E_CORRUPT, "layer 3 (join): param must be 0" },
		{ 7, e_j_kernel, BNN_E_CORRUPT, "layer 3 (join): kernel, stride and pad" },
		{ 7, e_j_out_c, BNN_E_CORRUPT, "layer 3 (join): output 1 x 18 (length x channels), expected 1 x 24" },
		{ 7, e_j_fanin, BNN_E_CORRUPT, "layer 3 (join): fan_in 1" },
		{ 7, e_j_len, BNN_E_SIZE, "layer 3 (join): section of 68 bytes" },
	};
	uint8_t *buf, *b2;
	size_t len, len2;
	struct tfile f, g;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		edit_case_v(m, cases[i].sec, cases[i].fn, cases[i].code,
			    cases[i].needle);
	/* everything none, no features: must be version 1 */
	edit_case_v(mp, 2, e_s_none, BNN_E_CORRUPT, "written as version 1");
	/* a lowpass needs the sample rate */
	save(m, &buf, &len);
	split(buf, len, &f);
	g = f;
	memcpy(g.s[0].data + 8, "\0\0\0\0\0\0\0\0", 8);	/* rate 0 */
	b2 = join(&g, 2, 0, &len2);
	expect_fail(b2, len2, BNN_E_RANGE, "half the input sample rate");
	free(b2);
	tfile_free(&f);

	split(buf, len, &f);
	/* a signal section in version 1 */
	b2 = join(&f, 1, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT, "signal section in a version 1 file");
	free(b2);
	/* the signal section after meta */
	g = f;
	g.s[2] = f.s[3];
	g.s[3] = f.s[2];
	b2 = join(&g, 2, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT, "section 3: the signal section must come once, right after classes");
	free(b2);
	/* twice */
	g = f;
	memmove(&g.s[3], &g.s[2], sizeof(g.s[0]) * (g.ns - 2));
	g.ns++;
	b2 = join(&g, 2, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT, "section 3: the signal section must come once");
	free(b2);
	/* dropped: the version says 2, then the JOIN has no features */
	g = f;
	memmove(&g.s[2], &g.s[3], sizeof(g.s[0]) * (g.ns - 3));
	g.ns--;
	b2 = join(&g, 2, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT, "version 2 without a signal section");
	free(b2);
	b2 = join(&g, 1, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT, "layer 3 (join): the model has no rhythm features");
	free(b2);
	/* features without a JOIN: model_a's layers under model_f's
	 * signal section */
	{
		struct bnn_model *ma = model_a();
		uint8_t *ba;
		size_t la;
		struct tfile fa, h;

		save(ma, &ba, &la);
		split(ba, la, &fa);
		h = fa;
		memmove(&h.s[3], &h.s[2], sizeof(h.s[0]) * (h.ns - 2));
		h.s[2] = f.s[2];
		h.ns++;
		b2 = join(&h, 2, 0, &len2);
		expect_fail(b2, len2, BNN_E_CORRUPT, "3 rhythm features but no JOIN layer");
		free(b2);
		tfile_free(&fa);
		free(ba);
		bnn_model_free(ma);
	}
	/* a second JOIN right after the first (shapes made to chain) */
	{
		struct tsec j2 = f.s[7];
		uint8_t d[64];

		memcpy(d, f.s[7].data, 64);
		wr32(d + 4, 24);
		wr32(d + 12, 30);
		j2.data = d;
		g = f;
		memmove(&g.s[9], &g.s[8], sizeof(g.s[0]) * (g.ns - 8));
		g.s[8] = j2;
		g.ns++;
		b2 = join(&g, 2, 0, &len2);
		expect_fail(b2, len2, BNN_E_CORRUPT, "layer 4 (join): a second JOIN (layer 3 is one)");
		free(b2);
	}
	/* truncation at every byte, every bit flip */
	for (size_t k = 0; k < len; k++)
		expect_fail(buf, k, BNN_E_TRUNCATED, NULL);
	for (size_t i = 256; i < len * 8; i++) {
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		expect_fail(buf, len, BNN_E_CHECKSUM, "checksum");
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	expect_ok(buf, len);
	/* a flip in the signal section names it */
	{
		uint64_t off = rd32(buf + 64 + 2 * 24 + 8);

		buf[off + 13] ^= 1;
		expect_fail(buf, len, BNN_E_CHECKSUM, "signal section (section 2)");
		buf[off + 13] ^= 1;
	}
	tfile_free(&f);
	free(buf);
	bnn_model_free(m);
	bnn_model_free(mp);
}

/* bnn__model_set_signal and JOIN through the builder. */
static void test_signal_builder(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(1, 8, 2), *c;
	uint32_t kinds[2] = { BNN_FEAT_PRE_RR, BNN_FEAT_LONG_RR };
	uint32_t nthr[2] = { 2, 1 };
	float thr[3] = { 0.5f, 1.0f, 2.0f };
	bnn_error e;
	uint8_t *a, *b;
	size_t la, lb;

	assert_int_equal(bnn__model_set_signal(NULL, 0, 0, 0, 0, NULL, NULL,
					       NULL, &e), BNN_E_INVAL);
	assert_int_equal(bnn__model_set_signal(m, 0, 0, 0, 2, NULL, nthr, thr,
					       &e), BNN_E_INVAL);
	/* JOIN before any feature */
	assert_int_equal(tm_add_simple(m, BNN_LAYER_JOIN), BNN_E_CORRUPT);
	assert_int_equal(bnn__model_set_signal(m, 0, 0, 0, 2, kinds, nthr, thr,
					       &e), 0);
	assert_int_equal(m->sig.aux_bits, 3);
	/* quantised input */
	assert_int_equal(tm_add_quant(m, 2, 0, 1), 0);
	{
		struct bnn__layer l;

		memset(&l, 0, sizeof(l));
		l.kind = BNN_LAYER_JOIN;
		assert_int_equal(bnn__model_add(m, &l, &e), BNN_E_CORRUPT);
		assert_non_null(strstr(e.msg, "layer 1 (join): needs a float or bit input"));
	}
	/* set after the layers */
	assert_int_equal(bnn__model_set_signal(m, 0, 0, 0, 0, NULL, NULL, NULL,
					       &e), BNN_E_INVAL);
	assert_non_null(strstr(e.msg, "before the layers"));
	bnn_model_free(m);

	/* float JOIN at layer 0, a second one, finish rules */
	m = tm_new(2, 3, 2);
	assert_int_equal(bnn__model_set_signal(m, 0, 0, 0, 2, kinds, nthr, thr,
					       &e), 0);
	assert_int_equal(bnn__model_finish(m, &e), BNN_E_CORRUPT);	/* no layers */
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_float(m, BNN_LAYER_DENSE, 2, 0, 0, 0), 0);
	assert_int_equal(bnn__model_finish(m, &e), BNN_E_CORRUPT);
	assert_non_null(strstr(e.msg, "2 rhythm features but no JOIN"));
	bnn_model_free(m);
	m = tm_new(2, 3, 2);
	assert_int_equal(bnn__model_set_signal(m, 0, 0, 0, 2, kinds, nthr, thr,
					       &e), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_JOIN), 0);
	assert_int_equal(m->layers[0].out_c, 2 * 3 + 3);
	assert_int_equal(m->layers[0].out_vk, BNN_VALUES_FLOAT);
	{
		struct bnn__layer l;

		memset(&l, 0, sizeof(l));
		l.kind = BNN_LAYER_JOIN;
		assert_int_equal(bnn__model_add(m, &l, &e), BNN_E_CORRUPT);
		assert_non_null(strstr(e.msg, "layer 1 (join): a second JOIN (layer 0 is one)"));
		l.out_c = 3;
		assert_int_equal(bnn__model_add(m, &l, &e), BNN_E_CORRUPT);
	}
	assert_int_equal(tm_add_float(m, BNN_LAYER_DENSE, 2, 0, 0, 0), 0);
	assert_int_equal(bnn__model_finish(m, &e), 0);
	/* JOIN without features, two JOINs: what finish says of a model
	 * changed behind the builder's back */
	m->sig.nfeat = 0;
	assert_int_equal(bnn__model_finish(m, &e), BNN_E_CORRUPT);
	assert_non_null(strstr(e.msg, "layer 0 (join): the model has no rhythm features"));
	m->sig.nfeat = 2;
	m->layers[1].kind = BNN_LAYER_JOIN;
	assert_int_equal(bnn__model_finish(m, &e), BNN_E_CORRUPT);
	assert_non_null(strstr(e.msg, "2 JOIN layers"));
	m->layers[1].kind = BNN_LAYER_DENSE;
	/* clone keeps everything: same bytes */
	assert_int_equal(bnn__model_clone(m, &c, &e), 0);
	save(m, &a, &la);
	save(c, &b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	assert_int_equal(a[4], 2);
	free(a);
	free(b);
	bnn_model_free(c);
	/* set_signal with everything none removes the section */
	bnn_model_free(m);
	m = tm_new(1, 4, 2);
	assert_int_equal(bnn__model_set_signal(m, 1, 0, 0, 0, NULL, NULL, NULL,
					       &e), 0);
	assert_true(m->sig.present);
	assert_int_equal(bnn__model_set_signal(m, 0, 0, 0, 0, NULL, NULL, NULL,
					       &e), 0);
	assert_false(m->sig.present);
	/* 64 features are more than there are kinds: the kinds repeat */
	{
		uint32_t k64[64], n64[64];
		float t64[64];

		for (int i = 0; i < 64; i++) {
			k64[i] = (uint32_t)i % BNN_FEAT_COUNT;
			n64[i] = 1;
			t64[i] = 0;
		}
		assert_int_equal(bnn__model_set_signal(m, 0, 0, 0, 64, k64, n64,
						       t64, &e), BNN_E_CORRUPT);
		assert_non_null(strstr(e.msg, "feature 9: kind pre_rr repeats"));
		assert_int_equal(bnn__model_set_signal(m, 0, 0, 0, 65, k64, n64,
						       t64, &e), BNN_E_RANGE);
	}
	/* lowpass below half the rate is fine (rate 360) */
	assert_int_equal(bnn__model_set_signal(m, 0, 179.9f, 0, 0, NULL, NULL,
					       NULL, &e), 0);
	assert_int_equal(bnn__model_set_signal(m, 0, 180.0f, 0, 0, NULL, NULL,
					       NULL, &e), BNN_E_RANGE);
	bnn_model_free(m);
}

static void test_builder_errors(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(1, 8, 2);
	bnn_error e;
	struct bnn__layer l;

	/* binary layer on float input */
	memset(&l, 0, sizeof(l));
	l.kind = BNN_LAYER_BDENSE;
	l.out_c = 2;
	assert_int_equal(bnn__model_add(m, &l, &e), BNN_E_CORRUPT);
	assert_non_null(strstr(e.msg, "SIGN or QUANT"));
	/* dense on length > 1 */
	l.kind = BNN_LAYER_DENSE;
	assert_int_equal(bnn__model_add(m, &l, &e), BNN_E_CORRUPT);
	assert_non_null(strstr(e.msg, "FLATTEN"));
	/* maxpool on quantised values */
	assert_int_equal(tm_add_quant(m, 3, 0, 1), 0);
	assert_int_equal(tm_add_pool(m, 2, 2), BNN_E_CORRUPT);
	/* float layer on quantised values */
	assert_int_equal(tm_add_act(m, 0), BNN_E_CORRUPT);
	assert_int_equal(bnn__model_finish(m, &e), BNN_E_CORRUPT);
	bnn_model_free(m);
	/* bad input descriptions */
	{
		bnn_input_desc in;
		const char *cls[] = { "a", "a" };
		struct bnn_model *x = (struct bnn_model *)1;

		memset(&in, 0, sizeof(in));
		in.channels = 1;
		in.length = 4;
		in.norm_scale = 1;
		assert_int_equal(bnn__model_new(&in, 2, cls, NULL, NULL, &x, &e),
				 BNN_E_CORRUPT);
		assert_null(x);
		assert_int_equal(bnn__model_new(&in, 0, cls, NULL, NULL, &x, &e),
				 BNN_E_RANGE);
		in.norm_scale = 2;
		assert_int_equal(bnn__model_new(&in, 1, cls, NULL, NULL, &x, &e),
				 BNN_E_CORRUPT);
	}
}

static void alloc_failures(struct bnn_model *m)
{
	uint8_t *buf;
	size_t len;
	int ok = 0;

	save(m, &buf, &len);
	for (long k = 0; k < 1000 && !ok; k++) {
		bnn_model *r = NULL;
		bnn_error e;
		int rc;

		bnn_test_fail_alloc_after(k);
		rc = bnn_model_load_mem(buf, len, &r, &e);
		bnn_test_fail_alloc_after(-1);
		if (rc == 0) {
			ok = 1;
			bnn_model_free(r);
		} else {
			assert_int_equal(rc, BNN_E_NOMEM);
			assert_null(r);
		}
	}
	assert_true(ok);
	free(buf);
	bnn_model_free(m);
}

static void test_alloc_failures(void **state)
{
	(void)state;
	alloc_failures(model_b());
	alloc_failures(model_f());
}

static void test_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/bnn-test-format-XXXXXX", path[128];
	struct bnn_model *m = model_a();
	bnn_model *r;
	bnn_error e;
	uint8_t *a, *b;
	size_t la, lb;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m.bnn", dir);
	assert_int_equal(bnn_model_save(m, path, &e), 0);
	assert_int_equal(bnn_model_load(path, &r, &e), 0);
	save(m, &a, &la);
	save(r, &b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	bnn_model_free(r);
	assert_int_equal(bnn_model_load(dir, &r, &e), BNN_E_IO);
	assert_null(r);
	snprintf(path, sizeof(path), "%s/missing.bnn", dir);
	assert_int_equal(bnn_model_load(path, &r, &e), BNN_E_IO);
	assert_non_null(strstr(e.msg, "missing.bnn"));
	/* the path once, not "PATH: PATH: cannot open" */
	assert_null(strstr(strstr(e.msg, "missing.bnn") + 1, "missing.bnn"));
	assert_non_null(strstr(e.msg, "cannot open"));
	/* a malformed file's message names it (the loader's prefix) */
	snprintf(path, sizeof(path), "%s/m.bnn", dir);
	{
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		assert_int_equal(fwrite(a, 1, 8, f), 8);
		fclose(f);
	}
	assert_int_not_equal(bnn_model_load(path, &r, &e), 0);
	assert_non_null(strstr(e.msg, "m.bnn: "));
	assert_int_equal(bnn_model_save(m, "/nonexistent-dir/x.bnn", &e),
			 BNN_E_IO);
	assert_int_equal(bnn_model_load_mem(NULL, 0, &r, &e), BNN_E_TRUNCATED);
	assert_int_equal(bnn_model_load_mem(a, la, NULL, &e), BNN_E_INVAL);
	snprintf(path, sizeof(path), "%s/m.bnn", dir);
	unlink(path);
	rmdir(dir);
	free(a);
	free(b);
	bnn_model_free(m);
}

/* The example at the end of Documentation/bnn-format.rst. */
static void test_doc_example(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(1, 4, 2);
	struct bnn__layer l;
	uint8_t bits[2] = { 0x0f, 0x05 }, *buf;
	size_t len;
	struct tfile f;
	float x[4] = { 0.5f, -2, 3, -1 }, sc[2];
	int32_t pred;
	bnn_backend *be;
	bnn_error e;

	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	memset(&l, 0, sizeof(l));
	l.kind = BNN_LAYER_BDENSE;
	l.out_c = 2;
	l.scores = 1;
	l.bits = bits;
	assert_int_equal(bnn__model_add(m, &l, NULL), 0);
	save(m, &buf, &len);
	split(buf, len, &f);
	assert_int_equal(f.ns, 6);	/* input classes meta(name) 3 layers */
	assert_int_equal(f.s[0].len, 72);
	assert_int_equal(f.s[3].len, 64);
	assert_int_equal(f.s[4].len, 64);
	assert_int_equal(f.s[5].len, 68);
	assert_int_equal(bnn_backend_open(BNN_BACKEND_CPU, NULL, &be, &e), 0);
	assert_int_equal(bnn_prepare(be, m, &e), 0);
	assert_int_equal(bnn_run(be, x, 1, sc, &pred, NULL, &e), 0);
	assert_true(sc[0] == 0 && sc[1] == 4);
	assert_int_equal(pred, 1);
	bnn_backend_close(be);
	tfile_free(&f);
	free(buf);
	bnn_model_free(m);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(bnn_strerror(BNN_E_NODEV), "no such device");
	assert_string_equal(bnn_strerror(BNN_E_TIMEOUT), "timed out");
	assert_string_equal(bnn_strerror(BNN_E_CHECKSUM), "checksum mismatch");
	assert_string_equal(bnn_strerror(-999), "unknown error");
	assert_non_null(bnn_version());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_identical_models_identical_bytes),
		cmocka_unit_test(test_info_footprint),
		cmocka_unit_test(test_truncation_every_byte),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_section_order),
		cmocka_unit_test(test_hostile_fields),
		cmocka_unit_test(test_v2_layout),
		cmocka_unit_test(test_signal_rejections),
		cmocka_unit_test(test_signal_builder),
		cmocka_unit_test(test_builder_errors),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_doc_example),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
