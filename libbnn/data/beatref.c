// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * beatref.c - libbnn data: the beat reference (bnn_beat_opts.ref_beats),
 * step 7 of the preprocessing (bnn_data.h): each window minus the
 * per-sample median of the windows of the beats before it.
 *
 * A patient's own recent beats are the reference a cardiologist compares a
 * beat with; the difference is what carries "ectopic" across patients,
 * while the raw shape mostly says who the patient is.  Shared by the batch
 * path (beats.c) and the stream (stream.c), so both give the same floats.
 */
#include "beats_internal.h"
#include "sorted_window.h"

#include <stdlib.h>
#include <string.h>

int bnn__ref_init(struct bnn__ref *r, size_t len, size_t k)
{
	size_t n;

	memset(r, 0, sizeof *r);
	if (!k)
		return 0;
	if (bnn__mul(len, k, &n) || bnn__mul(n, sizeof(float), &n))
		return -1;
	r->ring = bnn__malloc(n ? n : 1);
	r->sorted = bnn__malloc(n ? n : 1);
	if (!r->ring || !r->sorted) {
		bnn__ref_free(r);
		return -1;
	}
	r->len = len;
	r->k = k;
	return 0;
}

void bnn__ref_free(struct bnn__ref *r)
{
	free(r->ring);
	free(r->sorted);
	memset(r, 0, sizeof *r);
}

void bnn__ref_apply(struct bnn__ref *r, float *y)
{
	size_t m = r->n < r->k ? r->n : r->k;
	float *old = r->ring + (r->n % r->k) * r->len;

	for (size_t q = 0; q < r->len; q++) {
		float *v = r->sorted + q * r->k;
		float x = y[q];
		double med = 0;

		if (m)
			med = m % 2 ? v[m / 2] :
			      0.5 * ((double)v[m / 2 - 1] + (double)v[m / 2]);
		/* The window k beats back leaves the reference and this one
		 * enters it, before its subtraction. */
		if (m == r->k)
			bnn__sorted_replace(v, m, old[q], x);
		else
			bnn__sorted_insert(v, m, x);
		old[q] = x;
		y[q] = m ? (float)((double)x - med) : 0.0f;
	}
	r->n++;
}
