/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * Benchmark (not a test): XNOR-popcount throughput of the device-model
 * core against a plain XNOR+POPCNT loop over the same data, on one core.
 *
 *   bench_core [seconds-per-measurement]
 *
 * Rates are bit-operations per second: one bit-op is one cell compared
 * (one XNOR + its share of the popcount). Targets: the simulated rate is
 * >= 50 % of the plain rate with the error model off and >= 25 % with it
 * on (read_ber = 1e-4). Targets are reported, never enforced.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rbnn_regs.h"
#include "rbnn_array.h"
#include "rbnn_exec.h"

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define BENCH_CLONES __attribute__((target_clones("popcnt", "default")))
#endif
#endif
#ifndef BENCH_CLONES
#define BENCH_CLONES
#endif

static double min_time = 0.3;
static volatile uint64_t sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 0x1234567;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void machine(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512], model[256] = "unknown";
	int cpus = 0;

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *c = strchr(line, ':');

			if (!strncmp(line, "model name", 10) && c &&
			    !strcmp(model, "unknown")) {
				snprintf(model, sizeof(model), "%s", c + 2);
				model[strcspn(model, "\n")] = 0;
			}
			if (!strncmp(line, "processor", 9))
				cpus++;
		}
		fclose(f);
	}
	printf("machine: %s, %d logical cores (%ld online); 1 core used\n",
	       model, cpus, sysconf(_SC_NPROCESSORS_ONLN));
#if defined(__x86_64__)
	__builtin_cpu_init();
	printf("popcnt: %s (core kernels dispatch at load time)\n",
	       __builtin_cpu_supports("popcnt") ? "yes" : "no");
#endif
}

/* The plain loop: XNOR + POPCNT over every row. */
BENCH_CLONES
static uint64_t plain_pass(const uint64_t *rows, const uint64_t *in,
			   size_t nrows, unsigned int words)
{
	uint64_t total = 0;
	size_t r;

	for (r = 0; r < nrows; r++) {
		const uint64_t *w = rows + r * words;
		uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
		size_t i;

		/* Unrolled like the core's kernel, so the ratio is overhead. */
		for (i = 0; i + 4 <= words; i += 4) {
			c0 += (uint64_t)__builtin_popcountll(~(w[i] ^ in[i]));
			c1 += (uint64_t)__builtin_popcountll(~(w[i + 1] ^ in[i + 1]));
			c2 += (uint64_t)__builtin_popcountll(~(w[i + 2] ^ in[i + 2]));
			c3 += (uint64_t)__builtin_popcountll(~(w[i + 3] ^ in[i + 3]));
		}
		for (; i < words; i++)
			c0 += (uint64_t)__builtin_popcountll(~(w[i] ^ in[i]));
		total += c0 + c1 + c2 + c3;
	}
	return total;
}

struct geom {
	const char *name;
	uint32_t tiles, rows, cols;
};

struct rates {
	double plain, xnor[2], rows[2], run[2];
};

/* What one timed iteration does. */
struct job {
	const struct geom *g;
	const uint64_t *data, *in;
	struct rbnn_array *a;
	struct rbnn_prog *prog;
	uint32_t *cnt;
	uint8_t *out;
	struct rbnn_cost cost;
	void (*fn)(struct job *j);
};

static void job_plain(struct job *j)
{
	sink += plain_pass(j->data, j->in, (size_t)j->g->tiles * j->g->rows,
			   j->g->cols / 64);
}

static void job_xnor(struct job *j)
{
	for (uint32_t t = 0; t < j->g->tiles; t++)
		for (uint32_t r = 0; r < j->g->rows; r++)
			sink += rbnn_array_xnor_popcount(j->a, t, r, j->in,
							 NULL, j->g->cols,
							 &j->cost);
}

static void job_rows(struct job *j)
{
	for (uint32_t t = 0; t < j->g->tiles; t++) {
		rbnn_array_xnor_popcount_rows(j->a, t, 0, j->g->rows, j->in,
					      NULL, j->g->cols, j->cnt,
					      &j->cost);
		sink += j->cnt[0];
	}
}

static void job_run(struct job *j)
{
	rbnn_prog_run(j->a, j->prog, j->in, j->out, &j->cost);
	sink += j->out[0];
}

/*
 * Bit-ops per second of @j (every cell of the array once per iteration):
 * best of five runs, so other load on the machine matters less.
 */
static double measure(struct job *j)
{
	double bits = (double)j->g->tiles * j->g->rows * j->g->cols;
	double best = 0;

	for (int rep = 0; rep < 5; rep++) {
		double t0 = now(), t;
		uint64_t iters = 0;

		do {
			j->fn(j);
			iters++;
		} while ((t = now() - t0) < min_time / 5);
		if (bits * iters / t > best)
			best = bits * iters / t;
	}
	return best;
}

static struct rbnn_array *make_array(const struct geom *g, bool errors,
				     uint64_t *data)
{
	struct rbnn_params p;
	struct rbnn_array *a;
	char err[128];
	unsigned int w = g->cols / 64;

	rbnn_params_default(&p);
	p.tiles = g->tiles;
	p.rows = g->rows;
	p.cols = g->cols;
	p.error_model = errors;
	p.read_ber = 1e-4;
	if (rbnn_params_check(&p, err, sizeof(err))) {
		fprintf(stderr, "params: %s\n", err);
		exit(1);
	}
	a = rbnn_array_new(&p);
	if (!a) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	for (uint32_t t = 0; t < g->tiles; t++)
		rbnn_array_program(a, t, 0, g->rows,
				   data + (size_t)t * g->rows * w, NULL, NULL,
				   NULL);
	return a;
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = v & 0xff;
	b[1] = v >> 8;
}

static void put32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (v >> (8 * i)) & 0xff;
}

/*
 * One FC layer using every row: out = rows outputs, fan-in = tiles x
 * cols; block b lives on tile b.
 */
static size_t fc_program(const struct geom *g, uint8_t *b)
{
	size_t len = 32 + 64 + 16 * g->tiles;

	memset(b, 0, len);
	put32(b, RBNN_PROG_MAGIC);
	put16(b + 4, RBNN_PROG_VERSION);
	put16(b + 6, 1);
	put32(b + 8, g->tiles * g->cols);	/* channels */
	put32(b + 12, 1);			/* length */
	b[16] = 1;
	b[32] = RBNN_LAYER_FC;
	b[33] = RBNN_OUT_BITS;
	put32(b + 36, g->tiles * g->cols);
	put32(b + 40, g->rows);
	put32(b + 44, 1);
	put32(b + 48, 1);
	put32(b + 60, g->tiles);
	put32(b + 64, 96);
	for (uint32_t t = 0; t < g->tiles; t++) {
		uint8_t *s = b + 96 + 16 * t;

		put32(s, t);
		put32(s + 4, 0);
		put16(s + 8, 0);
		put16(s + 10, (uint16_t)g->rows);
		put16(s + 12, (uint16_t)t);
	}
	return len;
}

static void bench_geom(const struct geom *g, struct rates *r)
{
	unsigned int w = g->cols / 64;
	size_t nrows = (size_t)g->tiles * g->rows;
	uint64_t *data = malloc(nrows * w * 8);
	uint64_t *in = malloc((size_t)g->tiles * w * 8 + 64);
	uint8_t *prog_img = malloc(32 + 64 + 16 * g->tiles);
	uint32_t *cnt = malloc(g->rows * sizeof(*cnt));
	uint8_t out[4096];
	struct job j = { .g = g, .data = data, .in = in, .cnt = cnt,
			 .out = out };
	double again;

	for (size_t i = 0; i < nrows * w; i++)
		data[i] = rnd();
	for (size_t i = 0; i < (size_t)g->tiles * w; i++)
		in[i] = rnd();

	j.fn = job_plain;
	r->plain = measure(&j);
	for (int errors = 0; errors <= 1; errors++) {
		size_t len = fc_program(g, prog_img);
		char err[128];

		j.a = make_array(g, errors, data);
		j.prog = rbnn_prog_parse(j.a, prog_img, len, err, sizeof(err),
					 NULL);
		if (!j.prog) {
			fprintf(stderr, "bench program rejected: %s\n", err);
			exit(1);
		}
		j.fn = job_xnor;
		r->xnor[errors] = measure(&j);
		j.fn = job_rows;
		r->rows[errors] = measure(&j);
		j.fn = job_run;
		r->run[errors] = measure(&j);
		rbnn_prog_free(j.prog);
		rbnn_array_free(j.a);
	}
	/* Once more at the end: the best plain rate is the reference. */
	j.fn = job_plain;
	again = measure(&j);
	if (again > r->plain)
		r->plain = again;
	free(data);
	free(in);
	free(prog_img);
	free(cnt);
}

static void report(const char *what, double rate, double plain, double target)
{
	double pct = 100.0 * rate / plain;

	printf("  %-34s %8.2f Gbit-op/s  %6.1f %%  (target >= %2.0f %%: %s)\n",
	       what, rate * 1e-9, pct, target, pct >= target ? "met" :
	       "NOT met");
}

int main(int argc, char **argv)
{
	static const struct geom geoms[] = {
		{ "wide rows: 4 tiles x 256 rows x 4096 cols", 4, 256, 4096 },
		{ "wide rows: 8 tiles x 256 rows x 1024 cols", 8, 256, 1024 },
		{ "default: 16 tiles x 256 rows x 256 cols", 16, 256, 256 },
	};

	if (argc > 1)
		min_time = atof(argv[1]) > 0 ? atof(argv[1]) : min_time;
	machine();
	printf("bit-op = one cell compared; FC layer uses every row, "
	       "fan-in = tiles x cols\n");
	for (size_t i = 0; i < sizeof(geoms) / sizeof(geoms[0]); i++) {
		struct rates r;

		bench_geom(&geoms[i], &r);
		printf("%s\n", geoms[i].name);
		printf("  %-34s %8.2f Gbit-op/s\n",
		       "plain XNOR+POPCNT loop", r.plain * 1e-9);
		report("xnor_popcount, error model off", r.xnor[0], r.plain, 50);
		report("xnor_popcount, on (read_ber 1e-4)", r.xnor[1], r.plain,
		       25);
		report("xnor_popcount_rows, model off", r.rows[0], r.plain, 50);
		report("xnor_popcount_rows, on (1e-4)", r.rows[1], r.plain, 25);
		report("prog_run FC, error model off", r.run[0], r.plain, 50);
		report("prog_run FC, on (read_ber 1e-4)", r.run[1], r.plain, 25);
	}
	return 0;
}
