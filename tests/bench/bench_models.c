// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * bench_models.c - make bench's table (printed, never pass/fail): every
 * shipped model on every backend that runs in-process, next to this
 * machine's XNOR-popcount roofline measured in the same run (roofline.c).
 *
 * Per model and backend (cpu with each kernel ISA the CPU has, forced
 * through bnn_backend_opts.cpu_isa as bnn-run --cpu-isa does; emu with the
 * ideal array and with the error model), one thread, batches of `batch`
 * random items: CPU ns per item (the process's CPU time: other jobs
 * sharing the cores do not inflate it; best of 3 runs of >= seconds/3),
 * items per CPU-second, bit-ops/s = that x the model's binary MACs per
 * item, as % of the one-core roofline (also per CPU-second), and the wall
 * items/s of the same run.  Random inputs: speed does not
 * depend on the values, and no data set needs reading.
 *
 * The JSON (--json) has the machine, the roofline, the rows and each
 * model's layers, from which tests/bench/bench_peers.py builds the same
 * networks for ONNX Runtime, PyTorch and Larq Compute Engine.
 *
 * --latency MODEL: that model's single-item latency (batch 1, wall time
 * per bnn_run call: p50, p99, max) on cpu and emu.
 *
 *   bench_models [--seconds S] [--batch N] [--json PATH] [--latency MODEL]
 *                MODEL.bnn...
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bnn.h"
#include "roofline.h"

struct row {
	const char *backend;	/* "cpu", "emu" */
	const char *variant;	/* ISA or error model */
	const char *isa;	/* host kernels in use */
	int ok;
	char why[288];		/* when not ok */
	double items_s, cpu_ns;	/* wall items/s; CPU ns per item (process) */
};

static double clk(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void cpu_model(char *out, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(out, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && c) {
			snprintf(out, len, "%s", c + 2);
			out[strcspn(out, "\n")] = 0;
			break;
		}
	}
	fclose(f);
}

/* One configuration on one model: best wall rate of 3 runs. */
static void measure(const bnn_model *m, int kind, const bnn_backend_opts *o,
		    const float *x, size_t batch, double seconds, float *sc,
		    struct row *r)
{
	bnn_backend *be = NULL;
	bnn_backend_info bi;
	bnn_error e;

	if (bnn_backend_open(kind, o, &be, &e) || bnn_prepare(be, m, &e)) {
		r->ok = 0;
		snprintf(r->why, sizeof(r->why), "%.250s", e.msg);
		if (be)
			bnn_backend_close(be);
		return;
	}
	bnn_backend_info_get(be, &bi);
	r->isa = bnn_cpu_isa_name(bi.cpu_isa);
	r->ok = !bnn_run(be, x, batch, sc, NULL, NULL, &e);	/* warm-up */
	for (int rep = 0; r->ok && rep < 3; rep++) {
		double t0 = clk(CLOCK_MONOTONIC), c0 = clk(CLOCK_PROCESS_CPUTIME_ID);
		double t = 1, c;
		size_t items = 0;

		do {
			if (bnn_run(be, x, batch, sc, NULL, NULL, &e)) {
				r->ok = 0;
				break;
			}
			items += batch;
		} while ((t = clk(CLOCK_MONOTONIC) - t0) < seconds / 3);
		c = clk(CLOCK_PROCESS_CPUTIME_ID) - c0;
		/* Best by CPU time, which other jobs on the cores do not
		 * inflate; the wall rate of the same run beside it. */
		if (r->ok && (!r->cpu_ns || c / items * 1e9 < r->cpu_ns)) {
			r->items_s = items / t;
			r->cpu_ns = c / items * 1e9;
		}
	}
	if (!r->ok)
		snprintf(r->why, sizeof(r->why), "run failed: %.250s", e.msg);
	bnn_backend_close(be);
}

/*
 * Issue 14's targets beside the measured ratios (never pass/fail): the
 * best cpu row's share of the roofline (target >= 50 %) and what is
 * missing to it, and the emu rows' CPU time over that cpu row's (target
 * for emu with errors <= 1.5x).
 */
static void print_targets(const struct row *rows, int nrows, uint64_t macs,
			  double peak)
{
	const struct row *cpu = NULL;

	for (int r = 0; r < nrows; r++)
		if (rows[r].ok && !strcmp(rows[r].backend, "cpu") &&
		    (!cpu || rows[r].cpu_ns < cpu->cpu_ns))
			cpu = &rows[r];
	if (!cpu || !macs)
		return;
	double pct = 100 * 1e9 / cpu->cpu_ns * (double)macs / peak;

	printf("%-24s targets: cpu %s %.2f %% of the roofline (target 50 %%: %.0fx short)",
	       "", cpu->variant, pct, 50 / pct);
	for (int r = 0; r < nrows; r++)
		if (rows[r].ok && !strcmp(rows[r].backend, "emu"))
			printf("; emu %s %.2fx cpu", rows[r].variant,
			       rows[r].cpu_ns / cpu->cpu_ns);
	printf(" (target emu errors <= 1.5x)\n");
}

/* A JSON string: error messages and names may hold quotes. */
static void json_str(FILE *j, const char *s)
{
	fputc('"', j);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(j, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(j, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, j);
	}
	fputc('"', j);
}

static void json_layers(FILE *j, const bnn_model *m, uint32_t n)
{
	fprintf(j, "\"layers\": [");
	for (uint32_t i = 0; i < n; i++) {
		bnn_layer_info li;

		bnn_model_layer_info(m, i, &li);
		fprintf(j, "%s{\"kind\": \"%s\", \"in\": [%u, %u], \"out\": [%u, %u], "
			"\"kernel\": %u, \"stride\": %u, \"pad\": %u, \"fan_in\": %u, "
			"\"binary\": %d, \"scores\": %d, \"in_bits\": %u, \"macs\": %llu}",
			i ? ", " : "", bnn_layer_kind_name(li.kind), li.in_length,
			li.in_channels, li.out_length, li.out_channels, li.kernel,
			li.stride, li.pad, li.fan_in, li.binary, li.scores,
			li.in_bits, (unsigned long long)li.macs);
	}
	fprintf(j, "]");
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Batch-1 latency: wall time of each of up to 20000 single-item runs
 * (at most `seconds`); their p50, p99 and max in microseconds. */
static int latency(const char *path, int kind, double seconds, double q[3])
{
	enum { NMAX = 20000 };
	static double t[NMAX];
	bnn_model *m;
	bnn_backend *be = NULL;
	bnn_signal_desc sd = { .size = sizeof(sd) };
	bnn_model_info info;
	bnn_error e;
	float x[4096], sc[256];
	double t0;
	int n = 0;

	if (bnn_model_load(path, &m, &e))
		return -1;
	bnn_model_info_get(m, &info);
	bnn_model_signal_get(m, &sd);
	if (sd.item_floats > 4096 || info.nclasses > 256 ||
	    bnn_backend_open(kind, NULL, &be, &e) || bnn_prepare(be, m, &e)) {
		bnn_backend_close(be);
		bnn_model_free(m);
		return -1;
	}
	for (uint32_t i = 0; i < sd.item_floats; i++)
		x[i] = (float)(i % 17) / 8 - 1;
	bnn_run(be, x, 1, sc, NULL, NULL, &e);
	t0 = clk(CLOCK_MONOTONIC);
	while (n < NMAX && clk(CLOCK_MONOTONIC) - t0 < seconds) {
		double a = clk(CLOCK_MONOTONIC);

		bnn_run(be, x, 1, sc, NULL, NULL, &e);
		t[n++] = (clk(CLOCK_MONOTONIC) - a) * 1e6;
	}
	qsort(t, n, sizeof(*t), cmp_d);
	q[0] = t[n / 2];
	q[1] = t[(int)(n * 0.99)];
	q[2] = t[n - 1];
	bnn_backend_close(be);
	bnn_model_free(m);
	return n;
}

int main(int argc, char **argv)
{
	double seconds = 1.0, roof[ROOF_NISA] = { 0 }, peak, lat[2][3];
	int latn[2] = { 0, 0 };
	size_t batch = 256;
	const char *json = NULL, *lat_model = NULL;
	char cpu[256], date[64];
	int first = 1, best = roofline_best(), ai;
	struct utsname u;
	time_t now = time(NULL);
	FILE *j = NULL;

	for (ai = 1; ai < argc && argv[ai][0] == '-'; ai += 2) {
		if (ai + 1 >= argc)
			break;
		if (!strcmp(argv[ai], "--seconds"))
			seconds = atof(argv[ai + 1]);
		else if (!strcmp(argv[ai], "--batch"))
			batch = (size_t)atol(argv[ai + 1]);
		else if (!strcmp(argv[ai], "--json"))
			json = argv[ai + 1];
		else if (!strcmp(argv[ai], "--latency"))
			lat_model = argv[ai + 1];
		else
			break;
	}
	if (ai >= argc || seconds <= 0 || batch < 1 || batch > 65536) {
		fprintf(stderr, "usage: %s [--seconds S] [--batch N] [--json PATH] [--latency MODEL] MODEL.bnn...\n",
			argv[0]);
		return 2;
	}
	cpu_model(cpu, sizeof(cpu));
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
	uname(&u);
	printf("command:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\ndate: %s; %s %s %s; libbnn %s\n", date, u.sysname, u.release,
	       u.machine, bnn_version());
	printf("machine: %s, %ld cores online; 1 thread per measurement\n", cpu,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("note: the cores are shared with other jobs: absolute numbers are noisy, "
	       "ratios measured in this run less so\n\n");

	/* The roofline before and after the table: the better of the two. */
	for (int isa = 0; isa < ROOF_NISA; isa++)
		roof[isa] = roofline_measure(isa, 0.5);
	printf("XNOR-popcount roofline, one core, L1-resident data (2 x 8 KiB):\n");
	for (int isa = 0; isa < ROOF_NISA; isa++)
		if (roof[isa] > 0)
			printf("  %-20s %9.1f Gbit-op/s\n", roofline_isa_name(isa),
			       roof[isa] / 1e9);
		else
			printf("  %-20s %9s (not on this CPU)\n", roofline_isa_name(isa), "-");
	peak = roof[best];
	printf("  roofline = %s: %.1f Gbit-op/s (selected at run time by CPU feature)\n\n",
	       roofline_isa_name(best), peak / 1e9);

	if (json && !(j = fopen(json, "w"))) {
		fprintf(stderr, "%s: %s\n", json, strerror(errno));
		return 1;
	}
	if (j)
		fprintf(j, "{\"tool\": \"bench_models\", \"date\": \"%s\", \"cpu\": \"%s\", "
			"\"cores\": %ld, \"libbnn\": \"%s\", \"batch\": %zu, \"threads\": 1, "
			"\"seconds\": %g, \"models\": [", date, cpu,
			sysconf(_SC_NPROCESSORS_ONLN), bnn_version(), batch, seconds);

	printf("batch %zu, random inputs, 1 thread; ns/item and items/s per CPU-second "
	       "(busy core);\nbit-op = binary MAC of the model (bnn-run --json binary_macs); "
	       "%%roof = Gbit-op/s / roofline\n", batch);
	printf("%-24s %-8s %-10s %-8s %10s %12s %10s %8s %12s\n", "model", "backend",
	       "variant", "kernels", "ns/item", "items/s", "Gbit-op/s", "%roof",
	       "wall items/s");
	for (int mi = ai; mi < argc; mi++) {
		static const int isas[] = { BNN_ISA_PORTABLE, BNN_ISA_AVX2, BNN_ISA_AVX512 };
		struct row rows[5];
		bnn_model *m;
		bnn_model_info info;
		bnn_signal_desc sd = { .size = sizeof(sd) };
		bnn_backend_opts o;
		bnn_error e;
		const char *base = strrchr(argv[mi], '/') ? strrchr(argv[mi], '/') + 1 : argv[mi];
		struct stat stt;
		float *x, *sc;
		int nrows = 0;

		if (bnn_model_load(argv[mi], &m, &e)) {
			printf("%-24s skipped: %s\n", base, e.msg);
			continue;
		}
		bnn_model_info_get(m, &info);
		bnn_model_signal_get(m, &sd);
		x = malloc(sizeof(float) * batch * sd.item_floats);
		sc = malloc(sizeof(float) * batch * info.nclasses);
		if (!x || !sc)
			return 1;
		srand(1);
		for (size_t i = 0; i < batch * sd.item_floats; i++)
			x[i] = (float)rand() / RAND_MAX * 2 - 1;
		memset(rows, 0, sizeof(rows));
		for (size_t k = 0; k < 3; k++) {
			bnn_backend_opts_init(&o);
			o.cpu_isa = isas[k];
			rows[nrows].backend = "cpu";
			rows[nrows].variant = bnn_cpu_isa_name(isas[k]);
			measure(m, BNN_BACKEND_CPU, &o, x, batch, seconds, sc, &rows[nrows]);
			nrows++;
		}
		for (int err = 0; err <= 1; err++) {
			bnn_backend_opts_init(&o);
			o.error_model = err;
			rows[nrows].backend = "emu";
			rows[nrows].variant = err ? "errors" : "ideal";
			measure(m, BNN_BACKEND_EMU, &o, x, batch, seconds, sc, &rows[nrows]);
			nrows++;
		}
		for (int r = 0; r < nrows; r++) {
			const struct row *w = &rows[r];
			double bops = 1e9 / w->cpu_ns * (double)info.binary_macs;

			if (!w->ok) {
				printf("%-24s %-8s %-10s skipped: %s\n", r ? "" : base,
				       w->backend, w->variant, w->why);
				continue;
			}
			printf("%-24s %-8s %-10s %-8s %10.1f %12.0f %10.2f %7.2f%% %12.0f\n",
			       r ? "" : base, w->backend, w->variant, w->isa, w->cpu_ns,
			       1e9 / w->cpu_ns, bops / 1e9, 100 * bops / peak, w->items_s);
		}
		printf("%-24s (binary MACs %llu, float MACs %llu per item%s)\n", "",
		       (unsigned long long)info.binary_macs,
		       (unsigned long long)info.float_macs,
		       info.float_macs > info.binary_macs / 8 ?
		       ": mostly float work on the host, %roof says little" : "");
		print_targets(rows, nrows, info.binary_macs, peak);
		printf("%-24s %-8s not here: needs the card; make bench-rbnn measures "
		       "%s in a TCG guest (below)\n", "", "rbnn",
		       strstr(argv[mi], "ecg-bin-full.bnn") ? "this model" :
		       "models/ecg-bin-full.bnn");
		if (j) {
			fprintf(j, "%s{\"path\": ", first ? "" : ", ");
			json_str(j, argv[mi]);
			fprintf(j, ", \"name\": ");
			json_str(j, info.name);
			fprintf(j, ", \"file_bytes\": %lld, "
				"\"binary_macs\": %llu, \"float_macs\": %llu, \"card_bits\": %llu, "
				"\"host_bits\": %llu, \"classes\": %u, \"channels\": %u, "
				"\"length\": %u, \"nfeatures\": %u, \"item_floats\": %u, ",
				stat(argv[mi], &stt) ? -1LL : (long long)stt.st_size,
				(unsigned long long)info.binary_macs,
				(unsigned long long)info.float_macs,
				(unsigned long long)info.card_bits,
				(unsigned long long)info.host_bits, info.nclasses,
				info.input.channels, info.input.length, sd.nfeatures,
				sd.item_floats);
			json_layers(j, m, info.nlayers);
			fprintf(j, ", \"rows\": [");
			for (int r = 0; r < nrows; r++) {
				const struct row *w = &rows[r];
				double bops = w->ok ? 1e9 / w->cpu_ns * (double)info.binary_macs : 0;

				fprintf(j, "%s{\"backend\": \"%s\", \"variant\": \"%s\", \"ok\": %s",
					r ? ", " : "", w->backend, w->variant,
					w->ok ? "true" : "false");
				if (w->ok)
					fprintf(j, ", \"kernels\": \"%s\", \"ns_per_item\": %.2f, "
						"\"items_per_cpu_s\": %.1f, \"wall_items_per_s\": %.1f, "
						"\"bitops_per_s\": %.4g, \"pct_roofline\": %.3f",
						w->isa, w->cpu_ns, 1e9 / w->cpu_ns, w->items_s,
						bops, 100 * bops / peak);
				else {
					fprintf(j, ", \"why\": ");
					json_str(j, w->why);
				}
				fprintf(j, "}");
			}
			fprintf(j, ", {\"backend\": \"rbnn\", \"variant\": \"card\", \"ok\": false, "
				"\"why\": \"needs the card: measured in a TCG guest by make bench-rbnn (tests/bench/bench-rbnn.sh), models/ecg-bin-full.bnn only\"}]}");
			first = 0;
		}
		free(x);
		free(sc);
		bnn_model_free(m);
	}

	if (lat_model) {
		printf("\nbatch-1 latency of %s, 1 thread, wall time per bnn_run call "
		       "(includes waits for the shared cores):\n", lat_model);
		for (int k = 0; k < 2; k++) {
			int kind = k ? BNN_BACKEND_EMU : BNN_BACKEND_CPU, n;
			double q[3];

			n = latency(lat_model, kind, seconds, q);
			if (n <= 0) {
				printf("  %s: failed\n", k ? "emu" : "cpu");
				continue;
			}
			printf("  %-4s p50 %8.2f us  p99 %8.2f us  max %9.2f us  (%d runs)\n",
			       k ? "emu" : "cpu", q[0], q[1], q[2], n);
			memcpy(lat[k], q, sizeof(q));
			latn[k] = n;
		}
	}

	/* Again: a busy neighbour during either measurement lowers it. */
	printf("\nroofline again after the table: %.1f Gbit-op/s (%s; the %%roof "
	       "column uses the first, %.1f)\n",
	       roofline_measure(best, 0.5) / 1e9, roofline_isa_name(best),
	       peak / 1e9);
	if (j) {
		fprintf(j, "], \"roofline\": {\"isa\": \"%s\", \"bitops_per_s\": %.4g, \"per_isa\": {",
			roofline_isa_name(best), peak);
		for (int isa = 0, k = 0; isa < ROOF_NISA; isa++)
			if (roof[isa] > 0)
				fprintf(j, "%s\"%s\": %.4g", k++ ? ", " : "",
					roofline_isa_name(isa), roof[isa]);
		fprintf(j, "}}");
		for (int k = 0; k < 2; k++)
			if (latn[k] > 0)
				fprintf(j, ", \"latency_batch1_%s_us\": {\"model\": \"%s\", "
					"\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f, "
					"\"runs\": %d}", k ? "emu" : "cpu", lat_model,
					lat[k][0], lat[k][1], lat[k][2], latn[k]);
		fprintf(j, "}\n");
		fclose(j);
		printf("JSON: %s\n", json);
	}
	return 0;
}
