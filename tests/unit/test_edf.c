// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * test_edf.c - EDF / EDF+ / BDF reader (libbnn/data/edf.c over EDFlib).
 *
 * Files are written here with EDFlib's own writer (edfopen_file_writeonly
 * ...): synthetic signals and, with $RBNN_DATA/bonn_eeg, real Bonn
 * segments; read back with libbnn, samples must match within the file's
 * resolution and annotations round trip.  Every error path: missing file,
 * not EDF, truncated, damaged header, EDF+D, missing channel, bad
 * arguments, allocation failures (nothing leaks, no EDFlib handle stays
 * open).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <edflib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bnn_data.h"
#include "test_files.h"

struct wsig {
	const char *label, *units;
	int spr;		/* samples per record */
	double pmin, pmax;
	int dmin, dmax;
};

struct wann {
	double onset, duration;	/* s; duration < 0: none */
	const char *text;
};

/* Sample i of signal s of the synthetic files (physical units). */
static double synth(int s, long i, const struct wsig *w)
{
	double a = 0.4 * (w->pmax - w->pmin) / 2;

	return (w->pmax + w->pmin) / 2 + a * sin(0.05 * (double)i * (s + 1)) +
	       0.1 * a * cos(0.31 * i);
}

/*
 * Write `name` in the temporary folder with EDFlib: nsig signals, nrec
 * records of rec10us x 10 us, synthetic samples (or `data` for signal 0
 * when not NULL; `digital`: its digital values), annotations.
 */
static void write_edf_digital(const char *name, int type, int nsig,
			      const struct wsig *w, int nrec, int rec10us,
			      const double *data, const int *digital,
			      const struct wann *ann, int nann)
{
	int h = edfopen_file_writeonly(tpath(name), type, nsig);
	int maxspr = 0;
	double *buf;

	if (h < 0)
		print_error("edfopen_file_writeonly %s: %d\n", name, h);
	assert_true(h >= 0);
	assert_int_equal(edf_set_datarecord_duration(h, rec10us), 0);
	for (int s = 0; s < nsig; s++) {
		assert_int_equal(edf_set_samplefrequency(h, s, w[s].spr), 0);
		assert_int_equal(edf_set_physical_maximum(h, s, w[s].pmax), 0);
		assert_int_equal(edf_set_physical_minimum(h, s, w[s].pmin), 0);
		assert_int_equal(edf_set_digital_maximum(h, s, w[s].dmax), 0);
		assert_int_equal(edf_set_digital_minimum(h, s, w[s].dmin), 0);
		assert_int_equal(edf_set_label(h, s, w[s].label), 0);
		assert_int_equal(edf_set_physical_dimension(h, s, w[s].units), 0);
		if (w[s].spr > maxspr)
			maxspr = w[s].spr;
	}
	buf = xmalloc((size_t)maxspr * sizeof(double));
	for (int r = 0; r < nrec; r++)
		for (int s = 0; s < nsig; s++) {
			if (digital && s == 0) {
				assert_int_equal(edfwrite_digital_samples(h,
					(int *)digital + (long)r * w[s].spr), 0);
				continue;
			}
			for (int i = 0; i < w[s].spr; i++) {
				long k = (long)r * w[s].spr + i;

				buf[i] = data && s == 0 ? data[k] : synth(s, k, &w[s]);
			}
			assert_int_equal(edfwrite_physical_samples(h, buf), 0);
		}
	for (int a = 0; a < nann; a++)
		assert_int_equal(edfwrite_annotation_utf8(h,
			llround(ann[a].onset * 1e4),
			ann[a].duration < 0 ? -1 : llround(ann[a].duration * 1e4),
			ann[a].text), 0);
	free(buf);
	assert_int_equal(edfclose_file(h), 0);
}

static void write_edf(const char *name, int type, int nsig,
		      const struct wsig *w, int nrec, int rec10us,
		      const double *data, const struct wann *ann, int nann)
{
	write_edf_digital(name, type, nsig, w, nrec, rec10us, data, NULL, ann,
			  nann);
}

/* Header field: text left-aligned in `len` bytes padded with spaces. */
static void field(char *h, size_t *k, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void field(char *h, size_t *k, size_t len, const char *fmt, ...)
{
	char t[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t, sizeof t, fmt, ap);
	va_end(ap);
	memset(h + *k, ' ', len);
	memcpy(h + *k, t, strlen(t) < len ? strlen(t) : len);
	*k += len;
}

/*
 * EDFlib writes only EDF+ and BDF+: plain EDF / BDF (no annotation
 * signal, no "EDF+C") are written here, one signal, digital values
 * d[i] = i % 200 - 100 with physical = digital / 10.
 */
static void write_plain(const char *name, int bdf, const struct wsig *w,
			int nrec, double rec_s)
{
	size_t k = 0, bps = bdf ? 3 : 2;
	size_t len = 512 + (size_t)nrec * w->spr * bps;
	char *h = xmalloc(len);

	if (bdf) {
		h[0] = (char)0xff;
		memcpy(h + 1, "BIOSEMI", 7);
		k = 8;
	} else {
		field(h, &k, 8, "0");
	}
	field(h, &k, 80, "X X X X");
	field(h, &k, 80, "Startdate 01-JAN-2020 X X X");
	field(h, &k, 8, "01.01.20");
	field(h, &k, 8, "00.00.00");
	field(h, &k, 8, "512");
	field(h, &k, 44, "%s", bdf ? "24BIT" : "");
	field(h, &k, 8, "%d", nrec);
	field(h, &k, 8, "%g", rec_s);
	field(h, &k, 4, "1");
	field(h, &k, 16, "%s", w->label);
	field(h, &k, 80, "%s", "");
	field(h, &k, 8, "%s", w->units);
	field(h, &k, 8, "%g", w->pmin);
	field(h, &k, 8, "%g", w->pmax);
	field(h, &k, 8, "%d", w->dmin);
	field(h, &k, 8, "%d", w->dmax);
	field(h, &k, 80, "%s", "");
	field(h, &k, 8, "%d", w->spr);
	field(h, &k, 32, "%s", "");
	assert_int_equal(k, 512);
	for (long i = 0; i < (long)nrec * w->spr; i++) {
		int v = (int)(i % 200) - 100;

		for (size_t b = 0; b < bps; b++)
			h[k++] = (char)(((unsigned)v >> (8 * b)) & 0xff);
	}
	write_file(name, h, len);
	free(h);
}

static void open_ok(const char *name, bnn_edf_file *f)
{
	bnn_error e;
	int rc = bnn_edf_open(tpath(name), f, &e);

	if (rc)
		print_error("%s: %s\n", name, e.msg);
	assert_int_equal(rc, BNN_OK);
	assert_true(f->is_open);
}

static void open_fails(const char *name, int code, const char *needle)
{
	bnn_edf_file f;
	bnn_error e;
	int rc, before = edflib_get_number_of_open_files();

	bnn_error_clear(&e);
	rc = bnn_edf_open(tpath(name), &f, &e);
	if (rc != code || (needle && !strstr(e.msg, needle)))
		print_error("%s: got %d '%s', want %d '%s'\n", name, rc, e.msg,
			    code, needle ? needle : "");
	assert_int_equal(rc, code);
	assert_int_equal(e.code, code);
	if (needle)
		assert_non_null(strstr(e.msg, needle));
	/* Left zeroed, nothing open. */
	assert_false(f.is_open);
	assert_null(f.sig);
	assert_null(f.ann);
	bnn_edf_close(&f);
	assert_int_equal(edflib_get_number_of_open_files(), before);
}

static const struct wsig two[] = {
	{ "EEG Fpz-Cz", "uV", 256, -500, 500, -32768, 32767 },
	{ "ECG MLII", "mV", 100, -5, 5, -2048, 2047 },
};
static const struct wann anns[] = {
	{ 1.5, 2.0, "seizure" },
	{ 4.0, -1, "S" },
	{ 7.25, 0.5, "  eyes open " },
};

static void check_samples(bnn_edf_file *f, int s, const struct wsig *w,
			  int units, double scale)
{
	float *x;
	size_t n;
	bnn_error e;
	/* EDFlib's writer truncates to the digital step: within one step,
	 * plus the float rounding of the value. */
	double tol = f->sig[s].resolution * fabs(scale) * 1.001;

	assert_int_equal(bnn_edf_read_signal(f, s, units, &x, &n, &e), BNN_OK);
	assert_int_equal(n, (size_t)f->sig[s].nsamples);
	for (size_t i = 0; i < n; i++)
		if (fabs(x[i] - synth(s, (long)i, w) * scale) >
		    tol + 1.2e-7 * fabs(x[i])) {
			print_error("signal %d sample %zu: %g, want %g (tol %g)\n",
				    s, i, x[i], synth(s, (long)i, w) * scale, tol);
			fail();
		}
	free(x);
}

static void test_edfplus_roundtrip(void **state)
{
	bnn_edf_file f;
	float *x;
	size_t n;
	bnn_error e;

	(void)state;
	write_edf("two.edf", EDFLIB_FILETYPE_EDFPLUS, 2, two, 10, 100000, NULL,
		  anns, 3);
	open_ok("two.edf", &f);
	assert_int_equal(f.type, BNN_EDF_EDFPLUS);
	assert_int_equal(f.nsig, 2);
	assert_int_equal(f.nrecords, 10);
	assert_true(fabs(f.record_s - 1.0) < 1e-12);
	assert_true(fabs(f.duration_s - 10.0) < 1e-9);
	assert_string_equal(f.sig[0].label, "EEG Fpz-Cz");
	assert_string_equal(f.sig[0].units, "uV");
	assert_string_equal(f.sig[1].label, "ECG MLII");
	assert_string_equal(f.sig[1].units, "mV");
	assert_true(fabs(f.sig[0].fs - 256) < 1e-9);
	assert_true(fabs(f.sig[1].fs - 100) < 1e-9);
	assert_int_equal(f.sig[0].nsamples, 2560);
	assert_int_equal(f.sig[1].nsamples, 1000);
	assert_int_equal(f.sig[1].dig_min, -2048);
	assert_true(fabs(f.sig[1].resolution - 10.0 / 4095) < 1e-12);
	/* The same samples within the resolution, in every unit. */
	check_samples(&f, 0, &two[0], BNN_EDF_PHYSICAL, 1);
	check_samples(&f, 0, &two[0], BNN_EDF_UV, 1);
	check_samples(&f, 0, &two[0], BNN_EDF_MV, 1e-3);
	check_samples(&f, 1, &two[1], BNN_EDF_MV, 1);
	check_samples(&f, 1, &two[1], BNN_EDF_UV, 1e3);
	/* Digital: integers inside the digital range. */
	assert_int_equal(bnn_edf_read_signal(&f, 1, BNN_EDF_DIGITAL, &x, &n, &e),
			 BNN_OK);
	for (size_t i = 0; i < n; i++)
		assert_true(x[i] == floorf(x[i]) && x[i] >= -2048 && x[i] <= 2047);
	free(x);
	/* Annotations: order, times, trimmed text. */
	assert_int_equal(f.nann, 3);
	for (int a = 0; a < 3; a++) {
		assert_true(fabs(f.ann[a].onset - anns[a].onset) < 1e-6);
		if (anns[a].duration < 0)
			assert_true(f.ann[a].duration < 0);
		else
			assert_true(fabs(f.ann[a].duration - anns[a].duration) < 1e-6);
	}
	assert_string_equal(f.ann[0].text, "seizure");
	assert_string_equal(f.ann[1].text, "S");
	assert_string_equal(f.ann[2].text, "eyes open");
	/* Channels by label. */
	assert_int_equal(bnn_edf_find_signal(&f, "EEG Fpz-Cz"), 0);
	assert_int_equal(bnn_edf_find_signal(&f, " eeg fpz-cz "), 0);
	assert_int_equal(bnn_edf_find_signal(&f, "FPZ-CZ"), 0);
	assert_int_equal(bnn_edf_find_signal(&f, "mlii"), 1);
	assert_int_equal(bnn_edf_find_signal(&f, "ECG"), BNN_E_NOTFOUND);
	assert_int_equal(bnn_edf_find_signal(&f, "Cz"), BNN_E_NOTFOUND);
	assert_int_equal(bnn_edf_find_signal(&f, "  "), BNN_E_NOTFOUND);
	assert_int_equal(bnn_edf_find_signal(&f, NULL), BNN_E_INVAL);
	assert_int_equal(bnn_edf_find_signal(NULL, "x"), BNN_E_INVAL);
	bnn_edf_close(&f);
	assert_false(f.is_open);
	bnn_edf_close(&f);	/* twice: harmless */
	bnn_edf_close(NULL);
	assert_int_equal(edflib_get_number_of_open_files(), 0);
}

/* ECG channels by lead (bnn_edf_find_lead): the label, then the lead's
 * aliases, then a generic "ECG" channel, flagged. */
static void test_find_lead(void **state)
{
	static const struct wsig a[] = {
		{ "EEG Fpz-Cz", "uV", 100, -500, 500, -32768, 32767 },
		{ "ECG1", "mV", 100, -5, 5, -32768, 32767 },
		{ "ECG Lead II", "mV", 100, -5, 5, -32768, 32767 },
		{ "v5", "mV", 100, -5, 5, -32768, 32767 },
	};
	static const struct wsig b[] = {
		{ "ECG", "mV", 100, -5, 5, -32768, 32767 },
		{ "Resp", "", 100, -5, 5, -32768, 32767 },
	};
	bnn_edf_file f;
	int fb;

	(void)state;
	write_edf("leads.edf", EDFLIB_FILETYPE_EDFPLUS, 4, a, 2, 100000, NULL,
		  NULL, 0);
	open_ok("leads.edf", &f);
	static const char *const ii[] = { "MLII", "II", "ML2", "ml ii",
					  "Lead 2", "ECG Lead II" };
	for (size_t k = 0; k < sizeof ii / sizeof *ii; k++) {
		fb = -1;
		assert_int_equal(bnn_edf_find_lead(&f, ii[k], &fb), 2);
		assert_int_equal(fb, 0);
	}
	assert_int_equal(bnn_edf_find_lead(&f, "V5", &fb), 3);
	assert_int_equal(fb, 0);
	assert_int_equal(bnn_edf_find_lead(&f, "Fpz-Cz", &fb), 0);
	assert_int_equal(fb, 0);
	/* No V1: the generic ECG1, flagged. */
	assert_int_equal(bnn_edf_find_lead(&f, "V1", &fb), 1);
	assert_int_equal(fb, 1);
	assert_int_equal(bnn_edf_find_lead(&f, "V1", NULL), 1);
	/* Not an ECG lead: no fallback. */
	assert_int_equal(bnn_edf_find_lead(&f, "C3", &fb), BNN_E_NOTFOUND);
	assert_int_equal(fb, 0);
	assert_int_equal(bnn_edf_find_lead(&f, NULL, &fb), BNN_E_INVAL);
	assert_int_equal(bnn_edf_find_lead(NULL, "II", &fb), BNN_E_INVAL);
	bnn_edf_close(&f);
	write_edf("generic.edf", EDFLIB_FILETYPE_EDFPLUS, 2, b, 2, 100000,
		  NULL, NULL, 0);
	open_ok("generic.edf", &f);
	assert_int_equal(bnn_edf_find_lead(&f, "MLII", &fb), 0);
	assert_int_equal(fb, 1);
	assert_int_equal(bnn_edf_find_lead(&f, "ECG", &fb), 0);
	assert_int_equal(fb, 0);
	assert_int_equal(bnn_edf_find_lead(&f, "resp", &fb), 1);
	assert_int_equal(fb, 0);
	bnn_edf_close(&f);
	assert_int_equal(edflib_get_number_of_open_files(), 0);
}

/*
 * An ECG lead stored with physical = digital / 200 (digital -32768 ..
 * 32767, physical -163.84 .. 163.835 mV, as tests/unit/edf_write.py
 * --ecg writes MIT-BIH's ADC values): every digital value reads back in
 * millivolts as exactly the float bnn_wfdb_to_phys gives for the ADC
 * value with gain 200, so an EDF copy of a WFDB lead gives the detector
 * and the windows the same samples.
 */
static void test_ecg_exact(void **state)
{
	static const struct wsig w[] = {
		{ "ECG MLII", "mV", 256, -163.84, 163.835, -32768, 32767 },
	};
	const size_t n = 65536;
	int *d = xmalloc(n * sizeof *d);
	bnn_wfdb_signal ws;
	bnn_edf_file f;
	bnn_error e;
	float *x;
	size_t got, diff = 0;

	(void)state;
	for (size_t i = 0; i < n; i++)
		d[i] = (int)i - 32768;
	write_edf_digital("mv.edf", EDFLIB_FILETYPE_EDFPLUS, 1, w, 256, 100000,
			  NULL, d, NULL, 0);
	open_ok("mv.edf", &f);
	assert_int_equal(bnn_edf_read_signal(&f, 0, BNN_EDF_DIGITAL, &x, &got,
					     &e), BNN_OK);
	assert_int_equal(got, n);
	for (size_t i = 0; i < n; i++)
		assert_true(x[i] == (float)((long)i - 32768));
	free(x);
	memset(&ws, 0, sizeof ws);
	ws.gain = 200;
	assert_int_equal(bnn_edf_read_signal(&f, 0, BNN_EDF_MV, &x, &got, &e),
			 BNN_OK);
	for (size_t i = 0; i < n; i++)
		diff += x[i] != (float)bnn_wfdb_to_phys(&ws, (int32_t)i - 32768);
	if (diff)
		print_error("%zu of %zu samples differ\n", diff, n);
	assert_int_equal(diff, 0);
	free(x);
	free(d);
	bnn_edf_close(&f);
}

/* Plain EDF and BDF (no annotations), BDF+ with its 24-bit resolution. */
static void test_edf_bdf(void **state)
{
	static const struct wsig one[] = {
		{ "Fp1", "uV", 200, -3276.8, 3276.7, -32768, 32767 },
	};
	static const struct wsig b24[] = {
		{ "EEG C3", "uV", 512, -8000, 8000, -8388608, 8388607 },
		{ "Temp", "degC", 1, 30, 40, -8388608, 8388607 },
	};
	bnn_edf_file f;
	float *x;
	size_t n;
	bnn_error e;

	(void)state;
	for (int bdf = 0; bdf < 2; bdf++) {
		const char *name = bdf ? "plain.bdf" : "plain.edf";

		write_plain(name, bdf, one, 4, 0.5);
		open_ok(name, &f);
		assert_int_equal(f.type, bdf ? BNN_EDF_BDF : BNN_EDF_EDF);
		assert_int_equal(f.nann, 0);
		assert_string_equal(f.sig[0].label, "Fp1");
		assert_true(fabs(f.sig[0].fs - 400) < 1e-9);	/* 200 per 0.5 s */
		assert_int_equal(f.sig[0].nsamples, 800);
		assert_int_equal(bnn_edf_read_signal(&f, 0, BNN_EDF_DIGITAL, &x,
						     &n, &e), BNN_OK);
		for (size_t i = 0; i < n; i++)
			assert_true(x[i] == (float)((int)(i % 200) - 100));
		free(x);
		assert_int_equal(bnn_edf_read_signal(&f, 0, BNN_EDF_MV, &x, &n,
						     &e), BNN_OK);
		for (size_t i = 0; i < n; i++)
			assert_true(fabs(x[i] - ((int)(i % 200) - 100) * 0.1 * 1e-3) <
				    1e-7);
		free(x);
		bnn_edf_close(&f);
	}

	write_edf("b24.bdf", EDFLIB_FILETYPE_BDFPLUS, 2, b24, 5, 100000, NULL,
		  anns, 1);
	open_ok("b24.bdf", &f);
	assert_int_equal(f.type, BNN_EDF_BDFPLUS);
	assert_true(fabs(f.sig[0].resolution - 16000.0 / 16777215) < 1e-12);
	check_samples(&f, 0, b24, BNN_EDF_PHYSICAL, 1);
	check_samples(&f, 1, b24 + 1, BNN_EDF_PHYSICAL, 1);
	assert_int_equal(f.nann, 1);
	/* A dimension that is no voltage: physical only. */
	bnn_error_clear(&e);
	assert_int_equal(bnn_edf_read_signal(&f, 1, BNN_EDF_MV, &x, &n, &e),
			 BNN_E_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "'degC' is not a voltage"));
	assert_null(x);
	assert_int_equal(n, 0);
	/* Bad arguments. */
	assert_int_equal(bnn_edf_read_signal(&f, 2, BNN_EDF_UV, &x, &n, &e),
			 BNN_E_RANGE);
	assert_non_null(strstr(e.msg, "signal 2 out of range (the file has 2)"));
	assert_int_equal(bnn_edf_read_signal(&f, -1, BNN_EDF_UV, &x, &n, &e),
			 BNN_E_RANGE);
	assert_int_equal(bnn_edf_read_signal(&f, 0, 9, &x, &n, &e), BNN_E_INVAL);
	assert_int_equal(bnn_edf_read_signal(&f, 0, BNN_EDF_UV, NULL, &n, &e),
			 BNN_E_INVAL);
	assert_int_equal(bnn_edf_read_signal(NULL, 0, BNN_EDF_UV, &x, &n, &e),
			 BNN_E_INVAL);
	bnn_edf_close(&f);
	assert_int_equal(bnn_edf_read_signal(&f, 0, BNN_EDF_UV, &x, &n, &e),
			 BNN_E_STATE);
	assert_int_equal(edflib_get_number_of_open_files(), 0);
}

static void test_units(void **state)
{
	(void)state;
	assert_true(bnn_edf_mv_per_unit("uV") == 1e-3);
	assert_true(bnn_edf_mv_per_unit("\xc2\xb5V") == 1e-3);
	assert_true(bnn_edf_mv_per_unit("mV") == 1);
	assert_true(bnn_edf_mv_per_unit("V") == 1e3);
	assert_true(bnn_edf_mv_per_unit("nV") == 1e-6);
	assert_true(bnn_edf_mv_per_unit("bpm") == 0);
	assert_true(bnn_edf_mv_per_unit("") == 0);
	assert_true(bnn_edf_mv_per_unit(NULL) == 0);
}

/* Bytes of a temporary file. */
static uint8_t *slurp(const char *name, size_t *len)
{
	uint8_t *b;
	bnn_error e;

	assert_int_equal(bnn_read_file(tpath(name), 0, &b, len, &e), BNN_OK);
	return b;
}

static void test_errors(void **state)
{
	uint8_t *b;
	size_t len;
	bnn_edf_file f;
	bnn_error e;

	(void)state;
	open_fails("missing.edf", BNN_E_IO, "cannot open");
	write_file("text.edf", "hello, this is not EDF\n", 23);
	open_fails("text.edf", BNN_E_PARSE, "not an EDF or BDF file");
	write_file("empty.edf", "", 0);
	open_fails("empty.edf", BNN_E_PARSE, "not an EDF or BDF file");
	write_file("head.edf", "0       12345", 13);
	open_fails("head.edf", BNN_E_TRUNCATED, "truncated EDF header");
	mkdir(tpath("dir.edf"), 0700);
	open_fails("dir.edf", BNN_E_IO, NULL);

	write_edf("good.edf", EDFLIB_FILETYPE_EDFPLUS, 2, two, 10, 100000, NULL,
		  anns, 3);
	b = slurp("good.edf", &len);
	/* The last data record cut short. */
	write_file("cut.edf", b, len - 100);
	open_fails("cut.edf", BNN_E_TRUNCATED, "announces 10 data records");
	/* The header cut inside the signal fields. */
	write_file("cuthead.edf", b, 400);
	open_fails("cuthead.edf", BNN_E_TRUNCATED, "truncated EDF header");
	/* Damaged header: the signal count is not a number. */
	memcpy(b + 252, "x2  ", 4);
	write_file("badns.edf", b, len);
	open_fails("badns.edf", BNN_E_CORRUPT, "format errors");
	memcpy(b + 252, "3   ", 4);	/* back to the true count */
	/* EDF+D: discontinuous. */
	assert_int_equal(memcmp(b + 192, "EDF+C", 5), 0);
	memcpy(b + 192, "EDF+D", 5);
	write_file("disc.edf", b, len);
	open_fails("disc.edf", BNN_E_UNSUPPORTED, "EDF+D/BDF+D (discontinuous");
	free(b);

	/* Opened twice: EDFlib refuses the second. */
	open_ok("good.edf", &f);
	open_fails("good.edf", BNN_E_BUSY, "already open");
	bnn_edf_close(&f);
	/* NULL arguments. */
	assert_int_equal(bnn_edf_open(NULL, &f, &e), BNN_E_INVAL);
	assert_int_equal(bnn_edf_open(tpath("good.edf"), NULL, &e), BNN_E_INVAL);
	assert_int_equal(edflib_get_number_of_open_files(), 0);
}

/* Every allocation of open + read may fail: NOMEM, nothing leaks. */
static void test_alloc_failures(void **state)
{
	int ok = 0;

	(void)state;
	write_edf("alloc.edf", EDFLIB_FILETYPE_EDFPLUS, 2, two, 2, 100000, NULL,
		  anns, 3);
	for (long k = 0; k < 20 && !ok; k++) {
		bnn_edf_file f;
		bnn_error e;
		float *x = NULL;
		size_t n;
		int rc;

		bnn_test_fail_alloc_after(k);
		rc = bnn_edf_open(tpath("alloc.edf"), &f, &e);
		if (!rc)
			rc = bnn_edf_read_signal(&f, 0, BNN_EDF_UV, &x, &n, &e);
		bnn_test_fail_alloc_after(-1);
		if (rc)
			assert_int_equal(rc, BNN_E_NOMEM);
		else
			ok = 1;
		free(x);
		bnn_edf_close(&f);
		assert_int_equal(edflib_get_number_of_open_files(), 0);
	}
	assert_true(ok);
}

/* Real Bonn segments as EDF+: one record of 4097 samples at 173.61 Hz. */
static void test_bonn_segments(void **state)
{
	static const char *const segs[] = { "Z/Z001.txt", "S/S001.txt" };
	const char *root = bnn_data_dir(NULL);
	char path[1200];

	(void)state;
	if (!root) {
		print_message("# SKIP reason: RBNN_DATA is not set\n");
		skip();
		return;
	}
	snprintf(path, sizeof path, "%s/bonn_eeg/%s", root, segs[0]);
	if (access(path, R_OK)) {
		print_message("# SKIP reason: %s not readable\n", path);
		skip();
		return;
	}
	for (int k = 0; k < 2; k++) {
		static const struct wsig w[] = {
			{ "EEG", "uV", BNN_BONN_SAMPLES, -32768, 32767, -32768,
			  32767 },
		};
		bnn_bonn_segment seg;
		bnn_edf_file f;
		bnn_error e;
		double *d;
		float *x;
		size_t n;
		/* 4097 / 173.61 s = 23.59887 s, in EDFlib's 10 us units. */
		int rec = (int)lround(BNN_BONN_SAMPLES / BNN_BONN_FS * 1e5);

		snprintf(path, sizeof path, "%s/bonn_eeg/%s", root, segs[k]);
		assert_int_equal(bnn_bonn_read_segment(path, BNN_BONN_SAMPLES,
						       &seg, &e), BNN_OK);
		d = xmalloc(seg.n * sizeof(double));
		for (size_t i = 0; i < seg.n; i++)
			d[i] = seg.x[i];
		write_edf("bonn.edf", EDFLIB_FILETYPE_EDFPLUS, 1, w, 1, rec, d,
			  NULL, 0);
		open_ok("bonn.edf", &f);
		assert_true(fabs(f.sig[0].fs - BNN_BONN_FS) < 1e-3);
		assert_int_equal(bnn_edf_read_signal(&f, 0, BNN_EDF_UV, &x, &n,
						     &e), BNN_OK);
		assert_int_equal(n, seg.n);
		/* phys = digital: exactly the same integers. */
		for (size_t i = 0; i < n; i++)
			assert_true(x[i] == seg.x[i]);
		print_message("# %s: %zu samples at %.4f Hz read back exactly\n",
			      segs[k], n, f.sig[0].fs);
		free(x);
		free(d);
		bnn_edf_close(&f);
		bnn_bonn_segment_free(&seg);
	}
}

/* Bonn layout rules (bonn.c): folder letter + a sibling set folder. */
static void test_bonn_layout(void **state)
{
	char p[1100];

	(void)state;
	assert_int_equal(bnn_bonn_set_from_name("Z001.txt"), BNN_BONN_Z);
	assert_int_equal(bnn_bonn_set_from_name("a/b/n100.TXT"), BNN_BONN_N);
	assert_int_equal(bnn_bonn_set_from_name("Z01.txt"), BNN_E_NOTFOUND);
	assert_int_equal(bnn_bonn_set_from_name("X001.txt"), BNN_E_NOTFOUND);
	assert_int_equal(bnn_bonn_set_from_name("Z0a1.txt"), BNN_E_NOTFOUND);
	assert_int_equal(bnn_bonn_set_from_name("Z001.csv"), BNN_E_NOTFOUND);
	assert_int_equal(bnn_bonn_set_from_name(NULL), BNN_E_INVAL);
	mkdir(tpath("lone"), 0700);
	mkdir(tpath("lone/S"), 0700);
	snprintf(p, sizeof p, "%s", tpath("lone/S/x.txt"));
	assert_int_equal(bnn_bonn_set_from_path(p), BNN_BONN_S);
	assert_int_equal(bnn_bonn_layout_set(p), BNN_E_NOTFOUND);
	mkdir(tpath("lone/z"), 0700);
	assert_int_equal(bnn_bonn_layout_set(p), BNN_BONN_S);
	snprintf(p, sizeof p, "%s", tpath("lone//S//x.txt"));
	assert_int_equal(bnn_bonn_layout_set(p), BNN_BONN_S);
	assert_int_equal(bnn_bonn_layout_set("x.txt"), BNN_E_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edfplus_roundtrip),
		cmocka_unit_test(test_edf_bdf),
		cmocka_unit_test(test_find_lead),
		cmocka_unit_test(test_ecg_exact),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_bonn_segments),
		cmocka_unit_test(test_bonn_layout),
	};
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
