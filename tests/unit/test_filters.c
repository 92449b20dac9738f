// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * test_filters.c - running median (against a brute-force reference),
 * median baseline removal and the zero-phase FIR low-pass (constant,
 * passband, stopband, phase), edge, flat, NaN and tiny inputs.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bnn_data.h"

static float *fbuf(size_t n)
{
	float *p = malloc((n ? n : 1) * sizeof *p);
	assert_non_null(p);
	return p;
}

static int cmp_f(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* Sort the edge-replicated window of every sample. */
static void median_ref(const float *x, size_t n, size_t win, float *y)
{
	long h = (long)win / 2;
	float *w = fbuf(win);
	for (size_t i = 0; i < n; i++) {
		for (long k = -h; k <= h; k++) {
			long j = (long)i + k;
			j = j < 0 ? 0 : j >= (long)n ? (long)n - 1 : j;
			w[k + h] = x[j];
		}
		qsort(w, win, sizeof *w, cmp_f);
		y[i] = w[h];
	}
	free(w);
}

static void test_median_reference(void **state)
{
	(void)state;
	static const size_t ns[] = { 1, 2, 3, 4, 5, 17, 64, 1000 };
	/* both paths: sorted window up to 160 samples, heaps above */
	static const size_t ws[] = { 1, 3, 5, 7, 21, 73, 101, 159, 161, 163, 301 };
	srand(5);
	for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
		for (size_t b = 0; b < sizeof ws / sizeof *ws; b++)
			for (int kind = 0; kind < 3; kind++) {
				size_t n = ns[a], w = ws[b];
				float *x = fbuf(n), *y = fbuf(n), *r = fbuf(n);
				for (size_t i = 0; i < n; i++)
					x[i] = kind == 0 ? (float)(rand() % 5)	/* ties */
					       : kind == 1 ? (float)rand() / RAND_MAX - 0.5f
					       : (float)(i % 7) - (float)(i % 3);
				median_ref(x, n, w, r);
				assert_int_equal(bnn_median_filter(x, n, w, y, NULL),
						 BNN_OK);
				if (memcmp(y, r, n * sizeof *y))
					print_error("n %zu win %zu kind %d differs\n",
						    n, w, kind);
				assert_memory_equal(y, r, n * sizeof *y);
				/* In place. */
				assert_int_equal(bnn_median_filter(x, n, w, x, NULL),
						 BNN_OK);
				assert_memory_equal(x, r, n * sizeof *y);
				free(x);
				free(y);
				free(r);
			}
}

static void test_median_errors(void **state)
{
	(void)state;
	float x[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, y[8];
	bnn_error e;
	assert_int_equal(bnn_median_filter(x, 8, 4, y, &e), BNN_E_INVAL);
	assert_non_null(strstr(e.msg, "odd"));
	assert_int_equal(bnn_median_filter(x, 8, 0, y, &e), BNN_E_INVAL);
	assert_int_equal(bnn_median_filter(x, 8, BNN_MEDIAN_MAX_WIN + 2, y, &e),
			 BNN_E_INVAL);
	assert_int_equal(bnn_median_filter(x, 0, 3, y, &e), BNN_E_INVAL);
	assert_int_equal(bnn_median_filter(NULL, 8, 3, y, &e), BNN_E_INVAL);
	assert_int_equal(bnn_median_filter(x, 8, 3, NULL, &e), BNN_E_INVAL);
	x[5] = NAN;
	assert_int_equal(bnn_median_filter(x, 8, 3, y, &e), BNN_E_RANGE);
	assert_non_null(strstr(e.msg, "sample 5"));
	x[5] = -INFINITY;
	assert_int_equal(bnn_median_filter(x, 8, 3, y, &e), BNN_E_RANGE);
	x[5] = 6;
	for (long k = 0; k < 3; k++) {
		bnn_test_fail_alloc_after(k);
		int rc = bnn_median_filter(x, 8, 3, y, &e);
		bnn_test_fail_alloc_after(-1);
		assert_int_equal(rc, k ? BNN_OK : BNN_E_NOMEM);
	}
}

/* 650000 samples, 217-sample window: the MIT-BIH case, timed. */
static void test_median_speed(void **state)
{
	(void)state;
	size_t n = 650000;
	float *x = fbuf(n);
	srand(3);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)sin(i * 0.01) + (float)rand() / RAND_MAX;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(bnn_median_filter(x, n, 217, x, NULL), BNN_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
	print_message("# median, 650000 samples, window 217: %.3f s (ASan)\n", s);
	free(x);
}

static void test_baseline(void **state)
{
	(void)state;
	size_t n = 3600;	/* 10 s at 360 Hz */
	float *x = fbuf(n), *y = fbuf(n);
	bnn_error e;

	/* Offset 5 + 20 ms spikes every second: the offset goes, the spikes
	 * (shorter than half the 73-sample window) stay exactly. */
	for (size_t i = 0; i < n; i++)
		x[i] = 5.0f + (i % 360 >= 100 && i % 360 < 107 ? 10.0f : 0.0f);
	assert_int_equal(bnn_baseline_median(x, n, 360, y, &e), BNN_OK);
	for (size_t i = 0; i < n; i++)
		assert_true(y[i] == x[i] - 5.0f);

	/* A ramp is its own running median: nothing left away from the
	 * ends (36 + 108 samples). */
	for (size_t i = 0; i < n; i++)
		x[i] = 0.25f * (float)i;
	assert_int_equal(bnn_baseline_median(x, n, 360, y, &e), BNN_OK);
	for (size_t i = 144; i < n - 144; i++)
		assert_true(y[i] == 0.0f);
	/* In place, flat, one sample, two samples. */
	assert_int_equal(bnn_baseline_median(x, n, 360, x, &e), BNN_OK);
	assert_memory_equal(x, y, n * sizeof *x);
	for (size_t i = 0; i < n; i++)
		x[i] = -3.5f;
	assert_int_equal(bnn_baseline_median(x, n, 360, y, &e), BNN_OK);
	for (size_t i = 0; i < n; i++)
		assert_true(y[i] == 0.0f);
	float one = 4, o1, two[2] = { 1, 3 }, o2[2];
	assert_int_equal(bnn_baseline_median(&one, 1, 360, &o1, &e), BNN_OK);
	assert_true(o1 == 0.0f);
	assert_int_equal(bnn_baseline_median(two, 2, 360, o2, &e), BNN_OK);
	/* Sample 0's windows hold one more copy of 1 than of 3: median 1;
	 * sample 1's one more 3. */
	assert_true(o2[0] == 0.0f && o2[1] == 0.0f);

	assert_int_equal(bnn_baseline_median(x, n, 0, y, &e), BNN_E_INVAL);
	assert_int_equal(bnn_baseline_median(x, n, NAN, y, &e), BNN_E_INVAL);
	assert_int_equal(bnn_baseline_median(x, n, 1e7, y, &e), BNN_E_INVAL);
	assert_int_equal(bnn_baseline_median(x, 0, 360, y, &e), BNN_E_INVAL);
	x[7] = NAN;
	assert_int_equal(bnn_baseline_median(x, n, 360, y, &e), BNN_E_RANGE);
	assert_non_null(strstr(e.msg, "sample 7"));
	x[7] = 0;
	int ok = 0;
	for (long k = 0; k < 8 && !ok; k++) {
		bnn_test_fail_alloc_after(k);
		int rc = bnn_baseline_median(x, n, 360, y, &e);
		bnn_test_fail_alloc_after(-1);
		ok = rc == BNN_OK;
		if (!ok)
			assert_int_equal(rc, BNN_E_NOMEM);
	}
	assert_true(ok);
	free(x);
	free(y);
}

/* Gain of a sine through the filter, away from the ends, and the largest
 * difference from the input sine (phase + gain). */
static double sine_gain(double fs, double fc, double f, double *maxdiff)
{
	size_t n = (size_t)(20 * fs), M = bnn_lowpass_half_len(fs, fc);
	float *x = fbuf(n), *y = fbuf(n);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)sin(2 * M_PI * f * (double)i / fs + 0.3);
	assert_int_equal(bnn_lowpass(x, n, fs, fc, y, NULL), BNN_OK);
	double sy = 0, sx = 0, md = 0;
	for (size_t i = M; i < n - M; i++) {
		sy += (double)y[i] * y[i];
		sx += (double)x[i] * x[i];
		md = fmax(md, fabs((double)y[i] - x[i]));
	}
	free(x);
	free(y);
	if (maxdiff)
		*maxdiff = md;
	return sqrt(sy / sx);
}

static void test_lowpass_response(void **state)
{
	(void)state;
	static const double rates[] = { 360, 180, 250 };
	static const double cuts[] = { 35, 40, 15 };
	for (int r = 0; r < 3; r++) {
		double fs = rates[r], fc = cuts[r], md;
		double g = sine_gain(fs, fc, 0.5 * fc, &md);
		double g75 = sine_gain(fs, fc, 0.75 * fc, NULL);
		double g125 = sine_gain(fs, fc, 1.25 * fc, NULL);
		double g2 = sine_gain(fs, fc, 2 * fc, NULL);
		print_message("# lowpass fs %g fc %g: gain %.5f at fc/2 (max diff %.5f), %.4f dB at 0.75 fc, %.1f dB at 1.25 fc, %.1f dB at 2 fc\n",
			      fs, fc, g, md, 20 * log10(g75), 20 * log10(g125),
			      20 * log10(g2));
		assert_true(fabs(g - 1) < 0.01);	/* passes within 1 % */
		assert_true(md < 0.01);			/* and without delay */
		assert_true(fabs(20 * log10(g75)) < 0.01);
		assert_true(20 * log10(g125) <= -70);
		assert_true(20 * log10(g2) <= -30);	/* >= 30 dB down */
	}
	assert_int_equal(bnn_lowpass_half_len(360, 35), 57);
	assert_int_equal(bnn_lowpass_half_len(180, 35), 29);
	assert_int_equal(bnn_lowpass_half_len(360, 0.5), BNN_LOWPASS_HALF_MAX);
	assert_int_equal(bnn_lowpass_half_len(360, 180), 0);
	assert_int_equal(bnn_lowpass_half_len(360, 0), 0);
	assert_int_equal(bnn_lowpass_half_len(NAN, 10), 0);
}

static void test_lowpass_edges(void **state)
{
	(void)state;
	size_t n = 1000;
	float *x = fbuf(n), *y = fbuf(n);
	bnn_error e;
	for (int c = 0; c < 3; c++) {	/* a constant stays constant */
		float v = c == 0 ? 0.0f : c == 1 ? 1024.0f : -0.3f;
		for (size_t i = 0; i < n; i++)
			x[i] = v;
		assert_int_equal(bnn_lowpass(x, n, 360, 35, y, &e), BNN_OK);
		for (size_t i = 0; i < n; i++)
			assert_true(fabsf(y[i] - v) <= 1e-6f * fabsf(v));
	}
	/* Shorter than the kernel: 1, 2, 5 samples. */
	float a[5] = { 1, 2, 3, 4, 5 }, b[5];
	static const size_t lens[] = { 1, 2, 5 };
	for (size_t j = 0; j < 3; j++) {
		size_t k = lens[j];
		assert_int_equal(bnn_lowpass(a, k, 360, 35, b, &e), BNN_OK);
		for (size_t i = 0; i < k; i++)
			assert_true(b[i] >= 0.9f && b[i] <= 5.1f);
	}
	assert_true(fabsf(b[0] - 1) < 1.0f && fabsf(b[4] - 5) < 1.0f);
	assert_int_equal(bnn_lowpass(a, 1, 360, 35, b, &e), BNN_OK);
	assert_true(b[0] == 1.0f);

	assert_int_equal(bnn_lowpass(x, n, 360, 180, y, &e), BNN_E_INVAL);
	assert_non_null(strstr(e.msg, "cut-off"));
	assert_int_equal(bnn_lowpass(x, n, 360, 0, y, &e), BNN_E_INVAL);
	assert_int_equal(bnn_lowpass(x, n, 360, -5, y, &e), BNN_E_INVAL);
	assert_int_equal(bnn_lowpass(x, n, 360, NAN, y, &e), BNN_E_INVAL);
	assert_int_equal(bnn_lowpass(x, n, 0, 10, y, &e), BNN_E_INVAL);
	assert_int_equal(bnn_lowpass(x, n, 360, 35, x, &e), BNN_E_INVAL);
	assert_int_equal(bnn_lowpass(x, 0, 360, 35, y, &e), BNN_E_INVAL);
	assert_int_equal(bnn_lowpass(NULL, n, 360, 35, y, &e), BNN_E_INVAL);
	x[999] = NAN;
	assert_int_equal(bnn_lowpass(x, n, 360, 35, y, &e), BNN_E_RANGE);
	assert_non_null(strstr(e.msg, "sample 999"));
	x[999] = INFINITY;
	assert_int_equal(bnn_lowpass(x, n, 360, 35, y, &e), BNN_E_RANGE);
	x[999] = 0;
	bnn_test_fail_alloc_after(0);
	assert_int_equal(bnn_lowpass(x, n, 360, 35, y, &e), BNN_E_NOMEM);
	bnn_test_fail_alloc_after(-1);
	free(x);
	free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median_reference),
		cmocka_unit_test(test_median_errors),
		cmocka_unit_test(test_median_speed),
		cmocka_unit_test(test_baseline),
		cmocka_unit_test(test_lowpass_response),
		cmocka_unit_test(test_lowpass_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
