// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * Unit tests: the beat reference of the .bnn signal section (format
 * version 4; Documentation/bnn-format.rst, "Signal section"): round trips
 * with and without features and a leads section, the byte layout, the
 * version rule (a model without a reference stays version 1, 2 or 3 byte
 * for byte), every malformed field with its error text, truncation and the
 * builder.
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
#include "bnn_test_container.h"

static const uint32_t kinds[2] = { BNN_FEAT_PRE_LOCAL, BNN_FEAT_IRREG };
static const uint32_t nthr[2] = { 2, 1 };
static const float thr[3] = { 0.8f, 1.1f, 0.2f };

/* SIGN FLATTEN [JOIN] BDENSE(scores) on 1 x 12 at 180 Hz, a beat reference
 * of `ref` beats (0: none), with `feat` two rhythm features, `leads`
 * two channels named MLII and V1. */
static struct bnn_model *model_r(uint32_t ref, int feat, int leads)
{
	static const char *const names[2] = { "MLII", "V1" };
	struct bnn_model *m = tm_new(leads ? 2 : 1, 12, 3);

	m->input.sample_rate_hz = 180;
	assert_int_equal(bnn__model_set_ref_beats(m, ref, NULL), 0);
	assert_int_equal(bnn__model_set_signal(m, BNN_BASELINE_MEDIAN, 35.0f,
					       BNN_AMP_QRS, feat ? 2 : 0,
					       kinds, nthr, thr, NULL), 0);
	if (leads)
		assert_int_equal(bnn__model_set_leads(m, 2, names, NULL), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	if (feat)
		assert_int_equal(tm_add_simple(m, BNN_LAYER_JOIN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__model_finish(m, NULL), 0);
	return m;
}

static uint32_t ref_of(const bnn_model *m)
{
	bnn_signal_desc d;

	d.size = sizeof(d);
	assert_int_equal(bnn_model_signal_get(m, &d), 0);
	return d.ref_beats;
}

static void test_roundtrip(void **state)
{
	(void)state;
	static const uint32_t refs[] = { 1, 2, 32, BNN_REF_BEATS_MAX };

	for (size_t i = 0; i < 4; i++)
		for (int feat = 0; feat < 2; feat++)
			for (int leads = 0; leads < 2; leads++) {
				struct bnn_model *m = model_r(refs[i], feat, leads);
				uint8_t *a, *b;
				size_t la, lb;
				bnn_model *r;
				struct bnn_model *c;
				bnn_error e;

				save(m, &a, &la);
				assert_int_equal(a[4], 4);
				assert_int_equal(bnn_model_load_mem(a, la, &r, &e), 0);
				assert_int_equal(ref_of(r), refs[i]);
				save(r, &b, &lb);
				assert_int_equal(la, lb);
				assert_memory_equal(a, b, la);
				/* copies keep it */
				assert_int_equal(bnn__model_clone(r, &c, &e), 0);
				assert_int_equal(ref_of(c), refs[i]);
				bnn_model_free(c);
				free(a);
				free(b);
				bnn_model_free(r);
				bnn_model_free(m);
			}
}

/* Signal section: 24-byte header, ref_beats at 16, reserved 0 at 20, then
 * the features as in version 2. */
static void test_layout(void **state)
{
	(void)state;
	struct bnn_model *m = model_r(32, 1, 0), *p = model_r(0, 1, 0);
	uint8_t *a, *b;
	size_t la, lb;
	struct tfile f, g;

	save(m, &a, &la);
	save(p, &b, &lb);
	split(a, la, &f);
	split(b, lb, &g);
	assert_int_equal(f.s[2].type, 5);
	assert_int_equal(f.s[2].len, g.s[2].len + 8);
	assert_memory_equal(f.s[2].data, g.s[2].data, 16);
	assert_int_equal(rd32(f.s[2].data + 16), 32);
	assert_int_equal(rd32(f.s[2].data + 20), 0);
	assert_memory_equal(f.s[2].data + 24, g.s[2].data + 16, g.s[2].len - 16);
	/* without a reference: version 2 as before */
	assert_int_equal(b[4], 2);
	assert_int_equal(ref_of(p), 0);
	tfile_free(&f);
	tfile_free(&g);
	free(a);
	free(b);
	bnn_model_free(m);
	bnn_model_free(p);
}

static void e_ref0(struct tsec *s) { wr32(s->data + 16, 0); }
static void e_ref65(struct tsec *s) { wr32(s->data + 16, BNN_REF_BEATS_MAX + 1); }
static void e_ref_huge(struct tsec *s) { wr32(s->data + 16, 0xffffffffu); }
static void e_reserved(struct tsec *s) { wr32(s->data + 20, 1); }
static void e_short(struct tsec *s) { s->len = 20; }

static void test_malformed(void **state)
{
	(void)state;
	struct bnn_model *m = model_r(8, 1, 0), *p = model_r(0, 1, 0);
	static const struct edit_case cases[] = {
		{ e_ref0, BNN_E_RANGE, "beat reference of 0 beats not in 1..64" },
		{ e_ref65, BNN_E_RANGE, "beat reference of 65 beats" },
		{ e_ref_huge, BNN_E_RANGE, "beat reference of 4294967295 beats" },
		{ e_reserved, BNN_E_CORRUPT, "reserved field is not 0" },
		{ e_short, BNN_E_TRUNCATED, "24-byte header" },
	};
	uint8_t *a, *b2;
	size_t la, len2;
	struct tfile f;

	EDIT_CASES(m, 2, 4, cases);
	/* a version 2 section read as version 4: its first threshold is
	 * taken for the reserved word */
	save(p, &a, &la);
	split(a, la, &f);
	b2 = join(&f, 4, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT, "reserved field is not 0");
	free(b2);
	tfile_free(&f);
	free(a);
	/* a version 4 section read as version 2: the reference (8) is
	 * taken for the first feature's kind, its high half for nthr */
	save(m, &a, &la);
	split(a, la, &f);
	b2 = join(&f, 2, 0, &len2);
	expect_fail(b2, len2, BNN_E_RANGE, "feature 0: nthr 0 not in 1..64");
	free(b2);
	tfile_free(&f);
	free(a);
	/* version 4 without a signal section */
	{
		struct bnn_model *v1 = tm_new(1, 12, 3);

		assert_int_equal(tm_add_simple(v1, BNN_LAYER_SIGN), 0);
		assert_int_equal(tm_add_simple(v1, BNN_LAYER_FLATTEN), 0);
		assert_int_equal(tm_add_binary(v1, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1), 0);
		assert_int_equal(bnn__model_finish(v1, NULL), 0);
		save(v1, &a, &la);
		split(a, la, &f);
		b2 = join(&f, 4, 0, &len2);
		expect_fail(b2, len2, BNN_E_CORRUPT,
			    "format version 4 without a signal section");
		free(b2);
		b2 = join(&f, 5, 0, &len2);
		expect_fail(b2, len2, BNN_E_CORRUPT,
			    "format version 5 without an offsets section");
		free(b2);
		tfile_free(&f);
		free(a);
		bnn_model_free(v1);
	}
	/* every truncation of a version 4 file fails cleanly */
	save(m, &a, &la);
	for (size_t n = 0; n < la; n++) {
		bnn_model *r = (bnn_model *)1;

		assert_int_not_equal(bnn_model_load_mem(a, n, &r, NULL), 0);
		assert_null(r);
	}
	free(a);
	bnn_model_free(m);
	bnn_model_free(p);
}

static void test_builder(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(1, 12, 3);
	bnn_error e;
	uint8_t *a;
	size_t la;

	assert_int_equal(bnn__model_set_ref_beats(NULL, 1, &e), BNN_E_INVAL);
	assert_int_equal(bnn__model_set_ref_beats(m, BNN_REF_BEATS_MAX + 1, &e),
			 BNN_E_RANGE);
	assert_non_null(strstr(e.msg, "beat reference of 65 beats"));
	/* a reference alone makes a signal section; set_signal keeps it */
	assert_int_equal(bnn__model_set_ref_beats(m, 4, &e), 0);
	assert_int_equal(bnn__model_set_signal(m, 0, 0, 0, 0, NULL, NULL, NULL,
					       &e), 0);
	assert_int_equal(ref_of(m), 4);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(bnn__model_set_ref_beats(m, 2, &e), BNN_E_INVAL);
	assert_non_null(strstr(e.msg, "before the layers"));
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__model_finish(m, NULL), 0);
	save(m, &a, &la);
	assert_int_equal(a[4], 4);
	expect_ok(a, la);
	free(a);
	bnn_model_free(m);
	/* removing it again gives the version 1 file */
	m = tm_new(1, 12, 3);
	assert_int_equal(bnn__model_set_ref_beats(m, 4, &e), 0);
	assert_int_equal(bnn__model_set_ref_beats(m, 0, &e), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__model_finish(m, NULL), 0);
	save(m, &a, &la);
	assert_int_equal(a[4], 1);
	free(a);
	bnn_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_builder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
