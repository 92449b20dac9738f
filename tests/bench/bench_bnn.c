// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * bench_bnn.c - libbnn micro-benchmarks (printed, never pass/fail):
 *
 *  1. the machine's plain XNOR + POPCNT peak: a scalar loop of
 *     popcount(~(a ^ b)) over L1-resident words, in bit-ops/s
 *     (one bit-op = one binary multiply-accumulate);
 *  2. binary GEMV / GEMM (libbnn's XOR-popcount kernels, every ISA the
 *     CPU has) on layer shapes, in bit-ops/s and as a share of (1), next
 *     to the same product with the plain scalar loop;
 *  3. float32 GEMM of the same shapes (libbnn's float kernel, and
 *     OpenBLAS when built with -DHAVE_CBLAS), in MAC/s, and the ratio
 *     binary MAC/s : float MAC/s;
 *  4. end to end: ECG beats per second through the cpu backend with a
 *     fully binarized 1-D CNN (256 samples), 1 and 2 threads.
 *
 *   build/bench/bench_bnn [seconds-per-measurement, default 0.3] [e2e]
 *   ("e2e": only part 4)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bnn.h"
#include "exec.h"
#include "kernels.h"
#include "model.h"
#ifdef HAVE_CBLAS
#include <cblas.h>
#endif

static double min_s = 0.3;
static volatile uint64_t sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU time of the process (all threads): independent of other load. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Calls per second of fn(arg), best of 3 runs of >= min_s. */
#define RATE(expr, out) do { \
	double best_ = 0; \
	for (int r_ = 0; r_ < 3; r_++) { \
		long it_ = 0; \
		double t0_ = now(), t_; \
		do { expr; it_++; t_ = now() - t0_; } while (t_ < min_s / 3); \
		if (it_ / t_ > best_) best_ = it_ / t_; \
	} \
	out = best_; \
} while (0)

/* ---- 1. plain XNOR + POPCNT ---------------------------------------------- */

/* Four independent sums, so neither the add chain nor POPCNT's false
 * output dependency on some Intel cores limits it: one POPCNT per
 * cycle is the scalar peak. */
__attribute__((target("popcnt"), noinline))
static uint64_t xnor_popcnt_loop(const uint64_t *a, const uint64_t *b, size_t n)
{
	uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;

	for (size_t i = 0; i + 4 <= n; i += 4) {
		c0 += (uint64_t)__builtin_popcountll(~(a[i] ^ b[i]));
		c1 += (uint64_t)__builtin_popcountll(~(a[i + 1] ^ b[i + 1]));
		c2 += (uint64_t)__builtin_popcountll(~(a[i + 2] ^ b[i + 2]));
		c3 += (uint64_t)__builtin_popcountll(~(a[i + 3] ^ b[i + 3]));
	}
	return c0 + c1 + c2 + c3;
}

/* The same loop as a GEMM: rows of weights (row-major), inputs. */
__attribute__((target("popcnt"), noinline))
static void plain_gemm(const uint64_t *x, size_t m, const uint64_t *w,
		       size_t out, size_t nw, uint32_t *d)
{
	for (size_t i = 0; i < m; i++)
		for (size_t o = 0; o < out; o++) {
			uint64_t c = 0;

			for (size_t k = 0; k < nw; k++)
				c += (uint64_t)__builtin_popcountll(~(x[i * nw + k] ^ w[o * nw + k]));
			d[i * out + o] = (uint32_t)c;
		}
}

/* ---- shapes ---------------------------------------------------------------- */

struct shape {
	const char *name;
	size_t m, out, n;	/* inputs, outputs, fan-in bits */
};

static const struct shape shapes[] = {
	{ "GEMV fc 4096->1024", 1, 1024, 4096 },
	{ "GEMV fc 1024->128 (ECG)", 1, 128, 1024 },
	{ "GEMM fc 64x 4096->1024", 64, 1024, 4096 },
	{ "GEMM fc 64x 1024->1024", 64, 1024, 1024 },
	{ "GEMM conv 128pos 32ch k5->64", 128, 64, 160 },
	{ "GEMM conv 256pos 64ch k9->128", 256, 128, 576 },
};

int main(int argc, char **argv)
{
	double peak, r;
	uint64_t a[512], b[512];
	char host[64] = "?";

	if (argc > 1)
		min_s = atof(argv[1]);
	gethostname(host, sizeof(host));
	printf("libbnn %s micro-benchmark on %s, %ld CPUs, best kernels: %s\n",
	       bnn_version(), host, sysconf(_SC_NPROCESSORS_ONLN),
	       bnn_cpu_isa_name(bnn__cpu_best_isa()));
#ifdef HAVE_CBLAS
	/* OpenBLAS falls back to generic kernels on CPUs it does not know
	 * (e.g. "Prescott" in some VMs): set OPENBLAS_CORETYPE then. */
	openblas_set_num_threads(1);
	printf("float32 reference: OpenBLAS, core %s, 1 thread\n",
	       openblas_get_corename());
#endif

	if (argc > 2 && !strcmp(argv[2], "e2e"))
		goto e2e;
	for (int i = 0; i < 512; i++) {
		a[i] = rnd64();
		b[i] = rnd64();
	}
	RATE(sink += xnor_popcnt_loop(a, b, 512), r);
	peak = r * 512 * 64;
	printf("\nplain XNOR+POPCNT loop (scalar, L1): %.2f Gbit-op/s  [peak reference]\n",
	       peak / 1e9);

	printf("\n%-32s %-9s %12s %8s %12s\n", "shape (m x n -> out)", "kernel",
	       "Gbit-op/s", "%peak", "x plain-gemm");
	for (size_t s = 0; s < sizeof(shapes) / sizeof(*shapes); s++) {
		const struct shape *sh = &shapes[s];
		size_t nw = (sh->n + 63) / 64, rb = (sh->n + 7) / 8;
		uint64_t *x = calloc(sh->m * nw, 8), *wr = calloc(sh->out * nw, 8);
		uint8_t *bits = calloc(sh->out * rb, 1);
		uint32_t *d = calloc(sh->m * sh->out, 4);
		float *A = malloc(sh->m * sh->n * 4), *B = malloc(sh->out * sh->n * 4);
		float *C = malloc(sh->m * sh->out * 4);
		struct bnn__bpanel pn;
		double ops = (double)sh->m * sh->out * sh->n, plain, best_bin = 0;
		double fl;

		for (size_t i = 0; i < sh->m * nw; i++)
			x[i] = rnd64();
		for (size_t i = 0; i < sh->out * rb; i++)
			bits[i] = (uint8_t)rnd64();
		for (size_t o = 0; o < sh->out; o++)
			memcpy(wr + o * nw, bits + o * rb, rb);
		for (size_t i = 0; i < sh->m * sh->n; i++)
			A[i] = (float)(rnd64() % 1000) / 500.0f - 1;
		for (size_t i = 0; i < sh->out * sh->n; i++)
			B[i] = (float)(rnd64() % 1000) / 500.0f - 1;
		bnn__bpanel_pack(&pn, bits, (uint32_t)sh->out, (uint32_t)sh->n, rb);
		RATE(plain_gemm(x, sh->m, wr, sh->out, nw, d), r);
		plain = r * ops;
		printf("%-32s %-9s %12.2f %7.0f%% %12.2f\n", sh->name, "plain",
		       plain / 1e9, 100 * plain / peak, 1.0);
		for (int isa = BNN_ISA_PORTABLE; isa <= BNN_ISA_AVX512; isa++) {
			const struct bnn__kernels *k;

			if (bnn__kernels_get(isa, &k))
				continue;
			RATE(k->xor_gemm(x, nw, 0, 1, sh->m, &pn, d, sh->out), r);
			printf("%-32s %-9s %12.2f %7.0f%% %12.2f\n", "", k->name,
			       r * ops / 1e9, 100 * r * ops / peak, r * ops / plain);
			if (r * ops > best_bin)
				best_bin = r * ops;
		}
		RATE(bnn__sgemm_nt(A, sh->n, sh->m, B, sh->n, sh->out, sh->n, NULL,
				   C, sh->out), r);
		fl = r * ops;
		printf("%-32s %-9s %12.2f GMAC/s  binary/float per MAC: %.1fx\n", "",
		       "f32-libbnn", fl / 1e9, best_bin / fl);
#ifdef HAVE_CBLAS
		if (sh->m == 1)
			RATE(cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)sh->out,
					 (int)sh->n, 1.0f, B, (int)sh->n, A, 1, 0.0f,
					 C, 1), r);
		else
			RATE(cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
					 (int)sh->m, (int)sh->out, (int)sh->n, 1.0f,
					 A, (int)sh->n, B, (int)sh->n, 0.0f, C,
					 (int)sh->out), r);
		fl = r * ops;
		printf("%-32s %-9s %12.2f GMAC/s  binary/float per MAC: %.1fx\n", "",
		       "f32-BLAS", fl / 1e9, best_bin / fl);
#endif
		bnn__bpanel_free(&pn);
		free(x);
		free(wr);
		free(bits);
		free(d);
		free(A);
		free(B);
		free(C);
	}

	/* ---- 4. end to end ---- */
e2e:
	{
		bnn_input_desc in;
		const char *cls[] = { "N", "S", "V", "F", "Q" };
		struct bnn_model *m;
		size_t nb = 8192;
		float *xb = malloc(sizeof(float) * nb * 256);
		float *sc = malloc(sizeof(float) * nb * 5);
		struct { uint32_t kind, out, k, s, p, sc; } L[] = {
			{ BNN_LAYER_QUANT, 0, 0, 0, 0, 0 },
			{ BNN_LAYER_BCONV1D, 32, 7, 1, 3, 0 },
			{ BNN_LAYER_MAXPOOL1D, 0, 2, 2, 0, 0 },
			{ BNN_LAYER_BCONV1D, 32, 5, 1, 2, 0 },
			{ BNN_LAYER_MAXPOOL1D, 0, 2, 2, 0, 0 },
			{ BNN_LAYER_BCONV1D, 64, 5, 1, 2, 0 },
			{ BNN_LAYER_MAXPOOL1D, 0, 4, 4, 0, 0 },
			{ BNN_LAYER_FLATTEN, 0, 0, 0, 0, 0 },
			{ BNN_LAYER_BDENSE, 128, 0, 0, 0, 0 },
			{ BNN_LAYER_BDENSE, 5, 0, 0, 0, 1 },
		};
		bnn_model_info mi;

		memset(&in, 0, sizeof(in));
		in.channels = 1;
		in.length = 256;
		in.sample_rate_hz = 360;
		in.norm = BNN_INPUT_NORM_ZSCORE;
		in.norm_scale = 1;
		if (bnn__model_new(&in, 5, cls, "bench-ecg", NULL, &m, NULL))
			return 1;
		for (size_t i = 0; i < sizeof(L) / sizeof(*L); i++) {
			struct bnn__layer l;
			uint32_t c = m->nlayers ? m->layers[m->nlayers - 1].out_c : 1;
			uint32_t n = L[i].kind == BNN_LAYER_BDENSE ? c : c * L[i].k;
			uint32_t rbytes = (n + 7) / 8;

			memset(&l, 0, sizeof(l));
			l.kind = L[i].kind;
			l.out_c = L[i].out;
			l.kernel = L[i].k;
			l.stride = L[i].s;
			l.pad = L[i].p;
			l.scores = L[i].sc;
			if (l.kind == BNN_LAYER_QUANT) {
				l.qbits = 4;
				l.qoffset = -3;
				l.qscale = 0.4f;
			}
			if (l.kind == BNN_LAYER_BCONV1D || l.kind == BNN_LAYER_BDENSE) {
				l.bits = calloc((size_t)l.out_c * rbytes, 1);
				for (size_t j = 0; j < (size_t)l.out_c * rbytes; j++)
					l.bits[j] = (uint8_t)rnd64();
				for (uint32_t o = 0; o < l.out_c && n % 8; o++)
					l.bits[o * rbytes + rbytes - 1] &= (uint8_t)((1u << (n % 8)) - 1);
				if (!l.scores)
					l.thr = calloc(l.out_c, 4);
			}
			if (bnn__model_add(m, &l, NULL))
				return 1;
			free(l.bits);
			free(l.thr);
		}
		bnn_model_info_get(m, &mi);
		for (size_t i = 0; i < nb * 256; i++)
			xb[i] = (float)(rnd64() % 2000) / 1000.0f - 1;
		printf("\nend to end, cpu backend: fully binarized ECG CNN (1x256, 4-bit input, "
		       "%llu binary MAC/beat, %llu card bits)\n",
		       (unsigned long long)mi.binary_macs,
		       (unsigned long long)mi.card_bits);
		for (uint32_t th = 1; th <= 2; th++) {
			bnn_backend_opts o;
			bnn_backend *be;
			bnn_error e;
			double t0, t, c0, c;

			bnn_backend_opts_init(&o);
			o.threads = th;
			if (bnn_backend_open(BNN_BACKEND_CPU, &o, &be, &e) ||
			    bnn_prepare(be, m, &e))
				return 1;
			bnn_run(be, xb, 256, sc, NULL, NULL, &e);	/* warm up */
			t0 = now();
			c0 = cpu_now();
			for (int rep = 0; rep < 3; rep++)
				bnn_run(be, xb, nb, sc, NULL, NULL, &e);
			t = now() - t0;
			c = cpu_now() - c0;
			printf("  %u thread%s: %.0f beats/s wall (%.2f us/beat); "
			       "CPU time %.2f us/beat = %.0f beats/s per busy core\n",
			       th, th > 1 ? "s" : " ", 3 * nb / t,
			       t / (3 * nb) * 1e6, c / (3 * nb) * 1e6,
			       3 * nb / c);
			bnn_backend_close(be);
		}
		bnn_model_free(m);
		free(xb);
		free(sc);
	}
	return (int)(sink & 0);
}
