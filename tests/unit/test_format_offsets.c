// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * Unit tests: per-class score offsets (the offsets section, format
 * version 5; Documentation/bnn-format.rst, "Offsets section"): round
 * trips with the other optional sections, the byte layout, the version
 * rule (a model without offsets is written byte for byte as before, old
 * files load and classify as before), where the offsets are applied (the
 * argmax of score + offset, lowest index on ties, scores returned with
 * the offset), cpu and emu giving identical classes, and every malformed
 * section with its error text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "bnn.h"
#include "bnn_test_models.h"
#include "bnn_test_container.h"

static const int32_t off3[3] = { 0, 7, -3 };

/* SIGN FLATTEN BDENSE(scores) on 1 x 12, 3 classes; `sig` adds a signal
 * section (with a beat reference when ref), `leads` two channels. */
static struct bnn_model *model_o(const int32_t *off, int sig, uint32_t ref,
				 int leads)
{
	static const char *const names[2] = { "MLII", "V1" };
	struct bnn_model *m = tm_new(leads ? 2 : 1, 12, 3);

	m->input.sample_rate_hz = 180;
	if (sig) {
		assert_int_equal(bnn__model_set_ref_beats(m, ref, NULL), 0);
		assert_int_equal(bnn__model_set_signal(m, BNN_BASELINE_MEDIAN,
						       35.0f, BNN_AMP_QRS, 0,
						       NULL, NULL, NULL, NULL), 0);
	}
	if (leads)
		assert_int_equal(bnn__model_set_leads(m, 2, names, NULL), 0);
	if (off)
		assert_int_equal(bnn__model_set_offsets(m, 3, off, NULL), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__model_finish(m, NULL), 0);
	return m;
}

static void check_off(const bnn_model *m, const int32_t *off)
{
	for (uint32_t k = 0; k < 3; k++)
		assert_int_equal(bnn_model_class_offset(m, k), off ? off[k] : 0);
	assert_int_equal(bnn_model_class_offset(m, 3), 0);
	assert_int_equal(bnn_model_class_offset(NULL, 0), 0);
}

static void test_roundtrip(void **state)
{
	(void)state;

	for (int sig = 0; sig < 2; sig++)
		for (uint32_t ref = 0; ref < (sig ? 2u : 1u); ref++)
			for (int leads = 0; leads < 2; leads++) {
				struct bnn_model *m = model_o(off3, sig, ref * 8,
							      leads);
				uint8_t *a, *b;
				size_t la, lb;
				bnn_model *r;
				struct bnn_model *c;
				bnn_error e;

				save(m, &a, &la);
				assert_int_equal(a[4], 5);
				assert_int_equal(bnn_model_load_mem(a, la, &r, &e), 0);
				check_off(r, off3);
				save(r, &b, &lb);
				assert_int_equal(la, lb);
				assert_memory_equal(a, b, la);
				assert_int_equal(bnn__model_clone(r, &c, &e), 0);
				check_off(c, off3);
				bnn_model_free(c);
				free(a);
				free(b);
				bnn_model_free(r);
				bnn_model_free(m);
			}
}

/* The section: type 7, flags 0, right after classes (signal, leads), u32
 * count then the i32 offsets; everything else as without offsets. */
static void test_layout(void **state)
{
	(void)state;
	static const int32_t zero[3] = { 0, 0, 0 };
	struct bnn_model *m, *p, *z;
	uint8_t *a, *b, *c;
	size_t la, lb, lc;
	struct tfile f, g;

	tm_state = 5;
	m = model_o(off3, 0, 0, 0);
	tm_state = 5;
	p = model_o(NULL, 0, 0, 0);
	tm_state = 5;
	z = model_o(zero, 0, 0, 0);
	save(m, &a, &la);
	save(p, &b, &lb);
	save(z, &c, &lc);
	/* no offsets, or all zero: version 1, the same bytes */
	assert_int_equal(b[4], 1);
	assert_int_equal(lb, lc);
	assert_memory_equal(b, c, lb);
	split(a, la, &f);
	split(b, lb, &g);
	assert_int_equal(f.ns, g.ns + 1);
	assert_int_equal(f.s[2].type, 7);
	assert_int_equal(f.s[2].flags, 0);
	assert_int_equal(f.s[2].len, 16);
	assert_int_equal(rd32(f.s[2].data), 3);
	for (uint32_t k = 0; k < 3; k++)
		assert_int_equal((int32_t)rd32(f.s[2].data + 4 + 4 * k), off3[k]);
	for (uint32_t i = 3; i < f.ns; i++) {
		assert_int_equal(f.s[i].type, g.s[i - 1].type);
		assert_int_equal(f.s[i].len, g.s[i - 1].len);
		assert_memory_equal(f.s[i].data, g.s[i - 1].data, f.s[i].len);
	}
	tfile_free(&f);
	tfile_free(&g);
	free(a);
	free(b);
	free(c);
	bnn_model_free(m);
	bnn_model_free(p);
	bnn_model_free(z);
	/* a signal section without a reference keeps the 24-byte header of
	 * version 4 in version 5, with ref_beats 0 */
	m = model_o(off3, 1, 0, 0);
	save(m, &a, &la);
	split(a, la, &f);
	assert_int_equal(f.s[2].type, 5);
	assert_int_equal(f.s[2].len, 24);
	assert_int_equal(rd32(f.s[2].data + 16), 0);
	assert_int_equal(f.s[3].type, 7);
	tfile_free(&f);
	free(a);
	bnn_model_free(m);
}

/* Classes of n items on backend `be` for model m. */
static void run_on(bnn_backend *be, const bnn_model *m, const float *x,
		   size_t n, float *sc, int32_t *pred)
{
	bnn_error e;

	if (bnn_prepare(be, m, &e))
		fail_msg("prepare: %s", e.msg);
	if (bnn_run(be, x, n, sc, pred, NULL, &e))
		fail_msg("run: %s", e.msg);
}

static bnn_backend *open_kind(int kind)
{
	bnn_backend_opts o;
	bnn_backend *be = NULL;
	bnn_error e;

	bnn_backend_opts_init(&o);
	o.error_model = 0;
	if (bnn_backend_open(kind, &o, &be, &e))
		fail_msg("open %s: %s", bnn_backend_kind_name(kind), e.msg);
	return be;
}

/* Random offsets that do change classes: about the scores' spread. */
static void rand_offsets(const struct bnn_model *m, int32_t *off)
{
	int span = (int)sqrt((double)m->layers[m->nlayers - 1].n) + 1;

	for (uint32_t k = 0; k < m->nclasses; k++)
		off[k] = tm_rnd(-span, span);
	off[0] = 1;	/* never all zero */
}

/*
 * Offsets change the argmax exactly as documented: the scores returned
 * are the raw scores plus the offsets (exactly: integer sums), and the
 * class is their argmax with the lowest index on ties; cpu and emu agree
 * bit for bit, scores and classes; an old file (no offsets) classifies as
 * before.
 */
static void test_apply(void **state)
{
	(void)state;
	enum { N = 200 };
	bnn_backend *cpu = open_kind(BNN_BACKEND_CPU);
	bnn_backend *emu = open_kind(BNN_BACKEND_EMU);
	int changed = 0, ties = 0;

	tm_state = 11;
	for (int rep = 0; rep < 12; rep++) {
		struct bnn_model *m = tm_random_binary_feat(rep % 3 ? 4 : 1,
							    rep % 2 ? 2 : 0);
		struct bnn_model *mo;
		uint32_t K = m->nclasses;
		size_t item = tm_item_floats(m);
		float *x = malloc(sizeof(float) * item * N);
		float *s0 = malloc(sizeof(float) * K * N);
		float *s1 = malloc(sizeof(float) * K * N);
		float *s2 = malloc(sizeof(float) * K * N);
		int32_t p0[N], p1[N], p2[N], off[16];
		uint8_t *a;
		size_t la;
		bnn_model *r;
		bnn_error e;

		tm_inputs(m, x, N);
		rand_offsets(m, off);
		assert_int_equal(bnn__model_clone(m, &mo, &e), 0);
		assert_int_equal(bnn__model_set_offsets(mo, K, off, &e), 0);
		/* through a file, as a tool would load it */
		save(mo, &a, &la);
		assert_int_equal(bnn_model_load_mem(a, la, &r, &e), 0);
		free(a);
		/* the same model without offsets, saved and loaded (an old
		 * file): the classes of the reference evaluator */
		save(m, &a, &la);
		assert_true(a[4] < 5);
		bnn_model_free(m);
		assert_int_equal(bnn_model_load_mem(a, la, (bnn_model **)&m, &e), 0);
		free(a);
		run_on(cpu, m, x, N, s0, p0);
		for (size_t i = 0; i < N; i++) {
			double ref[16];
			uint32_t best = 0;

			tm_ref_eval(m, x + i * item, ref);
			for (uint32_t c = 1; c < K; c++)
				if (ref[c] > ref[best])
					best = c;
			assert_int_equal(p0[i], best);
		}
		run_on(cpu, r, x, N, s1, p1);
		run_on(emu, r, x, N, s2, p2);
		for (size_t i = 0; i < N; i++) {
			uint32_t best = 0;

			for (uint32_t c = 0; c < K; c++) {
				assert_true(s1[i * K + c] ==
					    s0[i * K + c] + (float)off[c]);
				if (s1[i * K + c] > s1[i * K + best])
					best = c;
			}
			for (uint32_t c = 0; c < K; c++)
				if (c != best && s1[i * K + c] == s1[i * K + best])
					ties++;
			assert_int_equal(p1[i], best);
			changed += p1[i] != p0[i];
		}
		assert_memory_equal(s1, s2, sizeof(float) * K * N);
		assert_memory_equal(p1, p2, sizeof(p1));
		free(x);
		free(s0);
		free(s1);
		free(s2);
		bnn_model_free(r);
		bnn_model_free(mo);
		bnn_model_free(m);
	}
	/* the offsets mattered, and ties were exercised */
	assert_true(changed > 0);
	assert_true(ties > 0);
	bnn_backend_close(cpu);
	bnn_backend_close(emu);
}

/* The one definition: score + offset, lowest index on ties, NaN ignored. */
static void test_finish(void **state)
{
	(void)state;
	float s[9] = { 1, 3, 2,   5, 0, 0,   NAN, 1, 1 };
	static const int32_t off[3] = { 2, 0, 1 };
	int32_t pred[3];

	bnn__scores_finish(off, s, 3, 3, pred);
	assert_true(s[0] == 3 && s[1] == 3 && s[2] == 3);
	assert_int_equal(pred[0], 0);		/* a three-way tie */
	assert_int_equal(pred[1], 0);
	assert_true(isnan(s[6]));
	assert_int_equal(pred[2], 2);		/* 1 + 0 < 1 + 1 */
	bnn__scores_finish(NULL, s, 1, 3, NULL);	/* nothing to do */
	assert_true(s[0] == 3);
}

static void e_count2(struct tsec *s) { wr32(s->data, 2); }
static void e_count4(struct tsec *s) { wr32(s->data, 4); }
static void e_cut(struct tsec *s) { s->len -= 4; }
static void e_short(struct tsec *s) { s->len = 2; }
static void e_extra(struct tsec *s) { s->len += 4; memset(s->data + 16, 0, 4); }
static void e_zero(struct tsec *s) { memset(s->data + 4, 0, 12); }
static void e_big(struct tsec *s) { wr32(s->data + 8, BNN_CLASS_OFFSET_MAX + 1); }
static void e_small(struct tsec *s) { wr32(s->data + 12, 0x80000000u); }
static void e_flags(struct tsec *s) { s->flags = 1; }

static void test_malformed(void **state)
{
	(void)state;
	struct bnn_model *m = model_o(off3, 0, 0, 0);
	static const struct edit_case cases[] = {
		{ e_count2, BNN_E_CORRUPT, "offsets section: 2 offsets for 3 classes" },
		{ e_count4, BNN_E_CORRUPT, "offsets section: 4 offsets for 3 classes" },
		{ e_cut, BNN_E_TRUNCATED, "offsets section: 12 bytes cannot hold 3 offsets" },
		{ e_short, BNN_E_TRUNCATED, "offsets section: 2 bytes, shorter than its count" },
		{ e_extra, BNN_E_SIZE, "offsets section: 4 extra bytes" },
		{ e_zero, BNN_E_CORRUPT, "every offset is 0" },
		{ e_big, BNN_E_RANGE, "class 1: offset 1048577 not in -1048576..1048576" },
		{ e_small, BNN_E_RANGE, "class 2: offset -2147483648" },
		{ e_flags, BNN_E_CORRUPT, "section 2 (offsets): bad flags 0x1" },
	};
	uint8_t *a, *b2;
	size_t la, len2;
	struct tfile f;

	EDIT_CASES(m, 2, 5, cases);
	save(m, &a, &la);
	split(a, la, &f);
	/* an offsets section in an older version */
	b2 = join(&f, 4, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT,
		    "an offsets section in a version 4 file (it needs version 5)");
	free(b2);
	/* out of place: after meta */
	{
		struct tsec t = f.s[2];

		f.s[2] = f.s[3];
		f.s[3] = t;
		assert_int_equal(f.s[2].type, 3);
		b2 = join(&f, 5, 0, &len2);
		expect_fail(b2, len2, BNN_E_CORRUPT,
			    "the offsets section must come once, right after classes");
		free(b2);
		f.s[3] = f.s[2];
		f.s[2] = t;
	}
	/* a newer version */
	b2 = join(&f, 6, 0, &len2);
	expect_fail(b2, len2, BNN_E_UNSUPPORTED,
		    "version 6 (this library reads versions 1 to 5)");
	free(b2);
	tfile_free(&f);
	/* every truncation of a version 5 file fails cleanly */
	for (size_t n = 0; n < la; n++) {
		bnn_model *r = (bnn_model *)1;

		assert_int_not_equal(bnn_model_load_mem(a, n, &r, NULL), 0);
		assert_null(r);
	}
	free(a);
	bnn_model_free(m);
	/* version 5 without an offsets section */
	m = model_o(NULL, 0, 0, 0);
	save(m, &a, &la);
	split(a, la, &f);
	b2 = join(&f, 5, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT,
		    "format version 5 without an offsets section");
	free(b2);
	tfile_free(&f);
	free(a);
	bnn_model_free(m);
}

static void test_builder(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(1, 12, 3);
	static const int32_t big[3] = { 0, BNN_CLASS_OFFSET_MAX + 1, 0 };
	bnn_error e;

	assert_int_equal(bnn__model_set_offsets(NULL, 3, off3, &e), BNN_E_INVAL);
	assert_int_equal(bnn__model_set_offsets(m, 3, NULL, &e), BNN_E_INVAL);
	assert_int_equal(bnn__model_set_offsets(m, 2, off3, &e), BNN_E_CORRUPT);
	assert_non_null(strstr(e.msg, "offsets: 2 offsets for 3 classes"));
	assert_int_equal(bnn__model_set_offsets(m, 3, big, &e), BNN_E_RANGE);
	assert_non_null(strstr(e.msg, "class 1: offset 1048577"));
	assert_int_equal(bnn__model_set_offsets(m, 3, off3, &e), 0);
	assert_int_equal(bnn_model_class_offset(m, 1), 7);
	/* n == 0 removes them */
	assert_int_equal(bnn__model_set_offsets(m, 0, NULL, &e), 0);
	assert_int_equal(bnn_model_class_offset(m, 1), 0);
	bnn_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_finish),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_builder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
