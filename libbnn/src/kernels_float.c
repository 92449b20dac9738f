// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * kernels_float.c - libbnn: float32 GEMM (A times B transposed) for the
 * float CONV1D / DENSE layers.
 *
 * Every output element is summed in one fixed order: 8 partial sums over
 * k = 8t + j (j = 0..7), combined as ((s0+s4)+(s2+s6))+((s1+s5)+(s3+s7)),
 * then the tail k >= 8 * floor(n / 8) in order, then the bias.  GCC vector
 * extensions give 8-lane code (SSE or AVX2 clones) that performs exactly
 * these operations, and FMA contraction is off, so the result does not
 * depend on the CPU or on which block an element falls in.
 */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "kernels.h"

#include <string.h>

typedef float v8f __attribute__((vector_size(32)));

#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

/* Macros, not functions: 32-byte vectors must not cross a call boundary
 * in the non-AVX clone (psabi). */
#define LD8(v, p) memcpy(&(v), (p), sizeof(v8f))
#define FOLD(s) (((s)[0] + (s)[4]) + ((s)[2] + (s)[6])) + \
		(((s)[1] + (s)[5]) + ((s)[3] + (s)[7]))

static inline float tail(float s, const float *a, const float *b, size_t k,
			 size_t n)
{
	for (; k < n; k++)
		s += a[k] * b[k];
	return s;
}

CLONES
static float sdot(const float *a, const float *b, size_t n)
{
	v8f s = { 0 };
	size_t k = 0;

	for (; k + 8 <= n; k += 8) {
		v8f x, y;

		LD8(x, a + k);
		LD8(y, b + k);
		s += x * y;
	}
	return tail(FOLD(s), a, b, k, n);
}

CLONES
static void sgemm_nt(const float *A, size_t lda, size_t m, const float *B,
		     size_t ldb, size_t nout, size_t n, const float *bias,
		     float *C, size_t ldc)
{
	size_t i = 0, n8 = n & ~(size_t)7;

	for (; i + 4 <= m; i += 4) {
		const float *a0 = A + i * lda, *a1 = a0 + lda, *a2 = a1 + lda,
			    *a3 = a2 + lda;
		size_t o = 0;

		for (; o + 2 <= nout; o += 2) {
			const float *b0 = B + o * ldb, *b1 = b0 + ldb;
			v8f s00 = { 0 }, s01 = { 0 }, s10 = { 0 }, s11 = { 0 };
			v8f s20 = { 0 }, s21 = { 0 }, s30 = { 0 }, s31 = { 0 };

			for (size_t k = 0; k < n8; k += 8) {
				v8f w0, w1, x0, x1, x2, x3;

				LD8(w0, b0 + k);
				LD8(w1, b1 + k);
				LD8(x0, a0 + k);
				LD8(x1, a1 + k);
				LD8(x2, a2 + k);
				LD8(x3, a3 + k);

				s00 += x0 * w0;
				s01 += x0 * w1;
				s10 += x1 * w0;
				s11 += x1 * w1;
				s20 += x2 * w0;
				s21 += x2 * w1;
				s30 += x3 * w0;
				s31 += x3 * w1;
			}
			{
				float bb0 = bias ? bias[o] : 0.0f;
				float bb1 = bias ? bias[o + 1] : 0.0f;

				C[i * ldc + o] = tail(FOLD(s00), a0, b0, n8, n) + bb0;
				C[i * ldc + o + 1] = tail(FOLD(s01), a0, b1, n8, n) + bb1;
				C[(i + 1) * ldc + o] = tail(FOLD(s10), a1, b0, n8, n) + bb0;
				C[(i + 1) * ldc + o + 1] = tail(FOLD(s11), a1, b1, n8, n) + bb1;
				C[(i + 2) * ldc + o] = tail(FOLD(s20), a2, b0, n8, n) + bb0;
				C[(i + 2) * ldc + o + 1] = tail(FOLD(s21), a2, b1, n8, n) + bb1;
				C[(i + 3) * ldc + o] = tail(FOLD(s30), a3, b0, n8, n) + bb0;
				C[(i + 3) * ldc + o + 1] = tail(FOLD(s31), a3, b1, n8, n) + bb1;
			}
		}
		for (; o < nout; o++) {
			const float *b0 = B + o * ldb;
			float bb = bias ? bias[o] : 0.0f;

			C[i * ldc + o] = sdot(a0, b0, n) + bb;
			C[(i + 1) * ldc + o] = sdot(a1, b0, n) + bb;
			C[(i + 2) * ldc + o] = sdot(a2, b0, n) + bb;
			C[(i + 3) * ldc + o] = sdot(a3, b0, n) + bb;
		}
	}
	for (; i < m; i++)
		for (size_t o = 0; o < nout; o++)
			C[i * ldc + o] = sdot(A + i * lda, B + o * ldb, n) +
					 (bias ? bias[o] : 0.0f);
}

/* Plain wrappers: the multi-versioned functions stay static and are called
 * in this file, which is where clang emits their resolvers. */
float bnn__sdot(const float *a, const float *b, size_t n)
{
	return sdot(a, b, n);
}

void bnn__sgemm_nt(const float *A, size_t lda, size_t m, const float *B,
		   size_t ldb, size_t nout, size_t n, const float *bias,
		   float *C, size_t ldc)
{
	sgemm_nt(A, lda, m, B, ldb, nout, n, bias, C, ldc);
}
