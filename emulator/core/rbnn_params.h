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

/* Reference programming conditions of the calibration (Documentation). */
#define RBNN_REF_CURRENT_UA	100.0
#define RBNN_REF_PULSE_NS	100.0
#define RBNN_REF_VOLTAGE_V	1.5
#define RBNN_REF_TEMP_C		25.0
#define RBNN_REF_VDD_V		1.2
#define RBNN_VTH_V		0.4	/* alpha-power delay model */
#define RBNN_TEMP_MIN_C		(-40.0)
#define RBNN_TEMP_MAX_C		200.0

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

	/*
	 * Programming conditions (issue 15). Reference conditions are
	 * RBNN_REF_CURRENT_UA, RBNN_REF_PULSE_NS and RBNN_REF_VOLTAGE_V.
	 */
	double reset_voltage_v;		/* 1.5 V RESET pulse amplitude */
	double hrs_v_slope;		/* 2.0 ln-ohm of HRS median per V */
	double hrs_pulse_exp;		/* 0.1: HRS median ~ pulse^exp */
	double sw_fail;			/* 1.3e-5 per device pulse at ref */
	double sw_fail_i_exp;		/* 2: ~ (I_ref / I)^exp */
	double sw_fail_v_scale;		/* 0.1 V: ~ exp(-(V - V_ref) / s) */
	double sw_fail_t_exp;		/* 1: ~ (t_ref / pulse)^exp */
	double d2d_frac;		/* 0.3 of the variance per device */
	double verify_step;		/* 0.1: each re-pulse +10 % current */

	/* transient sense errors */
	double read_ber;		/* 1e-9 per cell read */
	double read_disturb;		/* 0 (off): ln units per e-fold of reads */
	double read_disturb_n0;		/* 1e6 reads before disturb starts */

	/* endurance */
	double endurance;		/* 1e6 median cycles to failure */
	double endurance_sigma;		/* 0.5 (ln units) */
	uint32_t wear_accel;		/* 1: cycles counted per program */
	double endurance_exp;		/* 4.5: life ~ (E_ref / E)^exp */
	double window_loss;		/* 1.0 ln units lost at median life */

	/* drift: margin loss nu * ln(1 + t / tau) per cell */
	double drift_nu;		/* 0.03 mean */
	double drift_nu_sigma;		/* 0.02 */
	double drift_tau_s;		/* 1 s */
	double drift_lrs_ratio;		/* 0.5: 1T1R LRS drifts this much */
	double drift_ea_ev;		/* 1.1 eV Arrhenius activation */
	double temperature_c;		/* 25 C array temperature */

	/* sense amplifier and supply */
	double vdd_v;			/* 1.2 V (130 nm core supply) */
	double sa_offset_sigma;		/* 0.1 ln units per column at 1.2 V */
	double leak_uw;			/* 0 uW array leakage at 1.2 V */

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
 * The properties a migration state carries so that the destination can
 * check it was created with the same ones: rbnn_params_state_size() bytes
 * written by rbnn_params_save(). rbnn_params_compare_state() returns 0 if
 * @p has the same properties as the saved ones, else -1 with the first
 * one that differs (both values) in @err. temperature-c is not compared
 * (it migrates with the array state).
 */
size_t rbnn_params_state_size(void);
void rbnn_params_save(const struct rbnn_params *p, uint8_t *buf);
int rbnn_params_compare_state(const struct rbnn_params *p, const uint8_t *buf,
			      size_t len, char *err, size_t errlen);

/*
 * Expected probability that a freshly programmed cell reads wrong, for
 * the cell mode in @p at programming current @current_ua, without verify.
 */
double rbnn_params_expected_ber(const struct rbnn_params *p, double current_ua);

/*
 * Probability that one device pulse fails to switch at @current_ua with
 * the RESET voltage and pulse width of @p (clipped to 0.5).
 */
double rbnn_params_sw_fail(const struct rbnn_params *p, double current_ua,
			   double pulse_ns);

/* ln-ohm median of R_HRS for the RESET voltage and @pulse_ns of @p. */
double rbnn_params_ln_hrs(const struct rbnn_params *p, double pulse_ns);

/*
 * Wear of one program cycle at @current_ua and @pulse_ns in reference
 * cycles: (E / E_ref)^endurance_exp, E = prog_voltage_v * I * pulse.
 */
double rbnn_params_wear_per_cycle(const struct rbnn_params *p,
				  double current_ua, double pulse_ns);

/* Median endurance in cycles at @current_ua and @pulse_ns. */
double rbnn_params_endurance_at(const struct rbnn_params *p,
				double current_ua, double pulse_ns);

/*
 * Arrhenius acceleration of retention at @temp_c against the reference
 * temperature: exp(Ea / k * (1 / T_ref - 1 / T)).
 */
double rbnn_params_arrhenius(const struct rbnn_params *p, double temp_c);

#endif /* RBNN_PARAMS_H */
