/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * kernels.h - libbnn internal: compute kernels of the host executor.
 *
 * Binary layers: XOR-popcount GEMM on bit-packed rows.  For +-1 vectors
 * stored as bits (1 = +1) the dot product over n valid bits is
 * n - 2 * popcount(x XOR w); the kernels return the mismatch counts
 * d = popcount(x XOR w) and the caller forms the sums, so padding bits
 * that are 0 in both operands never count.
 *
 * Weights are packed once into a "panel": groups of BNN__G = 8 rows,
 * interleaved word by word (panel[(g * nw + w) * 8 + j] = word w of row
 * 8g + j; rows past the end are zero), so one 512-bit (or two 256-bit)
 * loads fetch the same word of 8 rows and each input word is broadcast
 * against them.  The same layout serves every ISA.
 *
 * ISA selection: bnn__kernels_get(BNN_ISA_AUTO) picks the best the CPU
 * has (AVX-512 VPOPCNTDQ, else AVX2, else portable), or what
 * $BNN_CPU_ISA names ("portable", "avx2", "avx512").  The detection result
 * is the library's only global mutable state (computed once, race-free:
 * every thread computes the same value).
 */
#ifndef BNN_KERNELS_H
#define BNN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "bnn.h"

#define BNN__G 8

/* One clone per vector ISA of a function the compiler vectorises, picked
 * at load time (GCC / Clang target_clones).  Keep such functions static
 * behind a plain exported one: clang 14 leaves exported clones undefined. */
#if defined(__x86_64__)
#define BNN__VEC_CLONES \
	__attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define BNN__VEC_CLONES
#endif

struct bnn__bpanel {
	uint32_t rows;		/* output channels */
	uint32_t n;		/* bits per row */
	uint32_t nw;		/* words per row: ceil(n / 64) */
	uint32_t ngroups;	/* ceil(rows / 8) */
	uint64_t *p;		/* ngroups * nw * 8 words, 64-byte aligned */
	uint64_t *rowmajor;	/* rows * nw words (row o at o * nw) */
};

/* Pack rows of `row_bytes` bytes (bit j of row o = bit j % 8 of byte
 * o * row_bytes + j / 8).  Returns BNN_OK or BNN_E_NOMEM. */
int bnn__bpanel_pack(struct bnn__bpanel *pn, const uint8_t *bits,
		     uint32_t rows, uint32_t n, size_t row_bytes);
void bnn__bpanel_free(struct bnn__bpanel *pn);

/*
 * Bit-serial XOR-popcount GEMM: for i < m and o < pn->rows,
 *
 *   d[i * ldd + o] = sum over p < planes of popcount(x_ip XOR w_o) << p
 *
 * over pn->nw words, where x_ip = x + i * ldx + p * pstride (words).  x
 * rows must be zero past bit pn->n of their last word.  The caller keeps
 * n * (2^planes - 1) below 2^32 (planes = 1 for plain binary inputs).
 */
typedef void (*bnn__xor_gemm_fn)(const uint64_t *x, size_t ldx,
				 size_t pstride, size_t planes, size_t m,
				 const struct bnn__bpanel *pn, uint32_t *d,
				 size_t ldd);

/* w[o / 64] bit o % 64 = (S[o] >= thr[o]) for o < n; the
 * ceil(n / 64) words are fully written. */
typedef void (*bnn__pack_ge_fn)(const int32_t *S, const int32_t *thr,
				size_t n, uint64_t *w);

/*
 * One-word windows (little-endian hosts only): for t < cnt, with
 * b = pos + t * step,
 *   row[t] = (the 8 bytes of `plane` from byte b / 8, as a word) >> (b % 8)
 *            & mask,
 * i.e. bits b .. b + 56 of the plane, masked.  The caller keeps every
 * 8-byte load inside the plane.
 */
typedef void (*bnn__win57_fn)(const uint64_t *plane, size_t pos, size_t step,
			      size_t cnt, uint64_t mask, uint64_t *row);

/*
 * Fused binary CONV1D of one-word windows (kernels_conv1w.c; little-endian
 * hosts only): pn->nw == 1, pn->rows <= 64, planes <= BNN__CONV1W_PLANES.
 * For t < cnt and o < pn->rows, with b = t * step and
 *   D = sum over p < planes of popcount(win_p XOR row o) << p,
 * win_p = the 8 bytes of plane p (x + p * pstride words) from byte b / 8,
 * as a word, >> (b % 8) & mask (bnn__win57_fn's window), bit t * rows + o
 * of y is set iff
 *   k1 - 2 D >= th[o],
 * th = thr_e + t * R for t < lo, thr_e + (lo + t - hi) * R for t >= hi,
 * else thr; R = 8 * pn->ngroups entries per row, all readable.  The
 * bits up to cnt * rows are written (those already set may stay), no
 * others; the caller zeroes y.  Each plane must be readable for
 * ((cnt - 1) * step) / 64 + 8 words (AVX-512 loads 8 words at a time), and
 * k1 - 2 D must fit int32.
 */
#define BNN__CONV1W_PLANES 8
typedef void (*bnn__conv1w_fn)(const uint64_t *x, size_t pstride,
			       size_t planes, size_t step, size_t cnt,
			       uint64_t mask, const struct bnn__bpanel *pn,
			       int32_t k1, const int32_t *thr,
			       const int32_t *thr_e, size_t lo, size_t hi,
			       uint64_t *y);

struct bnn__kernels {
	int isa;		/* bnn_cpu_isa, never AUTO */
	const char *name;
	bnn__xor_gemm_fn xor_gemm;
	bnn__pack_ge_fn pack_ge;
	bnn__win57_fn win57;
	bnn__conv1w_fn conv1w;
};

/* Kernels for `isa` (AUTO: best available).  BNN_E_UNSUPPORTED when the
 * CPU (or the build) lacks it, BNN_E_INVAL for unknown values. */
int bnn__kernels_get(int isa, const struct bnn__kernels **out);
/* Best ISA of this CPU, ignoring $BNN_CPU_ISA. */
int bnn__cpu_best_isa(void);

/* The per-ISA GEMMs (AVX ones exist only on x86). */
void bnn__xor_gemm_portable(const uint64_t *x, size_t ldx, size_t pstride,
			    size_t planes, size_t m,
			    const struct bnn__bpanel *pn, uint32_t *d,
			    size_t ldd);
void bnn__xor_gemm_avx2(const uint64_t *x, size_t ldx, size_t pstride,
			size_t planes, size_t m, const struct bnn__bpanel *pn,
			uint32_t *d, size_t ldd);
void bnn__xor_gemm_avx512(const uint64_t *x, size_t ldx, size_t pstride,
			  size_t planes, size_t m,
			  const struct bnn__bpanel *pn, uint32_t *d,
			  size_t ldd);

void bnn__win57_portable(const uint64_t *plane, size_t pos, size_t step,
			 size_t cnt, uint64_t mask, uint64_t *row);
void bnn__win57_avx2(const uint64_t *plane, size_t pos, size_t step,
		     size_t cnt, uint64_t mask, uint64_t *row);
void bnn__win57_avx512(const uint64_t *plane, size_t pos, size_t step,
		       size_t cnt, uint64_t mask, uint64_t *row);

void bnn__conv1w_portable(const uint64_t *x, size_t pstride, size_t planes,
		size_t step, size_t cnt, uint64_t mask,
		const struct bnn__bpanel *pn, int32_t k1, const int32_t *thr,
		const int32_t *thr_e, size_t lo, size_t hi, uint64_t *y);
void bnn__conv1w_avx2(const uint64_t *x, size_t pstride, size_t planes,
		size_t step, size_t cnt, uint64_t mask,
		const struct bnn__bpanel *pn, int32_t k1, const int32_t *thr,
		const int32_t *thr_e, size_t lo, size_t hi, uint64_t *y);
void bnn__conv1w_avx512(const uint64_t *x, size_t pstride, size_t planes,
		size_t step, size_t cnt, uint64_t mask,
		const struct bnn__bpanel *pn, int32_t k1, const int32_t *thr,
		const int32_t *thr_e, size_t lo, size_t hi, uint64_t *y);

void bnn__pack_ge_portable(const int32_t *S, const int32_t *thr, size_t n,
			   uint64_t *w);
void bnn__pack_ge_avx2(const int32_t *S, const int32_t *thr, size_t n,
		       uint64_t *w);
void bnn__pack_ge_avx512(const int32_t *S, const int32_t *thr, size_t n,
			 uint64_t *w);

/*
 * Sums of one output position of a binary layer (kernels_epi.c):
 * S[o] = k1 + k2 * corr[o] - 2 * sum_p (d[p * pstride + o] << p), in
 * int32 (the caller checks that nothing overflows); corr may be NULL (0).
 */
void bnn__sums32(const uint32_t *d, size_t pstride, size_t planes,
		 const uint32_t *corr, int32_t k1, int32_t k2, size_t n,
		 int32_t *S);

/* popcount(a AND b) over n words. */
uint32_t bnn__and_popcount(const uint64_t *a, const uint64_t *b, size_t n);

/* Quantised level of x: round-half-up of (x - offset) / scale, clamped
 * to [0, 2^qbits - 1] (NaN: 0).  Branch-free so that a loop over a block
 * can be vectorised; same values as the obvious branchy form
 * (c - trunc(c) is exact for 0 <= c < 256).  Shared by exec.c and
 * kernels_lvl.c, which must give the same levels. */
static inline uint32_t bnn__quant(float qoffset, float qscale, float qmax, float x)
{
	float d = (x - qoffset) / qscale;
	float c = d > 0 ? d : 0.0f;	/* also NaN -> 0 */
	int32_t r;

	c = c < qmax ? c : qmax;
	r = (int32_t)c;
	return (uint32_t)r + (c - (float)r >= 0.5f);
}

/*
 * bnn__lvl_expand from the floats of a QUANT layer's input (x: L * C
 * floats, position-major) instead of its bit planes: the same v of the
 * same levels (bnn__quant), without forming the planes.
 */
void bnn__lvl_expand_quant(const float *x, float qoffset, float qscale,
			   uint32_t qbits, size_t L, size_t C, size_t O,
			   size_t pad, size_t vs, int32_t *ve);

/*
 * A BCONV1D of stride 1 on a k-bit input in level space (kernels_lvl.c):
 * bnn__lvl_expand writes v = 2 q - (2^planes - 1) of element t * C + c
 * (q = its level in the planes x + p * W) O times at ve[c * vs +
 * (t + pad) * O + o], zero at the positions before and past the L input
 * positions up to vs; vs >= (pad + L) * O.  bnn__lvl_conv then forms
 *   S[t * O + o] = sum over k < K, c < C of
 *                  sg[(k * C + c) * 16 + (t * O + o) % 16] *
 *                  ve[c * vs + (t + k) * O + o]
 * for t < T (O divides 16; S holds T * O rounded up to 16 entries, and
 * each row of ve is readable that far past (t + k) * O).
 */
void bnn__lvl_expand(const uint64_t *x, size_t W, size_t planes, size_t L,
		     size_t C, size_t O, size_t pad, size_t vs, int32_t *ve);
void bnn__lvl_conv(const int32_t *ve, size_t vs, size_t C, size_t K,
		   size_t O, const int32_t *sg, size_t T, int32_t *S);

/* ---- float (kernels_float.c); results do not depend on the ISA ---- */

/*
 * C[i * ldc + o] = (bias ? bias[o] : 0) + sum_k A[i * lda + k] * B[o * ldb + k]
 * for i < m, o < nout, k < n.  The sum of every element is formed in one
 * fixed order (8 strided partial sums, combined pairwise, then the tail),
 * whatever the blocking or vector width, so results are reproducible.
 */
void bnn__sgemm_nt(const float *A, size_t lda, size_t m, const float *B,
		   size_t ldb, size_t nout, size_t n, const float *bias,
		   float *C, size_t ldc);

/* Plain dot product with the same summation order. */
float bnn__sdot(const float *a, const float *b, size_t n);

#endif /* BNN_KERNELS_H */
