// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * kernels_epi.c - libbnn: epilogue of the binary layers: sums from the
 * mismatch counts, and thresholds packed into output bits.  For layers
 * with a small fan-in (the first layers of a 1-D CNN) this is as much
 * work as the XOR-popcount GEMM itself, so it is vectorised too.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include "kernels.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#define CLONES BNN__VEC_CLONES

CLONES
static void sums32(const uint32_t *d, size_t pstride, size_t planes,
		   const uint32_t *corr, int32_t k1, int32_t k2, size_t n,
		   int32_t *S)
{
	if (corr)
		for (size_t o = 0; o < n; o++)
			S[o] = k1 + k2 * (int32_t)corr[o] - 2 * (int32_t)d[o];
	else
		for (size_t o = 0; o < n; o++)
			S[o] = k1 - 2 * (int32_t)d[o];
	for (size_t p = 1; p < planes; p++) {
		const uint32_t *dp = d + p * pstride;
		int sh = (int)p + 1;

		for (size_t o = 0; o < n; o++)
			S[o] -= (int32_t)(dp[o] << sh);
	}
}

void bnn__sums32(const uint32_t *d, size_t pstride, size_t planes,
		 const uint32_t *corr, int32_t k1, int32_t k2, size_t n,
		 int32_t *S)
{
	sums32(d, pstride, planes, corr, k1, k2, n, S);
}

/* w[o / 64] bit o % 64 = (S[o] >= thr[o]); words fully written. */
void bnn__pack_ge_portable(const int32_t *S, const int32_t *thr, size_t n,
			   uint64_t *w)
{
	for (size_t o0 = 0; o0 < n; o0 += 64) {
		size_t e = n - o0 < 64 ? n - o0 : 64;
		uint64_t v = 0;

		for (size_t j = 0; j < e; j++)
			v |= (uint64_t)(S[o0 + j] >= thr[o0 + j]) << j;
		w[o0 / 64] = v;
	}
}

#if defined(__x86_64__)
__attribute__((target("avx2")))
void bnn__pack_ge_avx2(const int32_t *S, const int32_t *thr, size_t n,
		       uint64_t *w)
{
	size_t o = 0;

	memset(w, 0, ((n + 63) / 64) * 8);
	for (; o + 8 <= n; o += 8) {
		__m256i s = _mm256_loadu_si256((const __m256i *)(S + o));
		__m256i t = _mm256_loadu_si256((const __m256i *)(thr + o));
		/* S >= t  <=>  !(t > S) */
		__m256i lt = _mm256_cmpgt_epi32(t, s);
		uint64_t b = (uint64_t)(~_mm256_movemask_ps(_mm256_castsi256_ps(lt)) & 0xff);

		w[o / 64] |= b << (o % 64);
	}
	for (; o < n; o++)
		w[o / 64] |= (uint64_t)(S[o] >= thr[o]) << (o % 64);
}

__attribute__((target("avx512f")))
void bnn__pack_ge_avx512(const int32_t *S, const int32_t *thr, size_t n,
			 uint64_t *w)
{
	size_t o = 0;

	memset(w, 0, ((n + 63) / 64) * 8);
	for (; o + 16 <= n; o += 16) {
		__m512i s = _mm512_loadu_si512(S + o);
		__m512i t = _mm512_loadu_si512(thr + o);
		uint64_t b = _mm512_cmpge_epi32_mask(s, t);

		w[o / 64] |= b << (o % 64);
	}
	if (o < n) {
		__mmask16 k = (__mmask16)((1u << (n - o)) - 1);
		__m512i s = _mm512_maskz_loadu_epi32(k, S + o);
		__m512i t = _mm512_maskz_loadu_epi32(k, thr + o);
		uint64_t b = _mm512_mask_cmpge_epi32_mask(k, s, t);

		w[o / 64] |= b << (o % 64);
	}
}
#endif

#if defined(__x86_64__)
#define POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define POPCNT_CLONES
#endif

POPCNT_CLONES
static uint32_t and_popcount(const uint64_t *a, const uint64_t *b, size_t n)
{
	uint32_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += (uint32_t)__builtin_popcountll(a[i] & b[i]);
	return c;
}

uint32_t bnn__and_popcount(const uint64_t *a, const uint64_t *b, size_t n)
{
	return and_popcount(a, b, n);
}
