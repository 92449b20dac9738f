/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * RBNN device-model core: the random number generator of an array.
 * xoshiro256** seeded through splitmix64; the whole state is plain data so
 * it can be saved and restored with the array.
 */
#ifndef RBNN_RNG_H
#define RBNN_RNG_H

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

struct rbnn_rng {
	uint64_t s[4];
	double spare;		/* second value of the last polar pair */
	bool has_spare;
};

void rbnn_rng_seed(struct rbnn_rng *r, uint64_t seed);

static inline uint64_t rbnn_rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* Next 64 random bits (xoshiro256**). */
static inline uint64_t rbnn_rng_next(struct rbnn_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rbnn_rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rbnn_rng_rotl(s[3], 45);
	return out;
}

/* Uniform in [0, 1), 53 random bits. */
static inline double rbnn_rng_uniform(struct rbnn_rng *r)
{
	return (double)(rbnn_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in (0, 1]: safe to take the logarithm of. */
static inline double rbnn_rng_uniform_pos(struct rbnn_rng *r)
{
	return (double)((rbnn_rng_next(r) >> 11) + 1) * 0x1.0p-53;
}

/* Standard normal deviate (Marsaglia polar method). */
double rbnn_rng_normal(struct rbnn_rng *r);

/*
 * Parameter of rbnn_rng_geometric() for success probability @p, computed
 * once per distribution (it saves a logarithm and a division per draw).
 */
static inline double rbnn_rng_geometric_param(double p)
{
	if (!(p > 0))
		return 0.0;		/* never */
	if (p >= 1)
		return -DBL_MIN;	/* always at once */
	return 1.0 / log1p(-p);
}

/*
 * Number of failures before the first success of Bernoulli trials, with
 * @param from rbnn_rng_geometric_param(); UINT64_MAX stands for "never".
 */
uint64_t rbnn_rng_geometric(struct rbnn_rng *r, double param);

#endif /* RBNN_RNG_H */
