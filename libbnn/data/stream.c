// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * stream.c - libbnn data: live streams (bnn_data.h, "Live streams"): beat
 * items and windows built incrementally, equal to the batch path's.
 *
 * The signal passes through stages, each held in a sliding buffer
 * addressed by absolute sample index:
 *   input (pushed samples) -> grid (resampled to the output rate; the
 *   input itself at equal rates) -> processed (median baseline, low-pass)
 * The grid is computed sample by sample once the resampling kernel's
 * inputs are there.  The processed signal is computed in blocks: the
 * block [p_end, e) from the grid slice [p_end - margin, e + margin) with
 * bnn_baseline_median and bnn_lowpass themselves; margin = the support of
 * both filters (short and long median half-widths + the FIR half length),
 * so every sample of the block sees exactly the inputs it sees in the
 * batch code (at the record's true start the slice starts at 0 and the
 * edge rule is the batch's; at the end likewise once the end is known).
 */
#include "beats_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Sliding buffers: samples [off, off + n) at v[start ...].
 * --------------------------------------------------------------------- */

struct sbuf {
	float *v;
	size_t cap, start, n;
	int64_t off;
};

static inline const float *sb_ptr(const struct sbuf *b)
{
	return b->v ? b->v + b->start : NULL;
}

static inline int64_t sb_end(const struct sbuf *b)
{
	return b->off + (int64_t)b->n;
}

static inline float sb_at(const struct sbuf *b, int64_t k)
{
	return b->v[b->start + (size_t)(k - b->off)];
}

/* Room for `more` samples after the end (compacting first). */
static int sb_reserve(struct sbuf *b, size_t more)
{
	if (b->start + b->n + more <= b->cap)
		return 0;
	if (b->start && b->n + more <= b->cap) {
		memmove(b->v, b->v + b->start, b->n * sizeof *b->v);
		b->start = 0;
		return 0;
	}
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->n + more)
		cap *= 2;
	float *v = bnn__malloc(cap * sizeof *v);
	if (!v)
		return -1;
	if (b->n)
		memcpy(v, b->v + b->start, b->n * sizeof *v);
	free(b->v);
	b->v = v;
	b->cap = cap;
	b->start = 0;
	return 0;
}

static int sb_append(struct sbuf *b, const float *x, size_t n)
{
	if (sb_reserve(b, n))
		return -1;
	memcpy(b->v + b->start + b->n, x, n * sizeof *x);
	b->n += n;
	return 0;
}

/* Forget the samples before k. */
static void sb_drop_before(struct sbuf *b, int64_t k)
{
	if (k <= b->off)
		return;
	size_t d = k - b->off > (int64_t)b->n ? b->n : (size_t)(k - b->off);
	b->start += d;
	b->n -= d;
	b->off += (int64_t)d;
	if (!b->n)
		b->start = 0;
}

static size_t sb_bytes(const struct sbuf *b)
{
	return b->cap * sizeof(float);
}

/* ---------------------------------------------------------------------
 * Resampling stage: input -> grid (bnn_resample's samples).
 * --------------------------------------------------------------------- */

struct rstage {
	double fs_in, fs_out;
	int same;
	bnn_resample_method m;
	struct sbuf in, out;	/* out unused when same */
	int64_t n_in;		/* samples pushed */
	int64_t m_total;	/* grid length, once finished */
	int finished;
	struct bnn__interp ip;	/* kernel geometry (x, off set per use) */
};

static void rs_init(struct rstage *rs, double fs_in, double fs_out,
		    bnn_resample_method m)
{
	memset(rs, 0, sizeof *rs);
	rs->fs_in = fs_in;
	rs->fs_out = fs_out;
	rs->same = fs_out == fs_in;
	rs->m = m;
	bnn__interp_init(&rs->ip, NULL, 0, BNN__N_OPEN, fs_in, fs_out, m);
}

static const struct sbuf *rs_grid(const struct rstage *rs)
{
	return rs->same ? &rs->in : &rs->out;
}

/* Grid samples computed so far. */
static int64_t rs_avail(const struct rstage *rs)
{
	return sb_end(rs_grid(rs));
}

/* Lowest input sample the next grid samples read. */
static int64_t rs_in_need(const struct rstage *rs)
{
	if (rs->same)
		return sb_end(&rs->out);	/* unused: caller decides */
	int64_t lo, hi;
	bnn__interp_span(&rs->ip, bnn__resample_pos(sb_end(&rs->out), rs->fs_in,
						    rs->fs_out), &lo, &hi);
	return lo < 0 ? 0 : lo;
}

/* Every grid sample whose kernel inputs are there (all of them once
 * finished). */
static int rs_advance(struct rstage *rs)
{
	if (rs->same)
		return 0;
	struct bnn__interp ip = rs->ip;
	ip.x = sb_ptr(&rs->in);
	ip.off = rs->in.off;
	ip.n = rs->finished ? rs->n_in : BNN__N_OPEN;
	int64_t j = sb_end(&rs->out), stop = j;
	if (rs->finished) {
		stop = rs->m_total;
	} else {
		/* The last j whose kernel ends inside the input. */
		for (;;) {
			int64_t lo, hi;
			bnn__interp_span(&ip, bnn__resample_pos(stop, rs->fs_in,
								rs->fs_out),
					 &lo, &hi);
			if (hi > rs->n_in - 1)
				break;
			stop++;
		}
	}
	if (stop <= j)
		return 0;
	if (sb_reserve(&rs->out, (size_t)(stop - j)))
		return -1;
	float *y = rs->out.v + rs->out.start + rs->out.n;
	for (int64_t k = j; k < stop; k++)
		*y++ = (float)bnn__interp_at(&ip, bnn__resample_pos(k, rs->fs_in,
								   rs->fs_out));
	rs->out.n += (size_t)(stop - j);
	return 0;
}

/* The end is known; grid: compute the rest of the grid too. */
static int rs_finish(struct rstage *rs, int grid)
{
	rs->finished = 1;
	rs->m_total = rs->n_in ? bnn__resample_count(rs->n_in, rs->fs_in,
						     rs->fs_out) : 0;
	if (rs->same)
		rs->m_total = rs->n_in;
	return rs->n_in && grid ? rs_advance(rs) : 0;
}

static void rs_free(struct rstage *rs)
{
	free(rs->in.v);
	free(rs->out.v);
}

static int check_samples(const float *x, size_t n, int64_t first,
			 const char *who, bnn_error *err)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return bnn__err(err, BNN_E_RANGE,
					"%s: sample %lld is not finite (nothing of this push used)",
					who, (long long)(first + (int64_t)i));
	return BNN_OK;
}

/* ---------------------------------------------------------------------
 * Beat stream
 * --------------------------------------------------------------------- */

struct pend {
	int64_t s;		/* R peak, input sample */
	size_t idx;		/* beat index */
	long long c;		/* centre on the grid */
	int fit;		/* -1 undecided, 0 dropped, 1 kept */
	int have_amp, have_win;
	int late;		/* reported after its samples were let go */
	double amp;
	float *win;		/* len samples once have_win */
};

struct outitem {
	int64_t sample, ready;
	long long c;
	size_t idx;
	float *x;
	float rhythm[BNN_FEAT_COUNT];
};

struct bnn_beat_stream {
	bnn_beat_opts o;
	double fs_in;
	uint32_t features;
	struct bnn__geom g;
	int prep;		/* baseline, low-pass or QRS amplitude */
	size_t len;
	bnn_qrs *q;
	struct rstage rs;
	/* processed grid (prep) */
	struct sbuf p;
	int64_t margin, block;
	long long before, after;	/* QRS amplitude span */
	int64_t delay_in;	/* detector's bound, input samples (+ 1 s) */
	float *tmp_a, *tmp_b;
	size_t tmp_cap;
	/* beat times: beat t_off + k at t[t_start + k] */
	int64_t *t;
	size_t t_cap, t_start, t_n, t_off;
	size_t nbeats, rr_lo;
	/* beats not yet decided, in order */
	struct pend *pq;
	size_t pq_cap, pq_head, pq_n;
	double amp_hist[BNN__QRS_HISTORY];
	size_t namp;
	struct bnn__ref ref;	/* ref_beats */
	/* finished items */
	struct outitem *oq;
	size_t oq_cap, oq_head, oq_n;
	float *cur;		/* x of the item last returned */
	int finished, broken;
	size_t items, dropped, late;
};

void bnn_beat_stream_opts_default(bnn_beat_stream_opts *o, double fs_in)
{
	if (!o)
		return;
	memset(o, 0, sizeof *o);
	o->fs_in = fs_in;
	bnn_beat_opts_default(&o->beat);
	o->beat.lead = NULL;
	bnn_qrs_opts_default(&o->qrs);
}

static int nomem(bnn_beat_stream *s, bnn_error *err)
{
	s->broken = 1;
	return bnn__err(err, BNN_E_NOMEM, "stream: out of memory");
}

int bnn_beat_stream_new(const bnn_beat_stream_opts *o, bnn_beat_stream **out,
			bnn_error *err)
{
	if (out)
		*out = NULL;
	if (!o || !out)
		return bnn__err(err, BNN_E_INVAL, "stream: NULL argument");
	double fs_in = o->fs_in;
	if (!(isfinite(fs_in) && fs_in >= BNN_QRS_FS_MIN &&
	      fs_in <= BNN_QRS_FS_MAX))
		return bnn__err(err, BNN_E_INVAL,
				"stream: input rate %g Hz must be %g .. %g Hz (the QRS detector's range)",
				fs_in, BNN_QRS_FS_MIN, BNN_QRS_FS_MAX);
	int rc = bnn__beat_opts_check(&o->beat, err);
	if (rc)
		return bnn__err_prefix(err, "stream");
	if (o->features & ~(uint32_t)BNN_STREAM_FEAT_ALL)
		return bnn__err(err, BNN_E_INVAL,
				"stream: feature mask 0x%x has bits beyond the %d features",
				o->features, BNN_FEAT_COUNT);
	bnn_beat_stream *s = bnn__calloc(1, sizeof *s);
	if (!s)
		return bnn__err(err, BNN_E_NOMEM, "stream: out of memory");
	s->o = o->beat;
	s->o.lead = NULL;
	s->o.map = NULL;
	s->fs_in = fs_in;
	s->features = o->features;
	bnn__geom_init(&s->g, fs_in, &s->o, BNN__N_OPEN);
	double fs = s->g.fs_out;
	s->prep = s->o.baseline || s->o.lowpass_hz > 0 || s->o.amp_norm;
	s->len = (size_t)s->o.pre + (size_t)s->o.post;
	if (s->o.lowpass_hz > 0 && !(s->o.lowpass_hz < fs / 2)) {
		rc = bnn__err(err, BNN_E_INVAL,
			      "stream: low-pass cut-off %g Hz must be below half the output rate %g Hz",
			      s->o.lowpass_hz, fs);
		goto fail;
	}
	if (s->o.baseline &&
	    !(BNN_BASELINE_LONG_S * fs < (double)BNN_MEDIAN_MAX_WIN)) {
		rc = bnn__err(err, BNN_E_INVAL,
			      "stream: output rate %g Hz too high for the median baseline",
			      fs);
		goto fail;
	}
	if (bnn__ref_init(&s->ref, s->len, (size_t)s->o.ref_beats)) {
		rc = bnn__err(err, BNN_E_NOMEM, "stream: out of memory");
		goto fail;
	}
	if ((rc = bnn_qrs_new(fs_in, &o->qrs, &s->q, err)))
		goto fail;
	rs_init(&s->rs, fs_in, fs, s->o.resample);
	if (s->o.baseline)
		s->margin = (int64_t)(bnn__median_len(BNN_BASELINE_SHORT_S, fs) / 2 +
				      bnn__median_len(BNN_BASELINE_LONG_S, fs) / 2);
	if (s->o.lowpass_hz > 0)
		s->margin += (int64_t)bnn_lowpass_half_len(fs, s->o.lowpass_hz);
	s->block = 2 * s->margin > (int64_t)lround(0.5 * fs) ?
		   2 * s->margin : (int64_t)lround(0.5 * fs);
	bnn__qrs_reach(fs, &s->before, &s->after);
	s->delay_in = (int64_t)ceil((BNN_QRS_MAX_DELAY_MS / 1000.0 + 1.0) * fs_in);
	s->rr_lo = 1;
	*out = s;
	return BNN_OK;
fail:
	bnn_beat_stream_free(s);
	return rc;
}

void bnn_beat_stream_free(bnn_beat_stream *s)
{
	if (!s)
		return;
	bnn_qrs_free(s->q);
	rs_free(&s->rs);
	free(s->p.v);
	free(s->tmp_a);
	free(s->tmp_b);
	free(s->t);
	for (size_t i = 0; i < s->pq_n; i++)
		free(s->pq[(s->pq_head + i) % s->pq_cap].win);
	free(s->pq);
	for (size_t i = 0; i < s->oq_n; i++)
		free(s->oq[(s->oq_head + i) % s->oq_cap].x);
	free(s->oq);
	free(s->cur);
	bnn__ref_free(&s->ref);
	free(s);
}

/* Grow a ring of `size`-byte elements to hold one more. */
static int ring_grow(void **ring, size_t *cap, size_t *head, size_t n,
		     size_t size)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? 2 * *cap : 16;
	char *p = bnn__malloc(nc * size);
	if (!p)
		return -1;
	for (size_t i = 0; i < n; i++)
		memcpy(p + i * size, (char *)*ring + ((*head + i) % *cap) * size,
		       size);
	free(*ring);
	*ring = p;
	*cap = nc;
	*head = 0;
	return 0;
}

/* A beat reported by the detector. */
static int add_beat(bnn_beat_stream *s, int64_t t)
{
	if (s->t_start + s->t_n == s->t_cap) {
		if (s->t_start) {
			memmove(s->t, s->t + s->t_start, s->t_n * sizeof *s->t);
			s->t_start = 0;
		} else {
			size_t nc = s->t_cap ? 2 * s->t_cap : 64;
			int64_t *p = bnn__realloc(s->t, nc * sizeof *p);
			if (!p)
				return -1;
			s->t = p;
			s->t_cap = nc;
		}
	}
	if (s->t_start + s->t_n == s->t_cap) {
		size_t nc = 2 * s->t_cap;
		int64_t *p = bnn__realloc(s->t, nc * sizeof *p);
		if (!p)
			return -1;
		s->t = p;
		s->t_cap = nc;
	}
	s->t[s->t_start + s->t_n++] = t;
	if (ring_grow((void **)&s->pq, &s->pq_cap, &s->pq_head, s->pq_n,
		      sizeof *s->pq))
		return -1;
	struct pend *b = &s->pq[(s->pq_head + s->pq_n++) % s->pq_cap];
	memset(b, 0, sizeof *b);
	b->s = t;
	b->idx = s->nbeats++;
	b->c = bnn__out_centre(&s->g, t);
	b->fit = -1;
	return 0;
}

static struct pend *pend_at(bnn_beat_stream *s, size_t i)
{
	return &s->pq[(s->pq_head + i) % s->pq_cap];
}

/* Nothing more to take from the signal for beat b. */
static int pend_done(const bnn_beat_stream *s, const struct pend *b)
{
	return b->late || ((b->have_win || b->fit == 0) &&
			   (b->have_amp || !s->o.amp_norm));
}

/* Grid length for the edge rule: known once finished. */
static int64_t grid_n(const bnn_beat_stream *s)
{
	return s->finished ? s->rs.m_total : BNN__N_OPEN;
}

/* Processed samples [lo, hi] a beat reads (amplitude and window). */
static void beat_reach(const bnn_beat_stream *s, const struct pend *b,
		       int64_t *lo, int64_t *hi)
{
	long long a = b->c - s->o.pre, e = b->c + s->o.post - 1;
	if (s->o.amp_norm) {
		a = b->c - s->before < a ? b->c - s->before : a;
		e = b->c + s->after > e ? b->c + s->after : e;
	}
	int64_t m = grid_n(s);
	*lo = a < 0 ? 0 : a > m - 1 ? m - 1 : a;
	*hi = e < 0 ? 0 : e > m - 1 ? m - 1 : e;
}

static int grow_tmp(bnn_beat_stream *s, size_t n)
{
	if (n <= s->tmp_cap)
		return 0;
	float *a = bnn__realloc(s->tmp_a, n * sizeof *a);
	if (!a)
		return -1;
	s->tmp_a = a;
	float *b = bnn__realloc(s->tmp_b, n * sizeof *b);
	if (!b)
		return -1;
	s->tmp_b = b;
	s->tmp_cap = n;
	return 0;
}

/* Processed samples [p_end, e) from the grid slice around them. */
static int process_block(bnn_beat_stream *s, int64_t e, bnn_error *err)
{
	const struct sbuf *gr = rs_grid(&s->rs);
	int64_t p_end = sb_end(&s->p), a = p_end - s->margin;
	int64_t b = rs_avail(&s->rs);
	if (a < 0)
		a = 0;
	if (!s->finished && e + s->margin < b)
		b = e + s->margin;
	size_t n = (size_t)(b - a);
	if (grow_tmp(s, n))
		return nomem(s, err);
	memcpy(s->tmp_a, sb_ptr(gr) + (a - gr->off), n * sizeof(float));
	float *y = s->tmp_a;
	int rc;
	if (s->o.baseline &&
	    (rc = bnn_baseline_median(s->tmp_a, n, s->g.fs_out, s->tmp_a, err)))
		goto fail;
	if (s->o.lowpass_hz > 0) {
		if ((rc = bnn_lowpass(s->tmp_a, n, s->g.fs_out, s->o.lowpass_hz,
				      s->tmp_b, err)))
			goto fail;
		y = s->tmp_b;
	}
	if (sb_append(&s->p, y + (p_end - a), (size_t)(e - p_end)))
		return nomem(s, err);
	return BNN_OK;
fail:
	s->broken = 1;
	return bnn__err_prefix(err, "stream");
}

/* Extend the processed signal when a beat needs it or a block is due. */
static int advance_processed(bnn_beat_stream *s, bnn_error *err)
{
	int64_t avail = rs_avail(&s->rs), p_end = sb_end(&s->p);
	int64_t valid = s->finished ? avail : avail - s->margin;
	if (valid <= p_end)
		return BNN_OK;
	int due = s->finished || valid - p_end >= s->block;
	for (size_t i = 0; i < s->pq_n && !due; i++) {
		struct pend *b = pend_at(s, i);
		int64_t lo, hi;
		if (pend_done(s, b))
			continue;
		beat_reach(s, b, &lo, &hi);
		if (hi >= p_end && hi < valid)
			due = 1;
	}
	return due ? process_block(s, valid, err) : BNN_OK;
}

/* The window of beat b from the input (no preprocessing). */
static int raw_window(bnn_beat_stream *s, struct pend *b)
{
	const struct sbuf *in = &s->rs.in;
	float *y = b->win;
	if (s->g.same) {
		for (size_t q = 0; q < s->len; q++)
			y[q] = sb_at(in, b->s - s->o.pre + (int64_t)q);
		return 1;
	}
	struct bnn__interp ip = s->rs.ip;
	int64_t lo, hi;
	double last = (double)b->s + ((double)(s->len - 1) - s->o.pre) * s->g.r;
	bnn__interp_span(&ip, last, &lo, &hi);
	if (!s->finished && hi > s->rs.n_in - 1)
		return 0;
	ip.x = sb_ptr(in);
	ip.off = in->off;
	ip.n = s->finished ? s->rs.n_in : BNN__N_OPEN;
	for (size_t q = 0; q < s->len; q++) {
		double t = (double)b->s + ((double)q - s->o.pre) * s->g.r;
		y[q] = (float)bnn__interp_at(&ip, t);
	}
	return 1;
}

/* Lowest input sample the raw window of beat b reads. */
static int64_t raw_lo(const bnn_beat_stream *s, const struct pend *b)
{
	if (s->g.same)
		return b->s - s->o.pre;
	int64_t lo, hi;
	bnn__interp_span(&s->rs.ip, (double)b->s + (0.0 - s->o.pre) * s->g.r,
			 &lo, &hi);
	return lo < 0 ? 0 : lo;
}

/* Decide, measure and cut what the signal allows for pending beats. */
static int materialize(bnn_beat_stream *s)
{
	int64_t p_end = sb_end(&s->p);
	for (size_t i = 0; i < s->pq_n; i++) {
		struct pend *b = pend_at(s, i);
		int64_t lo, hi;
		if (pend_done(s, b))
			continue;
		if (s->prep)
			beat_reach(s, b, &lo, &hi);
		if (s->prep ? lo < s->p.off : raw_lo(s, b) < s->rs.in.off) {
			b->late = 1;
			s->late++;
			continue;
		}
		if (b->fit < 0) {
			struct bnn__geom g = s->g;
			if (!bnn__window_fits(&g, b->s)) {
				b->fit = 0;	/* leaves the start */
			} else {
				g.n = s->rs.n_in;
				if (bnn__window_fits(&g, b->s))
					b->fit = 1;
				else if (s->finished)
					b->fit = 0;
			}
			if (b->fit == 0)
				s->dropped++;
		}
		if (b->fit == 1 && !b->win &&
		    !(b->win = bnn__malloc(s->len * sizeof(float))))
			return -1;
		if (!s->prep) {
			if (b->fit == 1)
				b->have_win = raw_window(s, b);
			continue;
		}
		if (hi >= p_end)
			continue;
		if (s->o.amp_norm && !b->have_amp) {
			b->amp = bnn__qrs_amp(sb_ptr(&s->p), s->p.off, grid_n(s),
					      b->c, s->before, s->after);
			b->have_amp = 1;
		}
		if (b->fit == 1) {
			int64_t m = grid_n(s);
			for (size_t q = 0; q < s->len; q++) {
				long long t = b->c - s->o.pre + (long long)q;
				t = t < 0 ? 0 : t > m - 1 ? m - 1 : t;
				b->win[q] = sb_at(&s->p, t);
			}
			b->have_win = 1;
		}
	}
	return 0;
}

/* The head beat can be decided. */
static int head_ready(const bnn_beat_stream *s, const struct pend *b)
{
	if (b->late)
		return 1;
	if (b->fit < 0)
		return 0;
	if (s->o.amp_norm && !b->have_amp)
		return 0;
	if (b->fit == 0)
		return 1;
	if (!b->have_win)
		return 0;
	if (s->finished)
		return 1;
	uint32_t post = BNN_STREAM_FEAT(BNN_FEAT_POST_RR) |
			BNN_STREAM_FEAT(BNN_FEAT_POST_PRE);
	if ((s->features & post) && s->nbeats < b->idx + 2)
		return 0;
	if (s->features && b->idx == 0 && s->nbeats < 2)
		return 0;
	return 1;
}

static int resolve(bnn_beat_stream *s)
{
	while (s->pq_n) {
		struct pend *b = pend_at(s, 0);
		if (!head_ready(s, b))
			break;
		float row[BNN_FEAT_COUNT];
		if (b->late)
			goto pop;
		if (s->o.amp_norm)
			s->amp_hist[s->namp++ % BNN__QRS_HISTORY] = b->amp;
		/* Every beat's row, as the batch computes them all: the
		 * LONG_RR scan position moves the same way. */
		if (s->nbeats >= 2)
			bnn__rhythm_row(s->t + s->t_start, s->t_off, b->idx,
					s->nbeats, s->fs_in, &s->rr_lo, row);
		else
			for (int f = 0; f < BNN_FEAT_COUNT; f++)
				row[f] = NAN;
		if (b->fit == 1) {
			if (ring_grow((void **)&s->oq, &s->oq_cap, &s->oq_head,
				      s->oq_n, sizeof *s->oq))
				return -1;
			struct outitem *it = &s->oq[(s->oq_head + s->oq_n) % s->oq_cap];
			if (s->o.amp_norm) {
				size_t k = s->namp < BNN__QRS_HISTORY ? s->namp :
					   BNN__QRS_HISTORY;
				bnn__amp_scale(b->win, s->len,
					       bnn__median_small(s->amp_hist, k));
			}
			if (s->o.ref_beats)
				bnn__ref_apply(&s->ref, b->win);
			if (s->o.norm == BNN_NORM_ZSCORE)
				bnn__zscore_window(b->win, s->len);
			memcpy(it->rhythm, row, sizeof row);
			it->sample = b->s;
			it->ready = s->rs.n_in - 1;
			it->c = b->c;
			it->idx = b->idx;
			it->x = b->win;
			b->win = NULL;
			s->oq_n++;
			s->items++;
		}
pop:
		free(b->win);
		s->pq_head = (s->pq_head + 1) % s->pq_cap;
		s->pq_n--;
	}
	return 0;
}

/* Let go of what no pending or future beat reads. */
static void trim(bnn_beat_stream *s)
{
	/* Beat times: LONG_RR's scan start and LOCAL_RR's 11 beats back. */
	size_t head = s->pq_n ? pend_at(s, 0)->idx : s->nbeats;
	size_t keep = s->rr_lo - 1;
	if (head >= 11 && head - 11 < keep)
		keep = head - 11;
	else if (head < 11)
		keep = 0;
	if (keep > s->t_off) {
		size_t d = keep - s->t_off;
		d = d > s->t_n ? s->t_n : d;
		s->t_start += d;
		s->t_n -= d;
		s->t_off += d;
	}

	/* Future beats: R peak after n_in - 1 - delay_in. */
	int64_t sfut = s->rs.n_in - 1 - s->delay_in;
	if (sfut < 0)
		sfut = 0;
	if (!s->prep) {
		int64_t need = sfut;
		for (size_t i = 0; i < s->pq_n; i++)
			if (!pend_done(s, pend_at(s, i)) && pend_at(s, i)->s < need)
				need = pend_at(s, i)->s;
		double back = s->o.pre * s->g.r + (s->g.same ? 0 : s->rs.ip.half) + 2;
		int64_t k = need - (int64_t)ceil(back);
		sb_drop_before(&s->rs.in, k < 0 ? 0 : k);
		return;
	}
	long long reach = s->o.pre > s->before ? s->o.pre : s->before;
	int64_t pneed = bnn__out_centre(&s->g, sfut) - reach - 2;
	for (size_t i = 0; i < s->pq_n; i++) {
		struct pend *b = pend_at(s, i);
		int64_t lo, hi;
		if (pend_done(s, b))
			continue;
		beat_reach(s, b, &lo, &hi);
		if (lo < pneed)
			pneed = lo;
	}
	sb_drop_before(&s->p, pneed < 0 ? 0 : pneed);
	int64_t gneed = sb_end(&s->p) - s->margin;
	if (s->rs.same) {
		sb_drop_before(&s->rs.in, gneed < 0 ? 0 : gneed);
	} else {
		sb_drop_before(&s->rs.out, gneed < 0 ? 0 : gneed);
		sb_drop_before(&s->rs.in, rs_in_need(&s->rs));
	}
}

static int advance(bnn_beat_stream *s, bnn_error *err)
{
	int rc;
	if (s->prep) {
		if (rs_advance(&s->rs))
			return nomem(s, err);
		if ((rc = advance_processed(s, err)))
			return rc;
	}
	if (materialize(s) || resolve(s))
		return nomem(s, err);
	trim(s);
	return BNN_OK;
}

static int take_beats(bnn_beat_stream *s, int flush, bnn_error *err)
{
	int64_t buf[64];
	size_t got;
	do {
		int rc = flush ? bnn_qrs_flush(s->q, buf, 64, &got, err) :
			 bnn_qrs_push(s->q, NULL, 0, buf, 64, &got, err);
		if (rc) {
			s->broken = 1;
			return bnn__err_prefix(err, "stream");
		}
		for (size_t i = 0; i < got; i++)
			if (add_beat(s, buf[i]))
				return nomem(s, err);
	} while (got == 64);
	return BNN_OK;
}

int bnn_beat_stream_push(bnn_beat_stream *s, const float *x, size_t n,
			 bnn_error *err)
{
	if (!s || (!x && n))
		return bnn__err(err, BNN_E_INVAL, "stream push: NULL argument");
	if (s->finished || s->broken)
		return bnn__err(err, BNN_E_STATE, "stream push: %s",
				s->finished ? "the stream has ended" :
				"the stream failed earlier");
	int rc = check_samples(x, n, s->rs.n_in, "stream push", err);
	if (rc || !n)
		return rc;
	if (sb_append(&s->rs.in, x, n))
		return nomem(s, err);
	s->rs.n_in += (int64_t)n;
	size_t got;
	int64_t buf[64];
	/* Feed the detector; its beats are drained as they come. */
	for (size_t i = 0; i < n;) {
		size_t m = n - i < 4096 ? n - i : 4096;
		rc = bnn_qrs_push(s->q, x + i, m, buf, 64, &got, err);
		if (rc) {
			s->broken = 1;
			return bnn__err_prefix(err, "stream");
		}
		for (size_t k = 0; k < got; k++)
			if (add_beat(s, buf[k]))
				return nomem(s, err);
		if (got == 64 && (rc = take_beats(s, 0, err)))
			return rc;
		i += m;
	}
	return advance(s, err);
}

int bnn_beat_stream_finish(bnn_beat_stream *s, bnn_error *err)
{
	if (!s)
		return bnn__err(err, BNN_E_INVAL, "stream finish: NULL argument");
	if (s->finished || s->broken)
		return bnn__err(err, BNN_E_STATE, "stream finish: %s",
				s->finished ? "the stream has ended" :
				"the stream failed earlier");
	int rc = take_beats(s, 1, err);
	if (rc)
		return rc;
	s->finished = 1;
	if (rs_finish(&s->rs, s->prep))
		return nomem(s, err);
	if (!s->rs.n_in) {
		s->pq_n = 0;
		return BNN_OK;
	}
	return advance(s, err);
}

int bnn_beat_stream_next(bnn_beat_stream *s, bnn_stream_item *it)
{
	if (!s || !it)
		return 0;
	free(s->cur);
	s->cur = NULL;
	if (!s->oq_n)
		return 0;
	struct outitem *o = &s->oq[s->oq_head];
	s->oq_head = (s->oq_head + 1) % s->oq_cap;
	s->oq_n--;
	s->cur = o->x;
	memset(it, 0, sizeof *it);
	it->sample = o->sample;
	it->start = o->c;
	it->ready = o->ready;
	it->index = o->idx;
	it->len = s->len;
	it->x = o->x;
	memcpy(it->rhythm, o->rhythm, sizeof it->rhythm);
	return 1;
}

void bnn_beat_stream_stats_get(const bnn_beat_stream *s,
			       bnn_beat_stream_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof *st);
	if (!s)
		return;
	st->samples = s->rs.n_in;
	st->beats = s->nbeats;
	st->items = s->items;
	st->dropped = s->dropped;
	st->late = s->late;
	st->queued = s->oq_n;
	st->buffered = sb_bytes(&s->rs.in) + sb_bytes(&s->rs.out) +
		       sb_bytes(&s->p) + 2 * s->tmp_cap * sizeof(float) +
		       s->t_cap * sizeof(int64_t) +
		       s->pq_cap * (sizeof(struct pend) + s->len * sizeof(float));
}

/* ---------------------------------------------------------------------
 * A whole signal at once
 * --------------------------------------------------------------------- */

/* Room for one more beat in b (capacity *cap): 0, BNN_E_RANGE (more
 * than BNN_MAX_VALUES window values) or BNN_E_NOMEM. */
static int beats_grow(bnn_beats *b, size_t *cap)
{
	if (b->n < *cap)
		return 0;
	size_t c = *cap ? 2 * *cap : 256, xs;
	if (bnn__mul(b->n + 1, b->len, &xs) || xs > BNN_MAX_VALUES)
		return BNN_E_RANGE;
	if (bnn__mul(c, b->len, &xs) || xs > BNN_MAX_VALUES)
		c = BNN_MAX_VALUES / b->len;
	float *x = bnn__realloc(b->x, c * b->len * sizeof(float));
	if (!x)
		return BNN_E_NOMEM;
	b->x = x;
	int64_t *t = bnn__realloc(b->sample, c * sizeof(int64_t));
	if (!t)
		return BNN_E_NOMEM;
	b->sample = t;
	float *r = bnn__realloc(b->rhythm, c * BNN_FEAT_COUNT * sizeof(float));
	if (!r)
		return BNN_E_NOMEM;
	b->rhythm = r;
	unsigned char *u = bnn__realloc(b->cls, c);
	if (!u)
		return BNN_E_NOMEM;
	b->cls = u;
	u = bnn__realloc(b->code, c);
	if (!u)
		return BNN_E_NOMEM;
	b->code = u;
	*cap = c;
	return 0;
}

/* Move the finished items of s into b. */
static int beats_take(bnn_beat_stream *s, bnn_beats *b, size_t *cap,
		      bnn_error *err)
{
	bnn_stream_item it;
	unsigned char n = (unsigned char)bnn_wfdb_ann_code("N");

	while (bnn_beat_stream_next(s, &it)) {
		int rc = beats_grow(b, cap);
		if (rc == BNN_E_RANGE)
			return bnn__err(err, rc,
					"beats_detect: more than %zu values after %zu beats",
					BNN_MAX_VALUES, b->n);
		if (rc)
			return bnn__err(err, rc, "beats_detect: out of memory");
		memcpy(b->x + b->n * b->len, it.x, b->len * sizeof(float));
		memcpy(b->rhythm + b->n * BNN_FEAT_COUNT, it.rhythm,
		       sizeof it.rhythm);
		b->sample[b->n] = it.sample;
		b->cls[b->n] = BNN_AAMI_N;
		b->code[b->n] = n;
		b->n++;
	}
	return BNN_OK;
}

int bnn_beats_detect(const float *x, size_t n, const bnn_beat_stream_opts *o,
		     bnn_beats *out, bnn_error *err)
{
	if (out)
		memset(out, 0, sizeof *out);
	if (!out || !o || (!x && n))
		return bnn__err(err, BNN_E_INVAL, "beats_detect: NULL argument");
	if (!n)
		return bnn__err(err, BNN_E_INVAL, "beats_detect: no samples");
	bnn_beat_stream_opts so = *o;
	so.features = BNN_STREAM_FEAT_ALL;	/* every feature final */
	bnn_beat_stream *s;
	int rc = bnn_beat_stream_new(&so, &s, err);
	if (rc)
		return rc;
	bnn_beats b;
	memset(&b, 0, sizeof b);
	b.len = (size_t)o->beat.pre + (size_t)o->beat.post;
	b.fs = o->beat.fs > 0 ? o->beat.fs : o->fs_in;
	b.channels = 1;
	size_t cap = 0;
	/* In pieces, items taken after each: the stream holds a few seconds. */
	for (size_t i = 0; i < n && !rc;) {
		size_t m = n - i < 65536 ? n - i : 65536;
		rc = bnn_beat_stream_push(s, x + i, m, err);
		if (!rc)
			rc = beats_take(s, &b, &cap, err);
		i += m;
	}
	if (!rc)
		rc = bnn_beat_stream_finish(s, err);
	if (!rc)
		rc = beats_take(s, &b, &cap, err);
	if (!rc) {
		bnn_beat_stream_stats st;
		bnn_beat_stream_stats_get(s, &st);
		b.count[BNN_AAMI_N] = b.n;
		b.dropped[BNN_AAMI_N] = st.dropped + st.late;
	}
	bnn_beat_stream_free(s);
	if (rc) {
		bnn_beats_free(&b);
		return rc;
	}
	*out = b;
	return BNN_OK;
}

/* ---------------------------------------------------------------------
 * Window framer
 * --------------------------------------------------------------------- */

struct bnn_window_stream {
	struct rstage rs;
	size_t len, hop, k;	/* k: next window */
	float *cur;
	int broken;
};

int bnn_window_stream_new(double fs_in, double fs_out,
			  bnn_resample_method method, size_t len, size_t hop,
			  bnn_window_stream **out, bnn_error *err)
{
	if (out)
		*out = NULL;
	if (!out)
		return bnn__err(err, BNN_E_INVAL, "window stream: NULL argument");
	if (!(isfinite(fs_in) && fs_in > 0) || !isfinite(fs_out) || fs_out < 0)
		return bnn__err(err, BNN_E_INVAL,
				"window stream: rates must be finite and > 0");
	if (method != BNN_RESAMPLE_SINC && method != BNN_RESAMPLE_LINEAR)
		return bnn__err(err, BNN_E_INVAL,
				"window stream: unknown resample method %d",
				(int)method);
	if (!len || !hop || len > BNN_MAX_VALUES)
		return bnn__err(err, BNN_E_INVAL,
				"window stream: window %zu and hop %zu must be >= 1",
				len, hop);
	bnn_window_stream *s = bnn__calloc(1, sizeof *s);
	if (!s || !(s->cur = bnn__malloc(len * sizeof(float)))) {
		free(s);
		return bnn__err(err, BNN_E_NOMEM, "window stream: out of memory");
	}
	rs_init(&s->rs, fs_in, fs_out > 0 ? fs_out : fs_in, method);
	s->len = len;
	s->hop = hop;
	*out = s;
	return BNN_OK;
}

static void ws_trim(bnn_window_stream *s)
{
	int64_t start = (int64_t)(s->k * s->hop);
	if (s->rs.same) {
		sb_drop_before(&s->rs.in, start);
	} else {
		sb_drop_before(&s->rs.out, start);
		sb_drop_before(&s->rs.in, rs_in_need(&s->rs));
	}
}

int bnn_window_stream_push(bnn_window_stream *s, const float *x, size_t n,
			   bnn_error *err)
{
	if (!s || (!x && n))
		return bnn__err(err, BNN_E_INVAL, "window stream push: NULL argument");
	if (s->rs.finished || s->broken)
		return bnn__err(err, BNN_E_STATE, "window stream push: %s",
				s->rs.finished ? "the stream has ended" :
				"the stream failed earlier");
	int rc = check_samples(x, n, s->rs.n_in, "window stream push", err);
	if (rc || !n)
		return rc;
	if (sb_append(&s->rs.in, x, n) ||
	    ((s->rs.n_in += (int64_t)n), rs_advance(&s->rs))) {
		s->broken = 1;
		return bnn__err(err, BNN_E_NOMEM, "window stream: out of memory");
	}
	ws_trim(s);
	return BNN_OK;
}

int bnn_window_stream_finish(bnn_window_stream *s, bnn_error *err)
{
	if (!s)
		return bnn__err(err, BNN_E_INVAL, "window stream finish: NULL argument");
	if (s->rs.finished || s->broken)
		return bnn__err(err, BNN_E_STATE, "window stream finish: %s",
				s->rs.finished ? "the stream has ended" :
				"the stream failed earlier");
	if (rs_finish(&s->rs, 1)) {
		s->broken = 1;
		return bnn__err(err, BNN_E_NOMEM, "window stream: out of memory");
	}
	return BNN_OK;
}

int bnn_window_stream_next(bnn_window_stream *s, bnn_stream_item *it)
{
	if (!s || !it)
		return 0;
	const struct sbuf *g = rs_grid(&s->rs);
	int64_t start = (int64_t)(s->k * s->hop);
	if (start + (int64_t)s->len > sb_end(g) || start < g->off)
		return 0;
	memcpy(s->cur, sb_ptr(g) + (start - g->off), s->len * sizeof(float));
	memset(it, 0, sizeof *it);
	it->start = start;
	it->sample = s->rs.same ? start :
		     llround((double)start * s->rs.fs_in / s->rs.fs_out);
	it->ready = s->rs.n_in - 1;
	it->index = s->k++;
	it->len = s->len;
	it->x = s->cur;
	for (int f = 0; f < BNN_FEAT_COUNT; f++)
		it->rhythm[f] = NAN;
	ws_trim(s);
	return 1;
}

size_t bnn_window_stream_buffered(const bnn_window_stream *s)
{
	return s ? sb_bytes(&s->rs.in) + sb_bytes(&s->rs.out) +
		   s->len * sizeof(float) : 0;
}

void bnn_window_stream_free(bnn_window_stream *s)
{
	if (!s)
		return;
	rs_free(&s->rs);
	free(s->cur);
	free(s);
}
