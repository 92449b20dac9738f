/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * ec57.h - beat-classification statistics by the AAMI EC57 protocol as
 * de Chazal et al. 2004 use it (plain C over metrics.h; no libbnn).
 *
 * Input: the confusion matrix of the whole run over the model's classes,
 * one matrix per record, and which model class each AAMI class N S V F Q
 * is (-1: none of its own).  Per AAMI class c, one-vs-rest:
 *   Se = TP / (TP + FN), +P = TP / (TP + FP), FPR = FP / (FP + TN),
 *   Sp = TN / (TN + FP), gross = over all beats of the run.
 * EC57's rule for F beats: an F beat classified as V is not a V false
 * positive.  It is left out of V's statistics altogether (neither FP nor
 * TN), so V's FP = (column V sum) - TP - m[F][V]; this changes V +P, FPR
 * and Sp, not V Se.  Applied when F and V are both classes.
 * Per-record averages: the plain mean over records of the per-record
 * value, taken over the records where it is defined: Se over records with
 * >= 1 beat of the class, +P over records where the class was predicted
 * at least once (TP + FP > 0, after the F rule), FPR over records with
 * FP + TN > 0.
 * Cohen's kappa over the whole matrix (classes that never occur add
 * nothing): po = trace / n, pe = sum_i row_i col_i / n^2,
 * kappa = (po - pe) / (1 - pe) (NaN when n == 0 or pe == 1).
 * j-index (Mar et al. 2011): jk = kappa / 2 + (Se_S + Se_V + +P_S + +P_V) / 8,
 * gross values, +P_V with the F rule.
 * S Se without the record holding the most S beats (the first such record
 * on a tie): gross S Se of the run minus that record (232 on DS2).
 * Undefined values are NaN ("-", null).
 */
#ifndef BNN_RUN_EC57_H
#define BNN_RUN_EC57_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

enum { EC57_N, EC57_S, EC57_V, EC57_F, EC57_Q, EC57_NCLASSES };

struct ec57_class {
	int present;		/* the AAMI class is a class of its own */
	uint64_t support, predicted;	/* predicted: TP + FP (after the rule) */
	uint64_t tp, fn, fp, tn;
	double se, ppv, fpr, sp;	/* gross */
	double rec_se, rec_ppv, rec_fpr;	/* means over records */
	unsigned rec_se_n, rec_ppv_n, rec_fpr_n;	/* records averaged */
};

struct ec57 {
	int map[EC57_NCLASSES];	/* model class of each AAMI class, -1 */
	struct ec57_class c[EC57_NCLASSES];
	int f_as_v_rule;	/* applied (F and V are classes) */
	uint64_t n;		/* beats in the matrix */
	double kappa, jk;
	long s_top;		/* record with the most S beats, -1 = none */
	uint64_t s_top_beats;	/* its S beats */
	double s_se_without;	/* gross S Se without it */
};

/* "N", "S", "V", "F", "Q" */
const char *ec57_class_name(int c);

/* Cohen's kappa of a matrix (see top). */
double ec57_kappa(const struct mt_cm *cm);

/* Gross counts and rates of AAMI class c in one matrix (no per-record
 * fields), the F rule applied when rule; zeroed / NaN when c has no
 * class. */
void ec57_class(const struct mt_cm *cm, const int map[EC57_NCLASSES], int c,
		int rule, struct ec57_class *out);

/* Fill out from the run's matrix `all`, the nrec per-record matrices
 * `rec` (may be NULL when nrec == 0; same k as all) and map[c] = model
 * class of AAMI class c or -1.  0 on success, -1 on bad arguments. */
int ec57_compute(const struct mt_cm *all, const struct mt_cm *rec, size_t nrec,
		 const int map[EC57_NCLASSES], struct ec57 *out);

#endif /* BNN_RUN_EC57_H */
