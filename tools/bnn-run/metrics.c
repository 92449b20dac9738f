// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * metrics.c - confusion matrix, per-class rates, percentiles (metrics.h).
 */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int mt_cm_init(struct mt_cm *cm, unsigned k)
{
	if (!cm)
		return -1;
	cm->k = 0;
	cm->m = NULL;
	if (k < 1 || k > MT_MAX_CLASSES)
		return -1;
	cm->m = calloc((size_t)k * k, sizeof(*cm->m));
	if (!cm->m)
		return -1;
	cm->k = k;
	return 0;
}

void mt_cm_free(struct mt_cm *cm)
{
	if (!cm)
		return;
	free(cm->m);
	cm->m = NULL;
	cm->k = 0;
}

int mt_cm_add(struct mt_cm *cm, unsigned truth, unsigned pred)
{
	if (!cm || !cm->m || truth >= cm->k || pred >= cm->k)
		return -1;
	cm->m[(size_t)truth * cm->k + pred]++;
	return 0;
}

int mt_cm_merge(struct mt_cm *a, const struct mt_cm *b)
{
	if (!a || !b || !a->m || !b->m || a->k != b->k)
		return -1;
	for (size_t i = 0; i < (size_t)a->k * a->k; i++)
		a->m[i] += b->m[i];
	return 0;
}

uint64_t mt_cm_get(const struct mt_cm *cm, unsigned truth, unsigned pred)
{
	if (!cm || !cm->m || truth >= cm->k || pred >= cm->k)
		return 0;
	return cm->m[(size_t)truth * cm->k + pred];
}

uint64_t mt_cm_total(const struct mt_cm *cm)
{
	uint64_t t = 0;

	if (!cm || !cm->m)
		return 0;
	for (size_t i = 0; i < (size_t)cm->k * cm->k; i++)
		t += cm->m[i];
	return t;
}

uint64_t mt_cm_correct(const struct mt_cm *cm)
{
	uint64_t t = 0;

	if (!cm || !cm->m)
		return 0;
	for (unsigned c = 0; c < cm->k; c++)
		t += cm->m[(size_t)c * cm->k + c];
	return t;
}

double mt_ratio(uint64_t num, uint64_t den)
{
	return den ? (double)num / (double)den : NAN;
}

double mt_cm_accuracy(const struct mt_cm *cm)
{
	return mt_ratio(mt_cm_correct(cm), mt_cm_total(cm));
}

void mt_cm_class(const struct mt_cm *cm, unsigned c, struct mt_class *o)
{
	uint64_t total;

	memset(o, 0, sizeof(*o));
	o->se = o->ppv = o->sp = o->fpr = o->f1 = NAN;
	if (!cm || !cm->m || c >= cm->k)
		return;
	for (unsigned j = 0; j < cm->k; j++) {
		o->support += cm->m[(size_t)c * cm->k + j];
		o->predicted += cm->m[(size_t)j * cm->k + c];
	}
	total = mt_cm_total(cm);
	o->tp = cm->m[(size_t)c * cm->k + c];
	o->fn = o->support - o->tp;
	o->fp = o->predicted - o->tp;
	o->tn = total - o->tp - o->fn - o->fp;
	o->se = mt_ratio(o->tp, o->tp + o->fn);
	o->ppv = mt_ratio(o->tp, o->tp + o->fp);
	o->sp = mt_ratio(o->tn, o->tn + o->fp);
	o->fpr = mt_ratio(o->fp, o->tn + o->fp);
	o->f1 = mt_ratio(2 * o->tp, 2 * o->tp + o->fp + o->fn);
}

double mt_cm_macro_f1(const struct mt_cm *cm, unsigned *nused)
{
	double sum = 0;
	unsigned n = 0;

	if (cm && cm->m)
		for (unsigned c = 0; c < cm->k; c++) {
			struct mt_class mc;

			mt_cm_class(cm, c, &mc);
			if (!isnan(mc.f1)) {
				sum += mc.f1;
				n++;
			}
		}
	if (nused)
		*nused = n;
	return n ? sum / n : NAN;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void mt_sort(double *v, size_t n)
{
	if (v && n > 1)
		qsort(v, n, sizeof(*v), cmp_double);
}

double mt_percentile(const double *s, size_t n, double p)
{
	double rank, frac;
	size_t lo;

	if (!s || n == 0 || !(p >= 0 && p <= 100))
		return NAN;
	rank = p / 100.0 * (double)(n - 1);
	lo = (size_t)floor(rank);
	if (lo >= n - 1)
		return s[n - 1];
	frac = rank - (double)lo;
	return s[lo] + frac * (s[lo + 1] - s[lo]);
}

double mt_mean(const double *v, size_t n)
{
	double sum = 0;

	if (!v || n == 0)
		return NAN;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	return sum / (double)n;
}

const char *mt_fmt(char *buf, size_t cap, double v, double scale,
		   int decimals)
{
	if (!buf || cap == 0)
		return "-";
	if (!isfinite(v) || !isfinite(v * scale))
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%.*f", decimals < 0 ? 0 : decimals,
			 v * scale);
	return buf;
}

void mt_json_num(FILE *f, double v)
{
	if (!isfinite(v))
		fputs("null", f);
	else
		fprintf(f, "%.10g", v);
}
