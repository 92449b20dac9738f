/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * RBNN device-model parameters: defaults, validation and the analytic
 * programming bit-error rate of the log-normal cell model.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rbnn_regs.h"
#include "rbnn_params.h"

/*
 * Upper bounds that keep the model's memory and arithmetic sane; they are
 * not physical limits. Total cells bound the per-cell float arrays.
 */
#define RBNN_MAX_TILES		1024u
#define RBNN_MAX_ROWS		65536u
#define RBNN_MAX_COLS		8192u
#define RBNN_MAX_CELLS		(1ull << 28)
#define RBNN_MAX_ACT_BUF	(16u << 20)
#define RBNN_MAX_LAYERS		4096u
#define RBNN_MAX_SGL		(1u << 20)
#define RBNN_MAX_BATCH		(1u << 20)

void rbnn_params_default(struct rbnn_params *p)
{
	memset(p, 0, sizeof(*p));
	p->tiles = 16;
	p->rows = 256;
	p->cols = 256;
	p->act_buf_size = 65536;
	p->max_layers = 32;
	p->max_sgl = 65536;
	p->max_batch = 65536;

	p->cell_mode = RBNN_CELL_2T2R;
	p->error_model = true;
	p->seed = 1;

	p->prog_current_ua = 100.0;
	p->pulse_ns = 100;
	p->verify_max = 8;
	p->prog_voltage_v = 1.5;

	p->lrs_k_v = 0.45;
	p->lrs_sigma_ref = 0.15;
	p->lrs_sigma_iref_ua = 100.0;
	p->lrs_sigma_exp = 0.5;
	p->hrs_median_kohm = 150.0;
	p->hrs_sigma = 0.55;
	p->verify_margin = 1.1;

	p->reset_voltage_v = RBNN_REF_VOLTAGE_V;
	p->hrs_v_slope = 2.0;
	p->hrs_pulse_exp = 0.1;
	p->sw_fail = 1.3e-5;
	p->sw_fail_i_exp = 2.0;
	p->sw_fail_v_scale = 0.1;
	p->sw_fail_t_exp = 1.0;
	p->d2d_frac = 0.3;
	p->verify_step = 0.1;

	p->read_ber = 1e-9;
	p->read_disturb = 0.0;
	p->read_disturb_n0 = 1e6;

	p->endurance = 1e6;
	p->endurance_sigma = 0.5;
	p->wear_accel = 1;
	p->endurance_exp = 4.5;
	p->window_loss = 1.0;

	p->drift_nu = 0.03;
	p->drift_nu_sigma = 0.02;
	p->drift_tau_s = 1.0;
	p->drift_lrs_ratio = 0.5;
	p->drift_ea_ev = 1.1;
	p->temperature_c = RBNN_REF_TEMP_C;

	p->vdd_v = RBNN_REF_VDD_V;
	p->sa_offset_sigma = 0.1;
	p->leak_uw = 0.0;

	p->e_read_fj = 15.0;
	p->e_popcount_fj = 500.0;
	p->e_dma_fj = 40000.0;
	p->e_cmd_fj = 100000.0;

	p->timing = 0;
	p->t_read_ns = 10.0;
	p->t_dma_ns_per_byte = 0.1;
	p->t_cmd_ns = 500.0;
	p->prog_parallel = 64;

	p->debug = false;
	p->fault_hang_cmd = 0;
	p->fault_dma_every = 0;
	p->fault_irq_every = 0;
}

/* A uint32_t property within [lo, hi]. */
struct u32_rule {
	const char *name;
	size_t off;
	uint32_t lo, hi;
};

/* A double property within [lo, hi] (finite; lo_open excludes lo). */
struct dbl_rule {
	const char *name;
	size_t off;
	double lo, hi;
	bool lo_open;
};

#define U32(field, name, lo, hi) \
	{ name, offsetof(struct rbnn_params, field), lo, hi }
#define DBL(field, name, lo, hi, open) \
	{ name, offsetof(struct rbnn_params, field), lo, hi, open }

static const struct u32_rule u32_rules[] = {
	U32(tiles, "tiles", 1, RBNN_MAX_TILES),
	U32(rows, "rows", 1, RBNN_MAX_ROWS),
	U32(cols, "cols", 64, RBNN_MAX_COLS),
	U32(act_buf_size, "act-buf-size", 64, RBNN_MAX_ACT_BUF),
	U32(max_layers, "max-layers", 1, RBNN_MAX_LAYERS),
	U32(max_sgl, "max-sgl", 1, RBNN_MAX_SGL),
	U32(max_batch, "max-batch", 1, RBNN_MAX_BATCH),
	U32(cell_mode, "cell-mode", RBNN_CELL_2T2R, RBNN_CELL_1T1R),
	U32(pulse_ns, "pulse-ns", 10, 10000),
	U32(verify_max, "verify-max", 0, 64),
	U32(wear_accel, "x-wear-accel", 1, 1000000000),
	U32(timing, "timing", 0, 1),
	U32(prog_parallel, "prog-parallel", 1, 1u << 20),
};

static const struct dbl_rule dbl_rules[] = {
	DBL(prog_current_ua, "prog-current-ua", 1.0, 1000.0, false),
	DBL(prog_voltage_v, "prog-voltage-v", 0.0, 100.0, true),
	DBL(lrs_k_v, "lrs-k-v", 0.0, 1e3, true),
	DBL(lrs_sigma_ref, "lrs-sigma-ref", 0.0, 10.0, false),
	DBL(lrs_sigma_iref_ua, "lrs-sigma-iref-ua", 0.0, 1e6, true),
	DBL(lrs_sigma_exp, "lrs-sigma-exp", 0.0, 10.0, false),
	DBL(hrs_median_kohm, "hrs-median-kohm", 0.0, 1e9, true),
	DBL(hrs_sigma, "hrs-sigma", 0.0, 10.0, false),
	DBL(verify_margin, "verify-margin", 0.0, 100.0, false),
	DBL(reset_voltage_v, "reset-voltage-v", 0.5, 3.0, false),
	DBL(hrs_v_slope, "hrs-v-slope", 0.0, 20.0, false),
	DBL(hrs_pulse_exp, "hrs-pulse-exp", 0.0, 2.0, false),
	DBL(sw_fail, "sw-fail", 0.0, 0.5, false),
	DBL(sw_fail_i_exp, "sw-fail-i-exp", 0.0, 10.0, false),
	DBL(sw_fail_v_scale, "sw-fail-v-scale", 0.0, 10.0, true),
	DBL(sw_fail_t_exp, "sw-fail-t-exp", 0.0, 10.0, false),
	DBL(d2d_frac, "d2d-frac", 0.0, 1.0, false),
	DBL(verify_step, "verify-step", 0.0, 10.0, false),
	DBL(read_ber, "read-ber", 0.0, 0.5, false),
	DBL(read_disturb, "read-disturb", 0.0, 10.0, false),
	DBL(read_disturb_n0, "read-disturb-n0", 1.0, 1e15, false),
	DBL(endurance, "endurance", 1.0, 1e18, false),
	DBL(endurance_sigma, "endurance-sigma", 0.0, 10.0, false),
	DBL(endurance_exp, "endurance-exp", 0.0, 10.0, false),
	DBL(window_loss, "window-loss", 0.0, 100.0, false),
	DBL(drift_nu, "drift-nu", 0.0, 10.0, false),
	DBL(drift_nu_sigma, "drift-nu-sigma", 0.0, 10.0, false),
	DBL(drift_tau_s, "drift-tau-s", 0.0, 1e12, true),
	DBL(drift_lrs_ratio, "drift-lrs-ratio", 0.0, 10.0, false),
	DBL(drift_ea_ev, "drift-ea-ev", 0.0, 5.0, false),
	DBL(temperature_c, "temperature-c", RBNN_TEMP_MIN_C, RBNN_TEMP_MAX_C,
	    false),
	DBL(vdd_v, "vdd-v", 0.8, 1.5, false),
	DBL(sa_offset_sigma, "sa-offset-sigma", 0.0, 10.0, false),
	DBL(leak_uw, "leak-uw", 0.0, 1e6, false),
	DBL(e_read_fj, "e-read-fj", 0.0, 1e12, false),
	DBL(e_popcount_fj, "e-popcount-fj", 0.0, 1e12, false),
	DBL(e_dma_fj, "e-dma-fj", 0.0, 1e12, false),
	DBL(e_cmd_fj, "e-cmd-fj", 0.0, 1e15, false),
	DBL(t_read_ns, "t-read-ns", 0.0, 1e9, false),
	DBL(t_dma_ns_per_byte, "t-dma-ns-per-byte", 0.0, 1e6, false),
	DBL(t_cmd_ns, "t-cmd-ns", 0.0, 1e9, false),
};

/* The properties that are neither range-checked uint32 nor double. */
enum other_kind { O_U64, O_BOOL, O_U32 };

struct other_field {
	const char *name;
	size_t off;
	enum other_kind kind;
};

#define OTHER(field, name, kind) \
	{ name, offsetof(struct rbnn_params, field), kind }

static const struct other_field other_fields[] = {
	OTHER(seed, "seed", O_U64),
	OTHER(error_model, "error-model", O_BOOL),
	OTHER(debug, "x-debug", O_BOOL),
	OTHER(fault_hang_cmd, "x-fault-hang-cmd", O_U32),
	OTHER(fault_dma_every, "x-fault-dma-every", O_U32),
	OTHER(fault_irq_every, "x-fault-irq-every", O_U32),
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int check_u32(const struct rbnn_params *p, const struct u32_rule *r,
		     char *err, size_t errlen)
{
	uint32_t v;

	memcpy(&v, (const char *)p + r->off, sizeof(v));
	if (v >= r->lo && v <= r->hi)
		return 0;
	snprintf(err, errlen, "%s must be in %u..%u (got %u)",
		 r->name, r->lo, r->hi, v);
	return -1;
}

static int check_dbl(const struct rbnn_params *p, const struct dbl_rule *r,
		     char *err, size_t errlen)
{
	double v;

	memcpy(&v, (const char *)p + r->off, sizeof(v));
	if (isfinite(v) && v <= r->hi && (r->lo_open ? v > r->lo : v >= r->lo))
		return 0;
	snprintf(err, errlen, "%s must be in %s%g..%g] (got %g)", r->name,
		 r->lo_open ? "(" : "[", r->lo, r->hi, v);
	return -1;
}

int rbnn_params_check(const struct rbnn_params *p, char *err, size_t errlen)
{
	size_t i;

	if (errlen)
		err[0] = '\0';
	for (i = 0; i < NELEM(u32_rules); i++)
		if (check_u32(p, &u32_rules[i], err, errlen))
			return -1;
	for (i = 0; i < NELEM(dbl_rules); i++)
		if (check_dbl(p, &dbl_rules[i], err, errlen))
			return -1;
	if (p->cols % 64) {
		snprintf(err, errlen, "cols must be a multiple of 64 (got %u)",
			 p->cols);
		return -1;
	}
	if (p->act_buf_size % 16) {
		snprintf(err, errlen,
			 "act-buf-size must be a multiple of 16 (got %u)",
			 p->act_buf_size);
		return -1;
	}
	if ((uint64_t)p->tiles * p->rows * p->cols > RBNN_MAX_CELLS) {
		snprintf(err, errlen,
			 "tiles * rows * cols must be at most %llu cells",
			 (unsigned long long)RBNN_MAX_CELLS);
		return -1;
	}
	return 0;
}

/* Standard normal CDF. */
/*
 * ---- the properties in a migration state ----
 * Every property but temperature-c (which migrates with the array, and
 * qom-set may change at run time), 8 bytes each, little-endian, in table
 * order: the destination must have been created with the same ones.
 */

/* A double is compared and stored by its bits: -0 and 0 differ, as given. */
static uint64_t field_bits(const struct rbnn_params *p, size_t i,
			   const char **name, bool *is_dbl)
{
	uint64_t v = 0;
	uint32_t u;
	double d;
	bool b;

	*is_dbl = false;
	if (i < NELEM(u32_rules)) {
		memcpy(&u, (const char *)p + u32_rules[i].off, sizeof(u));
		*name = u32_rules[i].name;
		return u;
	}
	i -= NELEM(u32_rules);
	if (i < NELEM(dbl_rules)) {
		memcpy(&d, (const char *)p + dbl_rules[i].off, sizeof(d));
		memcpy(&v, &d, sizeof(v));
		*name = dbl_rules[i].name;
		*is_dbl = true;
		return v;
	}
	i -= NELEM(dbl_rules);
	*name = other_fields[i].name;
	switch (other_fields[i].kind) {
	case O_U64:
		memcpy(&v, (const char *)p + other_fields[i].off, sizeof(v));
		return v;
	case O_BOOL:
		memcpy(&b, (const char *)p + other_fields[i].off, sizeof(b));
		return b;
	default:
		memcpy(&u, (const char *)p + other_fields[i].off, sizeof(u));
		return u;
	}
}

static size_t nfields(void)
{
	return NELEM(u32_rules) + NELEM(dbl_rules) + NELEM(other_fields);
}

static bool migrates_with_state(const char *name)
{
	return strcmp(name, "temperature-c") == 0;
}

size_t rbnn_params_state_size(void)
{
	return 8 * nfields();
}

void rbnn_params_save(const struct rbnn_params *p, uint8_t *buf)
{
	const char *name;
	bool is_dbl;
	size_t i;
	int k;

	for (i = 0; i < nfields(); i++) {
		uint64_t v = field_bits(p, i, &name, &is_dbl);

		if (migrates_with_state(name))
			v = 0;
		for (k = 0; k < 8; k++)
			*buf++ = (uint8_t)(v >> (8 * k));
	}
}

int rbnn_params_compare_state(const struct rbnn_params *p, const uint8_t *buf,
			      size_t len, char *err, size_t errlen)
{
	const char *name;
	bool is_dbl;
	size_t i;
	int k;

	if (errlen)
		err[0] = '\0';
	if (len != rbnn_params_state_size()) {
		snprintf(err, errlen, "the saved properties are %zu bytes, "
			 "not %zu (another version of the card)", len,
			 rbnn_params_state_size());
		return -1;
	}
	for (i = 0; i < nfields(); i++, buf += 8) {
		uint64_t mine = field_bits(p, i, &name, &is_dbl), theirs = 0;
		double a, b;

		for (k = 0; k < 8; k++)
			theirs |= (uint64_t)buf[k] << (8 * k);
		if (migrates_with_state(name) || mine == theirs)
			continue;
		if (is_dbl) {
			memcpy(&a, &theirs, sizeof(a));
			memcpy(&b, &mine, sizeof(b));
			snprintf(err, errlen, "property %s differs: %.17g on the "
				 "source, %.17g here", name, a, b);
		} else {
			snprintf(err, errlen, "property %s differs: %llu on the "
				 "source, %llu here", name,
				 (unsigned long long)theirs,
				 (unsigned long long)mine);
		}
		return -1;
	}
	return 0;
}

static double phi(double x)
{
	return 0.5 * erfc(-x / sqrt(2.0));
}

double rbnn_params_sw_fail(const struct rbnn_params *p, double current_ua,
			   double pulse_ns)
{
	double f;

	if (!(current_ua > 0) || !(pulse_ns > 0))
		return 0.5;
	f = p->sw_fail * pow(RBNN_REF_CURRENT_UA / current_ua, p->sw_fail_i_exp) *
	    exp(-(p->reset_voltage_v - RBNN_REF_VOLTAGE_V) / p->sw_fail_v_scale) *
	    pow(RBNN_REF_PULSE_NS / pulse_ns, p->sw_fail_t_exp);
	return f < 0.5 ? f : 0.5;
}

double rbnn_params_ln_hrs(const struct rbnn_params *p, double pulse_ns)
{
	return log(p->hrs_median_kohm * 1e3) +
	       p->hrs_v_slope * (p->reset_voltage_v - RBNN_REF_VOLTAGE_V) +
	       p->hrs_pulse_exp * log(pulse_ns / RBNN_REF_PULSE_NS);
}

double rbnn_params_wear_per_cycle(const struct rbnn_params *p,
				  double current_ua, double pulse_ns)
{
	double e = p->prog_voltage_v * current_ua * pulse_ns;
	double e_ref = RBNN_REF_VOLTAGE_V * RBNN_REF_CURRENT_UA *
		       RBNN_REF_PULSE_NS;

	return pow(e / e_ref, p->endurance_exp);
}

double rbnn_params_endurance_at(const struct rbnn_params *p,
				double current_ua, double pulse_ns)
{
	return p->endurance / rbnn_params_wear_per_cycle(p, current_ua,
							 pulse_ns);
}

double rbnn_params_arrhenius(const struct rbnn_params *p, double temp_c)
{
	const double k_ev = 8.617333262e-5;	/* Boltzmann, eV/K */
	double t = temp_c + 273.15, t0 = RBNN_REF_TEMP_C + 273.15;

	return exp(p->drift_ea_ev / k_ev * (1.0 / t0 - 1.0 / t));
}

/* Standard normal tail Q(z) = P(N(0,1) > z); sigma 0 is a step. */
static double qtail(double mean, double s)
{
	if (s > 0)
		return phi(-mean / s);
	return mean > 0 ? 0.0 : 1.0;
}

/*
 * The model samples each device of a cell from its state's log-normal
 * distribution, except that with probability f (switching failure) the
 * device is left in the other state (sampled from that distribution).
 * The sense amplifier of a column adds an offset ~ Normal(0, o) in ln
 * units; over columns it adds o^2 to the variance of the decision.
 */
double rbnn_params_expected_ber(const struct rbnn_params *p, double current_ua)
{
	double mu_l, s_l, mu_h, s_h, ln_ref, f, o, pulse = p->pulse_ns;

	if (!(current_ua > 0))
		return 0.5;
	mu_l = log(p->lrs_k_v / (current_ua * 1e-6));
	s_l = p->lrs_sigma_ref *
	      pow(p->lrs_sigma_iref_ua / current_ua, p->lrs_sigma_exp);
	mu_h = rbnn_params_ln_hrs(p, pulse);
	s_h = p->hrs_sigma;
	f = rbnn_params_sw_fail(p, current_ua, pulse);
	o = p->sa_offset_sigma * RBNN_REF_VDD_V / p->vdd_v;

	if (p->cell_mode == RBNN_CELL_2T2R) {
		double m = mu_h - mu_l;
		double ok = qtail(m, sqrt(s_l * s_l + s_h * s_h + o * o));
		double both = qtail(-m, sqrt(s_l * s_l + s_h * s_h + o * o));

		/*
		 * Both switched: margin m; one failed: two devices in the
		 * same state, a coin flip; both failed: margin -m.
		 */
		return (1 - f) * (1 - f) * ok + f * (1 - f) + f * f * both;
	}

	/* 1T1R: reference at the geometric mean for the default conditions. */
	ln_ref = 0.5 * (log(p->lrs_k_v / (p->prog_current_ua * 1e-6)) + mu_h);
	{
		double sl = sqrt(s_l * s_l + o * o), sh = sqrt(s_h * s_h + o * o);
		double p1 = (1 - f) * qtail(ln_ref - mu_l, sl) +
			    f * (1 - qtail(mu_h - ln_ref, sh));
		double p0 = (1 - f) * qtail(mu_h - ln_ref, sh) +
			    f * (1 - qtail(ln_ref - mu_l, sl));

		return 0.5 * (p1 + p0);
	}
}
