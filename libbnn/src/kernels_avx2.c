// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * kernels_avx2.c - libbnn: XOR-popcount GEMM with AVX2 (nibble-LUT
 * popcount with VPSHUFB; byte counts accumulate for up to 31 words before
 * one VPSADBW folds them into 64-bit lanes).  Compiled for every x86-64
 * build with a target attribute; called only when the CPU has AVX2.
 */
#include "kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TGT __attribute__((target("avx2")))

TGT static inline __m256i pop8(__m256i v, __m256i lut, __m256i low)
{
	__m256i lo = _mm256_and_si256(v, low);
	__m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);

	return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo),
			       _mm256_shuffle_epi8(lut, hi));
}

TGT static inline void store8(uint32_t *d, __m256i a, __m256i b,
			      uint32_t cnt)
{
	uint64_t t[8];

	_mm256_storeu_si256((__m256i *)t, a);
	_mm256_storeu_si256((__m256i *)(t + 4), b);
	for (uint32_t j = 0; j < cnt; j++)
		d[j] = (uint32_t)t[j];
}

/* Counts of one plane for two inputs (q0x) or one (x1 == NULL). */
TGT static inline void plane2(const uint64_t *x0, const uint64_t *x1,
			      const uint64_t *pw, size_t nw, __m256i lut,
			      __m256i low, __m256i *q00, __m256i *q01,
			      __m256i *q10, __m256i *q11)
{
	const __m256i zero = _mm256_setzero_si256();

	*q00 = *q01 = *q10 = *q11 = zero;
	for (size_t w = 0; w < nw;) {
		size_t end = w + 31 < nw ? w + 31 : nw;
		__m256i b00 = zero, b01 = zero, b10 = zero, b11 = zero;

		if (x1) {
			for (; w < end; w++) {
				const __m256i *q = (const __m256i *)(pw + w * BNN__G);
				__m256i w0 = _mm256_load_si256(q);
				__m256i w1 = _mm256_load_si256(q + 1);
				__m256i v0 = _mm256_set1_epi64x((long long)x0[w]);
				__m256i v1 = _mm256_set1_epi64x((long long)x1[w]);

				b00 = _mm256_add_epi8(b00, pop8(_mm256_xor_si256(v0, w0), lut, low));
				b01 = _mm256_add_epi8(b01, pop8(_mm256_xor_si256(v0, w1), lut, low));
				b10 = _mm256_add_epi8(b10, pop8(_mm256_xor_si256(v1, w0), lut, low));
				b11 = _mm256_add_epi8(b11, pop8(_mm256_xor_si256(v1, w1), lut, low));
			}
		} else {
			for (; w < end; w++) {
				const __m256i *q = (const __m256i *)(pw + w * BNN__G);
				__m256i v0 = _mm256_set1_epi64x((long long)x0[w]);

				b00 = _mm256_add_epi8(b00, pop8(_mm256_xor_si256(v0, _mm256_load_si256(q)), lut, low));
				b01 = _mm256_add_epi8(b01, pop8(_mm256_xor_si256(v0, _mm256_load_si256(q + 1)), lut, low));
			}
		}
		*q00 = _mm256_add_epi64(*q00, _mm256_sad_epu8(b00, zero));
		*q01 = _mm256_add_epi64(*q01, _mm256_sad_epu8(b01, zero));
		*q10 = _mm256_add_epi64(*q10, _mm256_sad_epu8(b10, zero));
		*q11 = _mm256_add_epi64(*q11, _mm256_sad_epu8(b11, zero));
	}
}

TGT void bnn__xor_gemm_avx2(const uint64_t *x, size_t ldx, size_t pstride,
			    size_t planes, size_t m,
			    const struct bnn__bpanel *pn, uint32_t *d,
			    size_t ldd)
{
	const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2,
					     3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2,
					     2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
	const __m256i low = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
	const size_t nw = pn->nw;

	for (uint32_t g = 0; g < pn->ngroups; g++) {
		const uint64_t *pw = pn->p + (size_t)g * nw * BNN__G;
		uint32_t o0 = g * BNN__G;
		uint32_t cnt = pn->rows - o0 < BNN__G ? pn->rows - o0 : BNN__G;

		for (size_t i = 0; i < m; i += 2) {
			int two = i + 1 < m;
			__m256i a00 = zero, a01 = zero, a10 = zero, a11 = zero;

			for (size_t p = 0; p < planes; p++) {
				const uint64_t *x0 = x + i * ldx + p * pstride;
				__m256i q00, q01, q10, q11;
				__m128i sh = _mm_cvtsi32_si128((int)p);

				plane2(x0, two ? x0 + ldx : NULL, pw, nw, lut, low,
				       &q00, &q01, &q10, &q11);
				a00 = _mm256_add_epi64(a00, _mm256_sll_epi64(q00, sh));
				a01 = _mm256_add_epi64(a01, _mm256_sll_epi64(q01, sh));
				a10 = _mm256_add_epi64(a10, _mm256_sll_epi64(q10, sh));
				a11 = _mm256_add_epi64(a11, _mm256_sll_epi64(q11, sh));
			}
			store8(d + i * ldd + o0, a00, a01, cnt);
			if (two)
				store8(d + (i + 1) * ldd + o0, a10, a11, cnt);
		}
	}
}
/* Four windows per gather (bnn__win57_avx512's scheme). */
TGT void bnn__win57_avx2(const uint64_t *plane, size_t pos, size_t step,
			 size_t cnt, uint64_t mask, uint64_t *row)
{
	const __m256i seven = _mm256_set1_epi64x(7), m = _mm256_set1_epi64x((long long)mask);
	__m256i b = _mm256_set_epi64x((long long)(pos + 3 * step),
				      (long long)(pos + 2 * step),
				      (long long)(pos + step), (long long)pos);
	const __m256i adv = _mm256_set1_epi64x((long long)(4 * step));
	size_t t = 0;

	for (; t + 4 <= cnt; t += 4) {
		__m256i v = _mm256_i64gather_epi64((const long long *)plane,
						   _mm256_srli_epi64(b, 3), 1);

		v = _mm256_srlv_epi64(v, _mm256_and_si256(b, seven));
		_mm256_storeu_si256((__m256i *)(row + t), _mm256_and_si256(v, m));
		b = _mm256_add_epi64(b, adv);
	}
	if (t < cnt)
		bnn__win57_portable(plane, pos + t * step, step, cnt - t, mask, row + t);
}
#endif
