// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * rbnn-demo: program a small binarized network into the RBNN card model
 * and run it, for each cell mode and programming condition, to show what
 * the RRAM physics does to the weights, the outputs, and the energy.
 *
 * The network: FC 512 -> 64 (threshold bits; fan-in split over two tiles)
 * then FC 64 -> 10 (raw scores). Weights and inputs are random. Every
 * configuration is compared with the same network on an ideal array
 * (error model off).
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rbnn_regs.h"
#include "rbnn_array.h"
#include "rbnn_exec.h"
#include "rbnn_params.h"

#define N_IN	512
#define N_HID	64
#define N_OUT	10

struct config {
	const char *name;
	uint32_t cell_mode;
	double current_ua;
	bool verify;
	double age_s;
	double temp_c;		/* array temperature while it ages */
};

static const struct config configs[] = {
	{ "2T2R  20 uA",          RBNN_CELL_2T2R,  20, false, 0, 25 },
	{ "2T2R  40 uA",          RBNN_CELL_2T2R,  40, false, 0, 25 },
	{ "2T2R 100 uA",          RBNN_CELL_2T2R, 100, false, 0, 25 },
	{ "1T1R  20 uA",          RBNN_CELL_1T1R,  20, false, 0, 25 },
	{ "1T1R  40 uA",          RBNN_CELL_1T1R,  40, false, 0, 25 },
	{ "1T1R 100 uA",          RBNN_CELL_1T1R, 100, false, 0, 25 },
	{ "2T2R  20 uA verify",   RBNN_CELL_2T2R,  20, true,  0, 25 },
	{ "2T2R  40 uA, 10 years", RBNN_CELL_2T2R, 40, false, 3.156e8, 25 },
	{ "2T2R  40 uA, 10 y 85 C", RBNN_CELL_2T2R, 40, false, 3.156e8, 85 },
};

/* Little-endian 64-bit words of a row or item, as the card expects. */
static uint64_t rand64(uint64_t *s)
{
	/* splitmix64: the demo's own generator, independent of the model's */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void put_seg(struct rbnn_hw_seg *s, uint32_t tile, uint32_t row,
		    uint16_t count, uint16_t block)
{
	memset(s, 0, sizeof(*s));
	s->tile = htole32(tile);
	s->row = htole32(row);
	s->out_first = htole16(0);
	s->out_count = htole16(count);
	s->block = htole16(block);
}

static void put_fc(struct rbnn_hw_layer *l, uint32_t in, uint32_t out,
		   uint8_t mode, uint32_t nsegs, uint32_t seg_offset)
{
	memset(l, 0, sizeof(*l));
	l->op = RBNN_LAYER_FC;
	l->out_mode = mode;
	l->in_channels = htole32(in);
	l->in_length = htole32(1);
	l->out_channels = htole32(out);
	l->out_length = htole32(1);
	l->nsegs = htole32(nsegs);
	l->seg_offset = htole32(seg_offset);
}

/*
 * Program image: header, two layers, three segments. Layer 1 block 0 in
 * tile 0, block 1 in tile 1 (cols = 256); layer 2 in tile 2.
 */
static size_t build_program(uint8_t *img)
{
	struct rbnn_hw_prog *h = (struct rbnn_hw_prog *)img;
	struct rbnn_hw_layer *l = (struct rbnn_hw_layer *)(img + sizeof(*h));
	struct rbnn_hw_seg *s = (struct rbnn_hw_seg *)(img + sizeof(*h) + 2 * sizeof(*l));
	uint32_t seg_off = sizeof(*h) + 2 * sizeof(*l);

	memset(h, 0, sizeof(*h));
	h->magic = htole32(RBNN_PROG_MAGIC);
	h->version = htole16(RBNN_PROG_VERSION);
	h->nlayers = htole16(2);
	h->in_channels = htole32(N_IN);
	h->in_length = htole32(1);
	h->in_bits = 1;
	put_fc(&l[0], N_IN, N_HID, RBNN_OUT_BITS, 2, seg_off);
	put_fc(&l[1], N_HID, N_OUT, RBNN_OUT_SCORES, 1,
	       seg_off + 2 * sizeof(*s));
	put_seg(&s[0], 0, 0, N_HID, 0);
	put_seg(&s[1], 1, 0, N_HID, 1);
	put_seg(&s[2], 2, 0, N_OUT, 0);
	return seg_off + 3 * sizeof(*s);
}

struct weights {
	uint64_t w1[2][N_HID][4];	/* two 256-column blocks */
	uint64_t w2[N_OUT][4];		/* 64 used columns */
};

static void program_net(struct rbnn_array *a, const struct weights *w,
			const struct rbnn_prog_opts *o, struct rbnn_cost *c)
{
	struct rbnn_prog_result r;
	uint32_t i;

	rbnn_array_program(a, 0, 0, N_HID, &w->w1[0][0][0], o, &r, c);
	rbnn_array_program(a, 1, 0, N_HID, &w->w1[1][0][0], o, &r, c);
	rbnn_array_program(a, 2, 0, N_OUT, &w->w2[0][0], o, &r, c);
	for (i = 0; i < N_HID; i++)
		rbnn_array_set_threshold(a, 0, i, 0);
}

/* Fraction of weight cells that read back wrong. */
static double measure_ber(struct rbnn_array *a, const struct weights *w)
{
	uint64_t row[4], bad = 0, total = 0;
	uint32_t t, r, k;

	for (t = 0; t < 2; t++)
		for (r = 0; r < N_HID; r++) {
			rbnn_array_read(a, t, r, row, NULL);
			for (k = 0; k < 4; k++)
				bad += __builtin_popcountll(row[k] ^ w->w1[t][r][k]);
			total += 256;
		}
	return (double)bad / (double)total;
}

static int argmax(const int32_t *s)
{
	int i, best = 0;

	for (i = 1; i < N_OUT; i++)
		if (s[i] > s[best])
			best = i;
	return best;
}

static struct rbnn_array *new_array(const struct config *cfg, bool errors,
				    uint64_t seed)
{
	struct rbnn_params p;
	char err[160];

	rbnn_params_default(&p);
	p.tiles = 4;
	p.error_model = errors;
	p.seed = seed;
	if (cfg)
		p.cell_mode = cfg->cell_mode;
	if (rbnn_params_check(&p, err, sizeof(err))) {
		fprintf(stderr, "rbnn-demo: %s\n", err);
		return NULL;
	}
	return rbnn_array_new(&p);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rbnn-demo [-n ITEMS] [-s SEED]\n"
		"Programs a 512-64-10 binarized network into the RBNN card model\n"
		"for several cell modes and programming currents, and reports the\n"
		"weight bit error rate, output errors against an ideal array,\n"
		"and the modeled energy and time.\n"
		"  -n ITEMS  inputs per configuration (default 2000)\n"
		"  -s SEED   seed of weights, inputs and the cell model (default 1)\n");
}

static int parse_u64(const char *s, uint64_t *v, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *s == '-' || *end || end == s || x < min || x > max)
		return -1;
	*v = x;
	return 0;
}

int main(int argc, char **argv)
{
	static struct weights w;
	uint64_t items = 2000, seed = 1, rs, n;
	uint8_t img[1024];
	size_t img_len;
	int opt, ret = 1;
	uint64_t *in = NULL;
	struct rbnn_array *ideal = NULL;
	struct rbnn_prog *ideal_prog = NULL;
	int32_t (*ref)[N_OUT + 2] = NULL;
	size_t i, k;

	while ((opt = getopt(argc, argv, "n:s:h")) != -1) {
		switch (opt) {
		case 'n':
			if (parse_u64(optarg, &items, 1, 1000000)) {
				fprintf(stderr, "rbnn-demo: -n wants 1..1000000, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 's':
			if (parse_u64(optarg, &seed, 0, UINT64_MAX)) {
				fprintf(stderr, "rbnn-demo: -s wants an unsigned integer, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	/* Random weights; columns past the 64 used in w2 stay zero. */
	rs = seed;
	for (k = 0; k < 2; k++)
		for (i = 0; i < N_HID; i++)
			for (n = 0; n < 4; n++)
				w.w1[k][i][n] = rand64(&rs);
	for (i = 0; i < N_OUT; i++)
		w.w2[i][0] = rand64(&rs);

	in = calloc(items * (N_IN / 64), sizeof(*in));
	ref = calloc(items, sizeof(*ref));
	if (!in || !ref) {
		fprintf(stderr, "rbnn-demo: out of memory\n");
		goto out;
	}
	for (i = 0; i < items * (N_IN / 64); i++)
		in[i] = rand64(&rs);

	img_len = build_program(img);

	/* Ideal reference: same network, error model off. */
	ideal = new_array(NULL, false, seed);
	if (!ideal)
		goto out;
	{
		struct rbnn_prog_opts o = { 0 };
		struct rbnn_cost c = { 0 };
		char err[160];
		uint32_t off;

		program_net(ideal, &w, &o, &c);
		ideal_prog = rbnn_prog_parse(ideal, img, img_len, err, sizeof(err), &off);
		if (!ideal_prog) {
			fprintf(stderr, "rbnn-demo: program rejected at %u: %s\n", off, err);
			goto out;
		}
		for (i = 0; i < items; i++)
			rbnn_prog_run(ideal, ideal_prog, &in[i * (N_IN / 64)], ref[i], &c);
	}

	printf("RBNN card model: 512-64-10 binarized network, %llu random inputs, seed %llu\n",
	       (unsigned long long)items, (unsigned long long)seed);
	printf("layer 1: 64 neurons x 512 inputs over 2 tiles (2 column blocks of 256), threshold bits\n");
	printf("layer 2: 10 neurons x 64 inputs, raw scores (class = argmax)\n\n");
	printf("%-24s %11s %11s %12s %12s %11s %11s %10s %11s\n", "cells / programming",
	       "weight BER", "expected", "score errs", "class agree", "prog nJ",
	       "infer pJ", "infer ns", "life (cyc)");

	for (k = 0; k < sizeof(configs) / sizeof(configs[0]); k++) {
		const struct config *cfg = &configs[k];
		struct rbnn_prog_opts o = { .current_ua = cfg->current_ua,
					    .verify = cfg->verify };
		struct rbnn_cost pc = { 0 }, ic = { 0 };
		struct rbnn_array *a = new_array(cfg, true, seed + 1 + k);
		struct rbnn_prog *prog;
		struct rbnn_params ep;
		int32_t out[N_OUT + 2];
		uint64_t wrong_scores = 0, agree = 0;
		char err[160];
		uint32_t off;
		double ber;

		if (!a)
			goto out;
		program_net(a, &w, &o, &pc);
		if (cfg->age_s > 0) {
			rbnn_array_set_temperature(a, cfg->temp_c);
			rbnn_array_advance_age(a, cfg->age_s);
		}
		ber = measure_ber(a, &w);
		prog = rbnn_prog_parse(a, img, img_len, err, sizeof(err), &off);
		if (!prog) {
			fprintf(stderr, "rbnn-demo: program rejected at %u: %s\n", off, err);
			rbnn_array_free(a);
			goto out;
		}
		for (i = 0; i < items; i++) {
			rbnn_prog_run(a, prog, &in[i * (N_IN / 64)], out, &ic);
			for (n = 0; n < N_OUT; n++)
				wrong_scores += out[n] != ref[i][n];
			agree += argmax(out) == argmax(ref[i]);
		}
		ep = *rbnn_array_params(a);
		printf("%-24s %11.3g %11.3g %11.2f%% %11.2f%% %11.2f %11.1f %10.1f %11.2g\n",
		       cfg->name, ber, rbnn_params_expected_ber(&ep, cfg->current_ua),
		       100.0 * wrong_scores / (items * N_OUT),
		       100.0 * agree / items, pc.energy_fj / 1e6,
		       ic.energy_fj / 1e3 / items, ic.time_ns / items,
		       rbnn_params_endurance_at(&ep, cfg->current_ua,
						ep.pulse_ns));
		rbnn_prog_free(prog);
		rbnn_array_free(a);
	}
	printf("\nweight BER: cells reading wrong after programming (measured by READ);\n"
	       "expected: the model's analytic BER for fresh cells at that current;\n"
	       "score errs / class agree: against the same network on an ideal array;\n"
	       "life: median endurance at that programming energy (cycles);\n"
	       "aged rows: drift at 25 C or 85 C (Arrhenius, 1.1 eV).\n");
	ret = 0;
out:
	rbnn_prog_free(ideal_prog);
	rbnn_array_free(ideal);
	free(in);
	free(ref);
	return ret;
}
