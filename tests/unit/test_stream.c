// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * test_stream.c - live streams (bnn_data.h, "Live streams"): the beat
 * builder against the batch path (bnn_qrs_detect + bnn_beats_extract)
 * bit for bit, on synthetic ECG and on MIT-BIH record 100 ($RBNN_DATA),
 * for every preprocessing, at equal and other output rates, pushed one
 * sample at a time, in random chunks and at once; the window framer
 * against bnn_resample; memory bound over two hours of signal; bad input
 * and allocation failures.
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

#include "bnn_data.h"

/* ---------------------------------------------------------------------
 * Signals
 * --------------------------------------------------------------------- */

static uint64_t rng = 88172645463325252ull;

static double urand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

/* Synthetic ECG in integer "ADC" units (exact as float): QRS and T
 * gaussians at irregular RR (ectopic-like short beats now and then),
 * baseline wander and noise.  n samples at fs. */
static int32_t *synth_ecg(size_t n, double fs, uint64_t seed)
{
	int32_t *v = calloc(n, sizeof *v);
	double *acc = calloc(n, sizeof *acc);
	assert_non_null(v);
	assert_non_null(acc);
	rng = seed;
	for (double t = 0.4 * fs; t < (double)n; ) {
		double amp = urand() < 0.1 ? -700 : 1000;
		long c = (long)t;
		for (long k = c - (long)(0.6 * fs); k < c + (long)(0.6 * fs); k++) {
			if (k < 0 || k >= (long)n)
				continue;
			double d = (k - c) / fs, dt = d - 0.25;
			acc[k] += amp * exp(-d * d / (2 * 0.01 * 0.01)) +
				  180 * exp(-dt * dt / (2 * 0.04 * 0.04));
		}
		double rr = 0.65 + 0.35 * urand();
		if (urand() < 0.08)
			rr *= 0.6;
		t += rr * fs;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = (int32_t)lround(acc[i] + 300 * sin(2 * M_PI * 0.3 * i / fs) +
				       20 * (urand() - 0.5));
	free(acc);
	return v;
}

static float *to_float(const int32_t *v, size_t n)
{
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)v[i];
	return x;
}

/* A one-signal record of v (gain 1, baseline 0, mV: physical = ADC). */
static void make_record(bnn_wfdb_record *r, int32_t *v, size_t n, double fs)
{
	memset(r, 0, sizeof *r);
	strcpy(r->hdr.name, "syn");
	r->hdr.nsig = 1;
	r->hdr.ngroups = 1;
	r->hdr.fs = fs;
	r->hdr.nsamples = (int64_t)n;
	r->hdr.sig = calloc(1, sizeof *r->hdr.sig);
	assert_non_null(r->hdr.sig);
	strcpy(r->hdr.sig[0].file, "syn.dat");
	r->hdr.sig[0].format = 16;
	r->hdr.sig[0].gain = 1;
	strcpy(r->hdr.sig[0].units, "mV");
	strcpy(r->hdr.sig[0].desc, "MLII");
	r->nsamples = (int64_t)n;
	r->data = v;
}

/* ---------------------------------------------------------------------
 * Batch reference and stream runs
 * --------------------------------------------------------------------- */

/* bnn_beats_extract over the beats bnn_qrs_detect finds in x. */
static void batch(const bnn_wfdb_record *rec, const float *x,
		  const bnn_beat_opts *o, bnn_beats *b)
{
	int64_t *det;
	size_t nd;
	bnn_error e;
	assert_int_equal(bnn_qrs_detect(x, (size_t)rec->nsamples, rec->hdr.fs,
					NULL, &det, &nd, &e), BNN_OK);
	bnn_wfdb_annlist a;
	memset(&a, 0, sizeof a);
	a.n = nd;
	a.ann = calloc(nd ? nd : 1, sizeof *a.ann);
	assert_non_null(a.ann);
	for (size_t i = 0; i < nd; i++) {
		a.ann[i].sample = det[i];
		a.ann[i].code = bnn_wfdb_ann_code("N");
	}
	int rc = bnn_beats_extract(rec, &a, o, b, &e);
	if (rc)
		print_error("batch: %s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
	free(a.ann);
	free(det);
}

struct got {
	size_t n, cap, len;
	int64_t *sample, *ready;
	float *x, *rhythm;
};

static void got_add(struct got *g, const bnn_stream_item *it)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 256;
		g->sample = realloc(g->sample, g->cap * sizeof *g->sample);
		g->ready = realloc(g->ready, g->cap * sizeof *g->ready);
		g->x = realloc(g->x, g->cap * it->len * sizeof *g->x);
		g->rhythm = realloc(g->rhythm, g->cap * BNN_FEAT_COUNT *
					       sizeof *g->rhythm);
		assert_true(g->sample && g->ready && g->x && g->rhythm);
	}
	g->len = it->len;
	g->sample[g->n] = it->sample;
	g->ready[g->n] = it->ready;
	memcpy(g->x + g->n * it->len, it->x, it->len * sizeof *it->x);
	memcpy(g->rhythm + g->n * BNN_FEAT_COUNT, it->rhythm,
	       sizeof it->rhythm);
	g->n++;
}

static void got_free(struct got *g)
{
	free(g->sample);
	free(g->ready);
	free(g->x);
	free(g->rhythm);
	memset(g, 0, sizeof *g);
}

/* chunk: 0 = all at once, > 0 = that size, < 0 = random 1 .. -chunk. */
static void stream_run(const float *x, size_t n, double fs,
		       const bnn_beat_opts *bo, uint32_t features, long chunk,
		       struct got *g, bnn_beat_stream_stats *st)
{
	bnn_beat_stream_opts o;
	bnn_beat_stream *s;
	bnn_stream_item it;
	bnn_error e;
	bnn_beat_stream_opts_default(&o, fs);
	o.beat = *bo;
	o.features = features;
	int rc = bnn_beat_stream_new(&o, &s, &e);
	if (rc)
		print_error("stream_new: %s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
	memset(g, 0, sizeof *g);
	for (size_t i = 0; i < n;) {
		size_t m = chunk == 0 ? n : chunk > 0 ? (size_t)chunk :
			   1 + (size_t)(urand() * (double)-chunk);
		m = m > n - i ? n - i : m;
		assert_int_equal(bnn_beat_stream_push(s, x + i, m, &e), BNN_OK);
		i += m;
		while (bnn_beat_stream_next(s, &it)) {
			assert_true(it.ready <= (int64_t)i - 1);
			assert_true(it.ready >= it.sample);
			got_add(g, &it);
		}
	}
	assert_int_equal(bnn_beat_stream_finish(s, &e), BNN_OK);
	while (bnn_beat_stream_next(s, &it))
		got_add(g, &it);
	if (st)
		bnn_beat_stream_stats_get(s, st);
	assert_int_equal(bnn_beat_stream_push(s, x, 1, &e), BNN_E_STATE);
	bnn_beat_stream_free(s);
}

/* Stream items == batch beats, bit for bit (the rhythm features of the
 * mask only; all of them with BNN_STREAM_FEAT_ALL). */
static void same_as_batch(const struct got *g, const bnn_beats *b,
			  uint32_t features, const char *what)
{
	if (g->n != b->n)
		print_error("%s: %zu stream items, %zu batch beats\n", what,
			    g->n, b->n);
	assert_int_equal(g->n, b->n);
	for (size_t i = 0; i < b->n; i++) {
		assert_int_equal(g->sample[i], b->sample[i]);
		if (memcmp(g->x + i * b->len, b->x + i * b->len,
			   b->len * sizeof(float))) {
			for (size_t q = 0; q < b->len; q++)
				if (memcmp(&g->x[i * b->len + q],
					   &b->x[i * b->len + q], 4))
					print_error("%s: beat %zu (sample %lld) x[%zu] %.9g != %.9g\n",
						    what, i, (long long)b->sample[i], q,
						    g->x[i * b->len + q],
						    b->x[i * b->len + q]);
			fail();
		}
		for (int f = 0; f < BNN_FEAT_COUNT; f++) {
			if (!(features & BNN_STREAM_FEAT(f)))
				continue;
			float u = g->rhythm[i * BNN_FEAT_COUNT + f];
			float v = b->rhythm[i * BNN_FEAT_COUNT + f];
			if (memcmp(&u, &v, sizeof u)) {
				print_error("%s: beat %zu feature %s %.9g != %.9g\n",
					    what, i, bnn_feature_name(f), u, v);
				fail();
			}
		}
	}
}

struct cfg {
	const char *name;
	double fs;
	int pre, post;
	bnn_norm norm;
	bnn_resample_method rs;
	int baseline;
	double lowpass;
	int amp;
	int ref;	/* ref_beats */
};

static const struct cfg cfgs[] = {
	{ "full prep, 360 Hz", 0, 40, 60, BNN_NORM_MV, 0, 1, 35, 1, 0 },
	{ "full prep + beat reference 32, 180 Hz", 180, 45, 72, BNN_NORM_MV, 0, 1, 35, 1, 32 },
	{ "beat reference 5 only, raw + zscore, 360 Hz", 0, 60, 60, BNN_NORM_ZSCORE, 0, 0, 0, 0, 5 },
	{ "full prep + zscore, 180 Hz", 180, 20, 30, BNN_NORM_ZSCORE, 0, 1, 35, 1, 0 },
	{ "baseline only, 250 Hz linear", 250, 50, 70, BNN_NORM_MV, 1, 1, 0, 0, 0 },
	{ "low-pass only, 500 Hz", 500, 64, 64, BNN_NORM_MV, 0, 0, 40, 0, 0 },
	{ "amplitude only, 360 Hz", 0, 90, 110, BNN_NORM_MV, 0, 0, 0, 1, 0 },
	{ "raw, 360 Hz", 0, 128, 128, BNN_NORM_MV, 0, 0, 0, 0, 0 },
	{ "raw + zscore, 250 Hz sinc", 250, 90, 90, BNN_NORM_ZSCORE, 0, 0, 0, 0, 0 },
	{ "raw, 128 Hz linear", 128, 30, 40, BNN_NORM_MV, 1, 0, 0, 0, 0 },
};

static void cfg_opts(const struct cfg *c, bnn_beat_opts *o)
{
	bnn_beat_opts_default(o);
	o->lead = NULL;
	o->fs = c->fs;
	o->pre = c->pre;
	o->post = c->post;
	o->norm = c->norm;
	o->resample = c->rs;
	o->baseline = c->baseline;
	o->lowpass_hz = c->lowpass;
	o->amp_norm = c->amp;
	o->ref_beats = c->ref;
}

/* ---------------------------------------------------------------------
 * Tests
 * --------------------------------------------------------------------- */

static void test_synthetic_vs_batch(void **state)
{
	(void)state;
	const double fs = 360;
	size_t n = (size_t)(150 * fs);
	int32_t *v = synth_ecg(n, fs, 11);
	float *x = to_float(v, n);
	bnn_wfdb_record rec;
	make_record(&rec, v, n, fs);
	for (size_t k = 0; k < sizeof cfgs / sizeof *cfgs; k++) {
		bnn_beat_opts o;
		bnn_beats b;
		struct got g;
		cfg_opts(&cfgs[k], &o);
		batch(&rec, x, &o, &b);
		assert_true(b.n > 150);
		static const long chunks[] = { -3000, 0, 1, 97 };
		for (size_t c = 0; c < 4; c++) {
			/* one sample at a time: two configurations (time) */
			if (chunks[c] == 1 && k % 4)
				continue;
			char what[128];
			snprintf(what, sizeof what, "%s, chunk %ld",
				 cfgs[k].name, chunks[c]);
			stream_run(x, n, fs, &o, BNN_STREAM_FEAT_ALL, chunks[c], &g,
				   NULL);
			same_as_batch(&g, &b, BNN_STREAM_FEAT_ALL, what);
			got_free(&g);
		}
		/* Without waiting for beats: same windows, earlier. */
		stream_run(x, n, fs, &o, 0, -500, &g, NULL);
		same_as_batch(&g, &b, 0, cfgs[k].name);
		got_free(&g);
		/* PRE_RR and LOCAL_RR only: no wait for the next beat, final
		 * values. */
		uint32_t mask = BNN_STREAM_FEAT(BNN_FEAT_PRE_RR) |
				BNN_STREAM_FEAT(BNN_FEAT_LOCAL_RR) |
				BNN_STREAM_FEAT(BNN_FEAT_LONG_RR) |
				BNN_STREAM_FEAT(BNN_FEAT_IRREG);
		stream_run(x, n, fs, &o, mask, -500, &g, NULL);
		same_as_batch(&g, &b, mask, cfgs[k].name);
		got_free(&g);
		bnn_beats_free(&b);
	}
	rec.data = NULL;
	free(rec.hdr.sig);
	free(v);
	free(x);
}

/* Delay: items come out within the documented bound after their beat,
 * and without POST features no later than with them. */
static void test_delay(void **state)
{
	(void)state;
	const double fs = 360;
	size_t n = (size_t)(120 * fs);
	int32_t *v = synth_ecg(n, fs, 5);
	float *x = to_float(v, n);
	bnn_beat_opts o;
	cfg_opts(&cfgs[0], &o);
	struct got a, b;
	stream_run(x, n, fs, &o, BNN_STREAM_FEAT_ALL, 1, &a, NULL);
	uint32_t nopost = BNN_STREAM_FEAT_ALL &
			  ~(BNN_STREAM_FEAT(BNN_FEAT_POST_RR) |
			    BNN_STREAM_FEAT(BNN_FEAT_POST_PRE));
	stream_run(x, n, fs, &o, nopost, 1, &b, NULL);
	assert_int_equal(a.n, b.n);
	double sa = 0, sb = 0, mb = 0;
	for (size_t i = 0; i + 1 < a.n; i++) {
		double da = (double)(a.ready[i] - a.sample[i]) / fs;
		double db = (double)(b.ready[i] - b.sample[i]) / fs;
		assert_true(db <= da);
		assert_true(db <= BNN_QRS_MAX_DELAY_MS / 1000 + 1.0);
		sa += da;
		sb += db;
		mb = db > mb ? db : mb;
	}
	print_message("# delay, 1-sample pushes: mean %.3f s with POST_RR, %.3f s without (max %.3f s)\n",
		      sa / (double)(a.n - 1), sb / (double)(b.n - 1), mb);
	got_free(&a);
	got_free(&b);
	free(v);
	free(x);
}

/* ---------------------------------------------------------------------
 * bnn_beats_detect: a whole signal at once
 * --------------------------------------------------------------------- */

/* The items of bnn_beats_detect as a struct got, for same_as_batch. */
static void beats_as_got(const bnn_beats *d, struct got *g)
{
	memset(g, 0, sizeof *g);
	g->n = g->cap = d->n;
	g->len = d->len;
	g->sample = d->sample;
	g->x = d->x;
	g->rhythm = d->rhythm;
}

/* bnn_beats_detect = the batch path (bnn_qrs_detect + bnn_beats_extract)
 * bit for bit, and the stream's counts; detected beats are class N. */
static void check_detect(const bnn_wfdb_record *rec, const float *x,
			 const bnn_beat_opts *bo, const char *what)
{
	bnn_beat_stream_opts o;
	bnn_beats b, d;
	bnn_beat_stream_stats st;
	struct got g, s;
	bnn_error e;
	size_t n = (size_t)rec->nsamples;

	batch(rec, x, bo, &b);
	bnn_beat_stream_opts_default(&o, rec->hdr.fs);
	o.beat = *bo;
	o.features = 0;		/* not used: every feature is final */
	int rc = bnn_beats_detect(x, n, &o, &d, &e);
	if (rc)
		print_error("%s: bnn_beats_detect: %s\n", what, e.msg);
	assert_int_equal(rc, BNN_OK);
	beats_as_got(&d, &g);
	same_as_batch(&g, &b, BNN_STREAM_FEAT_ALL, what);
	assert_int_equal(d.len, b.len);
	assert_int_equal(d.channels, 1);
	assert_true(d.fs == b.fs);
	stream_run(x, n, rec->hdr.fs, bo, BNN_STREAM_FEAT_ALL, 4096, &s, &st);
	assert_int_equal(d.n, s.n);
	assert_int_equal(d.count[BNN_AAMI_N], d.n);
	assert_int_equal(d.dropped[BNN_AAMI_N], st.dropped + st.late);
	size_t bsum = 0;
	for (int c = 0; c < BNN_AAMI_NCLASS; c++)
		bsum += b.dropped[c];
	assert_int_equal(d.dropped[BNN_AAMI_N], bsum);
	for (size_t i = 0; i < d.n; i++) {
		assert_int_equal(d.cls[i], BNN_AAMI_N);
		assert_int_equal(d.code[i], bnn_wfdb_ann_code("N"));
	}
	got_free(&s);
	bnn_beats_free(&d);
	bnn_beats_free(&b);
}

static void test_detect_whole(void **state)
{
	(void)state;
	const double fs = 360;
	size_t n = (size_t)(150 * fs);
	int32_t *v = synth_ecg(n, fs, 23);
	float *x = to_float(v, n);
	bnn_wfdb_record rec;
	make_record(&rec, v, n, fs);
	for (size_t k = 0; k < sizeof cfgs / sizeof *cfgs; k++) {
		bnn_beat_opts o;
		cfg_opts(&cfgs[k], &o);
		check_detect(&rec, x, &o, cfgs[k].name);
	}
	/* Longer than one push of bnn_beats_detect (64 Ki samples). */
	rec.data = NULL;
	free(rec.hdr.sig);
	free(v);
	free(x);
	n = (size_t)(400 * fs);
	v = synth_ecg(n, fs, 5);
	x = to_float(v, n);
	make_record(&rec, v, n, fs);
	bnn_beat_opts o;
	cfg_opts(&cfgs[1], &o);
	check_detect(&rec, x, &o, "400 s, full prep + beat reference");
	rec.data = NULL;
	free(rec.hdr.sig);
	free(v);
	free(x);
}

static void test_detect_bad_input(void **state)
{
	(void)state;
	bnn_beat_stream_opts o;
	bnn_beats d;
	bnn_error e;
	float x[2000];

	for (size_t i = 0; i < 2000; i++)
		x[i] = 0.25f;
	bnn_beat_stream_opts_default(&o, 360);
	o.beat.pre = 40;
	o.beat.post = 60;
	/* A flat signal: no beat, success. */
	memset(&d, 0xff, sizeof d);
	assert_int_equal(bnn_beats_detect(x, 2000, &o, &d, &e), BNN_OK);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.len, 100);
	assert_int_equal(d.count[BNN_AAMI_N], 0);
	bnn_beats_free(&d);
	/* Arguments. */
	assert_int_equal(bnn_beats_detect(x, 0, &o, &d, &e), BNN_E_INVAL);
	assert_non_null(strstr(e.msg, "no samples"));
	assert_int_equal(d.n, 0);
	assert_null(d.x);
	assert_int_equal(bnn_beats_detect(NULL, 10, &o, &d, &e), BNN_E_INVAL);
	assert_int_equal(bnn_beats_detect(x, 10, NULL, &d, &e), BNN_E_INVAL);
	assert_int_equal(bnn_beats_detect(x, 10, &o, NULL, &e), BNN_E_INVAL);
	/* The stream's option checks. */
	o.fs_in = 50;
	assert_int_equal(bnn_beats_detect(x, 2000, &o, &d, &e), BNN_E_INVAL);
	assert_non_null(strstr(e.msg, "50 Hz"));
	assert_null(d.x);
	o.fs_in = 360;
	o.beat.pre = -1;
	assert_int_equal(bnn_beats_detect(x, 2000, &o, &d, &e), BNN_E_INVAL);
	o.beat.pre = 40;
	o.beat.lowpass_hz = 200;
	assert_int_equal(bnn_beats_detect(x, 2000, &o, &d, &e), BNN_E_INVAL);
	o.beat.lowpass_hz = 0;
	/* A NaN sample: named, nothing returned. */
	x[1234] = NAN;
	assert_int_equal(bnn_beats_detect(x, 2000, &o, &d, &e), BNN_E_RANGE);
	assert_non_null(strstr(e.msg, "sample 1234"));
	assert_int_equal(d.n, 0);
	assert_null(d.x);
}

/* Every allocation of bnn_beats_detect fails in turn: an error, no leak,
 * out left empty. */
static void test_detect_alloc_failures(void **state)
{
	(void)state;
	const double fs = 360;
	size_t n = (size_t)(20 * fs);
	int32_t *v = synth_ecg(n, fs, 9);
	float *x = to_float(v, n);
	int ok = 0;
	for (long k = 0; k < 400 && !ok; k++) {
		bnn_beat_stream_opts o;
		bnn_beats d;
		bnn_error e;
		bnn_beat_stream_opts_default(&o, fs);
		o.beat.fs = 250;
		o.beat.pre = 40;
		o.beat.post = 60;
		o.beat.baseline = 1;
		o.beat.lowpass_hz = 35;
		o.beat.amp_norm = 1;
		bnn_test_fail_alloc_after(k);
		int rc = bnn_beats_detect(x, n, &o, &d, &e);
		bnn_test_fail_alloc_after(-1);
		if (rc == BNN_OK) {
			assert_true(d.n > 15);
			ok = 1;
		} else {
			assert_true(rc == BNN_E_NOMEM || rc == BNN_E_STATE);
			assert_int_equal(d.n, 0);
			assert_null(d.x);
		}
		bnn_beats_free(&d);
	}
	assert_true(ok);
	free(v);
	free(x);
}

static void test_mitdb_100(void **state)
{
	(void)state;
	const char *root = getenv("RBNN_DATA");
	char dir[1024];
	if (!root || !*root) {
		skip();
		return;
	}
	snprintf(dir, sizeof dir, "%s/mitdb", root);
	bnn_wfdb_record rec;
	bnn_error e;
	if (bnn_wfdb_read_record(dir, "100", 0, &rec, &e)) {
		print_message("# no record 100: %s\n", e.msg);
		skip();
		return;
	}
	int sig = bnn_wfdb_find_signal(&rec.hdr, "MLII");
	assert_true(sig >= 0);
	size_t n = (size_t)rec.nsamples;
	const int32_t *v = bnn_wfdb_samples(&rec, sig);
	const bnn_wfdb_signal *sg = &rec.hdr.sig[sig];
	/* What bnn_beats_extract processes: millivolts for BNN_NORM_MV, the
	 * ADC values otherwise. */
	float *mv = malloc(n * sizeof *mv), *adc = malloc(n * sizeof *adc);
	assert_non_null(mv);
	assert_non_null(adc);
	for (size_t i = 0; i < n; i++) {
		mv[i] = (float)(((double)v[i] - sg->baseline) * (1.0 / sg->gain));
		adc[i] = (float)v[i];
	}
	static const struct cfg c100[] = {
		{ "100: the feature model's preprocessing", 0, 40, 60,
		  BNN_NORM_MV, 0, 1, 35, 1, 0 },
		{ "100: resampled to 180 Hz + zscore", 180, 20, 30,
		  BNN_NORM_ZSCORE, 0, 1, 35, 1, 0 },
		{ "100: the ECG recipe with the beat reference", 180, 45, 72,
		  BNN_NORM_MV, 0, 1, 35, 1, 32 },
	};
	for (size_t k = 0; k < sizeof c100 / sizeof *c100; k++) {
		bnn_beat_opts o;
		bnn_beats b;
		struct got g;
		cfg_opts(&c100[k], &o);
		o.signal = sig;
		const float *x = o.norm == BNN_NORM_MV ? mv : adc;
		batch(&rec, x, &o, &b);
		assert_true(b.n > 2200);
		stream_run(x, n, rec.hdr.fs, &o, BNN_STREAM_FEAT_ALL, -2000, &g,
			   NULL);
		same_as_batch(&g, &b, BNN_STREAM_FEAT_ALL, c100[k].name);
		print_message("# %s: %zu beats identical\n", c100[k].name, g.n);
		if (k == 2) {
			bnn_beat_stream_opts so;
			bnn_beats d;
			struct got dg;
			bnn_error e2;
			bnn_beat_stream_opts_default(&so, rec.hdr.fs);
			so.beat = o;
			assert_int_equal(bnn_beats_detect(x, n, &so, &d, &e2),
					 BNN_OK);
			beats_as_got(&d, &dg);
			same_as_batch(&dg, &b, BNN_STREAM_FEAT_ALL,
				      "100: bnn_beats_detect");
			bnn_beats_free(&d);
		}
		got_free(&g);
		bnn_beats_free(&b);
	}
	free(mv);
	free(adc);
	bnn_wfdb_record_free(&rec);
}

/* Two hours pushed in 0.1 s chunks: the buffers stop growing. */
static void test_memory_bound(void **state)
{
	(void)state;
	const double fs = 360;
	size_t n = (size_t)(600 * fs);
	int32_t *v = synth_ecg(n, fs, 3);
	float *x = to_float(v, n);
	bnn_beat_stream_opts o;
	bnn_beat_stream *s;
	bnn_stream_item it;
	bnn_error e;
	bnn_beat_stream_opts_default(&o, fs);
	o.beat.pre = 40;
	o.beat.post = 60;
	o.beat.baseline = 1;
	o.beat.lowpass_hz = 35;
	o.beat.amp_norm = 1;
	o.features = BNN_STREAM_FEAT_ALL;
	assert_int_equal(bnn_beat_stream_new(&o, &s, &e), BNN_OK);
	size_t early = 0, late = 0, items = 0;
	const size_t chunk = 36;
	for (int rep = 0; rep < 12; rep++)	/* 12 x 10 min */
		for (size_t i = 0; i < n; i += chunk) {
			assert_int_equal(bnn_beat_stream_push(s, x + i, chunk, &e),
					 BNN_OK);
			while (bnn_beat_stream_next(s, &it))
				items++;
			bnn_beat_stream_stats st;
			bnn_beat_stream_stats_get(s, &st);
			if (rep == 0)
				early = st.buffered > early ? st.buffered : early;
			else
				late = st.buffered > late ? st.buffered : late;
			assert_int_equal(st.queued, 0);
		}
	bnn_beat_stream_stats st;
	bnn_beat_stream_stats_get(s, &st);
	print_message("# 2 h: %zu items, buffers at most %zu bytes in the first 10 min, %zu after\n",
		      items, early, late);
	assert_true(items > 7000);
	assert_int_equal(st.late, 0);
	assert_true(late <= 2 * early);
	assert_true(late < (size_t)1 << 20);
	bnn_beat_stream_free(s);
	free(v);
	free(x);
}

static void test_bad_input(void **state)
{
	(void)state;
	bnn_beat_stream_opts o;
	bnn_beat_stream *s = (bnn_beat_stream *)1;
	bnn_error e;
	bnn_beat_stream_opts_default(&o, 360);
	assert_int_equal(bnn_beat_stream_new(NULL, &s, &e), BNN_E_INVAL);
	assert_int_equal(bnn_beat_stream_new(&o, NULL, &e), BNN_E_INVAL);
	o.fs_in = 50;
	assert_int_equal(bnn_beat_stream_new(&o, &s, &e), BNN_E_INVAL);
	assert_null(s);
	assert_non_null(strstr(e.msg, "detector"));
	o.fs_in = NAN;
	assert_int_equal(bnn_beat_stream_new(&o, &s, &e), BNN_E_INVAL);
	o.fs_in = 360;
	o.beat.pre = o.beat.post = 0;
	assert_int_equal(bnn_beat_stream_new(&o, &s, &e), BNN_E_INVAL);
	o.beat.pre = o.beat.post = 50;
	o.beat.lowpass_hz = 180;
	assert_int_equal(bnn_beat_stream_new(&o, &s, &e), BNN_E_INVAL);
	assert_non_null(strstr(e.msg, "half the output rate"));
	o.beat.lowpass_hz = 0;
	o.features = 1u << BNN_FEAT_COUNT;
	assert_int_equal(bnn_beat_stream_new(&o, &s, &e), BNN_E_INVAL);
	o.features = 0;
	o.qrs.window_ms = 1;
	assert_int_equal(bnn_beat_stream_new(&o, &s, &e), BNN_E_INVAL);
	bnn_qrs_opts_default(&o.qrs);
	o.beat.baseline = 1;
	assert_int_equal(bnn_beat_stream_new(&o, &s, &e), BNN_OK);
	float x[4] = { 1, 2, NAN, 3 };
	assert_int_equal(bnn_beat_stream_push(s, x, 4, &e), BNN_E_RANGE);
	assert_non_null(strstr(e.msg, "sample 2"));
	assert_int_equal(bnn_beat_stream_push(s, x, 2, &e), BNN_OK);
	x[0] = INFINITY;
	assert_int_equal(bnn_beat_stream_push(s, x, 1, &e), BNN_E_RANGE);
	assert_non_null(strstr(e.msg, "sample 2"));
	assert_int_equal(bnn_beat_stream_push(s, NULL, 1, &e), BNN_E_INVAL);
	assert_int_equal(bnn_beat_stream_push(s, NULL, 0, &e), BNN_OK);
	bnn_beat_stream_stats st;
	bnn_beat_stream_stats_get(s, &st);
	assert_int_equal(st.samples, 2);
	assert_int_equal(bnn_beat_stream_finish(s, &e), BNN_OK);
	assert_int_equal(bnn_beat_stream_finish(s, &e), BNN_E_STATE);
	bnn_stream_item it;
	assert_int_equal(bnn_beat_stream_next(s, &it), 0);
	bnn_beat_stream_free(s);
	/* An empty stream ends with nothing. */
	assert_int_equal(bnn_beat_stream_new(&o, &s, &e), BNN_OK);
	assert_int_equal(bnn_beat_stream_finish(s, &e), BNN_OK);
	assert_int_equal(bnn_beat_stream_next(s, &it), 0);
	bnn_beat_stream_free(s);
	bnn_beat_stream_free(NULL);

	bnn_window_stream *w;
	assert_int_equal(bnn_window_stream_new(0, 0, 0, 8, 8, &w, &e), BNN_E_INVAL);
	assert_int_equal(bnn_window_stream_new(100, 0, 0, 0, 8, &w, &e), BNN_E_INVAL);
	assert_int_equal(bnn_window_stream_new(100, 0, 0, 8, 0, &w, &e), BNN_E_INVAL);
	assert_int_equal(bnn_window_stream_new(100, 0, 7, 8, 8, &w, &e), BNN_E_INVAL);
	assert_int_equal(bnn_window_stream_new(100, -1, 0, 8, 8, &w, &e), BNN_E_INVAL);
	bnn_window_stream_free(NULL);
}

/* One rhythm-feature beat (a single beat in the whole stream): NaN, as
 * bnn_beats_extract gives. */
static void test_one_beat(void **state)
{
	(void)state;
	const double fs = 360;
	size_t n = (size_t)(3 * fs);
	int32_t *v = calloc(n, sizeof *v);
	assert_non_null(v);
	for (size_t i = 0; i < n; i++) {
		double d = ((double)i - 1.5 * fs) / fs;
		v[i] = (int32_t)lround(1000 * exp(-d * d / (2e-4)));
	}
	float *x = to_float(v, n);
	bnn_wfdb_record rec;
	make_record(&rec, v, n, fs);
	bnn_beat_opts o;
	cfg_opts(&cfgs[0], &o);
	bnn_beats b;
	struct got g;
	batch(&rec, x, &o, &b);
	stream_run(x, n, fs, &o, BNN_STREAM_FEAT_ALL, 100, &g, NULL);
	same_as_batch(&g, &b, BNN_STREAM_FEAT_ALL, "one beat");
	for (size_t i = 0; i < g.n; i++)
		assert_true(isnan(g.rhythm[i * BNN_FEAT_COUNT]) == (b.n == 1));
	got_free(&g);
	bnn_beats_free(&b);
	rec.data = NULL;
	free(rec.hdr.sig);
	free(v);
	free(x);
}

static void test_windows(void **state)
{
	(void)state;
	static const struct {
		double fs_in, fs_out;
		bnn_resample_method m;
		size_t len, hop;
	} wc[] = {
		{ 173.61, 0, BNN_RESAMPLE_SINC, 178, 178 },
		{ 173.61, 250, BNN_RESAMPLE_SINC, 250, 100 },
		{ 500, 128, BNN_RESAMPLE_SINC, 64, 200 },
		{ 360, 250, BNN_RESAMPLE_LINEAR, 100, 33 },
	};
	size_t n = 4097;
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	rng = 99;
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(100 * sin(i * 0.05) + 30 * (urand() - 0.5));
	for (size_t k = 0; k < sizeof wc / sizeof *wc; k++) {
		float *y;
		size_t m;
		bnn_error e;
		if (wc[k].fs_out > 0) {
			assert_int_equal(bnn_resample(x, n, wc[k].fs_in, wc[k].fs_out,
						      wc[k].m, &y, &m, &e), BNN_OK);
		} else {
			y = malloc(n * sizeof *y);
			memcpy(y, x, n * sizeof *y);
			m = n;
		}
		size_t want;
		assert_int_equal(bnn_window_count(m, wc[k].len, wc[k].hop, &want,
						  &e), BNN_OK);
		for (long chunk = 1; chunk <= 1000; chunk *= 31) {
			bnn_window_stream *w;
			bnn_stream_item it;
			assert_int_equal(bnn_window_stream_new(wc[k].fs_in, wc[k].fs_out,
							       wc[k].m, wc[k].len,
							       wc[k].hop, &w, &e),
					 BNN_OK);
			size_t got = 0, maxbuf = 0;
			for (size_t i = 0; i <= n;) {
				if (i < n) {
					size_t c = n - i < (size_t)chunk ? n - i :
						   (size_t)chunk;
					assert_int_equal(bnn_window_stream_push(w, x + i, c, &e),
							 BNN_OK);
					i += c;
				} else {
					assert_int_equal(bnn_window_stream_finish(w, &e),
							 BNN_OK);
					i++;
				}
				while (bnn_window_stream_next(w, &it)) {
					assert_int_equal(it.index, got);
					assert_int_equal(it.start, (int64_t)(got * wc[k].hop));
					assert_int_equal(it.len, wc[k].len);
					assert_memory_equal(it.x, y + got * wc[k].hop,
							    wc[k].len * sizeof(float));
					got++;
				}
				size_t bb = bnn_window_stream_buffered(w);
				maxbuf = bb > maxbuf ? bb : maxbuf;
			}
			if (got != want)
				print_error("windows %zu: got %zu want %zu\n", k, got, want);
			assert_int_equal(got, want);
			assert_true(maxbuf < 64 * 1024);
			assert_int_equal(bnn_window_stream_push(w, x, 1, &e), BNN_E_STATE);
			bnn_window_stream_free(w);
		}
		free(y);
	}
	free(x);
}

/* Every allocation of a short stream fails in turn: an error, no leak. */
static void test_alloc_failures(void **state)
{
	(void)state;
	const double fs = 360;
	size_t n = (size_t)(20 * fs);
	int32_t *v = synth_ecg(n, fs, 8);
	float *x = to_float(v, n);
	int ok = 0;
	for (long k = 0; k < 400 && !ok; k++) {
		bnn_beat_stream_opts o;
		bnn_beat_stream *s;
		bnn_stream_item it;
		bnn_error e;
		bnn_beat_stream_opts_default(&o, fs);
		o.beat.fs = 250;
		o.beat.baseline = 1;
		o.beat.lowpass_hz = 35;
		o.beat.amp_norm = 1;
		o.features = BNN_STREAM_FEAT_ALL;
		bnn_test_fail_alloc_after(k);
		int rc = bnn_beat_stream_new(&o, &s, &e);
		if (rc == BNN_OK) {
			for (size_t i = 0; i < n && rc == BNN_OK; i += 900) {
				rc = bnn_beat_stream_push(s, x + i,
							  n - i < 900 ? n - i : 900, &e);
				while (bnn_beat_stream_next(s, &it))
					;
			}
			if (rc == BNN_OK)
				rc = bnn_beat_stream_finish(s, &e);
			bnn_beat_stream_free(s);
		}
		bnn_test_fail_alloc_after(-1);
		if (rc == BNN_OK)
			ok = 1;
		else
			assert_true(rc == BNN_E_NOMEM || rc == BNN_E_STATE);
	}
	assert_true(ok);
	free(v);
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synthetic_vs_batch),
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_one_beat),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_memory_bound),
		cmocka_unit_test(test_detect_whole),
		cmocka_unit_test(test_detect_bad_input),
		cmocka_unit_test(test_detect_alloc_failures),
		cmocka_unit_test(test_mitdb_100),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
