/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * roofline.h - the machine's XNOR-popcount roofline for make bench: how
 * many bit-ops (one XNOR + its share of the popcount = one binary MAC) one
 * core does per second on L1-resident data, with the best instructions the
 * CPU has, chosen at run time (AVX-512 VPOPCNTDQ, else AVX2 Harley-Seal,
 * else scalar POPCNT, else plain C).  Benchmark code, not part of libbnn.
 */
#ifndef RBNN_BENCH_ROOFLINE_H
#define RBNN_BENCH_ROOFLINE_H

#include <stddef.h>
#include <stdint.h>

enum roofline_isa {
	ROOF_PORTABLE,		/* plain C: the reference */
	ROOF_POPCNT,		/* scalar POPCNT, 4 independent sums */
	ROOF_AVX2,		/* AVX2 Harley-Seal over VPSHUFB counts */
	ROOF_AVX512,		/* AVX-512 VPTERNLOG + VPOPCNTQ */
	ROOF_NISA
};

/* sum over i < n of popcount(~(a[i] ^ b[i])), any n. */
typedef uint64_t (*roofline_fn)(const uint64_t *a, const uint64_t *b,
				size_t n);

const char *roofline_isa_name(int isa);
/* The loop of `isa`, or NULL when this CPU (or build) lacks it. */
roofline_fn roofline_get(int isa);
/* The best ISA this CPU has. */
int roofline_best(void);
/* Bit-ops per second of the thread's CPU time of `isa` on one core: best
 * of 5 runs of >= seconds/5 each, over 2 x 1024 words (16 KiB, in L1).
 * 0 when the ISA is missing. */
double roofline_measure(int isa, double seconds);

#endif
