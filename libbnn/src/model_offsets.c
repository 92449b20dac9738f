// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * model_offsets.c - libbnn: per-class score offsets of the output layer
 * (the offsets section, format version 5), and where they are applied.
 *
 * A model trained on one set of patients ranks its class scores well but
 * puts the decision point for rare classes (S, V beats) where the training
 * prior put it; an integer added to each class score before the argmax
 * moves that point without retraining ("threshold moving").  It is applied
 * on the host after any backend has produced the scores, so cpu, emu and
 * rbnn give the same classes.
 */
#define BNN_DATA_INTERNAL
#include "bnn_data.h"
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int bnn__model_set_offsets(struct bnn_model *m, uint32_t n, const int32_t *v,
			   bnn_error *err)
{
	int any = 0;
	int32_t *c;

	if (!m || (n && !v))
		return bnn__fail(err, BNN_E_INVAL, "offsets: NULL argument");
	if (n && n != m->nclasses)
		return bnn__fail(err, BNN_E_CORRUPT,
				 "offsets: %u offset%s for %u classes (one per class)",
				 n, n == 1 ? "" : "s", m->nclasses);
	for (uint32_t k = 0; k < n; k++) {
		if (v[k] < -BNN_CLASS_OFFSET_MAX || v[k] > BNN_CLASS_OFFSET_MAX)
			return bnn__fail(err, BNN_E_RANGE,
					 "offsets: class %u: offset %ld not in -%ld..%ld",
					 k, (long)v[k], (long)BNN_CLASS_OFFSET_MAX,
					 (long)BNN_CLASS_OFFSET_MAX);
		any |= v[k] != 0;
	}
	/* all zero is no offsets: such a model is written without them */
	if (!any) {
		free(m->offsets);
		m->offsets = NULL;
		return BNN_OK;
	}
	c = bnn__calloc(n, sizeof(*c));
	if (!c)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	memcpy(c, v, n * sizeof(*c));
	free(m->offsets);
	m->offsets = c;
	return BNN_OK;
}

int32_t bnn_model_class_offset(const bnn_model *m, uint32_t i)
{
	if (!m || !m->offsets || i >= m->nclasses)
		return 0;
	return m->offsets[i];
}

/*
 * The one place where class scores become classes: add the offsets (if
 * any) to every item's scores, in f32 (exact for the integer sums of a
 * binary output layer up to 2^24), then take the argmax, lowest index on
 * ties, NaN ignored, 0 if all are NaN.  pred may be NULL.
 */
void bnn__scores_finish(const int32_t *off, float *s, size_t n, uint32_t ncls,
			int32_t *pred)
{
	for (size_t i = 0; i < n; i++) {
		float *v = s + i * ncls;
		int32_t best = -1;

		if (off)
			for (uint32_t c = 0; c < ncls; c++)
				v[c] += (float)off[c];
		if (!pred)
			continue;
		for (uint32_t c = 0; c < ncls; c++)
			if (!isnan(v[c]) && (best < 0 || v[c] > v[best]))
				best = (int32_t)c;
		pred[i] = best < 0 ? 0 : best;
	}
}
