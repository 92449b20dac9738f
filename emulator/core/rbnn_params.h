/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * RBNN device-model parameters: geometry, cell physics, energy and time.
 *
 * Every physical parameter has a default and a source (or "assumption") in
 * Documentation/rbnn-device.rst, section "Cell and array physics". The
 * QEMU device exposes each of them as a -device property of the same name
 * (underscores become dashes).
 */
#ifndef RBNN_PARAMS_H
#define RBNN_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rbnn_params {
	/* geometry */
	uint32_t tiles;			/* 16 */
	uint32_t rows;			/* 256 rows per tile */
	uint32_t cols;			/* 256 columns per tile, multiple of 64 */
	uint32_t act_buf_size;		/* 65536 bytes of activation SRAM */
	uint32_t max_layers;		/* 32 */
	uint32_t max_sgl;		/* 65536 SG entries per buffer */
	uint32_t max_batch;		/* 65536 items per EXEC */

	/* cell model */
	uint32_t cell_mode;		/* RBNN_CELL_2T2R */
	bool error_model;		/* true: programming/read/wear/drift errors */
	uint64_t seed;			/* 1 */

	/* programming (defaults a command may override) */
	double prog_current_ua;		/* 100 uA compliance current */
	uint32_t pulse_ns;		/* 100 ns */
	uint32_t verify_max;		/* 8 extra pulses per cell at most */
	double prog_voltage_v;		/* 1.5 V, for pulse energy */

	/* resistance distributions (log-normal; sigma in ln-ohm units) */
	double lrs_k_v;			/* 0.45 V: median R_LRS = k / I */
	double lrs_sigma_ref;		/* 0.15 at the reference current */
	double lrs_sigma_iref_ua;	/* 100 uA reference current */
	double lrs_sigma_exp;		/* 0.5: sigma = ref * (iref / I)^exp */
	double hrs_median_kohm;		/* 150 kOhm */
	double hrs_sigma;		/* 0.55 */
	double verify_margin;		/* 1.1 = ln(3): verify target */

	/* transient sense errors */
	double read_ber;		/* 1e-9 per cell read */

	/* endurance */
	double endurance;		/* 1e6 median cycles to failure */
	double endurance_sigma;		/* 0.5 (ln units) */
	uint32_t wear_accel;		/* 1: cycles counted per program */

	/* drift: margin loss nu * ln(1 + t / tau) per cell */
	double drift_nu;		/* 0.03 mean */
	double drift_nu_sigma;		/* 0.02 */
	double drift_tau_s;		/* 1 s */

	/* energy */
	double e_read_fj;		/* 15 fJ per cell read (PCSA) */
	double e_popcount_fj;		/* 500 fJ per row popcount+compare */
	double e_dma_fj;		/* 40000 fJ per DMA byte */
	double e_cmd_fj;		/* 100000 fJ per command (control) */

	/* time */
	uint32_t timing;		/* 0 instant, 1 modeled */
	double t_read_ns;		/* 10 ns per row read */
	double t_dma_ns_per_byte;	/* 0.1 ns per byte */
	double t_cmd_ns;		/* 500 ns per command */
	uint32_t prog_parallel;		/* 64 cells programmed in parallel */

	/* debug and fault injection */
	bool debug;			/* false: debug registers inactive */
	uint32_t fault_hang_cmd;	/* 0 off; N: the Nth command hangs */
	uint32_t fault_dma_every;	/* 0 off; N: every Nth command DMA fails */
	uint32_t fault_irq_every;	/* 0 off; N: every Nth interrupt lost */
};

/* Fill @p with the documented defaults. */
void rbnn_params_default(struct rbnn_params *p);

/*
 * Check @p. Returns 0, or -1 with a one-line reason in @err (which names
 * the offending property).
 */
int rbnn_params_check(const struct rbnn_params *p, char *err, size_t errlen);

/*
 * Expected probability that a freshly programmed cell reads wrong, for
 * the cell mode in @p at programming current @current_ua, without verify.
 */
double rbnn_params_expected_ber(const struct rbnn_params *p, double current_ua);

#endif /* RBNN_PARAMS_H */
