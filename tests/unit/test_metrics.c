// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * test_metrics.c - bnn-run's metrics module (tools/bnn-run/metrics.c):
 * confusion matrix, Se / +P / Sp / FPR / F1, macro F1, percentiles and the
 * "-" / null rendering of undefined values; and the AAMI EC57 statistics
 * (tools/bnn-run/ec57.c: the F-as-V rule, per-record averages, kappa,
 * j-index, S Se without the record with the most S beats).
 *
 * The modules are compiled into this test directly (they have no
 * dependency), so the generic unit-test rule of the Makefile builds it.
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
#include "../../tools/bnn-run/ec57.c"

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

/* ---- EC57 (ec57.c) ---- */

static const int map5[EC57_NCLASSES] = { 0, 1, 2, 3, 4 };

/*
 * Rows true N S V F Q, columns predicted:
 *        N  S  V  F  Q
 *   N   50  2  3  0  0
 *   S    4  6  0  0  0
 *   V    1  0 18  1  0
 *   F    2  0  5  3  0
 *   Q    0  0  0  0  0
 * total 95.  V: TP 18, FN 2, column 26, raw FP 8 of which 5 are F beats:
 * EC57 FP 3, TN 95 - 18 - 2 - 8 = 67 -> +P 18/21, FPR 3/70, Sp 67/70
 * (without the rule +P 18/26, FPR 8/75).  S: TP 6, FN 4, FP 2, TN 83.
 * N: TP 50, FN 5, FP 7, TN 33.  F: TP 3, FN 7, FP 1, TN 84.
 * kappa: po = 77/95, pe = (55*57 + 10*8 + 20*26 + 10*4) / 95^2 =
 * 3775/9025 -> (7315 - 3775) / (9025 - 3775) = 3540/5250.
 */
static const uint64_t ec5[25] = { 50, 2, 3, 0, 0, 4, 6, 0, 0, 0,
				  1, 0, 18, 1, 0, 2, 0, 5, 3, 0,
				  0, 0, 0, 0, 0 };

static void test_ec57_f_as_v(void **state)
{
	struct mt_cm cm;
	struct ec57 e;
	const struct ec57_class *v = &e.c[EC57_V], *x;
	double kappa = 3540.0 / 5250;

	(void)state;
	assert_int_equal(mt_cm_init(&cm, 5), 0);
	fill(&cm, ec5);
	assert_int_equal(ec57_compute(&cm, NULL, 0, map5, &e), 0);
	assert_true(e.f_as_v_rule);
	assert_int_equal(e.n, 95);
	assert_int_equal(v->tp, 18);
	assert_int_equal(v->fn, 2);
	assert_int_equal(v->fp, 3);
	assert_int_equal(v->tn, 67);
	assert_int_equal(v->predicted, 21);
	assert_near(v->se, 0.9, EPS);
	assert_near(v->ppv, 18.0 / 21, EPS);
	assert_near(v->fpr, 3.0 / 70, EPS);
	assert_near(v->sp, 67.0 / 70, EPS);
	x = &e.c[EC57_S];
	assert_int_equal(x->tn, 83);
	assert_near(x->se, 0.6, EPS);
	assert_near(x->ppv, 0.75, EPS);
	assert_near(x->fpr, 2.0 / 85, EPS);
	x = &e.c[EC57_N];
	assert_int_equal(x->fp, 7);
	assert_near(x->fpr, 7.0 / 40, EPS);
	x = &e.c[EC57_F];	/* the rule leaves F's own counts alone */
	assert_int_equal(x->fn, 7);
	assert_near(x->ppv, 0.75, EPS);
	assert_near(x->fpr, 1.0 / 85, EPS);
	x = &e.c[EC57_Q];	/* a class with no beat: Se, +P undefined */
	assert_true(x->present);
	assert_true(isnan(x->se));
	assert_true(isnan(x->ppv));
	assert_near(x->fpr, 0.0, EPS);
	assert_near(e.kappa, kappa, EPS);
	assert_near(ec57_kappa(&cm), kappa, EPS);
	assert_near(e.jk, kappa / 2 + (0.6 + 0.9 + 0.75 + 18.0 / 21) / 8, EPS);
	/* no per-record matrices: no averages, no record left out */
	assert_int_equal(v->rec_se_n, 0);
	assert_true(isnan(v->rec_se));
	assert_int_equal(e.s_top, -1);
	assert_true(isnan(e.s_se_without));
	/* F not a class of its own: no rule, every V prediction counts */
	{
		int m4[EC57_NCLASSES] = { 0, 1, 2, -1, 4 };

		assert_int_equal(ec57_compute(&cm, NULL, 0, m4, &e), 0);
		assert_false(e.f_as_v_rule);
		assert_false(e.c[EC57_F].present);
		assert_true(isnan(e.c[EC57_F].se));
		assert_int_equal(v->fp, 8);
		assert_near(v->ppv, 18.0 / 26, EPS);
		assert_near(v->fpr, 8.0 / 75, EPS);
	}
	mt_cm_free(&cm);
}

static void test_ec57_kappa(void **state)
{
	struct mt_cm cm;

	(void)state;
	assert_int_equal(mt_cm_init(&cm, 3), 0);
	assert_true(isnan(ec57_kappa(&cm)));	/* empty */
	cm.m[0] = 7;
	assert_true(isnan(ec57_kappa(&cm)));	/* one class, pe = 1 */
	cm.m[4] = 3;
	cm.m[8] = 1;
	assert_near(ec57_kappa(&cm), 1.0, EPS);	/* perfect */
	mt_cm_free(&cm);
	/* chance: predictions independent of the truth (rows 50 / 50,
	 * predicted 80 / 20 in each): po = pe = 0.5 -> 0 */
	assert_int_equal(mt_cm_init(&cm, 2), 0);
	fill(&cm, (const uint64_t[]){ 40, 10, 40, 10 });
	assert_near(ec57_kappa(&cm), 0.0, EPS);
	/* always wrong on two balanced classes: po 0, pe 0.5 -> -1 */
	fill(&cm, (const uint64_t[]){ 0, 5, 5, 0 });
	assert_near(ec57_kappa(&cm), -1.0, EPS);
	mt_cm_free(&cm);
}

/*
 * Three records (rows true, columns predicted, N S V F Q):
 *   r0: N 10 0 0 0 0 / S 1 1 0 0 0 / V 0 0 2 0 0 / F 0 0 1 0 0
 *   r1: N 20 2 1 0 0 / S 6 4 0 0 0
 *   r2: N 5
 * S Se per record 1/2, 4/10, - -> mean 0.45 over 2; S +P 1, 4/6, -
 * -> 5/6 over 2; S FPR 0/13, 2/23, 0/5 -> (2/23)/3 over 3.
 * V: r0 TP 2, FP 0 (the F beat is not one) -> +P 1; r1 no V beat, one N
 * predicted V -> +P 0; r2 nothing -> Se mean 1 over 1, +P 0.5 over 2.
 * Gross V: TP 2, FP 1 -> +P 2/3.  S: 5 of 12; without r1 (10 S beats):
 * 1 of 2.
 */
static void test_ec57_records(void **state)
{
	static const uint64_t r0[25] = { 10, 0, 0, 0, 0, 1, 1, 0, 0, 0,
					 0, 0, 2, 0, 0, 0, 0, 1, 0, 0 };
	static const uint64_t r1[25] = { 20, 2, 1, 0, 0, 6, 4, 0, 0, 0 };
	static const uint64_t r2[25] = { 5 };
	const uint64_t *rv[3] = { r0, r1, r2 };
	struct mt_cm all, rec[3];
	struct ec57 e;
	const struct ec57_class *s = &e.c[EC57_S], *v = &e.c[EC57_V];

	(void)state;
	assert_int_equal(mt_cm_init(&all, 5), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(mt_cm_init(&rec[i], 5), 0);
		fill(&rec[i], rv[i]);
		assert_int_equal(mt_cm_merge(&all, &rec[i]), 0);
	}
	assert_int_equal(ec57_compute(&all, rec, 3, map5, &e), 0);
	assert_near(s->se, 5.0 / 12, EPS);
	assert_near(s->rec_se, 0.45, EPS);
	assert_int_equal(s->rec_se_n, 2);
	assert_near(s->rec_ppv, 5.0 / 6, EPS);
	assert_int_equal(s->rec_ppv_n, 2);
	assert_near(s->rec_fpr, 2.0 / 23 / 3, EPS);
	assert_int_equal(s->rec_fpr_n, 3);
	assert_near(v->ppv, 2.0 / 3, EPS);
	assert_near(v->rec_se, 1.0, EPS);
	assert_int_equal(v->rec_se_n, 1);
	assert_near(v->rec_ppv, 0.5, EPS);
	assert_int_equal(v->rec_ppv_n, 2);
	assert_int_equal(e.s_top, 1);
	assert_int_equal(e.s_top_beats, 10);
	assert_near(e.s_se_without, 0.5, EPS);
	/* a tie names the first record; the rest may hold no S beat */
	fill(&rec[0], r1);
	assert_int_equal(ec57_compute(&all, rec, 2, map5, &e), 0);
	assert_int_equal(e.s_top, 0);
	/* no S beat anywhere: nobody to leave out */
	fill(&rec[0], r2);
	fill(&rec[1], r2);
	fill(&all, r2);
	assert_int_equal(ec57_compute(&all, rec, 2, map5, &e), 0);
	assert_int_equal(e.s_top, -1);
	assert_true(isnan(e.s_se_without));
	assert_true(isnan(e.kappa));
	assert_true(isnan(e.jk));
	assert_int_equal(e.c[EC57_S].rec_se_n, 0);
	assert_true(isnan(e.c[EC57_S].rec_se));
	for (int i = 0; i < 3; i++)
		mt_cm_free(&rec[i]);
	mt_cm_free(&all);
}

/* Classes the model lacks, an empty run, bad arguments. */
static void test_ec57_empty(void **state)
{
	static const int sonly[EC57_NCLASSES] = { 0, 1, -1, -1, -1 };
	static const int bad[EC57_NCLASSES] = { 0, 1, 2, 3, 5 };
	struct mt_cm cm, other;
	struct ec57 e;
	char buf[16];

	(void)state;
	assert_int_equal(mt_cm_init(&cm, 5), 0);
	assert_int_equal(mt_cm_init(&other, 3), 0);
	assert_int_equal(ec57_compute(&cm, NULL, 0, map5, &e), 0);
	assert_int_equal(e.n, 0);
	for (int k = 0; k < EC57_NCLASSES; k++) {
		assert_true(e.c[k].present);
		assert_true(isnan(e.c[k].se));
		assert_true(isnan(e.c[k].ppv));
		assert_true(isnan(e.c[k].fpr));
	}
	assert_true(isnan(e.kappa));
	assert_string_equal(mt_fmt(buf, sizeof(buf), e.jk, 1, 3), "-");
	assert_string_equal(json_of(e.jk), "null");
	fill(&cm, ec5);
	assert_int_equal(ec57_compute(&cm, NULL, 0, sonly, &e), 0);
	assert_false(e.c[EC57_V].present);
	assert_false(e.f_as_v_rule);
	assert_near(e.c[EC57_S].se, 0.6, EPS);
	assert_true(isnan(e.jk));	/* needs V */
	assert_false(isnan(e.kappa));
	assert_int_equal(ec57_compute(&cm, NULL, 0, bad, &e), -1);
	assert_int_equal(ec57_compute(&cm, &other, 1, map5, &e), -1);
	assert_int_equal(ec57_compute(&cm, NULL, 1, map5, &e), -1);
	assert_int_equal(ec57_compute(NULL, NULL, 0, map5, &e), -1);
	assert_string_equal(ec57_class_name(EC57_F), "F");
	assert_string_equal(ec57_class_name(9), "?");
	mt_cm_free(&cm);
	mt_cm_free(&other);
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
		cmocka_unit_test(test_ec57_f_as_v),
		cmocka_unit_test(test_ec57_kappa),
		cmocka_unit_test(test_ec57_records),
		cmocka_unit_test(test_ec57_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
