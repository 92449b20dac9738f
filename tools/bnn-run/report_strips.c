// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * report_strips.c - bnn-run --report: which items get a strip of their
 * signal (misses and calls, capped per source) and the SVG of each.
 *
 * A WFDB record (and an EDF file of beats) is read again through
 * libbnn's readers, so a beat's strip is the recording's own lead in
 * millivolts, 2.5 s around the R peak, with the neighbouring beats'
 * predicted classes marked; any other item (an EEG window, a CSV row) is
 * drawn as the model saw it (its first channel): that window is what
 * was classified.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_html.h"

#define STRIP_W 640		/* SVG width, px */
#define STRIP_H 140		/* SVG height, px */
#define STRIP_HALF_S 1.25	/* beat strips: seconds each side */

/* ---------------------------------------------------------------------
 * Selection
 * --------------------------------------------------------------------- */

struct cand {
	size_t item, rank, key;
};

static int by_rank(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->item < y->item ? -1 : x->item > y->item;
}

static int by_item(const void *a, const void *b)
{
	const size_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* 1 when the model's classes include AAMI ones: calls are then S V F. */
static unsigned char *call_classes(const struct run_ctx *c)
{
	uint32_t K = c->mi.nclasses;
	unsigned char *call = xcalloc(K, 1);
	int aami = 0;

	for (uint32_t k = 0; k < K; k++)
		aami |= labels_aami_of_class(c->m, k) >= 0;
	for (uint32_t k = 0; k < K; k++) {
		int a = labels_aami_of_class(c->m, k);

		call[k] = aami ? a == BNN_AAMI_S || a == BNN_AAMI_V ||
			  a == BNN_AAMI_F : k != 0;
	}
	return call;
}

int strips_is_call(const struct run_ctx *c, uint32_t k)
{
	unsigned char *call = call_classes(c);
	int r = k < c->mi.nclasses && call[k];

	free(call);
	return r;
}

/* The model class that is item i's truth, or -1. */
static int32_t truth_of(const struct dataset *ds, size_t i)
{
	int32_t dl = ds->dlabel[i];

	return dl >= 0 ? ds->lmap[dl] : -1;
}

void strips_plan(const struct run_ctx *c, size_t cap, struct strips *s)
{
	const struct dataset *ds = c->ds;
	uint32_t K = c->mi.nclasses;
	size_t nkeys = (ds->nlabels + 1) * K;
	size_t *seen = xcalloc(nkeys, sizeof(size_t));
	unsigned char *call = call_classes(c);
	struct cand *cd = NULL;
	size_t cdcap = 0;

	memset(s, 0, sizeof(*s));
	if (ds->nsrc * cap > STRIPS_TOTAL)
		cap = STRIPS_TOTAL / ds->nsrc ? STRIPS_TOTAL / ds->nsrc : 1;
	s->cap = cap;
	s->nsrc = ds->nsrc;
	s->cand = xcalloc(ds->nsrc ? ds->nsrc : 1, sizeof(size_t));
	s->shown = xcalloc(ds->nsrc ? ds->nsrc : 1, sizeof(size_t));
	s->first = xcalloc(ds->nsrc ? ds->nsrc : 1, sizeof(size_t));
	s->sel = xcalloc(ds->nsrc * cap + 1, sizeof(size_t));
	for (size_t q = 0; q < ds->nsrc; q++) {
		const struct source *src = &ds->srcs[q];
		size_t nc = 0, take;

		memset(seen, 0, nkeys * sizeof(size_t));
		for (size_t i = src->first; i < src->first + src->n; i++) {
			int32_t t = truth_of(ds, i), p = c->pred[i];
			size_t key;

			if (!call[p] && !(t >= 0 && t != p))
				continue;
			if (nc == cdcap) {
				cdcap = cdcap ? 2 * cdcap : 256;
				cd = xrealloc(cd, cdcap * sizeof(*cd));
			}
			/* Round robin: the n-th item of each (label, predicted)
			 * pair ranks n. */
			key = (size_t)(ds->dlabel[i] + 1) * K + (size_t)p;
			cd[nc].item = i;
			cd[nc].key = key;
			cd[nc].rank = seen[key]++;
			nc++;
		}
		if (nc > cap)
			qsort(cd, nc, sizeof(*cd), by_rank);
		take = nc < cap ? nc : cap;
		s->cand[q] = nc;
		s->shown[q] = take;
		s->first[q] = s->nsel;
		for (size_t k = 0; k < take; k++)
			s->sel[s->nsel + k] = cd[k].item;
		qsort(s->sel + s->nsel, take, sizeof(size_t), by_item);
		s->nsel += take;
	}
	free(cd);
	free(call);
	free(seen);
}

void strips_free(struct strips *s)
{
	free(s->cand);
	free(s->shown);
	free(s->first);
	free(s->sel);
	memset(s, 0, sizeof(*s));
}

/* ---------------------------------------------------------------------
 * The signal of a source
 * --------------------------------------------------------------------- */

struct signal {
	float *v;		/* NULL: draw from the items */
	size_t n;
	double fs;
	const char *unit;	/* "mV", or "" (as read) */
	char lead[BNN_WFDB_DESC_MAX];
};

/* Factor from a WFDB signal's units to mV; 0 when they are no volts. */
static double to_mv(const char *u)
{
	if (!strcmp(u, "mV"))
		return 1;
	if (!strcmp(u, "V"))
		return 1000;
	if (!strcmp(u, "uV") || !strcmp(u, "\xc2\xb5V"))
		return 0.001;
	return 0;
}

/* The lead the run used (its first channel) of a WFDB source, read again;
 * sg->v stays NULL when that fails (the strips then show the items). */
static void wfdb_load(const struct source *src, struct signal *sg)
{
	size_t nl = strlen(src->name), pl = strlen(src->path);
	bnn_wfdb_record rec;
	bnn_error err;
	char *dir;
	int sig = -1;

	if (pl <= nl || strcmp(src->path + pl - nl, src->name) ||
	    src->path[pl - nl - 1] != '/')
		return;
	dir = xasprintf("%.*s", (int)(pl - nl - 1), src->path);
	if (bnn_wfdb_read_record(dir, src->name, 0, &rec, &err)) {
		warnx_("--report: record %s: %s (its strips show the model's input)",
		       src->name, err.msg);
		free(dir);
		return;
	}
	free(dir);
	for (int k = 0; k < rec.hdr.nsig && sig < 0; k++)
		if (!strcmp(rec.hdr.sig[k].desc, sg->lead))
			sig = k;
	if (sig >= 0 && bnn_wfdb_signal_len(&rec, sig) > 0 && rec.nsamples > 0) {
		const bnn_wfdb_signal *ws = &rec.hdr.sig[sig];
		const int32_t *raw = bnn_wfdb_samples(&rec, sig);
		double sc = to_mv(ws->units);

		sg->n = (size_t)bnn_wfdb_signal_len(&rec, sig);
		sg->fs = rec.hdr.fs * (double)sg->n / (double)rec.nsamples;
		sg->unit = sc ? "mV" : "";
		sg->v = xmalloc(sg->n * sizeof(float));
		for (size_t i = 0; i < sg->n; i++)
			sg->v[i] = bnn_wfdb_is_invalid(ws, raw[i]) ? NAN :
				   (float)(bnn_wfdb_to_phys(ws, raw[i]) *
					   (sc ? sc : 1));
	}
	bnn_wfdb_record_free(&rec);
}

/* The ECG channel of an EDF file whose beats were detected, in mV. */
static void edf_load(const struct source *src, struct signal *sg)
{
	bnn_edf_file f;
	bnn_error err;
	int sig;

	if (bnn_edf_open(src->path, &f, &err)) {
		warnx_("--report: %s: %s (its strips show the model's input)",
		       src->path, err.msg);
		return;
	}
	sig = bnn_edf_find_signal(&f, sg->lead);
	if (sig >= 0 && !bnn_edf_read_signal(&f, sig, BNN_EDF_MV, &sg->v,
					     &sg->n, &err)) {
		sg->fs = f.sig[sig].fs;
		sg->unit = "mV";
	}
	bnn_edf_close(&f);
}

/* The signal the run classified, at the source's own rate, where libbnn
 * reads it again: WFDB records, and EDF files of beats (an EDF window
 * is drawn from the item, in the run's units). */
static void signal_load(const struct source *src, struct signal *sg)
{
	memset(sg, 0, sizeof(*sg));
	sg->unit = "";
	snprintf(sg->lead, sizeof(sg->lead), "%.*s",
		 (int)strcspn(src->lead, "+"), src->lead);
	if (!strcmp(src->reader, "wfdb"))
		wfdb_load(src, sg);
	else if (!strcmp(src->reader, "edf") && src->kind == SRC_BEATS)
		edf_load(src, sg);
}

/* ---------------------------------------------------------------------
 * SVG
 * --------------------------------------------------------------------- */

/* "1:02:03.456", "2:03.456" */
static const char *fmt_t(char *b, size_t cap, double t)
{
	long long ms = llround(t * 1000);
	long long h = ms / 3600000, m = ms / 60000 % 60;
	double sec = (double)(ms % 60000) / 1000.0;

	if (h)
		snprintf(b, cap, "%lld:%02lld:%06.3f", h, m, sec);
	else
		snprintf(b, cap, "%lld:%06.3f", m, sec);
	return b;
}

struct mark {
	double t;		/* seconds from the source's start */
	const char *text;	/* predicted class */
	int focus;		/* the strip's item */
};

/* The polyline of y[0..n) over [t0, t0 + n / fs) s, grid, marks. */
static void svg(FILE *f, const float *y, size_t n, double fs, double t0,
		const char *unit, const struct mark *mk, size_t nmk, int miss)
{
	double lo = INFINITY, hi = -INFINITY, span = (double)n / fs;
	double W = STRIP_W, H = STRIP_H, step;
	int mv = !strcmp(unit, "mV");
	int pen = 0;

	for (size_t i = 0; i < n; i++)
		if (isfinite(y[i])) {
			lo = y[i] < lo ? y[i] : lo;
			hi = y[i] > hi ? y[i] : hi;
		}
	if (!(lo <= hi))
		lo = -1, hi = 1;
	/* ECG paper: at least 1 mV tall, so noise is not blown up. */
	if (mv && hi - lo < 1) {
		double m = (hi + lo) / 2;

		lo = m - 0.5;
		hi = m + 0.5;
	}
	if (hi - lo <= 0)
		hi = lo + 1;
	{
		double pad = (hi - lo) * 0.08;

		lo -= pad;
		hi += pad;
	}
#define X(t) (((t) - t0) / span * W)
#define Y(v) (H - ((v) - lo) / (hi - lo) * H)
	fprintf(f, "<svg class=\"sig\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">",
		STRIP_W, STRIP_H, STRIP_W, STRIP_H);
	/* Grid: 0.2 s and 0.5 mV as on ECG paper, 1 s lines darker. */
	step = span <= 6 ? 0.2 : span <= 30 ? 1 : 10;
	for (double g = ceil(t0 / step) * step; g <= t0 + span; g += step) {
		int major = fabs(g / (step * 5) - round(g / (step * 5))) < 1e-6;

		fprintf(f, "<line class=\"%s\" x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\"/>",
			major ? "g1" : "g0", X(g), X(g), STRIP_H);
		if (major) {
			char b[32];

			fprintf(f, "<text class=\"ax\" x=\"%.1f\" y=\"%d\">%s</text>",
				X(g) + 2, STRIP_H - 3, fmt_t(b, sizeof(b), g));
		}
	}
	step = mv ? 0.5 : (hi - lo) / 4;
	for (double g = ceil(lo / step) * step; g <= hi; g += step)
		fprintf(f, "<line class=\"g0\" x1=\"0\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>",
			Y(g), STRIP_W, Y(g));
	fprintf(f, "<text class=\"ax\" x=\"2\" y=\"11\">%.4g%s%s</text>", hi,
		*unit ? " " : "", unit);
	fprintf(f, "<text class=\"ax\" x=\"2\" y=\"%d\">%.4g%s%s</text>",
		STRIP_H - 14, lo, *unit ? " " : "", unit);
	for (size_t k = 0; k < nmk; k++) {
		fprintf(f, "<line class=\"%s\" x1=\"%.1f\" y1=\"14\" x2=\"%.1f\" y2=\"%d\"/>",
			mk[k].focus ? (miss ? "mmiss" : "mcall") : "mk",
			X(mk[k].t), X(mk[k].t), STRIP_H);
		fprintf(f, "<text class=\"%s\" x=\"%.1f\" y=\"12\" text-anchor=\"middle\">",
			mk[k].focus ? "lf" : "ln", X(mk[k].t));
		html_esc(f, mk[k].text);
		fputs("</text>", f);
	}
	/* The trace; a gap (invalid samples) lifts the pen. */
	fputs("<path class=\"tr\" d=\"", f);
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(y[i])) {
			pen = 0;
			continue;
		}
		fprintf(f, "%c%.1f %.1f", pen ? 'L' : 'M',
			X(t0 + (double)i / fs), Y(y[i]));
		pen = 1;
	}
	fputs("\"/></svg>", f);
#undef X
#undef Y
}

/* Seconds of item j from its source's start (NAN: not a time). */
static double item_t(const struct run_ctx *c, size_t j, double fs)
{
	const struct source *s = &c->ds->srcs[c->ds->src[j]];

	return s->kind == SRC_ROWS || s->kind == SRC_TENSOR || !(fs > 0) ? NAN :
	       (double)c->ds->pos[j] / fs;
}

static void one_strip(FILE *f, const struct run_ctx *c, size_t i,
		      const struct signal *sg, const unsigned char *call)
{
	const struct dataset *ds = c->ds;
	const struct source *src = &ds->srcs[ds->src[i]];
	const bnn_input_desc *in = &c->mi.input;
	int32_t t = truth_of(ds, i), p = c->pred[i], dl = ds->dlabel[i];
	int miss = t >= 0 && t != p;
	double rate = in->sample_rate_hz > 0 ? in->sample_rate_hz :
		      src->fs > 0 ? src->fs : 1;
	double at = item_t(c, i, src->fs > 0 ? src->fs : rate);
	struct mark mk[64];
	size_t nmk = 0;
	char tb[32];
	const char *pn = bnn_model_class_name(c->m, (uint32_t)p);

	fprintf(f, "<figure class=\"strip %s\" data-item=\"%zu\" data-ref=\"",
		miss ? "miss" : "call", i - src->first);
	html_esc(f, dl >= 0 ? ds->labels[dl] : "");
	fputs("\" data-pred=\"", f);
	html_esc(f, pn);
	fputs("\">", f);
	if (sg->v && src->kind == SRC_BEATS) {
		/* The record around the beat, its neighbours marked. */
		int64_t c0 = ds->pos[i], h = llround(STRIP_HALF_S * sg->fs);
		int64_t a = c0 - h < 0 ? 0 : c0 - h;
		int64_t b = c0 + h > (int64_t)sg->n ? (int64_t)sg->n : c0 + h;

		for (size_t j = src->first; j < src->first + src->n && nmk < 64; j++) {
			if (ds->pos[j] < a || ds->pos[j] >= b)
				continue;
			mk[nmk].t = (double)ds->pos[j] / sg->fs;
			mk[nmk].text = bnn_model_class_name(c->m, (uint32_t)c->pred[j]);
			mk[nmk].focus = j == i;
			nmk++;
		}
		if (b > a)
			svg(f, sg->v + a, (size_t)(b - a), sg->fs,
			    (double)a / sg->fs, sg->unit, mk, nmk, miss);
	} else if (sg->v) {
		/* A window of the record: its span in the record's samples. */
		int64_t a = ds->pos[i], len = llround(in->length * sg->fs / rate);
		int64_t b = a + len > (int64_t)sg->n ? (int64_t)sg->n : a + len;

		if (b > a)
			svg(f, sg->v + a, (size_t)(b - a), sg->fs,
			    (double)a / sg->fs, sg->unit, NULL, 0, miss);
	} else {
		/* The item as the model saw it: channel 0. */
		uint32_t C = in->channels ? in->channels : 1, L = in->length;
		float *y = xmalloc((L ? L : 1) * sizeof(float));
		double t0 = isfinite(at) ? at : 0;

		for (uint32_t q = 0; q < L; q++)
			y[q] = ds->x[i * ds->elems + (size_t)q * C];
		if (src->kind == SRC_BEATS) {
			t0 -= in->beat_pre / rate;
			mk[0].t = t0 + in->beat_pre / rate;
			mk[0].text = pn;
			mk[0].focus = 1;
			nmk = 1;
		}
		svg(f, y, L, rate, t0, "", mk, nmk, miss);
		free(y);
	}
	fputs("<figcaption>", f);
	if (isfinite(at))
		fprintf(f, "<b>%s</b> ", fmt_t(tb, sizeof(tb), at));
	fprintf(f, "%s %lld &middot; reference <b class=\"ref\">",
		src->kind == SRC_BEATS ? "sample" : src->kind == SRC_WINDOWS ?
		"window at sample" : "row", (long long)ds->pos[i]);
	if (dl < 0)
		fputs("none", f);
	else
		html_esc(f, ds->labels[dl]);
	if (dl >= 0 && t < 0)
		fputs(" (no model class)", f);
	fputs("</b> &middot; predicted <b class=\"pred\">", f);
	html_esc(f, pn);
	fprintf(f, "</b> &middot; <span class=\"%s\">%s</span></figcaption></figure>\n",
		miss ? "tmiss" : "tcall", miss ? "miss" :
		call[p] ? (t >= 0 ? "call, correct" : "call") : "");
}

void strips_write(FILE *f, const struct run_ctx *c, const struct strips *s)
{
	const struct dataset *ds = c->ds;
	unsigned char *call = call_classes(c);

	for (size_t q = 0; q < s->nsrc; q++) {
		const struct source *src = &ds->srcs[q];
		struct signal sg;

		if (!s->shown[q])
			continue;
		signal_load(src, &sg);
		fprintf(f, "<section class=\"src\" id=\"src-%zu\" data-src=\"", q);
		html_esc(f, src->name);
		fprintf(f, "\" data-strips=\"%zu\" data-left=\"%zu\">\n<h3>", s->shown[q],
			s->cand[q] - s->shown[q]);
		html_esc(f, src->name);
		fputs("</h3>\n<p class=\"note\">", f);
		fprintf(f, "%zu strip%s of %zu call%s and misses", s->shown[q],
			s->shown[q] == 1 ? "" : "s", s->cand[q],
			s->cand[q] == 1 ? "" : "s");
		if (s->cand[q] > s->shown[q])
			fprintf(f, "; <b>%zu left out</b> (at most %zu per %s, every kind of call and miss first)",
				s->cand[q] - s->shown[q], s->cap,
				src->kind == SRC_BEATS ? "record" : "source");
		if (sg.v) {
			fputs("; lead ", f);
			html_esc(f, sg.lead);
			fprintf(f, " at %g Hz%s", sg.fs, *sg.unit ? ", mV" :
				", in the recording's units");
		} else {
			fputs("; the model's input (channel 0) as it was classified", f);
		}
		fputs(".</p>\n", f);
		for (size_t k = 0; k < s->shown[q]; k++)
			one_strip(f, c, s->sel[s->first[q] + k], &sg, call);
		fputs("</section>\n", f);
		free(sg.v);
	}
	free(call);
}
