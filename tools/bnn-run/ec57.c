// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * ec57.c - AAMI EC57 beat statistics: gross and per-record Se / +P / FPR,
 * the F-as-V rule, Cohen's kappa, j-index, S Se without the record with
 * the most S beats (ec57.h).
 */
#include "ec57.h"

#include <math.h>
#include <string.h>

const char *ec57_class_name(int c)
{
	static const char *const names[EC57_NCLASSES] = { "N", "S", "V", "F",
							  "Q" };

	return c >= 0 && c < EC57_NCLASSES ? names[c] : "?";
}

double ec57_kappa(const struct mt_cm *cm)
{
	uint64_t n = mt_cm_total(cm);
	double po, pe = 0;

	if (!n)
		return NAN;
	for (unsigned c = 0; c < cm->k; c++) {
		struct mt_class mc;

		mt_cm_class(cm, c, &mc);
		pe += ((double)mc.support / (double)n) *
		      ((double)mc.predicted / (double)n);
	}
	po = (double)mt_cm_correct(cm) / (double)n;
	/* pe == 1: every beat in one class and predicted as it: no chance
	 * agreement left to beat, kappa undefined */
	if (!(pe < 1))
		return NAN;
	return (po - pe) / (1 - pe);
}

/* One-vs-rest counts of AAMI class c in cm; F beats classified as V
 * leave V's FP (and its TN) when rule. */
void ec57_class(const struct mt_cm *cm, const int map[EC57_NCLASSES], int c,
		int rule, struct ec57_class *o)
{
	struct mt_class mc;
	uint64_t fv = 0;

	memset(o, 0, sizeof(*o));
	o->se = o->ppv = o->fpr = o->sp = NAN;
	o->rec_se = o->rec_ppv = o->rec_fpr = NAN;
	if (!cm || !cm->m || !map || c < 0 || c >= EC57_NCLASSES ||
	    map[c] < 0 || map[c] >= (int)cm->k)
		return;
	o->present = 1;
	if (rule && (map[EC57_F] < 0 || map[EC57_F] >= (int)cm->k))
		rule = 0;
	mt_cm_class(cm, (unsigned)map[c], &mc);
	if (rule && c == EC57_V)
		fv = mt_cm_get(cm, (unsigned)map[EC57_F], (unsigned)map[EC57_V]);
	o->support = mc.support;
	o->tp = mc.tp;
	o->fn = mc.fn;
	o->fp = mc.fp - fv;
	o->tn = mc.tn;
	o->predicted = o->tp + o->fp;
	o->se = mt_ratio(o->tp, o->tp + o->fn);
	o->ppv = mt_ratio(o->tp, o->tp + o->fp);
	o->fpr = mt_ratio(o->fp, o->fp + o->tn);
	o->sp = mt_ratio(o->tn, o->fp + o->tn);
}

static void add_mean(double *sum, unsigned *n, double v)
{
	if (!isnan(v)) {
		*sum += v;
		(*n)++;
	}
}

int ec57_compute(const struct mt_cm *all, const struct mt_cm *rec, size_t nrec,
		 const int map[EC57_NCLASSES], struct ec57 *o)
{
	const struct ec57_class *s, *v;

	if (!all || !all->m || !map || !o || (nrec && !rec))
		return -1;
	for (int c = 0; c < EC57_NCLASSES; c++)
		if (map[c] >= (int)all->k)
			return -1;
	for (size_t r = 0; r < nrec; r++)
		if (rec[r].k != all->k || !rec[r].m)
			return -1;
	memset(o, 0, sizeof(*o));
	memcpy(o->map, map, sizeof(o->map));
	o->f_as_v_rule = map[EC57_F] >= 0 && map[EC57_V] >= 0;
	o->n = mt_cm_total(all);
	for (int c = 0; c < EC57_NCLASSES; c++) {
		struct ec57_class *e = &o->c[c];
		double sse = 0, sppv = 0, sfpr = 0;

		ec57_class(all, map, c, o->f_as_v_rule, e);
		if (!e->present)
			continue;
		for (size_t r = 0; r < nrec; r++) {
			struct ec57_class x;

			ec57_class(&rec[r], map, c, o->f_as_v_rule, &x);
			add_mean(&sse, &e->rec_se_n, x.se);
			add_mean(&sppv, &e->rec_ppv_n, x.ppv);
			add_mean(&sfpr, &e->rec_fpr_n, x.fpr);
		}
		if (e->rec_se_n)
			e->rec_se = sse / e->rec_se_n;
		if (e->rec_ppv_n)
			e->rec_ppv = sppv / e->rec_ppv_n;
		if (e->rec_fpr_n)
			e->rec_fpr = sfpr / e->rec_fpr_n;
	}
	o->kappa = ec57_kappa(all);
	s = &o->c[EC57_S];
	v = &o->c[EC57_V];
	/* NaN propagates: jk is undefined unless all five terms are */
	o->jk = o->kappa / 2 + (s->se + v->se + s->ppv + v->ppv) / 8;
	if (!s->present || !v->present)
		o->jk = NAN;
	o->s_top = -1;
	o->s_se_without = NAN;
	if (s->present) {
		unsigned k = (unsigned)map[EC57_S];

		for (size_t r = 0; r < nrec; r++) {
			struct mt_class mc;

			mt_cm_class(&rec[r], k, &mc);
			if (mc.support > o->s_top_beats) {
				o->s_top = (long)r;
				o->s_top_beats = mc.support;
			}
		}
		if (o->s_top >= 0) {
			struct mt_class mc, mt;

			mt_cm_class(&rec[o->s_top], k, &mt);
			mt_cm_class(all, k, &mc);
			/* the records are parts of the run; guard anyway */
			if (mt.tp <= mc.tp && mt.support <= mc.support)
				o->s_se_without = mt_ratio(mc.tp - mt.tp,
							   mc.support - mt.support);
		}
	}
	return 0;
}
