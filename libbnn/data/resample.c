// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * resample.c - libbnn data: bnn_resample, the interpolation it shares with
 * the beat windows and the streaming builder (bnn__interp_at), and its
 * batch sinc path, which gives bnn__interp_at's values faster.
 */
#include "beats_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifdef BNN_TEST_HOOKS
int bnn__resample_path;
#endif

/* ---------------------------------------------------------------------
 * Interpolation at one position
 * --------------------------------------------------------------------- */
#define SINC_ZC 16		/* zero crossings each side */
#define SINC_L 512		/* table steps per zero crossing */
#define SINC_N (SINC_ZC * SINC_L)

static float sinc_tab[SINC_N + 2];
static pthread_once_t sinc_once = PTHREAD_ONCE_INIT;

/* tab[i] = sinc(i / L) * blackman(i / N), i = 0..N (0 beyond). */
static void sinc_init(void)
{
	sinc_tab[0] = 1.0f;
	for (int i = 1; i <= SINC_N; i++) {
		double x = (double)i / SINC_L, w = (double)i / SINC_N;
		double sinc = sin(M_PI * x) / (M_PI * x);
		double win = 0.42 + 0.5 * cos(M_PI * w) + 0.08 * cos(2 * M_PI * w);
		sinc_tab[i] = (float)(sinc * win);
	}
	sinc_tab[SINC_N + 1] = 0.0f;
}

void bnn__interp_init(struct bnn__interp *ip, const float *x, int64_t off,
		      int64_t n, double fs_in, double fs_out,
		      bnn_resample_method m)
{
	ip->x = x;
	ip->off = off;
	ip->n = n;
	ip->m = m;
	ip->fc = fs_out < fs_in ? fs_out / fs_in : 1.0;
	ip->half = SINC_ZC / ip->fc;
	if (m == BNN_RESAMPLE_SINC)
		pthread_once(&sinc_once, sinc_init);
}

static inline float at_clamped(const struct bnn__interp *ip, long long k)
{
	if (k < 0)
		k = 0;
	if (k >= ip->n)
		k = ip->n - 1;
	return ip->x[k - ip->off];
}

void bnn__interp_span(const struct bnn__interp *ip, double t, int64_t *lo,
		      int64_t *hi)
{
	if (ip->m == BNN_RESAMPLE_LINEAR) {
		*lo = (int64_t)floor(t);
		*hi = *lo + 1;
	} else {
		*lo = (int64_t)ceil(t - ip->half);
		*hi = (int64_t)floor(t + ip->half);
	}
}

double bnn__interp_at(const struct bnn__interp *ip, double t)
{
	if (ip->m == BNN_RESAMPLE_LINEAR) {
		double fl = floor(t);
		long long i = (long long)fl;
		double f = t - fl;
		double a = at_clamped(ip, i), b = at_clamped(ip, i + 1);
		return a + f * (b - a);
	}
	long long k0 = (long long)ceil(t - ip->half);
	long long k1 = (long long)floor(t + ip->half);
	double acc = 0, wsum = 0, scale = ip->fc * SINC_L;
	for (long long k = k0; k <= k1; k++) {
		double u = fabs(t - (double)k) * scale;
		size_t i = (size_t)u;
		if (i >= SINC_N)
			continue;
		double fr = u - (double)i;
		double w = sinc_tab[i] + fr * (sinc_tab[i + 1] - sinc_tab[i]);
		acc += w * at_clamped(ip, k);
		wsum += w;
	}
	return acc / wsum;
}

/* ---------------------------------------------------------------------
 * bnn_resample's sinc path: bnn__interp_at's values bit for bit, faster.
 *
 * Phases.  t - k is exact in double for |t - k| <= half (it keeps t's
 * fractional bits and has a smaller integer part), so for t >= half + 2
 * the tap weights of output t and their sum depend only on the phase
 * f = t - floor(t) and k - floor(t): they are computed once per phase and
 * kept in a small cache (rational rate ratios have few phases).
 *
 * Sums.  Each output's sum is still formed tap by tap in bnn__interp_at's
 * order, in double, and divided by the same weight sum: only independent
 * outputs run side by side.  When fs_in / fs_out is dq / q with a small q,
 * output j + q has output j's phase and starts dq samples later (after
 * rounding too, mostly: each group is checked).  The outputs then go a
 * chunk at a time, the chunk's input converted to double once and laid
 * out in dq rows (row r: samples lo + r, lo + r + dq, ...), so that tap i
 * of the outputs j, j + q, ..., j + 15 q is 16 consecutive doubles: those
 * 16 outputs share one vector loop, two per vector (four with AVX), the
 * tap's weight loaded once for all.  The rest (other ratios; groups whose
 * phases differ after rounding) go eight at a time through a scalar loop
 * on the float samples.  Outputs whose taps reach past the signal's ends
 * take bnn__interp_at.  Every path rounds what bnn__interp_at rounds, in
 * its order; they agree as long as the compiler fuses no a * b + c into
 * one rounding (x86-64 without -mfma cannot).
 * --------------------------------------------------------------------- */

#define PH_TAPS_MAX 4100	/* taps of one phase (fc >= 1/128) */
#define PH_BYTES_MAX (1 << 20)	/* weights in the cache at most */
#define PH_SLOTS_MAX 256
#define PH_PROBE 16		/* slots looked at for one phase */
#define RS_LANES 16		/* outputs of the vector loop */
#define RS_QMAX 64		/* longest period (outputs) taken */
#define RS_SPAN 1024		/* input samples per chunk, about */

struct phase {
	uint64_t stamp;		/* chunk that last used it; 0: empty */
	double f;		/* t - floor(t) */
	int64_t d0, d1;		/* k0, k1 minus floor(t) */
	int64_t a;		/* first kept tap (k - floor(t)) */
	size_t nt;		/* kept taps (weight table index < SINC_N) */
	double wsum;
	double *w;
};

/* A group of RS_LANES outputs j + l q (l < RS_LANES) of phase p, output
 * j's first tap at input sample s. */
struct rs_group {
	size_t j;
	const struct phase *p;
	int64_t s;
};

/* RS_LANES outputs of phase p, output k's tap i at b[pos[i] + k]: to
 * y[k q]. */
typedef void rs_sum_fn(const double *b, const uint32_t *pos,
		       const struct phase *p, float *y, size_t q);

struct rs {
	const struct bnn__interp *ip;
	double fs_in, fs_out;
	size_t q;		/* outputs j, j + q share a phase (0: none) */
	int64_t dq;		/* and start dq input samples apart */
	size_t chunk;		/* outputs per chunk */
	struct phase *ph;	/* nph slots (a power of 2) of cap weights */
	size_t nph, cap;
	unsigned shift;		/* 64 - log2(nph) */
	uint64_t stamp;		/* the chunk's */
	size_t next;		/* q 0: the slot of the next phase */
	rs_sum_fn *sum;		/* sum_rows for this CPU */
	/* q > 0: the chunk's groups, and its samples lo .. lo + nblk - 1,
	 * sample lo + u at blk[pos[u]] (row u % dq, column u / dq) */
	struct rs_group *grp;
	double *blk;
	const uint32_t *pos;
	size_t nblk;
};

static int phase_fill(const struct rs *r, struct phase *ph, double f,
		      int64_t d0, int64_t d1)
{
	double scale = r->ip->fc * SINC_L, wsum = 0, *w = ph->w;
	int64_t a = d0;
	size_t nt = 0;

	if ((uint64_t)(d1 - d0 + 1) > r->cap)
		return -1;
	/* bnn__interp_at's weights (u < 2^31: the same i as its size_t) */
	for (int64_t d = d0; d <= d1; d++) {
		double u = fabs(f - (double)d) * scale;
		int64_t i = (int64_t)u;

		if (i >= SINC_N) {
			/* skipped taps are at the two ends only (u grows
			 * with |t - k|) */
			if (!nt)
				a = d + 1;
			continue;
		}
		double fr = u - (double)i;

		w[nt] = sinc_tab[i] + fr * (sinc_tab[i + 1] - sinc_tab[i]);
		wsum += w[nt++];
	}
	ph->f = f;
	ph->d0 = d0;
	ph->d1 = d1;
	ph->a = a;
	ph->nt = nt;
	ph->wsum = wsum;
	return 0;
}

/*
 * The phase (f, d0, d1) in *out, from the cache or computed: 1; 0 when
 * every slot it may take holds a phase of this chunk; -1 when it has too
 * many taps.  Open addressing: a slot once filled is never emptied (only
 * refilled), so a phase lies before the first empty slot of its probe.
 * Without a period (q 0) phases seldom come back: each takes the next
 * slot in turn, used again after nph > 8 phases (queued outputs).
 */
static int phase_get(struct rs *r, double f, int64_t d0, int64_t d1,
		     const struct phase **out)
{
	uint64_t fb;
	struct phase *take = NULL;

	if (!r->q) {
		take = &r->ph[r->next++ & (r->nph - 1)];
		if (phase_fill(r, take, f, d0, d1))
			return -1;
		*out = take;
		return 1;
	}
	memcpy(&fb, &f, sizeof(fb));
	fb = ((fb ^ (uint64_t)d0) * 0x9e3779b97f4a7c15ull) >> r->shift;
	for (size_t k = 0; k < PH_PROBE; k++) {
		struct phase *p = &r->ph[(fb + k) & (r->nph - 1)];

		if (!p->stamp) {
			take = take ? take : p;
			break;
		}
		if (p->f == f && p->d0 == d0 && p->d1 == d1) {
			p->stamp = r->stamp;
			*out = p;
			return 1;
		}
		if (!take && p->stamp != r->stamp)
			take = p;
	}
	if (!take)
		return 0;
	if (phase_fill(r, take, f, d0, d1))
		return -1;	/* take is unchanged */
	take->stamp = r->stamp;
	*out = take;
	return 1;
}

/* Phase and first tap of output t: 1, or 0 when it takes bnn__interp_at
 * (its taps reach past an end; too many taps; the cache is full). */
static int rs_phase(struct rs *r, double t, const struct phase **p,
		    int64_t *s)
{
	const struct bnn__interp *ip = r->ip;

	/* t >= half + 2: t - k and f - (k - floor(t)) are exact, so equal
	 * (both multiples of ulp(t), at most t) */
	if (!(t >= ip->half + 2) || t > 0x1p52)
		return 0;
	/* t and t +- half > 0: floor and ceil by truncation */
	double tl = t - ip->half;
	long long k0 = (long long)tl, k1 = (long long)(t + ip->half);
	int64_t base = (int64_t)t;

	k0 += (double)k0 < tl;
	if (k0 < 0 || k1 >= ip->n ||
	    phase_get(r, t - (double)base, k0 - base, k1 - base, p) <= 0)
		return 0;
	*s = base + (*p)->a;
	return 1;
}

/* Outputs of the scalar loop, up to eight: *y[r] from x[r][i], tap i of
 * p[r]. */
struct rs_queue {
	size_t n;
	float *y[8];
	const float *x[8];
	const struct phase *p[8];
};

static void queue_flush(struct rs_queue *q)
{
	if (!q->n)
		return;
	/* fewer than eight: the first again in the free places (the same
	 * sum, the same float written twice) */
	for (size_t r = q->n; r < 8; r++) {
		q->y[r] = q->y[0];
		q->x[r] = q->x[0];
		q->p[r] = q->p[0];
	}

	const float *const *x = q->x;
	const double *w0 = q->p[0]->w, *w1 = q->p[1]->w, *w2 = q->p[2]->w;
	const double *w3 = q->p[3]->w, *w4 = q->p[4]->w, *w5 = q->p[5]->w;
	const double *w6 = q->p[6]->w, *w7 = q->p[7]->w;
	const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
	const float *x4 = x[4], *x5 = x[5], *x6 = x[6], *x7 = x[7];
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
	size_t nt = q->p[0]->nt;

	for (size_t r = 1; r < 8; r++)
		nt = q->p[r]->nt < nt ? q->p[r]->nt : nt;
	/* eight independent chains, each in its tap order */
	for (size_t i = 0; i < nt; i++) {
		s0 += w0[i] * x0[i];
		s1 += w1[i] * x1[i];
		s2 += w2[i] * x2[i];
		s3 += w3[i] * x3[i];
		s4 += w4[i] * x4[i];
		s5 += w5[i] * x5[i];
		s6 += w6[i] * x6[i];
		s7 += w7[i] * x7[i];
	}
	double acc[8] = { s0, s1, s2, s3, s4, s5, s6, s7 };

	for (size_t r = 0; r < 8; r++) {
		const struct phase *p = q->p[r];

		for (size_t i = nt; i < p->nt; i++)
			acc[r] += p->w[i] * x[r][i];
		*q->y[r] = (float)(acc[r] / p->wsum);
	}
	q->n = 0;
}

/* Output j by the scalar loop (queued) or by bnn__interp_at. */
static void rs_single(struct rs *r, struct rs_queue *q, float *y, size_t j)
{
	const struct bnn__interp *ip = r->ip;
	double t = bnn__resample_pos((int64_t)j, r->fs_in, r->fs_out);
	const struct phase *p;
	int64_t s;

	if (!rs_phase(r, t, &p, &s)) {
		y[j] = (float)bnn__interp_at(ip, t);
		return;
	}
	q->y[q->n] = y + j;
	q->x[q->n] = ip->x + (s - ip->off);
	q->p[q->n] = p;
	if (++q->n == 8)
		queue_flush(q);
}

typedef double rs_vd2 __attribute__((vector_size(16)));
typedef long long rs_vl2 __attribute__((vector_size(16)));

static inline rs_vd2 rs_load(const double *p)
{
	rs_vd2 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Whether outputs j + l q (0 < l < RS_LANES) have the phase of output j,
 * which takes the lead path (rs_phase) at *t0, and start l dq samples
 * after it.  They do when each one's t, t - half and t + half are its
 * predecessor's plus dq exactly (then so are their floors and ceilings;
 * x - y is exact for y <= x <= 2 y, so the differences tell), and the
 * last one's taps end before the signal does.
 */
static int rs_follows(const struct rs *r, size_t j, double *t0)
{
	const struct bnn__interp *ip = r->ip;
	double t[RS_LANES], q2 = (double)(2 * r->q);
	rs_vd2 jv = { (double)j, (double)(j + r->q) };
	rs_vd2 h = { ip->half, ip->half }, d = { (double)r->dq, (double)r->dq };
	rs_vl2 ok = { -1, -1 };

	/* bnn__resample_pos's t, two at a time (j < 2^53: exact) */
	for (size_t l = 0; l < RS_LANES; l += 2, jv += q2) {
		rs_vd2 v = jv * r->fs_in / r->fs_out;

		memcpy(t + l, &v, sizeof(v));
	}
	*t0 = t[0];
	for (size_t l = 1; l < RS_LANES; l += 2) {
		size_t b = l < RS_LANES - 1 ? l : RS_LANES - 2;
		rs_vd2 x = rs_load(t + b), xq = rs_load(t + b - 1);
		rs_vd2 xl = x - h, xlq = xq - h, xh = x + h, xhq = xq + h;

		ok &= (x <= xq + xq) & (x - xq == d) & (xl <= xlq + xlq) &
		      (xl - xlq == d) & (xh <= xhq + xhq) & (xh - xhq == d);
	}
	return ok[0] && ok[1] && t[RS_LANES - 1] <= 0x1p52 &&
	       t[RS_LANES - 1] + ip->half < (double)ip->n;
}

/* rs_sum_fn, two outputs per vector. */
static void sum_rows(const double *b, const uint32_t *pos,
		     const struct phase *p, float *y, size_t q)
{
	const double *w = p->w;
	/* named chains: an array of them would live in memory */
	rs_vd2 a0 = { 0, 0 }, a1 = a0, a2 = a0, a3 = a0;
	rs_vd2 a4 = a0, a5 = a0, a6 = a0, a7 = a0;

	for (size_t i = 0; i < p->nt; i++) {
		const double *v = b + pos[i];
		double wi = w[i];

		a0 += wi * rs_load(v);
		a1 += wi * rs_load(v + 2);
		a2 += wi * rs_load(v + 4);
		a3 += wi * rs_load(v + 6);
		a4 += wi * rs_load(v + 8);
		a5 += wi * rs_load(v + 10);
		a6 += wi * rs_load(v + 12);
		a7 += wi * rs_load(v + 14);
	}
	rs_vd2 ws = { p->wsum, p->wsum };
	rs_vd2 acc[8] = { a0 / ws, a1 / ws, a2 / ws, a3 / ws,
			  a4 / ws, a5 / ws, a6 / ws, a7 / ws };

	for (size_t c = 0; c < 8; c++) {
		y[2 * c * q] = (float)acc[c][0];
		y[(2 * c + 1) * q] = (float)acc[c][1];
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
/* sum_rows four outputs per vector, where the CPU has AVX: the same
 * operations on each output (no FMA), so the same bits. */
#define RS_AVX __attribute__((target("avx")))

typedef double rs_vd4 __attribute__((vector_size(32)));

RS_AVX static inline rs_vd4 rs_load4(const double *p)
{
	rs_vd4 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

RS_AVX static void sum_rows_avx(const double *b, const uint32_t *pos,
				const struct phase *p, float *y, size_t q)
{
	const double *w = p->w;
	rs_vd4 a0 = { 0, 0, 0, 0 }, a1 = a0, a2 = a0, a3 = a0;

	for (size_t i = 0; i < p->nt; i++) {
		const double *v = b + pos[i];
		double wi = w[i];

		a0 += wi * rs_load4(v);
		a1 += wi * rs_load4(v + 4);
		a2 += wi * rs_load4(v + 8);
		a3 += wi * rs_load4(v + 12);
	}
	rs_vd4 ws = { p->wsum, p->wsum, p->wsum, p->wsum };
	rs_vd4 acc[4] = { a0 / ws, a1 / ws, a2 / ws, a3 / ws };

	for (size_t c = 0; c < 4; c++)
		for (size_t l = 0; l < 4; l++)
			y[(4 * c + l) * q] = (float)acc[c][l];
}

/* The CPU's sum_rows. */
static rs_sum_fn *rs_pick(void)
{
#ifdef BNN_TEST_HOOKS
	if (bnn__resample_path)
		return sum_rows;
#endif
	return __builtin_cpu_supports("avx") ? sum_rows_avx : sum_rows;
}
#else
static rs_sum_fn *rs_pick(void)
{
	return sum_rows;
}
#endif

/* Outputs j0 .. j0 + len - 1 (q > 0, len a multiple of RS_LANES q): the
 * groups j + l q (l < RS_LANES) that share a phase by sum_rows, the
 * others one by one. */
static void rs_chunk(struct rs *r, struct rs_queue *qu, float *y, size_t j0,
		     size_t len)
{
	const struct bnn__interp *ip = r->ip;
	int64_t lo = INT64_MAX, hi = INT64_MIN, dq = r->dq;
	size_t ng = 0;

	for (size_t g = 0; g < len; g += RS_LANES * r->q) {
		for (size_t k = 0; k < r->q; k++) {
			size_t j = j0 + g + k;
			struct rs_group *e = &r->grp[ng];
			double t0;

			if (rs_follows(r, j, &t0) &&
			    rs_phase(r, t0, &e->p, &e->s)) {
				int64_t end = e->s + (RS_LANES - 1) * dq +
					      (int64_t)e->p->nt;
				int64_t nlo = e->s < lo ? e->s : lo;
				int64_t nhi = end > hi ? end : hi;

				if ((uint64_t)(nhi - nlo) <= r->nblk) {
					e->j = j;
					ng++;
					lo = nlo;
					hi = nhi;
					continue;
				}
			}
			for (size_t l = 0; l < RS_LANES; l++)
				rs_single(r, qu, y, j + l * r->q);
		}
	}
	if (!ng)
		return;

	const float *x = ip->x + (lo - ip->off);

	for (size_t u = 0; u < (size_t)(hi - lo); u++)
		r->blk[r->pos[u]] = x[u];
	for (size_t i = 0; i < ng; i++)
		r->sum(r->blk, r->pos + (r->grp[i].s - lo), r->grp[i].p,
		       y + r->grp[i].j, r->q);
}

/* The period of fs_in / fs_out: the least q <= RS_QMAX for which
 * q fs_in / fs_out is an integer dq, to rounding (a hint only: rs_follows
 * checks every group); q <= nph / 4, as a chunk may hold 2 q phases (its
 * t crossing a power of two). */
static void rs_period(struct rs *r)
{
	r->q = 0;
	r->dq = 0;
#ifdef BNN_TEST_HOOKS
	if (bnn__resample_path == 2)
		return;
#endif
	for (size_t q = 1; q <= RS_QMAX && q <= r->nph / 4; q++) {
		double v = (double)q * r->fs_in / r->fs_out, d = floor(v + 0.5);

		if (d >= 1 && fabs(v - d) <= 1e-9 * v) {
			/* a group spans RS_LANES dq input samples */
			if (d * RS_LANES <= 4 * RS_SPAN) {
				r->q = q;
				r->dq = (int64_t)d;
			}
			return;
		}
	}
}

static int resample_sinc(const struct bnn__interp *ip, double fs_in,
			 double fs_out, float *y, size_t m)
{
	struct rs r = { .ip = ip, .fs_in = fs_in, .fs_out = fs_out };
	size_t nw, nb = 0, ng = 0, rows = 0, len;
	char *mem;

	r.cap = (size_t)(2 * ip->half) + 4;
	if (r.cap > PH_TAPS_MAX) {
		for (size_t j = 0; j < m; j++) {
			double t = bnn__resample_pos((int64_t)j, fs_in, fs_out);

			y[j] = (float)bnn__interp_at(ip, t);
		}
		return 0;
	}
	r.nph = PH_SLOTS_MAX;
	r.shift = 64 - 8;
	while (r.nph > 16 && r.nph * r.cap * sizeof(double) > PH_BYTES_MAX) {
		r.nph /= 2;
		r.shift++;
	}
	rs_period(&r);
	r.sum = rs_pick();
	if (r.q) {
		size_t g = RS_SPAN / (RS_LANES * (size_t)r.dq);

		ng = (g ? g : 1) * r.q;
		r.chunk = ng * RS_LANES;
		r.nblk = (size_t)((double)r.chunk * fs_in / fs_out) + r.cap + 8;
		rows = r.nblk / (size_t)r.dq + 1;	/* row length */
		nb = rows * (size_t)r.dq;
	} else {
		r.chunk = 1024;
	}
	/* weights, block; phases; groups; block positions */
	nw = r.nph * r.cap;
	mem = bnn__malloc((nw + nb) * sizeof(double) +
			  r.nph * sizeof(struct phase) +
			  ng * sizeof(struct rs_group) +
			  r.nblk * sizeof(uint32_t));
	if (!mem)
		return -1;
	r.blk = (double *)mem + nw;
	r.ph = (struct phase *)((double *)mem + nw + nb);
	r.grp = (struct rs_group *)(r.ph + r.nph);
	memset(r.ph, 0, r.nph * sizeof(*r.ph));
	for (size_t i = 0; i < r.nph; i++)
		r.ph[i].w = (double *)mem + i * r.cap;
	if (r.q) {
		uint32_t *pos = (uint32_t *)(r.grp + ng);

		for (size_t u = 0; u < r.nblk; u++)
			pos[u] = (uint32_t)(u % (size_t)r.dq * rows +
					    u / (size_t)r.dq);
		r.pos = pos;
	}
	for (size_t j = 0; j < m; j += len) {
		struct rs_queue qu = { .n = 0 };
		size_t gs = RS_LANES * r.q;

		/* a chunk: the phases it takes stay in the cache */
		r.stamp++;
		len = m - j < r.chunk ? m - j : r.chunk;
		if (r.q && len >= gs) {
			len -= len % gs;
			rs_chunk(&r, &qu, y, j, len);
		} else {
			for (size_t i = 0; i < len; i++)
				rs_single(&r, &qu, y, j + i);
		}
		queue_flush(&qu);
	}
	free(mem);
	return 0;
}

int64_t bnn__resample_count(int64_t n, double fs_in, double fs_out)
{
	double last = (double)(n - 1) * fs_out / fs_in;
	return (int64_t)floor(last + 1e-9) + 1;
}

int bnn_resample(const float *x, size_t n, double fs_in, double fs_out,
		 bnn_resample_method method, float **out, size_t *nout,
		 bnn_error *err)
{
	if (out)
		*out = NULL;
	if (nout)
		*nout = 0;
	if (!x || !out || !nout || n == 0)
		return bnn__err(err, BNN_E_INVAL, "resample: NULL or empty input");
	if (!bnn__rate_ok(fs_in) || !bnn__rate_ok(fs_out))
		return bnn__err(err, BNN_E_INVAL,
				"resample: rates must be finite and > 0");
	if (method != BNN_RESAMPLE_SINC && method != BNN_RESAMPLE_LINEAR)
		return bnn__err(err, BNN_E_INVAL, "resample: unknown method %d",
				(int)method);
	double last = (double)(n - 1) * fs_out / fs_in;
	if (!(last < (double)BNN_MAX_VALUES))
		return bnn__err(err, BNN_E_RANGE,
				"resample: output of %.0f samples exceeds the limit of %zu",
				floor(last) + 1, BNN_MAX_VALUES);
	size_t m = (size_t)bnn__resample_count((int64_t)n, fs_in, fs_out);
	float *y = bnn__malloc(m * sizeof *y);
	if (!y)
		return bnn__err(err, BNN_E_NOMEM, "resample: out of memory");
	struct bnn__interp ip;
	bnn__interp_init(&ip, x, 0, (int64_t)n, fs_in, fs_out, method);
	if (method == BNN_RESAMPLE_SINC) {
		if (resample_sinc(&ip, fs_in, fs_out, y, m)) {
			free(y);
			return bnn__err(err, BNN_E_NOMEM,
					"resample: out of memory");
		}
	} else {
		for (size_t j = 0; j < m; j++)
			y[j] = (float)bnn__interp_at(&ip, bnn__resample_pos((int64_t)j,
									    fs_in, fs_out));
	}
	*out = y;
	*nout = m;
	return BNN_OK;
}
