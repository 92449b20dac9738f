/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * metrics.h - classification and timing metrics of bnn-run, reusable on
 * their own (plain C, libm only; no libbnn dependency).
 *
 * Confusion matrix: k x k counts, rows = true class, columns = predicted
 * class.  Per class c (one-vs-rest):
 *   TP = m[c][c], FN = row sum - TP, FP = column sum - TP,
 *   TN = total - TP - FN - FP
 *   Se  (sensitivity, recall)            = TP / (TP + FN)
 *   +P  (positive predictivity, precision) = TP / (TP + FP)
 *   Sp  (specificity)                    = TN / (TN + FP)
 *   FPR (false positive rate)            = FP / (TN + FP)
 *   F1                                   = 2 TP / (2 TP + FP + FN)
 * (the AAMI EC57 / de Chazal 2004 definitions for SVEB and VEB).
 *
 * Undefined values (a zero denominator: no item of the class, nothing
 * predicted as the class, an empty matrix) are NaN; mt_fmt() prints them
 * as "-" and mt_json_num() as null, never as 0.
 *
 * Macro F1 is the mean of F1 over the classes whose F1 is defined
 * (2 TP + FP + FN > 0), i.e. classes that occur in the truth or in the
 * predictions; a class that is neither present nor predicted is left out
 * instead of counting as 0 or 1.
 */
#ifndef BNN_RUN_METRICS_H
#define BNN_RUN_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MT_MAX_CLASSES 4096u

struct mt_cm {
	unsigned k;		/* classes */
	uint64_t *m;		/* k * k, row-major (m[t * k + p]) */
};

struct mt_class {
	uint64_t support;	/* items of the class (row sum) */
	uint64_t predicted;	/* items predicted as the class (column sum) */
	uint64_t tp, fn, fp, tn;
	double se, ppv, sp, fpr, f1;	/* NaN when undefined */
};

/* k in 1..MT_MAX_CLASSES; 0 on success, -1 (bad k / out of memory). */
int mt_cm_init(struct mt_cm *cm, unsigned k);
void mt_cm_free(struct mt_cm *cm);
/* Count one item; -1 (nothing counted) when a class is out of range. */
int mt_cm_add(struct mt_cm *cm, unsigned truth, unsigned pred);
/* Add b into a (same k); -1 on mismatch. */
int mt_cm_merge(struct mt_cm *a, const struct mt_cm *b);
uint64_t mt_cm_get(const struct mt_cm *cm, unsigned truth, unsigned pred);
uint64_t mt_cm_total(const struct mt_cm *cm);
uint64_t mt_cm_correct(const struct mt_cm *cm);
/* correct / total, NaN when empty. */
double mt_cm_accuracy(const struct mt_cm *cm);
/* One-vs-rest counts and rates of class c (zeroed, NaN rates if out of
 * range). */
void mt_cm_class(const struct mt_cm *cm, unsigned c, struct mt_class *out);
/* Macro F1 (see top); *nused (may be NULL) gets the number of classes
 * averaged; NaN when none. */
double mt_cm_macro_f1(const struct mt_cm *cm, unsigned *nused);

/* num / den, NaN when den == 0. */
double mt_ratio(uint64_t num, uint64_t den);

/* Sort v ascending (NaNs are not expected). */
void mt_sort(double *v, size_t n);
/* Percentile p (0..100) of ascending `sorted` with linear interpolation
 * between closest ranks (numpy's default: rank = p/100 * (n-1)); NaN when
 * n == 0 or p outside 0..100. */
double mt_percentile(const double *sorted, size_t n, double p);
/* Mean, NaN when n == 0. */
double mt_mean(const double *v, size_t n);

/* printf-style formatting of `v * scale` with `decimals` decimals into
 * buf, or "-" when v is NaN or infinite.  Returns buf. */
const char *mt_fmt(char *buf, size_t cap, double v, double scale,
		   int decimals);
/* Write v as a JSON number (%.10g), or null when NaN or infinite. */
void mt_json_num(FILE *f, double v);

#endif /* BNN_RUN_METRICS_H */
