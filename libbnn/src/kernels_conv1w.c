// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * kernels_conv1w.c - libbnn: fused binary CONV1D for one-word windows.
 *
 * Why it exists: the convolutions of the small 1-D CNNs (ECG width 4:
 * 4-8 output channels, fan-in 7-40 bits) cost far more in the general
 * path's steps (window rows, an 8-row GEMM panel with few valid rows,
 * sums, threshold packing, OR-ing the packed bits into place) than in the
 * XOR-popcounts themselves.  Here one pass per output position loads the
 * window of every bit plane (one unaligned 8-byte load each), XOR-popcounts
 * it against the weight rows, compares with the thresholds and appends the
 * output bits to a register that is stored once per 64 bits.  Same
 * integers as the general path (kernels.h: bnn__conv1w_fn), so the same
 * output bits.
 */
#include "kernels.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* Appends `nb` (1..64) bits to the output stream; flushes a full word. */
struct bitw {
	uint64_t *y;
	uint64_t acc;
	unsigned fill;
};

static inline void bitw_put(struct bitw *b, uint64_t v, unsigned nb)
{
	b->acc |= v << b->fill;
	if (b->fill + nb >= 64) {
		*b->y++ |= b->acc;
		b->acc = b->fill ? v >> (64 - b->fill) : 0;
		b->fill = b->fill + nb - 64;
	} else {
		b->fill += nb;
	}
}

static inline void bitw_end(struct bitw *b)
{
	if (b->fill)
		*b->y |= b->acc;
}

static inline uint64_t ld57(const uint64_t *plane, size_t pos)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)plane + pos / 8, 8);
	return v >> (pos % 8);
}

#if defined(__x86_64__) || defined(__i386__)
#define POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define POPCNT_CLONES
#endif

/* Threshold row of position t (kernels.h: bnn__conv1w_fn). */
static inline const int32_t *thr_row(const int32_t *thr, const int32_t *thr_e,
				     size_t R, size_t lo, size_t hi, size_t t)
{
	if (t < lo)
		return thr_e + t * R;
	if (t >= hi)
		return thr_e + (lo + t - hi) * R;
	return thr;
}

/* The plain loop, positions t0 <= t < t1 (every ISA's fallback); O
 * rows (inlined with a constant O where the callers know it). */
static inline __attribute__((always_inline))
void conv1w_rows(const uint64_t *x, size_t pstride, size_t planes,
		 size_t step, size_t t0, size_t t1, uint64_t mask,
		 const struct bnn__bpanel *pn, uint32_t O, int32_t k1,
		 const int32_t *thr, const int32_t *thr_e, size_t lo,
		 size_t hi, uint64_t *y)
{
	const uint64_t *w = pn->rowmajor;	/* nw == 1: word o = row o */
	const size_t R = 8 * (size_t)pn->ngroups;
	struct bitw b = { y + t0 * O / 64, 0, (unsigned)(t0 * O % 64) };
	uint64_t xw[BNN__CONV1W_PLANES];

	for (size_t t = t0; t < t1; t++) {
		const int32_t *th = thr_row(thr, thr_e, R, lo, hi, t);
		uint64_t bits = 0;

		for (size_t p = 0; p < planes; p++)
			xw[p] = ld57(x + p * pstride, t * step) & mask;
		for (uint32_t o = 0; o < O; o++) {
			int64_t D = 0;

			for (size_t p = 0; p < planes; p++)
				D += (int64_t)__builtin_popcountll(xw[p] ^ w[o]) << p;
			bits |= (uint64_t)(k1 - 2 * D >= th[o]) << o;
		}
		bitw_put(&b, bits, O);
	}
	bitw_end(&b);
}

static inline __attribute__((always_inline))
void conv1w_scalar(const uint64_t *x, size_t pstride, size_t planes,
		   size_t step, size_t t0, size_t t1, uint64_t mask,
		   const struct bnn__bpanel *pn, int32_t k1,
		   const int32_t *thr, const int32_t *thr_e, size_t lo,
		   size_t hi, uint64_t *y)
{
	conv1w_rows(x, pstride, planes, step, t0, t1, mask, pn, pn->rows, k1,
		    thr, thr_e, lo, hi, y);
}

POPCNT_CLONES
static void conv1w_portable(const uint64_t *x, size_t pstride, size_t planes,
			    size_t step, size_t cnt, uint64_t mask,
			    const struct bnn__bpanel *pn, int32_t k1,
			    const int32_t *thr, const int32_t *thr_e,
			    size_t lo, size_t hi, uint64_t *y)
{
	/* constant rows and planes for the common shapes: unrolled rows,
	 * no loop over one plane */
	if (planes == 1 && pn->rows == 8)
		conv1w_rows(x, pstride, 1, step, 0, cnt, mask, pn, 8, k1, thr,
			    thr_e, lo, hi, y);
	else if (planes == 1 && pn->rows == 16)
		conv1w_rows(x, pstride, 1, step, 0, cnt, mask, pn, 16, k1, thr,
			    thr_e, lo, hi, y);
	else if (planes == 1)
		conv1w_rows(x, pstride, 1, step, 0, cnt, mask, pn, pn->rows, k1,
			    thr, thr_e, lo, hi, y);
	else
		conv1w_scalar(x, pstride, planes, step, 0, cnt, mask, pn, k1,
			      thr, thr_e, lo, hi, y);
}

void bnn__conv1w_portable(const uint64_t *x, size_t pstride, size_t planes,
			  size_t step, size_t cnt, uint64_t mask,
			  const struct bnn__bpanel *pn, int32_t k1,
			  const int32_t *thr, const int32_t *thr_e, size_t lo,
			  size_t hi, uint64_t *y)
{
	conv1w_portable(x, pstride, planes, step, cnt, mask, pn, k1, thr,
			thr_e, lo, hi, y);
}

#if defined(__x86_64__)
/*
 * AVX2 (no vector popcount): 4 rows per register, the nibble-LUT popcount
 * folded by VPSADBW, planes in Horner form; k1 - 2 D >= thr is tested as
 * !(2 D > k1 - thr) in 64-bit lanes.  Rows in multiples of 4 (else the
 * plain loop); the bits of a position are collected in a register, stored
 * as bytes when they fill whole bytes.
 */
__attribute__((target("avx2,popcnt")))
static inline __m256i pop4(__m256i v, __m256i lut, __m256i low)
{
	__m256i lo = _mm256_and_si256(v, low);
	__m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);

	return _mm256_sad_epu8(_mm256_add_epi8(_mm256_shuffle_epi8(lut, lo),
					       _mm256_shuffle_epi8(lut, hi)),
			       _mm256_setzero_si256());
}

__attribute__((target("avx2,popcnt")))
static inline __attribute__((always_inline))
void conv1w_avx2(const uint64_t *x, size_t pstride, size_t planes,
		 size_t step, size_t cnt, uint64_t mask,
		 const struct bnn__bpanel *pn, uint32_t ng, int32_t k1,
		 const int32_t *thr, const int32_t *thr_e, size_t lo,
		 size_t hi, uint64_t *y)
{
	const uint32_t O = pn->rows;
	const size_t R = 8 * (size_t)pn->ngroups;
	const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3,
					     2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3,
					     1, 2, 2, 3, 2, 3, 3, 4);
	const __m256i low = _mm256_set1_epi8(0x0f), vk1 = _mm256_set1_epi64x(k1);
	struct bitw b = { y, 0, 0 };
	uint8_t *yb = (uint8_t *)y;
	__m256i wg[16], lim[16];
	uint64_t xw[BNN__CONV1W_PLANES];

	for (uint32_t g = 0; g < ng; g++) {
		wg[g] = _mm256_loadu_si256((const __m256i *)(pn->rowmajor + 4 * g));
		lim[g] = _mm256_sub_epi64(vk1, _mm256_cvtepi32_epi64(
			_mm_loadu_si128((const __m128i *)(thr + 4 * g))));
	}
	for (size_t t = 0; t < cnt; t++) {
		const int32_t *th = t < lo || t >= hi ?
			thr_row(thr, thr_e, R, lo, hi, t) : NULL;
		uint64_t bits = 0;

		for (size_t p = 0; p < planes; p++)
			xw[p] = ld57(x + p * pstride, t * step) & mask;
		for (uint32_t g = 0; g < ng; g++) {
			__m256i D = pop4(_mm256_xor_si256(_mm256_set1_epi64x(
				(long long)xw[planes - 1]), wg[g]), lut, low);
			__m256i L = th ? _mm256_sub_epi64(vk1, _mm256_cvtepi32_epi64(
				_mm_loadu_si128((const __m128i *)(th + 4 * g)))) :
				lim[g];
			unsigned gt;

			for (size_t p = planes - 1; p-- > 0;)
				D = _mm256_add_epi64(_mm256_add_epi64(D, D),
					pop4(_mm256_xor_si256(_mm256_set1_epi64x(
						(long long)xw[p]), wg[g]), lut, low));
			gt = (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(
				_mm256_cmpgt_epi64(_mm256_add_epi64(D, D), L)));
			bits |= (uint64_t)(~gt & 15) << (4 * g);
		}
		if (O % 8 == 0)
			for (uint32_t j = 0; j < O / 8; j++)
				yb[t * (O / 8) + j] = (uint8_t)(bits >> (8 * j));
		else
			bitw_put(&b, bits, O);
	}
	if (O % 8)
		bitw_end(&b);
}

__attribute__((target("avx2,popcnt")))
void bnn__conv1w_avx2(const uint64_t *x, size_t pstride, size_t planes,
		      size_t step, size_t cnt, uint64_t mask,
		      const struct bnn__bpanel *pn, int32_t k1,
		      const int32_t *thr, const int32_t *thr_e, size_t lo,
		      size_t hi, uint64_t *y)
{
	uint32_t O = pn->rows;

	if (O % 4)
		conv1w_scalar(x, pstride, planes, step, 0, cnt, mask, pn, k1,
			      thr, thr_e, lo, hi, y);
	else if (planes == 1 && O == 8)
		conv1w_avx2(x, pstride, 1, step, cnt, mask, pn, 2, k1, thr,
			    thr_e, lo, hi, y);
	else if (planes == 1)
		conv1w_avx2(x, pstride, 1, step, cnt, mask, pn, O / 4, k1, thr,
			    thr_e, lo, hi, y);
	else
		conv1w_avx2(x, pstride, planes, step, cnt, mask, pn, O / 4, k1,
			    thr, thr_e, lo, hi, y);
}
#endif

#if defined(__x86_64__)
/*
 * AVX-512: the popcounts of a position's window against 8 rows in the
 * lanes of one register (rows in groups of 8: one output byte per group
 * and position; O = 1, 2, 4: 8 / O positions per register, one byte per
 * register); the planes are folded in Horner form (D = 2 D + popcount,
 * highest plane first), and k1 - 2 D >= thr is tested as
 * D <= (k1 - thr) >> 1 (an arithmetic shift is the floor, so the same for
 * odd and negative values).  Other row counts take the plain loop.
 */
#define TGT __attribute__((target("avx512f,avx512vpopcntdq,popcnt")))

/* (k1 - thr[j]) >> 1 for the 8 thresholds of a panel group. */
TGT static inline __m512i lim8(__m512i vk1, const int32_t *thr)
{
	__m512i t = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)thr));

	return _mm512_srai_epi64(_mm512_sub_epi64(vk1, t), 1);
}

/* D of the 8 lanes of xv[p] (broadcast or permuted windows) against w. */
#define HORNER(D, XV, w) do {						\
	D = _mm512_popcnt_epi64(_mm512_xor_si512(XV(planes - 1), (w)));	\
	for (size_t p_ = planes - 1; p_-- > 0;)				\
		D = _mm512_add_epi64(_mm512_slli_epi64(D, 1),		\
			_mm512_popcnt_epi64(_mm512_xor_si512(XV(p_), (w)))); \
} while (0)

/*
 * Windows of 8 positions (bit b0 + jstep[j] for lane j, jstep[j] =
 * j * step) of one plane without a gather: lane j's window starts at bit
 * o = b0 % 64 + j * step of the 8 words from word b0 / 64 and, as the
 * caller keeps 63 + 7 step + 57 < 512, ends inside them; each lane takes
 * words o / 64 and o / 64 + 1 by permutes and funnels them by variable
 * shifts (a left shift by 64 gives 0).  When o / 64 = 7 the second word
 * wraps to word 0, but then its bits land at or above bit 64 - o % 64,
 * past the window, and the mask clears them.
 */
TGT static inline __m512i win8(const uint64_t *plane, size_t b0,
			       __m512i jstep, __m512i vmask)
{
	const __m512i c63 = _mm512_set1_epi64(63), c64 = _mm512_set1_epi64(64);
	__m512i q = _mm512_loadu_si512(plane + b0 / 64);
	__m512i o = _mm512_add_epi64(_mm512_set1_epi64((long long)(b0 % 64)),
				     jstep);
	__m512i qi = _mm512_srli_epi64(o, 6), sh = _mm512_and_si512(o, c63);
	__m512i lo = _mm512_permutexvar_epi64(qi, q);
	__m512i hi = _mm512_permutexvar_epi64(_mm512_add_epi64(qi,
					_mm512_set1_epi64(1)), q);

	lo = _mm512_srlv_epi64(lo, sh);
	hi = _mm512_sllv_epi64(hi, _mm512_sub_epi64(c64, sh));
	return _mm512_and_si512(_mm512_or_si512(lo, hi), vmask);
}

/* The kernel body; inlined with constant planes and groups for the
 * common cases (registers instead of stack arrays). */
TGT static inline __attribute__((always_inline))
void conv1w_avx512(const uint64_t *x, size_t pstride, size_t planes,
		   size_t step, size_t cnt, uint64_t mask,
		   const struct bnn__bpanel *pn, uint32_t ng, int32_t k1,
		   const int32_t *thr, const int32_t *thr_e, size_t lo,
		   size_t hi, uint64_t *y)
{
	const uint32_t O = pn->rows;
	const size_t R = 8 * (size_t)ng;
	const __m512i vk1 = _mm512_set1_epi64(k1);
	const __m512i vmask = _mm512_set1_epi64((long long)mask);
	uint8_t *yb = (uint8_t *)y;
	long long wr[8], lr[8], ix[8];
	__m512i jstep, wv[8], lim[8], idx[8], xv[BNN__CONV1W_PLANES];
	unsigned P, lg = 0;

	if ((O % 8 && 8 % O) || 7 * step + 120 >= 512) {
		conv1w_scalar(x, pstride, planes, step, 0, cnt, mask, pn, k1,
			      thr, thr_e, lo, hi, y);
		return;
	}
	for (unsigned j = 0; j < 8; j++)
		ix[j] = (long long)(j * step);
	jstep = _mm512_loadu_si512(ix);
	if (O % 8 == 0) {
		/* position i of the block against panel group g: one
		 * output byte */
		P = 1;
		for (uint32_t g = 0; g < ng; g++) {
			wv[g] = _mm512_load_si512(pn->p + (size_t)g * BNN__G);
			lim[g] = lim8(vk1, thr + 8 * g);
		}
		for (unsigned i = 0; i < 8; i++)
			idx[i] = _mm512_set1_epi64(i);
	} else {
		/* O = 1, 2, 4: register k, lane j holds row j % O of
		 * position k P + j / O: one output byte */
		P = 8 / O;
		lg = O == 1 ? 0 : O == 2 ? 1 : 2;	/* no divisions below */
		for (unsigned j = 0; j < 8; j++) {
			wr[j] = (long long)pn->rowmajor[j & (O - 1)];
			lr[j] = ((int64_t)k1 - thr[j & (O - 1)]) >> 1;
		}
		wv[0] = _mm512_loadu_si512(wr);
		lim[0] = _mm512_loadu_si512(lr);
		for (unsigned k = 0; k < O; k++) {
			for (unsigned j = 0; j < 8; j++)
				ix[j] = k * P + (j >> lg);
			idx[k] = _mm512_loadu_si512(ix);
		}
	}
	for (size_t t = 0; t < cnt; t += 8) {
		unsigned nv = cnt - t < 8 ? (unsigned)(cnt - t) : 8;
		uint8_t *ob = yb + t * O / 8;

		for (size_t p = 0; p < planes; p++)
			xv[p] = win8(x + p * pstride, t * step, jstep, vmask);
		if (P == 1) {
			for (unsigned i = 0; i < nv; i++) {
				size_t tt = t + i;
				const int32_t *th = tt < lo || tt >= hi ?
					thr_row(thr, thr_e, R, lo, hi, tt) : NULL;

				for (uint32_t g = 0; g < ng; g++) {
					__m512i D, L = th ? lim8(vk1, th + 8 * g) :
							     lim[g];

#define XP(p) _mm512_permutexvar_epi64(idx[i], xv[p])
					HORNER(D, XP, wv[g]);
#undef XP
					ob[i * ng + g] = (uint8_t)
						_mm512_cmple_epi64_mask(D, L);
				}
			}
			continue;
		}
		for (unsigned k = 0; k * P < nv; k++) {
			size_t t0 = t + k * P;
			unsigned left = (nv - k * P) * O, m;
			__m512i D, L = lim[0];

			if (t0 < lo || t0 + P > hi) {
				/* edge rows, lane by lane */
				for (unsigned j = 0; j < 8; j++) {
					size_t tj = t0 + (j >> lg);
					const int32_t *th = tj >= cnt ? thr :
						thr_row(thr, thr_e, R, lo, hi, tj);

					lr[j] = ((int64_t)k1 - th[j & (O - 1)]) >> 1;
				}
				L = _mm512_loadu_si512(lr);
			}
#define XP(p) _mm512_permutexvar_epi64(idx[k], xv[p])
			HORNER(D, XP, wv[0]);
#undef XP
			m = _mm512_cmple_epi64_mask(D, L);
			if (left < 8)
				m &= (1u << left) - 1;
			ob[k] = (uint8_t)m;
		}
	}
}
TGT void bnn__conv1w_avx512(const uint64_t *x, size_t pstride, size_t planes,
			    size_t step, size_t cnt, uint64_t mask,
			    const struct bnn__bpanel *pn, int32_t k1,
			    const int32_t *thr, const int32_t *thr_e, size_t lo,
			    size_t hi, uint64_t *y)
{
	uint32_t ng = pn->ngroups;

	if (planes == 1 && ng == 1)
		conv1w_avx512(x, pstride, 1, step, cnt, mask, pn, 1, k1, thr,
			      thr_e, lo, hi, y);
	else if (planes == 1)
		conv1w_avx512(x, pstride, 1, step, cnt, mask, pn, ng, k1, thr,
			      thr_e, lo, hi, y);
	else
		conv1w_avx512(x, pstride, planes, step, cnt, mask, pn, ng, k1,
			      thr, thr_e, lo, hi, y);
}
#endif
