// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * Unit tests: the leads section of the .bnn format (version 3; Documentation
 * /bnn-format.rst, "Leads section"): the lead of every channel of a
 * multi-lead model.  Round trips, the byte layout, the version rule (files
 * without leads stay version 1 or 2, byte for byte), files of the earlier
 * versions, every malformed list (empty name, too many / too few names,
 * over-long, NUL, not UTF-8, repeated, disagreeing with the input section,
 * in a one-channel model, misplaced, in an older version) with its error
 * text, truncation and bit flips, allocation failures and the builder.
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
#include "bnn_data.h"
#include "bnn_test_models.h"
#include "bnn_test_container.h"

static const char *const mlii_v1[2] = { "MLII", "V1" };

/* A two-lead beat model: SIGN FLATTEN BDENSE(scores); with `sig` a signal
 * section (baseline removal), with `named` a meta section. */
static struct bnn_model *two_lead(int sig, int named)
{
	bnn_input_desc in;
	const char *cls[] = { "N", "S", "V" };
	struct bnn_model *m;

	memset(&in, 0, sizeof(in));
	in.channels = 2;
	in.length = 6;
	in.sample_rate_hz = 180;
	in.norm_scale = 1.0f;
	in.beat_pre = 2;
	in.beat_post = 4;
	assert_int_equal(bnn__model_new(&in, 3, cls, named ? "two" : NULL,
					NULL, &m, NULL), 0);
	if (sig)
		assert_int_equal(bnn__model_set_signal(m, BNN_BASELINE_MEDIAN,
						       0, 0, 0, NULL, NULL,
						       NULL, NULL), 0);
	assert_int_equal(bnn__model_set_leads(m, 2, mlii_v1, NULL), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__model_finish(m, NULL), 0);
	return m;
}

/* Index of the leads section of two_lead(sig, named). */
static uint32_t leads_sec(int sig)
{
	return 2 + (uint32_t)sig;
}

static void check_leads(const bnn_model *m, const char *const *want,
			uint32_t n)
{
	bnn_model_info mi;

	for (uint32_t k = 0; k < n; k++)
		assert_string_equal(bnn_model_lead(m, k), want[k]);
	assert_null(bnn_model_lead(m, n));
	assert_null(bnn_model_lead(m, UINT32_MAX));
	assert_int_equal(bnn_model_info_get(m, &mi), 0);
	assert_string_equal(mi.input.lead, want[0]);
}

static void test_roundtrip(void **state)
{
	(void)state;
	for (int v = 0; v < 4; v++) {
		struct bnn_model *m = two_lead(v & 1, v & 2), *c;
		uint8_t *a, *b;
		size_t la, lb;
		bnn_model *r;
		bnn_error e;
		struct tfile f;

		save(m, &a, &la);
		assert_int_equal(a[4] | a[5] << 8, 3);
		/* the independent container writer agrees */
		split(a, la, &f);
		assert_int_equal(f.s[leads_sec(v & 1)].type, 6);
		assert_int_equal(f.s[leads_sec(v & 1)].flags, 0);
		{
			uint8_t *j;
			size_t lj;

			j = join(&f, 3, 0, &lj);
			assert_int_equal(lj, la);
			assert_memory_equal(j, a, la);
			free(j);
		}
		tfile_free(&f);
		assert_int_equal(bnn_model_load_mem(a, la, &r, &e), 0);
		check_leads(r, mlii_v1, 2);
		save(r, &b, &lb);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		free(b);
		/* a copy keeps them (backends prepare copies) */
		assert_int_equal(bnn__model_clone(r, &c, &e), 0);
		check_leads(c, mlii_v1, 2);
		save(c, &b, &lb);
		assert_memory_equal(a, b, la);
		free(b);
		bnn_model_free(c);
		bnn_model_free(r);
		free(a);
		bnn_model_free(m);
	}
}

/* The section byte by byte: u32 count, then u16 length + bytes per name. */
static void test_layout(void **state)
{
	(void)state;
	struct bnn_model *m = two_lead(1, 1);
	uint8_t *buf;
	size_t len;
	struct tfile f;
	static const uint8_t want[] = { 2, 0, 0, 0, 4, 0, 'M', 'L', 'I', 'I',
					2, 0, 'V', '1' };

	save(m, &buf, &len);
	split(buf, len, &f);
	/* input classes signal leads meta 3 layers */
	assert_int_equal(f.ns, 8);
	assert_int_equal(f.s[2].type, 5);
	assert_int_equal(f.s[3].type, 6);
	assert_int_equal(f.s[4].type, 3);
	assert_int_equal(f.s[3].len, sizeof(want));
	assert_memory_equal(f.s[3].data, want, sizeof(want));
	/* the input section's lead is channel 0's */
	assert_int_equal(rd32(f.s[0].data + 36), 4);
	assert_memory_equal(f.s[0].data + 40, "MLII", 4);
	tfile_free(&f);
	free(buf);
	bnn_model_free(m);
}

/* Files without a leads section: the version stays 1 (or 2 with a signal
 * section) and the bytes are those of a model that never had leads. */
static void test_version_rule(void **state)
{
	(void)state;
	for (int sig = 0; sig < 2; sig++) {
		struct bnn_model *m = tm_new(2, 6, 3), *n = tm_new(2, 6, 3);
		uint8_t *a, *b;
		size_t la, lb;

		if (sig) {
			assert_int_equal(bnn__model_set_signal(m, 1, 0, 0, 0, NULL,
							       NULL, NULL, NULL), 0);
			assert_int_equal(bnn__model_set_signal(n, 1, 0, 0, 0, NULL,
							       NULL, NULL, NULL), 0);
		}
		/* leads set, then removed */
		assert_int_equal(bnn__model_set_leads(n, 2, mlii_v1, NULL), 0);
		assert_int_equal(bnn__model_set_leads(n, 0, NULL, NULL), 0);
		strcpy(m->input.lead, "MLII");	/* what the removal left */
		for (int k = 0; k < 2; k++) {
			struct bnn_model *x = k ? n : m;

			tm_state = 7;	/* the same random weights */
			assert_int_equal(tm_add_simple(x, BNN_LAYER_SIGN), 0);
			assert_int_equal(tm_add_simple(x, BNN_LAYER_FLATTEN), 0);
			assert_int_equal(tm_add_binary(x, BNN_LAYER_BDENSE, 3, 0,
						       0, 0, 1), 0);
		}
		save(m, &a, &la);
		save(n, &b, &lb);
		assert_int_equal(a[4], sig ? 2 : 1);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		/* no leads: channel 0 has the input's lead, the others "" */
		assert_string_equal(bnn_model_lead(n, 0), "MLII");
		assert_string_equal(bnn_model_lead(n, 1), "");
		assert_null(bnn_model_lead(n, 2));
		assert_null(bnn_model_lead(NULL, 0));
		free(a);
		free(b);
		bnn_model_free(m);
		bnn_model_free(n);
	}
}

/* Files of versions 1 and 2 as the earlier writers made them (assembled
 * here by the independent container writer): they load, give their lead
 * for channel 0, and re-serialise to the same bytes. */
static void test_old_files(void **state)
{
	(void)state;
	struct bnn_model *ms[2];
	struct bnn_model *m1 = tm_new(1, 6, 2);

	/* one lead, version 1 and version 2 */
	strcpy(m1->input.lead, "MLII");
	ms[0] = m1;
	ms[1] = tm_new(1, 6, 2);
	strcpy(ms[1]->input.lead, "V5");
	assert_int_equal(bnn__model_set_signal(ms[1], 0, 40.0f, 1, 0, NULL,
					       NULL, NULL, NULL), 0);
	for (int i = 0; i < 2; i++) {
		uint8_t *a, *b, *o;
		size_t la, lb, lo;
		struct tfile f;
		bnn_model *r;
		bnn_error e;

		assert_int_equal(tm_add_simple(ms[i], BNN_LAYER_SIGN), 0);
		assert_int_equal(tm_add_simple(ms[i], BNN_LAYER_FLATTEN), 0);
		assert_int_equal(tm_add_binary(ms[i], BNN_LAYER_BDENSE, 2, 0, 0,
					       0, 1), 0);
		save(ms[i], &a, &la);
		split(a, la, &f);
		o = join(&f, (uint32_t)i + 1, 0, &lo);
		assert_int_equal(lo, la);
		assert_memory_equal(o, a, la);
		assert_int_equal(bnn_model_load_mem(o, lo, &r, &e), 0);
		assert_string_equal(bnn_model_lead(r, 0), i ? "V5" : "MLII");
		assert_null(bnn_model_lead(r, 1));
		save(r, &b, &lb);
		assert_int_equal(lb, lo);
		assert_memory_equal(b, o, lo);
		bnn_model_free(r);
		tfile_free(&f);
		free(a);
		free(b);
		free(o);
		bnn_model_free(ms[i]);
	}
}

/* ---- malformed lists: the leads section edited, resealed --------------- */

/* Replace the section's contents. */
static void put(struct tsec *s, const void *p, uint32_t n)
{
	free(s->data);
	s->data = malloc(n + 64);
	memcpy(s->data, p, n);
	s->len = n;
}

#define PUT(s, lit) put(s, lit, sizeof(lit) - 1)

static void e_empty0(struct tsec *s) { PUT(s, "\2\0\0\0\0\0\2\0V1"); }
static void e_empty1(struct tsec *s) { PUT(s, "\2\0\0\0\4\0MLII\0\0"); }
static void e_three(struct tsec *s) { PUT(s, "\3\0\0\0\4\0MLII\2\0V1\2\0V5"); }
static void e_one(struct tsec *s) { PUT(s, "\1\0\0\0\4\0MLII"); }
static void e_zero(struct tsec *s) { PUT(s, "\0\0\0\0"); }
static void e_long(struct tsec *s)
{
	PUT(s, "\2\0\0\0\4\0MLII\40\0" "0123456789012345678901234567890X");
}
static void e_huge_count(struct tsec *s) { wr32(s->data, 0xffffffffu); }
static void e_nul(struct tsec *s) { PUT(s, "\2\0\0\0\4\0MLII\2\0V\0"); }
static void e_ctrl(struct tsec *s) { PUT(s, "\2\0\0\0\4\0MLII\2\0V\n"); }
static void e_utf8(struct tsec *s) { PUT(s, "\2\0\0\0\4\0MLII\2\0V\xff"); }
static void e_dup(struct tsec *s) { PUT(s, "\2\0\0\0\4\0MLII\4\0mlii"); }
static void e_disagree(struct tsec *s) { PUT(s, "\2\0\0\0\2\0V1\4\0MLII"); }
static void e_cut_len(struct tsec *s) { PUT(s, "\2\0\0\0\4\0MLII\2"); }
static void e_cut_name(struct tsec *s) { PUT(s, "\2\0\0\0\4\0MLII\2\0V"); }
static void e_extra(struct tsec *s) { PUT(s, "\2\0\0\0\4\0MLII\2\0V1\0\0"); }
static void e_short(struct tsec *s) { PUT(s, "\2\0\0"); }
static void e_small(struct tsec *s) { PUT(s, "\2\0\0\0\4\0"); }
static void e_flags(struct tsec *s) { s->flags = 1; }

static void test_malformed(void **state)
{
	(void)state;
	static const struct edit_case cases[] = {
		{ e_empty0, BNN_E_CORRUPT, "leads section: channel 0 is '', the input section's lead 'MLII' (they must agree)" },
		{ e_empty1, BNN_E_RANGE, "leads: channel 1: empty name" },
		{ e_three, BNN_E_CORRUPT, "leads section: 3 names for 2 input channels (one per channel)" },
		{ e_one, BNN_E_CORRUPT, "leads section: 1 name for 2 input channels" },
		{ e_zero, BNN_E_CORRUPT, "leads section: 0 names for 2 input channels" },
		{ e_huge_count, BNN_E_CORRUPT, "leads section: 4294967295 names for 2" },
		{ e_long, BNN_E_RANGE, "leads: channel 1: name of 32 bytes, at most 31" },
		{ e_nul, BNN_E_CORRUPT, "leads section: channel 1: name contains NUL" },
		{ e_ctrl, BNN_E_CORRUPT, "leads: channel 1: name is not printable UTF-8" },
		{ e_utf8, BNN_E_CORRUPT, "leads: channel 1: name is not printable UTF-8" },
		{ e_dup, BNN_E_CORRUPT, "leads: channel 1: lead 'mlii' repeats channel 0's 'MLII'" },
		{ e_disagree, BNN_E_CORRUPT, "channel 0 is 'V1', the input section's lead 'MLII'" },
		{ e_cut_len, BNN_E_TRUNCATED, "leads section: channel 1 cut" },
		{ e_cut_name, BNN_E_TRUNCATED, "leads section: channel 1 (2 bytes) beyond the section" },
		{ e_extra, BNN_E_SIZE, "leads section: 2 extra bytes after the names" },
		{ e_short, BNN_E_TRUNCATED, "leads section: 3 bytes, shorter than its count" },
		{ e_small, BNN_E_TRUNCATED, "leads section: 6 bytes cannot hold 2 names" },
		{ e_flags, BNN_E_CORRUPT, "section 3 (leads): bad flags 0x1" },
	};
	struct bnn_model *m = two_lead(1, 0);

	EDIT_CASES(m, leads_sec(1), 3, cases);
	/* and without a signal section: the leads are section 2 */
	bnn_model_free(m);
	m = two_lead(0, 1);
	edit_case_n(m, leads_sec(0), e_dup, 3, BNN_E_CORRUPT,
		    "repeats channel 0's");
	edit_case_n(m, leads_sec(0), e_flags, 3, BNN_E_CORRUPT,
		    "section 2 (leads): bad flags");
	bnn_model_free(m);
}

/* The section where it does not belong. */
static void test_placement(void **state)
{
	(void)state;
	struct bnn_model *m = two_lead(1, 1);	/* in cl sig leads meta L L L */
	uint8_t *buf, *b2;
	size_t len, len2;
	struct tfile f, g;

	save(m, &buf, &len);
	split(buf, len, &f);
	/* an older version: refused, naming the version it needs */
	b2 = join(&f, 2, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT,
		    "section 3: a leads section in a version 2 file (it needs version 3)");
	free(b2);
	/* after meta */
	g = f;
	g.s[3] = f.s[4];
	g.s[4] = f.s[3];
	b2 = join(&g, 3, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT,
		    "section 4: the leads section must come once, right after classes (and the signal section)");
	free(b2);
	/* before the signal section */
	g = f;
	g.s[2] = f.s[3];
	g.s[3] = f.s[2];
	b2 = join(&g, 3, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT,
		    "section 3: the signal section must come once, right after classes");
	free(b2);
	/* twice */
	g = f;
	memmove(&g.s[4], &g.s[3], sizeof(g.s[0]) * (g.ns - 3));
	g.ns++;
	b2 = join(&g, 3, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT,
		    "section 4: the leads section must come once");
	free(b2);
	/* dropped: version 3 without it */
	g = f;
	memmove(&g.s[3], &g.s[4], sizeof(g.s[0]) * (g.ns - 4));
	g.ns--;
	b2 = join(&g, 3, 0, &len2);
	expect_fail(b2, len2, BNN_E_CORRUPT,
		    "format version 3 without a leads section (such a model is version 1 or 2)");
	free(b2);
	b2 = join(&g, 2, 0, &len2);
	expect_ok(b2, len2);	/* and as version 2 it is fine */
	free(b2);
	tfile_free(&f);
	free(buf);
	bnn_model_free(m);

	/* in a one-channel model */
	{
		struct bnn_model *o = tm_new(1, 6, 3);
		struct tsec ls;
		uint8_t lead_body[] = { 1, 0, 0, 0, 4, 0, 'M', 'L', 'I', 'I' };

		strcpy(o->input.lead, "MLII");
		assert_int_equal(tm_add_simple(o, BNN_LAYER_SIGN), 0);
		assert_int_equal(tm_add_simple(o, BNN_LAYER_FLATTEN), 0);
		assert_int_equal(tm_add_binary(o, BNN_LAYER_BDENSE, 3, 0, 0, 0,
					       1), 0);
		save(o, &buf, &len);
		split(buf, len, &f);
		g = f;
		memmove(&g.s[3], &g.s[2], sizeof(g.s[0]) * (g.ns - 2));
		ls.type = 6;
		ls.flags = 0;
		ls.data = lead_body;
		ls.len = sizeof(lead_body);
		g.s[2] = ls;
		g.ns++;
		b2 = join(&g, 3, 0, &len2);
		expect_fail(b2, len2, BNN_E_CORRUPT,
			    "leads section in a one-channel model (its lead is the input section's)");
		free(b2);
		tfile_free(&f);
		free(buf);
		bnn_model_free(o);
	}
}

static void test_truncation_and_flips(void **state)
{
	(void)state;
	struct bnn_model *m = two_lead(1, 1);
	uint8_t *buf;
	size_t len;

	save(m, &buf, &len);
	for (size_t k = 0; k < len; k++)
		expect_fail(buf, k, BNN_E_TRUNCATED, NULL);
	for (size_t i = 32; i < len * 8; i++) {
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		expect_fail(buf, len, BNN_E_CHECKSUM, "checksum");
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	/* a flip inside the leads section names it */
	{
		uint64_t off = rd32(buf + 64 + 3 * 24 + 8);

		buf[off + 7] ^= 1;
		expect_fail(buf, len, BNN_E_CHECKSUM,
			    "leads section (section 3): checksum mismatch");
		buf[off + 7] ^= 1;
	}
	expect_ok(buf, len);
	free(buf);
	bnn_model_free(m);
}

static void test_alloc_failures(void **state)
{
	(void)state;
	struct bnn_model *m = two_lead(1, 1);
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
			check_leads(r, mlii_v1, 2);
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

static void builder_fails(struct bnn_model *m, uint32_t n,
			  const char *const *names, int code, const char *msg)
{
	bnn_error e;

	bnn_error_clear(&e);
	assert_int_equal(bnn__model_set_leads(m, n, names, &e), code);
	if (!strstr(e.msg, msg))
		print_error("got \"%s\", want \"%s\"\n", e.msg, msg);
	assert_non_null(strstr(e.msg, msg));
}

static void test_builder(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(3, 4, 2), *one = tm_new(1, 4, 2);
	const char *three[3] = { "I", "II", "III" };
	const char *dup[3] = { "I", "II", "ii" };
	const char *nul[3] = { "I", NULL, "III" };
	const char *empty[3] = { "I", "II", "" };
	const char *lng[3] = { "I", "II", "0123456789012345678901234567890X" };
	const char *max[3] = { "I", "II", "0123456789012345678901234567890" };
	const char *ctl[3] = { "I", "II", "V\t1" };

	builder_fails(NULL, 3, three, BNN_E_INVAL, "leads: NULL argument");
	builder_fails(m, 3, NULL, BNN_E_INVAL, "leads: NULL argument");
	builder_fails(m, 2, three, BNN_E_CORRUPT,
		      "leads: 2 names for 3 input channels (one per channel)");
	builder_fails(m, 4, three, BNN_E_CORRUPT, "4 names for 3 input channels");
	builder_fails(m, 3, dup, BNN_E_CORRUPT,
		      "leads: channel 2: lead 'ii' repeats channel 1's 'II'");
	builder_fails(m, 3, nul, BNN_E_INVAL, "leads: channel 1: NULL name");
	builder_fails(m, 3, empty, BNN_E_RANGE, "leads: channel 2: empty name");
	builder_fails(m, 3, lng, BNN_E_RANGE,
		      "leads: channel 2: name of 32 bytes, at most 31");
	builder_fails(m, 3, ctl, BNN_E_CORRUPT,
		      "leads: channel 2: name is not printable UTF-8");
	builder_fails(one, 1, three, BNN_E_CORRUPT,
		      "leads: a one-channel model names its lead in the input description");
	/* a failed call leaves the model as it was */
	assert_string_equal(bnn_model_lead(m, 0), "");
	assert_int_equal(bnn__model_set_leads(m, 3, max, NULL), 0);
	check_leads(m, max, 3);
	assert_int_equal(bnn__model_set_leads(m, 3, three, NULL), 0);
	check_leads(m, three, 3);
	/* not after the layers */
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	builder_fails(m, 3, three, BNN_E_INVAL,
		      "leads: must be set before the layers");
	check_leads(m, three, 3);
	bnn_model_free(m);
	bnn_model_free(one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_version_rule),
		cmocka_unit_test(test_old_files),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_placement),
		cmocka_unit_test(test_truncation_and_flips),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_builder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
