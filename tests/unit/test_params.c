/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * Unit tests: device-model parameters (defaults, validation, analytic BER).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rbnn_regs.h"
#include "rbnn_params.h"

static void test_defaults(void **state)
{
	struct rbnn_params p;

	(void)state;
	memset(&p, 0xa5, sizeof(p));
	rbnn_params_default(&p);
	assert_int_equal(p.tiles, 16);
	assert_int_equal(p.rows, 256);
	assert_int_equal(p.cols, 256);
	assert_int_equal(p.act_buf_size, 65536);
	assert_int_equal(p.max_layers, 32);
	assert_int_equal(p.max_sgl, 65536);
	assert_int_equal(p.max_batch, 65536);
	assert_int_equal(p.cell_mode, RBNN_CELL_2T2R);
	assert_true(p.error_model);
	assert_int_equal(p.seed, 1);
	assert_true(p.prog_current_ua == 100.0);
	assert_int_equal(p.pulse_ns, 100);
	assert_int_equal(p.verify_max, 8);
	assert_true(p.prog_voltage_v == 1.5);
	assert_true(p.lrs_k_v == 0.45);
	assert_true(p.lrs_sigma_ref == 0.15);
	assert_true(p.lrs_sigma_iref_ua == 100.0);
	assert_true(p.lrs_sigma_exp == 0.5);
	assert_true(p.hrs_median_kohm == 150.0);
	assert_true(p.hrs_sigma == 0.55);
	assert_true(p.verify_margin == 1.1);
	assert_true(p.read_ber == 1e-9);
	assert_true(p.endurance == 1e6);
	assert_true(p.endurance_sigma == 0.5);
	assert_int_equal(p.wear_accel, 1);
	assert_true(p.drift_nu == 0.03);
	assert_true(p.drift_nu_sigma == 0.02);
	assert_true(p.drift_tau_s == 1.0);
	assert_true(p.e_read_fj == 15.0);
	assert_true(p.e_popcount_fj == 500.0);
	assert_true(p.e_dma_fj == 40000.0);
	assert_true(p.e_cmd_fj == 100000.0);
	assert_int_equal(p.timing, 0);
	assert_true(p.t_read_ns == 10.0);
	assert_true(p.t_dma_ns_per_byte == 0.1);
	assert_true(p.t_cmd_ns == 500.0);
	assert_int_equal(p.prog_parallel, 64);
	assert_false(p.debug);
	assert_int_equal(p.fault_hang_cmd, 0);
	assert_int_equal(p.fault_dma_every, 0);
	assert_int_equal(p.fault_irq_every, 0);
}

static void test_defaults_valid(void **state)
{
	struct rbnn_params p;
	char err[128] = "x";

	(void)state;
	rbnn_params_default(&p);
	assert_int_equal(rbnn_params_check(&p, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	/* Wide rows used by the benchmark are allowed. */
	p.cols = 4096;
	p.tiles = 4;
	assert_int_equal(rbnn_params_check(&p, err, sizeof(err)), 0);
	p.cell_mode = RBNN_CELL_1T1R;
	p.error_model = false;
	assert_int_equal(rbnn_params_check(&p, err, sizeof(err)), 0);
}

struct bad_case {
	const char *what;	/* substring expected in the message */
	void (*set)(struct rbnn_params *p);
};

#define BAD(name, expr) \
	static void set_##name(struct rbnn_params *p) { expr; }
BAD(cols_odd, p->cols = 100)
BAD(cols_zero, p->cols = 0)
BAD(cols_huge, p->cols = 1u << 20)
BAD(tiles_zero, p->tiles = 0)
BAD(rows_zero, p->rows = 0)
BAD(cells, (p->tiles = 1024, p->rows = 65536, p->cols = 4096))
BAD(act_zero, p->act_buf_size = 0)
BAD(act_odd, p->act_buf_size = 1000)
BAD(layers_zero, p->max_layers = 0)
BAD(sgl_zero, p->max_sgl = 0)
BAD(batch_zero, p->max_batch = 0)
BAD(cell_mode, p->cell_mode = 2)
BAD(current_zero, p->prog_current_ua = 0)
BAD(current_nan, p->prog_current_ua = NAN)
BAD(current_big, p->prog_current_ua = 5000)
BAD(pulse_short, p->pulse_ns = 5)
BAD(verify_max, p->verify_max = 65)
BAD(voltage, p->prog_voltage_v = 0)
BAD(lrs_k, p->lrs_k_v = -1)
BAD(lrs_sigma, p->lrs_sigma_ref = -0.1)
BAD(lrs_iref, p->lrs_sigma_iref_ua = 0)
BAD(lrs_exp, p->lrs_sigma_exp = INFINITY)
BAD(hrs_median, p->hrs_median_kohm = 0)
BAD(hrs_sigma, p->hrs_sigma = -1)
BAD(verify_margin, p->verify_margin = -1)
BAD(read_ber_big, p->read_ber = 0.6)
BAD(read_ber_nan, p->read_ber = NAN)
BAD(endurance, p->endurance = 0.5)
BAD(endurance_sigma, p->endurance_sigma = -1)
BAD(wear_accel, p->wear_accel = 0)
BAD(drift_nu, p->drift_nu = -0.1)
BAD(drift_nu_sigma, p->drift_nu_sigma = NAN)
BAD(drift_tau, p->drift_tau_s = 0)
BAD(e_read, p->e_read_fj = -1)
BAD(e_popcount, p->e_popcount_fj = INFINITY)
BAD(e_dma, p->e_dma_fj = -1)
BAD(e_cmd, p->e_cmd_fj = NAN)
BAD(timing, p->timing = 2)
BAD(t_read, p->t_read_ns = -1)
BAD(t_dma, p->t_dma_ns_per_byte = -0.5)
BAD(t_cmd, p->t_cmd_ns = INFINITY)
BAD(parallel, p->prog_parallel = 0)

static const struct bad_case bad_cases[] = {
	{ "cols must be a multiple of 64", set_cols_odd },
	{ "cols", set_cols_zero },
	{ "cols", set_cols_huge },
	{ "tiles", set_tiles_zero },
	{ "rows", set_rows_zero },
	{ "tiles * rows * cols", set_cells },
	{ "act-buf-size", set_act_zero },
	{ "act-buf-size must be a multiple of 16", set_act_odd },
	{ "max-layers", set_layers_zero },
	{ "max-sgl", set_sgl_zero },
	{ "max-batch", set_batch_zero },
	{ "cell-mode", set_cell_mode },
	{ "prog-current-ua", set_current_zero },
	{ "prog-current-ua", set_current_nan },
	{ "prog-current-ua", set_current_big },
	{ "pulse-ns", set_pulse_short },
	{ "verify-max", set_verify_max },
	{ "prog-voltage-v", set_voltage },
	{ "lrs-k-v", set_lrs_k },
	{ "lrs-sigma-ref", set_lrs_sigma },
	{ "lrs-sigma-iref-ua", set_lrs_iref },
	{ "lrs-sigma-exp", set_lrs_exp },
	{ "hrs-median-kohm", set_hrs_median },
	{ "hrs-sigma", set_hrs_sigma },
	{ "verify-margin", set_verify_margin },
	{ "read-ber", set_read_ber_big },
	{ "read-ber", set_read_ber_nan },
	{ "endurance", set_endurance },
	{ "endurance-sigma", set_endurance_sigma },
	{ "wear-accel", set_wear_accel },
	{ "drift-nu", set_drift_nu },
	{ "drift-nu-sigma", set_drift_nu_sigma },
	{ "drift-tau-s", set_drift_tau },
	{ "e-read-fj", set_e_read },
	{ "e-popcount-fj", set_e_popcount },
	{ "e-dma-fj", set_e_dma },
	{ "e-cmd-fj", set_e_cmd },
	{ "timing", set_timing },
	{ "t-read-ns", set_t_read },
	{ "t-dma-ns-per-byte", set_t_dma },
	{ "t-cmd-ns", set_t_cmd },
	{ "prog-parallel", set_parallel },
};

static void test_bad_params(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct rbnn_params p;
		char err[160];

		rbnn_params_default(&p);
		bad_cases[i].set(&p);
		memset(err, 0, sizeof(err));
		if (rbnn_params_check(&p, err, sizeof(err)) != -1)
			fail_msg("case %zu (%s) accepted", i, bad_cases[i].what);
		if (!strstr(err, bad_cases[i].what))
			fail_msg("case %zu: \"%s\" does not name \"%s\"", i,
				 err, bad_cases[i].what);
		/* Messages name properties with dashes, never underscores. */
		assert_null(strchr(err, '_'));
		/* A short buffer is truncated, not overrun. */
		memset(err, 'z', sizeof(err));
		assert_int_equal(rbnn_params_check(&p, err, 6), -1);
		assert_int_equal(strlen(err), 5);
		assert_int_equal(err[6], 'z');
		assert_int_equal(rbnn_params_check(&p, NULL, 0), -1);
	}
}

/*
 * Reference normal tail P(Z < -z) by Simpson integration of the density,
 * independent of the erfc the code under test uses.
 */
static double tail_ref(double z)
{
	const int n = 20000;
	double a = z, b = z + 14.0, h = (b - a) / n, s = 0;
	int i;

	for (i = 0; i <= n; i++) {
		double x = a + i * h;
		double f = exp(-0.5 * x * x) / sqrt(2 * M_PI);

		s += f * (i == 0 || i == n ? 1 : (i % 2 ? 4 : 2));
	}
	return s * h / 3;
}

static double rel_err(double x, double ref)
{
	return fabs(x - ref) / ref;
}

static void test_expected_ber_2t2r(void **state)
{
	struct rbnn_params p;
	double cur[] = { 5, 10, 20, 30, 100, 300 };
	size_t i;

	(void)state;
	rbnn_params_default(&p);
	for (i = 0; i < sizeof(cur) / sizeof(cur[0]); i++) {
		double mu_l = log(0.45 / (cur[i] * 1e-6));
		double s_l = 0.15 * sqrt(100.0 / cur[i]);
		double mu_h = log(150e3);
		double z = (mu_h - mu_l) / sqrt(s_l * s_l + 0.55 * 0.55);
		double ber = rbnn_params_expected_ber(&p, cur[i]);

		if (rel_err(ber, tail_ref(z)) > 1e-6)
			fail_msg("I=%g: ber %g ref %g", cur[i], ber,
				 tail_ref(z));
	}
	/* A hand-checked point: 20 uA gives z = 2.95, about 1.6e-3. */
	assert_true(fabs(rbnn_params_expected_ber(&p, 20) - 1.6e-3) < 0.1e-3);
	/* The default current is essentially error free (z ~ 6.15). */
	assert_true(rbnn_params_expected_ber(&p, 100) < 1e-9);
	/* Higher current, fewer errors. */
	for (i = 1; i < 1000; i++)
		assert_true(rbnn_params_expected_ber(&p, i + 1) <
			    rbnn_params_expected_ber(&p, i));
}

static void test_expected_ber_1t1r(void **state)
{
	struct rbnn_params p, p2;
	double cur[] = { 10, 30, 50, 100, 500 };
	size_t i;

	(void)state;
	rbnn_params_default(&p);
	p.cell_mode = RBNN_CELL_1T1R;
	rbnn_params_default(&p2);
	for (i = 0; i < sizeof(cur) / sizeof(cur[0]); i++) {
		double mu_l = log(0.45 / (cur[i] * 1e-6));
		double s_l = 0.15 * sqrt(100.0 / cur[i]);
		double mu_h = log(150e3);
		double ref = 0.5 * (log(0.45 / 100e-6) + mu_h);
		double want = 0.5 * (tail_ref((ref - mu_l) / s_l) +
				     tail_ref((mu_h - ref) / 0.55));
		double ber = rbnn_params_expected_ber(&p, cur[i]);

		if (rel_err(ber, want) > 1e-6)
			fail_msg("I=%g: ber %g ref %g", cur[i], ber, want);
		/* 2T2R is far better at the same current. */
		assert_true(rbnn_params_expected_ber(&p2, cur[i]) * 5 < ber);
	}
	/* At the default current the HRS tail dominates: ~3.7e-4. */
	assert_true(fabs(rbnn_params_expected_ber(&p, 100) - 3.7e-4) < 0.2e-4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_defaults_valid),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_expected_ber_2t2r),
		cmocka_unit_test(test_expected_ber_1t1r),
	};

	return cmocka_run_group_tests_name("params", tests, NULL, NULL);
}
