// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * kernels_bin.c - libbnn: weight panels, portable XOR-popcount GEMM and
 * the run-time ISA dispatch.
 */
#include "kernels.h"

#include <stdlib.h>
#include <string.h>

int bnn__bpanel_pack(struct bnn__bpanel *pn, const uint8_t *bits,
		     uint32_t rows, uint32_t n, size_t row_bytes)
{
	size_t words, rmw;

	memset(pn, 0, sizeof(*pn));
	pn->rows = rows;
	pn->n = n;
	pn->nw = (n + 63) / 64;
	pn->ngroups = (rows + BNN__G - 1) / BNN__G;
	words = (size_t)pn->ngroups * pn->nw * BNN__G;
	rmw = (size_t)rows * pn->nw;
	pn->p = aligned_alloc(64, (words * 8 + 63) & ~(size_t)63);
	pn->rowmajor = malloc(rmw ? rmw * 8 : 8);
	if (!pn->p || !pn->rowmajor) {
		bnn__bpanel_free(pn);
		return BNN_E_NOMEM;
	}
	memset(pn->p, 0, words * 8);
	memset(pn->rowmajor, 0, rmw * 8);
	for (uint32_t o = 0; o < rows; o++) {
		const uint8_t *r = bits + (size_t)o * row_bytes;
		uint64_t *dst = pn->rowmajor + (size_t)o * pn->nw;

		for (size_t b = 0; b < row_bytes; b++)
			dst[b / 8] |= (uint64_t)r[b] << (8 * (b % 8));
		for (uint32_t w = 0; w < pn->nw; w++)
			pn->p[((size_t)(o / BNN__G) * pn->nw + w) * BNN__G +
			      o % BNN__G] = dst[w];
	}
	return BNN_OK;
}

void bnn__bpanel_free(struct bnn__bpanel *pn)
{
	free(pn->p);
	free(pn->rowmajor);
	pn->p = NULL;
	pn->rowmajor = NULL;
}

#if defined(__x86_64__) || defined(__i386__)
#define BNN_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define BNN_CLONES
#endif

BNN_CLONES
static void xor_gemm_portable(const uint64_t *x, size_t ldx, size_t pstride,
			      size_t planes, size_t m,
			      const struct bnn__bpanel *pn, uint32_t *d,
			      size_t ldd)
{
	const size_t nw = pn->nw;

	for (uint32_t g = 0; g < pn->ngroups; g++) {
		const uint64_t *pw = pn->p + (size_t)g * nw * BNN__G;
		uint32_t o0 = g * BNN__G;
		uint32_t cnt = pn->rows - o0 < BNN__G ? pn->rows - o0 : BNN__G;
		size_t i = 0;

		for (; i + 2 <= m; i += 2) {
			uint32_t a0[BNN__G] = { 0 }, a1[BNN__G] = { 0 };

			for (size_t p = 0; p < planes; p++) {
				const uint64_t *x0 = x + i * ldx + p * pstride;
				const uint64_t *x1 = x0 + ldx;
				uint32_t b0[BNN__G] = { 0 }, b1[BNN__G] = { 0 };

				for (size_t w = 0; w < nw; w++) {
					const uint64_t *q = pw + w * BNN__G;
					uint64_t v0 = x0[w], v1 = x1[w];

					for (int j = 0; j < BNN__G; j++) {
						b0[j] += (uint32_t)__builtin_popcountll(v0 ^ q[j]);
						b1[j] += (uint32_t)__builtin_popcountll(v1 ^ q[j]);
					}
				}
				for (int j = 0; j < BNN__G; j++) {
					a0[j] += b0[j] << p;
					a1[j] += b1[j] << p;
				}
			}
			for (uint32_t j = 0; j < cnt; j++) {
				d[i * ldd + o0 + j] = a0[j];
				d[(i + 1) * ldd + o0 + j] = a1[j];
			}
		}
		for (; i < m; i++) {
			uint32_t a0[BNN__G] = { 0 };

			for (size_t p = 0; p < planes; p++) {
				const uint64_t *x0 = x + i * ldx + p * pstride;
				uint32_t b0[BNN__G] = { 0 };

				for (size_t w = 0; w < nw; w++)
					for (int j = 0; j < BNN__G; j++)
						b0[j] += (uint32_t)__builtin_popcountll(
							x0[w] ^ pw[w * BNN__G + j]);
				for (int j = 0; j < BNN__G; j++)
					a0[j] += b0[j] << p;
			}
			for (uint32_t j = 0; j < cnt; j++)
				d[i * ldd + o0 + j] = a0[j];
		}
	}
}

/* A plain wrapper: clang emits the resolver of a multi-versioned function
 * only where it is called. */
void bnn__xor_gemm_portable(const uint64_t *x, size_t ldx, size_t pstride,
			    size_t planes, size_t m,
			    const struct bnn__bpanel *pn, uint32_t *d,
			    size_t ldd)
{
	xor_gemm_portable(x, ldx, pstride, planes, m, pn, d, ldd);
}

void bnn__win57_portable(const uint64_t *plane, size_t pos, size_t step,
			 size_t cnt, uint64_t mask, uint64_t *row)
{
	const uint8_t *b = (const uint8_t *)plane;

	for (size_t t = 0; t < cnt; t++, pos += step) {
		uint64_t v;

		memcpy(&v, b + pos / 8, 8);
		row[t] = v >> (pos % 8) & mask;
	}
}

/* ---- dispatch ------------------------------------------------------------ */

static const struct bnn__kernels k_portable = {
	BNN_ISA_PORTABLE, "portable", bnn__xor_gemm_portable,
	bnn__pack_ge_portable, bnn__win57_portable, bnn__conv1w_portable
};
#if defined(__x86_64__)
static const struct bnn__kernels k_avx2 = {
	BNN_ISA_AVX2, "avx2", bnn__xor_gemm_avx2, bnn__pack_ge_avx2,
	bnn__win57_avx2, bnn__conv1w_avx2
};
static const struct bnn__kernels k_avx512 = {
	BNN_ISA_AVX512, "avx512", bnn__xor_gemm_avx512, bnn__pack_ge_avx512,
	bnn__win57_avx512, bnn__conv1w_avx512
};
#endif

/* The one piece of global mutable state: the detected ISA (+1, 0 = not
 * yet known).  Every thread computes the same value, so a race is
 * harmless; relaxed atomics keep it well-defined. */
static int detected_isa;

int bnn__cpu_best_isa(void)
{
	int v = __atomic_load_n(&detected_isa, __ATOMIC_RELAXED);

	if (v)
		return v - 1;
	v = BNN_ISA_PORTABLE;
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		v = BNN_ISA_AVX2;
	if (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512vpopcntdq"))
		v = BNN_ISA_AVX512;
#endif
	__atomic_store_n(&detected_isa, v + 1, __ATOMIC_RELAXED);
	return v;
}

const char *bnn_cpu_isa_name(int isa)
{
	switch (isa) {
	case BNN_ISA_AUTO: return "auto";
	case BNN_ISA_PORTABLE: return "portable";
	case BNN_ISA_AVX2: return "avx2";
	case BNN_ISA_AVX512: return "avx512";
	default: return "?";
	}
}

int bnn__kernels_get(int isa, const struct bnn__kernels **out)
{
	int best = bnn__cpu_best_isa();

	*out = NULL;
	if (isa == BNN_ISA_AUTO) {
		const char *env = getenv("BNN_CPU_ISA");

		isa = best;
		if (env && *env && strcmp(env, "auto")) {
			if (!strcmp(env, "portable"))
				isa = BNN_ISA_PORTABLE;
			else if (!strcmp(env, "avx2"))
				isa = BNN_ISA_AVX2;
			else if (!strcmp(env, "avx512"))
				isa = BNN_ISA_AVX512;
			else
				return BNN_E_INVAL;
		}
	}
	if (isa < BNN_ISA_PORTABLE || isa > BNN_ISA_AVX512)
		return BNN_E_INVAL;
	if (isa > best)
		return BNN_E_UNSUPPORTED;
	switch (isa) {
#if defined(__x86_64__)
	case BNN_ISA_AVX512:
		*out = &k_avx512;
		return BNN_OK;
	case BNN_ISA_AVX2:
		*out = &k_avx2;
		return BNN_OK;
#endif
	default:
		*out = &k_portable;
		return BNN_OK;
	}
}
