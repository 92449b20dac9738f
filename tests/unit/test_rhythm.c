// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * test_rhythm.c - RR-interval features (bnn_rhythm_features): hand-computed
 * values of every feature, the first/last-beat, i <= 1, 10-interval and
 * 300 s rules, the denominator rule, errors, and a brute-force reference
 * on a long random rhythm.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BNN_DATA_INTERNAL	/* bnn__rr_ratio */
#include "bnn_data.h"

enum { F = BNN_FEAT_COUNT };

static void expect_row(const float *o, size_t i, const double want[F])
{
	for (int k = 0; k < F; k++) {
		double got = o[i * F + (size_t)k];
		int ok = isinf(want[k]) ? got == want[k]
			 : fabs(got - want[k]) <= 1e-6 * fmax(1, fabs(want[k]));
		if (!ok)
			print_error("beat %zu %s: got %.9g, want %.9g\n", i,
				    bnn_feature_name(k), got, want[k]);
		assert_true(ok);
	}
}

static void features(const int64_t *t, size_t n, double fs, float *o)
{
	bnn_error e;
	int rc = bnn_rhythm_features(t, n, fs, o, &e);
	if (rc)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
}

static void test_names(void **state)
{
	(void)state;
	static const char *const want[F] = {
		"pre_rr", "post_rr", "local_rr", "long_rr", "pre_local",
		"post_pre", "pre_long", "local_long", "irreg",
	};
	for (int k = 0; k < F; k++)
		assert_string_equal(bnn_feature_name(k), want[k]);
	assert_string_equal(bnn_feature_name(-1), "?");
	assert_string_equal(bnn_feature_name(F), "?");
	assert_int_equal(BNN_FEAT_IRREG, 8);
	assert_int_equal(BNN_FEAT_COUNT, 9);
}

/* fs 100, RR = 1.0 0.5 1.0 0.8 s: every feature by hand.
 * Columns: pre post local long pre/local post/pre pre/long local/long irreg */
static void test_small(void **state)
{
	(void)state;
	static const int64_t t[] = { 0, 100, 150, 250, 330 };
	static const double want[5][F] = {
		/* beat 0: PRE = RR_1, LOCAL = PRE, LONG = LOCAL, no diffs */
		{ 1.0, 1.0, 1.0, 1.0, 1, 1, 1, 1, 0 },
		/* beat 1: i <= 1 still: LOCAL = PRE, LONG none -> LOCAL */
		{ 1.0, 0.5, 1.0, 1.0, 1, 0.5, 1, 1, 0 },
		/* beat 2: LOCAL = LONG = RR_1; IRREG |0.5-1| / 1 */
		{ 0.5, 1.0, 1.0, 1.0, 0.5, 2.0, 0.5, 1, 0.5 },
		/* beat 3: LOCAL = (1+0.5)/2; IRREG (0.5+0.5)/2 / 0.75 */
		{ 1.0, 0.8, 0.75, 0.75, 1.0 / 0.75, 0.8, 1.0 / 0.75, 1,
		  0.5 / 0.75 },
		/* last beat: POST = PRE; LOCAL = 2.5/3; IRREG 1.2/3 / (2.5/3) */
		{ 0.8, 0.8, 2.5 / 3, 2.5 / 3, 0.96, 1, 0.96, 1, 0.48 },
	};
	float o[5 * F];
	features(t, 5, 100, o);
	for (size_t i = 0; i < 5; i++)
		expect_row(o, i, want[i]);
}

/* Two beats: the least input; everything is RR_1. */
static void test_two_beats(void **state)
{
	(void)state;
	static const int64_t t[] = { 10, 70 };
	static const double want[F] = { 1, 1, 1, 1, 1, 1, 1, 1, 0 };
	float o[2 * F];
	features(t, 2, 60, o);
	expect_row(o, 0, want);
	expect_row(o, 1, want);
}

/* The 10-interval limits of LOCAL and IRREG: RR_1 = 2 s, RR_2..RR_11 =
 * 1 s, RR_12 = 0.5 s. */
static void test_ten_intervals(void **state)
{
	(void)state;
	int64_t t[13];
	t[0] = 0;
	t[1] = 4;			/* fs 2: RR_1 = 2 s */
	for (int i = 2; i <= 11; i++)
		t[i] = t[i - 1] + 2;	/* 1 s */
	t[12] = t[11] + 1;		/* 0.5 s */
	float o[13 * F];
	features(t, 13, 2, o);
	/* Beat 11: LOCAL = mean(RR_1..RR_10) = 11/10; LONG = mean(RR_1..
	 * RR_10) too; IRREG k = 2..11: |1-2| / 10 / 1.1. */
	static const double b11[F] = { 1, 0.5, 1.1, 1.1, 1 / 1.1, 0.5, 1 / 1.1,
				       1, 0.1 / 1.1 };
	expect_row(o, 11, b11);
	/* Beat 12: LOCAL = mean(RR_2..RR_11) = 1 (RR_1 no longer in);
	 * LONG = mean(RR_1..RR_11) = 12/11; IRREG k = 3..12: 0.5 / 10. */
	static const double b12[F] = { 0.5, 0.5, 1, 12.0 / 11, 0.5, 1,
				       0.5 * 11 / 12, 11.0 / 12, 0.05 };
	expect_row(o, 12, b12);
}

/* LONG's 300 s window: t_k must be > t_i - 300 fs (equal is out). */
static void test_long_window(void **state)
{
	(void)state;
	for (int sc = 1; sc <= 2; sc++) {
		int64_t t[] = { 0, 100, 300, 400, 700 };
		for (int i = 0; i < 5; i++)
			t[i] *= sc;
		float o[5 * F];
		features(t, 5, sc, o);	/* RR = 100 200 100 300 s */
		/* Beat 2 (300 s): t_1 = 100 > 0: LONG = RR_1. */
		static const double b2[F] = { 200, 100, 100, 100, 2, 0.5, 2, 1,
					      1 };
		expect_row(o, 2, b2);
		/* Beat 3 (400 s): t_1 = 100 = 400 - 300, out: LONG = RR_2. */
		static const double b3[F] = { 100, 300, 150, 200, 100.0 / 150,
					      3, 0.5, 0.75, 100.0 / 150 };
		expect_row(o, 3, b3);
		/* Beat 4 (700 s): t_3 = 400 = 700 - 300, out: none left, LONG =
		 * LOCAL = 400/3. IRREG (100+100+200)/3 / (400/3) = 1. */
		static const double b4[F] = { 300, 300, 400.0 / 3, 400.0 / 3,
					      2.25, 1, 2.25, 1, 1 };
		expect_row(o, 4, b4);
	}
	/* One sample inside: t_3 = 401 > 700 - 300 counts. */
	static const int64_t u[] = { 0, 100, 300, 401, 700 };
	float o[5 * F];
	features(u, 5, 1, o);
	assert_true(fabsf(o[4 * F + BNN_FEAT_LONG_RR] - 101.0f) < 1e-4f);
}

static void test_ratio_rule(void **state)
{
	(void)state;
	assert_true(bnn__rr_ratio(3, 2) == 1.5);
	assert_true(bnn__rr_ratio(3, 0) == 1.0);
	assert_true(bnn__rr_ratio(3, -0.0) == 1.0);
	assert_true(bnn__rr_ratio(3, -2) == 1.0);
	assert_true(bnn__rr_ratio(3, INFINITY) == 1.0);
	assert_true(bnn__rr_ratio(3, NAN) == 1.0);
	assert_true(bnn__rr_ratio(0, 4) == 0.0);

	/* Infinite intervals (a tiny rate): every ratio falls back to 1,
	 * also IRREG's NaN numerator (inf - inf) over an infinite LOCAL. */
	static const int64_t t[] = { 0, 10000000000LL, 20000000000LL };
	float o[3 * F];
	features(t, 3, 1e-300, o);
	for (size_t i = 0; i < 3; i++) {
		for (int k = 0; k < 4; k++)
			assert_true(isinf(o[i * F + (size_t)k]));
		for (int k = 4; k < 8; k++)
			assert_true(o[i * F + (size_t)k] == 1.0f);
		assert_true(o[i * F + BNN_FEAT_IRREG] == (i == 2 ? 1.0f : 0.0f));
	}
}

static void expect_fail(const int64_t *t, size_t n, double fs, float *o,
			int code, const char *needle)
{
	bnn_error e;
	float sentinel[2 * F];
	for (int k = 0; k < 2 * F; k++)
		sentinel[k] = 42.0f;
	if (o)
		memcpy(o, sentinel, sizeof sentinel);
	int rc = bnn_rhythm_features(t, n, fs, o, &e);
	if (rc != code || (needle && !strstr(e.msg, needle)))
		print_error("got %d '%s', want %d '%s'\n", rc, e.msg, code,
			    needle ? needle : "");
	assert_int_equal(rc, code);
	assert_int_equal(e.code, code);
	if (needle)
		assert_non_null(strstr(e.msg, needle));
	if (o)
		assert_memory_equal(o, sentinel, sizeof sentinel);
	assert_int_equal(bnn_rhythm_features(t, n, fs, o, NULL), code);
}

static void test_errors(void **state)
{
	(void)state;
	float o[4 * F];
	static const int64_t one[] = { 5 };
	expect_fail(one, 1, 360, o, BNN_E_RANGE,
		    "one beat: RR features need at least 2 beats");
	expect_fail(one, 0, 360, o, BNN_E_RANGE, "no beats");
	static const int64_t eq[] = { 1, 5, 5, 9 };
	expect_fail(eq, 4, 360, o, BNN_E_INVAL, "beat 2 at sample 5");
	static const int64_t dec[] = { 10, 5 };
	expect_fail(dec, 2, 360, o, BNN_E_INVAL, "beat 1");
	static const int64_t ok[] = { 1, 5 };
	expect_fail(ok, 2, 0, o, BNN_E_INVAL, "rate");
	expect_fail(ok, 2, -360, o, BNN_E_INVAL, "rate");
	expect_fail(ok, 2, NAN, o, BNN_E_INVAL, "rate");
	expect_fail(ok, 2, INFINITY, o, BNN_E_INVAL, "rate");
	expect_fail(NULL, 2, 360, o, BNN_E_INVAL, "NULL");
	expect_fail(ok, 2, 360, NULL, BNN_E_INVAL, "NULL");
	/* Extreme times do not overflow. */
	static const int64_t ext[] = { INT64_MIN, 0, INT64_MAX };
	features(ext, 3, 1, o);
	assert_true(o[BNN_FEAT_PRE_RR] > 9e18f);
}

/* The definitions written as plain loops (O(n * window)). */
static void reference(const int64_t *t, size_t n, double fs, double *o)
{
	double *r = calloc(n, sizeof *r);
	assert_non_null(r);
	for (size_t i = 1; i < n; i++)
		r[i] = (double)(t[i] - t[i - 1]) / fs;
	for (size_t i = 0; i < n; i++) {
		double pre = r[i ? i : 1];
		double post = i + 1 < n ? r[i + 1] : pre;
		double local = pre, s = 0;
		int c = 0;
		for (size_t k = i >= 11 ? i - 10 : 1; i >= 2 && k <= i - 1; k++)
			s += r[k], c++;
		if (c)
			local = s / c;
		double lng = local;
		s = 0, c = 0;
		for (size_t k = 1; k < i; k++)
			if ((double)t[k] > (double)t[i] - 300 * fs)
				s += r[k], c++;
		if (c)
			lng = s / c;
		double ir = 0;
		s = 0, c = 0;
		for (size_t k = i >= 11 ? i - 9 : 2; i >= 2 && k <= i; k++)
			s += fabs(r[k] - r[k - 1]), c++;
		if (c)
			ir = s / c / local;
		double *w = o + i * F;
		w[0] = pre, w[1] = post, w[2] = local, w[3] = lng;
		w[4] = pre / local, w[5] = post / pre, w[6] = pre / lng;
		w[7] = local / lng, w[8] = ir;
	}
	free(r);
}

static void test_random_reference(void **state)
{
	(void)state;
	enum { N = 3000 };
	int64_t *t = malloc(N * sizeof *t);
	float *o = malloc(N * F * sizeof *o);
	double *want = malloc(N * F * sizeof *want);
	assert_non_null(t);
	assert_non_null(o);
	assert_non_null(want);
	srand(11);
	t[0] = 17;
	for (size_t i = 1; i < N; i++)	/* RR 0.3 .. 2 s at 360 Hz */
		t[i] = t[i - 1] + 108 + rand() % 613;
	features(t, N, 360, o);
	reference(t, N, 360, want);
	for (size_t i = 0; i < N; i++)
		for (int k = 0; k < F; k++) {
			double g = o[i * F + (size_t)k], w = want[i * F + (size_t)k];
			if (fabs(g - w) > 2e-6 * fmax(1, fabs(w))) {
				print_error("beat %zu %s: %.9g vs %.9g\n", i,
					    bnn_feature_name(k), g, w);
				fail();
			}
		}
	free(t);
	free(o);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_two_beats),
		cmocka_unit_test(test_ten_intervals),
		cmocka_unit_test(test_long_window),
		cmocka_unit_test(test_ratio_rule),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_random_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
