// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * test_beats.c - AAMI classes, split file, resampling and beat extraction.
 *
 * With $RBNN_DATA set: the per-record and per-set (DS1/DS2) AAMI beat
 * counts of mitdb/README.md are reproduced from the annotations, with the
 * split and class map parsed from mitdb/SPLITS_AAMI.txt, and the effect of
 * the window/edge rule on those counts is pinned down.
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
#include <unistd.h>

#include "beats_internal.h"
#include "bnn_data.h"
#include "test_files.h"

/* ---------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------- */

static int code_of(const char *sym)
{
	int c = bnn_wfdb_ann_code(sym);
	assert_true(c > 0);
	return c;
}

static void split_fails(const char *text, int code, const char *needle)
{
	bnn_aami_split sp;
	bnn_error e;
	bnn_error_clear(&e);
	int rc = bnn_aami_split_parse(text, strlen(text), &sp, &e);
	if (rc != code)
		print_error("split <<%s>>: got %d (%s), want %d\n", text, rc,
			    e.msg, code);
	assert_int_equal(rc, code);
	if (needle && !strstr(e.msg, needle))
		print_error("message '%s' lacks '%s'\n", e.msg, needle);
	if (needle)
		assert_non_null(strstr(e.msg, needle));
	assert_int_equal(sp.nrec[0], 0);
}

/* A synthetic record: one or two signals of n samples, x[i] = f(i). */
static void make_record(bnn_wfdb_record *r, size_t n, double fs,
			const char *units, double gain, int32_t baseline,
			int32_t (*f)(size_t))
{
	memset(r, 0, sizeof *r);
	strcpy(r->hdr.name, "syn");
	r->hdr.nsig = 2;
	r->hdr.ngroups = 1;
	r->hdr.fs = fs;
	r->hdr.nsamples = (int64_t)n;
	r->hdr.sig = calloc(2, sizeof *r->hdr.sig);
	assert_non_null(r->hdr.sig);
	for (int s = 0; s < 2; s++) {
		bnn_wfdb_signal *sg = &r->hdr.sig[s];
		strcpy(sg->file, "syn.dat");
		sg->format = 16;
		sg->gain = gain;
		sg->uncalibrated = 0;
		sg->baseline = baseline;
		snprintf(sg->units, sizeof sg->units, "%s", units);
		sg->adc_res = 16;
	}
	strcpy(r->hdr.sig[0].desc, "V1");
	strcpy(r->hdr.sig[1].desc, "MLII");
	r->nsamples = (int64_t)n;
	r->data = calloc(2 * n, sizeof *r->data);
	assert_non_null(r->data);
	for (size_t i = 0; i < n; i++) {
		r->data[i] = -1;		/* signal 0: not used */
		r->data[n + i] = f(i);		/* signal 1 "MLII" */
	}
}

static int32_t ramp(size_t i)
{
	return (int32_t)i;
}

static int32_t flat(size_t i)
{
	(void)i;
	return 7;
}

static void make_ann(bnn_wfdb_annlist *l, const int64_t *t, const char **sym,
		     size_t n)
{
	memset(l, 0, sizeof *l);
	l->ann = calloc(n ? n : 1, sizeof *l->ann);
	assert_non_null(l->ann);
	l->n = n;
	for (size_t i = 0; i < n; i++) {
		l->ann[i].sample = t[i];
		l->ann[i].code = code_of(sym[i]);
	}
}

/* ---------------------------------------------------------------------
 * AAMI map and split file
 * --------------------------------------------------------------------- */

static void test_aami_default_map(void **state)
{
	(void)state;
	signed char m[BNN_AAMI_MAP_SIZE];
	bnn_aami_default_map(m);
	static const char *const cls[BNN_AAMI_NCLASS] = {
		"N L R e j", "A a J S", "V E", "F", "/ f Q"
	};
	int members = 0;
	for (int c = 0; c < BNN_AAMI_NCLASS; c++)
		for (const char *p = cls[c]; *p; p++) {
			if (*p == ' ')
				continue;
			char s[2] = { *p, 0 };
			assert_int_equal(m[code_of(s)], c);
			members++;
		}
	int beats = 0;
	for (int i = 0; i < BNN_AAMI_MAP_SIZE; i++)
		beats += m[i] >= 0;
	assert_int_equal(beats, members);	/* nothing else is a beat */
	static const char *const nonbeats[] = { "+", "~", "|", "\"", "x",
						"!", "[", "]", "p", "t" };
	for (size_t i = 0; i < sizeof nonbeats / sizeof *nonbeats; i++)
		assert_int_equal(m[code_of(nonbeats[i])], -1);
	assert_int_equal(m[0], -1);
	assert_string_equal(bnn_aami_name(BNN_AAMI_N), "N");
	assert_string_equal(bnn_aami_name(BNN_AAMI_Q), "Q");
	assert_null(bnn_aami_name(5));
	assert_null(bnn_aami_name(-1));
	bnn_aami_default_map(NULL);	/* harmless */
}

static const char split_text[] =
	"# comment\r\n"
	"DS1 101 106\r\n"
	"\r\n"
	"DS2\t100  103\r\n"
	"  # indented comment\r\n"
	"PACED_EXCLUDED 102\r\n"
	"AAMI_N N L R\r\n"
	"AAMI_S A a J S e j\r\n"
	"AAMI_V V E\r\n"
	"AAMI_F F\r\n"
	"AAMI_Q / f Q";

static void test_split_parse(void **state)
{
	(void)state;
	bnn_aami_split sp;
	bnn_error e;
	int rc = bnn_aami_split_parse(split_text, strlen(split_text), &sp, &e);
	if (rc)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
	assert_int_equal(sp.nrec[BNN_SET_DS1], 2);
	assert_int_equal(sp.nrec[BNN_SET_DS2], 2);
	assert_int_equal(sp.nrec[BNN_SET_PACED], 1);
	assert_string_equal(sp.rec[BNN_SET_DS1][1], "106");
	assert_string_equal(sp.rec[BNN_SET_DS2][0], "100");
	assert_int_equal(bnn_aami_split_find(&sp, "103"), BNN_SET_DS2);
	assert_int_equal(bnn_aami_split_find(&sp, "102"), BNN_SET_PACED);
	assert_int_equal(bnn_aami_split_find(&sp, "999"), BNN_E_NOTFOUND);
	assert_int_equal(bnn_aami_split_find(&sp, NULL), BNN_E_INVAL);
	assert_int_equal(bnn_aami_split_find(NULL, "100"), BNN_E_INVAL);
	/* The file's own mapping is used (e, j moved to S here). */
	assert_int_equal(sp.map_from_file, 1);
	assert_int_equal(sp.map[code_of("e")], BNN_AAMI_S);
	assert_int_equal(sp.map[code_of("j")], BNN_AAMI_S);
	assert_int_equal(sp.map[code_of("N")], BNN_AAMI_N);
	assert_int_equal(sp.map[code_of("+")], -1);

	/* Without AAMI lines: the default map. */
	static const char t2[] = "DS1 a\nDS2 b\n";
	assert_int_equal(bnn_aami_split_parse(t2, strlen(t2), &sp, &e), BNN_OK);
	assert_int_equal(sp.map_from_file, 0);
	assert_int_equal(sp.nrec[BNN_SET_PACED], 0);
	signed char def[BNN_AAMI_MAP_SIZE];
	bnn_aami_default_map(def);
	assert_memory_equal(sp.map, def, sizeof def);

	/* Partial mapping: only what the file says. */
	static const char t3[] = "DS1 a\nDS2 b\nAAMI_V V\n";
	assert_int_equal(bnn_aami_split_parse(t3, strlen(t3), &sp, &e), BNN_OK);
	assert_int_equal(sp.map[code_of("V")], BNN_AAMI_V);
	assert_int_equal(sp.map[code_of("N")], -1);
}

static void test_split_default(void **state)
{
	(void)state;
	bnn_aami_split sp;
	assert_int_equal(bnn_aami_split_default(&sp), BNN_OK);
	assert_int_equal(sp.nrec[BNN_SET_DS1], 22);
	assert_int_equal(sp.nrec[BNN_SET_DS2], 22);
	assert_int_equal(sp.nrec[BNN_SET_PACED], 4);
	assert_string_equal(sp.rec[BNN_SET_DS1][0], "101");
	assert_string_equal(sp.rec[BNN_SET_DS1][21], "230");
	assert_string_equal(sp.rec[BNN_SET_DS2][0], "100");
	assert_string_equal(sp.rec[BNN_SET_DS2][21], "234");
	assert_string_equal(sp.rec[BNN_SET_PACED][3], "217");
	assert_int_equal(bnn_aami_split_find(&sp, "208"), BNN_SET_DS1);
	assert_int_equal(bnn_aami_split_find(&sp, "232"), BNN_SET_DS2);
	assert_int_equal(bnn_aami_split_find(&sp, "107"), BNN_SET_PACED);
	assert_int_equal(bnn_aami_split_find(&sp, "110"), BNN_E_NOTFOUND);
	assert_int_equal(sp.map_from_file, 0);
	signed char def[BNN_AAMI_MAP_SIZE];
	bnn_aami_default_map(def);
	assert_memory_equal(sp.map, def, sizeof def);
	assert_int_equal(bnn_aami_split_default(NULL), BNN_E_INVAL);
}

static void test_split_errors(void **state)
{
	(void)state;
	split_fails("", BNN_E_PARSE, "DS1 missing");
	split_fails("DS1 1\n", BNN_E_PARSE, "DS2 missing");
	split_fails("DS2 1\n", BNN_E_PARSE, "DS1 missing");
	split_fails("DS1 1\nDS2 2\nDS3 3\n", BNN_E_PARSE, "unknown key 'DS3'");
	split_fails("ds1 1\nDS2 2\n", BNN_E_PARSE, "unknown key");
	split_fails("DS1 1\nDS2 2\nDS1 3\n", BNN_E_PARSE, "repeated");
	split_fails("DS1\nDS2 2\n", BNN_E_PARSE, "no values");
	split_fails("DS1 1/2\nDS2 2\n", BNN_E_PARSE, "bad record name");
	split_fails("DS1 1\nDS2 2\nAAMI_N N Z\n", BNN_E_PARSE,
		    "unknown annotation symbol 'Z'");
	split_fails("DS1 1\nDS2 2\nAAMI_N NN\n", BNN_E_PARSE, "unknown");
	split_fails("DS1 1\nDS2 2\nAAMI_N N\nAAMI_S N\n", BNN_E_PARSE,
		    "already in class N");
	split_fails("DS1 1\nDS2 2\nAAMI_N N N\n", BNN_E_PARSE, "already");
	split_fails("DS1 1 2\nDS2 2\n", BNN_E_PARSE, "already listed in DS1");
	split_fails("DS1 1 1\nDS2 2\n", BNN_E_PARSE, "already listed");
	split_fails("DS1 1\nDS2 2\nPACED_EXCLUDED 1\n", BNN_E_PARSE, "already");
	split_fails("DS1 1\nDS2 2\x01\n", BNN_E_PARSE, "control");
	split_fails("DS1 1\rDS2 2\n", BNN_E_PARSE, "carriage");
	char longname[64];
	snprintf(longname, sizeof longname, "DS1 %040d\nDS2 2\n", 1);
	split_fails(longname, BNN_E_PARSE, "bad record name");
	/* More records than a set can hold. */
	char *big = xmalloc(16 * (BNN_SPLIT_MAX_RECORDS + 2) + 64);
	size_t k = 0;
	appendf(big, &k, "DS2 x\nDS1");
	for (int i = 0; i <= BNN_SPLIT_MAX_RECORDS; i++)
		appendf(big, &k, " r%d", i);
	strcpy(big + k, "\n");
	split_fails(big, BNN_E_RANGE, "more than");
	free(big);

	bnn_aami_split sp;
	assert_int_equal(bnn_aami_split_parse(NULL, 3, &sp, NULL), BNN_E_INVAL);
	assert_int_equal(bnn_aami_split_parse("DS1 1", 5, NULL, NULL), BNN_E_INVAL);
	bnn_error e;
	assert_int_equal(bnn_aami_split_read("/nonexistent/SPLITS", &sp, &e),
			 BNN_E_IO);
	assert_int_equal(bnn_aami_split_read(NULL, &sp, &e), BNN_E_INVAL);
	/* A file with errors: message names the file. */
	char path[] = "/tmp/bnn_split_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "DS1 1\nDS2 2\nX 1\n", 16), 16);
	close(fd);
	assert_int_equal(bnn_aami_split_read(path, &sp, &e), BNN_E_PARSE);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "line 3"));
	unlink(path);
}

/* ---------------------------------------------------------------------
 * Resampling
 * --------------------------------------------------------------------- */

static float *sine(size_t n, double fs, double f, double amp)
{
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(amp * sin(2 * M_PI * f * (double)i / fs));
	return x;
}

/* Max |y - expected sine| away from the ends (margin in output samples). */
static double sine_err(const float *y, size_t m, double fs, double f,
		       double amp, size_t margin)
{
	double worst = 0;
	for (size_t j = margin; j + margin < m; j++) {
		double want = amp * sin(2 * M_PI * f * (double)j / fs);
		double d = fabs((double)y[j] - want);
		worst = d > worst ? d : worst;
	}
	return worst;
}

static double peak(const float *y, size_t m, size_t margin)
{
	double p = 0;
	for (size_t j = margin; j + margin < m; j++)
		p = fabs(y[j]) > p ? fabs(y[j]) : p;
	return p;
}

/* bnn_resample's phase-cached sinc path gives bnn__interp_at's values
 * bit for bit, at integer, rational and awkward ratios, up and down, on
 * a noisy signal (and at the edges, which take bnn__interp_at itself). */
static void test_resample_exact(void **state)
{
	static const double rates[][2] = {
		{ 360, 180 }, { 360, 250 }, { 360, 500 }, { 360, 128 },
		{ 173.61, 128 }, { 250, 360 }, { 1000, 333 }, { 360, 359 },
	};
	const size_t n = 5000;
	float *x = malloc(n * sizeof(*x));
	bnn_error e;

	(void)state;
	assert_non_null(x);
	srand(7);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)sin(0.01 * (double)i) + (float)(rand() % 1000 - 500) / 700;
	for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		double fi = rates[r][0], fo = rates[r][1];
		struct bnn__interp ip;
		float *y;
		size_t m, bad = 0;

		assert_int_equal(bnn_resample(x, n, fi, fo, BNN_RESAMPLE_SINC, &y,
					      &m, &e), BNN_OK);
		bnn__interp_init(&ip, x, 0, (int64_t)n, fi, fo, BNN_RESAMPLE_SINC);
		for (size_t j = 0; j < m; j++) {
			float v = (float)bnn__interp_at(&ip, bnn__resample_pos((int64_t)j, fi, fo));

			bad += memcmp(&v, &y[j], sizeof(v)) != 0;
		}
		if (bad)
			fail_msg("%g -> %g Hz: %zu of %zu samples differ", fi, fo, bad, m);
		free(y);
	}
	free(x);
}

/* bnn_resample (sinc) against bnn__interp_at at every output; the number
 * of outputs that differ. */
static size_t resample_diff(const float *x, size_t n, double fi, double fo)
{
	struct bnn__interp ip;
	float *y;
	size_t m, bad = 0;
	bnn_error e;

	assert_int_equal(bnn_resample(x, n, fi, fo, BNN_RESAMPLE_SINC, &y, &m,
				      &e), BNN_OK);
	assert_int_equal(m, (size_t)bnn__resample_count((int64_t)n, fi, fo));
	bnn__interp_init(&ip, x, 0, (int64_t)n, fi, fo, BNN_RESAMPLE_SINC);
	for (size_t j = 0; j < m; j++) {
		float v = (float)bnn__interp_at(&ip, bnn__resample_pos((int64_t)j,
								      fi, fo));

		bad += memcmp(&v, &y[j], sizeof(v)) != 0;
	}
	free(y);
	return bad;
}

/* The sinc path's ways (groups of one phase by the vector loop, with AVX
 * and without; the scalar loop, also for all; bnn__interp_at at the
 * edges) give
 * bnn__interp_at's bits: integer, rational and irrational ratios, up and
 * down, signals shorter than the kernel, odd lengths, and long enough for
 * t to cross powers of two (where a period's phases differ after
 * rounding), with runs of zeros, negative zeros, a large step and exact
 * cancellation. */
static void test_resample_paths(void **state)
{
	static const double rates[][2] = {
		{ 360, 180 }, { 360, 120 }, { 360, 250 }, { 250, 180 },
		{ 500, 180 }, { 128, 180 }, { 173.61, 180 }, { 360, 500 },
		{ 360, 128 }, { 36, 360 }, { 1000, 10 }, { 48000, 44100 },
		{ 360, 359 }, { 100, 1000 }, { 44100, 48000 },
	};
	static const size_t lens[] = { 1, 2, 3, 5, 17, 40, 65, 66, 67, 100,
				       129, 257, 1001, 4099 };
	const size_t nlens = sizeof(lens) / sizeof(lens[0]), nlong = 40001;
	float *x = malloc(nlong * sizeof(*x));
	uint32_t s = 12345;

	(void)state;
	assert_non_null(x);
	for (size_t i = 0; i < nlong; i++) {
		s = s * 1664525u + 1013904223u;
		x[i] = (float)sin(0.013 * (double)i) +
		       (float)((double)(s >> 8) / (1 << 24) - 0.5);
	}
	for (size_t i = 3000; i < 3100; i++)
		x[i] = (i & 1) ? -0.0f : 0.0f;
	for (size_t i = 3100; i < 3200; i++)
		x[i] = 1e6f;
	/* 0, a, 0, -a: odd about each even sample, where an output of an
	 * integer ratio has symmetric weights: its exact sum is 0, the double
	 * one is rounding alone, so that a change of order shows in its
	 * float */
	for (size_t i = 3200; i < 3600; i++)
		x[i] = (i & 1) ? ((i & 2) ? -1000.0f : 1000.0f) : 0.0f;
	for (int path = 0; path < 3; path++) {
		static const char *const name[] = { "", " (no AVX)",
						     " (scalar loop)" };

		bnn__resample_path = path;
		for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
			double fi = rates[r][0], fo = rates[r][1];

			for (size_t k = 0; k < nlens; k++) {
				size_t n = lens[k], bad = resample_diff(x, n, fi, fo);

				if (bad)
					fail_msg("%g -> %g Hz, %zu samples%s: "
						 "%zu differ", fi, fo, n,
						 name[path], bad);
			}
			/* past t = 2^15 */
			if (fi / fo > 0.5 && resample_diff(x, nlong, fi, fo))
				fail_msg("%g -> %g Hz, %zu samples%s differ",
					 fi, fo, nlong, name[path]);
		}
	}
	bnn__resample_path = 0;
	free(x);
}

static void test_resample(void **state)
{
	(void)state;
	const size_t n = 3600;
	float *x = sine(n, 360, 5, 1.0);
	float *y;
	size_t m;
	bnn_error e;

	/* 360 -> 250 Hz: output length and accuracy. */
	assert_int_equal(bnn_resample(x, n, 360, 250, BNN_RESAMPLE_SINC, &y, &m, &e),
			 BNN_OK);
	assert_int_equal(m, (size_t)floor(3599.0 * 250 / 360) + 1);
	assert_true(sine_err(y, m, 250, 5, 1.0, 40) < 2e-3);
	free(y);
	assert_int_equal(bnn_resample(x, n, 360, 250, BNN_RESAMPLE_LINEAR, &y,
				      &m, &e), BNN_OK);
	double el = sine_err(y, m, 250, 5, 1.0, 2);
	assert_true(el < 2e-3);	/* 5 Hz is smooth at 360 Hz */
	free(y);
	/* Upsampling 360 -> 500 Hz. */
	assert_int_equal(bnn_resample(x, n, 360, 500, BNN_RESAMPLE_SINC, &y, &m, &e),
			 BNN_OK);
	assert_int_equal(m, (size_t)floor(3599.0 * 500 / 360) + 1);
	assert_true(sine_err(y, m, 500, 5, 1.0, 40) < 2e-3);
	free(y);
	/* Same rate: identity (up to float rounding). */
	assert_int_equal(bnn_resample(x, n, 360, 360, BNN_RESAMPLE_SINC, &y, &m, &e),
			 BNN_OK);
	assert_int_equal(m, n);
	for (size_t i = 0; i < n; i++)
		assert_true(fabs(y[i] - x[i]) < 1e-5);
	free(y);
	free(x);

	/* Anti-aliasing: a 150 Hz tone cannot exist at 250 Hz (Nyquist 125):
	 * the sinc resampler removes it, linear interpolation aliases it. */
	x = sine(n, 360, 150, 1.0);
	assert_int_equal(bnn_resample(x, n, 360, 250, BNN_RESAMPLE_SINC, &y, &m, &e),
			 BNN_OK);
	assert_true(peak(y, m, 60) < 0.05);
	free(y);
	assert_int_equal(bnn_resample(x, n, 360, 250, BNN_RESAMPLE_LINEAR, &y,
				      &m, &e), BNN_OK);
	assert_true(peak(y, m, 60) > 0.3);
	free(y);
	free(x);

	/* A constant stays exactly constant (normalised weights, edges). */
	float c[100];
	for (int i = 0; i < 100; i++)
		c[i] = 3.25f;
	assert_int_equal(bnn_resample(c, 100, 173.61, 128, BNN_RESAMPLE_SINC, &y,
				      &m, &e), BNN_OK);
	for (size_t j = 0; j < m; j++)
		assert_true(fabs(y[j] - 3.25) < 1e-5);
	free(y);
	/* One sample in, one sample out. */
	assert_int_equal(bnn_resample(c, 1, 360, 250, BNN_RESAMPLE_SINC, &y, &m, &e),
			 BNN_OK);
	assert_int_equal(m, 1);
	assert_true(fabs(y[0] - 3.25) < 1e-6);
	free(y);

	/* Errors. */
	assert_int_equal(bnn_resample(NULL, 5, 1, 1, 0, &y, &m, &e), BNN_E_INVAL);
	assert_null(y);
	assert_int_equal(m, 0);
	assert_int_equal(bnn_resample(c, 0, 1, 1, 0, &y, &m, &e), BNN_E_INVAL);
	assert_int_equal(bnn_resample(c, 5, 0, 1, 0, &y, &m, &e), BNN_E_INVAL);
	assert_int_equal(bnn_resample(c, 5, 1, -1, 0, &y, &m, &e), BNN_E_INVAL);
	assert_int_equal(bnn_resample(c, 5, NAN, 1, 0, &y, &m, &e), BNN_E_INVAL);
	assert_int_equal(bnn_resample(c, 5, 1, INFINITY, 0, &y, &m, &e),
			 BNN_E_INVAL);
	assert_int_equal(bnn_resample(c, 5, 1, 2, (bnn_resample_method)7, &y, &m,
				      &e), BNN_E_INVAL);
	assert_int_equal(bnn_resample(c, 5, 1, 2, 0, NULL, &m, &e), BNN_E_INVAL);
	assert_int_equal(bnn_resample(c, 5, 1, 2, 0, &y, NULL, &e), BNN_E_INVAL);
	assert_int_equal(bnn_resample(c, 100, 1, 1e9, 0, &y, &m, &e),
			 BNN_E_RANGE);
	assert_non_null(strstr(e.msg, "limit"));
}

/* ---------------------------------------------------------------------
 * Beat windows
 * --------------------------------------------------------------------- */

static void test_beats_count_rule(void **state)
{
	(void)state;
	bnn_wfdb_header h = { .name = "r", .fs = 100, .nsamples = 1000 };
	static const int64_t t[] = { 0, 9, 10, 500, 500, 989, 990, 991, 999,
				     1000, 5000, 300, 301 };
	static const char *sym[] = { "N", "V", "A", "F", "/", "N", "N", "V", "N",
				     "N", "N", "+", "~" };
	bnn_wfdb_annlist l;
	make_ann(&l, t, sym, 13);
	bnn_beat_opts o;
	bnn_beat_opts_default(&o);
	o.pre = 10;
	o.post = 10;
	size_t c[5] = { 0 }, d[5] = { 0 };
	bnn_error e;
	/* Same rate: keep s >= 10 && s + 10 <= 1000. */
	assert_int_equal(bnn_beats_count(&h, &l, &o, c, d, &e), BNN_OK);
	assert_int_equal(c[BNN_AAMI_N], 2);	/* 989, 990 */
	assert_int_equal(c[BNN_AAMI_S], 1);	/* 10 */
	assert_int_equal(c[BNN_AAMI_V], 0);	/* 9, 991 dropped */
	assert_int_equal(c[BNN_AAMI_F], 1);
	assert_int_equal(c[BNN_AAMI_Q], 1);
	assert_int_equal(d[BNN_AAMI_N], 4);	/* 0, 999, 1000, 5000 */
	assert_int_equal(d[BNN_AAMI_V], 2);
	assert_int_equal(d[BNN_AAMI_S] + d[BNN_AAMI_F] + d[BNN_AAMI_Q], 0);
	/* Counts add up across calls. */
	assert_int_equal(bnn_beats_count(&h, &l, &o, c, d, &e), BNN_OK);
	assert_int_equal(c[BNN_AAMI_N], 4);

	/* pre 0, post 1: every beat inside the record. */
	memset(c, 0, sizeof c);
	memset(d, 0, sizeof d);
	o.pre = 0;
	o.post = 1;
	assert_int_equal(bnn_beats_count(&h, &l, &o, c, d, &e), BNN_OK);
	assert_int_equal(c[0] + c[1] + c[2] + c[3] + c[4], 9);
	assert_int_equal(d[BNN_AAMI_N], 2);	/* 1000, 5000 */

	/* Output at 50 Hz (r = 2): keep s - 2*pre >= 0, s + 2*(post-1) <= 999. */
	memset(c, 0, sizeof c);
	memset(d, 0, sizeof d);
	o.fs = 50;
	o.pre = 5;
	o.post = 6;
	assert_int_equal(bnn_beats_count(&h, &l, &o, c, d, &e), BNN_OK);
	/* kept: 10 (S), 500 (F), 500 (Q), 989 (N); 990 + 10 = 1000 > 999 */
	assert_int_equal(c[BNN_AAMI_S], 1);
	assert_int_equal(c[BNN_AAMI_N], 1);
	assert_int_equal(c[BNN_AAMI_F] + c[BNN_AAMI_Q], 2);
	assert_int_equal(c[BNN_AAMI_V], 0);

	/* A custom map: V is not a beat any more. */
	signed char m[BNN_AAMI_MAP_SIZE];
	bnn_aami_default_map(m);
	m[code_of("V")] = -1;
	o.map = m;
	memset(c, 0, sizeof c);
	memset(d, 0, sizeof d);
	assert_int_equal(bnn_beats_count(&h, &l, &o, c, d, &e), BNN_OK);
	assert_int_equal(d[BNN_AAMI_V], 0);

	/* Errors. */
	o.map = NULL;
	h.nsamples = 0;
	assert_int_equal(bnn_beats_count(&h, &l, &o, c, d, &e), BNN_E_RANGE);
	assert_non_null(strstr(e.msg, "sample count"));
	h.nsamples = 1000;
	h.fs = 0;
	assert_int_equal(bnn_beats_count(&h, &l, &o, c, d, &e), BNN_E_INVAL);
	h.fs = 100;
	o.pre = -1;
	assert_int_equal(bnn_beats_count(&h, &l, &o, c, d, &e), BNN_E_INVAL);
	o.pre = 0;
	assert_int_equal(bnn_beats_count(NULL, &l, &o, c, d, &e), BNN_E_INVAL);
	assert_int_equal(bnn_beats_count(&h, NULL, &o, c, d, &e), BNN_E_INVAL);
	assert_int_equal(bnn_beats_count(&h, &l, NULL, c, d, &e), BNN_E_INVAL);
	assert_int_equal(bnn_beats_count(&h, &l, &o, NULL, d, &e), BNN_E_INVAL);
	assert_int_equal(bnn_beats_count(&h, &l, &o, c, NULL, &e), BNN_E_INVAL);
	free(l.ann);
}

static void test_beats_extract(void **state)
{
	(void)state;
	bnn_wfdb_record r;
	make_record(&r, 1000, 100, "mV", 200, 100, ramp);
	static const int64_t t[] = { 2, 3, 50, 500, 996, 997, 600 };
	static const char *sym[] = { "N", "V", "+", "A", "F", "N", "Q" };
	bnn_wfdb_annlist l;
	make_ann(&l, t, sym, 7);
	bnn_beat_opts o;
	bnn_beat_opts_default(&o);	/* lead MLII = signal 1 */
	o.pre = 3;
	o.post = 4;
	bnn_beats b;
	bnn_error e;
	int rc = bnn_beats_extract(&r, &l, &o, &b, &e);
	if (rc)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
	/* 2 dropped (2 < 3), 3 kept, 500, 996 kept (996 + 4 = 1000), 997
	 * dropped, 600 kept; '+' is no beat. */
	assert_int_equal(b.n, 4);
	assert_int_equal(b.len, 7);
	assert_true(b.fs == 100);
	static const int64_t ks[] = { 3, 500, 996, 600 };
	static const int kc[] = { BNN_AAMI_V, BNN_AAMI_S, BNN_AAMI_F, BNN_AAMI_Q };
	for (size_t k = 0; k < 4; k++) {
		assert_int_equal(b.sample[k], ks[k]);
		assert_int_equal(b.cls[k], kc[k]);
		for (size_t j = 0; j < 7; j++)
			assert_true(b.x[k * 7 + j] == (float)(ks[k] - 3 + (int64_t)j));
	}
	assert_int_equal(b.code[0], code_of("V"));
	assert_int_equal(b.count[BNN_AAMI_N], 0);
	assert_int_equal(b.dropped[BNN_AAMI_N], 2);
	assert_int_equal(b.count[BNN_AAMI_V] + b.count[BNN_AAMI_S] +
			 b.count[BNN_AAMI_F] + b.count[BNN_AAMI_Q], 4);
	bnn_beats_free(&b);
	bnn_beats_free(&b);
	bnn_beats_free(NULL);

	/* By index instead of lead name: signal 0 is all -1. */
	o.lead = NULL;
	o.signal = 0;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	assert_true(b.x[0] == -1.0f);
	bnn_beats_free(&b);
	o.lead = "MLII";

	/* Physical units: (x - 100) / 200 mV; uV and V headers scale. */
	o.norm = BNN_NORM_MV;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	assert_true(fabs(b.x[3] - (3 - 100) / 200.0) < 1e-6);	/* beat at 3 */
	assert_true(fabs(b.x[7 + 3] - (500 - 100) / 200.0) < 1e-6);
	bnn_beats_free(&b);
	strcpy(r.hdr.sig[1].units, "uV");
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	assert_true(fabs(b.x[7 + 3] - (500 - 100) / 200.0 / 1000) < 1e-9);
	bnn_beats_free(&b);
	strcpy(r.hdr.sig[1].units, "V");
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	assert_true(fabs(b.x[7 + 3] - (500 - 100) / 200.0 * 1000) < 1e-3);
	bnn_beats_free(&b);
	strcpy(r.hdr.sig[1].units, "mmHg");
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_E_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "mmHg"));
	strcpy(r.hdr.sig[1].units, "mV");
	r.hdr.sig[1].uncalibrated = 1;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_E_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "uncalibrated"));
	r.hdr.sig[1].uncalibrated = 0;

	/* z-score: mean 0, std 1 per beat. */
	o.norm = BNN_NORM_ZSCORE;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	for (size_t k = 0; k < b.n; k++) {
		double m = 0, v = 0;
		for (size_t j = 0; j < b.len; j++)
			m += b.x[k * b.len + j];
		m /= (double)b.len;
		for (size_t j = 0; j < b.len; j++)
			v += (b.x[k * b.len + j] - m) * (b.x[k * b.len + j] - m);
		assert_true(fabs(m) < 1e-6);
		assert_true(fabs(sqrt(v / (double)b.len) - 1) < 1e-5);
	}
	bnn_beats_free(&b);
	bnn_wfdb_record_free(&r);

	/* z-score of a flat beat: zeros, not NaN. */
	make_record(&r, 1000, 100, "mV", 200, 0, flat);
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	for (size_t i = 0; i < b.n * b.len; i++)
		assert_true(b.x[i] == 0.0f);
	bnn_beats_free(&b);
	bnn_wfdb_record_free(&r);
	free(l.ann);
}

/* Step 7, the beat reference: on a ramp (sample i has value i) every
 * window of beat k is s_k - pre + j, so beat k minus the per-sample median
 * of the windows of the beats before it is s_k - median(those s): a
 * constant that an independent computation gives. */
static double median_of(const int64_t *v, size_t n)
{
	int64_t w[16];
	memcpy(w, v, n * sizeof *w);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && w[j - 1] > w[j]; j--) {
			int64_t x = w[j];
			w[j] = w[j - 1];
			w[j - 1] = x;
		}
	return n % 2 ? (double)w[n / 2] : 0.5 * (double)(w[n / 2 - 1] + w[n / 2]);
}

static void test_beats_reference(void **state)
{
	(void)state;
	bnn_wfdb_record r;
	make_record(&r, 1000, 100, "mV", 200, 100, ramp);
	static const int64_t t[] = { 1, 10, 25, 31, 60, 200, 210, 400, 401, 990 };
	static const char *sym[] = { "N", "N", "V", "N", "A", "N", "N", "N", "N", "N" };
	bnn_wfdb_annlist l;
	make_ann(&l, t, sym, 10);
	bnn_beat_opts o;
	bnn_beat_opts_default(&o);
	o.pre = 3;
	o.post = 4;
	bnn_beats b, plain;
	bnn_error e;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &plain, &e), BNN_OK);
	/* the window of 1 leaves the record: 9 kept beats, 10 .. 990 */
	assert_int_equal(plain.n, 9);
	for (int k = 1; k <= 9; k++) {
		o.ref_beats = k;
		assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
		assert_int_equal(b.n, plain.n);
		for (size_t i = 0; i < b.n; i++) {
			size_t m = i < (size_t)k ? i : (size_t)k;
			double want = m ? (double)b.sample[i] -
					  median_of(b.sample + i - m, m) : 0;
			for (size_t j = 0; j < b.len; j++)
				assert_true(b.x[i * b.len + j] == (float)want);
		}
		/* only the windows change */
		assert_memory_equal(b.rhythm, plain.rhythm,
				    b.n * BNN_FEAT_COUNT * sizeof(float));
		assert_memory_equal(b.cls, plain.cls, b.n);
		bnn_beats_free(&b);
	}
	/* z-score after the reference: the constant windows become zeros */
	o.ref_beats = 3;
	o.norm = BNN_NORM_ZSCORE;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	for (size_t i = 0; i < b.n * b.len; i++)
		assert_true(b.x[i] == 0.0f);
	bnn_beats_free(&b);
	/* out of range */
	o.norm = BNN_NORM_NONE;
	static const int bad[] = { -1, BNN_REF_BEATS_MAX + 1, 1000000 };
	for (size_t i = 0; i < 3; i++) {
		o.ref_beats = bad[i];
		assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_E_INVAL);
		assert_non_null(strstr(e.msg, "beat reference"));
		assert_int_equal(b.n, 0);
	}
	o.ref_beats = BNN_REF_BEATS_MAX;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	bnn_beats_free(&b);
	bnn_beats_free(&plain);
	bnn_wfdb_record_free(&r);
	free(l.ann);
}

static void test_beats_extract_resampled(void **state)
{
	(void)state;
	bnn_wfdb_record r;
	make_record(&r, 2000, 360, "mV", 200, 0, ramp);
	static const int64_t t[] = { 500, 1000, 1500, 19 };
	static const char *sym[] = { "N", "V", "N", "N" };
	bnn_wfdb_annlist l;
	make_ann(&l, t, sym, 4);
	bnn_beat_opts o;
	bnn_beat_opts_default(&o);
	o.fs = 180;		/* r = 2: window sample j at s + 2j */
	o.pre = 10;
	o.post = 20;
	o.resample = BNN_RESAMPLE_LINEAR;
	bnn_beats b;
	bnn_error e;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	assert_int_equal(b.n, 3);	/* 19 - 2 * 10 < 0: dropped */
	assert_int_equal(b.dropped[BNN_AAMI_N], 1);
	assert_true(b.fs == 180);
	for (size_t k = 0; k < 3; k++)
		for (size_t j = 0; j < 30; j++)
			assert_true(fabs(b.x[k * 30 + j] -
					 (double)(t[k] + 2 * ((int64_t)j - 10))) < 1e-3);
	bnn_beats_free(&b);
	/* 250 Hz, sinc: on a ramp (interior) the band-limited interpolation
	 * matches the line closely. */
	o.fs = 250;
	o.resample = BNN_RESAMPLE_SINC;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	for (size_t k = 0; k < 3; k++)
		for (size_t j = 0; j < 30; j++) {
			double want = (double)t[k] + ((double)j - 10) * 360.0 / 250.0;
			assert_true(fabs(b.x[k * 30 + j] - want) < 0.05);
		}
	/* Counting with the same options agrees with extraction. */
	size_t c[5] = { 0 }, d[5] = { 0 };
	assert_int_equal(bnn_beats_count(&r.hdr, &l, &o, c, d, &e), BNN_OK);
	assert_int_equal(c[0] + c[2], b.n);
	assert_memory_equal(c, b.count, sizeof c);
	assert_memory_equal(d, b.dropped, sizeof d);
	bnn_beats_free(&b);
	bnn_wfdb_record_free(&r);
	free(l.ann);
}

static void test_beats_errors(void **state)
{
	(void)state;
	bnn_wfdb_record r;
	make_record(&r, 100, 100, "mV", 200, 0, ramp);
	static const int64_t t[] = { 50 };
	static const char *sym[] = { "N" };
	bnn_wfdb_annlist l;
	make_ann(&l, t, sym, 1);
	bnn_beat_opts o;
	bnn_beats b;
	bnn_error e;

	struct {
		int pre, post;
		double fs;
		int norm, rs;
	} bad[] = {
		{ -1, 5, 0, 0, 0 }, { 5, -1, 0, 0, 0 }, { 0, 0, 0, 0, 0 },
		{ BNN_BEAT_MAX_WINDOW, 1, 0, 0, 0 }, { 1, 1, -1, 0, 0 },
		{ 1, 1, NAN, 0, 0 }, { 1, 1, INFINITY, 0, 0 },
		{ 1, 1, 0, 9, 0 }, { 1, 1, 0, 0, 9 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		bnn_beat_opts_default(&o);
		o.pre = bad[i].pre;
		o.post = bad[i].post;
		o.fs = bad[i].fs;
		o.norm = (bnn_norm)bad[i].norm;
		o.resample = (bnn_resample_method)bad[i].rs;
		assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_E_INVAL);
		assert_null(b.x);
		assert_int_equal(b.n, 0);
	}
	bnn_beat_opts_default(&o);
	signed char m[BNN_AAMI_MAP_SIZE];
	bnn_aami_default_map(m);
	m[3] = 5;
	o.map = m;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_E_INVAL);
	assert_non_null(strstr(e.msg, "class map"));
	m[3] = -2;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_E_INVAL);
	o.map = NULL;

	o.lead = "V5";
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_E_NOTFOUND);
	assert_non_null(strstr(e.msg, "'V5'"));
	assert_non_null(strstr(e.msg, "V1, MLII"));
	o.lead = NULL;
	o.signal = 2;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_E_RANGE);
	o.signal = -1;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_E_RANGE);
	o.signal = 1;

	/* Too many output values: refused before allocating. */
	bnn_wfdb_record big;
	make_record(&big, 70000, 100, "mV", 200, 0, flat);
	bnn_wfdb_annlist many;
	int64_t *tt = malloc(5000 * sizeof *tt);
	const char **ss = malloc(5000 * sizeof *ss);
	assert_non_null(tt);
	assert_non_null(ss);
	for (int i = 0; i < 5000; i++) {
		tt[i] = 35000;
		ss[i] = "N";
	}
	make_ann(&many, tt, ss, 5000);
	o.pre = 30000;
	o.post = 30000;
	assert_int_equal(bnn_beats_extract(&big, &many, &o, &b, &e), BNN_E_RANGE);
	assert_non_null(strstr(e.msg, "limit"));
	free(tt);
	free(ss);
	free(many.ann);
	bnn_wfdb_record_free(&big);
	o.pre = o.post = 3;

	/* A record without samples. */
	bnn_wfdb_record empty = r;
	empty.nsamples = 0;
	empty.data = NULL;
	assert_int_equal(bnn_beats_extract(&empty, &l, &o, &b, &e), BNN_E_RANGE);
	empty.hdr.fs = -1;
	assert_int_equal(bnn_beats_extract(&empty, &l, &o, &b, &e), BNN_E_INVAL);

	assert_int_equal(bnn_beats_extract(NULL, &l, &o, &b, &e), BNN_E_INVAL);
	assert_int_equal(bnn_beats_extract(&r, NULL, &o, &b, &e), BNN_E_INVAL);
	assert_int_equal(bnn_beats_extract(&r, &l, NULL, &b, &e), BNN_E_INVAL);
	assert_int_equal(bnn_beats_extract(&r, &l, &o, NULL, &e), BNN_E_INVAL);
	bnn_beat_opts_default(NULL);

	/* Out of memory, at every allocation, with and without resampling. */
	for (int rs = 0; rs < 2; rs++) {
		o.fs = rs ? 50 : 0;
		int ok = 0;
		for (long n = 0; n < 32 && !ok; n++) {
			bnn_test_fail_alloc_after(n);
			int rc = bnn_beats_extract(&r, &l, &o, &b, &e);
			bnn_test_fail_alloc_after(-1);
			if (rc == BNN_OK) {
				ok = 1;
				bnn_beats_free(&b);
			} else {
				assert_int_equal(rc, BNN_E_NOMEM);
			}
		}
		assert_true(ok);
	}
	for (long n = 0; n < 4; n++) {
		float *y;
		size_t ny;
		float x[10] = { 0 };
		bnn_test_fail_alloc_after(n);
		int rc = bnn_resample(x, 10, 10, 5, 0, &y, &ny, &e);
		bnn_test_fail_alloc_after(-1);
		if (rc == BNN_OK) {
			free(y);
			break;
		}
		assert_int_equal(rc, BNN_E_NOMEM);
	}
	for (long n = 0; n < 4; n++) {
		bnn_aami_split sp;
		bnn_test_fail_alloc_after(n);
		int rc = bnn_aami_split_parse(split_text, strlen(split_text), &sp, &e);
		bnn_test_fail_alloc_after(-1);
		if (rc == BNN_OK)
			break;
		assert_int_equal(rc, BNN_E_NOMEM);
	}
	bnn_wfdb_record_free(&r);
	free(l.ann);
}

/* ---------------------------------------------------------------------
 * Rhythm features and preprocessing
 * --------------------------------------------------------------------- */

static void expect_rows(const bnn_beats *b, const int64_t *all, size_t nall,
			double fs, const size_t *rows)
{
	float *f = malloc(nall * BNN_FEAT_COUNT * sizeof *f);
	assert_non_null(f);
	assert_int_equal(bnn_rhythm_features(all, nall, fs, f, NULL), BNN_OK);
	for (size_t k = 0; k < b->n; k++)
		assert_memory_equal(b->rhythm + k * BNN_FEAT_COUNT,
				    f + rows[k] * BNN_FEAT_COUNT,
				    BNN_FEAT_COUNT * sizeof *f);
	free(f);
}

static void test_beats_rhythm(void **state)
{
	(void)state;
	bnn_wfdb_record r;
	make_record(&r, 1000, 100, "mV", 200, 0, ramp);
	/* Beats at 2 (dropped at the edge), 100, 180, 300 and 996 (dropped);
	 * '+' and '~' are no beats and do not count as RR ends. */
	static const int64_t t[] = { 2, 50, 100, 180, 250, 300, 996 };
	static const char *sym[] = { "N", "+", "V", "N", "~", "A", "N" };
	bnn_wfdb_annlist l;
	make_ann(&l, t, sym, 7);
	bnn_beat_opts o;
	bnn_beat_opts_default(&o);
	o.pre = 3;
	o.post = 5;
	bnn_beats b;
	bnn_error e;
	for (int fsk = 0; fsk < 2; fsk++) {
		o.fs = fsk ? 50 : 0;	/* the rate of x does not matter */
		assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
		assert_int_equal(b.n, 3);
		static const int64_t all[] = { 2, 100, 180, 300, 996 };
		static const size_t rows[] = { 1, 2, 3 };
		expect_rows(&b, all, 5, 100, rows);
		/* Beat at 100: PRE 0.98 s (from the dropped beat at 2). */
		assert_true(fabsf(b.rhythm[BNN_FEAT_PRE_RR] - 0.98f) < 1e-6f);
		assert_true(fabsf(b.rhythm[BNN_FEAT_POST_RR] - 0.8f) < 1e-6f);
		/* Beat at 300: POST to 996 (dropped, still a beat). */
		assert_true(fabsf(b.rhythm[2 * BNN_FEAT_COUNT + BNN_FEAT_POST_RR] -
				  6.96f) < 1e-5f);
		bnn_beats_free(&b);
	}
	o.fs = 0;

	/* One beat in the record: NaN rows (and still extracted). */
	static const int64_t t1[] = { 50, 60 };
	static const char *s1[] = { "N", "+" };
	bnn_wfdb_annlist l1;
	make_ann(&l1, t1, s1, 2);
	assert_int_equal(bnn_beats_extract(&r, &l1, &o, &b, &e), BNN_OK);
	assert_int_equal(b.n, 1);
	for (int f = 0; f < BNN_FEAT_COUNT; f++)
		assert_true(isnan(b.rhythm[f]));
	bnn_beats_free(&b);
	free(l1.ann);

	/* Times not strictly increasing (two beats at one sample): NaN. */
	static const int64_t t2[] = { 50, 80, 80, 120 };
	static const char *s2[] = { "N", "N", "V", "N" };
	make_ann(&l1, t2, s2, 4);
	assert_int_equal(bnn_beats_extract(&r, &l1, &o, &b, &e), BNN_OK);
	assert_int_equal(b.n, 4);
	for (size_t i = 0; i < 4 * BNN_FEAT_COUNT; i++)
		assert_true(isnan(b.rhythm[i]));
	bnn_beats_free(&b);
	free(l1.ann);

	/* No beat at all: an empty (non-NULL) set. */
	static const char *s3[] = { "+" };
	make_ann(&l1, t1, s3, 1);
	assert_int_equal(bnn_beats_extract(&r, &l1, &o, &b, &e), BNN_OK);
	assert_int_equal(b.n, 0);
	assert_non_null(b.rhythm);
	bnn_beats_free(&b);
	free(l1.ann);
	bnn_wfdb_record_free(&r);
	free(l.ann);
}

/* 10 s at 360 Hz: offset 100 ADC, a 7-sample spike of height 10 (k+1)
 * at beat k (every 0.9 s from 0.5 s), for the preprocessing tests. */
static int32_t spikes(size_t i)
{
	if (i >= 180 && (i - 180) % 324 < 7 && i < 3600 - 40)
		return 100 + 10 * (int32_t)((i - 180) / 324 + 1);
	return 100;
}

static void test_beats_preprocess(void **state)
{
	(void)state;
	bnn_wfdb_record r;
	make_record(&r, 3600, 360, "mV", 200, 100, spikes);
	int64_t t[11];
	const char *sym[11];
	for (int k = 0; k < 11; k++) {
		t[k] = 180 + 324 * k + 3;	/* spike centre */
		sym[k] = "N";
	}
	bnn_wfdb_annlist l;
	make_ann(&l, t, sym, 11);
	bnn_beat_opts o;
	bnn_beat_opts_default(&o);
	o.pre = 20;
	o.post = 30;
	bnn_beats b;
	bnn_error e;

	/* Baseline: the offset goes, the spike (narrower than the 200 ms
	 * median) stays exactly. */
	o.baseline = BNN_BASELINE_MEDIAN;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	assert_int_equal(b.n, 11);
	for (size_t k = 0; k < b.n; k++)
		for (size_t j = 0; j < b.len; j++) {
			float want = j >= 17 && j < 24 ? 10.0f * (float)(k + 1) : 0;
			assert_true(b.x[k * b.len + j] == want);
		}
	bnn_beats_free(&b);

	/* QRS amplitude: beat k's is 10 (k+1); scale = median of the last
	 * <= 32: 10, 15, 20, 25, ... = 5 (k + 2); peak / scale. */
	o.amp_norm = BNN_AMP_QRS;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	for (size_t k = 0; k < b.n; k++) {
		double want = 10.0 * (double)(k + 1) / (5.0 * (double)(k + 2));
		assert_true(fabs(b.x[k * b.len + 20] - want) < 1e-6);
		assert_true(b.x[k * b.len] == 0.0f);
	}
	bnn_beats_free(&b);

	/* Physical units before filtering: the same shape in mV. */
	o.amp_norm = BNN_AMP_NONE;
	o.norm = BNN_NORM_MV;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	assert_true(fabsf(b.x[20] - 10.0f / 200) < 1e-7f);
	bnn_beats_free(&b);

	/* z-score after preprocessing: mean 0, std 1. */
	o.norm = BNN_NORM_ZSCORE;
	o.lowpass_hz = 40;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	for (size_t k = 0; k < b.n; k++) {
		double m = 0, v = 0;
		for (size_t j = 0; j < b.len; j++)
			m += b.x[k * b.len + j];
		m /= (double)b.len;
		for (size_t j = 0; j < b.len; j++)
			v += (b.x[k * b.len + j] - m) * (b.x[k * b.len + j] - m);
		assert_true(fabs(m) < 1e-6);
		assert_true(fabs(sqrt(v / (double)b.len) - 1) < 1e-5);
	}
	bnn_beats_free(&b);
	bnn_wfdb_record_free(&r);

	/* Flat record: low-pass keeps the constant, QRS scale 0: zeros. */
	make_record(&r, 3600, 360, "mV", 200, 0, flat);
	bnn_beat_opts_default(&o);
	o.pre = 20;
	o.post = 30;
	o.lowpass_hz = 35;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	for (size_t i = 0; i < b.n * b.len; i++)
		assert_true(fabsf(b.x[i] - 7.0f) < 1e-5f);
	bnn_beats_free(&b);
	o.amp_norm = BNN_AMP_QRS;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	for (size_t i = 0; i < b.n * b.len; i++)
		assert_true(b.x[i] == 0.0f);
	bnn_beats_free(&b);

	/* Resampled to 180 Hz: the keep rule is still bnn_beats_count's. */
	o.fs = 180;
	o.baseline = BNN_BASELINE_MEDIAN;
	assert_int_equal(bnn_beats_extract(&r, &l, &o, &b, &e), BNN_OK);
	size_t c[5] = { 0 }, d[5] = { 0 };
	assert_int_equal(bnn_beats_count(&r.hdr, &l, &o, c, d, &e), BNN_OK);
	assert_memory_equal(c, b.count, sizeof c);
	assert_int_equal(b.len, 50);
	bnn_beats_free(&b);

	/* Bad options. */
	bnn_beat_opts bad = o;
	bad.lowpass_hz = 90;	/* = 180 / 2 */
	assert_int_equal(bnn_beats_extract(&r, &l, &bad, &b, &e), BNN_E_INVAL);
	assert_non_null(strstr(e.msg, "half the output rate"));
	bad.lowpass_hz = -1;
	assert_int_equal(bnn_beats_extract(&r, &l, &bad, &b, &e), BNN_E_INVAL);
	bad.lowpass_hz = NAN;
	assert_int_equal(bnn_beats_extract(&r, &l, &bad, &b, &e), BNN_E_INVAL);
	bad = o;
	bad.baseline = 2;
	assert_int_equal(bnn_beats_extract(&r, &l, &bad, &b, &e), BNN_E_INVAL);
	bad = o;
	bad.amp_norm = -1;
	assert_int_equal(bnn_beats_extract(&r, &l, &bad, &b, &e), BNN_E_INVAL);
	assert_int_equal(bnn_beats_count(&r.hdr, &l, &bad, c, d, &e), BNN_E_INVAL);
	assert_null(b.x);

	/* Out of memory at every allocation, with every step on. */
	o.lowpass_hz = 30;
	o.norm = BNN_NORM_ZSCORE;
	for (int rs = 0; rs < 2; rs++) {
		o.fs = rs ? 180 : 0;
		int ok = 0;
		for (long n = 0; n < 40 && !ok; n++) {
			bnn_test_fail_alloc_after(n);
			int rc = bnn_beats_extract(&r, &l, &o, &b, &e);
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
	}
	bnn_wfdb_record_free(&r);
	free(l.ann);
}

/* ---------------------------------------------------------------------
 * The real MIT-BIH database
 * --------------------------------------------------------------------- */

/* mitdb/README.md, "Per record (leads; AAMI beat counts)". */
static const struct {
	const char *rec;
	int set;
	const char *lead0, *lead1;
	size_t n[BNN_AAMI_NCLASS];
} mitdb_table[] = {
	{ "100", BNN_SET_DS2, "MLII", "V5", { 2239, 33, 1, 0, 0 } },
	{ "101", BNN_SET_DS1, "MLII", "V1", { 1860, 3, 0, 0, 2 } },
	{ "102", BNN_SET_PACED, "V5", "V2", { 99, 0, 4, 0, 2084 } },
	{ "103", BNN_SET_DS2, "MLII", "V2", { 2082, 2, 0, 0, 0 } },
	{ "104", BNN_SET_PACED, "V5", "V2", { 163, 0, 2, 0, 2064 } },
	{ "105", BNN_SET_DS2, "MLII", "V1", { 2526, 0, 41, 0, 5 } },
	{ "106", BNN_SET_DS1, "MLII", "V1", { 1507, 0, 520, 0, 0 } },
	{ "107", BNN_SET_PACED, "MLII", "V1", { 0, 0, 59, 0, 2078 } },
	{ "108", BNN_SET_DS1, "MLII", "V1", { 1740, 4, 17, 2, 0 } },
	{ "109", BNN_SET_DS1, "MLII", "V1", { 2492, 0, 38, 2, 0 } },
	{ "111", BNN_SET_DS2, "MLII", "V1", { 2123, 0, 1, 0, 0 } },
	{ "112", BNN_SET_DS1, "MLII", "V1", { 2537, 2, 0, 0, 0 } },
	{ "113", BNN_SET_DS2, "MLII", "V1", { 1789, 6, 0, 0, 0 } },
	{ "114", BNN_SET_DS1, "V5", "MLII", { 1820, 12, 43, 4, 0 } },
	{ "115", BNN_SET_DS1, "MLII", "V1", { 1953, 0, 0, 0, 0 } },
	{ "116", BNN_SET_DS1, "MLII", "V1", { 2302, 1, 109, 0, 0 } },
	{ "117", BNN_SET_DS2, "MLII", "V2", { 1534, 1, 0, 0, 0 } },
	{ "118", BNN_SET_DS1, "MLII", "V1", { 2166, 96, 16, 0, 0 } },
	{ "119", BNN_SET_DS1, "MLII", "V1", { 1543, 0, 444, 0, 0 } },
	{ "121", BNN_SET_DS2, "MLII", "V1", { 1861, 1, 1, 0, 0 } },
	{ "122", BNN_SET_DS1, "MLII", "V1", { 2476, 0, 0, 0, 0 } },
	{ "123", BNN_SET_DS2, "MLII", "V5", { 1515, 0, 3, 0, 0 } },
	{ "124", BNN_SET_DS1, "MLII", "V4", { 1536, 31, 47, 5, 0 } },
	{ "200", BNN_SET_DS2, "MLII", "V1", { 1743, 30, 826, 2, 0 } },
	{ "201", BNN_SET_DS1, "MLII", "V1", { 1635, 128, 198, 2, 0 } },
	{ "202", BNN_SET_DS2, "MLII", "V1", { 2061, 55, 19, 1, 0 } },
	{ "203", BNN_SET_DS1, "MLII", "V1", { 2529, 2, 444, 1, 4 } },
	{ "205", BNN_SET_DS1, "MLII", "V1", { 2571, 3, 71, 11, 0 } },
	{ "207", BNN_SET_DS1, "MLII", "V1", { 1543, 107, 210, 0, 0 } },
	{ "208", BNN_SET_DS1, "MLII", "V1", { 1586, 2, 992, 373, 2 } },
	{ "209", BNN_SET_DS1, "MLII", "V1", { 2621, 383, 1, 0, 0 } },
	{ "210", BNN_SET_DS2, "MLII", "V1", { 2423, 22, 195, 10, 0 } },
	{ "212", BNN_SET_DS2, "MLII", "V1", { 2748, 0, 0, 0, 0 } },
	{ "213", BNN_SET_DS2, "MLII", "V1", { 2641, 28, 220, 362, 0 } },
	{ "214", BNN_SET_DS2, "MLII", "V1", { 2003, 0, 256, 1, 2 } },
	{ "215", BNN_SET_DS1, "MLII", "V1", { 3195, 3, 164, 1, 0 } },
	{ "217", BNN_SET_PACED, "MLII", "V1", { 244, 0, 162, 0, 1802 } },
	{ "219", BNN_SET_DS2, "MLII", "V1", { 2082, 7, 64, 1, 0 } },
	{ "220", BNN_SET_DS1, "MLII", "V1", { 1954, 94, 0, 0, 0 } },
	{ "221", BNN_SET_DS2, "MLII", "V1", { 2031, 0, 396, 0, 0 } },
	{ "222", BNN_SET_DS2, "MLII", "V1", { 2274, 209, 0, 0, 0 } },
	{ "223", BNN_SET_DS1, "MLII", "V1", { 2045, 73, 473, 14, 0 } },
	{ "228", BNN_SET_DS2, "MLII", "V1", { 1688, 3, 362, 0, 0 } },
	{ "230", BNN_SET_DS1, "MLII", "V1", { 2255, 0, 1, 0, 0 } },
	{ "231", BNN_SET_DS2, "MLII", "V1", { 1568, 1, 2, 0, 0 } },
	{ "232", BNN_SET_DS2, "MLII", "V1", { 398, 1382, 0, 0, 0 } },
	{ "233", BNN_SET_DS2, "MLII", "V1", { 2230, 7, 831, 11, 0 } },
	{ "234", BNN_SET_DS2, "MLII", "V1", { 2700, 50, 3, 0, 0 } },
};
#define MITDB_N (sizeof mitdb_table / sizeof *mitdb_table)

/* Headers and annotations of all records, loaded once. */
static struct {
	int loaded;
	char dir[1024];
	bnn_aami_split split;
	bnn_wfdb_header hdr[MITDB_N];
	bnn_wfdb_annlist ann[MITDB_N];
} db;

static char skip_reason[1300];

static int db_load(void)
{
	if (db.loaded) {
		if (db.loaded < 0)
			print_message("# SKIP reason: %s\n", skip_reason);
		return db.loaded > 0;
	}
	db.loaded = -1;
	const char *root = bnn_data_dir(NULL);
	if (!root) {
		snprintf(skip_reason, sizeof skip_reason, "RBNN_DATA is not set");
		print_message("# SKIP reason: %s\n", skip_reason);
		return 0;
	}
	snprintf(db.dir, sizeof db.dir, "%s/mitdb", root);
	char p[1200];
	snprintf(p, sizeof p, "%s/SPLITS_AAMI.txt", db.dir);
	if (access(p, R_OK) != 0) {
		snprintf(skip_reason, sizeof skip_reason, "%s not readable", p);
		print_message("# SKIP reason: %s\n", skip_reason);
		return 0;
	}
	bnn_error e;
	if (bnn_aami_split_read(p, &db.split, &e)) {
		print_error("%s\n", e.msg);
		fail();
	}
	for (size_t i = 0; i < MITDB_N; i++) {
		snprintf(p, sizeof p, "%s/%s.hea", db.dir, mitdb_table[i].rec);
		if (bnn_wfdb_read_header(p, &db.hdr[i], &e) ||
		    bnn_wfdb_read_annotations(db.dir, mitdb_table[i].rec, "atr",
					      &db.ann[i], &e)) {
			print_error("%s\n", e.msg);
			fail();
		}
	}
	db.loaded = 1;
	return 1;
}

static int db_teardown(void **state)
{
	(void)state;
	if (db.loaded > 0)
		for (size_t i = 0; i < MITDB_N; i++) {
			bnn_wfdb_header_free(&db.hdr[i]);
			bnn_wfdb_annlist_free(&db.ann[i]);
		}
	return 0;
}

/* Counts per set (DS1, DS2, paced) with a window rule. */
static void set_counts(int pre, int post, size_t c[BNN_SET_COUNT][BNN_AAMI_NCLASS])
{
	bnn_beat_opts o;
	bnn_beat_opts_default(&o);
	o.pre = pre;
	o.post = post;
	o.map = db.split.map;
	memset(c, 0, sizeof(size_t) * BNN_SET_COUNT * BNN_AAMI_NCLASS);
	for (size_t i = 0; i < MITDB_N; i++) {
		int set = bnn_aami_split_find(&db.split, mitdb_table[i].rec);
		assert_true(set >= 0);
		size_t d[BNN_AAMI_NCLASS] = { 0 };
		assert_int_equal(bnn_beats_count(&db.hdr[i], &db.ann[i], &o, c[set],
						 d, NULL), BNN_OK);
	}
}

static void expect5(const char *what, const size_t *got, size_t n, size_t s,
		    size_t v, size_t f, size_t q)
{
	size_t want[5] = { n, s, v, f, q };
	int same = !memcmp(got, want, sizeof want);
	print_message("# %-34s N %zu S %zu V %zu F %zu Q %zu%s\n", what, got[0],
		      got[1], got[2], got[3], got[4], same ? "" : "  MISMATCH");
	if (!same)
		print_error("%s: want N %zu S %zu V %zu F %zu Q %zu\n", what, n,
			    s, v, f, q);
	assert_memory_equal(got, want, sizeof want);
}

static void test_mitdb_split_file(void **state)
{
	(void)state;
	if (!db_load()) {
		skip();
		return;
	}
	assert_int_equal(db.split.nrec[BNN_SET_DS1], 22);
	assert_int_equal(db.split.nrec[BNN_SET_DS2], 22);
	assert_int_equal(db.split.nrec[BNN_SET_PACED], 4);
	assert_int_equal(db.split.map_from_file, 1);
	/* The file's map is the standard AAMI map. */
	signed char def[BNN_AAMI_MAP_SIZE];
	bnn_aami_default_map(def);
	assert_memory_equal(db.split.map, def, sizeof def);
	for (size_t i = 0; i < MITDB_N; i++)
		assert_int_equal(bnn_aami_split_find(&db.split, mitdb_table[i].rec),
				 mitdb_table[i].set);
	/* The built-in split is the file's: records (in order) and map. */
	bnn_aami_split def_sp;
	assert_int_equal(bnn_aami_split_default(&def_sp), BNN_OK);
	assert_memory_equal(def_sp.nrec, db.split.nrec, sizeof def_sp.nrec);
	assert_memory_equal(def_sp.rec, db.split.rec, sizeof def_sp.rec);
	assert_memory_equal(def_sp.map, db.split.map, sizeof def_sp.map);
}

/* Rule "every beat": window [-0, +1), i.e. s in the record. */
static void test_mitdb_counts_per_record(void **state)
{
	(void)state;
	if (!db_load()) {
		skip();
		return;
	}
	bnn_beat_opts o;
	bnn_beat_opts_default(&o);
	o.pre = 0;
	o.post = 1;
	o.map = db.split.map;
	for (size_t i = 0; i < MITDB_N; i++) {
		size_t c[5] = { 0 }, d[5] = { 0 };
		assert_int_equal(bnn_beats_count(&db.hdr[i], &db.ann[i], &o, c, d,
						 NULL), BNN_OK);
		if (memcmp(c, mitdb_table[i].n, sizeof c))
			print_error("record %s differs from README\n",
				    mitdb_table[i].rec);
		assert_memory_equal(c, mitdb_table[i].n, sizeof c);
		assert_memory_equal(d, ((size_t[5]){ 0 }), sizeof d);
		assert_string_equal(db.hdr[i].sig[0].desc, mitdb_table[i].lead0);
		assert_string_equal(db.hdr[i].sig[1].desc, mitdb_table[i].lead1);
	}
}

static void test_mitdb_counts_per_set(void **state)
{
	(void)state;
	if (!db_load()) {
		skip();
		return;
	}
	size_t c[BNN_SET_COUNT][BNN_AAMI_NCLASS];

	/* The published numbers (README = de Chazal 2004 except DS1 F). */
	set_counts(0, 1, c);
	expect5("DS1, all beats [-0,+1)", c[BNN_SET_DS1], 45866, 944, 3788, 415, 8);
	expect5("DS2, all beats [-0,+1)", c[BNN_SET_DS2], 44259, 1837, 3221, 388, 7);
	size_t all44 = 0;
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < 5; k++)
			all44 += c[s][k];
	assert_int_equal(all44, 51021 + 49712);

	/* The widest window that keeps every beat: the earliest beat is
	 * 220's N at sample 28, the latest 113's N at 649994 (6 from the
	 * end). */
	set_counts(28, 6, c);
	expect5("DS1, window [-28,+6)", c[BNN_SET_DS1], 45866, 944, 3788, 415, 8);
	expect5("DS2, window [-28,+6)", c[BNN_SET_DS2], 44259, 1837, 3221, 388, 7);
	set_counts(29, 6, c);
	expect5("DS1, window [-29,+6)", c[BNN_SET_DS1], 45865, 944, 3788, 415, 8);
	set_counts(28, 7, c);
	expect5("DS2, window [-28,+7)", c[BNN_SET_DS2], 44258, 1837, 3221, 388, 7);

	/* F 414 (de Chazal) needs 208's F at sample 46 dropped: pre >= 47,
	 * which also drops 220's N at 28 and 233's V at 42, so no window
	 * reproduces all published numbers at once. */
	set_counts(47, 6, c);
	expect5("DS1, window [-47,+6)", c[BNN_SET_DS1], 45865, 944, 3788, 414, 8);
	expect5("DS2, window [-47,+6)", c[BNN_SET_DS2], 44259, 1837, 3220, 388, 7);

	/* A typical 256-sample window. */
	set_counts(128, 128, c);
	expect5("DS1, window [-128,+128)", c[BNN_SET_DS1], 45846, 944, 3788, 414, 8);
	expect5("DS2, window [-128,+128)", c[BNN_SET_DS2], 44241, 1837, 3220, 388, 7);
	set_counts(90, 110, c);
	expect5("DS1, window [-90,+110)", c[BNN_SET_DS1], 45854, 944, 3788, 414, 8);
	expect5("DS2, window [-90,+110)", c[BNN_SET_DS2], 44245, 1837, 3220, 388, 7);
}

/* Extraction of the real signals: MLII windows of all 44 records. */
static void test_mitdb_extract(void **state)
{
	(void)state;
	if (!db_load()) {
		skip();
		return;
	}
	bnn_beat_opts o;
	bnn_beat_opts_default(&o);	/* MLII, [-128, +128), 360 Hz */
	o.map = db.split.map;
	o.norm = BNN_NORM_MV;
	size_t tot[2][BNN_AAMI_NCLASS] = { { 0 } };
	for (size_t i = 0; i < MITDB_N; i++) {
		int set = mitdb_table[i].set;
		if (set == BNN_SET_PACED)
			continue;
		bnn_wfdb_record r;
		bnn_beats b;
		bnn_error e;
		assert_int_equal(bnn_wfdb_read_record(db.dir, mitdb_table[i].rec, 0,
						      &r, &e), BNN_OK);
		int rc = bnn_beats_extract(&r, &db.ann[i], &o, &b, &e);
		if (rc)
			print_error("%s: %s\n", mitdb_table[i].rec, e.msg);
		assert_int_equal(rc, BNN_OK);
		for (int k = 0; k < BNN_AAMI_NCLASS; k++)
			tot[set][k] += b.count[k];
		/* Spot check: first beat, centre sample = MLII ADC value. */
		int ml = bnn_wfdb_find_signal(&r.hdr, "MLII");
		const int32_t *x = bnn_wfdb_samples(&r, ml);
		assert_true(b.n > 0);
		double want = (x[b.sample[0]] - 1024) / 200.0;
		assert_true(fabs(b.x[128] - want) < 1e-6);
		want = (x[b.sample[b.n - 1] - 128] - 1024) / 200.0;
		assert_true(fabs(b.x[(b.n - 1) * b.len] - want) < 1e-6);
		bnn_beats_free(&b);

		/* One record also at 250 Hz: extraction = counting. */
		if (!strcmp(mitdb_table[i].rec, "114")) {
			bnn_beat_opts o2 = o;
			o2.fs = 250;
			o2.pre = 90;
			o2.post = 160;
			o2.norm = BNN_NORM_ZSCORE;
			assert_int_equal(bnn_beats_extract(&r, &db.ann[i], &o2, &b,
							   &e), BNN_OK);
			size_t c[5] = { 0 }, d[5] = { 0 };
			assert_int_equal(bnn_beats_count(&r.hdr, &db.ann[i], &o2,
							 c, d, &e), BNN_OK);
			assert_memory_equal(c, b.count, sizeof c);
			assert_int_equal(b.len, 250);
			assert_int_equal(b.n, 1878);	/* 1879 beats, 1 at the edge */
			bnn_beats_free(&b);
		}
		bnn_wfdb_record_free(&r);
	}
	expect5("DS1 extracted, MLII [-128,+128)", tot[0], 45846, 944, 3788, 414, 8);
	expect5("DS2 extracted, MLII [-128,+128)", tot[1], 44241, 1837, 3220, 388, 7);
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* Rhythm features exist for every record (strictly increasing beat
 * times), and record 100 through the whole preprocessing at 180 Hz. */
static void test_mitdb_rhythm_preprocess(void **state)
{
	(void)state;
	if (!db_load()) {
		skip();
		return;
	}
	for (size_t i = 0; i < MITDB_N; i++) {
		const bnn_wfdb_annlist *a = &db.ann[i];
		int64_t *t = malloc(a->n * sizeof *t);
		float *f = malloc(a->n * BNN_FEAT_COUNT * sizeof *f);
		assert_non_null(t);
		assert_non_null(f);
		size_t nb = 0;
		for (size_t k = 0; k < a->n; k++)
			if (db.split.map[a->ann[k].code] >= 0)
				t[nb++] = a->ann[k].sample;
		bnn_error e;
		int rc = bnn_rhythm_features(t, nb, db.hdr[i].fs, f, &e);
		if (rc)
			print_error("%s: %s\n", mitdb_table[i].rec, e.msg);
		assert_int_equal(rc, BNN_OK);
		for (size_t k = 0; k < nb * BNN_FEAT_COUNT; k++)
			assert_true(isfinite(f[k]) && f[k] >= 0);
		free(t);
		free(f);
	}

	size_t i100 = 0;
	while (strcmp(mitdb_table[i100].rec, "100"))
		i100++;
	bnn_wfdb_record r;
	bnn_error e;
	assert_int_equal(bnn_wfdb_read_record(db.dir, "100", 0, &r, &e), BNN_OK);
	bnn_beat_opts o;
	bnn_beat_opts_default(&o);
	o.map = db.split.map;
	o.fs = 180;
	o.pre = 45;
	o.post = 55;
	o.norm = BNN_NORM_MV;
	o.baseline = BNN_BASELINE_MEDIAN;
	o.lowpass_hz = 35;
	o.amp_norm = BNN_AMP_QRS;
	bnn_beats b;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = bnn_beats_extract(&r, &db.ann[i100], &o, &b, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
	size_t c[5] = { 0 }, d[5] = { 0 };
	assert_int_equal(bnn_beats_count(&r.hdr, &db.ann[i100], &o, c, d, &e),
			 BNN_OK);
	assert_memory_equal(c, b.count, sizeof c);
	assert_int_equal(b.n, 2271);	/* of 2273: 2 too near the ends */
	for (size_t k = 0; k < b.n * b.len; k++)
		assert_true(isfinite(b.x[k]));
	for (size_t k = 1; k < b.n; k++) {
		float pre = b.rhythm[k * BNN_FEAT_COUNT + BNN_FEAT_PRE_RR];
		float want = (float)((double)(b.sample[k] - b.sample[k - 1]) / 360);
		assert_true(fabsf(pre - want) < 1e-6f);
	}
	/* After baseline removal and QRS scaling the R peak of record 100's
	 * MLII sits near +0.8 of the QRS amplitude, the window start (PR
	 * segment) near 0. */
	float *peak = malloc(b.n * sizeof *peak), *start = malloc(b.n * sizeof *start);
	assert_non_null(peak);
	assert_non_null(start);
	for (size_t k = 0; k < b.n; k++) {
		peak[k] = b.x[k * b.len + (size_t)o.pre];
		start[k] = fabsf(b.x[k * b.len]);
	}
	qsort(peak, b.n, sizeof *peak, cmp_float);
	qsort(start, b.n, sizeof *start, cmp_float);
	double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
	print_message("# record 100, 180 Hz, baseline + low-pass 35 Hz + QRS: %zu beats in %.3f s (ASan); median R peak %.3f, median |start| %.3f, mean RR %.3f s\n",
		      b.n, s, peak[b.n / 2], start[b.n / 2],
		      (double)(b.sample[b.n - 1] - b.sample[0]) / 360 / (double)(b.n - 1));
	assert_true(peak[b.n / 2] > 0.5f && peak[b.n / 2] < 1.0f);
	assert_true(start[b.n / 2] < 0.15f);
	free(peak);
	free(start);
	bnn_beats_free(&b);
	bnn_wfdb_record_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aami_default_map),
		cmocka_unit_test(test_split_parse),
		cmocka_unit_test(test_split_default),
		cmocka_unit_test(test_split_errors),
		cmocka_unit_test(test_resample),
		cmocka_unit_test(test_resample_exact),
		cmocka_unit_test(test_resample_paths),
		cmocka_unit_test(test_beats_count_rule),
		cmocka_unit_test(test_beats_extract),
		cmocka_unit_test(test_beats_reference),
		cmocka_unit_test(test_beats_extract_resampled),
		cmocka_unit_test(test_beats_errors),
		cmocka_unit_test(test_beats_rhythm),
		cmocka_unit_test(test_beats_preprocess),
		cmocka_unit_test(test_mitdb_split_file),
		cmocka_unit_test(test_mitdb_counts_per_record),
		cmocka_unit_test(test_mitdb_counts_per_set),
		cmocka_unit_test(test_mitdb_extract),
		cmocka_unit_test(test_mitdb_rhythm_preprocess),
	};
	return cmocka_run_group_tests(tests, NULL, db_teardown);
}
