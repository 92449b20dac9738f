// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * test_metrics.c - bnn-run's metrics module (tools/bnn-run/metrics.c):
 * confusion matrix, Se / +P / Sp / FPR / F1, macro F1, percentiles and the
 * "-" / null rendering of undefined values.
 *
 * The module is compiled into this test directly (it has no dependency),
 * so the generic unit-test rule of the Makefile builds it as is.
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

#include "../../tools/bnn-run/metrics.c"

#define EPS 1e-12

/* cmocka 1.1.5 (Debian 12) has no assert_double_equal. */
#define assert_near(a, b, eps) \
	do { \
		double a_ = (a), b_ = (b); \
		if (!(fabs(a_ - b_) <= (eps))) { \
			print_error("%s = %.17g, want %.17g\n", #a, a_, b_); \
			fail(); \
		} \
	} while (0)

static void fill(struct mt_cm *cm, const uint64_t *v)
{
	memcpy(cm->m, v, (size_t)cm->k * cm->k * sizeof(*v));
}

/* Render mt_json_num into a string. */
static const char *json_of(double v)
{
	static char buf[64];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	mt_json_num(f, v);
	fclose(f);
	return buf;
}

static void test_init_bounds(void **state)
{
	struct mt_cm cm;

	(void)state;
	assert_int_equal(mt_cm_init(&cm, 0), -1);
	assert_null(cm.m);
	assert_int_equal(cm.k, 0);
	assert_int_equal(mt_cm_init(&cm, MT_MAX_CLASSES + 1), -1);
	assert_int_equal(mt_cm_init(NULL, 3), -1);
	assert_int_equal(mt_cm_init(&cm, 1), 0);
	assert_int_equal(cm.k, 1);
	mt_cm_free(&cm);
	mt_cm_free(&cm);	/* twice is harmless */
	mt_cm_free(NULL);
}

static void test_empty_matrix(void **state)
{
	struct mt_cm cm;
	struct mt_class c;
	unsigned used = 99;
	char buf[16];

	(void)state;
	assert_int_equal(mt_cm_init(&cm, 5), 0);
	assert_int_equal(mt_cm_total(&cm), 0);
	assert_int_equal(mt_cm_correct(&cm), 0);
	assert_true(isnan(mt_cm_accuracy(&cm)));
	for (unsigned k = 0; k < 5; k++) {
		mt_cm_class(&cm, k, &c);
		assert_int_equal(c.support, 0);
		assert_int_equal(c.predicted, 0);
		assert_true(isnan(c.se));
		assert_true(isnan(c.ppv));
		assert_true(isnan(c.sp));
		assert_true(isnan(c.fpr));
		assert_true(isnan(c.f1));
	}
	assert_true(isnan(mt_cm_macro_f1(&cm, &used)));
	assert_int_equal(used, 0);
	assert_string_equal(mt_fmt(buf, sizeof(buf), mt_cm_accuracy(&cm),
				   100, 2), "-");
	assert_string_equal(json_of(mt_cm_accuracy(&cm)), "null");
	mt_cm_free(&cm);
}

static void test_add_out_of_range(void **state)
{
	struct mt_cm cm;

	(void)state;
	assert_int_equal(mt_cm_init(&cm, 3), 0);
	assert_int_equal(mt_cm_add(&cm, 3, 0), -1);
	assert_int_equal(mt_cm_add(&cm, 0, 3), -1);
	assert_int_equal(mt_cm_add(&cm, 2, 1), 0);
	assert_int_equal(mt_cm_total(&cm), 1);
	assert_int_equal(mt_cm_get(&cm, 2, 1), 1);
	assert_int_equal(mt_cm_get(&cm, 7, 1), 0);
	assert_int_equal(mt_cm_add(NULL, 0, 0), -1);
	mt_cm_free(&cm);
	/* A freed / never-initialised matrix counts nothing. */
	assert_int_equal(mt_cm_add(&cm, 0, 0), -1);
	assert_int_equal(mt_cm_total(&cm), 0);
}

static void test_perfect(void **state)
{
	struct mt_cm cm;
	struct mt_class c;
	unsigned used;

	(void)state;
	assert_int_equal(mt_cm_init(&cm, 3), 0);
	for (unsigned k = 0; k < 3; k++)
		for (unsigned i = 0; i <= k; i++)
			mt_cm_add(&cm, k, k);
	assert_int_equal(mt_cm_total(&cm), 6);
	assert_near(mt_cm_accuracy(&cm), 1.0, EPS);
	for (unsigned k = 0; k < 3; k++) {
		mt_cm_class(&cm, k, &c);
		assert_int_equal(c.support, k + 1);
		assert_near(c.se, 1.0, EPS);
		assert_near(c.ppv, 1.0, EPS);
		assert_near(c.sp, 1.0, EPS);
		assert_near(c.fpr, 0.0, EPS);
		assert_near(c.f1, 1.0, EPS);
	}
	assert_near(mt_cm_macro_f1(&cm, &used), 1.0, EPS);
	assert_int_equal(used, 3);
	mt_cm_free(&cm);
}

/*
 * A worked AAMI-style example (rows true N S V, columns predicted):
 *        N   S   V
 *   N   90   5   5
 *   S    4   6   0
 *   V    2   0  18
 * total 130, correct 114.
 * S: TP 6, FN 4, FP 5, TN 115 -> Se 0.6, +P 6/11, Sp 115/120, FPR 5/120,
 *    F1 12/21.
 * V: TP 18, FN 2, FP 5, TN 105 -> Se 0.9, +P 18/23, F1 36/43.
 * N: TP 90, FN 10, FP 6, TN 24 -> Se 0.9, +P 90/96, F1 180/196.
 */
static void test_worked_example(void **state)
{
	static const uint64_t v[9] = { 90, 5, 5, 4, 6, 0, 2, 0, 18 };
	struct mt_cm cm;
	struct mt_class c;
	unsigned used;

	(void)state;
	assert_int_equal(mt_cm_init(&cm, 3), 0);
	fill(&cm, v);
	assert_int_equal(mt_cm_total(&cm), 130);
	assert_int_equal(mt_cm_correct(&cm), 114);
	assert_near(mt_cm_accuracy(&cm), 114.0 / 130, EPS);

	mt_cm_class(&cm, 1, &c);
	assert_int_equal(c.support, 10);
	assert_int_equal(c.predicted, 11);
	assert_int_equal(c.tp, 6);
	assert_int_equal(c.fn, 4);
	assert_int_equal(c.fp, 5);
	assert_int_equal(c.tn, 115);
	assert_near(c.se, 0.6, EPS);
	assert_near(c.ppv, 6.0 / 11, EPS);
	assert_near(c.sp, 115.0 / 120, EPS);
	assert_near(c.fpr, 5.0 / 120, EPS);
	assert_near(c.f1, 12.0 / 21, EPS);

	mt_cm_class(&cm, 2, &c);
	assert_near(c.se, 0.9, EPS);
	assert_near(c.ppv, 18.0 / 23, EPS);
	assert_near(c.f1, 36.0 / 43, EPS);

	mt_cm_class(&cm, 0, &c);
	assert_int_equal(c.tn, 24);
	assert_near(c.se, 0.9, EPS);
	assert_near(c.ppv, 90.0 / 96, EPS);

	assert_near(mt_cm_macro_f1(&cm, &used),
			    (180.0 / 196 + 12.0 / 21 + 36.0 / 43) / 3, EPS);
	assert_int_equal(used, 3);
	mt_cm_free(&cm);
}

/* A class absent from the truth: Se undefined ("-"), +P is 0 when it was
 * predicted, F1 0 (it counts in the macro F1).  A class neither present
 * nor predicted: everything undefined, left out of the macro F1. */
static void test_empty_classes(void **state)
{
	/*      N  S  V  F
	 * N    8  2  0  0
	 * S    0  0  0  0
	 * V    1  0  3  0
	 * F    0  0  0  0 */
	static const uint64_t v[16] = { 8, 2, 0, 0, 0, 0, 0, 0,
					1, 0, 3, 0, 0, 0, 0, 0 };
	struct mt_cm cm;
	struct mt_class c;
	unsigned used;
	char buf[16];

	(void)state;
	assert_int_equal(mt_cm_init(&cm, 4), 0);
	fill(&cm, v);

	mt_cm_class(&cm, 1, &c);	/* S: predicted twice, never true */
	assert_int_equal(c.support, 0);
	assert_int_equal(c.predicted, 2);
	assert_true(isnan(c.se));
	assert_near(c.ppv, 0.0, EPS);
	assert_near(c.f1, 0.0, EPS);
	assert_near(c.fpr, 2.0 / 14, EPS);
	assert_string_equal(mt_fmt(buf, sizeof(buf), c.se, 100, 2), "-");
	assert_string_equal(mt_fmt(buf, sizeof(buf), c.ppv, 100, 2), "0.00");
	assert_string_equal(json_of(c.se), "null");
	assert_string_equal(json_of(c.ppv), "0");

	mt_cm_class(&cm, 3, &c);	/* F: nowhere */
	assert_true(isnan(c.se));
	assert_true(isnan(c.ppv));
	assert_true(isnan(c.f1));
	assert_near(c.sp, 1.0, EPS);
	assert_near(c.fpr, 0.0, EPS);

	mt_cm_class(&cm, 2, &c);	/* V: never wrongly predicted */
	assert_near(c.se, 0.75, EPS);
	assert_near(c.ppv, 1.0, EPS);

	/* N F1 = 16/19, S 0, V 6/7; F left out. */
	assert_near(mt_cm_macro_f1(&cm, &used),
			    (16.0 / 19 + 0 + 6.0 / 7) / 3, EPS);
	assert_int_equal(used, 3);
	mt_cm_free(&cm);
}

/* Nothing ever predicted as class 1 while it is present: +P undefined,
 * Se 0, F1 0. */
static void test_never_predicted(void **state)
{
	static const uint64_t v[4] = { 5, 0, 3, 0 };
	struct mt_cm cm;
	struct mt_class c;
	char buf[16];

	(void)state;
	assert_int_equal(mt_cm_init(&cm, 2), 0);
	fill(&cm, v);
	mt_cm_class(&cm, 1, &c);
	assert_int_equal(c.support, 3);
	assert_int_equal(c.predicted, 0);
	assert_near(c.se, 0.0, EPS);
	assert_true(isnan(c.ppv));
	assert_near(c.f1, 0.0, EPS);
	assert_true(isnan(c.fpr) == 0);
	assert_string_equal(mt_fmt(buf, sizeof(buf), c.ppv, 100, 1), "-");
	/* Every item in one class: Sp / FPR of that class undefined. */
	mt_cm_class(&cm, 0, &c);
	assert_int_equal(c.tn, 0);
	assert_int_equal(c.fp, 3);
	assert_near(c.sp, 0.0, EPS);
	mt_cm_free(&cm);
	assert_int_equal(mt_cm_init(&cm, 2), 0);
	mt_cm_add(&cm, 0, 0);
	mt_cm_class(&cm, 0, &c);
	assert_true(isnan(c.sp));
	assert_true(isnan(c.fpr));
	mt_cm_class(&cm, 5, &c);	/* out of range: zeroed, NaN */
	assert_int_equal(c.support, 0);
	assert_true(isnan(c.se));
	mt_cm_free(&cm);
}

static void test_merge(void **state)
{
	struct mt_cm a, b, c;

	(void)state;
	assert_int_equal(mt_cm_init(&a, 2), 0);
	assert_int_equal(mt_cm_init(&b, 2), 0);
	assert_int_equal(mt_cm_init(&c, 3), 0);
	mt_cm_add(&a, 0, 1);
	mt_cm_add(&b, 0, 1);
	mt_cm_add(&b, 1, 1);
	assert_int_equal(mt_cm_merge(&a, &b), 0);
	assert_int_equal(mt_cm_get(&a, 0, 1), 2);
	assert_int_equal(mt_cm_get(&a, 1, 1), 1);
	assert_int_equal(mt_cm_merge(&a, &c), -1);
	assert_int_equal(mt_cm_total(&a), 3);
	mt_cm_free(&a);
	mt_cm_free(&b);
	mt_cm_free(&c);
}

static void test_percentiles(void **state)
{
	double v[] = { 4, 1, 3, 2 };
	double one = 7.5;
	double *big;

	(void)state;
	assert_true(isnan(mt_percentile(NULL, 0, 50)));
	assert_true(isnan(mt_percentile(v, 0, 50)));
	assert_true(isnan(mt_mean(v, 0)));
	mt_sort(v, 4);
	assert_near(v[0], 1, EPS);
	assert_near(v[3], 4, EPS);
	assert_near(mt_percentile(v, 4, 50), 2.5, EPS);
	assert_near(mt_percentile(v, 4, 0), 1, EPS);
	assert_near(mt_percentile(v, 4, 100), 4, EPS);
	/* rank 0.9 * 3 = 2.7 -> 3 + 0.7 * (4 - 3) */
	assert_near(mt_percentile(v, 4, 90), 3.7, EPS);
	assert_true(isnan(mt_percentile(v, 4, -1)));
	assert_true(isnan(mt_percentile(v, 4, 100.5)));
	assert_true(isnan(mt_percentile(v, 4, NAN)));
	assert_near(mt_mean(v, 4), 2.5, EPS);
	/* A single value is every percentile. */
	assert_near(mt_percentile(&one, 1, 0), 7.5, EPS);
	assert_near(mt_percentile(&one, 1, 50), 7.5, EPS);
	assert_near(mt_percentile(&one, 1, 99), 7.5, EPS);
	/* 1..1000 reversed: p99 = 1 + 0.99 * 999 = 990.01 */
	big = malloc(1000 * sizeof(*big));
	assert_non_null(big);
	for (int i = 0; i < 1000; i++)
		big[i] = 1000 - i;
	mt_sort(big, 1000);
	assert_near(mt_percentile(big, 1000, 99), 990.01, 1e-9);
	assert_near(mt_percentile(big, 1000, 50), 500.5, 1e-9);
	free(big);
}

static void test_format(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(mt_fmt(buf, sizeof(buf), 0.123456, 100, 2), "12.35");
	assert_string_equal(mt_fmt(buf, sizeof(buf), 0.5, 1, 0), "0");
	assert_string_equal(mt_fmt(buf, sizeof(buf), NAN, 100, 2), "-");
	assert_string_equal(mt_fmt(buf, sizeof(buf), INFINITY, 1, 2), "-");
	assert_string_equal(mt_fmt(buf, sizeof(buf), 1e308, 1e10, 2), "-");
	assert_string_equal(mt_fmt(buf, sizeof(buf), 2.0, 1, -3), "2");
	assert_string_equal(mt_fmt(NULL, 0, 1.0, 1, 0), "-");
	assert_string_equal(json_of(NAN), "null");
	assert_string_equal(json_of(-INFINITY), "null");
	assert_string_equal(json_of(0.25), "0.25");
	assert_string_equal(json_of(1234567.0), "1234567");
	assert_near(mt_ratio(1, 4), 0.25, EPS);
	assert_true(isnan(mt_ratio(0, 0)));
	assert_true(isnan(mt_ratio(3, 0)));
}

/* Counts beyond 32 bits stay exact. */
static void test_large_counts(void **state)
{
	struct mt_cm cm;
	struct mt_class c;

	(void)state;
	assert_int_equal(mt_cm_init(&cm, 2), 0);
	cm.m[0] = (uint64_t)1 << 40;
	cm.m[3] = 3;
	mt_cm_class(&cm, 1, &c);
	assert_int_equal(c.tn, (uint64_t)1 << 40);
	assert_int_equal(mt_cm_total(&cm), ((uint64_t)1 << 40) + 3);
	assert_near(c.se, 1.0, EPS);
	mt_cm_free(&cm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_bounds),
		cmocka_unit_test(test_empty_matrix),
		cmocka_unit_test(test_add_out_of_range),
		cmocka_unit_test(test_perfect),
		cmocka_unit_test(test_worked_example),
		cmocka_unit_test(test_empty_classes),
		cmocka_unit_test(test_never_predicted),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_large_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
