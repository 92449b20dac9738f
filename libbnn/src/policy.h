/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * policy.h - libbnn internal: the scrub policy, one definition for every
 * backend that ages cells (Documentation/user-guide.md, "Scrub policy").
 *
 * When: before the card's cells have drifted for BNN_SCRUB_BUDGET_S of
 * retention time at the reference temperature since they were last
 * programmed or scrubbed.  Retention ages by the Arrhenius factor of the
 * array temperature (the device core's rbnn_params_arrhenius()), so the
 * interval in wall-clock time shrinks at high temperature.
 *
 * How (read-verify): every programmed row is sensed and compared with the
 * host's copy of its weights.  A row that reads wrong is programmed again
 * from that copy (with program-and-verify); a row that reads right gets a
 * REFRESH, which restores the margins drift ate without a host transfer.
 */
#ifndef BNN_POLICY_H
#define BNN_POLICY_H

#include <stdint.h>

/* One year of retention at the reference temperature (25 C): the margin
 * lost by then is a fraction of the verify margin (rbnn-device.rst,
 * "Drift and retention"), so a refresh still reads every cell right. */
#define BNN_SCRUB_BUDGET_S (365.25 * 86400.0)

/* Scrubs one aging may run (emulated time is cheap, not free). */
#define BNN_SCRUB_MAX_STEPS 1000000

/* Wall-clock seconds between scrubs at temp_c (in the device's range,
 * -40..200 C); > 0. */
double bnn__scrub_interval_s(double temp_c);

/* Is a scrub due: age_s seconds of array age now, last_s at the last
 * programming or scrub, at temp_c?  An age that went back (a card reset
 * or another card) counts as due: the rows may have changed. */
int bnn__scrub_due(double age_s, double last_s, double temp_c);

/* What the read-verify does with a row of cols bits (whole 64-bit
 * words) that read back as `read` where the model has `model`. */
enum bnn__scrub_action {
	BNN_SCRUB_REFRESH = 0,	/* reads right: refresh the margins */
	BNN_SCRUB_REPROGRAM = 1,	/* reads wrong: program it again */
};
enum bnn__scrub_action bnn__scrub_row(const uint64_t *read,
				      const uint64_t *model, uint32_t cols);

#endif /* BNN_POLICY_H */
