// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * kernels_avx512.c - libbnn: XOR-popcount GEMM with AVX-512 VPOPCNTQ
 * (one 512-bit load covers one word of 8 rows; 4 inputs share it).
 * Called only when the CPU has AVX512F and AVX512_VPOPCNTDQ.
 */
#include "kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TGT __attribute__((target("avx512f,avx512vpopcntdq")))

TGT static inline void store8(uint32_t *d, __m512i a, uint32_t cnt)
{
	_mm512_mask_cvtepi64_storeu_epi32(d, (__mmask8)((1u << cnt) - 1), a);
}

#define POP(xv, q) _mm512_popcnt_epi64(_mm512_xor_si512( \
	_mm512_set1_epi64((long long)(xv)), (q)))

TGT void bnn__xor_gemm_avx512(const uint64_t *x, size_t ldx, size_t pstride,
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

		for (; i + 4 <= m; i += 4) {
			__m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0,
				a3 = a0;

			for (size_t p = 0; p < planes; p++) {
				const uint64_t *x0 = x + i * ldx + p * pstride,
					       *x1 = x0 + ldx, *x2 = x1 + ldx,
					       *x3 = x2 + ldx;
				__m128i sh = _mm_cvtsi32_si128((int)p);
				__m512i b0 = _mm512_setzero_si512(), b1 = b0,
					b2 = b0, b3 = b0;

				for (size_t w = 0; w < nw; w++) {
					__m512i q = _mm512_load_si512(pw + w * BNN__G);

					b0 = _mm512_add_epi64(b0, POP(x0[w], q));
					b1 = _mm512_add_epi64(b1, POP(x1[w], q));
					b2 = _mm512_add_epi64(b2, POP(x2[w], q));
					b3 = _mm512_add_epi64(b3, POP(x3[w], q));
				}
				a0 = _mm512_add_epi64(a0, _mm512_sll_epi64(b0, sh));
				a1 = _mm512_add_epi64(a1, _mm512_sll_epi64(b1, sh));
				a2 = _mm512_add_epi64(a2, _mm512_sll_epi64(b2, sh));
				a3 = _mm512_add_epi64(a3, _mm512_sll_epi64(b3, sh));
			}
			store8(d + i * ldd + o0, a0, cnt);
			store8(d + (i + 1) * ldd + o0, a1, cnt);
			store8(d + (i + 2) * ldd + o0, a2, cnt);
			store8(d + (i + 3) * ldd + o0, a3, cnt);
		}
		for (; i < m; i++) {
			__m512i a0 = _mm512_setzero_si512();

			for (size_t p = 0; p < planes; p++) {
				const uint64_t *x0 = x + i * ldx + p * pstride;
				__m128i sh = _mm_cvtsi32_si128((int)p);
				__m512i b0 = _mm512_setzero_si512();

				for (size_t w = 0; w < nw; w++)
					b0 = _mm512_add_epi64(b0, POP(x0[w], _mm512_load_si512(pw + w * BNN__G)));
				a0 = _mm512_add_epi64(a0, _mm512_sll_epi64(b0, sh));
			}
			store8(d + i * ldd + o0, a0, cnt);
		}
	}
}
/* Eight windows per gather: byte offsets b / 8, then a shift by b % 8
 * per lane. */
TGT void bnn__win57_avx512(const uint64_t *plane, size_t pos, size_t step,
			   size_t cnt, uint64_t mask, uint64_t *row)
{
	const __m512i seven = _mm512_set1_epi64(7), m = _mm512_set1_epi64((long long)mask);
	long long b0[8];
	__m512i b;

	for (int i = 0; i < 8; i++)
		b0[i] = (long long)(pos + (size_t)i * step);
	b = _mm512_loadu_si512(b0);
	const __m512i adv = _mm512_set1_epi64((long long)(8 * step));
	size_t t = 0;

	for (; t + 8 <= cnt; t += 8) {
		__m512i v = _mm512_i64gather_epi64(_mm512_srli_epi64(b, 3), plane, 1);

		v = _mm512_srlv_epi64(v, _mm512_and_si512(b, seven));
		_mm512_storeu_si512(row + t, _mm512_and_si512(v, m));
		b = _mm512_add_epi64(b, adv);
	}
	if (t < cnt)
		bnn__win57_portable(plane, pos + t * step, step, cnt - t, mask, row + t);
}
#endif
