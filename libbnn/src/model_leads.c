// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * model_leads.c - libbnn: the lead (channel name) of every input channel
 * of a model (the leads section, format version 3), and its lookup.
 *
 * A one-channel model names its lead in the input description; a model of
 * C >= 2 channels can name all C, so that a reader feeds each channel
 * from the right signal of a record instead of taking the signals in the
 * order the record happens to store them (MIT-BIH 114 stores V5 before
 * MLII).
 */
#define BNN_DATA_INTERNAL
#include "bnn_data.h"
#include "model.h"

#include <stdlib.h>
#include <string.h>

/* ASCII case-insensitive equality: a record's lead lookup ignores case,
 * so "mlii" and "MLII" would name the same signal. */
static int same_name(const char *a, const char *b)
{
	for (;; a++, b++) {
		char x = *a >= 'a' && *a <= 'z' ? (char)(*a - 32) : *a;
		char y = *b >= 'a' && *b <= 'z' ? (char)(*b - 32) : *b;

		if (x != y)
			return 0;
		if (!x)
			return 1;
	}
}

int bnn__model_set_leads(struct bnn_model *m, uint32_t n,
			 const char *const *names, bnn_error *err)
{
	char (*v)[BNN_LEAD_MAX];

	if (!m || (n && !names))
		return bnn__fail(err, BNN_E_INVAL, "leads: NULL argument");
	if (m->nlayers)
		return bnn__fail(err, BNN_E_INVAL,
				 "leads: must be set before the layers");
	if (!n) {
		free(m->leads);
		m->leads = NULL;
		return BNN_OK;
	}
	if (m->input.channels < 2)
		return bnn__fail(err, BNN_E_CORRUPT,
				 "leads: a one-channel model names its lead in the input description, not in a leads section");
	if (n != m->input.channels)
		return bnn__fail(err, BNN_E_CORRUPT,
				 "leads: %u name%s for %u input channels (one per channel)",
				 n, n == 1 ? "" : "s", m->input.channels);
	for (uint32_t k = 0; k < n; k++) {
		size_t len;

		if (!names[k])
			return bnn__fail(err, BNN_E_INVAL,
					 "leads: channel %u: NULL name", k);
		len = strlen(names[k]);
		if (!len)
			return bnn__fail(err, BNN_E_RANGE,
					 "leads: channel %u: empty name", k);
		if (len >= BNN_LEAD_MAX)
			return bnn__fail(err, BNN_E_RANGE,
					 "leads: channel %u: name of %zu bytes, at most %d",
					 k, len, BNN_LEAD_MAX - 1);
		if (!bnn__utf8_ok(names[k], len))
			return bnn__fail(err, BNN_E_CORRUPT,
					 "leads: channel %u: name is not printable UTF-8",
					 k);
		for (uint32_t j = 0; j < k; j++)
			if (same_name(names[k], names[j]))
				return bnn__fail(err, BNN_E_CORRUPT,
						 "leads: channel %u: lead '%s' repeats channel %u's '%s'",
						 k, names[k], j, names[j]);
	}
	v = bnn__calloc(n, sizeof(*v));
	if (!v)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	for (uint32_t k = 0; k < n; k++)
		memcpy(v[k], names[k], strlen(names[k]));
	free(m->leads);
	m->leads = v;
	memcpy(m->input.lead, v[0], BNN_LEAD_MAX);
	return BNN_OK;
}

const char *bnn_model_lead(const bnn_model *m, uint32_t ch)
{
	if (!m || ch >= m->input.channels)
		return NULL;
	if (m->leads)
		return m->leads[ch];
	return ch ? "" : m->input.lead;
}
