// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * kernels_lvl.c - libbnn: the first binary CONV1D of a quantised input in
 * level space.
 *
 * Why it exists: a BCONV1D on a k-bit input (the layer after QUANT) costs
 * k XOR-popcounts per window and row as bit planes, yet for a valid tap
 * with weight bit w the bit-serial sum sum_p 2^p (1 - 2 (x_p XOR w)) is
 * just +-(2 q - m) (q the tap's level, m = 2^k - 1; + for w = 1), and a
 * padded tap adds 0 once the edge fix is made.  So the layer's sums are a
 * small integer convolution of v = 2 q - m with +-1 weights, the same
 * integers as the bit-plane path's S = m n - 2 D + edge fix, here formed
 * with plain int32 vector adds (vectorised by the compiler, one clone per
 * ISA).  Used for stride 1 and 1, 2, 4, 8 or 16 output channels (exec.c
 * decides).
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include "kernels.h"

#include <string.h>

#define CLONES BNN__VEC_CLONES

/* Zero the pad positions before and the rest of each row of ve. */
static inline __attribute__((always_inline))
void clear_pads(size_t L, size_t C, size_t O, size_t pad, size_t vs,
		int32_t *ve)
{
	for (size_t c = 0; c < C; c++) {
		memset(ve + c * vs, 0, pad * O * 4);
		memset(ve + c * vs + (pad + L) * O, 0,
		       (vs - (pad + L) * O) * 4);
	}
}

/* ve[c * vs + (t + pad) * O + o] = 2 q - m for element e0 + j = t * C + c
 * (j < ne), o < O. */
static inline __attribute__((always_inline))
void put_levels(const int32_t *q, size_t e0, size_t ne, int32_t m, size_t C,
		size_t O, size_t pad, size_t vs, int32_t *restrict ve)
{
	for (size_t j = 0; j < ne; j++) {
		size_t e = e0 + j;
		int32_t *restrict d = C == 1 ? ve + (e + pad) * O :
			ve + (e % C) * vs + (e / C + pad) * O;

		for (size_t o = 0; o < O; o++)
			d[o] = 2 * q[j] - m;
	}
}

static inline __attribute__((always_inline))
void expand(const uint64_t *x, size_t W, size_t planes, size_t L, size_t C,
	    size_t O, size_t pad, size_t vs, int32_t *ve)
{
	int32_t m = (int32_t)((1u << planes) - 1);

	clear_pads(L, C, O, pad, vs, ve);
	for (size_t e0 = 0; e0 < L * C; e0 += 64) {
		size_t ne = L * C - e0 < 64 ? L * C - e0 : 64;
		int32_t q[64];

		for (size_t j = 0; j < 64; j++)
			q[j] = 0;
		for (size_t p = 0; p < planes; p++) {
			uint64_t w = x[p * W + e0 / 64];

			for (size_t j = 0; j < 64; j++)
				q[j] |= (int32_t)((w >> j) & 1) << p;
		}
		put_levels(q, e0, ne, m, C, O, pad, vs, ve);
	}
}

static inline __attribute__((always_inline))
void expand_quant(const float *x, float qo, float qs, uint32_t qbits,
		  size_t L, size_t C, size_t O, size_t pad, size_t vs,
		  int32_t *ve)
{
	int32_t m = (int32_t)((1u << qbits) - 1);
	float qmax = (float)m;

	clear_pads(L, C, O, pad, vs, ve);
	for (size_t e0 = 0; e0 < L * C; e0 += 64) {
		size_t ne = L * C - e0 < 64 ? L * C - e0 : 64;
		int32_t q[64];

		for (size_t j = 0; j < ne; j++)
			q[j] = (int32_t)bnn__quant(qo, qs, qmax, x[e0 + j]);
		put_levels(q, e0, ne, m, C, O, pad, vs, ve);
	}
}

/* Constant O where it matters: the O copies become one vector store. */
#define BY_O(O, call4, call8, call16, callany) do {	\
	switch (O) {					\
	case 4: call4; break;				\
	case 8: call8; break;				\
	case 16: call16; break;				\
	default: callany; break;			\
	}						\
} while (0)

/* The clones are static, each behind a plain exported function
 * (kernels.h, BNN__VEC_CLONES). */
CLONES
static void lvl_expand(const uint64_t *x, size_t W, size_t planes, size_t L,
		       size_t C, size_t O, size_t pad, size_t vs, int32_t *ve)
{
	BY_O(O, expand(x, W, planes, L, C, 4, pad, vs, ve),
	     expand(x, W, planes, L, C, 8, pad, vs, ve),
	     expand(x, W, planes, L, C, 16, pad, vs, ve),
	     expand(x, W, planes, L, C, O, pad, vs, ve));
}

CLONES
static void lvl_expand_quant(const float *x, float qoffset, float qscale,
			     uint32_t qbits, size_t L, size_t C, size_t O,
			     size_t pad, size_t vs, int32_t *ve)
{
	BY_O(O, expand_quant(x, qoffset, qscale, qbits, L, C, 4, pad, vs, ve),
	     expand_quant(x, qoffset, qscale, qbits, L, C, 8, pad, vs, ve),
	     expand_quant(x, qoffset, qscale, qbits, L, C, 16, pad, vs, ve),
	     expand_quant(x, qoffset, qscale, qbits, L, C, O, pad, vs, ve));
}

/* 16 int32 lanes; GCC lowers the operations to the clone's vectors. */
typedef int32_t v16 __attribute__((vector_size(64)));

CLONES
static void lvl_conv(const int32_t *ve, size_t vs, size_t C, size_t K,
		     size_t O, const int32_t *sg, size_t T, int32_t *S)
{
	size_t n16 = (T * O + 15) / 16, b = 0;

	/* S is rounded up to 16 entries (the caller's buffer holds them);
	 * entries past T * O are never read.  Four blocks at a time: four
	 * independent sums hide the multiply-add latency. */
	for (; b + 4 <= n16; b += 4) {
		v16 a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };

		for (size_t k = 0; k < K; k++)
			for (size_t c = 0; c < C; c++) {
				const int32_t *v = ve + c * vs + k * O + 16 * b;
				v16 g, v0, v1, v2, v3;

				memcpy(&g, sg + (k * C + c) * 16, 64);
				memcpy(&v0, v, 64);
				memcpy(&v1, v + 16, 64);
				memcpy(&v2, v + 32, 64);
				memcpy(&v3, v + 48, 64);
				a0 += g * v0;
				a1 += g * v1;
				a2 += g * v2;
				a3 += g * v3;
			}
		memcpy(S + 16 * b, &a0, 64);
		memcpy(S + 16 * b + 16, &a1, 64);
		memcpy(S + 16 * b + 32, &a2, 64);
		memcpy(S + 16 * b + 48, &a3, 64);
	}
	for (; b < n16; b++) {
		v16 acc = { 0 };

		for (size_t k = 0; k < K; k++)
			for (size_t c = 0; c < C; c++) {
				v16 g, v;

				memcpy(&g, sg + (k * C + c) * 16, 64);
				memcpy(&v, ve + c * vs + k * O + 16 * b, 64);
				acc += g * v;
			}
		memcpy(S + 16 * b, &acc, 64);
	}
}

void bnn__lvl_expand(const uint64_t *x, size_t W, size_t planes, size_t L,
		     size_t C, size_t O, size_t pad, size_t vs, int32_t *ve)
{
	lvl_expand(x, W, planes, L, C, O, pad, vs, ve);
}

void bnn__lvl_expand_quant(const float *x, float qoffset, float qscale,
			   uint32_t qbits, size_t L, size_t C, size_t O,
			   size_t pad, size_t vs, int32_t *ve)
{
	lvl_expand_quant(x, qoffset, qscale, qbits, L, C, O, pad, vs, ve);
}

void bnn__lvl_conv(const int32_t *ve, size_t vs, size_t C, size_t K,
		   size_t O, const int32_t *sg, size_t T, int32_t *S)
{
	lvl_conv(ve, vs, C, K, O, sg, T, S);
}
