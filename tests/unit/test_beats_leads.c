// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * test_beats_leads.c - beat extraction from several leads (bnn_beat_opts
 * nleads, bnn_wfdb_find_leads): every lead goes through the one-lead
 * extraction on its own, bit for bit, laid out position-major as a
 * model's items; the amplitude normalisation is per lead; a missing lead,
 * two names for one signal and a generically named signal are refused
 * with messages that name the record's signals; allocation failures.
 *
 * With $RBNN_DATA: MIT-BIH 101 (MLII, V1) and 114 (V5, MLII: no V1).
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

#include "bnn_data.h"

#define FS 360.0
#define N 20000
#define NSIG 3

/* Synthetic ECG of three leads stored as MLII, V1, V5: a beat every 0.8 s,
 * a T wave, baseline wander, each lead with its own
 * gain, ADC zero, amplitude and polarity (V1 ten times MLII, negative). */
static void make_record(bnn_wfdb_record *r, const char *const names[NSIG])
{
	static const double amp[NSIG] = { 1.0, -10.0, 2.5 };
	static const double gain[NSIG] = { 200, 100, 400 };
	static const int32_t zero[NSIG] = { 1024, 0, -50 };

	memset(r, 0, sizeof *r);
	strcpy(r->hdr.name, "syn");
	r->hdr.nsig = NSIG;
	r->hdr.ngroups = 1;
	r->hdr.fs = FS;
	r->hdr.nsamples = N;
	r->hdr.sig = calloc(NSIG, sizeof *r->hdr.sig);
	r->data = calloc((size_t)NSIG * N, sizeof *r->data);
	assert_non_null(r->hdr.sig);
	assert_non_null(r->data);
	r->nsamples = N;
	for (int s = 0; s < NSIG; s++) {
		bnn_wfdb_signal *sg = &r->hdr.sig[s];

		strcpy(sg->file, "syn.dat");
		sg->format = 16;
		sg->gain = gain[s];
		sg->baseline = zero[s];
		strcpy(sg->units, "mV");
		sg->adc_res = 16;
		snprintf(sg->desc, sizeof sg->desc, "%s", names[s]);
		for (size_t i = 0; i < N; i++) {
			double t = (double)i / FS, mv = 0.3 * sin(2 * M_PI * 0.3 * t);
			double ph = fmod(t, 0.8) - 0.4;

			mv += amp[s] * exp(-ph * ph / (2 * 0.012 * 0.012));
			mv += 0.2 * amp[s] * exp(-(ph - 0.2) * (ph - 0.2) / 0.002);
			r->data[(size_t)s * N + i] =
				(int32_t)lround(mv * gain[s]) + zero[s];
		}
	}
}

/* Beats at the synthetic R peaks, the first and last near the ends (so
 * that windows are dropped), classes N and V alternating with S. */
static void make_ann(bnn_wfdb_annlist *l)
{
	size_t n = 0, cap = 128;

	memset(l, 0, sizeof *l);
	l->ann = calloc(cap, sizeof *l->ann);
	assert_non_null(l->ann);
	for (int64_t t = 144; t < N; t += 288) {
		assert_true(n < cap);
		l->ann[n].sample = t;
		l->ann[n].code = bnn_wfdb_ann_code(n % 7 == 3 ? "A" :
						   n % 5 == 2 ? "V" : "N");
		n++;
	}
	l->ann[n].sample = N - 3;	/* window leaves the record */
	l->ann[n++].code = bnn_wfdb_ann_code("N");
	l->n = n;
}

static void free_record(bnn_wfdb_record *r)
{
	free(r->hdr.sig);
	free(r->data);
}

static const char *const stored[NSIG] = { "MLII", "V1", "V5" };

/* Option sets: raw at the record's rate, resampled, the full ECG
 * preprocessing in mV, and z-scored. */
static void opts_of(int which, bnn_beat_opts *o)
{
	bnn_beat_opts_default(o);
	o->pre = 45;
	o->post = 72;
	switch (which) {
	case 0:
		break;
	case 1:
		o->fs = 180;
		break;
	case 2:
		o->fs = 180;
		o->norm = BNN_NORM_MV;
		o->baseline = BNN_BASELINE_MEDIAN;
		o->lowpass_hz = 35;
		o->amp_norm = BNN_AMP_QRS;
		break;
	default:
		o->norm = BNN_NORM_ZSCORE;
		o->baseline = BNN_BASELINE_MEDIAN;
		break;
	}
}

static void extract(const bnn_wfdb_record *r, const bnn_wfdb_annlist *l,
		    const bnn_beat_opts *o, bnn_beats *b)
{
	bnn_error e;
	int rc = bnn_beats_extract(r, l, o, b, &e);

	if (rc)
		print_error("extract: %s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
}

/* Two leads equal the one-lead extractions of each, interleaved. */
static void check_as_one_lead(const bnn_wfdb_record *r,
			      const bnn_wfdb_annlist *l, int which,
			      const char *const *names, const int *sigs)
{
	bnn_beat_opts o;
	bnn_beats two, one[2];

	opts_of(which, &o);
	o.leads = names;
	o.signals = names ? NULL : sigs;
	o.nleads = 2;
	extract(r, l, &o, &two);
	assert_int_equal(two.channels, 2);
	for (int c = 0; c < 2; c++) {
		opts_of(which, &o);
		if (names)
			o.lead = names[c];
		else {
			o.lead = NULL;
			o.signal = sigs[c];
		}
		extract(r, l, &o, &one[c]);
		assert_int_equal(one[c].channels, 1);
		assert_int_equal(one[c].n, two.n);
		assert_int_equal(one[c].len, two.len);
		assert_memory_equal(one[c].sample, two.sample,
				    two.n * sizeof(*two.sample));
		assert_memory_equal(one[c].cls, two.cls, two.n);
		assert_memory_equal(one[c].count, two.count, sizeof(two.count));
		assert_memory_equal(one[c].dropped, two.dropped,
				    sizeof(two.dropped));
		assert_memory_equal(one[c].rhythm, two.rhythm,
				    two.n * BNN_FEAT_COUNT * sizeof(float));
		for (size_t k = 0; k < two.n; k++)
			for (size_t q = 0; q < two.len; q++) {
				float a = two.x[(k * two.len + q) * 2 + (size_t)c];
				float w = one[c].x[k * two.len + q];

				assert_memory_equal(&a, &w, sizeof(a));
			}
	}
	/* the windows differ between the leads (the test means something) */
	assert_memory_not_equal(one[0].x, one[1].x, two.len * sizeof(float));
	assert_true(two.dropped[BNN_AAMI_N] >= 1);
	bnn_beats_free(&two);
	bnn_beats_free(&one[0]);
	bnn_beats_free(&one[1]);
}

static void test_leads_as_one(void **state)
{
	(void)state;
	bnn_wfdb_record r;
	bnn_wfdb_annlist l;
	/* not in the stored order: V1 is signal 1, MLII signal 0 */
	static const char *const names[2] = { "V1", "MLII" };
	static const int sigs[2] = { 2, 0 };

	make_record(&r, stored);
	make_ann(&l);
	for (int which = 0; which < 4; which++) {
		check_as_one_lead(&r, &l, which, names, NULL);
		check_as_one_lead(&r, &l, which, NULL, sigs);
	}
	free(l.ann);
	free_record(&r);
}

/* Peak-to-peak of channel c over the windows of b. */
static double spread(const bnn_beats *b, size_t c)
{
	float lo = INFINITY, hi = -INFINITY;

	for (size_t i = c; i < b->n * b->len * b->channels; i += b->channels) {
		lo = b->x[i] < lo ? b->x[i] : lo;
		hi = b->x[i] > hi ? b->x[i] : hi;
	}
	return (double)hi - lo;
}

/* V1 is ten times MLII: in mV the ratio stays, with the QRS amplitude
 * normalisation each lead is scaled by its own amplitude. */
static void test_amp_norm_per_lead(void **state)
{
	(void)state;
	bnn_wfdb_record r;
	bnn_wfdb_annlist l;
	static const char *const names[2] = { "MLII", "V1" };
	bnn_beat_opts o;
	bnn_beats b;

	make_record(&r, stored);
	make_ann(&l);
	opts_of(2, &o);
	o.leads = names;
	o.nleads = 2;
	o.amp_norm = BNN_AMP_NONE;
	extract(&r, &l, &o, &b);
	assert_true(spread(&b, 1) / spread(&b, 0) > 8);
	bnn_beats_free(&b);
	o.amp_norm = BNN_AMP_QRS;
	extract(&r, &l, &o, &b);
	assert_true(fabs(spread(&b, 1) / spread(&b, 0) - 1) < 0.2);
	bnn_beats_free(&b);
	free(l.ann);
	free_record(&r);
}

static void extract_fails(const bnn_wfdb_record *r, const bnn_wfdb_annlist *l,
			  const bnn_beat_opts *o, int code, const char *msg)
{
	bnn_beats b;
	bnn_error e;
	int rc;

	bnn_error_clear(&e);
	rc = bnn_beats_extract(r, l, o, &b, &e);
	if (rc != code || !strstr(e.msg, msg))
		print_error("got %d \"%s\", want %d \"%s\"\n", rc, e.msg, code,
			    msg);
	assert_int_equal(rc, code);
	assert_non_null(strstr(e.msg, msg));
	assert_null(b.x);
	assert_int_equal(b.n, 0);
}

static void test_errors(void **state)
{
	(void)state;
	bnn_wfdb_record r, g;
	bnn_wfdb_annlist l;
	bnn_beat_opts o;
	static const char *const missing[2] = { "MLII", "V2" };
	static const char *const twice[2] = { "MLII", "ml ii" };
	static const char *const empty[2] = { "MLII", "" };
	static const char *const mv1[2] = { "MLII", "V1" };
	static const char *const generic[NSIG] = { "ECG1", "ECG2", "ECG3" };
	static const int dup[2] = { 1, 1 }, out[2] = { 0, 3 };

	make_record(&r, stored);
	make_ann(&l);
	opts_of(0, &o);
	o.nleads = 2;
	o.leads = missing;
	extract_fails(&r, &l, &o, BNN_E_NOTFOUND,
		      "record syn has no lead 'V2' (signals: MLII, V1, V5)");
	o.leads = twice;
	extract_fails(&r, &l, &o, BNN_E_INVAL,
		      "record syn: leads 'MLII' and 'ml ii' both name its signal 0 (MLII)");
	o.leads = empty;
	extract_fails(&r, &l, &o, BNN_E_INVAL, "lead 1 has no name");
	o.leads = NULL;
	extract_fails(&r, &l, &o, BNN_E_INVAL,
		      "beats: nleads 2 without leads or signals");
	o.signals = dup;
	extract_fails(&r, &l, &o, BNN_E_INVAL,
		      "beats: signal 1 given twice (leads 0 and 1)");
	o.signals = out;
	extract_fails(&r, &l, &o, BNN_E_RANGE,
		      "beats: signal 3 out of range (record syn has 3)");
	o.nleads = BNN_WFDB_MAX_SIGNALS + 1;
	extract_fails(&r, &l, &o, BNN_E_INVAL, "beats: 257 leads (at most 256)");
	/* a lead that cannot be given in mV names its signal */
	opts_of(2, &o);
	o.leads = mv1;
	o.nleads = 2;
	r.hdr.sig[1].uncalibrated = 1;
	extract_fails(&r, &l, &o, BNN_E_UNSUPPORTED,
		      "beats: signal 1 (V1) of syn is uncalibrated");
	r.hdr.sig[1].uncalibrated = 0;
	strcpy(r.hdr.sig[1].units, "mmHg");
	extract_fails(&r, &l, &o, BNN_E_UNSUPPORTED,
		      "units 'mmHg' of signal 1 (V1) cannot be converted to mV");
	free_record(&r);

	/* generically named signals: no lead is taken for another */
	make_record(&g, generic);
	extract_fails(&g, &l, &o, BNN_E_NOTFOUND,
		      "record syn has no lead 'MLII' (signals: ECG1, ECG2, ECG3)");
	o.nleads = 0;
	o.lead = "MLII";
	extract_fails(&g, &l, &o, BNN_E_NOTFOUND, "has no lead 'MLII'");
	free_record(&g);
	free(l.ann);
}

static void test_find_leads(void **state)
{
	(void)state;
	bnn_wfdb_record r;
	static const char *const spelt[NSIG] = { "ML II", "v1", "V5" };
	static const char *const generic[NSIG] = { "ECG", "Resp", "ABP" };
	const char *want[2] = { "MLII", "V1" };
	int sig[2], fb = -1;
	bnn_error e;

	make_record(&r, spelt);
	assert_int_equal(bnn_wfdb_find_leads(&r.hdr, want, 2, sig, &fb, &e), 0);
	assert_int_equal(sig[0], 0);
	assert_int_equal(sig[1], 1);
	assert_int_equal(fb, 0);
	assert_int_equal(bnn_wfdb_find_leads(&r.hdr, want, 0, sig, NULL, &e),
			 BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_find_leads(NULL, want, 1, sig, NULL, &e),
			 BNN_E_INVAL);
	free_record(&r);
	/* one lead: the generic fallback only when the caller asks */
	make_record(&r, generic);
	assert_int_equal(bnn_wfdb_find_leads(&r.hdr, want, 1, sig, &fb, &e), 0);
	assert_int_equal(sig[0], 0);
	assert_int_equal(fb, 1);
	assert_int_equal(bnn_wfdb_find_leads(&r.hdr, want, 1, sig, NULL, &e),
			 BNN_E_NOTFOUND);
	assert_string_equal(e.msg,
			    "record syn has no lead 'MLII' (signals: ECG, Resp, ABP)");
	assert_int_equal(bnn_wfdb_find_leads(&r.hdr, want, 2, sig, &fb, &e),
			 BNN_E_NOTFOUND);
	assert_int_equal(fb, 0);
	free_record(&r);
}

static void test_alloc_failures(void **state)
{
	(void)state;
	bnn_wfdb_record r;
	bnn_wfdb_annlist l;
	static const char *const names[2] = { "V1", "MLII" };
	bnn_beat_opts o;
	int ok = 0;

	make_record(&r, stored);
	make_ann(&l);
	opts_of(2, &o);
	o.leads = names;
	o.nleads = 2;
	for (long k = 0; k < 400 && !ok; k++) {
		bnn_beats b;
		bnn_error e;
		int rc;

		bnn_test_fail_alloc_after(k);
		rc = bnn_beats_extract(&r, &l, &o, &b, &e);
		bnn_test_fail_alloc_after(-1);
		if (rc == BNN_OK) {
			ok = 1;
			bnn_beats_free(&b);
		} else {
			assert_int_equal(rc, BNN_E_NOMEM);
			assert_null(b.x);
		}
	}
	assert_true(ok);
	free(l.ann);
	free_record(&r);
}

/* MIT-BIH: 101 as two leads equals its leads one by one; 114 has no V1. */
static void test_mitdb(void **state)
{
	(void)state;
	const char *root = getenv("RBNN_DATA");
	char dir[1024];
	bnn_wfdb_record r;
	bnn_wfdb_annlist l;
	bnn_error e;
	static const char *const names[2] = { "MLII", "V1" };
	bnn_beat_opts o;

	if (!root || !*root)
		skip();
	snprintf(dir, sizeof dir, "%s/mitdb", root);
	assert_int_equal(bnn_wfdb_read_record(dir, "101", 0, &r, &e), 0);
	assert_int_equal(bnn_wfdb_read_annotations(dir, "101", "atr", &l, &e), 0);
	check_as_one_lead(&r, &l, 2, names, NULL);
	bnn_wfdb_annlist_free(&l);
	bnn_wfdb_record_free(&r);
	assert_int_equal(bnn_wfdb_read_record(dir, "114", 0, &r, &e), 0);
	assert_int_equal(bnn_wfdb_read_annotations(dir, "114", "atr", &l, &e), 0);
	opts_of(2, &o);
	o.leads = names;
	o.nleads = 2;
	extract_fails(&r, &l, &o, BNN_E_NOTFOUND,
		      "record 114 has no lead 'V1' (signals: V5, MLII)");
	bnn_wfdb_annlist_free(&l);
	bnn_wfdb_record_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leads_as_one),
		cmocka_unit_test(test_amp_norm_per_lead),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_find_leads),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_mitdb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
