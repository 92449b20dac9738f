// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * filters.c - libbnn data: running median, median baseline removal and the
 * zero-phase windowed-sinc low-pass (bnn_data.h, "Filters").
 */
#include "beats_internal.h"
#include "sorted_window.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int check_finite(const float *x, size_t n, const char *who,
			bnn_error *err)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return bnn__err(err, BNN_E_RANGE,
					"%s: sample %zu is not finite", who, i);
	return BNN_OK;
}

static inline size_t clampi(long long i, size_t n)
{
	return i < 0 ? 0 : (size_t)i >= n ? n - 1 : (size_t)i;
}

/* ---------------------------------------------------------------------
 * Running median: two heaps over a ring of w = 2h+1 slots.  `lo` is a
 * max-heap of the h+1 smallest values of the window (its top is the
 * median), `hi` a min-heap of the h largest.  Moving the window replaces
 * the value of one slot: it is sifted within its heap, then at most one
 * exchange of the two tops restores lo <= hi.  O(log w) per sample.
 * --------------------------------------------------------------------- */

struct med {
	float *val;		/* value per slot */
	uint32_t *heap[2];	/* slot ids: [0] lo (max-heap), [1] hi */
	size_t size[2];
	uint32_t *pos;		/* index of the slot in its heap */
	unsigned char *side;	/* heap of the slot: 0 lo, 1 hi */
};

/* a goes above b in heap `s`. */
static inline int above(const struct med *m, int s, uint32_t a, uint32_t b)
{
	return s ? m->val[a] < m->val[b] : m->val[a] > m->val[b];
}

static inline void put(struct med *m, int s, size_t i, uint32_t slot)
{
	m->heap[s][i] = slot;
	m->pos[slot] = (uint32_t)i;
}

static void sift_up(struct med *m, int s, size_t i)
{
	uint32_t slot = m->heap[s][i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!above(m, s, slot, m->heap[s][p]))
			break;
		put(m, s, i, m->heap[s][p]);
		i = p;
	}
	put(m, s, i, slot);
}

static void sift_down(struct med *m, int s, size_t i)
{
	uint32_t slot = m->heap[s][i];
	size_t n = m->size[s];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && above(m, s, m->heap[s][c + 1], m->heap[s][c]))
			c++;
		if (!above(m, s, m->heap[s][c], slot))
			break;
		put(m, s, i, m->heap[s][c]);
		i = c;
	}
	put(m, s, i, slot);
}

static void med_replace(struct med *m, uint32_t slot, float v)
{
	int s = m->side[slot];
	m->val[slot] = v;
	sift_up(m, s, m->pos[slot]);
	sift_down(m, s, m->pos[slot]);
	if (m->size[1] && m->val[m->heap[0][0]] > m->val[m->heap[1][0]]) {
		uint32_t a = m->heap[0][0], b = m->heap[1][0];
		put(m, 0, 0, b);
		put(m, 1, 0, a);
		m->side[a] = 1;
		m->side[b] = 0;
		sift_down(m, 0, 0);
		sift_down(m, 1, 0);
	}
}

/* ---------------------------------------------------------------------
 * Running median of a short window (up to MED_SORTED_MAX): the window's
 * values kept sorted (sorted_window.h), padded with +inf to a multiple of
 * 4 values.  O(w) per sample, but a few cycles per 4 values where the
 * heaps' O(log w) sifts branch at random: on a Zen 4 core the faster of
 * the two up to about 150 samples (37 and 109 at 180 Hz: 1.6x and 1.2x),
 * slower at 217 (0.6x).  Both give the same medians: the selection of the
 * same multiset.
 * --------------------------------------------------------------------- */

#define MED_SORTED_MAX 160

/* v: the sorted window (np floats: win values and +inf pads), then the
 * window in arrival order (win floats: position p in slot (p + h) % win,
 * as the heaps' ring). */
static void median_sorted(const float *x, size_t n, size_t win, size_t np,
			  float *v, float *y)
{
	float *ring = v + np;
	size_t h = win / 2;

	for (size_t k = 0; k < win; k++)
		ring[k] = v[k] = x[clampi((long long)k - (long long)h, n)];
	for (size_t k = win; k < np; k++)
		v[k] = INFINITY;
	for (size_t k = 1; k < win; k++) {	/* insertion sort: win is small */
		float t = v[k];
		size_t j = k;

		for (; j > 0 && v[j - 1] > t; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
	/* x[i + h + 1] is read after y[i] is written: y may be x. */
	for (size_t i = 0, r = 0; i + 1 < n; i++, r = r + 1 < win ? r + 1 : 0) {
		float out = ring[r];

		y[i] = v[h];
		ring[r] = x[clampi((long long)(i + h + 1), n)];
		bnn__sorted_replace(v, np, out, ring[r]);
	}
	y[n - 1] = v[h];
}

struct vslot {
	float v;
	uint32_t slot;
};

static int cmp_vslot(const void *pa, const void *pb)
{
	const struct vslot *a = pa, *b = pb;
	if (a->v != b->v)
		return a->v < b->v ? -1 : 1;
	return a->slot < b->slot ? -1 : a->slot > b->slot;
}

int bnn_median_filter(const float *x, size_t n, size_t win, float *y,
		      bnn_error *err)
{
	if (!x || !y || n == 0)
		return bnn__err(err, BNN_E_INVAL, "median: NULL or empty input");
	if (win % 2 == 0 || win > BNN_MEDIAN_MAX_WIN)
		return bnn__err(err, BNN_E_INVAL,
				"median: window %zu must be odd and <= %zu", win,
				BNN_MEDIAN_MAX_WIN);
	int rc = check_finite(x, n, "median", err);
	if (rc)
		return rc;
	size_t h = win / 2;
	struct med m = { 0 };

	if (win <= MED_SORTED_MAX) {
		size_t np = (win + 3) & ~(size_t)3;
		float *v = bnn__malloc((np + win) * sizeof(*v));

		if (!v)
			return bnn__err(err, BNN_E_NOMEM,
					"median: out of memory");
		median_sorted(x, n, win, np, v, y);
		free(v);
		return BNN_OK;
	}
	/* One block: val, pos, heaps (h+1 + h = win ids), side, sort pairs. */
	size_t bytes = win * (sizeof(float) + 2 * sizeof(uint32_t) + 1 +
			      sizeof(struct vslot)) + 16;
	char *blk = bnn__malloc(bytes);
	if (!blk)
		return bnn__err(err, BNN_E_NOMEM, "median: out of memory");
	struct vslot *vs = (struct vslot *)blk;
	m.val = (float *)(vs + win);
	m.pos = (uint32_t *)(m.val + win);
	m.heap[0] = m.pos + win;
	m.heap[1] = m.heap[0] + h + 1;
	m.side = (unsigned char *)(m.heap[1] + h);

	/* Window of sample 0: positions -h .. h in slots 0 .. 2h, the edge
	 * sample replicated.  Sorted, it splits into two valid heaps: the
	 * h+1 smallest in descending order (lo), the rest ascending (hi). */
	for (size_t k = 0; k < win; k++) {
		vs[k].v = x[clampi((long long)k - (long long)h, n)];
		vs[k].slot = (uint32_t)k;
		m.val[k] = vs[k].v;
	}
	qsort(vs, win, sizeof *vs, cmp_vslot);
	m.size[0] = h + 1;
	m.size[1] = h;
	for (size_t j = 0; j <= h; j++) {
		put(&m, 0, j, vs[h - j].slot);
		m.side[vs[h - j].slot] = 0;
	}
	for (size_t j = 0; j < h; j++) {
		put(&m, 1, j, vs[h + 1 + j].slot);
		m.side[vs[h + 1 + j].slot] = 1;
	}
	/* Sample i's window is positions i-h .. i+h, position p in slot
	 * (p + h) % win: stepping to i+1 puts position i+h+1 where i-h was.
	 * x[i+h+1] is read after y[i] is written: y may be x. */
	for (size_t i = 0; i < n; i++) {
		y[i] = m.val[m.heap[0][0]];
		if (i + 1 < n)
			med_replace(&m, (uint32_t)(i % win),
				    x[clampi((long long)(i + h + 1), n)]);
	}
	free(blk);
	return BNN_OK;
}

size_t bnn__median_len(double sec, double fs)
{
	return (size_t)lround(sec * fs) | 1;
}

int bnn_baseline_median(const float *x, size_t n, double fs, float *y,
			bnn_error *err)
{
	if (!x || !y || n == 0)
		return bnn__err(err, BNN_E_INVAL, "baseline: NULL or empty input");
	if (!(isfinite(fs) && fs > 0) ||
	    !(BNN_BASELINE_LONG_S * fs < (double)BNN_MEDIAN_MAX_WIN))
		return bnn__err(err, BNN_E_INVAL,
				"baseline: rate %g Hz must be finite, > 0 and < %g",
				fs, (double)BNN_MEDIAN_MAX_WIN / BNN_BASELINE_LONG_S);
	size_t bytes;
	if (bnn__mul(n, sizeof(float), &bytes))
		return bnn__err(err, BNN_E_RANGE, "baseline: too many samples");
	float *b = bnn__malloc(bytes);
	if (!b)
		return bnn__err(err, BNN_E_NOMEM, "baseline: out of memory");
	int rc = bnn_median_filter(x, n, bnn__median_len(BNN_BASELINE_SHORT_S, fs), b,
				   err);
	if (!rc)
		rc = bnn_median_filter(b, n, bnn__median_len(BNN_BASELINE_LONG_S, fs), b,
				       err);
	if (!rc)
		for (size_t i = 0; i < n; i++)
			y[i] = x[i] - b[i];
	free(b);
	if (rc)
		bnn__err_prefix(err, "baseline");
	return rc;
}

/* ---------------------------------------------------------------------
 * Low-pass
 * --------------------------------------------------------------------- */

size_t bnn_lowpass_half_len(double fs, double fc)
{
	if (!(isfinite(fs) && fs > 0 && isfinite(fc) && fc > 0 &&
	      fc < fs / 2))
		return 0;
	double m = ceil(BNN_LOWPASS_HALF_CYCLES * fs / fc);
	return m > BNN_LOWPASS_HALF_MAX ? BNN_LOWPASS_HALF_MAX : (size_t)m;
}

/* Interior outputs per block of the vector path. */
#define LP_BLOCK 1024

typedef double lp_vd2 __attribute__((vector_size(16)));

static inline lp_vd2 lp_load(const double *p)
{
	lp_vd2 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * y[j] for j < nb (a multiple of 8), from d = the samples x[-M .. nb + M)
 * as doubles (d[M] is x[0]): eight outputs side by side (two per vector,
 * four independent chains), each one's sum in the scalar loop's order
 * (h[0] x, then + h[k] (x[-k] + x[k]) for k = 1 .. M), so the same bits.
 */
static void lowpass_block(const double *d, size_t nb, const double *h,
			  size_t M, float *y)
{
	for (size_t j = 0; j < nb; j += 8) {
		const double *p = d + M + j;
		/* named chains: an array of them would live in memory */
		lp_vd2 a0 = h[0] * lp_load(p), a1 = h[0] * lp_load(p + 2);
		lp_vd2 a2 = h[0] * lp_load(p + 4), a3 = h[0] * lp_load(p + 6);

		for (size_t k = 1; k <= M; k++) {
			const double *u = p - k, *v = p + k;

			a0 += h[k] * (lp_load(u) + lp_load(v));
			a1 += h[k] * (lp_load(u + 2) + lp_load(v + 2));
			a2 += h[k] * (lp_load(u + 4) + lp_load(v + 4));
			a3 += h[k] * (lp_load(u + 6) + lp_load(v + 6));
		}
		y[j] = (float)a0[0];
		y[j + 1] = (float)a0[1];
		y[j + 2] = (float)a1[0];
		y[j + 3] = (float)a1[1];
		y[j + 4] = (float)a2[0];
		y[j + 5] = (float)a2[1];
		y[j + 6] = (float)a3[0];
		y[j + 7] = (float)a3[1];
	}
}

int bnn_lowpass(const float *x, size_t n, double fs, double fc, float *y,
		bnn_error *err)
{
	if (!x || !y || n == 0)
		return bnn__err(err, BNN_E_INVAL, "lowpass: NULL or empty input");
	if (x == y)
		return bnn__err(err, BNN_E_INVAL,
				"lowpass: output must not be the input");
	size_t M = bnn_lowpass_half_len(fs, fc);
	if (!M)
		return bnn__err(err, BNN_E_INVAL,
				"lowpass: cut-off %g Hz must be finite, > 0 and below half the rate %g Hz",
				fc, fs);
	int rc = check_finite(x, n, "lowpass", err);
	if (rc)
		return rc;
	/* taps, then the block's samples as doubles */
	double *h = bnn__malloc((M + 1 + LP_BLOCK + 2 * M) * sizeof *h);
	if (!h)
		return bnn__err(err, BNN_E_NOMEM, "lowpass: out of memory");
	double *d = h + M + 1;
	/* h[k] = 2 fc/fs sinc(2 fc k / fs) * Blackman(k / (M+1)), |k| <= M,
	 * normalised to a sum of 1 (a constant passes unchanged). */
	double wc = 2 * fc / fs, sum = 0;
	for (size_t k = 0; k <= M; k++) {
		double a = M_PI * wc * (double)k;
		double s = k ? sin(a) / a : 1.0;
		double u = M_PI * (double)k / (double)(M + 1);
		double w = 0.42 + 0.5 * cos(u) + 0.08 * cos(2 * u);
		h[k] = wc * s * w;
		sum += k ? 2 * h[k] : h[k];
	}
	for (size_t k = 0; k <= M; k++)
		h[k] /= sum;
	for (size_t i = 0; i < n; i++) {
		double acc = h[0] * x[i];
		size_t nb = i >= M && n - i >= M ? n - i - M : 0;

		nb = (nb < LP_BLOCK ? nb : LP_BLOCK) & ~(size_t)7;
		if (nb) {
			for (size_t k = 0; k < nb + 2 * M; k++)
				d[k] = x[i - M + k];
			lowpass_block(d, nb, h, M, y + i);
			i += nb - 1;
			continue;
		}
		if (i >= M && n - 1 - i >= M) {
			const float *p = x + i;
			for (size_t k = 1; k <= M; k++)
				acc += h[k] * ((double)p[-(long)k] + p[k]);
		} else {
			/* Near the ends: samples beyond are the edge sample. */
			for (size_t k = 1; k <= M; k++)
				acc += h[k] *
				       ((double)x[clampi((long long)i - (long long)k, n)] +
					x[clampi((long long)(i + k), n)]);
		}
		y[i] = (float)acc;
	}
	free(h);
	return BNN_OK;
}
