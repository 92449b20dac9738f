// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * policy.c - libbnn: the scrub policy's interval (policy.h).
 */
#include "policy.h"

#include "rbnn_params.h"

double bnn__scrub_interval_s(double temp_c)
{
	struct rbnn_params p;

	/* The card's defaults: the drift activation energy it ages with. */
	rbnn_params_default(&p);
	return BNN_SCRUB_BUDGET_S / rbnn_params_arrhenius(&p, temp_c);
}
