// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * test_wfdb_frames.c - bnn_wfdb_frame_average: oversampled signals
 * (samples per frame > 1) brought to the frame rate, as WFDB's getvec.
 *
 * A format-16 record of three signals with 1, 3 and 2 samples per frame
 * decoded from memory: every frame's mean (rounded half away from zero,
 * negative values too), invalid samples left out of the mean, an all-
 * invalid frame stays invalid, signal 0 untouched, spf 1 afterwards and
 * bnn_wfdb_samples / bnn_wfdb_signal_len agreeing; a second call and a
 * record of spf 1 change nothing; bnn_beats_extract refuses an
 * oversampled lead until then; bad arguments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "bnn_data.h"

#define NF 4			/* frames */
#define TSPF (1 + 3 + 2)	/* samples per frame of the file */

/* Frame f: signal 0 one sample, signal 1 three, signal 2 two. */
static const int16_t frames[NF][TSPF] = {
	{ 7, 1, 2, 4, 10, 11 },		/* means 7, 2.33 -> 2, 10.5 -> 11 */
	{ -7, -1, -2, -4, -10, -11 },	/* -2.33 -> -2, -10.5 -> -11 */
	{ 0, -32768, 5, 6, -32768, 9 },	/* invalid left out: 5.5 -> 6, 9 */
	{ 3, -32768, -32768, -32768, -32768, -32768 },	/* all invalid */
};

static const int32_t want[3][NF] = {
	{ 7, -7, 0, 3 },
	{ 2, -2, 6, -32768 },
	{ 11, -11, 9, -32768 },
};

static void read_rec(const char *hea, bnn_wfdb_record *r)
{
	bnn_wfdb_blob b = { "f.dat", (const uint8_t *)frames, sizeof frames };
	bnn_error e;
	int rc = bnn_wfdb_record_from_memory(hea, strlen(hea), &b, 1,
					     BNN_WFDB_NO_VERIFY, r, &e);
	if (rc)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
}

static void test_average(void **state)
{
	(void)state;
	const char *hea = "f 3 250 4\n"
			  "f.dat 16 200 16 0 0 0 0 A\n"
			  "f.dat 16x3 200 16 0 0 0 0 B\n"
			  "f.dat 16x2 200 16 0 0 0 0 C\n";
	bnn_wfdb_record r;
	bnn_error e;

	read_rec(hea, &r);
	assert_int_equal(bnn_wfdb_signal_len(&r, 1), 3 * NF);
	assert_int_equal(bnn_wfdb_frame_average(&r, &e), BNN_OK);
	for (int s = 0; s < 3; s++) {
		const int32_t *x = bnn_wfdb_samples(&r, s);

		assert_int_equal(r.hdr.sig[s].spf, 1);
		assert_int_equal(bnn_wfdb_signal_len(&r, s), NF);
		assert_non_null(x);
		for (int f = 0; f < NF; f++)
			assert_int_equal(x[f], want[s][f]);
	}
	assert_true(bnn_wfdb_is_invalid(&r.hdr.sig[1], bnn_wfdb_samples(&r, 1)[3]));
	assert_int_equal(r.nsamples, NF);
	assert_true(r.hdr.fs == 250.0);
	/* Once at the frame rate, again changes nothing. */
	assert_int_equal(bnn_wfdb_frame_average(&r, &e), BNN_OK);
	for (int s = 0; s < 3; s++)
		assert_memory_equal(bnn_wfdb_samples(&r, s), want[s],
				    sizeof want[s]);
	bnn_wfdb_record_free(&r);
}

static void test_spf1_unchanged(void **state)
{
	(void)state;
	const char *hea = "g 6 250 4\n"
			  "f.dat 16 200 16 0 0 0 0 a\nf.dat 16 200 16 0 0 0 0 b\n"
			  "f.dat 16 200 16 0 0 0 0 c\nf.dat 16 200 16 0 0 0 0 d\n"
			  "f.dat 16 200 16 0 0 0 0 e\nf.dat 16 200 16 0 0 0 0 f\n";
	bnn_wfdb_record r;
	bnn_error e;

	read_rec(hea, &r);
	int32_t before[6 * NF];
	memcpy(before, r.data, sizeof before);
	assert_int_equal(bnn_wfdb_frame_average(&r, &e), BNN_OK);
	assert_memory_equal(r.data, before, sizeof before);
	bnn_wfdb_record_free(&r);
}

/* Beat extraction refuses an oversampled lead (its windows and the
 * annotation times would not agree) and takes it at the frame rate. */
static void test_beats_need_frames(void **state)
{
	(void)state;
	const char *hea = "f 3 250 4\n"
			  "f.dat 16 200 16 0 0 0 0 A\n"
			  "f.dat 16x3 200 16 0 0 0 0 B\n"
			  "f.dat 16x2 200 16 0 0 0 0 C\n";
	bnn_wfdb_ann ann = { .sample = 2, .code = 1 };
	bnn_wfdb_annlist al = { .n = 1, .ann = &ann };
	bnn_beat_opts o;
	bnn_wfdb_record r;
	bnn_beats b;
	bnn_error e;

	read_rec(hea, &r);
	bnn_beat_opts_default(&o);
	o.lead = "B";
	o.pre = 1;
	o.post = 1;
	assert_int_equal(bnn_beats_extract(&r, &al, &o, &b, &e),
			 BNN_E_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "signal 1 (B) of f has 3 samples per frame"));
	o.lead = "A";	/* a lead of 1 per frame beside them is fine */
	assert_int_equal(bnn_beats_extract(&r, &al, &o, &b, &e), BNN_OK);
	bnn_beats_free(&b);
	o.lead = "B";
	assert_int_equal(bnn_wfdb_frame_average(&r, &e), BNN_OK);
	assert_int_equal(bnn_beats_extract(&r, &al, &o, &b, &e), BNN_OK);
	bnn_beats_free(&b);
	bnn_wfdb_record_free(&r);
}

static void test_bad_args(void **state)
{
	(void)state;
	bnn_error e;
	bnn_wfdb_record r;

	assert_int_equal(bnn_wfdb_frame_average(NULL, &e), BNN_E_INVAL);
	assert_non_null(strstr(e.msg, "NULL"));
	assert_int_equal(bnn_wfdb_frame_average(NULL, NULL), BNN_E_INVAL);
	memset(&r, 0, sizeof r);
	assert_int_equal(bnn_wfdb_frame_average(&r, &e), BNN_OK);	/* empty */
	r.nsamples = -1;
	assert_int_equal(bnn_wfdb_frame_average(&r, &e), BNN_E_INVAL);
	bnn_wfdb_signal s;
	memset(&s, 0, sizeof s);
	r.nsamples = 4;
	r.hdr.nsig = 1;
	r.hdr.sig = &s;
	assert_int_equal(bnn_wfdb_frame_average(&r, &e), BNN_E_INVAL);
	assert_non_null(strstr(e.msg, "no samples"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_average),
		cmocka_unit_test(test_spf1_unchanged),
		cmocka_unit_test(test_beats_need_frames),
		cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
