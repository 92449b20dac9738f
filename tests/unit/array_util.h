/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * Helpers of the unit tests on the RRAM array (test_array.c, test_physics.c):
 * a test-local PRNG (splitmix64, not the core's generator), building an
 * array from checked parameters, programming every row from a buffer and
 * counting the cells that read back differently. Included once per test
 * program (static functions).
 */
#ifndef RBNN_TEST_ARRAY_UTIL_H
#define RBNN_TEST_ARRAY_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rbnn_array.h"
#include "rbnn_params.h"

static uint64_t trng_state;

static inline uint64_t trng(void)
{
	uint64_t z = (trng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline struct rbnn_array *mk(const struct rbnn_params *p)
{
	char err[128];
	struct rbnn_array *a;

	if (rbnn_params_check(p, err, sizeof(err)))
		fail_msg("params: %s", err);
	a = rbnn_array_new(p);
	assert_non_null(a);
	return a;
}

/* Program every row of every tile from @data (rows of row_words each);
 * with @res_sum, the pulses and unverified cells of all of them. */
static inline void program_rows(struct rbnn_array *a, const uint64_t *data,
				const struct rbnn_prog_opts *o,
				struct rbnn_prog_result *res_sum)
{
	const struct rbnn_params *p = rbnn_array_params(a);
	unsigned int w = rbnn_array_row_words(a);
	uint32_t t;

	if (res_sum)
		memset(res_sum, 0, sizeof(*res_sum));
	for (t = 0; t < p->tiles; t++) {
		struct rbnn_prog_result r;

		rbnn_array_program(a, t, 0, p->rows,
				   data + (size_t)t * p->rows * w, o, &r, NULL);
		if (res_sum) {
			res_sum->pulses += r.pulses;
			res_sum->unverified += r.unverified;
		}
	}
}

/* Cells of the whole array that read differently from @data. */
static inline uint64_t count_errors(struct rbnn_array *a, const uint64_t *data)
{
	const struct rbnn_params *p = rbnn_array_params(a);
	unsigned int w = rbnn_array_row_words(a), i;
	uint64_t *buf = malloc(w * 8), errs = 0;
	uint32_t t, r;

	assert_non_null(buf);
	for (t = 0; t < p->tiles; t++)
		for (r = 0; r < p->rows; r++) {
			const uint64_t *d = data + ((size_t)t * p->rows + r) * w;

			rbnn_array_read(a, t, r, buf, NULL);
			for (i = 0; i < w; i++)
				errs += (uint64_t)__builtin_popcountll(buf[i] ^
								       d[i]);
		}
	free(buf);
	return errs;
}

#endif
