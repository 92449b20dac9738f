/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * RBNN device-model core: random number generation (see rbnn_rng.h).
 */
#include <math.h>

#include "rbnn_rng.h"

/* One splitmix64 step: spreads a (possibly poor) seed over the state. */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void rbnn_rng_seed(struct rbnn_rng *r, uint64_t seed)
{
	uint64_t x = seed;
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
	/* xoshiro must not start from the all-zero state. */
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1;
	r->spare = 0;
	r->has_spare = false;
}

double rbnn_rng_normal(struct rbnn_rng *r)
{
	double u, v, s, f;

	if (r->has_spare) {
		r->has_spare = false;
		return r->spare;
	}
	do {
		u = 2.0 * rbnn_rng_uniform(r) - 1.0;
		v = 2.0 * rbnn_rng_uniform(r) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	f = sqrt(-2.0 * log(s) / s);
	r->spare = v * f;
	r->has_spare = true;
	return u * f;
}

uint64_t rbnn_rng_geometric(struct rbnn_rng *r, double param)
{
	double k;

	if (!(param < 0))
		return UINT64_MAX;
	/* Inversion: floor(ln U / ln(1 - p)); k >= 0, so truncation floors. */
	k = log(rbnn_rng_uniform_pos(r)) * param;
	/* Beyond 2^63 the distinction does not matter: "never". */
	if (!(k < 9.2e18))
		return UINT64_MAX;
	return (uint64_t)k;
}
