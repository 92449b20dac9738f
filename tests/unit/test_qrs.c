// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * test_qrs.c - QRS detector and EC57 beat matching.
 *
 * Synthetic ECG (P, Q, R, S, T as Gaussians, irregular RR) at six rates
 * with known R times, under noise, wander, amplitude changes, inversion
 * and clipping; streaming = one shot for any chunking; the delay bound;
 * every bad input; the matcher.  With $RBNN_DATA: MIT-BIH record 100.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bnn_data.h"

/* ---------------------------------------------------------------------
 * Synthetic ECG
 * --------------------------------------------------------------------- */

static uint64_t rng_state;

static double urand(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

static double nrand(void)
{
	double u = urand(), v = urand();
	return sqrt(-2.0 * log(u + 1e-300)) * cos(2.0 * M_PI * v);
}

enum {
	SYN_NOISE = 1, SYN_WANDER = 2, SYN_AMP = 4, SYN_INVERT = 8,
	SYN_CLIP = 16, SYN_MAINS = 32,
};

struct syn {
	float *x;
	size_t n;
	int64_t *beats;
	size_t nbeats;
};

static void gauss_add(float *x, size_t n, double fs, double t0, double amp,
		      double sd)
{
	long a = (long)floor((t0 - 5 * sd) * fs), b = (long)ceil((t0 + 5 * sd) * fs);
	for (long i = a < 0 ? 0 : a; i <= b && i < (long)n; i++) {
		double d = i / fs - t0;
		x[i] += (float)(amp * exp(-0.5 * d * d / (sd * sd)));
	}
}

/* seconds of ECG at fs: RR 0.5 .. 1.3 s, first beat at 0.4 s. */
static void synth(struct syn *s, double fs, double seconds, unsigned flags,
		  uint64_t seed)
{
	rng_state = seed;
	s->n = (size_t)(seconds * fs);
	s->x = calloc(s->n, sizeof *s->x);
	s->beats = calloc((size_t)(seconds / 0.45) + 2, sizeof *s->beats);
	assert_non_null(s->x);
	assert_non_null(s->beats);
	s->nbeats = 0;
	double t = 0.4;
	while (t < seconds - 0.4) {
		double amp = 1.0;
		if (flags & SYN_AMP)	/* 1 mV, then 0.3 mV, then 2 mV */
			amp = t < seconds / 3 ? 1.0 : t < 2 * seconds / 3 ? 0.3 : 2.0;
		gauss_add(s->x, s->n, fs, t - 0.16, 0.12 * amp, 0.025);	/* P */
		gauss_add(s->x, s->n, fs, t - 0.03, -0.12 * amp, 0.008);	/* Q */
		gauss_add(s->x, s->n, fs, t, 1.0 * amp, 0.011);		/* R */
		gauss_add(s->x, s->n, fs, t + 0.035, -0.25 * amp, 0.010);	/* S */
		gauss_add(s->x, s->n, fs, t + 0.28, 0.30 * amp, 0.045);	/* T */
		s->beats[s->nbeats++] = (int64_t)llround(t * fs);
		t += 0.5 + 0.8 * urand();
	}
	/* noise: white through a one-pole 40 Hz low-pass, 30 uV RMS at
	 * every rate (so the test does not get easier as fs grows) */
	double pole = exp(-2 * M_PI * 40.0 / fs), ns = 0.0;
	double ngain = 0.03 * sqrt((1 + pole) / (1 - pole));
	for (size_t i = 0; i < s->n; i++) {
		double ti = i / fs, v = s->x[i];
		ns = pole * ns + (1 - pole) * nrand();
		if (flags & SYN_WANDER)
			v += 0.6 * sin(2 * M_PI * 0.3 * ti) + 0.3 * sin(2 * M_PI * 0.07 * ti);
		if (flags & SYN_NOISE)
			v += ngain * ns;
		if (flags & SYN_MAINS)
			v += 0.1 * sin(2 * M_PI * 50.0 * ti);
		if (flags & SYN_INVERT)
			v = -v;
		if (flags & SYN_CLIP)	/* the rails cut the R waves */
			v = v > 0.55 ? 0.55 : v < -0.55 ? -0.55 : v;
		s->x[i] = (float)v;
	}
}

static void syn_free(struct syn *s)
{
	free(s->x);
	free(s->beats);
}

static void detect_ok(const float *x, size_t n, double fs, int64_t **b,
		      size_t *nb)
{
	bnn_error e;
	int rc = bnn_qrs_detect(x, n, fs, NULL, b, nb, &e);
	if (rc)
		print_error("detect: %s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
	for (size_t i = 1; i < *nb; i++)
		assert_true((*b)[i] > (*b)[i - 1]);
	for (size_t i = 0; i < *nb; i++)
		assert_true((*b)[i] >= 0 && (*b)[i] < (int64_t)n);
}

static void check_perfect(const char *what, const struct syn *s, double fs)
{
	int64_t *b;
	size_t nb;
	detect_ok(s->x, s->n, fs, &b, &nb);
	bnn_match_result m;
	assert_int_equal(bnn_beat_match(s->beats, s->nbeats, b, nb, fs, 0.15, &m,
					NULL), BNN_OK);
	if (m.fp || m.fn) {
		print_error("%s at %g Hz: %zu beats, TP %zu FP %zu FN %zu\n", what,
			    fs, s->nbeats, m.tp, m.fp, m.fn);
		for (size_t i = 0; i < nb; i++)
			if (m.ref_of_det[i] < 0)
			{
				double best = 1e9;
				for (size_t j = 0; j < s->nbeats; j++)
					if (fabs((double)(b[i] - s->beats[j])) < fabs(best))
						best = (double)(b[i] - s->beats[j]);
				print_error("  FP at %.3f s (%+.0f ms from a beat)\n",
					    b[i] / fs, best * 1000 / fs);
			}
		for (size_t i = 0; i < s->nbeats; i++)
			if (m.det_of_ref[i] < 0)
				print_error("  FN at %.3f s\n", s->beats[i] / fs);
	}
	assert_int_equal(m.fp, 0);
	assert_int_equal(m.fn, 0);
	/* the R peak is located, not just the complex */
	assert_true(m.mean_abs_err_s < 0.02);
	bnn_match_result_free(&m);
	free(b);
}

static const double rates[] = { 100, 128, 250, 360, 500, 1000 };
#define NRATES (sizeof rates / sizeof rates[0])

static void test_synthetic(void **state)
{
	(void)state;
	static const struct { const char *name; unsigned flags; } cases[] = {
		{ "clean", 0 },
		{ "noise", SYN_NOISE },
		{ "wander", SYN_WANDER | SYN_NOISE },
		{ "mains", SYN_MAINS },
		{ "amplitude steps", SYN_AMP | SYN_NOISE },
		{ "inverted", SYN_INVERT | SYN_NOISE | SYN_WANDER },
		{ "clipped", SYN_CLIP | SYN_NOISE },
		{ "inverted clipped", SYN_CLIP | SYN_INVERT },
	};
	for (size_t r = 0; r < NRATES; r++)
		for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
			struct syn s;
			synth(&s, rates[r], 90.0, cases[c].flags, 17 + c * 31 + r);
			check_perfect(cases[c].name, &s, rates[r]);
			syn_free(&s);
		}
}

/* Streaming in any chunks, with any output capacity, = one shot. */
static void test_chunking(void **state)
{
	(void)state;
	for (size_t r = 0; r < NRATES; r += 2) {
		struct syn s;
		synth(&s, rates[r], 40.0, SYN_NOISE | SYN_WANDER, 99 + r);
		int64_t *ref;
		size_t nref;
		detect_ok(s.x, s.n, rates[r], &ref, &nref);
		assert_true(nref > 30);
		static const size_t chunks[] = { 1, 7, 100, 1000, 1u << 20, 0 };
		for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
			bnn_qrs *q;
			assert_int_equal(bnn_qrs_new(rates[r], NULL, &q, NULL), BNN_OK);
			int64_t *got = calloc(nref + 1, sizeof *got);
			assert_non_null(got);
			size_t ng = 0, k, cap = c % 2 ? 1 : 3;
			rng_state = c;
			for (size_t i = 0; i < s.n;) {
				size_t m = chunks[c] ? chunks[c] : 1 + (size_t)(urand() * 500);
				if (m > s.n - i)
					m = s.n - i;
				assert_int_equal(bnn_qrs_push(q, s.x + i, m, got + ng,
							      cap, &k, NULL), BNN_OK);
				ng += k;
				assert_true(ng <= nref);
				i += m;
			}
			do {
				assert_true(ng <= nref);
				assert_int_equal(bnn_qrs_flush(q, got + ng, cap, &k,
							       NULL), BNN_OK);
				ng += k;
			} while (k == cap);
			assert_int_equal(ng, nref);
			assert_memory_equal(got, ref, nref * sizeof *ref);
			assert_int_equal(bnn_qrs_queued(q), 0);
			bnn_qrs_free(q);
			free(got);
		}
		free(ref);
		syn_free(&s);
	}
}

/* Every beat comes out no later than BNN_QRS_MAX_DELAY_MS after it. */
static void test_delay_bound(void **state)
{
	(void)state;
	for (size_t r = 0; r < NRATES; r++) {
		double fs = rates[r];
		struct syn s;
		synth(&s, fs, 60.0, SYN_NOISE | SYN_AMP, 5 + r);
		/* a 5 s pause in the middle: search-back and decay at work */
		size_t p0 = (size_t)(25 * fs), p1 = (size_t)(30 * fs);
		for (size_t i = p0; i < p1; i++)
			s.x[i] = 0.01f * (float)nrand();
		bnn_qrs *q;
		assert_int_equal(bnn_qrs_new(fs, NULL, &q, NULL), BNN_OK);
		double worst = 0, typical = 0;
		size_t nb = 0;
		for (size_t i = 0; i < s.n; i++) {
			int64_t b[4];
			size_t k;
			assert_int_equal(bnn_qrs_push(q, s.x + i, 1, b, 4, &k, NULL),
					 BNN_OK);
			for (size_t j = 0; j < k; j++) {
				double d = ((double)i - (double)b[j]) * 1000.0 / fs;
				assert_true(d >= 0);
				if (d > worst)
					worst = d;
				typical += d;
				nb++;
			}
		}
		assert_true(nb > 40);
		print_message("# %g Hz: delay mean %.0f ms, max %.0f ms\n", fs,
			      typical / nb, worst);
		assert_true(worst <= BNN_QRS_MAX_DELAY_MS);
		bnn_qrs_free(q);
		syn_free(&s);
	}
}

/* ---------------------------------------------------------------------
 * Bad and degenerate input
 * --------------------------------------------------------------------- */

static size_t count_beats(const float *x, size_t n, double fs)
{
	int64_t *b;
	size_t nb;
	detect_ok(x, n, fs, &b, &nb);
	free(b);
	return nb;
}

static void test_degenerate(void **state)
{
	(void)state;
	for (size_t r = 0; r < NRATES; r++) {
		double fs = rates[r];
		size_t n = (size_t)(20 * fs);
		float *x = calloc(n, sizeof *x);
		assert_non_null(x);

		/* flat, at zero and at an offset */
		assert_int_equal(count_beats(x, n, fs), 0);
		for (size_t i = 0; i < n; i++)
			x[i] = 1234.5f;
		assert_int_equal(count_beats(x, n, fs), 0);
		/* saturated: full scale, either rail */
		for (size_t i = 0; i < n; i++)
			x[i] = 3.4e38f;
		assert_int_equal(count_beats(x, n, fs), 0);
		for (size_t i = 0; i < n; i++)
			x[i] = -3.4e38f;
		assert_int_equal(count_beats(x, n, fs), 0);
		/* all NaN, all Inf, alternating */
		for (size_t i = 0; i < n; i++)
			x[i] = NAN;
		assert_int_equal(count_beats(x, n, fs), 0);
		for (size_t i = 0; i < n; i++)
			x[i] = i & 1 ? INFINITY : -INFINITY;
		assert_int_equal(count_beats(x, n, fs), 0);
		for (size_t i = 0; i < n; i++)
			x[i] = i & 1 ? NAN : 1.0f;
		count_beats(x, n, fs);	/* anything, without a crash */
		/* very short: one sample, less than a beat */
		x[0] = 1.0f;
		assert_int_equal(count_beats(x, 1, fs), 0);
		for (size_t i = 0; i < n; i++)
			x[i] = (float)sin(i * 0.37);
		count_beats(x, (size_t)(0.3 * fs), fs);
		free(x);
	}
}

/* A NaN gap inside an ECG: no beat in it, the beats around it found. */
static void test_gap(void **state)
{
	(void)state;
	for (size_t r = 0; r < NRATES; r++) {
		double fs = rates[r];
		struct syn s;
		synth(&s, fs, 60.0, SYN_NOISE, 77 + r);
		size_t g0 = (size_t)(20.3 * fs), g1 = (size_t)(27.9 * fs);
		for (size_t i = g0; i < g1; i++)
			s.x[i] = i % 3 ? NAN : INFINITY;
		int64_t *b;
		size_t nb;
		detect_ok(s.x, s.n, fs, &b, &nb);
		for (size_t i = 0; i < nb; i++)
			assert_false(b[i] >= (int64_t)g0 && b[i] < (int64_t)g1);
		/* reference beats away from the gap edges (a window of
		 * settling after it) must all be found */
		int64_t *ref = calloc(s.nbeats, sizeof *ref);
		assert_non_null(ref);
		size_t nr = 0;
		for (size_t i = 0; i < s.nbeats; i++)
			if (s.beats[i] < (int64_t)g0 - (int64_t)(0.2 * fs) ||
			    s.beats[i] >= (int64_t)g1 + (int64_t)(0.2 * fs))
				ref[nr++] = s.beats[i];
		bnn_match_result m;
		assert_int_equal(bnn_beat_match(ref, nr, b, nb, fs, 0.15, &m, NULL),
				 BNN_OK);
		if (m.fn || m.fp)
			print_message("# gap at %g Hz: FN %zu FP %zu\n", fs, m.fn, m.fp);
		assert_int_equal(m.fn, 0);
		assert_true(m.fp <= 1);	/* a beat cut by the gap edge */
		bnn_match_result_free(&m);
		free(ref);
		free(b);
		syn_free(&s);
	}
}

static void expect_inval(int rc, const bnn_error *e, const char *needle)
{
	assert_int_equal(rc, BNN_E_INVAL);
	assert_int_equal(e->code, BNN_E_INVAL);
	if (needle && !strstr(e->msg, needle))
		print_error("message '%s' lacks '%s'\n", e->msg, needle);
	if (needle)
		assert_non_null(strstr(e->msg, needle));
}

static void test_bad_args(void **state)
{
	(void)state;
	bnn_error e;
	bnn_qrs *q = (bnn_qrs *)1;
	float x[16] = { 0 };
	int64_t *b = (int64_t *)1, ob[4];
	size_t nb = 7, k;

	static const double badfs[] = { 0, 50, 99.9, -360, 20001, 1e300, NAN,
					INFINITY, -INFINITY };
	for (size_t i = 0; i < sizeof badfs / sizeof *badfs; i++) {
		expect_inval(bnn_qrs_new(badfs[i], NULL, &q, &e), &e, "sample rate");
		assert_null(q);
		expect_inval(bnn_qrs_detect(x, 16, badfs[i], NULL, &b, &nb, &e), &e,
			     "sample rate");
		assert_null(b);
		assert_int_equal(nb, 0);
	}
	expect_inval(bnn_qrs_detect(x, 0, 360, NULL, &b, &nb, &e), &e, "empty");
	expect_inval(bnn_qrs_detect(NULL, 16, 360, NULL, &b, &nb, &e), &e, "NULL");
	expect_inval(bnn_qrs_detect(x, 16, 360, NULL, NULL, &nb, &e), &e, "NULL");
	expect_inval(bnn_qrs_new(360, NULL, NULL, &e), &e, "NULL");

	bnn_qrs_opts o;
	bnn_qrs_opts_default(&o);
	o.band_hi_hz = 60;
	expect_inval(bnn_qrs_new(360, &o, &q, &e), &e, "band");
	bnn_qrs_opts_default(&o);
	o.band_lo_hz = NAN;
	expect_inval(bnn_qrs_new(360, &o, &q, &e), &e, "band");
	bnn_qrs_opts_default(&o);
	o.window_ms = 10;
	expect_inval(bnn_qrs_new(360, &o, &q, &e), &e, "window");
	bnn_qrs_opts_default(&o);
	o.refractory_ms = 1000;
	expect_inval(bnn_qrs_new(360, &o, &q, &e), &e, "refractory");
	bnn_qrs_opts_default(&o);
	o.searchback = 0.5;
	expect_inval(bnn_qrs_new(360, &o, &q, &e), &e, "search-back");

	assert_int_equal(bnn_qrs_new(360, NULL, &q, &e), BNN_OK);
	expect_inval(bnn_qrs_push(q, NULL, 3, ob, 4, &k, &e), &e, "NULL");
	expect_inval(bnn_qrs_push(q, x, 3, NULL, 4, &k, &e), &e, "NULL");
	expect_inval(bnn_qrs_push(q, x, 3, ob, 4, NULL, &e), &e, "NULL");
	expect_inval(bnn_qrs_push(NULL, x, 3, ob, 4, &k, &e), &e, "NULL");
	assert_int_equal(bnn_qrs_push(q, NULL, 0, NULL, 0, &k, &e), BNN_OK);
	assert_int_equal(bnn_qrs_push(q, x, 16, ob, 4, &k, &e), BNN_OK);
	assert_int_equal(bnn_qrs_flush(q, ob, 4, &k, &e), BNN_OK);
	assert_int_equal(k, 0);
	assert_int_equal(bnn_qrs_push(q, x, 16, ob, 4, &k, &e), BNN_E_STATE);
	assert_int_equal(bnn_qrs_flush(q, ob, 4, &k, &e), BNN_OK);	/* again */
	bnn_qrs_free(q);
	bnn_qrs_free(NULL);
	assert_int_equal(bnn_qrs_queued(NULL), 0);
	bnn_qrs_opts_default(NULL);
}

/* Every allocation failure is reported, and nothing leaks (ASan). */
static void test_alloc_failures(void **state)
{
	(void)state;
	struct syn s;
	synth(&s, 360, 30.0, 0, 3);
	int64_t ref[] = { 1, 2, 3 }, *b;
	size_t nb;
	for (long k = 0; k < 40; k++) {
		bnn_test_fail_alloc_after(k);
		int rc = bnn_qrs_detect(s.x, s.n, 360, NULL, &b, &nb, NULL);
		bnn_test_fail_alloc_after(-1);
		if (rc == BNN_OK) {
			free(b);
			break;
		}
		assert_int_equal(rc, BNN_E_NOMEM);
		assert_null(b);
	}
	for (long k = 0; k < 8; k++) {
		bnn_match_result m;
		bnn_test_fail_alloc_after(k);
		int rc = bnn_beat_match(ref, 3, ref, 3, 360, 0.15, &m, NULL);
		bnn_test_fail_alloc_after(-1);
		bnn_match_result_free(&m);
		if (rc == BNN_OK)
			break;
		assert_int_equal(rc, BNN_E_NOMEM);
	}
	syn_free(&s);
}

/* ---------------------------------------------------------------------
 * Matcher
 * --------------------------------------------------------------------- */

static bnn_match_result match(const int64_t *r, size_t nr, const int64_t *d,
			      size_t nd, double fs, double w)
{
	bnn_match_result m;
	bnn_error e;
	int rc = bnn_beat_match(r, nr, d, nd, fs, w, &m, &e);
	if (rc)
		print_error("match: %s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
	return m;
}

static void test_match(void **state)
{
	(void)state;
	/* window in samples: 0.15 s at 100 Hz = 15 samples, inclusive */
	int64_t r1[] = { 100, 200, 300 };
	int64_t d1[] = { 115, 185, 316 };
	bnn_match_result m = match(r1, 3, d1, 3, 100, 0.15);
	assert_int_equal(m.tp, 2);
	assert_int_equal(m.fn, 1);
	assert_int_equal(m.fp, 1);
	assert_int_equal(m.det_of_ref[0], 0);
	assert_int_equal(m.det_of_ref[1], 1);	/* 15 away: in */
	assert_int_equal(m.det_of_ref[2], -1);	/* 16 away: out */
	assert_int_equal(m.ref_of_det[0], 0);
	assert_int_equal(m.ref_of_det[2], -1);
	assert_true(fabs(m.se - 2.0 / 3) < 1e-12 && fabs(m.ppv - 2.0 / 3) < 1e-12);
	bnn_match_result_free(&m);

	/* one to one: two detections near one beat -> 1 TP, 1 FP; the
	 * nearest is the match */
	int64_t r2[] = { 1000 };
	int64_t d2[] = { 990, 1003 };
	m = match(r2, 1, d2, 2, 360, 0.15);
	assert_int_equal(m.tp, 1);
	assert_int_equal(m.fp, 1);
	assert_int_equal(m.det_of_ref[0], 1);
	assert_int_equal(m.ref_of_det[0], -1);
	bnn_match_result_free(&m);

	/* nearest first across neighbours: d = 150 is 10 from r 140 and
	 * 5 from r 155; 155 takes it, 140 takes 100 (40 <= 54) */
	int64_t r3[] = { 140, 155 };
	int64_t d3[] = { 100, 150 };
	m = match(r3, 2, d3, 2, 360, 0.15);
	assert_int_equal(m.tp, 2);
	assert_int_equal(m.det_of_ref[0], 0);
	assert_int_equal(m.det_of_ref[1], 1);
	bnn_match_result_free(&m);

	/* a chain where greedy-nearest leaves one unmatched */
	int64_t r4[] = { 0, 20 };
	int64_t d4[] = { 12 };
	m = match(r4, 2, d4, 1, 100, 0.15);
	assert_int_equal(m.tp, 1);
	assert_int_equal(m.det_of_ref[1], 0);	/* 8 < 12 */
	bnn_match_result_free(&m);

	/* ties: the earlier reference wins */
	int64_t r5[] = { 90, 110 };
	int64_t d5[] = { 100 };
	m = match(r5, 2, d5, 1, 100, 0.15);
	assert_int_equal(m.det_of_ref[0], 0);
	assert_int_equal(m.det_of_ref[1], -1);
	bnn_match_result_free(&m);

	/* equal times, duplicates, window 0 = exact */
	int64_t r6[] = { 5, 5, 9 };
	int64_t d6[] = { 5, 9, 9 };
	m = match(r6, 3, d6, 3, 100, 0);
	assert_int_equal(m.tp, 2);
	assert_int_equal(m.fp, 1);
	assert_int_equal(m.fn, 1);
	bnn_match_result_free(&m);

	/* empty sides */
	m = match(NULL, 0, d1, 3, 100, 0.15);
	assert_int_equal(m.fp, 3);
	assert_true(isnan(m.se));
	assert_true(m.ppv == 0.0);
	bnn_match_result_free(&m);
	m = match(r1, 3, NULL, 0, 100, 0.15);
	assert_int_equal(m.fn, 3);
	assert_true(isnan(m.ppv));
	bnn_match_result_free(&m);
	m = match(NULL, 0, NULL, 0, 100, 0.15);
	assert_int_equal(m.tp + m.fp + m.fn, 0);
	bnn_match_result_free(&m);

	/* a long random comparison: the counts add up and pairs are one to
	 * one and within the window */
	enum { N = 5000 };
	int64_t *r = malloc(N * sizeof *r), *d = malloc(N * sizeof *d);
	assert_non_null(r);
	assert_non_null(d);
	rng_state = 42;
	int64_t t = 0, u = 0;
	for (int i = 0; i < N; i++) {
		t += 1 + (int64_t)(urand() * 300);
		u += 1 + (int64_t)(urand() * 300);
		r[i] = t;
		d[i] = u;
	}
	m = match(r, N, d, N, 360, 0.15);
	assert_int_equal(m.tp + m.fn, N);
	assert_int_equal(m.tp + m.fp, N);
	size_t pairs = 0;
	for (int i = 0; i < N; i++)
		if (m.det_of_ref[i] >= 0) {
			pairs++;
			assert_int_equal(m.ref_of_det[m.det_of_ref[i]], i);
			assert_true(llabs(d[m.det_of_ref[i]] - r[i]) <= 54);
		}
	assert_int_equal(pairs, m.tp);
	bnn_match_result_free(&m);
	free(r);
	free(d);

	/* errors */
	bnn_error e;
	int64_t bad[] = { 3, 2 };
	expect_inval(bnn_beat_match(bad, 2, d1, 3, 100, 0.15, &m, &e), &e,
		     "reference beat 1");
	expect_inval(bnn_beat_match(r1, 3, bad, 2, 100, 0.15, &m, &e), &e,
		     "detected beat 1");
	expect_inval(bnn_beat_match(r1, 3, d1, 3, 0, 0.15, &m, &e), &e, "rate");
	expect_inval(bnn_beat_match(r1, 3, d1, 3, NAN, 0.15, &m, &e), &e, "rate");
	expect_inval(bnn_beat_match(r1, 3, d1, 3, 100, -1, &m, &e), &e, "window");
	expect_inval(bnn_beat_match(NULL, 3, d1, 3, 100, 0.15, &m, &e), &e, "NULL");
	expect_inval(bnn_beat_match(r1, 3, d1, 3, 100, 0.15, NULL, &e), &e, "NULL");
	bnn_match_result_free(NULL);
}

/* ---------------------------------------------------------------------
 * MIT-BIH record 100
 * --------------------------------------------------------------------- */

static void test_mitdb_100(void **state)
{
	(void)state;
	const char *root = bnn_data_dir(NULL);
	char dir[1024], p[1100];
	if (!root) {
		print_message("# SKIP reason: RBNN_DATA is not set\n");
		skip();
		return;
	}
	snprintf(dir, sizeof dir, "%s/mitdb", root);
	snprintf(p, sizeof p, "%s/100.hea", dir);
	if (access(p, R_OK) != 0) {
		print_message("# SKIP reason: %s not readable\n", p);
		skip();
		return;
	}
	bnn_wfdb_record r;
	bnn_wfdb_annlist al;
	bnn_error e;
	assert_int_equal(bnn_wfdb_read_record(dir, "100", 0, &r, &e), BNN_OK);
	assert_int_equal(bnn_wfdb_read_annotations(dir, "100", "atr", &al, &e),
			 BNN_OK);
	size_t n = (size_t)r.nsamples, nref = 0;
	float *x = malloc(n * sizeof *x);
	int64_t *ref = malloc(al.n * sizeof *ref);
	assert_non_null(x);
	assert_non_null(ref);
	const int32_t *s = bnn_wfdb_samples(&r, 0);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)bnn_wfdb_to_phys(&r.hdr.sig[0], s[i]);
	signed char map[BNN_AAMI_MAP_SIZE];
	bnn_aami_default_map(map);
	for (size_t i = 0; i < al.n; i++)
		if (map[al.ann[i].code] >= 0)
			ref[nref++] = al.ann[i].sample;
	assert_int_equal(nref, 2273);
	int64_t *b;
	size_t nb;
	detect_ok(x, n, r.hdr.fs, &b, &nb);
	bnn_match_result m = match(ref, nref, b, nb, r.hdr.fs, 0.15);
	print_message("# mitdb 100: ref %zu TP %zu FP %zu FN %zu Se %.2f%% +P %.2f%%\n",
		      nref, m.tp, m.fp, m.fn, 100 * m.se, 100 * m.ppv);
	assert_true(m.se >= 0.995);
	assert_true(m.ppv >= 0.995);
	bnn_match_result_free(&m);
	free(b);
	free(x);
	free(ref);
	bnn_wfdb_record_free(&r);
	bnn_wfdb_annlist_free(&al);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_chunking),
		cmocka_unit_test(test_delay_bound),
		cmocka_unit_test(test_degenerate),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_mitdb_100),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
