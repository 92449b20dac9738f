// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * roofline.c - XNOR-popcount loops for the roofline (roofline.h).  Each
 * ISA's loop handles any length (vectors, then words), so the unit test
 * can hold every one to the plain-C reference.
 */
#include "roofline.h"

#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static uint64_t xnor_portable(const uint64_t *a, const uint64_t *b, size_t n)
{
	uint64_t c = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t v = ~(a[i] ^ b[i]);

		/* Kernighan's loop: no builtin, so no ISA assumption. */
		while (v) {
			v &= v - 1;
			c++;
		}
	}
	return c;
}

#if defined(__x86_64__)
/* Four sums: neither the add chain nor POPCNT's false output dependency
 * on some Intel cores limits it to less than one POPCNT per cycle. */
__attribute__((target("popcnt")))
static uint64_t xnor_popcnt(const uint64_t *a, const uint64_t *b, size_t n)
{
	uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
	size_t i = 0;

	for (; i + 4 <= n; i += 4) {
		c0 += (uint64_t)__builtin_popcountll(~(a[i] ^ b[i]));
		c1 += (uint64_t)__builtin_popcountll(~(a[i + 1] ^ b[i + 1]));
		c2 += (uint64_t)__builtin_popcountll(~(a[i + 2] ^ b[i + 2]));
		c3 += (uint64_t)__builtin_popcountll(~(a[i + 3] ^ b[i + 3]));
	}
	for (; i < n; i++)
		c0 += (uint64_t)__builtin_popcountll(~(a[i] ^ b[i]));
	return c0 + c1 + c2 + c3;
}

#define AVX2 __attribute__((target("avx2,popcnt")))

/* Per-64-bit-lane popcounts of v: nibble table, then VPSADBW. */
AVX2 static inline __m256i pop256(__m256i v)
{
	const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3,
					     2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3,
					     1, 2, 2, 3, 2, 3, 3, 4);
	const __m256i low = _mm256_set1_epi8(0x0f);
	__m256i lo = _mm256_and_si256(v, low);
	__m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
	__m256i c = _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo),
				    _mm256_shuffle_epi8(lut, hi));

	return _mm256_sad_epu8(c, _mm256_setzero_si256());
}

AVX2 static inline __m256i xnor256(const uint64_t *a, const uint64_t *b)
{
	__m256i x = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)a),
				     _mm256_loadu_si256((const __m256i *)b));

	return _mm256_xor_si256(x, _mm256_set1_epi8(-1));
}

/* Carry-save adder: h:l = a + b + c, bit by bit. */
AVX2 static inline void csa(__m256i *h, __m256i *l, __m256i a, __m256i b,
			    __m256i c)
{
	__m256i u = _mm256_xor_si256(a, b);

	*h = _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(u, c));
	*l = _mm256_xor_si256(u, c);
}

/* Harley-Seal: 8 vectors through a tree of carry-save adders cost one
 * table popcount (of the "eights"), not eight. */
AVX2 static uint64_t xnor_avx2(const uint64_t *a, const uint64_t *b, size_t n)
{
	__m256i ones = _mm256_setzero_si256(), twos = ones, fours = ones;
	__m256i total = ones, ta, tb, fa, fb, eights;
	uint64_t lanes[4], c;
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		csa(&ta, &ones, ones, xnor256(a + i, b + i),
		    xnor256(a + i + 4, b + i + 4));
		csa(&tb, &ones, ones, xnor256(a + i + 8, b + i + 8),
		    xnor256(a + i + 12, b + i + 12));
		csa(&fa, &twos, twos, ta, tb);
		csa(&ta, &ones, ones, xnor256(a + i + 16, b + i + 16),
		    xnor256(a + i + 20, b + i + 20));
		csa(&tb, &ones, ones, xnor256(a + i + 24, b + i + 24),
		    xnor256(a + i + 28, b + i + 28));
		csa(&fb, &twos, twos, ta, tb);
		csa(&eights, &fours, fours, fa, fb);
		total = _mm256_add_epi64(total, pop256(eights));
	}
	total = _mm256_slli_epi64(total, 3);
	total = _mm256_add_epi64(total, _mm256_slli_epi64(pop256(fours), 2));
	total = _mm256_add_epi64(total, _mm256_slli_epi64(pop256(twos), 1));
	total = _mm256_add_epi64(total, pop256(ones));
	for (; i + 4 <= n; i += 4)
		total = _mm256_add_epi64(total, pop256(xnor256(a + i, b + i)));
	_mm256_storeu_si256((__m256i *)lanes, total);
	c = lanes[0] + lanes[1] + lanes[2] + lanes[3];
	for (; i < n; i++)
		c += (uint64_t)__builtin_popcountll(~(a[i] ^ b[i]));
	return c;
}

#define AVX512 __attribute__((target("avx512f,avx512vpopcntdq,popcnt")))

/* ~(a ^ b) in one VPTERNLOGQ (truth table 0xc3), then VPOPCNTQ; four
 * accumulators hide the add latency. */
AVX512 static inline __m512i pop512(const uint64_t *a, const uint64_t *b)
{
	__m512i x = _mm512_loadu_si512(a), y = _mm512_loadu_si512(b);

	return _mm512_popcnt_epi64(_mm512_ternarylogic_epi64(x, y, y, 0xc3));
}

AVX512 static uint64_t xnor_avx512(const uint64_t *a, const uint64_t *b,
				   size_t n)
{
	__m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
	uint64_t c;
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		s0 = _mm512_add_epi64(s0, pop512(a + i, b + i));
		s1 = _mm512_add_epi64(s1, pop512(a + i + 8, b + i + 8));
		s2 = _mm512_add_epi64(s2, pop512(a + i + 16, b + i + 16));
		s3 = _mm512_add_epi64(s3, pop512(a + i + 24, b + i + 24));
	}
	for (; i + 8 <= n; i += 8)
		s0 = _mm512_add_epi64(s0, pop512(a + i, b + i));
	s0 = _mm512_add_epi64(_mm512_add_epi64(s0, s1), _mm512_add_epi64(s2, s3));
	c = (uint64_t)_mm512_reduce_add_epi64(s0);
	for (; i < n; i++)
		c += (uint64_t)__builtin_popcountll(~(a[i] ^ b[i]));
	return c;
}
#endif

const char *roofline_isa_name(int isa)
{
	static const char *const names[ROOF_NISA] = {
		"portable (plain C)", "scalar POPCNT", "AVX2 Harley-Seal",
		"AVX-512 VPOPCNTDQ",
	};

	return isa >= 0 && isa < ROOF_NISA ? names[isa] : "?";
}

roofline_fn roofline_get(int isa)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	switch (isa) {
	case ROOF_POPCNT:
		return __builtin_cpu_supports("popcnt") ? xnor_popcnt : NULL;
	case ROOF_AVX2:
		return __builtin_cpu_supports("avx2") &&
		       __builtin_cpu_supports("popcnt") ? xnor_avx2 : NULL;
	case ROOF_AVX512:
		return __builtin_cpu_supports("avx512f") &&
		       __builtin_cpu_supports("avx512vpopcntdq") &&
		       __builtin_cpu_supports("popcnt") ? xnor_avx512 : NULL;
	}
#endif
	return isa == ROOF_PORTABLE ? xnor_portable : NULL;
}

int roofline_best(void)
{
	int isa = ROOF_NISA - 1;

	while (isa > ROOF_PORTABLE && !roofline_get(isa))
		isa--;
	return isa;
}

/* The thread's CPU time: a loop preempted by another job's process is
 * not charged for the time it waited, so the rate is the core's. */
static double thread_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double roofline_measure(int isa, double seconds)
{
	static uint64_t a[1024] __attribute__((aligned(64)));
	static uint64_t b[1024] __attribute__((aligned(64)));
	static volatile uint64_t sink;
	roofline_fn fn = roofline_get(isa);
	uint64_t r = 0x2545f4914f6cdd1dull;
	double best = 0;

	if (!fn)
		return 0;
	for (int i = 0; i < 1024; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		a[i] = r;
		b[i] = r * 0x9e3779b97f4a7c15ull;
	}
	for (int rep = 0; rep < 5; rep++) {
		double t0 = thread_s(), t;
		uint64_t calls = 0;

		/* 256 calls between clock reads: one call is ~100 cycles. */
		do {
			for (int k = 0; k < 256; k++)
				sink += fn(a, b, 1024);
			calls += 256;
		} while ((t = thread_s() - t0) < seconds / 5);
		if (calls * 1024.0 * 64 / t > best)
			best = calls * 1024.0 * 64 / t;
	}
	return best;
}
