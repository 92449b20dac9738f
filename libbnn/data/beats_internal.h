/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * beats_internal.h - the pieces of beat extraction that the batch path
 * (beats.c, rhythm.c) and the streaming builder (stream.c) share, so that
 * both compute every value from the same inputs with the same arithmetic;
 * not installed, not part of the API.
 *
 * Signals are addressed by absolute sample index: a buffer holding samples
 * [off, off + len) of a signal of n samples (n may be BNN__N_OPEN while a
 * stream has not ended) serves any index the caller has checked lies in
 * it; indices beyond [0, n - 1] are the edge samples, as in the batch code.
 */
#ifndef BNN_BEATS_INTERNAL_H
#define BNN_BEATS_INTERNAL_H

#include <math.h>

#define BNN_DATA_INTERNAL
#include "bnn_data.h"

/* Length of a signal whose end is not known yet. */
#define BNN__N_OPEN ((int64_t)1 << 60)

/* ---- resampling (resample.c) ---- */

/* A sampling rate bnn_resample and the beat extraction take. */
static inline int bnn__rate_ok(double fs)
{
	return isfinite(fs) && fs > 0;
}

struct bnn__interp {
	const float *x;		/* x[k - off] is sample k */
	int64_t off;
	int64_t n;		/* signal length (edge rule) */
	bnn_resample_method m;
	double fc;		/* cut-off relative to the input Nyquist (<= 1) */
	double half;		/* kernel half-width in input samples */
};

void bnn__interp_init(struct bnn__interp *ip, const float *x, int64_t off,
		      int64_t n, double fs_in, double fs_out,
		      bnn_resample_method m);
/* Signal value at input position t. */
double bnn__interp_at(const struct bnn__interp *ip, double t);
/* Input samples bnn__interp_at(t) reads, before the edge rule. */
void bnn__interp_span(const struct bnn__interp *ip, double t, int64_t *lo,
		      int64_t *hi);
/* Input position of output sample j (bnn_resample's grid). */
static inline double bnn__resample_pos(int64_t j, double fs_in, double fs_out)
{
	return (double)j * fs_in / fs_out;
}
/* Output samples bnn_resample gives for n >= 1 input samples. */
int64_t bnn__resample_count(int64_t n, double fs_in, double fs_out);
#ifdef BNN_TEST_HOOKS
/* Test builds: the ways of bnn_resample's sinc path, to test each: 0 all
 * (the default), 1 no AVX (x86-64), 2 only the scalar loop. */
extern int bnn__resample_path;
#endif

/* ---- beat windows (beats.c) ---- */

struct bnn__geom {
	double fs_in, fs_out, r;	/* r = fs_in / fs_out */
	int same;			/* fs_out == fs_in: integer rule */
	int64_t n;			/* input samples */
	int pre, post;
};

void bnn__geom_init(struct bnn__geom *g, double fs_in, const bnn_beat_opts *o,
		    int64_t n);
/* The edge rule (bnn_data.h) for a beat at input sample s. */
int bnn__window_fits(const struct bnn__geom *g, int64_t s);
/* Centre of beat s on the output grid. */
long long bnn__out_centre(const struct bnn__geom *g, int64_t s);
/* Options check of bnn_beats_extract (without the record). */
int bnn__beat_opts_check(const bnn_beat_opts *o, bnn_error *err);

/* QRS amplitude window [c - before, c + after] of the processed signal. */
void bnn__qrs_reach(double fs_out, long long *before, long long *after);
/* max - min of y over that window clipped to [0, m - 1]; y[i - off] is
 * sample i. */
double bnn__qrs_amp(const float *y, int64_t off, int64_t m, long long c,
		    long long before, long long after);
/* Beats whose amplitudes make one scale (this one and those before). */
#define BNN__QRS_HISTORY 32
/* Median of k (1 .. BNN__QRS_HISTORY) amplitudes; the mean of the two
 * middle ones when k is even. */
double bnn__median_small(const double *v, size_t k);
/* Step 6 on one window: divided by scale (all zeros below 1e-6). */
void bnn__amp_scale(float *y, size_t len, double scale);
/* Step 8 on one window. */
void bnn__zscore_window(float *y, size_t len);

/* ---- beat reference (beatref.c) ---- */

/* The windows of the last k beats of one lead, per sample in ascending
 * order, for their running median. */
struct bnn__ref {
	size_t len, k;		/* samples per window, beats (0: off) */
	size_t n;		/* windows seen */
	float *ring;		/* k windows, beat n - j at (n - j) % k */
	float *sorted;		/* per sample q: min(n, k) values at q * k */
};

/* 0, or -1 when out of memory (r is then zeroed).  k 0 is "off". */
int bnn__ref_init(struct bnn__ref *r, size_t len, size_t k);
void bnn__ref_free(struct bnn__ref *r);
/* Step 7 on the next window of the lead (bnn_data.h), in beat order:
 * y minus the median of the windows before it; zeros for the first. */
void bnn__ref_apply(struct bnn__ref *r, float *y);

/* ---- filters (filters.c) ---- */

/* Odd median window of the baseline for sec seconds at rate fs. */
size_t bnn__median_len(double sec, double fs);

/* ---- rhythm features (rhythm.c) ---- */

/*
 * Row of beat i of a record whose first n beats are known, t[k - off]
 * being beat k's time: what bnn_rhythm_features gives for it when the
 * record has exactly n beats (n >= 2, i < n, times checked).  *lo is the
 * LONG_RR scan position: 1 before the first call, then passed back for
 * increasing i.  Reads beats from min(*lo - 1, i - 11) (at least 0) to
 * min(i + 1, n - 1).
 */
void bnn__rhythm_row(const int64_t *t, size_t off, size_t i, size_t n,
		     double fs, size_t *lo, float *o);

#endif /* BNN_BEATS_INTERNAL_H */
