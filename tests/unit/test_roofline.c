// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * Unit tests: the roofline loops of make bench (tests/bench/roofline.c).
 * A roofline is only a reference if it computes the real thing: every ISA
 * this CPU has must give the plain-C count for every length 0..300 words
 * (odd ones, shorter than one vector, not a multiple of a Harley-Seal
 * block), for a long run, and for all-equal / all-different operands
 * (every byte count at its extreme).  ISAs the CPU lacks are skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* The benchmark's file itself, not a copy: its functions are static. */
#include "../bench/roofline.c"

#define N 4099

static uint64_t st = 0x853c49e6748fea9bull;

static uint64_t next(void)
{
	st ^= st << 13;
	st ^= st >> 7;
	st ^= st << 17;
	return st;
}

static void check_isa(int isa, const uint64_t *a, const uint64_t *b)
{
	roofline_fn fn = roofline_get(isa), ref = roofline_get(ROOF_PORTABLE);

	assert_non_null(fn);
	for (size_t n = 0; n <= 300; n++) {
		/* Unaligned starts too: the loops load unaligned. */
		assert_int_equal(fn(a, b, n), ref(a, b, n));
		assert_int_equal(fn(a + 1, b + 3, n), ref(a + 1, b + 3, n));
	}
	assert_int_equal(fn(a, b, N), ref(a, b, N));
}

static void test_every_isa(void **state)
{
	uint64_t *a = malloc(N * 8 + 64), *b = malloc(N * 8 + 64);
	int had = 0;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (int isa = 0; isa < ROOF_NISA; isa++) {
		if (!roofline_get(isa))
			continue;
		had++;
		for (size_t i = 0; i < N + 8; i++) {
			a[i] = next();
			b[i] = next();
		}
		check_isa(isa, a, b);
		memset(a, 0xa5, N * 8 + 64);
		memcpy(b, a, N * 8 + 64);
		check_isa(isa, a, b);
		assert_int_equal(roofline_get(isa)(a, b, N), (uint64_t)N * 64);
		memset(b, 0x5a, N * 8 + 64);
		check_isa(isa, a, b);
		assert_int_equal(roofline_get(isa)(a, b, N), 0);
	}
	assert_true(had >= 1);
	free(a);
	free(b);
}

static void test_best_and_names(void **state)
{
	int best = roofline_best();

	(void)state;
	assert_non_null(roofline_get(best));
	for (int isa = best + 1; isa < ROOF_NISA; isa++)
		assert_null(roofline_get(isa));
	assert_string_equal(roofline_isa_name(ROOF_AVX512), "AVX-512 VPOPCNTDQ");
	assert_string_equal(roofline_isa_name(ROOF_NISA), "?");
	/* A short measurement gives a rate, a missing ISA none. */
	assert_true(roofline_measure(best, 0.01) > 0);
	assert_true(roofline_measure(ROOF_NISA, 0.01) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_isa),
		cmocka_unit_test(test_best_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
