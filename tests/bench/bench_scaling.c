// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * bench_scaling.c - how the cpu backend's cost grows (issue 14 item 6),
 * printed and as JSON, never pass/fail.  In one run, with the best kernels
 * the CPU has (auto) and the portable ones for comparison:
 *
 *   batch:   MODEL at batch 1, 4, 16, 64, 256, 1024, 4096, one thread;
 *   threads: MODEL at batch 256 and 4096 on 1 and 2 threads;
 *   width:   each WIDTH_MODEL (same topology, other widths) at batch 256,
 *            one thread; ns/item against binary MACs per item, and the
 *            line ns = fixed + slope x MACs through them (least squares
 *            on the relative error).
 *
 * Each point: best of REPS runs of >= seconds/REPS after a warm-up (many
 * short runs: the best of them is likelier to catch a quiet moment of a
 * shared machine), as CPU
 * ns per item (the process's CPU time, all threads: other jobs on the
 * cores do not inflate it) and wall items/s (they do).  The load average
 * before and after says how shared the cores were.  The XNOR-popcount
 * roofline (roofline.c) of the same run is the slope's yardstick.
 *
 *   bench_scaling [--seconds S] [--json PATH] MODEL.bnn [WIDTH_MODEL.bnn...]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bnn.h"
#include "roofline.h"

static const size_t batches[] = { 1, 4, 16, 64, 256, 1024, 4096 };
#define NBATCH (sizeof(batches) / sizeof(batches[0]))
#define MAXB 4096
static const int isas[] = { BNN_ISA_AUTO, BNN_ISA_PORTABLE };
#define NISA 2
#define REPS 7

struct point {
	int ok;
	double cpu_ns, wall_items_s;	/* best of 3 each */
	const char *kernels;
};

static double clk(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void cpuinfo_field(const char *key, char *out, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];

	snprintf(out, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!strncmp(line, key, strlen(key)) && c) {
			snprintf(out, len, "%s", c + 2);
			out[strcspn(out, "\n")] = 0;
			break;
		}
	}
	fclose(f);
}

/* The CPU flags the kernels choose by, those this CPU has. */
static void isa_flags(char *out, size_t len)
{
	static const char *const want[] = { "popcnt", "avx2", "avx512f",
					    "avx512bw", "avx512_vpopcntdq" };
	char flags[4096], padded[4100];
	size_t n = 0;

	cpuinfo_field("flags", flags, sizeof(flags));
	snprintf(padded, sizeof(padded), " %s ", flags);
	out[0] = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char pat[40];

		snprintf(pat, sizeof(pat), " %s ", want[i]);
		if (strstr(padded, pat) && n + strlen(want[i]) + 2 < len)
			n += snprintf(out + n, len - n, "%s%s", n ? " " : "", want[i]);
	}
}

static void loadavg(double l[3])
{
	if (getloadavg(l, 3) != 3)
		l[0] = l[1] = l[2] = -1;
}

static void measure(const bnn_model *m, int isa, uint32_t threads,
		    const float *x, size_t batch, double seconds, float *sc,
		    struct point *p)
{
	bnn_backend *be = NULL;
	bnn_backend_opts o;
	bnn_backend_info bi;
	bnn_error e;

	memset(p, 0, sizeof(*p));
	bnn_backend_opts_init(&o);
	o.cpu_isa = isa;
	o.threads = threads;
	if (bnn_backend_open(BNN_BACKEND_CPU, &o, &be, &e) || bnn_prepare(be, m, &e)) {
		fprintf(stderr, "bench_scaling: %s\n", e.msg);
		bnn_backend_close(be);
		return;
	}
	bnn_backend_info_get(be, &bi);
	p->kernels = bnn_cpu_isa_name(bi.cpu_isa);
	p->ok = !bnn_run(be, x, batch, sc, NULL, NULL, &e);
	for (int rep = 0; p->ok && rep < REPS; rep++) {
		double t0 = clk(CLOCK_MONOTONIC), c0 = clk(CLOCK_PROCESS_CPUTIME_ID);
		double t = 1, c;
		size_t items = 0;

		do {
			if (bnn_run(be, x, batch, sc, NULL, NULL, &e)) {
				fprintf(stderr, "bench_scaling: run: %s\n", e.msg);
				p->ok = 0;
				break;
			}
			items += batch;
		} while ((t = clk(CLOCK_MONOTONIC) - t0) < seconds / REPS);
		c = clk(CLOCK_PROCESS_CPUTIME_ID) - c0;
		if (!p->ok)
			break;
		if (!p->cpu_ns || c / items * 1e9 < p->cpu_ns)
			p->cpu_ns = c / items * 1e9;
		if (items / t > p->wall_items_s)
			p->wall_items_s = items / t;
	}
	bnn_backend_close(be);
}

/*
 * y = a + b x by least squares on the relative error (weights 1 / y^2):
 * the points span three decades, and a plain fit would follow the widest
 * models only.  0 with fewer than 2 distinct x.
 */
static int fit(const double *x, const double *y, int n, double *a, double *b)
{
	double s = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, d;

	for (int i = 0; i < n; i++) {
		double w = 1 / (y[i] * y[i]);

		s += w;
		sx += w * x[i];
		sy += w * y[i];
		sxx += w * x[i] * x[i];
		sxy += w * x[i] * y[i];
	}
	d = s * sxx - sx * sx;
	if (n < 2 || d <= 0)
		return 0;
	*b = (s * sxy - sx * sy) / d;
	*a = (sy - *b * sx) / s;
	return 1;
}

static void json_point(FILE *j, const struct point *p)
{
	if (p->ok)
		fprintf(j, "\"ok\": true, \"kernels\": \"%s\", \"cpu_ns_per_item\": %.2f, "
			"\"items_per_cpu_s\": %.1f, \"wall_items_per_s\": %.1f, "
			"\"wall_ns_per_item\": %.2f", p->kernels, p->cpu_ns,
			1e9 / p->cpu_ns, p->wall_items_s, 1e9 / p->wall_items_s);
	else
		fprintf(j, "\"ok\": false");
}

struct wmodel {
	const char *path;
	char name[64];
	uint64_t macs;
	struct point p[NISA];
};

/* Load `path` and random inputs for MAXB items of it. */
static bnn_model *load(const char *path, float **x, float **sc, uint64_t *macs,
		       char *name, size_t nlen)
{
	bnn_model *m;
	bnn_model_info info;
	bnn_signal_desc sd = { .size = sizeof(sd) };
	bnn_error e;

	if (bnn_model_load(path, &m, &e)) {
		fprintf(stderr, "%s: %s\n", path, e.msg);
		return NULL;
	}
	bnn_model_info_get(m, &info);
	bnn_model_signal_get(m, &sd);
	*x = malloc(sizeof(float) * MAXB * sd.item_floats);
	*sc = malloc(sizeof(float) * MAXB * info.nclasses);
	if (!*x || !*sc) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	srand(1);
	for (size_t i = 0; i < MAXB * sd.item_floats; i++)
		(*x)[i] = (float)rand() / RAND_MAX * 2 - 1;
	*macs = info.binary_macs;
	snprintf(name, nlen, "%s", info.name);
	return m;
}

int main(int argc, char **argv)
{
	double seconds = 0.3, la0[3], la1[3], peak, roof_port;
	const char *json = NULL;
	char cpu[256], flags[256], date[64];
	struct point pb[NISA][NBATCH], pt[NISA][2][2];
	static const size_t tbatch[2] = { 256, 4096 };
	struct wmodel *wm;
	struct utsname u;
	time_t now = time(NULL);
	bnn_model *m;
	float *x, *sc;
	uint64_t macs;
	char mname[64];
	int ai, nw, best = roofline_best(), roof_port_isa;
	double fa[NISA] = { 0 }, fb[NISA] = { 0 };
	int fok[NISA] = { 0 };
	FILE *j = NULL;

	for (ai = 1; ai + 1 < argc && argv[ai][0] == '-'; ai += 2) {
		if (!strcmp(argv[ai], "--seconds"))
			seconds = atof(argv[ai + 1]);
		else if (!strcmp(argv[ai], "--json"))
			json = argv[ai + 1];
		else
			break;
	}
	if (ai >= argc || argv[ai][0] == '-' || seconds <= 0) {
		fprintf(stderr, "usage: %s [--seconds S] [--json PATH] MODEL.bnn [WIDTH_MODEL.bnn...]\n",
			argv[0]);
		return 2;
	}
	cpuinfo_field("model name", cpu, sizeof(cpu));
	isa_flags(flags, sizeof(flags));
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
	uname(&u);
	loadavg(la0);
	printf("command:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\ndate: %s; %s %s %s; libbnn %s\n", date, u.sysname, u.release,
	       u.machine, bnn_version());
	printf("machine: %s, %ld cores online; CPU flags the kernels use: %s\n", cpu,
	       sysconf(_SC_NPROCESSORS_ONLN), flags);
	printf("load average at start: %.2f %.2f %.2f\n", la0[0], la0[1], la0[2]);
	peak = roofline_measure(best, 0.5);
	/* libbnn's portable kernels use POPCNT where the CPU has it. */
	roof_port_isa = roofline_get(ROOF_POPCNT) ? ROOF_POPCNT : ROOF_PORTABLE;
	roof_port = roofline_measure(roof_port_isa, 0.5);
	printf("XNOR-popcount roofline, one core: %s %.1f Gbit-op/s (%.3f ps per bit-op); "
	       "for the portable kernels %s %.1f Gbit-op/s\n\n", roofline_isa_name(best),
	       peak / 1e9, 1e12 / peak, roofline_isa_name(roof_port_isa), roof_port / 1e9);

	m = load(argv[ai], &x, &sc, &macs, mname, sizeof(mname));
	if (!m)
		return 1;
	printf("batch sweep: %s (%s, %llu binary MACs per item), 1 thread; "
	       "CPU ns/item, wall items/s\n", argv[ai], mname, (unsigned long long)macs);
	printf("%8s", "batch");
	for (int k = 0; k < NISA; k++)
		printf("  %9s %-8s %12s", "ns/item", bnn_cpu_isa_name(isas[k]), "wall items/s");
	printf("\n");
	for (size_t b = 0; b < NBATCH; b++) {
		printf("%8zu", batches[b]);
		for (int k = 0; k < NISA; k++) {
			measure(m, isas[k], 1, x, batches[b], seconds, sc, &pb[k][b]);
			if (pb[k][b].ok)
				printf("  %9.1f %-8s %12.0f", pb[k][b].cpu_ns,
				       pb[k][b].kernels, pb[k][b].wall_items_s);
			else
				printf("  %9s %-8s %12s", "failed", "", "");
		}
		printf("\n");
	}

	printf("\nthreads: %s; CPU ns/item = process CPU time (all threads) per item; "
	       "wall = elapsed\n", mname);
	printf("%-8s %6s %7s %10s %14s %14s\n", "kernels", "batch", "threads",
	       "CPU ns/item", "wall items/s", "wall speedup");
	for (int k = 0; k < NISA; k++)
		for (int b = 0; b < 2; b++)
			for (int t = 0; t < 2; t++) {
				struct point *p = &pt[k][b][t];

				measure(m, isas[k], t + 1, x, tbatch[b], seconds, sc, p);
				if (!p->ok) {
					printf("%-8s %6zu %7d failed\n", bnn_cpu_isa_name(isas[k]),
					       tbatch[b], t + 1);
					continue;
				}
				printf("%-8s %6zu %7d %10.1f %14.0f", p->kernels, tbatch[b],
				       t + 1, p->cpu_ns, p->wall_items_s);
				if (t && pt[k][b][0].ok)
					printf(" %13.2fx", p->wall_items_s /
					       pt[k][b][0].wall_items_s);
				printf("\n");
			}
	free(x);
	free(sc);
	bnn_model_free(m);

	nw = argc - ai - 1;
	wm = calloc(nw > 0 ? nw : 1, sizeof(*wm));
	if (!wm)
		return 1;
	if (nw > 0) {
		printf("\nwidth: batch 256, 1 thread; CPU ns/item against binary MACs per item\n");
		printf("%-24s %12s", "model", "binary MACs");
		for (int k = 0; k < NISA; k++)
			printf("  %9s %-8s", "ns/item", bnn_cpu_isa_name(isas[k]));
		printf("\n");
	}
	for (int w = 0; w < nw; w++) {
		const char *base;

		wm[w].path = argv[ai + 1 + w];
		base = strrchr(wm[w].path, '/') ? strrchr(wm[w].path, '/') + 1 : wm[w].path;
		m = load(wm[w].path, &x, &sc, &wm[w].macs, wm[w].name, sizeof(wm[w].name));
		if (!m)
			continue;
		printf("%-24s %12llu", base, (unsigned long long)wm[w].macs);
		for (int k = 0; k < NISA; k++) {
			measure(m, isas[k], 1, x, 256, seconds, sc, &wm[w].p[k]);
			if (wm[w].p[k].ok)
				printf("  %9.1f %-8s", wm[w].p[k].cpu_ns, wm[w].p[k].kernels);
			else
				printf("  %9s %-8s", "failed", "");
		}
		printf("\n");
		free(x);
		free(sc);
		bnn_model_free(m);
	}
	for (int k = 0; k < NISA && nw > 0; k++) {
		double *xs = calloc(nw, sizeof(double)), *ys = calloc(nw, sizeof(double));
		int n = 0;

		if (!xs || !ys)
			return 1;
		for (int w = 0; w < nw; w++)
			if (wm[w].p[k].ok) {
				xs[n] = (double)wm[w].macs;
				ys[n++] = wm[w].p[k].cpu_ns;
			}
		fok[k] = fit(xs, ys, n, &fa[k], &fb[k]);
		if (fok[k])
			printf("fit %-8s ns/item = %.1f ns fixed + %.4f ps x binary MACs "
			       "(slope = %.1f Gbit-op/s; roofline %s %.1f: %.1f %%)\n",
			       bnn_cpu_isa_name(isas[k]), fa[k], fb[k] * 1e3, 1 / fb[k],
			       roofline_isa_name(k ? roof_port_isa : best),
			       (k ? roof_port : peak) / 1e9,
			       100 / fb[k] * 1e9 / (k ? roof_port : peak));
		free(xs);
		free(ys);
	}
	loadavg(la1);
	printf("load average at end: %.2f %.2f %.2f\n", la1[0], la1[1], la1[2]);

	if (!json)
		return 0;
	j = fopen(json, "w");
	if (!j) {
		fprintf(stderr, "%s: %s\n", json, strerror(errno));
		return 1;
	}
	fprintf(j, "{\"tool\": \"bench_scaling\", \"date\": \"%s\", \"command\": \"", date);
	for (int i = 0; i < argc; i++)	/* paths and numbers: no quotes */
		fprintf(j, "%s%s", i ? " " : "", argv[i]);
	fprintf(j, "\", \"cpu\": \"%s\", \"cpu_flags\": \"%s\", \"cores\": %ld, "
		"\"kernel\": \"%s %s %s\", \"libbnn\": \"%s\", \"seconds\": %g, \"reps\": %d, "
		"\"loadavg_start\": [%.2f, %.2f, %.2f], \"loadavg_end\": [%.2f, %.2f, %.2f], "
		"\"roofline\": {\"isa\": \"%s\", \"bitops_per_s\": %.4g, "
		"\"portable_isa\": \"%s\", \"portable_bitops_per_s\": %.4g}, ", cpu, flags,
		sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, u.machine,
		bnn_version(), seconds, REPS, la0[0], la0[1], la0[2], la1[0], la1[1], la1[2],
		roofline_isa_name(best), peak, roofline_isa_name(roof_port_isa), roof_port);
	fprintf(j, "\"model\": {\"path\": \"%s\", \"name\": \"%s\", \"binary_macs\": %llu}, "
		"\"batch\": [", argv[ai], mname, (unsigned long long)macs);
	for (int k = 0, first = 1; k < NISA; k++)
		for (size_t b = 0; b < NBATCH; b++, first = 0) {
			fprintf(j, "%s{\"isa\": \"%s\", \"batch\": %zu, \"threads\": 1, ",
				first ? "" : ", ", bnn_cpu_isa_name(isas[k]), batches[b]);
			json_point(j, &pb[k][b]);
			fprintf(j, "}");
		}
	fprintf(j, "], \"threads\": [");
	for (int k = 0, first = 1; k < NISA; k++)
		for (int b = 0; b < 2; b++)
			for (int t = 0; t < 2; t++, first = 0) {
				fprintf(j, "%s{\"isa\": \"%s\", \"batch\": %zu, \"threads\": %d, ",
					first ? "" : ", ", bnn_cpu_isa_name(isas[k]), tbatch[b], t + 1);
				json_point(j, &pt[k][b][t]);
				fprintf(j, "}");
			}
	fprintf(j, "], \"width\": [");
	for (int w = 0, first = 1; w < nw; w++)
		for (int k = 0; k < NISA; k++, first = 0) {
			fprintf(j, "%s{\"path\": \"%s\", \"name\": \"%s\", \"binary_macs\": %llu, "
				"\"isa\": \"%s\", \"batch\": 256, \"threads\": 1, ",
				first ? "" : ", ", wm[w].path, wm[w].name,
				(unsigned long long)wm[w].macs, bnn_cpu_isa_name(isas[k]));
			json_point(j, &wm[w].p[k]);
			fprintf(j, "}");
		}
	fprintf(j, "], \"width_fit\": [");
	for (int k = 0, first = 1; k < NISA; k++)
		if (fok[k]) {
			fprintf(j, "%s{\"isa\": \"%s\", \"fixed_ns_per_item\": %.2f, "
				"\"ns_per_binary_mac\": %.6g, \"slope_bitops_per_s\": %.4g}",
				first ? "" : ", ", bnn_cpu_isa_name(isas[k]), fa[k], fb[k],
				1e9 / fb[k]);
			first = 0;
		}
	fprintf(j, "]}\n");
	fclose(j);
	printf("JSON: %s\n", json);
	free(wm);
	return 0;
}
