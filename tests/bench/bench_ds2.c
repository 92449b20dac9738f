// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * bench_ds2.c - where the time of a DS2 run goes (printed, never
 * pass/fail): the MIT-BIH test records of the inter-patient split, one
 * after the other, through the public libbnn calls bnn-run makes, each
 * stage timed on its own:
 *
 *   read      bnn_wfdb_read_record + bnn_wfdb_read_annotations
 *   resample  bnn_resample of the model's lead to the model's rate (the
 *             step bnn_beats_extract also does inside, timed alone here
 *             to show its share)
 *   extract   bnn_beats_extract with the model's input and preprocessing
 *             (its own resampling, baseline, low-pass, windows, rhythm
 *             features), then the items laid out as the model wants them
 *   classify  bnn_run on the cpu backend (best kernels), batches of 256
 *
 * The whole set twice on one thread (the first pass may read from a cold
 * page cache), then once on two threads taking records in turn, each
 * with its own cpu backend (the data path parallel per record, the
 * resample-only step left out so that the wall time is end to end): CPU
 * seconds per stage (summed over the threads), the wall time of the pass,
 * and the accuracy as a check that the items are the model's.
 *
 *   bench_ds2 MODEL.bnn MITDB_DIR
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bnn.h"
#include "bnn_data.h"

enum { S_READ, S_RESAMPLE, S_EXTRACT, S_CLASSIFY, S_N };
static const char *const stage_name[S_N] = { "read", "resample", "extract", "classify" };

/* The thread's CPU time: other jobs on the shared cores do not add to it
 * (waits for the disk do not either: the wall total shows those). */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct ctx {
	bnn_model *m;
	bnn_model_info info;
	bnn_signal_desc sd;
	bnn_backend *be;
	const char *dir;
	int no_resample_step;	/* the two-thread pass: end to end only */
	int feat_kind[BNN_FEATURES_MAX];
};

/* One record through the four stages; adds seconds to t, counts beats. */
static int record(struct ctx *c, const char *name, double t[S_N],
		  size_t *beats, size_t *correct)
{
	bnn_wfdb_record rec;
	bnn_wfdb_annlist ann;
	bnn_beat_opts bo;
	bnn_beats b;
	bnn_error e;
	const char *lead = bnn_model_lead(c->m, 0);
	uint32_t ch = c->info.input.channels, nf = c->sd.nfeatures;
	size_t len, item;
	float *x, *y, *sc;
	int32_t *pred;
	size_t ny;
	double t0 = now();
	int sig;

	if (bnn_wfdb_read_record(c->dir, name, 0, &rec, &e) ||
	    bnn_wfdb_read_annotations(c->dir, name, "atr", &ann, &e)) {
		fprintf(stderr, "bench_ds2: %s: %s\n", name, e.msg);
		return -1;
	}
	t[S_READ] += now() - t0;

	/* The resampling step alone, on the model's lead in physical units. */
	t0 = now();
	sig = c->no_resample_step ? -1 : bnn_wfdb_find_lead(&rec.hdr, lead ? lead : "MLII", NULL);
	if (sig >= 0 && rec.hdr.fs != c->info.input.sample_rate_hz) {
		const int32_t *s = bnn_wfdb_samples(&rec, sig);
		size_t n = (size_t)bnn_wfdb_signal_len(&rec, sig);

		x = malloc(n * sizeof(*x));
		for (size_t i = 0; x && i < n; i++)
			x[i] = (float)bnn_wfdb_to_phys(&rec.hdr.sig[sig], s[i]);
		if (x && !bnn_resample(x, n, rec.hdr.fs, c->info.input.sample_rate_hz,
				       BNN_RESAMPLE_SINC, &y, &ny, &e))
			free(y);
		free(x);
	}
	t[S_RESAMPLE] += now() - t0;

	t0 = now();
	bnn_beat_opts_default(&bo);
	bo.lead = lead ? lead : "MLII";
	bo.fs = c->info.input.sample_rate_hz;
	bo.pre = (int)c->info.input.beat_pre;
	bo.post = (int)c->info.input.beat_post;
	bo.norm = BNN_NORM_MV;
	bo.baseline = c->sd.baseline;
	bo.lowpass_hz = c->sd.lowpass_hz;
	bo.amp_norm = c->sd.amp_norm;
	bo.ref_beats = (int)c->sd.ref_beats;
	if (bnn_beats_extract(&rec, &ann, &bo, &b, &e)) {
		fprintf(stderr, "bench_ds2: %s: %s\n", name, e.msg);
		bnn_wfdb_record_free(&rec);
		bnn_wfdb_annlist_free(&ann);
		return -1;
	}
	len = b.len * ch;
	item = len + nf;
	x = malloc(b.n * item * sizeof(*x) + 1);
	sc = malloc(b.n * c->info.nclasses * sizeof(*sc) + 1);
	pred = malloc(b.n * sizeof(*pred) + 1);
	if (!x || !sc || !pred)
		return -1;
	for (size_t k = 0; k < b.n; k++) {
		memcpy(x + k * item, b.x + k * len, len * sizeof(*x));
		for (uint32_t f = 0; f < nf; f++)
			x[k * item + len + f] = b.rhythm[k * BNN_FEAT_COUNT + c->feat_kind[f]];
	}
	t[S_EXTRACT] += now() - t0;

	t0 = now();
	for (size_t k = 0; k < b.n; k += 256) {
		size_t n = b.n - k < 256 ? b.n - k : 256;

		if (bnn_run(c->be, x + k * item, n, sc + k * c->info.nclasses,
			    pred + k, NULL, &e)) {
			fprintf(stderr, "bench_ds2: %s: %s\n", name, e.msg);
			return -1;
		}
	}
	t[S_CLASSIFY] += now() - t0;
	for (size_t k = 0; k < b.n; k++)
		*correct += pred[k] == b.cls[k];
	*beats += b.n;
	free(x);
	free(sc);
	free(pred);
	bnn_beats_free(&b);
	bnn_wfdb_record_free(&rec);
	bnn_wfdb_annlist_free(&ann);
	return 0;
}

/* The two-thread pass: records taken in turn from a shared counter. */
struct share {
	struct ctx c;
	const bnn_aami_split *sp;
	atomic_size_t *next;
	double t[S_N];
	size_t beats, correct;
	int rc;
};

static void *share_run(void *arg)
{
	struct share *s = arg;
	size_t r;

	while ((r = atomic_fetch_add(s->next, 1)) < s->sp->nrec[BNN_SET_DS2])
		if (record(&s->c, s->sp->rec[BNN_SET_DS2][r], s->t, &s->beats,
			   &s->correct)) {
			s->rc = -1;
			break;
		}
	return NULL;
}

static int two_threads(const struct ctx *c0, const bnn_aami_split *sp)
{
	struct share sh[2];
	atomic_size_t next = 0;
	pthread_t tid;
	double t[S_N] = { 0 }, tot, w0;
	size_t beats = 0, correct = 0;
	bnn_error e;
	int rc = 0;

	for (int i = 0; i < 2; i++) {
		memset(&sh[i], 0, sizeof(sh[i]));
		sh[i].c = *c0;
		sh[i].c.no_resample_step = 1;
		sh[i].sp = sp;
		sh[i].next = &next;
		if (i && (bnn_backend_open(BNN_BACKEND_CPU, NULL, &sh[i].c.be, &e) ||
			  bnn_prepare(sh[i].c.be, c0->m, &e))) {
			fprintf(stderr, "bench_ds2: %s\n", e.msg);
			return -1;
		}
	}
	w0 = wall();
	if (pthread_create(&tid, NULL, share_run, &sh[1])) {
		fprintf(stderr, "bench_ds2: cannot start a thread\n");
		bnn_backend_close(sh[1].c.be);
		return -1;
	}
	share_run(&sh[0]);
	pthread_join(tid, NULL);
	w0 = wall() - w0;
	bnn_backend_close(sh[1].c.be);
	for (int i = 0; i < 2; i++) {
		rc |= sh[i].rc;
		for (int s = 0; s < S_N; s++)
			t[s] += sh[i].t[s];
		beats += sh[i].beats;
		correct += sh[i].correct;
	}
	if (rc)
		return -1;
	tot = t[S_READ] + t[S_EXTRACT] + t[S_CLASSIFY];
	printf("%-6s %8.3f %9s %8.3f %9.3f %8.3f %8zu %10.0f %8.2f %8.2f%%\n",
	       "2 thr", t[S_READ], "-", t[S_EXTRACT], t[S_CLASSIFY], tot, beats,
	       beats / w0, w0, 100.0 * correct / (beats ? beats : 1));
	printf("  two threads, one record at a time each: end to end %.2f s wall, "
	       "%.0f beats/s wall (CPU seconds summed over the threads)\n", w0,
	       beats / w0);
	return 0;
}

int main(int argc, char **argv)
{
	struct ctx c = { .sd = { .size = sizeof(c.sd) } };
	bnn_aami_split sp;
	bnn_backend_info bi;
	bnn_error e;

	if (argc != 3) {
		fprintf(stderr, "usage: %s MODEL.bnn MITDB_DIR\n", argv[0]);
		return 2;
	}
	c.dir = argv[2];
	if (bnn_model_load(argv[1], &c.m, &e) ||
	    bnn_backend_open(BNN_BACKEND_CPU, NULL, &c.be, &e) ||
	    bnn_prepare(c.be, c.m, &e)) {
		fprintf(stderr, "bench_ds2: %s\n", e.msg);
		return 1;
	}
	bnn_model_info_get(c.m, &c.info);
	bnn_model_signal_get(c.m, &c.sd);
	bnn_backend_info_get(c.be, &bi);
	for (uint32_t f = 0; f < c.sd.nfeatures; f++)
		bnn_model_feature_get(c.m, f, &c.feat_kind[f], NULL, NULL);
	bnn_aami_split_default(&sp);
	printf("command: %s %s %s\n", argv[0], argv[1], argv[2]);
	printf("DS2 (%zu records) through %s: %u Hz, %u+%u samples per beat, "
	       "cpu backend (%s), 1 thread; CPU seconds per stage\n",
	       sp.nrec[BNN_SET_DS2], c.info.name, (unsigned)c.info.input.sample_rate_hz,
	       c.info.input.beat_pre, c.info.input.beat_post, bi.detail);
	printf("%-6s %8s %9s %8s %9s %8s %8s %10s %8s %9s\n", "pass", "read", "resample",
	       "extract", "classify", "total", "beats", "beats/s", "wall s", "accuracy");
	for (int pass = 1; pass <= 2; pass++) {
		double t[S_N] = { 0 }, tot = 0, w0 = wall();
		size_t beats = 0, correct = 0;

		for (size_t r = 0; r < sp.nrec[BNN_SET_DS2]; r++)
			if (record(&c, sp.rec[BNN_SET_DS2][r], t, &beats, &correct))
				return 1;
		/* resample is timed alone but also runs inside extract */
		tot = t[S_READ] + t[S_EXTRACT] + t[S_CLASSIFY];
		printf("%-6d %8.3f %9.3f %8.3f %9.3f %8.3f %8zu %10.0f %8.2f %8.2f%%\n", pass,
		       t[S_READ], t[S_RESAMPLE], t[S_EXTRACT], t[S_CLASSIFY], tot,
		       beats, beats / tot, wall() - w0,
		       100.0 * correct / (beats ? beats : 1));
		if (pass == 2)
			for (int s = 0; s < S_N; s++)
				printf("  %-9s %5.1f %% of the total%s\n", stage_name[s],
				       100 * t[s] / tot,
				       s == S_RESAMPLE ? " (inside extract, not added)" : "");
	}
	if (two_threads(&c, &sp))
		return 1;
	printf("(total = read + extract + classify, CPU; beats/s = beats / that; "
	       "the resample pass is extra work done only to time that step)\n");
	bnn_backend_close(c.be);
	bnn_model_free(c.m);
	return 0;
}
