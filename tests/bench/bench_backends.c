// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * bench_backends.c - ECG beats per second end to end through every
 * backend that runs here (printed, never pass/fail).
 *
 * Model: a fully binarized ECG-sized 1-D CNN: 1 x 256 samples (z-score
 * normalised, quantised to 4 bits), BCONV1D 1 -> 32 (k 7, s 2, p 3),
 * MAXPOOL1D 2, BCONV1D 32 -> 32 (k 3, p 1), FLATTEN, BDENSE 2048 -> 64,
 * BDENSE 64 -> 5 scores (random weights, thresholds near the median sum).
 *
 * Backends: cpu with 1 thread and 2 threads (opts.threads), emu (the
 * device-model core in-process) with the error model off on 1 and 2
 * threads, and on at the defaults (read BER 1e-9: per-item error streams)
 * on 1 and 2 threads.
 * Each measurement runs batches of `batch` beats for at least `seconds`
 * of wall time after a warm-up.  Also printed: the modeled card time and
 * energy per beat (emu), the targets of issue 4 (cpu >= 100000 beats/s
 * on 2 cores; emu within 3x of cpu) and whether they are met.
 *
 * Then the shipped model models/ecg-bin-full.bnn (relative to the
 * current directory, the top of the checkout for `make bench`) on real
 * beats: MIT-BIH records of DS2 from $RBNN_DATA/mitdb (default
 * ../shared/data), cut and resampled as the model's input description
 * says (bnn-run's way), on cpu and emu, 1 and 2 threads; skipped with a
 * message when the model or the data is missing.
 *
 * Wall-clock rates need the cores: with another session busy (the
 * kernel's autogroup scheduling shares the CPU between sessions), a
 * second thread gets no second core; "CPU us/beat" does not depend on
 * that.
 *
 *   build/bench/bench_backends [seconds, default 1] [batch, default 4096]
 *                              [cpu|emu: only that backend]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bnn.h"
#include "bnn_data.h"
#include "model.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void machine(int argc, char **argv)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512], model[256] = "unknown";
	struct utsname u;
	time_t t = time(NULL);
	char date[64];

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *c = strchr(line, ':');

			if (!strncmp(line, "model name", 10) && c) {
				snprintf(model, sizeof(model), "%s", c + 2);
				model[strcspn(model, "\n")] = 0;
				break;
			}
		}
		fclose(f);
	}
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	printf("command:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\ndate: %s\n", date);
	if (!uname(&u))
		printf("kernel: %s %s %s\n", u.sysname, u.release, u.machine);
	printf("machine: %s, %ld cores online\n", model,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("libbnn %s\n", bnn_version());
}

/* Random weights; thresholds about half-way, so that bits fire ~half. */
static int add(struct bnn_model *m, uint32_t kind, uint32_t out, uint32_t k,
	       uint32_t s, uint32_t p, uint32_t scores)
{
	struct bnn__layer l;
	uint32_t c = m->nlayers ? m->layers[m->nlayers - 1].out_c : 1;
	uint32_t len = m->nlayers ? m->layers[m->nlayers - 1].out_l : 256;
	uint32_t n = kind == BNN_LAYER_BDENSE ? c * len : c * k;
	size_t rb = (n + 7) / 8;
	int rc;

	memset(&l, 0, sizeof(l));
	l.kind = kind;
	l.out_c = out;
	l.kernel = k;
	l.stride = s;
	l.pad = p;
	l.scores = scores;
	if (kind == BNN_LAYER_QUANT) {
		l.qbits = 4;
		l.qoffset = -3.0f;
		l.qscale = 0.4f;
	}
	if (kind == BNN_LAYER_BCONV1D || kind == BNN_LAYER_BDENSE) {
		l.bits = calloc((size_t)out * rb, 1);
		for (size_t j = 0; j < (size_t)out * rb; j++)
			l.bits[j] = (uint8_t)rnd64();
		for (uint32_t o = 0; o < out && n % 8; o++)
			l.bits[o * rb + rb - 1] &= (uint8_t)((1u << (n % 8)) - 1);
		if (!scores) {
			l.thr = calloc(out, 4);
			for (uint32_t o = 0; o < out; o++)
				l.thr[o] = (int32_t)(rnd64() % 9) - 4;
		}
	}
	rc = bnn__model_add(m, &l, NULL);
	free(l.bits);
	free(l.thr);
	return rc;
}

static struct bnn_model *ecg_model(void)
{
	bnn_input_desc in;
	const char *cls[] = { "N", "S", "V", "F", "Q" };
	struct bnn_model *m;

	memset(&in, 0, sizeof(in));
	in.channels = 1;
	in.length = 256;
	in.sample_rate_hz = 360;
	in.norm = BNN_INPUT_NORM_ZSCORE;
	in.norm_scale = 1;
	if (bnn__model_new(&in, 5, cls, "bench-ecg", NULL, &m, NULL))
		return NULL;
	if (add(m, BNN_LAYER_QUANT, 0, 0, 0, 0, 0) ||
	    add(m, BNN_LAYER_BCONV1D, 32, 7, 2, 3, 0) ||
	    add(m, BNN_LAYER_MAXPOOL1D, 0, 2, 2, 0, 0) ||
	    add(m, BNN_LAYER_BCONV1D, 32, 3, 1, 1, 0) ||
	    add(m, BNN_LAYER_FLATTEN, 0, 0, 0, 0, 0) ||
	    add(m, BNN_LAYER_BDENSE, 64, 0, 0, 0, 0) ||
	    add(m, BNN_LAYER_BDENSE, 5, 0, 0, 0, 1) ||
	    bnn__model_finish(m, NULL)) {
		bnn_model_free(m);
		return NULL;
	}
	return m;
}

struct result {
	double beats_s;		/* wall */
	double cpu_us;		/* process CPU time per beat */
	double dev_ns, dev_pj;	/* modeled per beat */
	int ok;
};

static struct result measure(int kind, const bnn_backend_opts *o,
			     const struct bnn_model *m, const float *x,
			     size_t batch, double seconds, float *sc,
			     int32_t *pred)
{
	struct result r = { 0 };
	bnn_backend *be;
	bnn_error e;
	bnn_stats st, tot = { 0 };
	double t0, c0, t;
	size_t items = 0;

	if (bnn_backend_open(kind, o, &be, &e) || bnn_prepare(be, m, &e)) {
		printf("  %s: %s\n", bnn_backend_kind_name(kind), e.msg);
		return r;
	}
	bnn_run(be, x, batch < 256 ? batch : 256, sc, NULL, NULL, &e);
	t0 = now();
	c0 = cpu_now();
	do {
		if (bnn_run(be, x, batch, sc, pred, &st, &e)) {
			printf("  %s: %s\n", bnn_backend_kind_name(kind), e.msg);
			bnn_backend_close(be);
			return r;
		}
		items += batch;
		tot.device_ns += st.device_ns;
		tot.device_energy_pj += st.device_energy_pj;
		t = now() - t0;
	} while (t < seconds);
	r.beats_s = items / t;
	r.cpu_us = (cpu_now() - c0) / items * 1e6;
	r.dev_ns = (double)tot.device_ns / items;
	r.dev_pj = tot.device_energy_pj / items;
	r.ok = 1;
	bnn_backend_close(be);
	return r;
}


/* ---- the shipped model on real beats ---------------------------------- */

#define SHIPPED_MODEL "models/ecg-bin-full.bnn"

/* Beats of MIT-BIH DS2 records for model m, at least `want` if there are;
 * *x malloc'ed (items of channels x length floats).  0 when none. */
static size_t real_beats(const struct bnn_model *m, size_t want, float **x,
			 char *why, size_t whylen)
{
	static const char *const recs[] = {
		"100", "103", "105", "111", "113", "117", "121", "123",
		"200", "202", "210", "212", "213", "214", "219", "221",
	};
	const char *root = bnn_data_dir("../shared/data");
	bnn_model_info mi;
	char dir[4096];
	size_t n = 0, cap = 0;

	*x = NULL;
	bnn_model_info_get(m, &mi);
	if (mi.input.channels != 1 ||
	    mi.input.beat_pre + mi.input.beat_post == 0) {
		snprintf(why, whylen, "the model does not take single-lead beats");
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s/mitdb", root ? root : "");
	for (size_t r = 0; r < sizeof(recs) / sizeof(recs[0]) && n < want; r++) {
		bnn_wfdb_record rec;
		bnn_wfdb_annlist ann;
		bnn_beat_opts bo;
		bnn_beats b;
		bnn_error e;

		if (bnn_wfdb_read_record(dir, recs[r], 0, &rec, &e)) {
			snprintf(why, whylen, "%s", e.msg);
			break;
		}
		if (bnn_wfdb_read_annotations(dir, recs[r], "atr", &ann, &e)) {
			snprintf(why, whylen, "%s", e.msg);
			bnn_wfdb_record_free(&rec);
			break;
		}
		bnn_beat_opts_default(&bo);
		bo.lead = mi.input.lead[0] ? mi.input.lead : "MLII";
		bo.fs = mi.input.sample_rate_hz;
		bo.pre = (int)mi.input.beat_pre;
		bo.post = (int)mi.input.beat_post;
		bo.norm = BNN_NORM_MV;	/* bnn-run's default units */
		if (bnn_beats_extract(&rec, &ann, &bo, &b, &e) ||
		    b.len != mi.input.length) {
			snprintf(why, whylen, "record %s: %s", recs[r],
				 b.len != mi.input.length ? "beat length" : e.msg);
			bnn_wfdb_annlist_free(&ann);
			bnn_wfdb_record_free(&rec);
			break;
		}
		if (n + b.n > cap) {
			cap = 2 * (n + b.n);
			*x = realloc(*x, cap * b.len * sizeof(float));
		}
		memcpy(*x + n * b.len, b.x, b.n * b.len * sizeof(float));
		n += b.n;
		bnn_beats_free(&b);
		bnn_wfdb_annlist_free(&ann);
		bnn_wfdb_record_free(&rec);
	}
	return n;
}

static void shipped(double seconds, size_t batch, int do_cpu, int do_emu)
{
	static const struct { int kind; uint32_t threads; const char *name; } run[] = {
		{ BNN_BACKEND_CPU, 1, "cpu, 1 thread" },
		{ BNN_BACKEND_CPU, 2, "cpu, 2 threads" },
		{ BNN_BACKEND_EMU, 1, "emu, error model off, 1 thread" },
		{ BNN_BACKEND_EMU, 2, "emu, error model off, 2 threads" },
	};
	struct result r[4];
	struct bnn_model *m;
	bnn_model_info mi;
	bnn_error e;
	char why[512] = "";
	float *x = NULL, *sc;
	int32_t *pred[4];
	size_t n;
	int same = 1;

	printf("\n== the shipped model on real beats: %s\n", SHIPPED_MODEL);
	if (bnn_model_load(SHIPPED_MODEL, &m, &e)) {
		printf("skipped: %s (run from the top of the checkout)\n", e.msg);
		return;
	}
	n = real_beats(m, batch, &x, why, sizeof(why));
	if (!n) {
		printf("skipped: no MIT-BIH beats: %s (set RBNN_DATA to the folder holding mitdb/)\n",
		       why[0] ? why : "no record read");
		bnn_model_free(m);
		free(x);
		return;
	}
	if (n < batch)
		batch = n;
	bnn_model_info_get(m, &mi);
	printf("model: %u layers (%u binary), %llu binary MAC/beat, card %llu bits, host %llu bits\n",
	       mi.nlayers, mi.binary_layers, (unsigned long long)mi.binary_macs,
	       (unsigned long long)mi.card_bits,
	       (unsigned long long)mi.host_bits);
	printf("beats: %zu of MIT-BIH DS2 (records 100, 103, ...; %s %.0f Hz, [-%u, +%u) samples, mV), batch %zu\n\n",
	       n, mi.input.lead, mi.input.sample_rate_hz, mi.input.beat_pre,
	       mi.input.beat_post, batch);
	sc = malloc(sizeof(float) * batch * mi.nclasses);
	printf("%-34s %14s %12s %14s %14s\n", "backend", "beats/s",
	       "CPU us/beat", "card ns/beat", "card nJ/beat");
	for (int i = 0; i < 4; i++) {
		bnn_backend_opts o;

		pred[i] = calloc(batch, sizeof(int32_t));
		memset(&r[i], 0, sizeof(r[i]));
		if ((run[i].kind == BNN_BACKEND_CPU && !do_cpu) ||
		    (run[i].kind == BNN_BACKEND_EMU && !do_emu))
			continue;
		bnn_backend_opts_init(&o);
		o.threads = run[i].threads;
		r[i] = measure(run[i].kind, &o, m, x, batch, seconds, sc,
			       pred[i]);
		if (!r[i].ok)
			continue;
		if (run[i].kind == BNN_BACKEND_CPU)
			printf("%-34s %14.0f %12.2f %14s %14s\n", run[i].name,
			       r[i].beats_s, r[i].cpu_us, "-", "-");
		else
			printf("%-34s %14.0f %12.2f %14.0f %14.3f\n",
			       run[i].name, r[i].beats_s, r[i].cpu_us,
			       r[i].dev_ns, r[i].dev_pj / 1000);
	}
	for (int i = 1; i < 4; i++)
		if (r[0].ok && r[i].ok &&
		    memcmp(pred[0], pred[i], batch * sizeof(int32_t)))
			same = 0;
	printf("\npredicted classes identical on every backend run: %s\n",
	       same ? "yes" : "NO");
	if (r[0].ok && r[1].ok)
		printf("cpu 2 threads / 1 thread: %.2fx\n",
		       r[1].beats_s / r[0].beats_s);
	if (r[2].ok && r[3].ok)
		printf("emu 2 threads / 1 thread: %.2fx\n",
		       r[3].beats_s / r[2].beats_s);
	for (int i = 0; i < 4; i++)
		free(pred[i]);
	free(sc);
	free(x);
	bnn_model_free(m);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 1.0;
	size_t batch = argc > 2 ? (size_t)atol(argv[2]) : 4096;
	const char *only = argc > 3 ? argv[3] : "";
	int do_cpu = !*only || !strcmp(only, "cpu");
	int do_emu = !*only || !strcmp(only, "emu");
	struct bnn_model *m;
	bnn_model_info mi;
	bnn_backend_opts o;
	struct result cpu1 = { 0 }, cpu2 = { 0 }, emu = { 0 }, emu2 = { 0 };
	struct result emu_err = { 0 }, emu_err2 = { 0 };
	float *x, *sc;
	double phase = 0;

	if (seconds <= 0)
		seconds = 1.0;
	if (!batch)
		batch = 4096;
	machine(argc, argv);
	m = ecg_model();
	if (!m) {
		printf("cannot build the model\n");
		return 0;
	}
	bnn_model_info_get(m, &mi);
	x = malloc(sizeof(float) * batch * 256);
	sc = malloc(sizeof(float) * batch * 5);
	/* ECG-like beats: a QRS-ish bump on a wandering baseline, noise */
	for (size_t i = 0; i < batch; i++) {
		phase += 0.37;
		for (size_t t = 0; t < 256; t++) {
			double d = ((double)t - 128 - 10 * sin(phase)) / 6.0;

			x[i * 256 + t] = (float)(1.2 * exp(-d * d) +
						 0.1 * sin(t / 40.0 + phase) +
						 0.02 * ((double)(rnd64() % 1000) / 500 - 1));
		}
	}
	printf("model: 1x256 4-bit -> bconv 32 k7 s2 -> maxpool 2 -> bconv 32 k3 -> "
	       "bdense 64 -> bdense 5 scores; %llu binary MAC/beat, card %llu bits, host %llu bits\n",
	       (unsigned long long)mi.binary_macs,
	       (unsigned long long)mi.card_bits,
	       (unsigned long long)mi.host_bits);
	printf("batch %zu beats, >= %.1f s per measurement\n\n", batch, seconds);

	bnn_backend_opts_init(&o);
	if (do_cpu) {
		o.threads = 1;
		cpu1 = measure(BNN_BACKEND_CPU, &o, m, x, batch, seconds, sc, NULL);
		o.threads = 2;
		cpu2 = measure(BNN_BACKEND_CPU, &o, m, x, batch, seconds, sc, NULL);
	}
	bnn_backend_opts_init(&o);
	if (do_emu) {
		emu = measure(BNN_BACKEND_EMU, &o, m, x, batch, seconds, sc, NULL);
		o.threads = 2;
		emu2 = measure(BNN_BACKEND_EMU, &o, m, x, batch, seconds, sc, NULL);
		o.threads = 1;
		o.error_model = 1;
		emu_err = measure(BNN_BACKEND_EMU, &o, m, x, batch, seconds, sc, NULL);
		o.threads = 2;
		emu_err2 = measure(BNN_BACKEND_EMU, &o, m, x, batch, seconds, sc, NULL);
	}

	printf("%-34s %14s %12s %14s %14s\n", "backend", "beats/s", "CPU us/beat",
	       "card ns/beat", "card nJ/beat");
	if (cpu1.ok)
		printf("%-34s %14.0f %12.2f %14s %14s\n", "cpu, 1 thread",
		       cpu1.beats_s, cpu1.cpu_us, "-", "-");
	if (cpu2.ok)
		printf("%-34s %14.0f %12.2f %14s %14s\n", "cpu, 2 threads",
		       cpu2.beats_s, cpu2.cpu_us, "-", "-");
	if (emu.ok)
		printf("%-34s %14.0f %12.2f %14.0f %14.3f\n",
		       "emu, error model off, 1 thread", emu.beats_s, emu.cpu_us,
		       emu.dev_ns, emu.dev_pj / 1000);
	if (emu2.ok)
		printf("%-34s %14.0f %12.2f %14.0f %14.3f\n",
		       "emu, error model off, 2 threads", emu2.beats_s,
		       emu2.cpu_us, emu2.dev_ns, emu2.dev_pj / 1000);
	if (emu_err.ok)
		printf("%-34s %14.0f %12.2f %14.0f %14.3f\n",
		       "emu, error model on, 1 thread", emu_err.beats_s,
		       emu_err.cpu_us, emu_err.dev_ns, emu_err.dev_pj / 1000);
	if (emu_err2.ok)
		printf("%-34s %14.0f %12.2f %14.0f %14.3f\n",
		       "emu, error model on, 2 threads", emu_err2.beats_s,
		       emu_err2.cpu_us, emu_err2.dev_ns, emu_err2.dev_pj / 1000);
	printf("\n");
	if (cpu2.ok)
		printf("target cpu >= 100000 beats/s on 2 cores: %.0f -> %s\n",
		       cpu2.beats_s, cpu2.beats_s >= 100000 ? "met" : "NOT met");
	if (emu.ok && cpu1.ok)
		printf("target emu within 3x of cpu, 1 thread each: cpu/emu = %.2fx -> %s\n",
		       cpu1.beats_s / emu.beats_s,
		       cpu1.beats_s <= 3 * emu.beats_s ? "met" : "NOT met");
	if (emu2.ok && cpu2.ok)
		printf("target emu within 3x of cpu, 2 threads each: cpu/emu = %.2fx -> %s\n",
		       cpu2.beats_s / emu2.beats_s,
		       cpu2.beats_s <= 3 * emu2.beats_s ? "met" : "NOT met");
	if (emu.ok && cpu1.ok)
		printf("  (CPU time per beat, load-independent: emu/cpu = %.2fx)\n",
		       emu.cpu_us / cpu1.cpu_us);
	printf("(emu with transient read errors gives each beat its own error stream:\n"
	       " the same outputs on any number of threads, reproducibly from the seed)\n");
	bnn_model_free(m);
	free(x);
	free(sc);
	shipped(seconds, batch, do_cpu, do_emu);
	return 0;
}
