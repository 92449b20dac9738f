// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * policy.c - libbnn: the scrub policy's interval and row decision
 * (policy.h), shared by the emu and rbnn backends.
 */
#include "policy.h"

#include "rbnn_params.h"

#include <string.h>

double bnn__scrub_interval_s(double temp_c)
{
	struct rbnn_params p;

	/* The card's defaults: the drift activation energy it ages with. */
	rbnn_params_default(&p);
	return BNN_SCRUB_BUDGET_S / rbnn_params_arrhenius(&p, temp_c);
}

int bnn__scrub_due(double age_s, double last_s, double temp_c)
{
	if (age_s < last_s)
		return 1;
	return age_s - last_s >= bnn__scrub_interval_s(temp_c);
}

enum bnn__scrub_action bnn__scrub_row(const uint64_t *read,
				      const uint64_t *model, uint32_t cols)
{
	return memcmp(read, model, (size_t)(cols / 64) * 8) ?
		BNN_SCRUB_REPROGRAM : BNN_SCRUB_REFRESH;
}
