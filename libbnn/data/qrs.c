// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * qrs.c - libbnn data: causal QRS detection and EC57 beat matching.
 *
 * The detector is a band-pass / slope-envelope design with adaptive
 * thresholds in the line of Pan & Tompkins (1985) and Hamilton & Tompkins
 * (1986); see bnn_data.h for the steps.  It is written as a sample-by-
 * sample state machine so the streaming and one-shot entry points are the
 * same code.
 */
#define BNN_DATA_INTERNAL
#include "bnn_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NHIST 8			/* beat / noise / RR history */
#define NCAND 64		/* search-back candidates kept */
#define LEARN_S 2.0		/* threshold learning at the start */
#define DECAY_S 2.5		/* halve the beat level after this silence */
#define PEAK_WAIT_MS 95.0	/* a peak is taken at the latest this late */
#define DERIV_MS 5.0
#define REFINE_PRE_MS 80.0	/* beat search before the envelope window */
#define SETTLE_EXTRA_MS 50.0	/* dead time after a gap: window + this */
#define TH_FRAC 0.3125
#define TWAVE_SLOPE 0.6
#define STEEPER 2.0		/* replaces a pending beat (see evaluate) */
#define SB_FRAC 0.6		/* search-back threshold, of TH */

struct biquad {
	double b0, b1, b2, a1, a2;
	double z1, z2;
};

struct cand {
	int64_t pos;		/* envelope peak sample */
	double h;		/* envelope height */
	double slope;		/* steepest |derivative| in its window */
};

struct bnn_qrs {
	double fs;
	bnn_qrs_opts o;
	struct biquad hp, lp1, lp2;
	/* samples in units of the rate */
	int64_t win, refr, twave, wait, refine_pre, settle, decay, maxdelay;
	int64_t learn;
	size_t dlag;		/* derivative lag */

	int64_t n;		/* index of the next sample */
	int have_valid, in_gap, flushed;
	float hold;		/* last finite sample */
	int64_t suppress_until;	/* no candidates before this */

	/* rings: raw input, |derivative|, band-passed history, envelope */
	size_t rlen;
	float *raw, *slope;
	double *bp;		/* dlag + 1 */
	double *mw;		/* win */
	double mwsum;
	size_t mwi, mwfill;

	/* envelope peak finder */
	double pk_prev, pk_max;
	int64_t pk_pos;

	/* decisions */
	int learning;
	int64_t learn_end;
	double qrs[NHIST], noise[NHIST], rr[NHIST];
	int nqrs, nnoise, nrr, qi, ni, ri;
	int have_last;
	struct cand last;
	int pending;
	struct cand pend;
	struct cand cands[NCAND];
	int ncand, sb_dirty;
	int64_t next_decay;

	/* output queue */
	int64_t *outq;
	size_t outn, outhead, outcap;
	int oom;
};

/* ---------------------------------------------------------------------
 * Filters
 * --------------------------------------------------------------------- */

static void biquad_design(struct biquad *f, double fc, double fs, int high)
{
	double w0 = 2.0 * M_PI * fc / fs, c = cos(w0);
	double alpha = sin(w0) / (2.0 * M_SQRT1_2);	/* Q = 1/sqrt(2) */
	double a0 = 1.0 + alpha;
	double k = high ? (1.0 + c) / 2.0 : (1.0 - c) / 2.0;

	f->b0 = k / a0;
	f->b1 = (high ? -2.0 * k : 2.0 * k) / a0;
	f->b2 = k / a0;
	f->a1 = -2.0 * c / a0;
	f->a2 = (1.0 - alpha) / a0;
}

/* Steady state for a constant input v (so a restart has no transient). */
static void biquad_rest(struct biquad *f, double v)
{
	double g = (f->b0 + f->b1 + f->b2) / (1.0 + f->a1 + f->a2);
	double y = g * v;

	f->z2 = f->b2 * v - f->a2 * y;
	f->z1 = y - f->b0 * v;
}

static inline double biquad_run(struct biquad *f, double x)
{
	double y = f->b0 * x + f->z1;

	f->z1 = f->b1 * x - f->a1 * y + f->z2;
	f->z2 = f->b2 * x - f->a2 * y;
	return y;
}

/* ---------------------------------------------------------------------
 * Small helpers
 * --------------------------------------------------------------------- */

static double median(const double *v, int n)
{
	double t[NHIST];

	if (n <= 0)
		return 0.0;
	memcpy(t, v, (size_t)n * sizeof *t);
	for (int i = 1; i < n; i++)	/* insertion sort, n <= 8 */
		for (int j = i; j > 0 && t[j - 1] > t[j]; j--) {
			double s = t[j];
			t[j] = t[j - 1];
			t[j - 1] = s;
		}
	return n & 1 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static void hist_push(double *v, int *cnt, int *idx, double x)
{
	v[*idx] = x;
	*idx = (*idx + 1) % NHIST;
	if (*cnt < NHIST)
		(*cnt)++;
}

static double threshold(const bnn_qrs *q)
{
	double s = median(q->qrs, q->nqrs), nz = median(q->noise, q->nnoise);

	return nz + TH_FRAC * (s - nz);
}

static int64_t ms(double fs, double t)
{
	return (int64_t)llround(t * fs / 1000.0);
}

static float ring_raw(const bnn_qrs *q, int64_t i)
{
	return q->raw[(size_t)(i % (int64_t)q->rlen)];
}

/* Oldest sample still in the rings. */
static int64_t ring_first(const bnn_qrs *q)
{
	int64_t f = q->n - (int64_t)q->rlen + 1;
	return f > 0 ? f : 0;
}

static void queue_beat(bnn_qrs *q, int64_t t)
{
	if (q->outn && q->outq[(q->outhead + q->outn - 1) % q->outcap] >= t)
		return;		/* keep the output strictly increasing */
	if (q->outn == q->outcap) {
		size_t nc = q->outcap * 2;
		int64_t *p = bnn__malloc(nc * sizeof *p);
		if (!p) {
			q->oom = 1;
			return;
		}
		for (size_t i = 0; i < q->outn; i++)
			p[i] = q->outq[(q->outhead + i) % q->outcap];
		free(q->outq);
		q->outq = p;
		q->outhead = 0;
		q->outcap = nc;
	}
	q->outq[(q->outhead + q->outn) % q->outcap] = t;
	q->outn++;
}

/* R peak of a beat whose envelope peaked at pos: the largest deviation
 * from the chord over [pos - win - pre, pos], either sign. */
static int64_t refine(const bnn_qrs *q, int64_t pos)
{
	int64_t a = pos - q->win - q->refine_pre, b = pos, first = ring_first(q);

	if (a < first)
		a = first;
	if (b > q->n - 1)
		b = q->n - 1;
	if (b <= a)
		return b > 0 ? b : 0;
	double xa = ring_raw(q, a), xb = ring_raw(q, b), best = -1.0;
	int64_t at = a;
	for (int64_t i = a; i <= b; i++) {
		double line = xa + (xb - xa) * (double)(i - a) / (double)(b - a);
		double d = fabs((double)ring_raw(q, i) - line);
		if (d > best) {
			best = d;
			at = i;
		}
	}
	return at;
}

/* ---------------------------------------------------------------------
 * Decisions
 * --------------------------------------------------------------------- */

static void drop_cands_before(bnn_qrs *q, int64_t t)
{
	int k = 0;
	for (int i = 0; i < q->ncand; i++)
		if (q->cands[i].pos >= t)
			q->cands[k++] = q->cands[i];
	q->ncand = k;
}

static void add_cand(bnn_qrs *q, const struct cand *c)
{
	if (q->ncand == NCAND) {	/* full: drop the smallest */
		int m = 0;
		for (int i = 1; i < NCAND; i++)
			if (q->cands[i].h < q->cands[m].h)
				m = i;
		if (q->cands[m].h >= c->h)
			return;
		memmove(&q->cands[m], &q->cands[m + 1],
			(size_t)(NCAND - 1 - m) * sizeof *q->cands);
		q->ncand--;
	}
	q->cands[q->ncand++] = *c;
	q->sb_dirty = 1;
}

static void accept(bnn_qrs *q, const struct cand *c)
{
	queue_beat(q, refine(q, c->pos));
	if (q->have_last)
		hist_push(q->rr, &q->nrr, &q->ri, (double)(c->pos - q->last.pos));
	hist_push(q->qrs, &q->nqrs, &q->qi, c->h);
	q->last = *c;
	q->have_last = 1;
	drop_cands_before(q, c->pos + q->refr);
	q->sb_dirty = 1;
	q->next_decay = c->pos + q->decay;
}

static void finalize_pending(bnn_qrs *q)
{
	if (q->pending) {
		q->pending = 0;
		accept(q, &q->pend);
	}
}

static void evaluate(bnn_qrs *q, const struct cand *c)
{
	if (c->pos < q->suppress_until || !(c->h > 0.0))
		return;
	if (q->pending) {
		int64_t d = c->pos - q->pend.pos;
		if (d < q->refr) {
			if (c->h > q->pend.h)
				q->pend = *c;
			return;
		}
		/* a much steeper complex soon after: the pending one was a
		 * P wave or an artefact */
		if (d < q->twave && c->slope > STEEPER * q->pend.slope &&
		    c->h > q->pend.h) {
			q->pend = *c;
			return;
		}
		finalize_pending(q);
	}
	if (q->have_last) {
		int64_t d = c->pos - q->last.pos;
		if (d < q->refr)
			return;
		if (d < q->twave && c->slope < TWAVE_SLOPE * q->last.slope) {
			hist_push(q->noise, &q->nnoise, &q->ni, c->h);
			return;
		}
	}
	if (c->h >= threshold(q)) {
		q->pend = *c;
		q->pending = 1;
	} else {
		hist_push(q->noise, &q->nnoise, &q->ni, c->h);
		add_cand(q, c);
	}
}

/* The largest kept candidate at or above thr becomes a beat, and so does
 * every earlier one above thr that fits between it and the last beat.
 * Only candidates that a later, larger peak can no longer merge with
 * (older than refractory + peak wait) take part, unless `all`. */
static int search_back(bnn_qrs *q, double thr, int all)
{
	int best = -1;
	for (int i = 0; i < q->ncand; i++) {
		const struct cand *c = &q->cands[i];
		if (q->have_last && c->pos - q->last.pos < q->refr)
			continue;
		if (!all && q->n - c->pos < q->refr + q->wait)
			continue;
		if (c->h >= thr && (best < 0 || c->h > q->cands[best].h))
			best = i;
	}
	if (best < 0)
		return 0;
	struct cand b = q->cands[best], early[NCAND];
	int ne = 0;
	int64_t prev = q->have_last ? q->last.pos : INT64_MIN / 2;
	for (int i = 0; i < best; i++) {	/* the list is in time order */
		const struct cand *c = &q->cands[i];
		if (c->h >= thr && c->pos - prev >= q->refr &&
		    b.pos - c->pos >= q->refr) {
			early[ne++] = *c;
			prev = c->pos;
		}
	}
	for (int i = 0; i < ne; i++)
		accept(q, &early[i]);
	accept(q, &b);
	return 1;
}

static void end_learning(bnn_qrs *q)
{
	double top = 0.0;
	for (int i = 0; i < q->ncand; i++)
		if (q->cands[i].h > top)
			top = q->cands[i].h;
	if (!(top > 0.0))
		return;		/* nothing yet: keep learning */
	q->learning = 0;
	for (int i = 0; i < NHIST; i++)
		q->qrs[i] = top;
	q->nqrs = NHIST;
	q->qi = 0;
	struct cand held[NCAND];
	int nh = q->ncand;
	memcpy(held, q->cands, (size_t)nh * sizeof *held);
	q->ncand = 0;
	for (int i = 0; i < nh; i++)
		evaluate(q, &held[i]);
	q->next_decay = q->n + q->decay;
}

/* Per-sample decision work after the envelope has advanced to q->n. */
static void decide(bnn_qrs *q)
{
	int64_t now = q->n;

	/* Candidates that would break the delay bound go. */
	drop_cands_before(q, now - q->maxdelay + q->win + q->refine_pre + 1);
	if (q->learning) {
		if (now >= q->learn_end)
			end_learning(q);
		return;
	}
	if (q->pending && now - q->pend.pos >= q->twave + q->wait)
		finalize_pending(q);
	if (q->pending)
		return;
	if (q->have_last && q->nrr > 0 && q->sb_dirty &&
	    (double)(now - q->last.pos) >
		    q->o.searchback * median(q->rr, q->nrr)) {
		if (!search_back(q, SB_FRAC * threshold(q), 0))
			q->sb_dirty = 0;
	}
	if (now >= q->next_decay) {
		/* A long silence: lower the beat level, but not into the
		 * noise. */
		double nz = median(q->noise, q->nnoise);
		for (int i = 0; i < q->nqrs; i++)
			if (q->qrs[i] * 0.5 > 2.0 * nz)
				q->qrs[i] *= 0.5;
		q->next_decay = now + q->decay;
		search_back(q, threshold(q), 0);
	}
}

/* Hand the peak held by the peak finder to the decisions. */
static void emit_peak(bnn_qrs *q)
{
	struct cand c = { q->pk_pos, q->pk_max, 0.0 };
	/* steepest slope in the window that made the peak */
	int64_t a = c.pos - q->win + 1, f = ring_first(q);

	if (a < f)
		a = f;
	for (int64_t k = a; k <= c.pos; k++) {
		double s = q->slope[(size_t)(k % (int64_t)q->rlen)];
		if (s > c.slope)
			c.slope = s;
	}
	q->pk_max = 0.0;
	if (q->learning)
		add_cand(q, &c);
	else
		evaluate(q, &c);
}

/* Envelope peak finder: a local maximum is taken once the envelope has
 * fallen to half of it or `wait` samples have passed. */
static void peak_step(bnn_qrs *q, double v)
{
	if (v > q->pk_prev && v > q->pk_max) {
		q->pk_max = v;
		q->pk_pos = q->n;
	} else if (q->pk_max > 0.0 &&
		   (v < 0.5 * q->pk_max || q->n - q->pk_pos >= q->wait)) {
		emit_peak(q);
	}
	q->pk_prev = v;
}

static void restart_filters(bnn_qrs *q, double v)
{
	biquad_rest(&q->hp, v);
	biquad_rest(&q->lp1, 0.0);
	biquad_rest(&q->lp2, 0.0);
	memset(q->bp, 0, (q->dlag + 1) * sizeof *q->bp);
	memset(q->mw, 0, (size_t)q->win * sizeof *q->mw);
	q->mwsum = 0.0;
	q->pk_prev = 0.0;
	q->pk_max = 0.0;
}

static void step(bnn_qrs *q, float x)
{
	size_t r = (size_t)(q->n % (int64_t)q->rlen);

	if (!isfinite(x)) {
		if (!q->in_gap && q->have_valid) {
			/* what came before the gap is complete */
			if (q->pk_max > 0.0)
				emit_peak(q);
			if (q->learning)
				end_learning(q);
			finalize_pending(q);
			q->have_last = 0;
			q->ncand = 0;
		}
		q->in_gap = 1;
		q->raw[r] = q->hold;
		q->slope[r] = 0.0f;
		q->n++;
		return;
	}
	if (!q->have_valid || q->in_gap) {
		restart_filters(q, x);
		q->suppress_until = q->n + q->settle;
		if (q->have_valid)
			q->next_decay = q->n + q->decay;
		q->have_valid = 1;
		q->in_gap = 0;
	}
	q->hold = x;
	q->raw[r] = x;

	double y = biquad_run(&q->lp2, biquad_run(&q->lp1,
				biquad_run(&q->hp, (double)x)));
	size_t bl = q->dlag + 1, bi = (size_t)(q->n % (int64_t)bl);
	double old = q->bp[(bi + 1) % bl];	/* y at n - dlag */
	q->bp[bi] = y;
	double d = fabs(y - old) * q->fs / (double)q->dlag;
	q->slope[r] = (float)d;

	q->mwsum += d - q->mw[q->mwi];
	q->mw[q->mwi] = d;
	if (++q->mwi == (size_t)q->win) {
		q->mwi = 0;
		/* exact re-sum once per window: no drift */
		double s = 0.0;
		for (size_t k = 0; k < (size_t)q->win; k++)
			s += q->mw[k];
		q->mwsum = s;
	}
	double v = q->mwsum / (double)q->win;
	if (v < 0.0)
		v = 0.0;
	peak_step(q, v);
	q->n++;
	decide(q);
}

/* ---------------------------------------------------------------------
 * Public API
 * --------------------------------------------------------------------- */

void bnn_qrs_opts_default(bnn_qrs_opts *o)
{
	if (!o)
		return;
	o->band_lo_hz = 5.0;
	o->band_hi_hz = 15.0;
	o->window_ms = 100.0;
	o->refractory_ms = 200.0;
	o->twave_ms = 360.0;
	o->searchback = 1.66;
}

static int in_range(double v, double lo, double hi)
{
	return isfinite(v) && v >= lo && v <= hi;
}

int bnn_qrs_new(double fs, const bnn_qrs_opts *o, bnn_qrs **out,
		bnn_error *err)
{
	bnn_qrs_opts def;

	if (!out)
		return bnn__err(err, BNN_E_INVAL, "qrs: NULL output");
	*out = NULL;
	if (!in_range(fs, BNN_QRS_FS_MIN, BNN_QRS_FS_MAX))
		return bnn__err(err, BNN_E_INVAL,
				"qrs: sample rate %g Hz outside %g .. %g Hz", fs,
				BNN_QRS_FS_MIN, BNN_QRS_FS_MAX);
	if (!o) {
		bnn_qrs_opts_default(&def);
		o = &def;
	}
	if (!in_range(o->band_lo_hz, 1.0, 20.0) ||
	    !in_range(o->band_hi_hz, o->band_lo_hz + 2.0, 45.0))
		return bnn__err(err, BNN_E_INVAL,
				"qrs: band %g .. %g Hz: want 1 <= lo <= 20, lo + 2 <= hi <= 45",
				o->band_lo_hz, o->band_hi_hz);
	if (!in_range(o->window_ms, 40.0, 200.0) ||
	    !in_range(o->refractory_ms, 120.0, 300.0) ||
	    !in_range(o->twave_ms, o->refractory_ms, 500.0) ||
	    !in_range(o->searchback, 1.2, 3.0))
		return bnn__err(err, BNN_E_INVAL,
				"qrs: window %g ms (40..200), refractory %g ms (120..300), T wave %g ms (refractory..500), search-back %g (1.2..3) out of range",
				o->window_ms, o->refractory_ms, o->twave_ms,
				o->searchback);

	bnn_qrs *q = bnn__calloc(1, sizeof *q);
	if (!q)
		return bnn__err(err, BNN_E_NOMEM, "qrs: out of memory");
	q->fs = fs;
	q->o = *o;
	biquad_design(&q->hp, o->band_lo_hz, fs, 1);
	biquad_design(&q->lp1, o->band_hi_hz, fs, 0);
	biquad_design(&q->lp2, o->band_hi_hz, fs, 0);
	q->win = ms(fs, o->window_ms);
	q->refr = ms(fs, o->refractory_ms);
	q->twave = ms(fs, o->twave_ms);
	q->wait = ms(fs, PEAK_WAIT_MS);
	q->refine_pre = ms(fs, REFINE_PRE_MS);
	q->settle = q->win + ms(fs, SETTLE_EXTRA_MS);
	q->decay = ms(fs, DECAY_S * 1000.0);
	q->maxdelay = ms(fs, BNN_QRS_MAX_DELAY_MS);
	q->learn = ms(fs, LEARN_S * 1000.0);
	q->dlag = (size_t)(ms(fs, DERIV_MS) > 0 ? ms(fs, DERIV_MS) : 1);
	q->rlen = (size_t)(q->maxdelay + q->win + q->refine_pre + 16);
	q->learning = 1;
	q->learn_end = q->learn;
	q->outcap = 64;
	q->raw = bnn__calloc(q->rlen, sizeof *q->raw);
	q->slope = bnn__calloc(q->rlen, sizeof *q->slope);
	q->bp = bnn__calloc(q->dlag + 1, sizeof *q->bp);
	q->mw = bnn__calloc((size_t)q->win, sizeof *q->mw);
	q->outq = bnn__malloc(q->outcap * sizeof *q->outq);
	if (!q->raw || !q->slope || !q->bp || !q->mw || !q->outq) {
		bnn_qrs_free(q);
		return bnn__err(err, BNN_E_NOMEM, "qrs: out of memory");
	}
	*out = q;
	return BNN_OK;
}

void bnn_qrs_free(bnn_qrs *q)
{
	if (!q)
		return;
	free(q->raw);
	free(q->slope);
	free(q->bp);
	free(q->mw);
	free(q->outq);
	free(q);
}

size_t bnn_qrs_queued(const bnn_qrs *q)
{
	return q ? q->outn : 0;
}

static void drain(bnn_qrs *q, int64_t *beats, size_t cap, size_t *nout)
{
	size_t k = 0;
	while (k < cap && q->outn) {
		beats[k++] = q->outq[q->outhead];
		q->outhead = (q->outhead + 1) % q->outcap;
		q->outn--;
	}
	*nout = k;
}

/* The end of push and flush: the decided beats go out (as many as fit);
 * an allocation that failed while deciding them is reported once. */
static int hand_out(bnn_qrs *q, int64_t *beats, size_t cap, size_t *nout,
		    const char *what, bnn_error *err)
{
	int oom = q->oom;

	q->oom = 0;
	drain(q, beats, cap, nout);
	if (oom)
		return bnn__err(err, BNN_E_NOMEM,
				"qrs %s: out of memory (beats lost)", what);
	return BNN_OK;
}

int bnn_qrs_push(bnn_qrs *q, const float *x, size_t n, int64_t *beats,
		 size_t cap, size_t *nout, bnn_error *err)
{
	if (nout)
		*nout = 0;
	if (!q || !nout || (!x && n) || (!beats && cap))
		return bnn__err(err, BNN_E_INVAL, "qrs push: NULL argument");
	if (q->flushed)
		return bnn__err(err, BNN_E_STATE, "qrs push: detector already flushed");
	for (size_t i = 0; i < n; i++)
		step(q, x[i]);
	return hand_out(q, beats, cap, nout, "push", err);
}

int bnn_qrs_flush(bnn_qrs *q, int64_t *beats, size_t cap, size_t *nout,
		  bnn_error *err)
{
	if (nout)
		*nout = 0;
	if (!q || !nout || (!beats && cap))
		return bnn__err(err, BNN_E_INVAL, "qrs flush: NULL argument");
	if (!q->flushed) {
		q->flushed = 1;
		if (!q->in_gap && q->pk_max > 0.0)
			emit_peak(q);	/* the envelope never fell */
		if (q->learning)
			end_learning(q);
		finalize_pending(q);
		if (q->have_last && q->nrr > 0 &&
		    (double)(q->n - q->last.pos) >
			    q->o.searchback * median(q->rr, q->nrr))
			while (search_back(q, SB_FRAC * threshold(q), 1))
				;
	}
	return hand_out(q, beats, cap, nout, "flush", err);
}

int bnn_qrs_detect(const float *x, size_t n, double fs,
		   const bnn_qrs_opts *o, int64_t **beats, size_t *nbeats,
		   bnn_error *err)
{
	if (beats)
		*beats = NULL;
	if (nbeats)
		*nbeats = 0;
	if (!beats || !nbeats || !x)
		return bnn__err(err, BNN_E_INVAL, "qrs: NULL argument");
	if (n == 0)
		return bnn__err(err, BNN_E_INVAL, "qrs: empty signal");

	bnn_qrs *q;
	int rc = bnn_qrs_new(fs, o, &q, err);
	if (rc)
		return rc;
	size_t cap = 1024, nb = 0, got;
	int64_t *b = bnn__malloc(cap * sizeof *b);
	if (!b) {
		bnn_qrs_free(q);
		return bnn__err(err, BNN_E_NOMEM, "qrs: out of memory");
	}
	const size_t chunk = 65536;
	for (size_t i = 0; i <= n && rc == BNN_OK;) {
		if (nb == cap) {
			int64_t *p = bnn__realloc(b, 2 * cap * sizeof *b);
			if (!p) {
				rc = bnn__err(err, BNN_E_NOMEM, "qrs: out of memory");
				break;
			}
			b = p;
			cap *= 2;
		}
		if (i < n) {
			size_t m = n - i < chunk ? n - i : chunk;
			rc = bnn_qrs_push(q, x + i, m, b + nb, cap - nb, &got, err);
			i += m;
		} else {
			rc = bnn_qrs_flush(q, b + nb, cap - nb, &got, err);
			if (got < cap - nb)
				i++;	/* drained: done */
		}
		nb += got;
		/* beats left queued: drain before feeding more */
		while (rc == BNN_OK && bnn_qrs_queued(q) && nb == cap) {
			int64_t *p = bnn__realloc(b, 2 * cap * sizeof *b);
			if (!p) {
				rc = bnn__err(err, BNN_E_NOMEM, "qrs: out of memory");
				break;
			}
			b = p;
			cap *= 2;
			rc = bnn_qrs_push(q, NULL, 0, b + nb, cap - nb, &got, err);
			nb += got;
		}
	}
	bnn_qrs_free(q);
	if (rc) {
		free(b);
		return rc;
	}
	if (nb == 0) {
		free(b);
		b = NULL;
	}
	*beats = b;
	*nbeats = nb;
	return BNN_OK;
}

/* ---------------------------------------------------------------------
 * Beat matching
 *
 * Nearest-first one-to-one matching.  On a line the closest unmatched
 * (reference, detection) pair is always adjacent in the merged order of
 * the still unmatched beats, so a heap of adjacent mixed pairs over a
 * linked merged list gives the greedy matching in O(n log n).
 * --------------------------------------------------------------------- */

struct mnode {
	int64_t t;
	long idx;		/* index in its own array */
	int det;		/* 0 reference, 1 detection */
	long prev, next;	/* merged list, -1 = none */
	int gone;
};

struct mpair {
	int64_t d;		/* distance */
	int64_t tref, tdet;
	long a, b;		/* adjacent nodes, a before b */
};

static int pair_less(const struct mpair *x, const struct mpair *y)
{
	if (x->d != y->d)
		return x->d < y->d;
	if (x->tref != y->tref)
		return x->tref < y->tref;
	return x->tdet < y->tdet;
}

static void heap_push(struct mpair *h, size_t *n, struct mpair p)
{
	size_t i = (*n)++;
	h[i] = p;
	while (i && pair_less(&h[i], &h[(i - 1) / 2])) {
		struct mpair t = h[i];
		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static struct mpair heap_pop(struct mpair *h, size_t *n)
{
	struct mpair top = h[0];
	h[0] = h[--(*n)];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < *n && pair_less(&h[l], &h[m]))
			m = l;
		if (r < *n && pair_less(&h[r], &h[m]))
			m = r;
		if (m == i)
			break;
		struct mpair t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
	return top;
}

static void try_pair(const struct mnode *v, long a, long b, int64_t w,
		     struct mpair *h, size_t *nh)
{
	if (a < 0 || b < 0 || v[a].det == v[b].det)
		return;
	int64_t d = v[b].t - v[a].t;
	if (d > w)
		return;
	struct mpair p = { d, v[a].det ? v[b].t : v[a].t,
			   v[a].det ? v[a].t : v[b].t, a, b };
	heap_push(h, nh, p);
}

void bnn_match_result_free(bnn_match_result *m)
{
	if (!m)
		return;
	free(m->det_of_ref);
	free(m->ref_of_det);
	memset(m, 0, sizeof *m);
}

int bnn_beat_match(const int64_t *ref, size_t nref, const int64_t *det,
		   size_t ndet, double fs, double window_s,
		   bnn_match_result *out, bnn_error *err)
{
	if (!out)
		return bnn__err(err, BNN_E_INVAL, "match: NULL output");
	memset(out, 0, sizeof *out);
	if ((!ref && nref) || (!det && ndet))
		return bnn__err(err, BNN_E_INVAL, "match: NULL beats");
	if (!(isfinite(fs) && fs > 0.0) || !(isfinite(window_s) && window_s >= 0.0))
		return bnn__err(err, BNN_E_INVAL,
				"match: rate %g Hz and window %g s must be finite, rate > 0, window >= 0",
				fs, window_s);
	if (window_s * fs > 1e15)
		return bnn__err(err, BNN_E_INVAL, "match: window %g s too long", window_s);
	for (size_t i = 1; i < nref; i++)
		if (ref[i] < ref[i - 1])
			return bnn__err(err, BNN_E_INVAL,
					"match: reference beat %zu (%lld) before the previous one",
					i, (long long)ref[i]);
	for (size_t i = 1; i < ndet; i++)
		if (det[i] < det[i - 1])
			return bnn__err(err, BNN_E_INVAL,
					"match: detected beat %zu (%lld) before the previous one",
					i, (long long)det[i]);
	size_t nn = nref + ndet;
	if (nn < nref || nn > (size_t)1 << 40)
		return bnn__err(err, BNN_E_RANGE, "match: too many beats");
	/* a window in samples: matches when |d| <= window_s * fs */
	int64_t w = (int64_t)floor(window_s * fs + 1e-9);

	out->det_of_ref = bnn__malloc((nref ? nref : 1) * sizeof(long));
	out->ref_of_det = bnn__malloc((ndet ? ndet : 1) * sizeof(long));
	struct mnode *v = bnn__malloc((nn ? nn : 1) * sizeof *v);
	struct mpair *h = bnn__malloc((nn ? nn : 1) * 2 * sizeof *h);
	if (!out->det_of_ref || !out->ref_of_det || !v || !h) {
		free(v);
		free(h);
		bnn_match_result_free(out);
		return bnn__err(err, BNN_E_NOMEM, "match: out of memory");
	}
	for (size_t i = 0; i < nref; i++)
		out->det_of_ref[i] = -1;
	for (size_t i = 0; i < ndet; i++)
		out->ref_of_det[i] = -1;
	/* merge (references first on ties) */
	size_t i = 0, j = 0, k = 0;
	while (i < nref || j < ndet) {
		int takeref = j >= ndet || (i < nref && ref[i] <= det[j]);
		v[k].t = takeref ? ref[i] : det[j];
		v[k].idx = (long)(takeref ? i++ : j++);
		v[k].det = !takeref;
		v[k].prev = (long)k - 1;
		v[k].next = k + 1 < nn ? (long)k + 1 : -1;
		v[k].gone = 0;
		k++;
	}
	size_t nh = 0;
	for (k = 0; k + 1 < nn; k++)
		try_pair(v, (long)k, (long)k + 1, w, h, &nh);
	double errsum = 0.0;
	while (nh) {
		struct mpair p = heap_pop(h, &nh);
		if (v[p.a].gone || v[p.b].gone || v[p.a].next != p.b)
			continue;	/* stale */
		long r = v[p.a].det ? p.b : p.a, d = v[p.a].det ? p.a : p.b;
		out->det_of_ref[v[r].idx] = v[d].idx;
		out->ref_of_det[v[d].idx] = v[r].idx;
		out->tp++;
		errsum += (double)p.d;
		v[p.a].gone = v[p.b].gone = 1;
		long L = v[p.a].prev, R = v[p.b].next;
		if (L >= 0)
			v[L].next = R;
		if (R >= 0)
			v[R].prev = L;
		/* the heap holds at most one live pair per adjacency: the
		 * total stays below 2 * nn */
		try_pair(v, L, R, w, h, &nh);
	}
	free(v);
	free(h);
	out->nref = nref;
	out->ndet = ndet;
	out->fn = nref - out->tp;
	out->fp = ndet - out->tp;
	out->se = nref ? (double)out->tp / (double)nref : NAN;
	out->ppv = ndet ? (double)out->tp / (double)ndet : NAN;
	out->mean_abs_err_s = out->tp ? errsum / (double)out->tp / fs : 0.0;
	return BNN_OK;
}
