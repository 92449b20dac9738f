/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * sorted_window.h - libbnn data internal: a small window of floats kept
 * sorted, for the running median of the baseline (filters.c) and the
 * per-sample median of the beat reference (beatref.c).
 *
 * Replacing a value costs two ranks (counts of smaller values: loops of
 * 4-float vector compares with no data-dependent branch) and one shift of
 * the values between them.  For the windows these serve (tens to a few
 * hundred values) that beats both heaps and binary search, whose branches
 * the data decide.  Values must not be NaN (the readers give finite
 * samples): every other float compares totally, and a value found by its
 * rank is the one that was put in (up to the sign of a zero).
 */
#ifndef BNN_SORTED_WINDOW_H
#define BNN_SORTED_WINDOW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* GCC / Clang vectors of 4: SSE2 on any x86-64, NEON on arm64. */
typedef float bnn__vf4 __attribute__((vector_size(16)));
typedef int32_t bnn__vi4 __attribute__((vector_size(16)));

/* *ca, *cb = how many of v[0 .. n) are below a, below b (one pass). */
static inline void bnn__count_below2(const float *v, size_t n, float a,
				     float b, size_t *ca, size_t *cb)
{
	bnn__vi4 na = { 0 }, nb = { 0 };
	bnn__vf4 va = a - (bnn__vf4){ 0 }, vb = b - (bnn__vf4){ 0 };
	size_t k = 0, sa, sb;

	for (; k + 4 <= n; k += 4) {
		bnn__vf4 x;

		memcpy(&x, v + k, sizeof(x));
		na -= x < va;		/* a true lane is -1 */
		nb -= x < vb;
	}
	sa = (size_t)(na[0] + na[1] + na[2] + na[3]);
	sb = (size_t)(nb[0] + nb[1] + nb[2] + nb[3]);
	for (; k < n; k++) {
		sa += v[k] < a;
		sb += v[k] < b;
	}
	*ca = sa;
	*cb = sb;
}

/* v[lo .. hi) moved one place: down (to lo - 1 .. hi - 2) or up (to
 * lo + 1 .. hi), four at a time (the distances are short: a memmove call
 * costs more than the move). */
static inline void bnn__shift_one(float *v, size_t lo, size_t hi, int up)
{
	bnn__vf4 t;
	size_t k;

	if (!up) {
		for (k = lo; k + 4 <= hi; k += 4) {
			memcpy(&t, v + k, sizeof(t));
			memcpy(v + k - 1, &t, sizeof(t));
		}
		for (; k < hi; k++)
			v[k - 1] = v[k];
	} else {
		for (k = hi; k >= lo + 4; k -= 4) {
			memcpy(&t, v + k - 4, sizeof(t));
			memcpy(v + k - 3, &t, sizeof(t));
		}
		for (; k > lo; k--)
			v[k] = v[k - 1];
	}
}

/*
 * In the sorted v[0 .. n), the value `out` (present) replaced by `in`,
 * v staying sorted.  When only v[0 .. m) matter to the counts (m <= n,
 * values past m are >= every value), pass m as n.
 */
static inline void bnn__sorted_replace(float *v, size_t n, float out,
				       float in)
{
	size_t io, c;

	bnn__count_below2(v, n, out, in, &io, &c);	/* io: out's first copy */
	if (in > out) {			/* c counts out too */
		bnn__shift_one(v, io + 1, c, 0);
		v[c - 1] = in;
	} else {			/* c <= io */
		bnn__shift_one(v, c, io, 1);
		v[c] = in;
	}
}

/* `in` inserted into the sorted v[0 .. n) (room for n + 1). */
static inline void bnn__sorted_insert(float *v, size_t n, float in)
{
	size_t c, unused;

	bnn__count_below2(v, n, in, in, &c, &unused);
	bnn__shift_one(v, c, n, 1);
	v[c] = in;
}

#endif /* BNN_SORTED_WINDOW_H */
