/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * backend_emu.h - libbnn internal: what the `emu` backend reports beyond
 * struct bnn_stats (which has no place for the one-off cost of
 * programming the weights).
 */
#ifndef BNN_BACKEND_EMU_H
#define BNN_BACKEND_EMU_H

#include <stdint.h>

#include "backend.h"

/* The modeled cost of the last bnn_prepare() on an emu context: one
 * PROGRAM_ROWS command per run of consecutive rows (with verify when
 * opts.verify), one LOAD_THRESH per run of thresholds, costed like the
 * card (command overhead, DMA of the command, completion and data). */
struct bnn__emu_prog_stats {
	uint64_t rows;		/* rows programmed */
	uint64_t cmds;		/* PROGRAM_ROWS + LOAD_THRESH commands */
	uint64_t pulses;	/* device programming pulses */
	uint64_t unverified;	/* cells that never passed verify */
	uint64_t device_ns;	/* modeled time */
	double device_energy_pj;	/* modeled energy */
	/* the scrub policy while aging (opts.scrub), included above */
	uint64_t scrubs;	/* read-verify scrubs of every row */
	uint64_t scrub_rewritten;	/* rows read wrong, programmed again */
	uint64_t scrub_weak;	/* weak cells the refreshes found */
};

/* BNN_E_INVAL when `be` is not an emu context. */
int bnn__emu_prog_stats(const struct bnn_backend *be,
			struct bnn__emu_prog_stats *out);

#endif /* BNN_BACKEND_EMU_H */
