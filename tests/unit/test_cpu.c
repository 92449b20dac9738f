// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * Unit tests: the cpu backend and its kernels (libbnn/src/kernels_*.c,
 * exec.c, backend_cpu.c, api.c).
 *
 *  - XOR-popcount GEMM of every ISA the CPU has (portable, AVX2,
 *    AVX-512) against a naive loop, many shapes;
 *  - float GEMM against double, and its fixed summation order;
 *  - whole networks against a naive evaluator (bnn_test_models.h):
 *    binary (1-bit and bit-serial k-bit inputs, conv padding/stride, OR
 *    max-pooling) exactly, float layers exactly on dyadic parameters;
 *  - bit-identical scores across ISAs and thread counts;
 *  - the worker pool (backend_cpu.c): thread counts 1, 2, 3, 7 and auto
 *    on odd batches, reuse over many runs and a prepare of another
 *    model, closes without a run, failed thread starts, the workers'
 *    signal mask, a context used in a fork()ed child;
 *  - equality with the card's device-model core (rbnn_prog_run, error
 *    model off) through a small private mapping of the binary layers onto
 *    tiles written here (the real compiler is libbnn/src/compile.c);
 *  - the public API: errors, async jobs, statistics.
 */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "backend.h"
#include "bnn.h"
#include "bnn_test_models.h"
#include "exec.h"
#include "kernels.h"
#include "rbnn_exec.h"
#include "rbnn_regs.h"

static int isa_ok(int isa)
{
	const struct bnn__kernels *k;

	return bnn__kernels_get(isa, &k) == BNN_OK;
}

/* ---- kernels --------------------------------------------------------------- */

static void test_xor_gemm(void **state)
{
	(void)state;
	int tested = 0;

	tm_state = 1;
	for (int isa = BNN_ISA_PORTABLE; isa <= BNN_ISA_AVX512; isa++) {
		const struct bnn__kernels *k;

		if (bnn__kernels_get(isa, &k))
			continue;
		tested++;
		for (int iter = 0; iter < 300; iter++) {
			uint32_t rows = (uint32_t)tm_rnd(1, 70);
			uint32_t n = (uint32_t)(iter < 100 ? tm_rnd(1, 130) :
						tm_rnd(1, 4200));
			size_t planes = iter % 3 ? 1 : (size_t)tm_rnd(2, 8);
			size_t m = (size_t)tm_rnd(1, 9), rb = (n + 7) / 8;
			size_t nw = (n + 63) / 64, ps = nw + (size_t)tm_rnd(0, 2);
			size_t ldx = planes * ps + (size_t)tm_rnd(0, 2);
			uint8_t *bits = calloc(rows * rb, 1);
			uint64_t *x = calloc(m * ldx, 8);
			uint32_t *d = calloc(m * rows, 4);
			struct bnn__bpanel pn;

			for (size_t i = 0; i < rows * (size_t)n; i++)
				if (tm_rand() & 1)
					bits[(i / n) * rb + (i % n) / 8] |=
						(uint8_t)(1u << (i % n % 8));
			for (size_t i = 0; i < m; i++)
				for (size_t p = 0; p < planes; p++)
					for (size_t j = 0; j < n; j++)
						if (tm_rand() & 1)
							x[i * ldx + p * ps + j / 64] |= 1ull << (j % 64);
			assert_int_equal(bnn__bpanel_pack(&pn, bits, rows, n, rb), 0);
			k->xor_gemm(x, ldx, ps, planes, m, &pn, d, rows);
			for (size_t i = 0; i < m; i++)
				for (uint32_t o = 0; o < rows; o++) {
					uint32_t want = 0;

					for (size_t p = 0; p < planes; p++)
						for (uint32_t j = 0; j < n; j++) {
							int wb = bits[o * rb + j / 8] >> (j % 8) & 1;
							int xb = (int)(x[i * ldx + p * ps + j / 64] >> (j % 64) & 1);

							want += (uint32_t)(wb != xb) << p;
						}
					if (d[i * rows + o] != want)
						fail_msg("%s: rows %u n %u m %zu planes %zu: d[%zu][%u] = %u, want %u",
							 k->name, rows, n, m, planes, i, o,
							 d[i * rows + o], want);
				}
			bnn__bpanel_free(&pn);
			free(bits);
			free(x);
			free(d);
		}
	}
	assert_true(tested >= 1);
	print_message("# xor_gemm: %d ISA(s) checked (best: %s)\n", tested,
		      bnn_cpu_isa_name(bnn__cpu_best_isa()));
}

/* One-word windows: every ISA's win57 gives the bits of a bit-by-bit
 * reference, for odd counts (gather remainders), strides and masks. */
static void test_win57(void **state)
{
	uint64_t plane[12], row[80];
	int tested = 0;

	(void)state;
	if (!(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__))
		skip();
	tm_state = 2;
	for (size_t i = 0; i < 12; i++)
		plane[i] = tm_rand();
	for (int isa = BNN_ISA_PORTABLE; isa <= BNN_ISA_AVX512; isa++) {
		const struct bnn__kernels *k;

		if (bnn__kernels_get(isa, &k))
			continue;
		tested++;
		for (int iter = 0; iter < 500; iter++) {
			size_t nbits = (size_t)tm_rnd(1, 57), step = (size_t)tm_rnd(1, 9);
			size_t pos = (size_t)tm_rnd(0, 40), cnt = (size_t)tm_rnd(0, 79);
			uint64_t mask = nbits == 64 ? ~0ull : (1ull << nbits) - 1;

			/* the last load ends inside the 96 bytes */
			while (cnt && (pos + (cnt - 1) * step) / 8 + 8 > 96)
				cnt--;
			k->win57(plane, pos, step, cnt, mask, row);
			for (size_t t = 0; t < cnt; t++) {
				uint64_t want = 0;

				for (size_t j = 0; j < nbits; j++) {
					size_t b = pos + t * step + j;

					want |= (plane[b / 64] >> (b % 64) & 1) << j;
				}
				if (row[t] != want)
					fail_msg("%s: pos %zu step %zu cnt %zu bits %zu: row %zu",
						 k->name, pos, step, cnt, nbits, t);
			}
		}
	}
	assert_true(tested >= 1);
}

/*
 * The fused one-word BCONV1D kernel of every ISA against a bit-by-bit
 * reference: 1-64 rows (the AVX-512 byte layouts for 1, 2, 4 and
 * multiples of 8 rows, the plain loop for the others), 1-8 planes, odd
 * counts, steps up to 120 bits (past the AVX-512 permute window), edge
 * threshold rows on both sides or none, bits of y past the outputs left
 * zero.
 */
static void test_conv1w(void **state)
{
	static const uint32_t rows_set[] = { 1, 2, 3, 4, 5, 8, 12, 16, 24, 40, 64 };
	enum { PW = 40 };	/* words per plane */
	uint64_t *x = calloc(8 * PW, 8), y[80];
	int tested = 0;

	(void)state;
	if (!(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__))
		skip();
	tm_state = 21;
	for (size_t i = 0; i < 8 * PW; i++)
		x[i] = tm_rand() | (uint64_t)tm_rand() << 32;
	for (int isa = BNN_ISA_PORTABLE; isa <= BNN_ISA_AVX512; isa++) {
		const struct bnn__kernels *k;

		if (bnn__kernels_get(isa, &k) || !k->conv1w)
			continue;
		tested++;
		for (int iter = 0; iter < 400; iter++) {
			uint32_t O = rows_set[iter % (sizeof(rows_set) / sizeof(*rows_set))];
			uint32_t n = (uint32_t)tm_rnd(1, 57), rb = (n + 7) / 8;
			size_t planes = iter % 4 ? 1 : (size_t)tm_rnd(2, 8);
			size_t step = iter % 5 == 4 ? (size_t)tm_rnd(60, 120) :
				      (size_t)tm_rnd(1, 24);
			size_t cnt = (size_t)tm_rnd(1, 41), lo, hi, R;
			int32_t k1 = (int32_t)((((int64_t)1 << planes) - 1) * n);
			uint8_t *bits = calloc((size_t)O * rb, 1);
			int32_t *thr, *thr_e;
			struct bnn__bpanel pn;

			/* the planes as long as kernels.h asks */
			while (cnt > 1 && ((cnt - 1) * step) / 64 + 8 > PW)
				cnt--;
			if (iter % 3 == 0) {
				lo = 0;
				hi = cnt;
			} else {
				lo = (size_t)tm_rnd(0, (int)cnt);
				hi = (size_t)tm_rnd((int)lo, (int)cnt);
			}
			for (size_t j = 0; j < (size_t)O * n; j++)
				if (tm_rand() & 1)
					bits[(j / n) * rb + (j % n) / 8] |=
						(uint8_t)(1u << (j % n % 8));
			assert_int_equal(bnn__bpanel_pack(&pn, bits, O, n, rb), 0);
			R = 8 * (size_t)pn.ngroups;
			thr = calloc(R, 4);
			thr_e = calloc((lo + cnt - hi) * R + 1, 4);
			/* thresholds around the sums, both parities */
			for (uint32_t o = 0; o < O; o++)
				thr[o] = tm_rnd(-k1 - 1, k1 + 1);
			for (size_t r = 0; r < lo + cnt - hi; r++)
				for (uint32_t o = 0; o < O; o++)
					thr_e[r * R + o] = tm_rnd(-k1 - 1, k1 + 1);
			memset(y, 0, sizeof(y));
			k->conv1w(x, PW, planes, step, cnt,
				  n == 64 ? ~0ull : (1ull << n) - 1, &pn, k1, thr,
				  thr_e, lo, hi, y);
			for (size_t t = 0; t < cnt; t++) {
				const int32_t *th = t < lo ? thr_e + t * R :
						    t >= hi ? thr_e + (lo + t - hi) * R : thr;

				for (uint32_t o = 0; o < O; o++) {
					int64_t D = 0;
					size_t e = t * O + o;
					int want, got = (int)(y[e / 64] >> (e % 64) & 1);

					for (size_t p = 0; p < planes; p++)
						for (uint32_t j = 0; j < n; j++) {
							size_t b = t * step + j;
							int xb = (int)(x[p * PW + b / 64] >> (b % 64) & 1);
							int wb = bits[o * rb + j / 8] >> (j % 8) & 1;

							D += (int64_t)(xb != wb) << p;
						}
					want = k1 - 2 * D >= th[o];
					if (got != want)
						fail_msg("%s: rows %u n %u planes %zu step %zu cnt %zu lo %zu hi %zu: t %zu o %u: got %d want %d",
							 k->name, O, n, planes, step, cnt, lo, hi, t, o, got, want);
				}
			}
			for (size_t e = cnt * O; e < 64 * 80; e++)
				if (y[e / 64] >> (e % 64) & 1)
					fail_msg("%s: rows %u cnt %zu: bit %zu past the outputs set",
						 k->name, O, cnt, e);
			bnn__bpanel_free(&pn);
			free(bits);
			free(thr);
			free(thr_e);
		}
	}
	free(x);
	assert_true(tested >= 1);
	print_message("# conv1w: %d ISA(s) checked\n", tested);
}

static void test_isa_selection(void **state)
{
	(void)state;
	const struct bnn__kernels *k;

	assert_int_equal(bnn__kernels_get(BNN_ISA_PORTABLE, &k), 0);
	assert_string_equal(k->name, "portable");
	assert_int_equal(bnn__kernels_get(17, &k), BNN_E_INVAL);
	setenv("BNN_CPU_ISA", "portable", 1);
	assert_int_equal(bnn__kernels_get(BNN_ISA_AUTO, &k), 0);
	assert_int_equal(k->isa, BNN_ISA_PORTABLE);
	setenv("BNN_CPU_ISA", "bogus", 1);
	assert_int_equal(bnn__kernels_get(BNN_ISA_AUTO, &k), BNN_E_INVAL);
	unsetenv("BNN_CPU_ISA");
	assert_int_equal(bnn__kernels_get(BNN_ISA_AUTO, &k), 0);
	assert_int_equal(k->isa, bnn__cpu_best_isa());
	if (bnn__cpu_best_isa() < BNN_ISA_AVX512)
		assert_int_equal(bnn__kernels_get(BNN_ISA_AVX512, &k),
				 BNN_E_UNSUPPORTED);
}

static void test_sgemm(void **state)
{
	(void)state;
	tm_state = 2;
	for (int iter = 0; iter < 200; iter++) {
		size_t m = (size_t)tm_rnd(1, 11), no = (size_t)tm_rnd(1, 9);
		size_t n = (size_t)tm_rnd(1, 300), lda = n + (size_t)tm_rnd(0, 3);
		size_t ldb = n + (size_t)tm_rnd(0, 3), ldc = no + (size_t)tm_rnd(0, 3);
		float *A = malloc(m * lda * 4), *B = malloc(no * ldb * 4);
		float *C = malloc(m * ldc * 4), *bias = malloc(no * 4);
		int use_bias = iter % 2;

		for (size_t i = 0; i < m * lda; i++)
			A[i] = tm_uniform(-1, 1);
		for (size_t i = 0; i < no * ldb; i++)
			B[i] = tm_uniform(-1, 1);
		for (size_t i = 0; i < no; i++)
			bias[i] = tm_uniform(-1, 1);
		bnn__sgemm_nt(A, lda, m, B, ldb, no, n, use_bias ? bias : NULL,
			      C, ldc);
		for (size_t i = 0; i < m; i++)
			for (size_t o = 0; o < no; o++) {
				double want = use_bias ? bias[o] : 0;
				float same;

				for (size_t k = 0; k < n; k++)
					want += (double)A[i * lda + k] * B[o * ldb + k];
				assert_true(fabs(C[i * ldc + o] - want) <=
					    1e-5 * (1 + (double)n));
				/* one fixed summation order everywhere */
				same = bnn__sdot(A + i * lda, B + o * ldb, n) +
				       (use_bias ? bias[o] : 0.0f);
				assert_memory_equal(&same, &C[i * ldc + o], 4);
			}
		free(A);
		free(B);
		free(C);
		free(bias);
	}
}

/* ---- whole networks ------------------------------------------------------ */

static bnn_backend *open_cpu(int isa, uint32_t threads)
{
	bnn_backend_opts o;
	bnn_backend *be;
	bnn_error e;

	bnn_backend_opts_init(&o);
	o.cpu_isa = isa;
	o.threads = threads;
	if (bnn_backend_open(BNN_BACKEND_CPU, &o, &be, &e))
		fail_msg("open: %s", e.msg);
	return be;
}

/* Run m on n random items with the cpu backend (isa, threads) and compare
 * with the reference; tol = 0: exact.  Returns the scores (malloc'ed). */
static float *check_model(const struct bnn_model *m, const float *x, size_t n,
			  int isa, uint32_t threads, double tol)
{
	bnn_backend *be = open_cpu(isa, threads);
	float *sc = malloc(sizeof(float) * n * m->nclasses);
	int32_t *pred = malloc(sizeof(int32_t) * n);
	double *want = malloc(sizeof(double) * m->nclasses);
	size_t e = (size_t)m->input.channels * m->input.length;
	bnn_stats st;
	bnn_error err;

	if (bnn_prepare(be, m, &err))
		fail_msg("prepare: %s", err.msg);
	if (bnn_run(be, x, n, sc, pred, &st, &err))
		fail_msg("run: %s", err.msg);
	assert_int_equal(st.items, n);
	assert_int_equal(st.device_ns, 0);
	for (size_t i = 0; i < n; i++) {
		int32_t best = 0;

		tm_ref_eval(m, x + i * e, want);
		for (uint32_t c = 0; c < m->nclasses; c++) {
			double got = sc[i * m->nclasses + c];

			if (fabs(got - want[c]) > tol * (1 + fabs(want[c])))
				fail_msg("isa %s item %zu class %u: got %.9g want %.9g",
					 bnn_cpu_isa_name(isa), i, c, got, want[c]);
			if (sc[i * m->nclasses + c] > sc[i * m->nclasses + best])
				best = (int32_t)c;
		}
		assert_int_equal(pred[i], best);
	}
	bnn_backend_close(be);
	free(pred);
	free(want);
	return sc;
}

/* Every ISA (and 3 threads) must give bit-identical scores. */
static void check_all_isas(const struct bnn_model *m, size_t n, double tol)
{
	size_t e = (size_t)m->input.channels * m->input.length;
	float *x = malloc(sizeof(float) * n * e), *ref = NULL;

	tm_inputs(m, x, n);
	for (int isa = BNN_ISA_PORTABLE; isa <= BNN_ISA_AVX512; isa++) {
		float *sc;

		if (!isa_ok(isa))
			continue;
		sc = check_model(m, x, n, isa, isa == BNN_ISA_PORTABLE ? 3 : 1,
				 tol);
		if (!ref)
			ref = sc;
		else {
			assert_memory_equal(ref, sc, sizeof(float) * n * m->nclasses);
			free(sc);
		}
	}
	free(ref);
	free(x);
}

static void test_binary_nets(void **state)
{
	(void)state;
	tm_state = 3;
	for (int i = 0; i < 60; i++) {
		uint32_t q = i % 3 == 0 ? 1 : (uint32_t)tm_rnd(2, 8);
		struct bnn_model *m = tm_random_binary(q);

		check_all_isas(m, (size_t)tm_rnd(1, 12), 0);
		bnn_model_free(m);
	}
}

/* The shipped ECG models' shape (117 samples, 4-bit QUANT, BCONV1D k7 p3,
 * pools, BCONV1D k5 p2, BDENSE), at odd and even widths, batch 1 and a
 * batch over three chunks: the one-word window and pool paths. */
static void test_ecg_shapes(void **state)
{
	static const uint32_t w[][3] = {
		{ 4, 8, 8 }, { 3, 5, 7 }, { 16, 32, 32 }, { 1, 1, 1 }, { 9, 11, 13 },
	};

	(void)state;
	tm_state = 12;
	for (size_t i = 0; i < sizeof(w) / sizeof(*w); i++) {
		struct bnn_model *m = tm_new(1, 117, 5);

		assert_int_equal(tm_add_quant(m, 4, -1.0f, 0.125f), 0);
		assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, w[i][0], 7, 1, 3, 0), 0);
		assert_int_equal(tm_add_pool(m, 2, 2), 0);
		assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, w[i][1], 5, 1, 2, 0), 0);
		assert_int_equal(tm_add_pool(m, 2, 2), 0);
		assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, w[i][2], 5, 1, 2, 0), 0);
		assert_int_equal(tm_add_pool(m, 3, 2), 0);
		assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
		assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 16, 0, 0, 0, 0), 0);
		assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 5, 0, 0, 0, 1), 0);
		check_all_isas(m, 1, 0);
		check_all_isas(m, 130, 0);
		bnn_model_free(m);
	}
}

/* Padding wider than the input, strides, kernel = length, 1 position;
 * with 67 outputs (the general path) and 1-16 (the fused one). */
static void test_conv_edges(void **state)
{
	(void)state;
	static const struct { uint32_t c, l, k, s, p; } cs[] = {
		{ 1, 1, 3, 1, 2 }, { 2, 1, 5, 2, 4 }, { 3, 4, 4, 1, 0 },
		{ 1, 5, 5, 3, 4 }, { 65, 3, 3, 1, 2 }, { 7, 30, 7, 4, 6 },
		{ 130, 2, 2, 1, 1 }, { 1, 200, 9, 1, 4 },
	};
	static const uint32_t outs[] = { 1, 4, 8, 16, 2, 8, 24, 4 };

	tm_state = 4;
	for (size_t i = 0; i < sizeof(cs) / sizeof(*cs); i++)
		for (uint32_t q = 1; q <= 8; q += 3) {
			struct bnn_model *m = tm_new(cs[i].c, cs[i].l, 3);

			if (q > 1)
				assert_int_equal(tm_add_quant(m, q, -1.0f, 0.125f), 0);
			else
				assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
			assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 67,
						       cs[i].k, cs[i].s, cs[i].p, 0), 0);
			assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
			assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1), 0);
			check_all_isas(m, 5, 0);
			bnn_model_free(m);
			/* the fused one-word path (exec.c run_bconv1w) when
			 * the fan-in fits a word: 1, 4, 8 or 16 outputs */
			m = tm_new(cs[i].c, cs[i].l, 3);
			if (q > 1)
				assert_int_equal(tm_add_quant(m, q, -1.0f, 0.125f), 0);
			else
				assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
			assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D,
						       outs[i], cs[i].k, cs[i].s,
						       cs[i].p, 0), 0);
			assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
			assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1), 0);
			check_all_isas(m, 1, 0);
			check_all_isas(m, 7, 0);
			bnn_model_free(m);
			/* scores straight from a conv */
			m = tm_new(cs[i].c, cs[i].l, 3);
			assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
			assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 3,
						       cs[i].k, cs[i].s, cs[i].p, 1), 0);
			assert_int_equal(tm_add_simple(m, BNN_LAYER_GLOBAL_MAXPOOL), 0);
			check_all_isas(m, 3, 0);
			bnn_model_free(m);
		}
}

static void test_maxpool_bits(void **state)
{
	static const uint32_t cs[] = { 1, 2, 4, 8, 16, 32, 3 };

	(void)state;
	tm_state = 5;
	/* kernel 2, stride 2 (the word-by-word path for C | 32), odd and
	 * even lengths, outputs across several words */
	for (size_t i = 0; i < 2 * sizeof(cs) / sizeof(*cs); i++) {
		uint32_t c = cs[i % (sizeof(cs) / sizeof(*cs))];
		uint32_t l = (uint32_t)tm_rnd(2, 300 / (int)c + 2);
		struct bnn_model *m = tm_new(c, l, 2);

		assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
		assert_int_equal(tm_add_pool(m, 2, 2), 0);
		assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
		assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
		check_all_isas(m, i % 2 ? 1 : 3, 0);
		bnn_model_free(m);
	}
	for (int i = 0; i < 20; i++) {
		uint32_t c = (uint32_t)tm_rnd(1, 140), l = (uint32_t)tm_rnd(2, 30);
		struct bnn_model *m = tm_new(c, l, 2);

		assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
		assert_int_equal(tm_add_pool(m, (uint32_t)tm_rnd(1, (int)l),
					     (uint32_t)tm_rnd(1, 4)), 0);
		assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
		assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
		check_all_isas(m, 4, 0);
		bnn_model_free(m);
	}
}

/* Float front end then binary: exact on dyadic parameters and inputs. */
static void test_mixed_nets(void **state)
{
	(void)state;
	tm_state = 6;
	for (int i = 0; i < 30; i++) {
		uint32_t c = (uint32_t)tm_rnd(1, 4), l = (uint32_t)tm_rnd(6, 30);
		struct bnn_model *m = tm_new(c, l, 4);
		uint32_t k = (uint32_t)tm_rnd(1, 5);

		m->input.norm = i % 3 == 1 ? BNN_INPUT_NORM_AFFINE : BNN_INPUT_NORM_NONE;
		if (m->input.norm) {
			m->input.norm_offset = 0.5f;
			m->input.norm_scale = 0.25f;
		}
		assert_int_equal(tm_add_float(m, BNN_LAYER_CONV1D,
					      (uint32_t)tm_rnd(1, 9), k,
					      (uint32_t)tm_rnd(1, 2),
					      (uint32_t)tm_rnd(0, (int)k - 1)), 0);
		assert_int_equal(tm_add_float(m, BNN_LAYER_BATCHNORM, 0, 0, 0, 0), 0);
		assert_int_equal(tm_add_act(m, (uint32_t)(i & 1)), 0);
		assert_int_equal(tm_add_pool(m, 2, 1), 0);
		if (i % 2)
			assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
		else
			assert_int_equal(tm_add_quant(m, 3, -2.0f, 0.5f), 0);
		assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 12, 3, 1, 1, 0), 0);
		assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
		assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 7, 0, 0, 0, 1), 0);
		assert_int_equal(tm_add_float(m, BNN_LAYER_BATCHNORM, 0, 0, 0, 0), 0);
		assert_int_equal(tm_add_float(m, BNN_LAYER_DENSE, 4, 0, 0, 0), 0);
		check_all_isas(m, 6, 0);
		bnn_model_free(m);
	}
}

/* Float only (global pools, z-score): close to double, identical across
 * ISAs and threads. */
static void test_float_nets(void **state)
{
	(void)state;
	tm_state = 7;
	for (int i = 0; i < 20; i++) {
		struct bnn_model *m = tm_new((uint32_t)tm_rnd(1, 5),
					     (uint32_t)tm_rnd(5, 60), 3);

		m->input.norm = i % 2 ? BNN_INPUT_NORM_ZSCORE : BNN_INPUT_NORM_NONE;
		assert_int_equal(tm_add_float(m, BNN_LAYER_CONV1D,
					      (uint32_t)tm_rnd(1, 20), 5, 1, 2), 0);
		assert_int_equal(tm_add_act(m, BNN__ACT_RELU), 0);
		assert_int_equal(tm_add_float(m, BNN_LAYER_CONV1D,
					      (uint32_t)tm_rnd(1, 20), 3, 2, 1), 0);
		assert_int_equal(tm_add_simple(m, i % 3 ? BNN_LAYER_GLOBAL_AVGPOOL :
					       BNN_LAYER_GLOBAL_MAXPOOL), 0);
		assert_int_equal(tm_add_float(m, BNN_LAYER_DENSE, 11, 0, 0, 0), 0);
		assert_int_equal(tm_add_float(m, BNN_LAYER_DENSE, 3, 0, 0, 0), 0);
		check_all_isas(m, 5, 1e-4);
		bnn_model_free(m);
	}
}

/* Fan-in so large that 8-bit bit-serial sums need the int64 path. */
static void test_large_sums(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(1, 2200000, 2);

	tm_state = 10;
	assert_int_equal(tm_add_quant(m, 8, -1.0f, 0.125f), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
	assert_true((int64_t)m->layers[2].n * 255 * 4 > INT32_MAX);
	check_all_isas(m, 2, 0);
	bnn_model_free(m);
	/* and a wide binary conv with bit outputs */
	m = tm_new(4096, 600, 2);
	assert_int_equal(tm_add_quant(m, 8, -1.0f, 0.125f), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, 3, 600, 1, 1, 0), 0);
	assert_int_equal(m->layers[1].out_l, 3);	/* two padded edges */
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
	check_all_isas(m, 1, 0);
	bnn_model_free(m);
}

/* ---- equality with the device-model core --------------------------------- */

struct card {
	struct rbnn_array *a;
	uint8_t *img;
	size_t len;
	uint32_t tile, row;	/* allocation cursor */
};

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* Place a binary layer's rows: block by block, outputs in runs that fit
 * the rest of the current tile; program rows and block-0 thresholds.
 * Appends the segments to segs, returns their count. */
static uint32_t place(struct card *cd, const struct bnn__layer *l,
		      uint8_t *segs)
{
	const struct rbnn_params *p = rbnn_array_params(cd->a);
	uint32_t nblocks = (l->n + p->cols - 1) / p->cols, ns = 0;
	uint64_t *row = calloc(p->cols / 64, 8);

	for (uint32_t b = 0; b < nblocks; b++)
		for (uint32_t o = 0; o < l->out_c;) {
			uint32_t cnt;

			if (cd->row == p->rows) {
				cd->tile++;
				cd->row = 0;
			}
			assert_true(cd->tile < p->tiles);
			cnt = l->out_c - o < p->rows - cd->row ? l->out_c - o :
			      p->rows - cd->row;
			put32(segs + 16 * ns, cd->tile);
			put32(segs + 16 * ns + 4, cd->row);
			put16(segs + 16 * ns + 8, (uint16_t)o);
			put16(segs + 16 * ns + 10, (uint16_t)cnt);
			put16(segs + 16 * ns + 12, (uint16_t)b);
			ns++;
			for (uint32_t i = 0; i < cnt; i++) {
				memset(row, 0, p->cols / 8);
				for (uint32_t c = 0; c < p->cols; c++) {
					uint32_t j = b * p->cols + c;

					if (j < l->n && l->bits[(o + i) * l->row_bytes + j / 8] >> (j % 8) & 1)
						row[c / 64] |= 1ull << (c % 64);
				}
				rbnn_array_program(cd->a, cd->tile, cd->row + i, 1,
						   row, NULL, NULL, NULL);
				if (!b && !l->scores)
					rbnn_array_set_threshold(cd->a, cd->tile,
								 cd->row + i, l->thr[o + i]);
			}
			cd->row += cnt;
			o += cnt;
		}
	free(row);
	return ns;
}

/* Program image for layers [1, nlayers) of m (FLATTEN folded into the
 * following dense layer, which reads the pre-flatten shape as FC). */
static struct rbnn_prog *compile_card(struct card *cd, const struct bnn_model *m)
{
	uint8_t hdr[32] = { 0 }, layers[64 * 32] = { 0 };
	uint8_t *segs = calloc(16, 65536);
	uint32_t nseg_total = 0, nl = 0, seg_start[32], seg_n[32];
	uint32_t pc = m->layers[0].out_c, pl = m->layers[0].out_l;
	char err[256];
	uint32_t eoff;
	struct rbnn_prog *prog;

	for (uint32_t i = 1; i < m->nlayers; i++) {
		const struct bnn__layer *l = &m->layers[i];
		uint8_t *b = layers + 64 * nl;

		if (l->kind == BNN_LAYER_FLATTEN)
			continue;
		b[0] = l->kind == BNN_LAYER_BDENSE ? RBNN_LAYER_FC :
		       l->kind == BNN_LAYER_BCONV1D ? RBNN_LAYER_CONV1D :
		       RBNN_LAYER_MAXPOOL1D;
		assert_true(l->kind == BNN_LAYER_BDENSE || l->kind == BNN_LAYER_BCONV1D ||
			    l->kind == BNN_LAYER_MAXPOOL1D);
		b[1] = l->scores ? RBNN_OUT_SCORES : RBNN_OUT_BITS;
		put32(b + 4, pc);
		put32(b + 8, l->out_c);
		put32(b + 12, pl);
		put32(b + 16, l->out_l);
		put16(b + 20, (uint16_t)l->kernel);
		put16(b + 22, (uint16_t)l->stride);
		put16(b + 24, (uint16_t)l->pad);
		seg_start[nl] = nseg_total;
		seg_n[nl] = l->kind == BNN_LAYER_MAXPOOL1D ? 0 :
			    place(cd, l, segs + 16 * nseg_total);
		nseg_total += seg_n[nl];
		put32(b + 28, seg_n[nl]);
		pc = l->out_c;
		pl = l->out_l;
		nl++;
	}
	put32(hdr, RBNN_PROG_MAGIC);
	put16(hdr + 4, RBNN_PROG_VERSION);
	put16(hdr + 6, (uint16_t)nl);
	put32(hdr + 8, m->layers[0].out_c);
	put32(hdr + 12, m->layers[0].out_l);
	hdr[16] = (uint8_t)m->layers[0].out_bits;
	cd->len = 32 + 64 * nl + 16 * (size_t)nseg_total;
	cd->img = calloc(1, cd->len);
	memcpy(cd->img, hdr, 32);
	for (uint32_t i = 0; i < nl; i++) {
		memcpy(cd->img + 32 + 64 * i, layers + 64 * i, 64);
		if (seg_n[i])
			put32(cd->img + 32 + 64 * i + 32,
			      (uint32_t)(32 + 64 * nl + 16 * seg_start[i]));
	}
	memcpy(cd->img + 32 + 64 * nl, segs, 16 * (size_t)nseg_total);
	free(segs);
	prog = rbnn_prog_parse(cd->a, cd->img, cd->len, err, sizeof(err), &eoff);
	if (!prog)
		fail_msg("card program rejected at %u: %s", eoff, err);
	return prog;
}

static void test_card_equivalence(void **state)
{
	(void)state;
	const struct bnn__kernels *k;
	int nets = 0;

	assert_int_equal(bnn__kernels_get(BNN_ISA_AUTO, &k), 0);
	tm_state = 8;
	for (int it = 0; it < 40; it++) {
		uint32_t q = it % 3 == 0 ? 1 : (uint32_t)tm_rnd(2, 8);
		struct bnn_model *m = tm_random_binary(q);
		struct rbnn_params p;
		struct card cd = { 0 };
		struct rbnn_prog *prog;
		struct bnn__hnet *h;
		struct bnn__hscratch *s;
		size_t n = 7, e = (size_t)m->input.channels * m->input.length;
		size_t ib, ob;
		float *x = malloc(sizeof(float) * n * e);
		float *sc = malloc(sizeof(float) * n * m->nclasses);
		float *sc2 = malloc(sizeof(float) * n * m->nclasses);
		uint8_t *items;
		uint64_t *in8, *out8;
		bnn_backend *be = open_cpu(BNN_ISA_AUTO, 1);
		bnn_error err;
		char perr[128];

		rbnn_params_default(&p);
		p.error_model = false;
		p.tiles = 256;
		p.rows = 64;
		p.cols = it % 2 ? 64 : 128;	/* force column blocks */
		assert_int_equal(rbnn_params_check(&p, perr, sizeof(perr)), 0);
		cd.a = rbnn_array_new(&p);
		assert_non_null(cd.a);
		prog = compile_card(&cd, m);

		tm_inputs(m, x, n);
		assert_int_equal(bnn_prepare(be, m, &err), 0);
		assert_int_equal(bnn_run(be, x, n, sc, NULL, NULL, &err), 0);

		/* Card input items = the host executor's boundary 1. */
		assert_int_equal(bnn__hnet_new(m, k, &h, &err), 0);
		assert_int_equal(bnn__hscratch_new(h, &s), 0);
		assert_int_equal(bnn__hnet_io(h, 1, NULL, NULL, NULL, &ib), 0);
		assert_int_equal(ib, rbnn_prog_in_bytes(prog));
		assert_int_equal(bnn__hnet_io(h, m->nlayers, NULL, NULL, NULL, &ob), 0);
		items = malloc(ib * n);
		bnn__hnet_run(h, s, 0, 1, x, n, items, NULL);
		bnn__hnet_run(h, s, 1, m->nlayers, items, n, sc2, NULL);
		assert_memory_equal(sc, sc2, sizeof(float) * n * m->nclasses);

		in8 = malloc(rbnn_prog_in_bytes(prog));
		out8 = malloc(rbnn_prog_out_bytes(prog));
		for (size_t i = 0; i < n; i++) {
			const uint8_t *o8 = (const uint8_t *)out8;

			memcpy(in8, items + i * ib, ib);
			rbnn_prog_run(cd.a, prog, in8, out8, NULL);
			for (uint32_t c = 0; c < m->nclasses; c++) {
				int32_t v = (int32_t)(o8[4 * c] | o8[4 * c + 1] << 8 |
						      o8[4 * c + 2] << 16 |
						      (uint32_t)o8[4 * c + 3] << 24);

				if ((float)v != sc[i * m->nclasses + c])
					fail_msg("net %d item %zu class %u: card %d, cpu %g",
						 it, i, c, v, sc[i * m->nclasses + c]);
			}
		}
		nets++;
		free(in8);
		free(out8);
		free(items);
		bnn__hscratch_free(s);
		bnn__hnet_free(h);
		bnn_backend_close(be);
		rbnn_prog_free(prog);
		rbnn_array_free(cd.a);
		free(cd.img);
		free(x);
		free(sc);
		free(sc2);
		bnn_model_free(m);
	}
	print_message("# %d random binary networks: cpu == device-model core\n",
		      nets);
}

/* Boundary formats: bits and quant items round trip through the card
 * layouts (padding bits ignored on input). */
static void test_boundary_io(void **state)
{
	(void)state;
	const struct bnn__kernels *k;
	struct bnn_model *m;
	struct bnn__hnet *h;
	struct bnn__hscratch *s;
	size_t ib;
	int vk;
	uint32_t bits;
	uint8_t it[16], out[16];

	assert_int_equal(bnn__kernels_get(BNN_ISA_PORTABLE, &k), 0);
	m = tm_new(1, 70, 2);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_SIGN), 0);
	assert_int_equal(tm_add_pool(m, 1, 1), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__hnet_new(m, k, &h, NULL), 0);
	assert_int_equal(bnn__hscratch_new(h, &s), 0);
	assert_int_equal(bnn__hnet_io(h, 1, &vk, &bits, NULL, &ib), 0);
	assert_int_equal(vk, BNN_VALUES_BITS);
	assert_int_equal(ib, 16);
	for (int i = 0; i < 16; i++)
		it[i] = (uint8_t)tm_rand();
	bnn__hnet_run(h, s, 1, 2, it, 1, out, NULL);	/* identity pool */
	for (int i = 0; i < 8; i++)
		assert_int_equal(out[i], it[i]);
	assert_int_equal(out[8], it[8] & 0x3f);	/* 70 bits */
	for (int i = 9; i < 16; i++)
		assert_int_equal(out[i], 0);
	bnn__hscratch_free(s);
	bnn__hnet_free(h);
	bnn_model_free(m);

	m = tm_new(3, 3, 2);
	assert_int_equal(tm_add_quant(m, 3, 0, 1), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 2, 0, 0, 0, 1), 0);
	assert_int_equal(bnn__hnet_new(m, k, &h, NULL), 0);
	assert_int_equal(bnn__hscratch_new(h, &s), 0);
	assert_int_equal(bnn__hnet_io(h, 1, &vk, &bits, NULL, &ib), 0);
	assert_int_equal(vk, BNN_VALUES_QUANT);
	assert_int_equal(bits, 3);
	assert_int_equal(ib, 16);
	{
		float x[9] = { -1, 0, 0.49f, 0.5f, 1.5f, 2.5f, 6.4f, 7, 1e9f };
		const uint8_t want[9] = { 0, 0, 0, 1, 2, 3, 6, 7, 7 };

		bnn__hnet_run(h, s, 0, 1, x, 1, out, NULL);
		for (int i = 0; i < 9; i++)
			assert_int_equal(out[i], want[i]);
		it[0] = 0xfd;	/* high bits ignored: q = 5 */
		bnn__hnet_run(h, s, 1, 2, it, 1, out, NULL);	/* flatten */
		assert_int_equal(out[0], 5);
	}
	bnn__hscratch_free(s);
	bnn__hnet_free(h);
	bnn_model_free(m);
}

/*
 * The level-space BCONV1D (kernels_lvl.c) three ways on every ISA: fused
 * with its QUANT (one run over all layers), from the QUANT's bit planes
 * (a run from boundary 1), and the bit-plane paths ($BNN_CPU_NO_LVL):
 * the same outputs at every boundary.  Channel counts 1-16 (and 3: not
 * level space), 1-3 input channels, pads wider than the kernel, batch 1
 * and odd batches.
 */
static struct bnn_model *lvl_model(uint32_t c, uint32_t l, uint32_t q,
				    uint32_t o, uint32_t k, uint32_t p)
{
	struct bnn_model *m = tm_new(c, l, 3);

	assert_int_equal(tm_add_quant(m, q, -1.0f, 0.0625f), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BCONV1D, o, k, 1, p, 0), 0);
	assert_int_equal(tm_add_simple(m, BNN_LAYER_FLATTEN), 0);
	assert_int_equal(tm_add_binary(m, BNN_LAYER_BDENSE, 3, 0, 0, 0, 1), 0);
	return m;
}

static void test_level_conv(void **state)
{
	static const struct { uint32_t c, l, q, o, k, p; } cs[] = {
		{ 1, 117, 4, 4, 7, 3 }, { 2, 117, 4, 4, 7, 3 }, { 1, 31, 2, 1, 3, 1 },
		{ 3, 20, 8, 8, 5, 2 }, { 1, 9, 5, 16, 4, 3 }, { 2, 13, 3, 2, 13, 0 },
		{ 1, 70, 4, 3, 7, 3 }, { 1, 64, 6, 16, 1, 0 },
	};

	(void)state;
	tm_state = 22;
	for (size_t i = 0; i < sizeof(cs) / sizeof(*cs); i++) {
		struct bnn_model *m = lvl_model(cs[i].c, cs[i].l, cs[i].q,
						cs[i].o, cs[i].k, cs[i].p);
		size_t n = i % 2 ? 1 : 5, e = (size_t)cs[i].c * cs[i].l, b1, b2;
		float *x = malloc(sizeof(float) * n * e);

		tm_inputs(m, x, n);
		for (int isa = BNN_ISA_PORTABLE; isa <= BNN_ISA_AVX512; isa++) {
			const struct bnn__kernels *k;
			struct bnn__hnet *h[2];
			struct bnn__hscratch *sc[2];
			uint8_t *mid, *ya, *yb;

			if (bnn__kernels_get(isa, &k))
				continue;
			/* h[0]: level space, h[1]: the bit-plane paths */
			for (int v = 0; v < 2; v++) {
				if (v)
					setenv("BNN_CPU_NO_LVL", "1", 1);
				assert_int_equal(bnn__hnet_new(m, k, &h[v], NULL), 0);
				assert_int_equal(bnn__hscratch_new(h[v], &sc[v]), 0);
				unsetenv("BNN_CPU_NO_LVL");
			}
			assert_int_equal(bnn__hnet_io(h[0], 1, NULL, NULL, NULL, &b1), 0);
			assert_int_equal(bnn__hnet_io(h[0], 2, NULL, NULL, NULL, &b2), 0);
			mid = calloc(n, b1);
			ya = calloc(n, b2);
			yb = calloc(n, b2);
			/* boundary 2: fused, from the planes, by bit planes */
			bnn__hnet_run(h[0], sc[0], 0, 2, x, n, ya, NULL);
			bnn__hnet_run(h[0], sc[0], 0, 1, x, n, mid, NULL);
			bnn__hnet_run(h[0], sc[0], 1, 2, mid, n, yb, NULL);
			if (memcmp(ya, yb, n * b2))
				fail_msg("%s case %zu: fused != from the planes",
					 k->name, i);
			bnn__hnet_run(h[1], sc[1], 0, 2, x, n, yb, NULL);
			if (memcmp(ya, yb, n * b2))
				fail_msg("%s case %zu: level space != bit planes",
					 k->name, i);
			free(mid);
			free(ya);
			free(yb);
			for (int v = 0; v < 2; v++) {
				bnn__hscratch_free(sc[v]);
				bnn__hnet_free(h[v]);
			}
		}
		free(x);
		check_all_isas(m, n, 0);	/* and the reference evaluator */
		bnn_model_free(m);
	}
}

/* ---- public API -------------------------------------------------------------- */

static void test_api(void **state)
{
	(void)state;
	struct bnn_model *m;
	bnn_backend *be;
	bnn_backend_opts o;
	bnn_backend_info bi;
	bnn_error e;
	bnn_stats st, tot;
	size_t n = 10, ne;
	float *x, *sc;
	int32_t pred[10], pred2[10];
	uint64_t jobs[BNN_MAX_JOBS + 1];

	tm_state = 9;
	m = tm_random_binary(4);
	ne = (size_t)m->input.channels * m->input.length;
	x = malloc(sizeof(float) * n * ne);
	sc = malloc(sizeof(float) * n * m->nclasses);
	tm_inputs(m, x, n);

	assert_int_equal(bnn_backend_open(9, NULL, &be, &e), BNN_E_INVAL);
	bnn_backend_opts_init(&o);
	o.read_ber = 2;
	assert_int_equal(bnn_backend_open(BNN_BACKEND_CPU, &o, &be, &e), BNN_E_INVAL);
	assert_null(be);
	bnn_backend_opts_init(&o);
	o.size = 0;
	assert_int_equal(bnn_backend_open(BNN_BACKEND_CPU, &o, &be, &e), BNN_E_INVAL);
	/* an older, shorter struct: only its fields are read */
	bnn_backend_opts_init(&o);
	o.size = offsetof(bnn_backend_opts, tiles);
	o.cpu_isa = 99;
	assert_int_equal(bnn_backend_open(BNN_BACKEND_CPU, &o, &be, &e), 0);
	bnn_backend_close(be);
	/* a newer, longer struct: unknown fields must be zero */
	{
		struct { bnn_backend_opts o; uint64_t extra; } big;

		memset(&big, 0, sizeof(big));
		bnn_backend_opts_init(&big.o);
		big.o.size = sizeof(big);
		assert_int_equal(bnn_backend_open(BNN_BACKEND_CPU, &big.o, &be, &e), 0);
		bnn_backend_close(be);
		big.extra = 1;
		assert_int_equal(bnn_backend_open(BNN_BACKEND_CPU, &big.o, &be, &e),
				 BNN_E_UNSUPPORTED);
	}

	assert_int_equal(bnn_backend_open(BNN_BACKEND_CPU, NULL, &be, &e), 0);
	assert_int_equal(bnn_backend_info_get(be, &bi), 0);
	assert_int_equal(bi.kind, BNN_BACKEND_CPU);
	assert_string_equal(bi.name, "cpu");
	assert_int_equal(bnn_run(be, x, n, sc, pred, &st, &e), BNN_E_STATE);
	assert_non_null(strstr(e.msg, "bnn_prepare"));
	assert_int_equal(bnn_prepare(be, m, &e), 0);
	bnn_model_free(m);	/* the context keeps its own copy */
	assert_int_equal(bnn_run(be, NULL, n, sc, pred, &st, &e), BNN_E_INVAL);
	assert_int_equal(bnn_run(be, x, n, sc, pred, &st, &e), 0);
	assert_int_equal(bnn_run(be, x, n, NULL, pred2, NULL, &e), 0);
	assert_memory_equal(pred, pred2, sizeof(pred));
	assert_int_equal(bnn_run(be, x, 0, NULL, NULL, &st, &e), 0);
	assert_int_equal(st.items, 0);

	/* async: results equal the synchronous ones */
	assert_int_equal(bnn_submit(be, x, n, NULL, pred2, &jobs[0], &e), 0);
	assert_int_equal(bnn_wait(be, jobs[0] + 1000, 0, NULL, &e), BNN_E_NOTFOUND);
	assert_int_equal(bnn_wait(be, jobs[0], -1, &st, &e), 0);
	assert_int_equal(st.items, n);
	assert_memory_equal(pred, pred2, sizeof(pred));
	assert_int_equal(bnn_wait(be, jobs[0], 0, NULL, &e), BNN_E_NOTFOUND);
	for (int i = 0; i < BNN_MAX_JOBS; i++)
		assert_int_equal(bnn_submit(be, x, 1, NULL, NULL, &jobs[i], &e), 0);
	assert_int_equal(bnn_submit(be, x, 1, NULL, NULL, &jobs[BNN_MAX_JOBS], &e),
			 BNN_E_BUSY);
	m = tm_random_binary(1);
	assert_int_equal(bnn_prepare(be, m, &e), BNN_E_BUSY);
	bnn_model_free(m);
	for (int i = 0; i < BNN_MAX_JOBS / 2; i++)
		assert_int_equal(bnn_wait(be, jobs[i], 100, NULL, &e), 0);
	assert_int_equal(bnn_backend_stats(be, &tot), 0);
	assert_int_equal(tot.items, 3 * n + BNN_MAX_JOBS / 2);
	/* the rest are collected by close */
	bnn_backend_close(be);

	assert_string_equal(bnn_backend_kind_name(BNN_BACKEND_EMU), "emu");
	assert_int_equal(bnn_backend_kind_from_name("rbnn"), BNN_BACKEND_RBNN);
	assert_int_equal(bnn_backend_kind_from_name("gpu"), BNN_E_NOTFOUND);
	/* AUTO always finds something (a card, emu, or at least cpu) */
	assert_int_equal(bnn_backend_open(BNN_BACKEND_AUTO, NULL, &be, &e), 0);
	bnn_backend_close(be);
	bnn_backend_close(NULL);
	free(x);
	free(sc);
}

/* ---- the worker pool ------------------------------------------------------ */

/* Items per share of BNN_THREADS_AUTO (bnn.h). */
#define AUTO_SHARE 64

/* Threads of this process (/proc/self/task entries). */
static int tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* tasks() once it equals want (a joined thread may take a moment to
 * leave /proc), or after 2 s whatever it is. */
static int tasks_settle(int want)
{
	struct timespec ts = { 0, 2000000 };
	int n = tasks();

	for (int i = 0; i < 1000 && n != want; i++) {
		nanosleep(&ts, NULL);
		n = tasks();
	}
	return n;
}

static uint32_t online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (uint32_t)n;
}

/* Run n items of x and compare the scores with ref bit for bit; every
 * score starts as a NaN pattern no model computes, so a share that was
 * not run shows. */
static int same_run(bnn_backend *be, const struct bnn_model *m,
		    const float *x, size_t n, const float *ref)
{
	size_t k = n * m->nclasses;
	float *sc = malloc(sizeof(float) * (k ? k : 1));
	bnn_stats st;
	bnn_error e;
	int same;

	memset(sc, 0xa5, sizeof(float) * k);
	if (bnn_run(be, x, n, sc, NULL, &st, &e))
		fail_msg("run of %zu: %s", n, e.msg);
	assert_int_equal(st.items, n);
	same = !memcmp(sc, ref, sizeof(float) * k);
	free(sc);
	return same;
}

/* The one-thread scores of n items of x (malloc'ed). */
static float *ref_scores(const struct bnn_model *m, const float *x, size_t n)
{
	bnn_backend *be = open_cpu(BNN_ISA_AUTO, 1);
	float *sc = malloc(sizeof(float) * n * m->nclasses);
	bnn_error e;

	if (bnn_prepare(be, m, &e) || bnn_run(be, x, n, sc, NULL, NULL, &e))
		fail_msg("reference: %s", e.msg);
	bnn_backend_close(be);
	return sc;
}

struct pool_data {
	struct bnn_model *m[2];
	float *x[2], *ref[2];
};

#define POOL_N 1000

static void pool_data_new(struct pool_data *d)
{
	tm_state = 21;
	d->m[0] = tm_random_binary(3);
	assert_int_equal(tm_add_float(d->m[0], BNN_LAYER_BATCHNORM, 0, 0, 0, 0), 0);
	assert_int_equal(tm_add_float(d->m[0], BNN_LAYER_DENSE,
				      d->m[0]->nclasses, 0, 0, 0), 0);
	/* features: each share must read its own items' */
	d->m[1] = tm_random_binary_feat(1, 2);
	for (int i = 0; i < 2; i++) {
		d->x[i] = malloc(sizeof(float) * POOL_N * tm_item_floats(d->m[i]));
		tm_inputs(d->m[i], d->x[i], POOL_N);
		d->ref[i] = ref_scores(d->m[i], d->x[i], POOL_N);
	}
}

static void pool_data_free(struct pool_data *d)
{
	for (int i = 0; i < 2; i++) {
		bnn_model_free(d->m[i]);
		free(d->x[i]);
		free(d->ref[i]);
	}
}

/* Threads 2, 3, 7 and auto give the one-thread scores on odd batches, run
 * after run and across a prepare of another model, on one pool that
 * starts at the first split and ends at close. */
static void test_pool_threads(void **state)
{
	static const uint32_t threads[] = { 1, 2, 3, 7, BNN_THREADS_AUTO };
	static const size_t ns[] = { 1, 2, 3, 257, 5, 127, 128, 129, 1000 };
	uint32_t ncpu = online_cpus();
	struct pool_data d;
	int base = tasks();

	(void)state;
	pool_data_new(&d);
	for (size_t t = 0; t < sizeof(threads) / sizeof(*threads); t++) {
		uint32_t th = threads[t];
		int autom = th == BNN_THREADS_AUTO;
		/* workers after a run of POOL_N items */
		uint32_t nw = autom ? (ncpu < POOL_N / AUTO_SHARE ? ncpu :
				       POOL_N / AUTO_SHARE) - 1 : th - 1;
		bnn_backend *be = open_cpu(BNN_ISA_AUTO, th);
		bnn_backend_info bi;
		bnn_error e;

		assert_int_equal(bnn_backend_info_get(be, &bi), 0);
		if (autom && ncpu > 1)
			assert_non_null(strstr(bi.detail, "up to"));
		assert_int_equal(bnn_prepare(be, d.m[0], &e), 0);
		assert_int_equal(tasks(), base);	/* started lazily */
		for (int rep = 0; rep < 3; rep++) {
			int mi = rep == 1;	/* another model in between */

			if (rep)
				assert_int_equal(bnn_prepare(be, d.m[mi], &e), 0);
			for (size_t k = 0; k < sizeof(ns) / sizeof(*ns); k++)
				if (!same_run(be, d.m[mi], d.x[mi], ns[k],
					      d.ref[mi]))
					fail_msg("threads %u (%s), model %d, %zu items: scores differ from one thread",
						 th, bi.detail, mi, ns[k]);
			/* the pool outlives runs and prepares */
			assert_int_equal(tasks(), base + (int)nw);
		}
		/* many runs, one pool */
		for (int r = 0; r < 300; r++) {
			size_t n = (size_t)tm_rnd(1, 300);

			if (!same_run(be, d.m[0], d.x[0], n, d.ref[0]))
				fail_msg("threads %u, run %d of %zu items differs",
					 th, r, n);
		}
		assert_int_equal(tasks(), base + (int)nw);
		/* async jobs run on the same pool */
		{
			uint64_t j[3];
			float *sc = malloc(sizeof(float) * 3 * 257 *
					   d.m[0]->nclasses);

			for (int i = 0; i < 3; i++)
				assert_int_equal(bnn_submit(be, d.x[0], 257,
							    sc + i * 257 * d.m[0]->nclasses,
							    NULL, &j[i], &e), 0);
			for (int i = 2; i >= 0; i--)
				assert_int_equal(bnn_wait(be, j[i], -1, NULL, &e), 0);
			for (int i = 0; i < 3; i++)
				assert_memory_equal(sc + i * 257 * d.m[0]->nclasses,
						    d.ref[0],
						    sizeof(float) * 257 * d.m[0]->nclasses);
			/* left pending: close collects it */
			assert_int_equal(bnn_submit(be, d.x[0], 300, sc, NULL,
						    &j[0], &e), 0);
			bnn_backend_close(be);
			free(sc);
		}
		assert_int_equal(tasks_settle(base), base);
	}
	print_message("# cpu threads 1, 2, 3, 7, auto (%u CPUs): batches of 1..1000, 300 runs, a prepare between: one-thread scores\n",
		      ncpu);
	pool_data_free(&d);
}

/* Auto splits only where each share has AUTO_SHARE items. */
static void test_pool_auto(void **state)
{
	uint32_t ncpu = online_cpus();
	struct pool_data d;
	bnn_backend *be;
	bnn_backend_opts o;
	bnn_backend_info bi;
	bnn_error e;
	int base = tasks();

	(void)state;
	pool_data_new(&d);
	be = open_cpu(BNN_ISA_AUTO, BNN_THREADS_AUTO);
	assert_int_equal(bnn_prepare(be, d.m[0], &e), 0);
	assert_true(same_run(be, d.m[0], d.x[0], 2 * AUTO_SHARE - 1, d.ref[0]));
	assert_int_equal(tasks(), base);
	assert_true(same_run(be, d.m[0], d.x[0], 2 * AUTO_SHARE, d.ref[0]));
	assert_int_equal(tasks(), base + (ncpu > 1));
	assert_true(same_run(be, d.m[0], d.x[0], 3 * AUTO_SHARE, d.ref[0]));
	assert_int_equal(tasks(), base + (ncpu > 2 ? 2 : ncpu > 1));
	bnn_backend_close(be);
	assert_int_equal(tasks_settle(base), base);

	/* auto is the cpu backend's; emu keeps the calling thread */
	bnn_backend_opts_init(&o);
	o.threads = BNN_THREADS_AUTO;
	assert_int_equal(bnn_backend_open(BNN_BACKEND_EMU, &o, &be, &e), 0);
	assert_int_equal(bnn_backend_info_get(be, &bi), 0);
	assert_non_null(strstr(bi.detail, "1 thread"));
	bnn_backend_close(be);
	o.threads = 1025;
	assert_int_equal(bnn_backend_open(BNN_BACKEND_CPU, &o, &be, &e),
			 BNN_E_INVAL);
	o.threads = 1024;
	assert_int_equal(bnn_backend_open(BNN_BACKEND_CPU, &o, &be, &e), 0);
	assert_int_equal(bnn_backend_info_get(be, &bi), 0);
	assert_non_null(strstr(bi.detail, "64 threads"));
	bnn_backend_close(be);
	pool_data_free(&d);
}

/* Closes without a run, right after prepare, after a run of 0 or 1 item:
 * nothing leaks (ASan), nothing hangs, no thread stays. */
static void test_pool_close(void **state)
{
	struct pool_data d;
	bnn_error e;
	int base = tasks();

	(void)state;
	pool_data_new(&d);
	for (int i = 0; i < 5; i++) {
		bnn_backend *be = open_cpu(BNN_ISA_AUTO, i == 4 ?
					   BNN_THREADS_AUTO : 3);

		if (i >= 1)
			assert_int_equal(bnn_prepare(be, d.m[0], &e), 0);
		if (i == 2)
			assert_int_equal(bnn_run(be, d.x[0], 0, NULL, NULL,
						 NULL, &e), 0);
		if (i >= 3)
			assert_true(same_run(be, d.m[0], d.x[0], 1, d.ref[0]));
		assert_int_equal(tasks(), base);
		bnn_backend_close(be);
	}
	assert_int_equal(tasks(), base);
	pool_data_free(&d);
}

/* A worker that cannot start: its share runs on the calling thread, and a
 * later run starts it. */
static void test_pool_thread_fail(void **state)
{
	struct pool_data d;
	bnn_backend *be;
	bnn_error e;
	int base = tasks();

	(void)state;
	pool_data_new(&d);
	be = open_cpu(BNN_ISA_AUTO, 7);
	assert_int_equal(bnn_prepare(be, d.m[1], &e), 0);
	bnn_test_fail_thread_after(0);
	assert_true(same_run(be, d.m[1], d.x[1], 257, d.ref[1]));
	assert_int_equal(tasks(), base);
	bnn_test_fail_thread_after(2);	/* two start, the third fails */
	assert_true(same_run(be, d.m[1], d.x[1], 257, d.ref[1]));
	assert_int_equal(tasks(), base + 2);
	assert_true(same_run(be, d.m[1], d.x[1], 1000, d.ref[1]));
	assert_int_equal(tasks(), base + 2);
	bnn_test_fail_thread_after(-1);
	assert_true(same_run(be, d.m[1], d.x[1], 999, d.ref[1]));
	assert_int_equal(tasks(), base + 6);
	bnn_backend_close(be);
	assert_int_equal(tasks_settle(base), base);
	pool_data_free(&d);
}

/* SigBlk of thread tid has sig (/proc/self/task/tid/status). */
static int sig_blocked(long tid, int sig)
{
	char path[64], line[256];
	unsigned long long mask = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/status", tid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigBlk: %llx", &mask) == 1)
			break;
	fclose(f);
	return (int)(mask >> (sig - 1) & 1);
}

/* Workers block signals (SIGINT reaches the program's own thread); the
 * caller's mask stays as it was. */
static void test_pool_signals(void **state)
{
	struct pool_data d;
	bnn_backend *be;
	bnn_error e;
	sigset_t cur;
	long self = syscall(SYS_gettid);
	int workers = 0;
	DIR *dir;
	struct dirent *de;

	(void)state;
	pool_data_new(&d);
	be = open_cpu(BNN_ISA_AUTO, 3);
	assert_int_equal(bnn_prepare(be, d.m[0], &e), 0);
	assert_false(sig_blocked(self, SIGINT));
	assert_true(same_run(be, d.m[0], d.x[0], 257, d.ref[0]));
	dir = opendir("/proc/self/task");
	assert_non_null(dir);
	while ((de = readdir(dir))) {
		long tid = atol(de->d_name);

		if (de->d_name[0] == '.' || tid == self)
			continue;
		if (!sig_blocked(tid, SIGINT) || !sig_blocked(tid, SIGTERM))
			fail_msg("thread %ld does not block SIGINT and SIGTERM",
				 tid);
		workers++;
	}
	closedir(dir);
	assert_true(workers >= 2);
	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	assert_false(sigismember(&cur, SIGINT));
	bnn_backend_close(be);
	pool_data_free(&d);
}

/* A context with workers, used in a fork()ed child: the child starts its
 * own and gets the same scores; the parent's pool goes on. */
static void test_pool_fork(void **state)
{
	struct pool_data d;
	bnn_backend *be;
	bnn_error e;
	pid_t pid;
	int status;

	(void)state;
	pool_data_new(&d);
	be = open_cpu(BNN_ISA_AUTO, 3);
	assert_int_equal(bnn_prepare(be, d.m[0], &e), 0);
	assert_true(same_run(be, d.m[0], d.x[0], 257, d.ref[0]));
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		/* no cmocka here: a plain exit status (alarm: a hang fails) */
		size_t k = 1000 * d.m[0]->nclasses;
		float *sc = malloc(sizeof(float) * k);
		int ok = 1;

		alarm(60);
		for (int r = 0; r < 3; r++) {
			memset(sc, 0xa5, sizeof(float) * k);
			if (bnn_run(be, d.x[0], 1000, sc, NULL, NULL, &e) ||
			    memcmp(sc, d.ref[0], sizeof(float) * k))
				ok = 0;
		}
		if (tasks() != 3)
			ok = 0;
		bnn_backend_close(be);
		free(sc);
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("fork()ed child: %s %d", WIFEXITED(status) ?
			 "exit status" : "signal", WIFEXITED(status) ?
			 WEXITSTATUS(status) : WTERMSIG(status));
	assert_true(same_run(be, d.m[0], d.x[0], 1000, d.ref[0]));
	bnn_backend_close(be);
	pool_data_free(&d);
}

/* Argmax: lowest index on ties, NaN scores ignored. */
static void test_argmax_nan(void **state)
{
	(void)state;
	struct bnn_model *m = tm_new(1, 1, 3);
	struct bnn__layer l;
	float w[3] = { 1, 1, 0 }, b[3] = { 0, 0, 0 };
	float x[3] = { NAN, 2.0f, -1.0f }, sc[9];
	int32_t pred[3];
	bnn_backend *be;
	bnn_error e;

	memset(&l, 0, sizeof(l));
	l.kind = BNN_LAYER_DENSE;
	l.out_c = 3;
	l.w = w;
	l.b = b;
	assert_int_equal(bnn__model_add(m, &l, NULL), 0);
	be = open_cpu(BNN_ISA_AUTO, 1);
	assert_int_equal(bnn_prepare(be, m, &e), 0);
	assert_int_equal(bnn_run(be, x, 3, sc, pred, NULL, &e), 0);
	assert_true(isnan(sc[0]) && isnan(sc[1]) && isnan(sc[2]));
	assert_int_equal(pred[0], 0);	/* all NaN (0 * NaN too) -> 0 */
	assert_int_equal(pred[1], 0);	/* 2, 2, 0: lowest index on ties */
	assert_int_equal(pred[2], 2);	/* -1, -1, 0 */
	bnn_backend_close(be);
	bnn_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xor_gemm),
		cmocka_unit_test(test_win57),
		cmocka_unit_test(test_conv1w),
		cmocka_unit_test(test_isa_selection),
		cmocka_unit_test(test_sgemm),
		cmocka_unit_test(test_binary_nets),
		cmocka_unit_test(test_ecg_shapes),
		cmocka_unit_test(test_conv_edges),
		cmocka_unit_test(test_maxpool_bits),
		cmocka_unit_test(test_mixed_nets),
		cmocka_unit_test(test_float_nets),
		cmocka_unit_test(test_large_sums),
		cmocka_unit_test(test_card_equivalence),
		cmocka_unit_test(test_boundary_io),
		cmocka_unit_test(test_level_conv),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_pool_threads),
		cmocka_unit_test(test_pool_auto),
		cmocka_unit_test(test_pool_close),
		cmocka_unit_test(test_pool_thread_fail),
		cmocka_unit_test(test_pool_signals),
		cmocka_unit_test(test_pool_fork),
		cmocka_unit_test(test_argmax_nan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
