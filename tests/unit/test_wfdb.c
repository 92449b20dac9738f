// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * test_wfdb.c - WFDB header / signal / annotation readers of libbnn.
 *
 * Synthetic files (in memory and in a temporary folder) cover the formats
 * and every error path; with $RBNN_DATA set, all 48 MIT-BIH records are
 * decoded and checked (header checksums, initial values, annotation
 * counts per symbol from mitdb/README.md).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bnn_data.h"
#include "test_files.h"

/* ---------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------- */


/* Pack samples (12-bit) in format 212. Returns the byte count. */
static size_t enc212(const int *v, size_t n, uint8_t *out)
{
	size_t o = 0, i = 0;
	for (; i + 1 < n; i += 2) {
		unsigned a = (unsigned)v[i] & 0xfff, b = (unsigned)v[i + 1] & 0xfff;
		out[o++] = (uint8_t)(a & 0xff);
		out[o++] = (uint8_t)(((a >> 8) & 0x0f) | ((b >> 4) & 0xf0));
		out[o++] = (uint8_t)(b & 0xff);
	}
	if (i < n) {
		unsigned a = (unsigned)v[i] & 0xfff;
		out[o++] = (uint8_t)(a & 0xff);
		out[o++] = (uint8_t)((a >> 8) & 0x0f);
	}
	return o;
}

/* 16-bit checksum of every k-th value starting at `first`. */
static int csum(const int *v, size_t n, size_t first, size_t step)
{
	unsigned s = 0;
	for (size_t i = first; i < n; i += step)
		s += (unsigned)v[i];
	return (int)(int16_t)(s & 0xffff);
}

static uint32_t rng_state = 12345;
static int rnd(int lo, int hi)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return lo + (int)((rng_state >> 8) % (uint32_t)(hi - lo + 1));
}

/* Expect parse_header(text) to fail with `code` and a message containing
 * `needle` (may be NULL). */
static void hea_fails(const char *text, int code, const char *needle)
{
	bnn_wfdb_header h;
	bnn_error e;
	bnn_error_clear(&e);
	int rc = bnn_wfdb_parse_header(text, strlen(text), &h, &e);
	if (rc != code)
		print_error("header <<%s>>: got %d (%s), want %d\n", text, rc,
			    e.msg, code);
	assert_int_equal(rc, code);
	assert_int_equal(e.code, code);
	assert_true(strlen(e.msg) > 0);
	if (needle && !strstr(e.msg, needle))
		print_error("message '%s' lacks '%s'\n", e.msg, needle);
	if (needle)
		assert_non_null(strstr(e.msg, needle));
	assert_null(h.sig);
	assert_int_equal(h.nsig, 0);
	bnn_wfdb_header_free(&h);
}

/* ---- annotation builder ---- */
struct annbuf {
	uint8_t b[4096];
	size_t n;
};

static void aw(struct annbuf *a, unsigned code, unsigned i)
{
	unsigned w = code << 10 | (i & 0x3ff);
	a->b[a->n++] = (uint8_t)(w & 0xff);
	a->b[a->n++] = (uint8_t)(w >> 8);
}

static void askip(struct annbuf *a, int32_t d)
{
	uint32_t u = (uint32_t)d;
	aw(a, 59, 0);
	a->b[a->n++] = (uint8_t)((u >> 16) & 0xff);
	a->b[a->n++] = (uint8_t)((u >> 24) & 0xff);
	a->b[a->n++] = (uint8_t)(u & 0xff);
	a->b[a->n++] = (uint8_t)((u >> 8) & 0xff);
}

static void aaux(struct annbuf *a, const char *s, size_t len, int pad)
{
	aw(a, 63, (unsigned)len);
	memcpy(a->b + a->n, s, len);
	a->n += len;
	if (pad && (len & 1))
		a->b[a->n++] = 0;
}

static void ann_fails(const struct annbuf *a, int code, const char *needle)
{
	bnn_wfdb_annlist l;
	bnn_error e;
	bnn_error_clear(&e);
	int rc = bnn_wfdb_parse_ann(a->b, a->n, &l, &e);
	if (rc != code)
		print_error("ann: got %d (%s), want %d\n", rc, e.msg, code);
	assert_int_equal(rc, code);
	assert_int_equal(l.n, 0);
	assert_null(l.ann);
	if (needle && !strstr(e.msg, needle))
		print_error("message '%s' lacks '%s'\n", e.msg, needle);
	if (needle)
		assert_non_null(strstr(e.msg, needle));
	bnn_wfdb_annlist_free(&l);
}

/* ---------------------------------------------------------------------
 * Header parsing
 * --------------------------------------------------------------------- */

static const char hea100[] =
	"100 2 360 650000\r\n"
	"100.dat 212 200 11 1024 995 -22131 0 MLII\r\n"
	"100.dat 212 200 11 1024 1011 20052 0 V5\r\n"
	"# 69 M 1085 1629 x1\r\n"
	"# Aldomet, Inderal\r\n";

static void check_hea100(const bnn_wfdb_header *h)
{
	assert_string_equal(h->name, "100");
	assert_int_equal(h->nsig, 2);
	assert_int_equal(h->ngroups, 1);
	assert_true(h->fs == 360.0);
	assert_int_equal(h->nsamples, 650000);
	assert_int_equal(h->has_base_time, 0);
	assert_int_equal(h->has_base_date, 0);
	const bnn_wfdb_signal *s = h->sig;
	assert_string_equal(s[0].file, "100.dat");
	assert_int_equal(s[0].format, 212);
	assert_true(s[0].gain == 200.0);
	assert_int_equal(s[0].uncalibrated, 0);
	assert_int_equal(s[0].adc_res, 11);
	assert_int_equal(s[0].adc_zero, 1024);
	assert_int_equal(s[0].baseline, 1024);
	assert_string_equal(s[0].units, "mV");
	assert_int_equal(s[0].init_value, 995);
	assert_int_equal(s[0].has_init_value, 1);
	assert_int_equal(s[0].checksum, -22131);
	assert_int_equal(s[0].has_checksum, 1);
	assert_int_equal(s[0].block_size, 0);
	assert_int_equal(s[0].byte_offset, 0);
	assert_string_equal(s[0].desc, "MLII");
	assert_string_equal(s[1].desc, "V5");
	assert_int_equal(s[1].init_value, 1011);
	assert_int_equal(s[1].checksum, 20052);
	assert_int_equal(s[0].group, 0);
	assert_int_equal(s[1].group, 0);
}

static void test_hea_basic(void **state)
{
	(void)state;
	bnn_wfdb_header h;
	bnn_error e;
	assert_int_equal(bnn_wfdb_parse_header(hea100, strlen(hea100), &h, &e),
			 BNN_OK);
	check_hea100(&h);
	assert_true(bnn_wfdb_to_phys(&h.sig[0], 995) == (995.0 - 1024) / 200);
	bnn_wfdb_header_free(&h);
	bnn_wfdb_header_free(&h);	/* twice: harmless */
	bnn_wfdb_header_free(NULL);
}

static void test_hea_line_endings(void **state)
{
	(void)state;
	static const char *variants[] = {
		/* LF only */
		"100 2 360 650000\n100.dat 212 200 11 1024 995 -22131 0 MLII\n"
		"100.dat 212 200 11 1024 1011 20052 0 V5\n",
		/* no final line end */
		"100 2 360 650000\r\n100.dat 212 200 11 1024 995 -22131 0 MLII\r\n"
		"100.dat 212 200 11 1024 1011 20052 0 V5",
		/* mixed, comments first, blank lines, tabs, trailing blanks */
		"# leading comment\r\n\r\n  \t\n100\t2 360  650000  \n"
		"   # indented comment\n"
		"100.dat 212\t200 11 1024 995 -22131 0 MLII \t\r\n\n"
		"100.dat 212 200 11 1024 1011 20052 0 V5\r\n\r\n# end\n",
		/* CRLF with trailing comment without line end */
		"100 2 360 650000\r\n100.dat 212 200 11 1024 995 -22131 0 MLII\r\n"
		"100.dat 212 200 11 1024 1011 20052 0 V5\r\n#x",
	};
	for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
		bnn_wfdb_header h;
		bnn_error e;
		int rc = bnn_wfdb_parse_header(variants[i], strlen(variants[i]),
					       &h, &e);
		if (rc)
			print_error("variant %zu: %s\n", i, e.msg);
		assert_int_equal(rc, BNN_OK);
		check_hea100(&h);
		bnn_wfdb_header_free(&h);
	}
	/* Not NUL-terminated: only len bytes are looked at. */
	char buf[256];
	size_t n = strlen(hea100);
	memcpy(buf, hea100, n);
	memset(buf + n, 'X', sizeof buf - n);
	bnn_wfdb_header h;
	assert_int_equal(bnn_wfdb_parse_header(buf, n, &h, NULL), BNN_OK);
	check_hea100(&h);
	bnn_wfdb_header_free(&h);
}

static void test_hea_optional_fields(void **state)
{
	(void)state;
	bnn_wfdb_header h;
	bnn_error e;
	const char *t;

	/* Record line alone: defaults. */
	t = "rec_1";
	assert_int_equal(bnn_wfdb_parse_header(t, strlen(t), &h, &e), BNN_OK);
	assert_string_equal(h.name, "rec_1");
	assert_int_equal(h.nsig, 0);
	assert_null(h.sig);
	assert_true(h.fs == BNN_WFDB_DEFAULT_FS);
	assert_int_equal(h.nsamples, 0);
	bnn_wfdb_header_free(&h);

	/* Minimal signal lines, each format's defaults. */
	t = "r 4 500\nr.dat 16\nr.dat 16\nb.dat 212\nc.dat 80\n";
	assert_int_equal(bnn_wfdb_parse_header(t, strlen(t), &h, &e), BNN_OK);
	assert_int_equal(h.nsig, 4);
	assert_int_equal(h.ngroups, 3);
	assert_int_equal(h.sig[0].group, 0);
	assert_int_equal(h.sig[1].group, 0);
	assert_int_equal(h.sig[2].group, 1);
	assert_int_equal(h.sig[3].group, 2);
	assert_true(h.sig[0].gain == BNN_WFDB_DEFAULT_GAIN);
	assert_int_equal(h.sig[0].uncalibrated, 1);
	assert_int_equal(h.sig[0].adc_res, 16);
	assert_int_equal(h.sig[2].adc_res, 12);
	assert_int_equal(h.sig[3].adc_res, 8);
	assert_int_equal(h.sig[0].adc_zero, 0);
	assert_int_equal(h.sig[0].baseline, 0);
	assert_int_equal(h.sig[0].init_value, 0);
	assert_int_equal(h.sig[0].has_init_value, 0);
	assert_int_equal(h.sig[0].has_checksum, 0);
	assert_string_equal(h.sig[0].desc, "");
	assert_string_equal(h.sig[0].units, "mV");
	bnn_wfdb_header_free(&h);

	/* Everything spelled out. */
	t = "x9 1 360/1000(3.5) 1000 12:30:15.25 25/12/2001\n"
	    "sub/x9.dat 212x1:0+512 200.5(-7)/uV 0 1024 5 -3 2 ECG lead II  \n";
	assert_int_equal(bnn_wfdb_parse_header(t, strlen(t), &h, &e), BNN_OK);
	assert_true(h.fs == 360.0);
	assert_true(h.counter_freq == 1000.0);
	assert_true(h.base_counter == 3.5);
	assert_int_equal(h.nsamples, 1000);
	assert_int_equal(h.has_base_time, 1);
	assert_int_equal(h.base_hour, 12);
	assert_int_equal(h.base_min, 30);
	assert_true(h.base_sec == 15.25);
	assert_int_equal(h.has_base_date, 1);
	assert_int_equal(h.base_day, 25);
	assert_int_equal(h.base_month, 12);
	assert_int_equal(h.base_year, 2001);
	assert_string_equal(h.sig[0].file, "sub/x9.dat");
	assert_int_equal(h.sig[0].byte_offset, 512);
	assert_true(h.sig[0].gain == 200.5);
	assert_int_equal(h.sig[0].uncalibrated, 0);
	assert_int_equal(h.sig[0].baseline, -7);
	assert_string_equal(h.sig[0].units, "uV");
	assert_int_equal(h.sig[0].adc_res, 12);	/* 0 = format default */
	assert_int_equal(h.sig[0].init_value, 5);
	assert_int_equal(h.sig[0].checksum, -3);
	assert_int_equal(h.sig[0].block_size, 2);
	assert_string_equal(h.sig[0].desc, "ECG lead II");
	bnn_wfdb_header_free(&h);

	/* Gain forms; "mm:ss" time; counter freq without base; gain 0. */
	t = "r 3 128/2 10 05:07\n"
	    "a.dat 16 0/mV 16\n"
	    "a.dat 16 100(3)\n"
	    "a.dat 16 1e2/V 12 7\n";
	assert_int_equal(bnn_wfdb_parse_header(t, strlen(t), &h, &e), BNN_OK);
	assert_true(h.counter_freq == 2.0);
	assert_int_equal(h.base_hour, 0);
	assert_int_equal(h.base_min, 5);
	assert_true(h.base_sec == 7.0);
	assert_int_equal(h.sig[0].uncalibrated, 1);
	assert_true(h.sig[0].gain == BNN_WFDB_DEFAULT_GAIN);
	assert_int_equal(h.sig[1].baseline, 3);
	assert_true(h.sig[1].gain == 100.0);
	assert_string_equal(h.sig[2].units, "V");
	assert_int_equal(h.sig[2].adc_zero, 7);
	assert_int_equal(h.sig[2].baseline, 7);	/* defaults to adc_zero */
	assert_int_equal(h.sig[2].init_value, 7);	/* defaults to adc_zero */
	bnn_wfdb_header_free(&h);

	/* Checksum range: 0..65535 accepted too. */
	t = "r 1\nr.dat 16 200 16 0 0 65535\n";
	assert_int_equal(bnn_wfdb_parse_header(t, strlen(t), &h, &e), BNN_OK);
	assert_int_equal(h.sig[0].checksum, 65535);
	bnn_wfdb_header_free(&h);
}

static void test_hea_errors_record_line(void **state)
{
	(void)state;
	hea_fails("", BNN_E_TRUNCATED, "no record line");
	hea_fails("# only a comment\r\n\r\n", BNN_E_TRUNCATED, "no record line");
	hea_fails("100 2 360 650000\r\n100.dat 212 200 11 1024 995 -22131 0 MLII\r\n",
		  BNN_E_TRUNCATED, "1 of 2");
	hea_fails("100 x 360", BNN_E_PARSE, "number of signals");
	hea_fails("100 -1 360", BNN_E_RANGE, "number of signals");
	hea_fails("100 257 360", BNN_E_RANGE, "257 signals");
	hea_fails("100 99999999999999999999 360", BNN_E_RANGE, NULL);
	hea_fails("100 1 abc", BNN_E_PARSE, "sampling frequency");
	hea_fails("100 1 0", BNN_E_RANGE, "sampling frequency");
	hea_fails("100 1 -360", BNN_E_RANGE, "sampling frequency");
	hea_fails("100 1 nan", BNN_E_PARSE, NULL);
	hea_fails("100 1 inf", BNN_E_PARSE, NULL);
	hea_fails("100 1 1e999", BNN_E_RANGE, NULL);
	hea_fails("100 1 2e9", BNN_E_RANGE, NULL);
	hea_fails("100 1 360/0", BNN_E_RANGE, "counter frequency");
	hea_fails("100 1 360/x", BNN_E_PARSE, "counter frequency");
	hea_fails("100 1 360/100(", BNN_E_PARSE, "base counter");
	hea_fails("100 1 360/100(5", BNN_E_PARSE, "base counter");
	hea_fails("100 1 360/100(q)", BNN_E_PARSE, "base counter");
	hea_fails("100 1 360 -5", BNN_E_RANGE, "number of samples");
	hea_fails("100 1 360 12x", BNN_E_PARSE, "number of samples");
	hea_fails("100 1 360 99999999999999999999", BNN_E_RANGE, NULL);
	hea_fails("100/2 2 360", BNN_E_TRUNCATED, "0 of 2 segment lines");
	hea_fails("100/0 2 360", BNN_E_RANGE, "number of segments");
	hea_fails("100/x 2 360", BNN_E_PARSE, "number of segments");
	hea_fails("100/65537 2 360", BNN_E_RANGE, "segments");
	hea_fails("m/2 1 360\na 10\n", BNN_E_TRUNCATED, "1 of 2 segment");
	hea_fails("m/2 1 360\na 10\nb 0\n", BNN_E_RANGE, "length 0");
	hea_fails("m/1 1 360\n~ 0\n", BNN_E_RANGE, "length 0");
	hea_fails("m/1 1 360\na\n", BNN_E_PARSE, "name and a length");
	hea_fails("m/1 1 360\na 10 5\n", BNN_E_PARSE, "name and a length");
	hea_fails("m/1 1 360\na/b 10\n", BNN_E_PARSE, "segment name");
	hea_fails("m/1 1 360\na -1\n", BNN_E_RANGE, "segment length");
	hea_fails("m/1 1 360\na 10\na.dat 16\n", BNN_E_PARSE, "unexpected line");
	hea_fails("1+0 1", BNN_E_PARSE, "record name");
	hea_fails("../x 1", BNN_E_PARSE, "record name");
	hea_fails("/2 1", BNN_E_PARSE, "record name");
	hea_fails("r 0 360 10 1:2:3 1/1/2000 extra", BNN_E_PARSE, "fields");
	hea_fails("r 0 360 10 25:00:00", BNN_E_PARSE, "base time");
	hea_fails("r 0 360 10 1:60:00", BNN_E_PARSE, "base time");
	hea_fails("r 0 360 10 1:2:60", BNN_E_PARSE, "base time");
	hea_fails("r 0 360 10 1:2:3:4", BNN_E_PARSE, "base time");
	hea_fails("r 0 360 10 12", BNN_E_PARSE, "base time");
	hea_fails("r 0 360 10 a:b", BNN_E_PARSE, "base time");
	hea_fails("r 0 360 10 1:2:3 32/01/2000", BNN_E_PARSE, "base date");
	hea_fails("r 0 360 10 1:2:3 1/13/2000", BNN_E_PARSE, "base date");
	hea_fails("r 0 360 10 1:2:3 1/2", BNN_E_PARSE, "base date");
	hea_fails("r 0 360 10 1:2:3 1/2/3/4", BNN_E_PARSE, "base date");
	hea_fails("r 0 360 10 1:2:3 a/b/c", BNN_E_PARSE, "base date");
	hea_fails("r 0 360 10 1:2:3 1/1/10000", BNN_E_PARSE, "base date");
}

static void test_hea_errors_signal_line(void **state)
{
	(void)state;
	hea_fails("r 1\nr.dat\n", BNN_E_PARSE, "file name and format");
	hea_fails("r 1\nr.dat 508\n", BNN_E_UNSUPPORTED, "format 508");
	hea_fails("r 1\nr.dat 9\n", BNN_E_UNSUPPORTED, "format 9 ");
	hea_fails("r 1\nr.dat 524\n", BNN_E_UNSUPPORTED, "not supported");
	hea_fails("r 1\nr.dat abc\n", BNN_E_PARSE, "format");
	hea_fails("r 1\nr.dat 99999\n", BNN_E_RANGE, "format");
	hea_fails("r 1\nr.dat 212x65537\n", BNN_E_RANGE, "samples per frame");
	hea_fails("r 1\nr.dat 212x\n", BNN_E_PARSE, "samples per frame");
	hea_fails("r 1\nr.dat 212x0\n", BNN_E_RANGE, "samples per frame");
	hea_fails("r 1\nr.dat 212:9999999999999\n", BNN_E_RANGE, "skew");
	hea_fails("r 1\nr.dat 212:-1\n", BNN_E_PARSE, "skew");
	hea_fails("r 1\nr.dat 212+2:1\n", BNN_E_PARSE, "format field");
	hea_fails("r 1\nr.dat 212:\n", BNN_E_PARSE, "skew");
	hea_fails("r 1\nr.dat 212+x\n", BNN_E_PARSE, "byte offset");
	hea_fails("r 1\nr.dat 212+99999999999999999999\n", BNN_E_RANGE,
		  "byte offset");
	hea_fails("r 1\nr.dat 212q\n", BNN_E_PARSE, "format field");
	hea_fails("r 1\nr.dat 212 abc\n", BNN_E_PARSE, "ADC gain");
	hea_fails("r 1\nr.dat 212 nan\n", BNN_E_PARSE, "ADC gain");
	hea_fails("r 1\nr.dat 212 200(x)\n", BNN_E_PARSE, "baseline");
	hea_fails("r 1\nr.dat 212 200(5\n", BNN_E_PARSE, "')'");
	hea_fails("r 1\nr.dat 212 200(5)x\n", BNN_E_PARSE, "junk");
	hea_fails("r 1\nr.dat 212 200(99999999999)\n", BNN_E_RANGE, "baseline");
	hea_fails("r 1\nr.dat 212 200/\n", BNN_E_PARSE, "units");
	hea_fails("r 1\nr.dat 212 200/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		  BNN_E_PARSE, "units");
	hea_fails("r 1\nr.dat 212 200/mV(3)\n", BNN_E_PARSE, "units before");
	hea_fails("r 1\nr.dat 212 200 13\n", BNN_E_RANGE, "ADC resolution");
	hea_fails("r 1\nr.dat 80 200 9\n", BNN_E_RANGE, "ADC resolution");
	hea_fails("r 1\nr.dat 212 200 -1\n", BNN_E_RANGE, "ADC resolution");
	hea_fails("r 1\nr.dat 212 200 11 x\n", BNN_E_PARSE, "ADC zero");
	hea_fails("r 1\nr.dat 212 200 11 99999999999\n", BNN_E_RANGE, "ADC zero");
	hea_fails("r 1\nr.dat 212 200 11 0 1.5\n", BNN_E_PARSE, "initial value");
	hea_fails("r 1\nr.dat 212 200 11 0 0 70000\n", BNN_E_RANGE, "checksum");
	hea_fails("r 1\nr.dat 212 200 11 0 0 -32769\n", BNN_E_RANGE, "checksum");
	hea_fails("r 1\nr.dat 212 200 11 0 0 0 -1\n", BNN_E_RANGE, "block size");

	char longdesc[300];
	snprintf(longdesc, sizeof longdesc, "r 1\nr.dat 212 200 11 0 0 0 0 %0200d\n", 0);
	hea_fails(longdesc, BNN_E_PARSE, "description");
	char longfile[400];
	memset(longfile, 'f', sizeof longfile);
	memcpy(longfile, "r 1\n", 4);
	memcpy(longfile + 300, " 212\n", 6);
	hea_fails(longfile, BNN_E_PARSE, "file name longer");
	hea_fails("r 1\n- 212\n", BNN_E_UNSUPPORTED, "standard input");
	hea_fails("r 1\nr.dat 212\nextra.dat 212\n", BNN_E_PARSE,
		  "unexpected line");
	hea_fails("r 3\na.dat 212\nb.dat 212\na.dat 212\n", BNN_E_PARSE,
		  "non-adjacent");
	hea_fails("r 2\na.dat 212\na.dat 16\n", BNN_E_PARSE, "differ");
	hea_fails("r 2\na.dat 16+2\na.dat 16+4\n", BNN_E_PARSE, "differ");
}

static void test_hea_errors_bytes(void **state)
{
	(void)state;
	bnn_wfdb_header h;
	bnn_error e;
	/* NUL inside the text. */
	static const char nul[] = "100 1 360\n100.dat 2\0" "12\n";
	assert_int_equal(bnn_wfdb_parse_header(nul, sizeof nul - 1, &h, &e),
			 BNN_E_PARSE);
	assert_non_null(strstr(e.msg, "NUL"));
	assert_non_null(strstr(e.msg, "line 2"));
	hea_fails("100 1\r 360\n", BNN_E_PARSE, "carriage return");
	hea_fails("100 1 360\n\x01" "a 212\n", BNN_E_PARSE, "control");
	hea_fails("100 1 360\n\x7f" "a 212\n", BNN_E_PARSE, "control");

	/* A line longer than the cap. */
	size_t n = BNN_WFDB_LINE_MAX + 100;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, "# ", 2);
	big[n] = '\0';
	hea_fails(big, BNN_E_SIZE, "longer than");
	free(big);

	/* Text longer than the header cap (not even scanned). */
	n = BNN_WFDB_HEADER_MAX + 1;
	big = malloc(n);
	assert_non_null(big);
	memset(big, '\n', n);
	assert_int_equal(bnn_wfdb_parse_header(big, n, &h, &e), BNN_E_SIZE);
	free(big);

	/* Bad arguments. */
	assert_int_equal(bnn_wfdb_parse_header(hea100, 5, NULL, &e), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_parse_header(NULL, 5, &h, &e), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_parse_header(NULL, 0, &h, NULL),
			 BNN_E_TRUNCATED);
	/* err == NULL is allowed everywhere. */
	assert_int_equal(bnn_wfdb_parse_header("x y", 3, &h, NULL), BNN_E_PARSE);
}

static void test_hea_read_file(void **state)
{
	(void)state;
	bnn_wfdb_header h;
	bnn_error e;
	write_file("100.hea", hea100, strlen(hea100));
	assert_int_equal(bnn_wfdb_read_header(tpath("100.hea"), &h, &e), BNN_OK);
	check_hea100(&h);
	bnn_wfdb_header_free(&h);

	assert_int_equal(bnn_wfdb_read_header(tpath("nope.hea"), &h, &e),
			 BNN_E_IO);
	assert_non_null(strstr(e.msg, "nope.hea"));
	assert_int_equal(bnn_wfdb_read_header(tmpdir, &h, &e), BNN_E_IO);
	assert_non_null(strstr(e.msg, "not a regular file"));
	/* A FIFO must be refused, not block. */
	assert_int_equal(mkfifo(tpath("fifo.hea"), 0600), 0);
	assert_int_equal(bnn_wfdb_read_header(tpath("fifo.hea"), &h, &e),
			 BNN_E_IO);
	/* Parse errors carry the path. */
	write_file("bad.hea", "bad 1 x\n", 8);
	assert_int_equal(bnn_wfdb_read_header(tpath("bad.hea"), &h, &e),
			 BNN_E_PARSE);
	assert_non_null(strstr(e.msg, "bad.hea"));
	assert_non_null(strstr(e.msg, "line 1"));
	/* Bigger than the header cap: refused before reading. */
	int fd = open(tpath("huge.hea"), O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)BNN_WFDB_HEADER_MAX + 1), 0);
	close(fd);
	assert_int_equal(bnn_wfdb_read_header(tpath("huge.hea"), &h, &e),
			 BNN_E_SIZE);
	assert_int_equal(bnn_wfdb_read_header(NULL, &h, &e), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_read_header("x", NULL, &e), BNN_E_INVAL);
}

static void test_find_signal(void **state)
{
	(void)state;
	static const char t[] =
		"114 2 360 650000\r\n"
		"114.dat 212 200 11 1024 1015 -11371 0 V5\r\n"
		"114.dat 212 200 11 1024 1027 -13230 0 MLII\r\n";
	bnn_wfdb_header h;
	assert_int_equal(bnn_wfdb_parse_header(t, strlen(t), &h, NULL), BNN_OK);
	assert_int_equal(bnn_wfdb_find_signal(&h, "MLII"), 1);
	assert_int_equal(bnn_wfdb_find_signal(&h, "V5"), 0);
	assert_int_equal(bnn_wfdb_find_signal(&h, "V1"), BNN_E_NOTFOUND);
	assert_int_equal(bnn_wfdb_find_signal(&h, "mlii"), BNN_E_NOTFOUND);
	assert_int_equal(bnn_wfdb_find_signal(&h, NULL), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_find_signal(NULL, "V5"), BNN_E_INVAL);
	bnn_wfdb_header_free(&h);
}

/* ---------------------------------------------------------------------
 * Signal decoding
 * --------------------------------------------------------------------- */

/* Build a format-212 record with nsig interleaved signals of n samples. */
static void make212(int nsig, size_t n, int *vals, uint8_t *dat,
		    size_t *datlen, char *hea, size_t heacap, int bad_sum)
{
	for (size_t i = 0; i < n * (size_t)nsig; i++)
		vals[i] = rnd(-2048, 2047);
	vals[0] = -2048;
	if (n * (size_t)nsig > 1)
		vals[1] = 2047;
	*datlen = enc212(vals, n * (size_t)nsig, dat);
	int k = snprintf(hea, heacap, "syn %d 360 %zu\r\n", nsig, n);
	for (int s = 0; s < nsig; s++)
		k += snprintf(hea + k, heacap - (size_t)k,
			      "syn.dat 212 200 12 0 %d %d 0 S%d\r\n", vals[s],
			      csum(vals, n * (size_t)nsig, (size_t)s,
				   (size_t)nsig) + (s == 0 ? bad_sum : 0), s);
}

static void test_decode_212(void **state)
{
	(void)state;
	static int vals[3 * 1001];
	static uint8_t dat[3 * 1001 * 2];
	char hea[1024];
	size_t datlen;
	bnn_error e;

	for (int nsig = 1; nsig <= 3; nsig++) {
		for (size_t n = 1; n <= 1001; n += 500) {
			make212(nsig, n, vals, dat, &datlen, hea, sizeof hea, 0);
			bnn_wfdb_blob b = { "syn.dat", dat, datlen };
			bnn_wfdb_record r;
			int rc = bnn_wfdb_record_from_memory(hea, strlen(hea), &b, 1,
							     0, &r, &e);
			if (rc)
				print_error("nsig %d n %zu: %s\n", nsig, n, e.msg);
			assert_int_equal(rc, BNN_OK);
			assert_int_equal(r.nsamples, (int64_t)n);
			for (int s = 0; s < nsig; s++) {
				const int32_t *x = bnn_wfdb_samples(&r, s);
				assert_non_null(x);
				for (size_t i = 0; i < n; i++)
					assert_int_equal(x[i], vals[i * (size_t)nsig + (size_t)s]);
			}
			assert_null(bnn_wfdb_samples(&r, nsig));
			assert_null(bnn_wfdb_samples(&r, -1));
			bnn_wfdb_record_free(&r);
			bnn_wfdb_record_free(&r);
		}
	}
	/* Odd sample total: the last pair may be 2 bytes or padded to 3. */
	make212(1, 5, vals, dat, &datlen, hea, sizeof hea, 0);
	assert_int_equal(datlen, 8);
	dat[8] = 0;
	for (size_t len = 8; len <= 9; len++) {
		bnn_wfdb_blob b = { "syn.dat", dat, len };
		bnn_wfdb_record r;
		assert_int_equal(bnn_wfdb_record_from_memory(hea, strlen(hea), &b,
							     1, 0, &r, &e), BNN_OK);
		assert_int_equal(bnn_wfdb_samples(&r, 0)[4], vals[4]);
		bnn_wfdb_record_free(&r);
	}
	bnn_wfdb_blob b10 = { "syn.dat", dat, 10 };
	bnn_wfdb_record r;
	assert_int_equal(bnn_wfdb_record_from_memory(hea, strlen(hea), &b10, 1,
						     BNN_WFDB_STRICT, &r, &e),
			 BNN_E_SIZE);
	bnn_wfdb_blob b7 = { "syn.dat", dat, 7 };
	assert_int_equal(bnn_wfdb_record_from_memory(hea, strlen(hea), &b7, 1,
						     0, &r, &e), BNN_E_TRUNCATED);
}

static void test_decode_16_61_80(void **state)
{
	(void)state;
	const int n = 300;
	int v16[2 * 300], v80[300];
	uint8_t d16[4 * 300], d61[4 * 300], d80[300];
	for (int i = 0; i < 2 * n; i++) {
		v16[i] = rnd(-32768, 32767);
		int x = v16[i];
		d16[2 * i] = (uint8_t)(x & 0xff);
		d16[2 * i + 1] = (uint8_t)((x >> 8) & 0xff);
		d61[2 * i] = (uint8_t)((x >> 8) & 0xff);
		d61[2 * i + 1] = (uint8_t)(x & 0xff);
	}
	v16[0] = -32768;
	d16[0] = 0x00; d16[1] = 0x80; d61[0] = 0x80; d61[1] = 0x00;
	v16[1] = 32767;
	d16[2] = 0xff; d16[3] = 0x7f; d61[2] = 0x7f; d61[3] = 0xff;
	for (int i = 0; i < n; i++) {
		v80[i] = rnd(-128, 127);
		d80[i] = (uint8_t)(v80[i] + 128);
	}
	char hea[1024];
	snprintf(hea, sizeof hea,
		 "m 5 1000 %d\n"
		 "a.dat 16 100 16 0 %d %d 0 A0\n"
		 "a.dat 16 100 16 0 %d %d 0 A1\n"
		 "b.dat 61 100 16 0 %d %d 0 B0\n"
		 "b.dat 61 100 16 0 %d %d 0 B1\n"
		 "c.dat 80 100 8 0 %d %d 0 C0\n",
		 n, v16[0], csum(v16, 2 * (size_t)n, 0, 2), v16[1],
		 csum(v16, 2 * (size_t)n, 1, 2), v16[0],
		 csum(v16, 2 * (size_t)n, 0, 2), v16[1],
		 csum(v16, 2 * (size_t)n, 1, 2), v80[0],
		 csum(v80, (size_t)n, 0, 1));
	bnn_wfdb_blob blobs[] = {
		{ "unused.dat", NULL, 0 },
		{ "c.dat", d80, sizeof d80 },
		{ "b.dat", d61, sizeof d61 },
		{ "a.dat", d16, sizeof d16 },
	};
	bnn_wfdb_record r;
	bnn_error e;
	int rc = bnn_wfdb_record_from_memory(hea, strlen(hea), blobs, 4, 0, &r, &e);
	if (rc)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
	assert_int_equal(r.hdr.ngroups, 3);
	for (int i = 0; i < n; i++) {
		assert_int_equal(bnn_wfdb_samples(&r, 0)[i], v16[2 * i]);
		assert_int_equal(bnn_wfdb_samples(&r, 1)[i], v16[2 * i + 1]);
		assert_int_equal(bnn_wfdb_samples(&r, 2)[i], v16[2 * i]);
		assert_int_equal(bnn_wfdb_samples(&r, 3)[i], v16[2 * i + 1]);
		assert_int_equal(bnn_wfdb_samples(&r, 4)[i], v80[i]);
	}
	bnn_wfdb_record_free(&r);

	/* Without a sample count in the header it comes from the file sizes. */
	static const char h2[] = "m 3 1000\na.dat 16\na.dat 16\nc.dat 80\n";
	rc = bnn_wfdb_record_from_memory(h2, strlen(h2), blobs, 4, 0, &r, &e);
	assert_int_equal(rc, BNN_OK);
	assert_int_equal(r.nsamples, n);
	assert_int_equal(bnn_wfdb_samples(&r, 2)[n - 1], v80[n - 1]);
	bnn_wfdb_record_free(&r);
	/* ... and must agree between files. */
	blobs[1].len = sizeof d80 - 1;
	rc = bnn_wfdb_record_from_memory(h2, strlen(h2), blobs, 4, 0, &r, &e);
	assert_int_equal(rc, BNN_E_SIZE);
	assert_non_null(strstr(e.msg, "samples per signal"));
	blobs[1].len = sizeof d80;
	/* ... and be whole frames. */
	blobs[3].len = sizeof d16 - 2;
	rc = bnn_wfdb_record_from_memory(h2, strlen(h2), blobs, 4, 0, &r, &e);
	assert_int_equal(rc, BNN_E_SIZE);
	assert_non_null(strstr(e.msg, "whole number of frames"));
	/* 212 derived sizes: 3k+1 bytes is never valid. */
	static const char h3[] = "m 1 1000\nz.dat 212\n";
	bnn_wfdb_blob z = { "z.dat", d16, 4 };
	assert_int_equal(bnn_wfdb_record_from_memory(h3, strlen(h3), &z, 1, 0,
						     &r, &e), BNN_E_SIZE);
	z.len = 5;	/* 3 + 2 bytes: 3 samples */
	assert_int_equal(bnn_wfdb_record_from_memory(h3, strlen(h3), &z, 1, 0,
						     &r, &e), BNN_OK);
	assert_int_equal(r.nsamples, 3);
	bnn_wfdb_record_free(&r);
	z.len = 0;	/* empty file, no count: an empty record */
	assert_int_equal(bnn_wfdb_record_from_memory(h3, strlen(h3), &z, 1, 0,
						     &r, &e), BNN_OK);
	assert_int_equal(r.nsamples, 0);
	assert_null(bnn_wfdb_samples(&r, 0));
	bnn_wfdb_record_free(&r);
}

static void test_decode_byte_offset(void **state)
{
	(void)state;
	uint8_t d[6 + 8];
	memset(d, 0xAA, 6);
	int v[4] = { 1, -2, 300, -400 };
	for (int i = 0; i < 4; i++) {
		d[6 + 2 * i] = (uint8_t)(v[i] & 0xff);
		d[6 + 2 * i + 1] = (uint8_t)((v[i] >> 8) & 0xff);
	}
	static const char h[] = "o 1 100 4\no.dat 16+6 200 16 0 1 -101\n";
	bnn_wfdb_blob b = { "o.dat", d, sizeof d };
	bnn_wfdb_record r;
	bnn_error e;
	assert_int_equal(bnn_wfdb_record_from_memory(h, strlen(h), &b, 1, 0, &r,
						     &e), BNN_OK);
	for (int i = 0; i < 4; i++)
		assert_int_equal(bnn_wfdb_samples(&r, 0)[i], v[i]);
	bnn_wfdb_record_free(&r);
	b.len = 5;
	assert_int_equal(bnn_wfdb_record_from_memory(h, strlen(h), &b, 1, 0, &r,
						     &e), BNN_E_TRUNCATED);
	assert_non_null(strstr(e.msg, "byte offset"));
}

static void test_decode_errors(void **state)
{
	(void)state;
	static int vals[2 * 100];
	static uint8_t dat[2 * 100 * 2];
	char hea[1024];
	size_t datlen;
	bnn_wfdb_record r;
	bnn_error e;

	/* Checksum mismatch: an error when strict, a warning by default,
	 * nothing with NO_VERIFY. */
	make212(2, 100, vals, dat, &datlen, hea, sizeof hea, 1);
	bnn_wfdb_blob b = { "syn.dat", dat, datlen };
	assert_int_equal(bnn_wfdb_record_from_memory(hea, strlen(hea), &b, 1,
						     BNN_WFDB_STRICT, &r, &e),
			 BNN_E_CHECKSUM);
	assert_non_null(strstr(e.msg, "checksum"));
	assert_null(r.data);
	assert_int_equal(bnn_wfdb_record_from_memory(hea, strlen(hea), &b, 1, 0,
						     &r, &e), BNN_OK);
	assert_int_equal(r.warn.n, 1);
	assert_non_null(strstr(r.warn.msg[0], "checksum"));
	assert_non_null(strstr(r.warn.msg[0], "signal 0 (S0)"));
	assert_int_equal(bnn_wfdb_samples(&r, 1)[99], vals[199]);
	bnn_wfdb_record_free(&r);
	assert_int_equal(bnn_wfdb_record_from_memory(hea, strlen(hea), &b, 1,
						     BNN_WFDB_NO_VERIFY, &r, &e),
			 BNN_OK);
	assert_int_equal(r.warn.n, 0);
	bnn_wfdb_record_free(&r);
	assert_int_equal(bnn_wfdb_record_from_memory(hea, strlen(hea), &b, 1,
						     BNN_WFDB_NO_VERIFY | BNN_WFDB_STRICT,
						     &r, &e), BNN_E_INVAL);

	/* A flipped bit in the data is caught by the checksum. */
	make212(2, 100, vals, dat, &datlen, hea, sizeof hea, 0);
	dat[40] ^= 0x10;
	assert_int_equal(bnn_wfdb_record_from_memory(hea, strlen(hea), &b, 1,
						     BNN_WFDB_STRICT, &r, &e),
			 BNN_E_CHECKSUM);
	dat[40] ^= 0x10;

	/* Initial value mismatch. */
	char h2[1024];
	snprintf(h2, sizeof h2, "syn 2 360 100\nsyn.dat 212 200 12 0 %d\nsyn.dat 212\n",
		 vals[0] + 1);
	assert_int_equal(bnn_wfdb_record_from_memory(h2, strlen(h2), &b, 1,
						     BNN_WFDB_STRICT, &r, &e),
			 BNN_E_CHECKSUM);
	assert_non_null(strstr(e.msg, "initial value"));
	assert_int_equal(bnn_wfdb_record_from_memory(h2, strlen(h2), &b, 1, 0,
						     &r, &e), BNN_OK);
	/* Initial value, and no gain on the second signal. */
	assert_int_equal(r.warn.n, 2);
	assert_non_null(strstr(r.warn.msg[0], "uncalibrated"));
	assert_non_null(strstr(r.warn.msg[1], "initial value"));
	bnn_wfdb_record_free(&r);

	/* Truncated and oversized .dat. */
	b.len = datlen - 1;
	assert_int_equal(bnn_wfdb_record_from_memory(hea, strlen(hea), &b, 1, 0,
						     &r, &e), BNN_E_TRUNCATED);
	assert_non_null(strstr(e.msg, "syn.dat"));
	b.len = 0;
	assert_int_equal(bnn_wfdb_record_from_memory(hea, strlen(hea), &b, 1, 0,
						     &r, &e), BNN_E_TRUNCATED);
	b.len = datlen + 3;
	assert_int_equal(bnn_wfdb_record_from_memory(hea, strlen(hea), &b, 1,
						     BNN_WFDB_STRICT, &r, &e),
			 BNN_E_SIZE);
	assert_non_null(strstr(e.msg, "extra"));
	/* By default the bytes past the record's length are ignored. */
	assert_int_equal(bnn_wfdb_record_from_memory(hea, strlen(hea), &b, 1, 0,
						     &r, &e), BNN_OK);
	assert_int_equal(r.warn.n, 1);
	assert_non_null(strstr(r.warn.msg[0], "3 bytes after"));
	assert_int_equal(bnn_wfdb_samples(&r, 1)[99], vals[199]);
	bnn_wfdb_record_free(&r);
	b.len = datlen;

	/* Missing blob: no blobs, wrong name, NULL name. */
	assert_int_equal(bnn_wfdb_record_from_memory(hea, strlen(hea), NULL, 0, 0,
						     &r, &e), BNN_E_NOTFOUND);
	bnn_wfdb_blob wrong[2] = { { "other.dat", dat, datlen },
				   { NULL, dat, datlen } };
	assert_int_equal(bnn_wfdb_record_from_memory(hea, strlen(hea), wrong, 2,
						     0, &r, &e), BNN_E_NOTFOUND);
	assert_non_null(strstr(e.msg, "syn.dat"));

	/* Huge sample counts: overflow vs. simply more than the file has. */
	static const char hh[] = "syn 2 360 9223372036854775807\nsyn.dat 212\nsyn.dat 212\n";
	assert_int_equal(bnn_wfdb_record_from_memory(hh, strlen(hh), &b, 1, 0,
						     &r, &e), BNN_E_RANGE);
	static const char hb[] = "syn 2 360 1000000000000\nsyn.dat 212\nsyn.dat 212\n";
	assert_int_equal(bnn_wfdb_record_from_memory(hb, strlen(hb), &b, 1, 0,
						     &r, &e), BNN_E_TRUNCATED);
	static const char h16[] = "syn 2 360 9223372036854775807\nsyn.dat 16\nsyn.dat 16\n";
	assert_int_equal(bnn_wfdb_record_from_memory(h16, strlen(h16), &b, 1, 0,
						     &r, &e), BNN_E_RANGE);
	assert_non_null(strstr(e.msg, "too large"));

	/* Header errors propagate; bad arguments. */
	assert_int_equal(bnn_wfdb_record_from_memory("x 1 0", 5, &b, 1, 0, &r,
						     &e), BNN_E_RANGE);
	assert_int_equal(bnn_wfdb_record_from_memory(hea, strlen(hea), &b, 1, 8,
						     &r, &e), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_record_from_memory(hea, strlen(hea), &b, 1, 0,
						     NULL, &e), BNN_E_INVAL);
	bnn_wfdb_header h;
	assert_int_equal(bnn_wfdb_parse_header(hea, strlen(hea), &h, NULL), BNN_OK);
	assert_int_equal(bnn_wfdb_decode(NULL, &b, 1, 0, &r, &e), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_decode(&h, NULL, 1, 0, &r, &e), BNN_E_INVAL);
	/* Hand-made headers are re-checked. */
	h.sig[1].format = 16;
	assert_int_equal(bnn_wfdb_decode(&h, &b, 1, 0, &r, &e),
			 BNN_E_INVAL);	/* same file, other format */
	h.sig[1].format = 212;
	h.nsamples = -1;
	assert_int_equal(bnn_wfdb_decode(&h, &b, 1, 0, &r, &e), BNN_E_INVAL);
	h.nsamples = 100;
	h.nsig = BNN_WFDB_MAX_SIGNALS + 1;
	assert_int_equal(bnn_wfdb_decode(&h, &b, 1, 0, &r, &e), BNN_E_INVAL);
	h.nsig = 1;
	h.sig[0].format = 999;
	assert_int_equal(bnn_wfdb_decode(&h, &b, 1, 0, &r, &e),
			 BNN_E_UNSUPPORTED);
	h.nsig = 2;
	bnn_wfdb_header_free(&h);

	/* A record without signals decodes to nothing. */
	static const char h0[] = "empty 0 360 1000\n";
	assert_int_equal(bnn_wfdb_record_from_memory(h0, strlen(h0), NULL, 0, 0,
						     &r, &e), BNN_OK);
	assert_int_equal(r.nsamples, 1000);
	assert_null(r.data);
	bnn_wfdb_record_free(&r);
	bnn_wfdb_record_free(NULL);
}

static void test_read_record_disk(void **state)
{
	(void)state;
	static int vals[2 * 50];
	static uint8_t dat[2 * 50 * 2];
	char hea[1024];
	size_t datlen;
	bnn_wfdb_record r;
	bnn_error e;

	make212(2, 50, vals, dat, &datlen, hea, sizeof hea, 0);
	write_file("syn.hea", hea, strlen(hea));
	write_file("syn.dat", dat, datlen);
	assert_int_equal(bnn_wfdb_read_record(tmpdir, "syn", 0, &r, &e), BNN_OK);
	assert_int_equal(r.nsamples, 50);
	assert_int_equal(bnn_wfdb_samples(&r, 1)[49], vals[99]);
	bnn_wfdb_record_free(&r);

	/* Signal files in a sub-folder are fine. */
	assert_int_equal(mkdir(tpath("sub"), 0700), 0);
	write_file("sub/s.dat", dat, datlen);
	char h2[1024];
	snprintf(h2, sizeof h2, "s2 2 360 50\nsub/s.dat 212\nsub/s.dat 212\n");
	write_file("s2.hea", h2, strlen(h2));
	assert_int_equal(bnn_wfdb_read_record(tmpdir, "s2", 0, &r, &e), BNN_OK);
	bnn_wfdb_record_free(&r);

	/* Header of another record. */
	write_file("other.hea", hea, strlen(hea));
	assert_int_equal(bnn_wfdb_read_record(tmpdir, "other", 0, &r, &e),
			 BNN_E_PARSE);
	assert_non_null(strstr(e.msg, "names record 'syn'"));
	/* Missing .hea / .dat. */
	assert_int_equal(bnn_wfdb_read_record(tmpdir, "nope", 0, &r, &e),
			 BNN_E_IO);
	static const char hm[] = "miss 1 360 10\nmiss.dat 16\n";
	write_file("miss.hea", hm, strlen(hm));
	assert_int_equal(bnn_wfdb_read_record(tmpdir, "miss", 0, &r, &e),
			 BNN_E_IO);
	assert_non_null(strstr(e.msg, "miss.dat"));
	/* Truncated .dat on disk. */
	write_file("syn.dat", dat, datlen - 3);
	assert_int_equal(bnn_wfdb_read_record(tmpdir, "syn", 0, &r, &e),
			 BNN_E_TRUNCATED);
	assert_non_null(strstr(e.msg, "syn"));
	/* Unsafe signal file names. */
	static const char *bad[] = { "../x.dat", "/etc/passwd", "a/../b.dat",
				     "./a.dat", "a//b.dat", "a/" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char hb[256];
		snprintf(hb, sizeof hb, "u 1 360 1\n%s 80\n", bad[i]);
		write_file("u.hea", hb, strlen(hb));
		assert_int_equal(bnn_wfdb_read_record(tmpdir, "u", 0, &r, &e),
				 BNN_E_UNSUPPORTED);
		assert_non_null(strstr(e.msg, "relative path"));
	}
	/* Bad arguments. */
	assert_int_equal(bnn_wfdb_read_record(tmpdir, "../syn", 0, &r, &e),
			 BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_read_record(tmpdir, "", 0, &r, &e), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_read_record(NULL, "syn", 0, &r, &e), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_read_record(tmpdir, NULL, 0, &r, &e), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_read_record(tmpdir, "syn", 0, NULL, &e), BNN_E_INVAL);
	char longdir[5000];
	memset(longdir, 'd', sizeof longdir - 1);
	longdir[sizeof longdir - 1] = '\0';
	assert_int_equal(bnn_wfdb_read_record(longdir, "syn", 0, &r, &e),
			 BNN_E_RANGE);
}

/* ---------------------------------------------------------------------
 * Annotations
 * --------------------------------------------------------------------- */

static void test_ann_basic(void **state)
{
	(void)state;
	struct annbuf a = { .n = 0 };
	aw(&a, 28, 18);			/* '+' at 18 */
	aaux(&a, "(N", 3, 1);		/* odd length + pad; stored with NUL */
	aw(&a, 1, 59);			/* N at 77 */
	aw(&a, 62, 1);			/* CHN 1 (sticky) */
	aw(&a, 60, 5);			/* NUM 5 (sticky) */
	aw(&a, 61, 3);			/* SUB 3 (not sticky) */
	askip(&a, 100000);		/* time 100077 */
	aw(&a, 5, 3);			/* V at 100080 */
	aaux(&a, "ab", 2, 1);		/* even length, no pad */
	askip(&a, -80);			/* backwards, still >= 0 */
	aw(&a, 12, 0);			/* / at 100000 */
	aw(&a, 60, 1023);		/* NUM -1 */
	aw(&a, 61, 0x380);		/* SUB: low 8 bits, signed: -128 */
	aw(&a, 14, 1023);		/* ~ at 101023 */
	aaux(&a, "", 0, 1);		/* empty aux */
	aw(&a, 0, 0);			/* end */
	a.b[a.n++] = 0;			/* trailing zero padding is fine */
	a.b[a.n++] = 0;

	bnn_wfdb_annlist l;
	bnn_error e;
	int rc = bnn_wfdb_parse_ann(a.b, a.n, &l, &e);
	if (rc)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
	assert_int_equal(l.n, 5);
	const bnn_wfdb_ann *x = l.ann;
	assert_int_equal(x[0].sample, 18);
	assert_int_equal(x[0].code, 28);
	assert_string_equal(bnn_wfdb_ann_symbol(x[0].code), "+");
	assert_int_equal(x[0].aux_len, 3);
	assert_memory_equal(x[0].aux, "(N", 3);
	assert_int_equal(x[0].chan, 0);
	assert_int_equal(x[1].sample, 77);
	assert_int_equal(x[1].code, 1);
	assert_int_equal(x[1].chan, 1);
	assert_int_equal(x[1].num, 5);
	assert_int_equal(x[1].subtype, 3);
	assert_null(x[1].aux);
	assert_int_equal(x[2].sample, 100080);
	assert_int_equal(x[2].code, 5);
	assert_int_equal(x[2].chan, 1);		/* inherited */
	assert_int_equal(x[2].num, 5);		/* inherited */
	assert_int_equal(x[2].subtype, 0);	/* not inherited */
	assert_string_equal(x[2].aux, "ab");
	assert_int_equal(x[3].sample, 100000);
	assert_int_equal(x[3].num, -1);
	assert_int_equal(x[3].subtype, -128);
	assert_int_equal(x[4].sample, 101023);
	assert_int_equal(x[4].num, -1);
	assert_non_null(x[4].aux);
	assert_int_equal(x[4].aux_len, 0);
	assert_string_equal(x[4].aux, "");
	bnn_wfdb_annlist_free(&l);
	bnn_wfdb_annlist_free(&l);
	bnn_wfdb_annlist_free(NULL);

	/* Only the end word: an empty list. */
	static const uint8_t end[2] = { 0, 0 };
	assert_int_equal(bnn_wfdb_parse_ann(end, 2, &l, &e), BNN_OK);
	assert_int_equal(l.n, 0);
	bnn_wfdb_annlist_free(&l);
}

static void test_ann_errors(void **state)
{
	(void)state;
	struct annbuf a;

	a.n = 0;
	ann_fails(&a, BNN_E_TRUNCATED, "no end-of-file");
	a.n = 0; aw(&a, 1, 5);
	ann_fails(&a, BNN_E_TRUNCATED, "no end-of-file");
	a.n = 0; aw(&a, 1, 5); a.b[a.n++] = 0;
	ann_fails(&a, BNN_E_TRUNCATED, "odd trailing byte");
	for (unsigned c = 50; c <= 58; c++) {
		a.n = 0; aw(&a, 1, 5); aw(&a, c, 1); aw(&a, 0, 0);
		ann_fails(&a, BNN_E_CORRUPT, "invalid code");
	}
	/* Code 0 with an interval (NOTQRS) is read: test_ann_notqrs_resolution. */
	for (unsigned c = 60; c <= 63; c++) {
		a.n = 0; aw(&a, c, 0); aw(&a, 0, 0);
		ann_fails(&a, BNN_E_CORRUPT, "before the first annotation");
	}
	a.n = 0; askip(&a, 10); aw(&a, 60, 1); aw(&a, 0, 0);
	ann_fails(&a, BNN_E_CORRUPT, "before the first annotation");
	a.n = 0; aw(&a, 1, 5); aw(&a, 59, 0); a.b[a.n++] = 0; a.b[a.n++] = 0;
	ann_fails(&a, BNN_E_TRUNCATED, "SKIP");
	a.n = 0; aw(&a, 1, 5); aw(&a, 63, 10); memcpy(a.b + a.n, "abc", 3); a.n += 3;
	ann_fails(&a, BNN_E_TRUNCATED, "AUX");
	a.n = 0; aw(&a, 1, 5); aaux(&a, "abc", 3, 0);	/* pad byte missing */
	ann_fails(&a, BNN_E_TRUNCATED, "AUX");
	a.n = 0; aw(&a, 1, 5); aaux(&a, "ab", 2, 1); aaux(&a, "cd", 2, 1); aw(&a, 0, 0);
	ann_fails(&a, BNN_E_CORRUPT, "second AUX");
	a.n = 0; aw(&a, 1, 5); aw(&a, 0, 0); a.b[a.n++] = 0; a.b[a.n++] = 9;
	ann_fails(&a, BNN_E_CORRUPT, "after the end");

	bnn_wfdb_annlist l;
	assert_int_equal(bnn_wfdb_parse_ann(NULL, 4, &l, NULL), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_parse_ann(a.b, 2, NULL, NULL), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_parse_ann(NULL, 0, &l, NULL), BNN_E_TRUNCATED);
}

static void test_ann_files(void **state)
{
	(void)state;
	struct annbuf a = { .n = 0 };
	aw(&a, 1, 100);
	aw(&a, 5, 200);
	aw(&a, 0, 0);
	write_file("rec.atr", a.b, a.n);
	bnn_wfdb_annlist l;
	bnn_error e;
	assert_int_equal(bnn_wfdb_read_annotations(tmpdir, "rec", "atr", &l, &e),
			 BNN_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.ann[1].sample, 300);
	bnn_wfdb_annlist_free(&l);
	assert_int_equal(bnn_wfdb_read_ann(tpath("rec.atr"), &l, &e), BNN_OK);
	bnn_wfdb_annlist_free(&l);

	assert_int_equal(bnn_wfdb_read_annotations(tmpdir, "rec", "qrs", &l, &e),
			 BNN_E_IO);
	write_file("cut.atr", a.b, a.n - 2);
	assert_int_equal(bnn_wfdb_read_ann(tpath("cut.atr"), &l, &e),
			 BNN_E_TRUNCATED);
	assert_non_null(strstr(e.msg, "cut.atr"));
	/* Oversized annotation files are refused before reading. */
	int fd = open(tpath("big.atr"), O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)17 << 20), 0);
	close(fd);
	assert_int_equal(bnn_wfdb_read_ann(tpath("big.atr"), &l, &e), BNN_E_SIZE);

	assert_int_equal(bnn_wfdb_read_annotations(tmpdir, "../rec", "atr", &l, &e),
			 BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_read_annotations(tmpdir, "rec", "a/b", &l, &e),
			 BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_read_annotations(NULL, "rec", "atr", &l, &e),
			 BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_read_annotations(tmpdir, "rec", "atr", NULL, &e),
			 BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_read_ann(NULL, &l, &e), BNN_E_INVAL);
}

static void test_ann_symbols(void **state)
{
	(void)state;
	static const char *const known[][2] = {
		{ "1", "N" }, { "2", "L" }, { "3", "R" }, { "4", "a" },
		{ "5", "V" }, { "6", "F" }, { "7", "J" }, { "8", "A" },
		{ "9", "S" }, { "10", "E" }, { "11", "j" }, { "12", "/" },
		{ "13", "Q" }, { "14", "~" }, { "16", "|" }, { "22", "\"" },
		{ "28", "+" }, { "31", "!" }, { "32", "[" }, { "33", "]" },
		{ "34", "e" }, { "37", "x" }, { "38", "f" },
	};
	for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
		int c = atoi(known[i][0]);
		assert_string_equal(bnn_wfdb_ann_symbol(c), known[i][1]);
		assert_int_equal(bnn_wfdb_ann_code(known[i][1]), c);
	}
	int assigned = 0;
	for (int c = -5; c < 70; c++) {
		const char *s = bnn_wfdb_ann_symbol(c);
		if (!s)
			continue;
		assigned++;
		assert_int_equal(bnn_wfdb_ann_code(s), c);
	}
	assert_int_equal(assigned, 39);
	assert_null(bnn_wfdb_ann_symbol(0));
	assert_null(bnn_wfdb_ann_symbol(15));
	assert_null(bnn_wfdb_ann_symbol(49));
	assert_null(bnn_wfdb_ann_symbol(50));
	assert_null(bnn_wfdb_ann_symbol(-1));
	assert_int_equal(bnn_wfdb_ann_code("zz"), BNN_E_NOTFOUND);
	assert_int_equal(bnn_wfdb_ann_code(""), BNN_E_NOTFOUND);
	assert_int_equal(bnn_wfdb_ann_code(NULL), BNN_E_INVAL);
}

/* ---------------------------------------------------------------------
 * Formats, samples per frame, skew (built by signal(5) / header(5))
 * --------------------------------------------------------------------- */

static int decode_mem(const char *hea, const uint8_t *d, size_t n,
		      unsigned flags, bnn_wfdb_record *r, bnn_error *e)
{
	bnn_wfdb_blob b = { "f.dat", d, n };
	int rc = bnn_wfdb_record_from_memory(hea, strlen(hea), &b, 1, flags, r, e);
	if (rc)
		print_error("%s\n", e->msg);
	return rc;
}

static void expect_samples(const bnn_wfdb_record *r, int sig, const int *want,
			   size_t n)
{
	const int32_t *x = bnn_wfdb_samples(r, sig);
	assert_non_null(x);
	assert_int_equal(bnn_wfdb_signal_len(r, sig), (int64_t)n);
	for (size_t i = 0; i < n; i++) {
		if (x[i] != want[i])
			print_error("signal %d sample %zu: %d, want %d\n", sig, i,
				    (int)x[i], want[i]);
		assert_int_equal(x[i], want[i]);
	}
}

static void test_decode_more_formats(void **state)
{
	(void)state;
	bnn_wfdb_record r;
	bnn_error e;
	/* 24 and 32: little-endian two's complement. */
	static const uint8_t d24[] = { 0x01, 0x00, 0x00, 0xff, 0xff, 0xff,
				       0x00, 0x00, 0x80, 0xff, 0xff, 0x7f };
	static const int v24[] = { 1, -1, -8388608, 8388607 };
	assert_int_equal(decode_mem("f 1 100 4\nf.dat 24\n", d24, sizeof d24, 0,
				    &r, &e), BNN_OK);
	expect_samples(&r, 0, v24, 4);
	assert_true(bnn_wfdb_is_invalid(&r.hdr.sig[0], -8388608));
	assert_false(bnn_wfdb_is_invalid(&r.hdr.sig[0], 1));
	assert_int_equal(r.hdr.sig[0].adc_res, 24);
	bnn_wfdb_record_free(&r);
	static const uint8_t d32[] = { 0x00, 0x00, 0x00, 0x80, 0xfe, 0xff,
				       0xff, 0xff };
	static const int v32[] = { INT32_MIN, -2 };
	assert_int_equal(decode_mem("f 1 100\nf.dat 32\n", d32, sizeof d32, 0,
				    &r, &e), BNN_OK);
	expect_samples(&r, 0, v32, 2);
	bnn_wfdb_record_free(&r);
	/* 160: offset binary. */
	static const uint8_t d160[] = { 0x00, 0x00, 0x00, 0x80, 0xff, 0xff };
	static const int v160[] = { -32768, 0, 32767 };
	assert_int_equal(decode_mem("f 1 100 3\nf.dat 160\n", d160, sizeof d160,
				    0, &r, &e), BNN_OK);
	expect_samples(&r, 0, v160, 3);
	bnn_wfdb_record_free(&r);

	/* 310: a = 5, b = -3, c = 0x2a5 (-347); words a<<1 | c_lo<<11 and
	 * b<<1 | c_hi<<11; then a lone fourth sample (2 bytes). */
	unsigned a = 5, b = 0x3fd, c = 0x2a5, d4 = 0x200;
	unsigned w0 = a << 1 | (c & 0x1f) << 11, w1 = b << 1 | (c >> 5) << 11;
	uint8_t d310[6] = { (uint8_t)w0, (uint8_t)(w0 >> 8), (uint8_t)w1,
			    (uint8_t)(w1 >> 8), (uint8_t)(d4 << 1),
			    (uint8_t)(d4 >> 7) };
	static const int v310[] = { 5, -3, -347, -512 };
	assert_int_equal(decode_mem("f 1 100 4\nf.dat 310\n", d310, 6, 0, &r, &e),
			 BNN_OK);
	expect_samples(&r, 0, v310, 4);
	assert_true(bnn_wfdb_is_invalid(&r.hdr.sig[0], -512));
	bnn_wfdb_record_free(&r);
	/* Sizes: 5 samples need 8 bytes in 310, 7 in 311 (8 also fine). */
	uint8_t z[9] = { 0 };
	assert_int_equal(decode_mem("f 1 100 5\nf.dat 310\n", z, 8, 0, &r, &e),
			 BNN_OK);
	bnn_wfdb_record_free(&r);
	assert_int_equal(bnn_wfdb_record_from_memory("f 1 100 5\nf.dat 310\n", 20,
			 &(bnn_wfdb_blob){ "f.dat", z, 7 }, 1, 0, &r, &e),
			 BNN_E_TRUNCATED);
	for (size_t n = 7; n <= 8; n++) {
		assert_int_equal(decode_mem("f 1 100 5\nf.dat 311\n", z, n, 0, &r,
					    &e), BNN_OK);
		bnn_wfdb_record_free(&r);
	}
	assert_int_equal(bnn_wfdb_record_from_memory("f 1 100 5\nf.dat 311\n", 20,
			 &(bnn_wfdb_blob){ "f.dat", z, 9 }, 1, BNN_WFDB_STRICT,
			 &r, &e), BNN_E_SIZE);
	/* 311: bits 0-9, 10-19, 20-29; the top two bits are ignored. */
	uint32_t w = 7u | 0x3ffu << 10 | 0x200u << 20 | 3u << 30;
	uint8_t d311[4] = { (uint8_t)w, (uint8_t)(w >> 8), (uint8_t)(w >> 16),
			    (uint8_t)(w >> 24) };
	static const int v311[] = { 7, -1, -512 };
	assert_int_equal(decode_mem("f 1 100\nf.dat 311\n", d311, 4, 0, &r, &e),
			 BNN_OK);
	expect_samples(&r, 0, v311, 3);
	bnn_wfdb_record_free(&r);
	/* Derived lengths: 310 with 3 or 5 bytes is no whole sample count. */
	assert_int_equal(bnn_wfdb_record_from_memory("f 1 100\nf.dat 310\n", 18,
			 &(bnn_wfdb_blob){ "f.dat", z, 3 }, 1, 0, &r, &e),
			 BNN_E_SIZE);

	/* 8: differences from the initial value, per signal and with spf. */
	static const int8_t d8[] = { 0, 1, 2, 10, -1, -1, -1, 5 };
	char hea[256];
	snprintf(hea, sizeof hea, "f 2 100 2\nf.dat 8 200 12 0 100\n"
		 "f.dat 8x3 200 12 0 -7\n");
	assert_int_equal(decode_mem(hea, (const uint8_t *)d8, sizeof d8, 0, &r,
				    &e), BNN_OK);
	static const int v8a[] = { 100, 99 };
	static const int v8b[] = { -6, -4, 6, 5, 4, 9 };
	expect_samples(&r, 0, v8a, 2);
	expect_samples(&r, 1, v8b, 6);
	assert_int_equal(r.hdr.sig[0].adc_res, 12);	/* 8 may carry 12 bits */
	bnn_wfdb_record_free(&r);

	/* 0: a null signal needs no file; every sample invalid. */
	assert_int_equal(bnn_wfdb_record_from_memory("f 2 100 3\n~ 0\nf.dat 80\n",
			 23, &(bnn_wfdb_blob){ "f.dat", z, 3 }, 1, 0, &r, &e),
			 BNN_OK);
	static const int v0[] = { -32768, -32768, -32768 };
	static const int v80[] = { -128, -128, -128 };
	expect_samples(&r, 0, v0, 3);
	expect_samples(&r, 1, v80, 3);
	bnn_wfdb_record_free(&r);
}

static void test_decode_spf_skew(void **state)
{
	(void)state;
	bnn_wfdb_record r;
	bnn_error e;
	/* Frames of 1 + 2 + 1 samples (format 16): signal 1 at 2 * fs. */
	int16_t v[4 * 5];
	for (int i = 0; i < 20; i++)
		v[i] = (int16_t)(i * 3 - 20);
	uint8_t d[40];
	for (int i = 0; i < 20; i++) {
		d[2 * i] = (uint8_t)(v[i] & 0xff);
		d[2 * i + 1] = (uint8_t)((uint16_t)v[i] >> 8);
	}
	static const char h1[] = "f 3 100 5\nf.dat 16\nf.dat 16x2\nf.dat 16\n";
	assert_int_equal(decode_mem(h1, d, sizeof d, 0, &r, &e), BNN_OK);
	assert_int_equal(r.nsamples, 5);
	assert_int_equal(r.hdr.sig[1].spf, 2);
	int s0[5], s1[10], s2[5];
	for (int f = 0; f < 5; f++) {
		s0[f] = v[4 * f];
		s1[2 * f] = v[4 * f + 1];
		s1[2 * f + 1] = v[4 * f + 2];
		s2[f] = v[4 * f + 3];
	}
	expect_samples(&r, 0, s0, 5);
	expect_samples(&r, 1, s1, 10);
	expect_samples(&r, 2, s2, 5);
	assert_int_equal(bnn_wfdb_signal_len(&r, 3), -1);
	bnn_wfdb_record_free(&r);
	/* Derived length with spf: 40 bytes = 5 frames of 4 samples. */
	static const char h2[] = "f 3 100\nf.dat 16\nf.dat 16x2\nf.dat 16\n";
	assert_int_equal(decode_mem(h2, d, sizeof d, 0, &r, &e), BNN_OK);
	assert_int_equal(r.nsamples, 5);
	bnn_wfdb_record_free(&r);
	assert_int_equal(bnn_wfdb_record_from_memory(h2, strlen(h2),
			 &(bnn_wfdb_blob){ "f.dat", d, 38 }, 1, 0, &r, &e),
			 BNN_E_SIZE);

	/* Skew: sample i of a signal with skew k is frame i + k; frames
	 * past the file are invalid.  20 bytes of 16-bit = 10 frames of 1. */
	static const char h3[] = "f 2 100 4\nf.dat 16\nf.dat 16:3\n";
	/* The file may hold 4 .. 4 + 3 frames (16 .. 28 bytes). */
	assert_int_equal(decode_mem(h3, d, 28, 0, &r, &e), BNN_OK);
	{
		int a[4], b[4];
		for (int i = 0; i < 4; i++) {
			a[i] = v[2 * i];
			b[i] = v[2 * (i + 3) + 1];
		}
		expect_samples(&r, 0, a, 4);
		expect_samples(&r, 1, b, 4);
	}
	for (int i = 0; i < r.warn.n; i++)
		assert_null(strstr(r.warn.msg[i], "ignored"));
	bnn_wfdb_record_free(&r);
	assert_int_equal(decode_mem(h3, d, 16, 0, &r, &e), BNN_OK);
	{
		int b[4] = { v[7], -32768, -32768, -32768 };
		expect_samples(&r, 1, b, 4);
	}
	bnn_wfdb_record_free(&r);
	assert_int_equal(bnn_wfdb_record_from_memory(h3, strlen(h3),
			 &(bnn_wfdb_blob){ "f.dat", d, 30 }, 1, BNN_WFDB_STRICT,
			 &r, &e), BNN_E_SIZE);
	assert_int_equal(bnn_wfdb_record_from_memory(h3, strlen(h3),
			 &(bnn_wfdb_blob){ "f.dat", d, 14 }, 1, 0, &r, &e),
			 BNN_E_TRUNCATED);
	/* Skew on a packed format with spf (212, frame of 1 + 2). */
	int pv[3 * 6];
	uint8_t pd[27];
	for (int i = 0; i < 18; i++)
		pv[i] = i * 100 - 900;
	size_t pn = enc212(pv, 18, pd);
	static const char h4[] = "f 2 100 4\nf.dat 212:2\nf.dat 212x2:1\n";
	assert_int_equal(decode_mem(h4, pd, pn, 0, &r, &e), BNN_OK);
	{
		int a[4] = { pv[6], pv[9], pv[12], pv[15] };
		int b[8] = { pv[4], pv[5], pv[7], pv[8], pv[10], pv[11], pv[13],
			     pv[14] };
		expect_samples(&r, 0, a, 4);
		expect_samples(&r, 1, b, 8);
	}
	bnn_wfdb_record_free(&r);
	/* Hand-made headers are re-checked. */
	bnn_wfdb_header h;
	assert_int_equal(bnn_wfdb_parse_header(h1, strlen(h1), &h, &e), BNN_OK);
	h.sig[1].spf = 0;
	bnn_wfdb_blob bl = { "f.dat", d, sizeof d };
	assert_int_equal(bnn_wfdb_decode(&h, &bl, 1, 0, &r, &e), BNN_E_INVAL);
	h.sig[1].spf = 2;
	h.sig[1].skew = -1;
	assert_int_equal(bnn_wfdb_decode(&h, &bl, 1, 0, &r, &e), BNN_E_INVAL);
	bnn_wfdb_header_free(&h);
	/* A multi-segment master header cannot be decoded on its own. */
	assert_int_equal(bnn_wfdb_parse_header("m/1 1 100 5\ns 5\n", 16, &h, &e),
			 BNN_OK);
	assert_int_equal(h.nseg, 1);
	assert_int_equal(h.seg_nsig, 1);
	assert_int_equal(h.nsig, 0);
	assert_int_equal(bnn_wfdb_decode(&h, &bl, 1, 0, &r, &e),
			 BNN_E_UNSUPPORTED);
	bnn_wfdb_header_free(&h);
}

/* ---------------------------------------------------------------------
 * Multi-segment records (from memory: segment headers as blobs)
 * --------------------------------------------------------------------- */

/* Checksums and initial values describe the samples as stored (frames
 * 0 .. n-1 of the file), also for a skewed signal, as WFDB writes them. */
static void test_decode_skew_checksum(void **state)
{
	(void)state;
	bnn_wfdb_record r;
	bnn_error e;
	int w[14];
	uint8_t d[28];
	char h[256];

	for (int i = 0; i < 14; i++) {
		w[i] = i * 101 - 700;
		d[2 * i] = (uint8_t)(w[i] & 0xff);
		d[2 * i + 1] = (uint8_t)((uint16_t)w[i] >> 8);
	}
	/* 4 frames, signal 1 skewed by 3: the file holds 7 frames. */
	snprintf(h, sizeof h, "f 2 100 4\nf.dat 16 200 16 0 %d %d 0 a\n"
		 "f.dat 16:3 200 16 0 %d %d 0 b\n",
		 w[0], csum(w, 8, 0, 2), w[1], csum(w, 8, 1, 2));
	assert_int_equal(decode_mem(h, d, sizeof d, BNN_WFDB_STRICT, &r, &e),
			 BNN_OK);
	assert_int_equal(r.warn.n, 0);
	assert_int_equal(bnn_wfdb_samples(&r, 1)[0], w[7]);
	bnn_wfdb_record_free(&r);
	/* The skewed samples' sum and first value are not the header's. */
	snprintf(h, sizeof h, "f 2 100 4\nf.dat 16 200 16 0 %d %d 0 a\n"
		 "f.dat 16:3 200 16 0 %d %d 0 b\n",
		 w[0], csum(w, 8, 0, 2), w[1], csum(w, 14, 7, 2));
	assert_int_equal(decode_mem(h, d, sizeof d, 0, &r, &e), BNN_OK);
	assert_int_equal(r.warn.n, 1);
	assert_non_null(strstr(r.warn.msg[0], "signal 1 (b): checksum"));
	bnn_wfdb_record_free(&r);
	assert_int_equal(bnn_wfdb_record_from_memory(h, strlen(h),
			 &(bnn_wfdb_blob){ "f.dat", d, sizeof d }, 1,
			 BNN_WFDB_STRICT, &r, &e), BNN_E_CHECKSUM);
	snprintf(h, sizeof h, "f 2 100 4\nf.dat 16 200 16 0 %d %d 0 a\n"
		 "f.dat 16:3 200 16 0 %d %d 0 b\n",
		 w[0], csum(w, 8, 0, 2), w[7], csum(w, 8, 1, 2));
	assert_int_equal(decode_mem(h, d, sizeof d, 0, &r, &e), BNN_OK);
	assert_int_equal(r.warn.n, 1);
	assert_non_null(strstr(r.warn.msg[0], "first sample"));
	bnn_wfdb_record_free(&r);
	/* A file of just the record's frames: the skewed signal's stored
	 * samples are frames 0 .. 3 still. */
	assert_int_equal(decode_mem(h, d, 16, 0, &r, &e), BNN_OK);
	assert_int_equal(r.warn.n, 1);
	bnn_wfdb_record_free(&r);
}

static void test_multi_segment(void **state)
{
	(void)state;
	bnn_wfdb_record r;
	bnn_error e;
	/* Segment a: II (16, gain 100), ABP (80); segment b: ABP only;
	 * null segment; segment c: II with gain 200 (rescaled), V (not in
	 * the layout). */
	uint8_t da[3 * 3] = { 10, 0, 130, 20, 0, 131, 0x00, 0x80, 132 };
	uint8_t db[2] = { 140, 141 };
	uint8_t dc[2 * 2 * 2] = { 100, 0, 1, 0, 0x00, 0x80, 2, 0 };
	static const char lay[] = "v_l 2 250 0\n~ 0 100/mV 16 0 0 0 0 II\n"
				  "~ 0 10/mmHg 8 0 0 0 0 ABP\n";
	static const char sa[] = "v_a 2 250 3\nv_a.dat 16 100 16 0 10 -32738 0 II\n"
				 "v_a.dat 80 10 8 0 0 0 0 ABP\n";
	static const char sa_fixed[] = "v_a 2 250 3\nv_a.dat 16 100 16 0 0 0 0 II\n"
				       "v_a.dat 16 10 8 0 0 0 0 ABP\n";
	(void)sa_fixed;
	static const char sb[] = "v_b 1 250 2\nv_b.dat 80 10(0)/mmHg 8 0 12 25 0 ABP\n";
	static const char sc[] = "v_c 2 250\nv_c.dat 16 200 16 0 100 -32668 0 II\n"
				 "v_c.dat 16 5 16 0 1 3 0 V\n";
	static const char mh[] = "v/5 2 250 10\nv_l 0\nv_a 3\nv_b 2\n~ 3\nv_c 2\n";
	/* Two signal files with different formats in one header would
	 * clash: give v_a separate files. */
	static const char sa2[] = "v_a 2 250 3\nv_a.dat 16 100 16 0 10 -32738 0 II\n"
				  "v_a2.dat 80 10 8 0 2 -3 0 ABP\n";
	uint8_t da16[6] = { 10, 0, 20, 0, 0x00, 0x80 }, da80[3] = { 130, 131, 129 };
	(void)da;
	(void)sa;
	bnn_wfdb_blob bl[] = {
		{ "v_l.hea", (const uint8_t *)lay, strlen(lay) },
		{ "v_a.hea", (const uint8_t *)sa2, strlen(sa2) },
		{ "v_a.dat", da16, 6 }, { "v_a2.dat", da80, 3 },
		{ "v_b.hea", (const uint8_t *)sb, strlen(sb) },
		{ "v_b.dat", db, 2 },
		{ "v_c.hea", (const uint8_t *)sc, strlen(sc) },
		{ "v_c.dat", dc, sizeof dc },
	};
	int rc = bnn_wfdb_record_from_memory(mh, strlen(mh), bl, 8,
					     BNN_WFDB_NO_VERIFY, &r, &e);
	if (rc)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
	assert_int_equal(r.nsamples, 10);
	assert_int_equal(r.hdr.nsig, 2);
	assert_int_equal(r.hdr.nseg, 5);
	assert_string_equal(r.hdr.name, "v");
	assert_string_equal(r.hdr.sig[0].desc, "II");
	assert_int_equal(r.hdr.sig[0].format, 16);	/* from segment v_a */
	assert_int_equal(r.hdr.sig[1].format, 80);
	{
		/* II: v_a 10 20 -32768(gap), v_b none, null, v_c 100 -> 50,
		 * -32768 stays a gap. */
		static const int ii[] = { 10, 20, -32768, -32768, -32768, -32768,
					  -32768, -32768, 50, -32768 };
		static const int abp[] = { 2, 3, 1, 12, 13, -128, -128, -128,
					   -128, -128 };
		expect_samples(&r, 0, ii, 10);
		expect_samples(&r, 1, abp, 10);
	}
	int rescaled = 0, skipped = 0;
	for (int i = 0; i < r.warn.n; i++) {
		rescaled += !!strstr(r.warn.msg[i], "rescaled");
		skipped += !!strstr(r.warn.msg[i], "not in the layout");
	}
	assert_int_equal(rescaled, 1);
	assert_int_equal(skipped, 1);
	bnn_wfdb_record_free(&r);

	/* Errors: lengths that disagree, a missing segment, fs, spf. */
	static const char m2[] = "v/5 2 250 11\nv_l 0\nv_a 3\nv_b 2\n~ 3\nv_c 2\n";
	assert_int_equal(bnn_wfdb_record_from_memory(m2, strlen(m2), bl, 8, 0, &r,
						     &e), BNN_E_PARSE);
	assert_non_null(strstr(e.msg, "add up"));
	static const char m3[] = "v/3 2 250\nv_l 0\nv_a 4\nv_b 2\n";
	assert_int_equal(bnn_wfdb_record_from_memory(m3, strlen(m3), bl, 8, 0, &r,
						     &e), BNN_E_PARSE);
	assert_non_null(strstr(e.msg, "v_a"));
	static const char m4[] = "v/2 2 250\nv_l 0\nv_x 4\n";
	assert_int_equal(bnn_wfdb_record_from_memory(m4, strlen(m4), bl, 8, 0, &r,
						     &e), BNN_E_NOTFOUND);
	static const char m5[] = "v/2 2 500\nv_l 0\nv_a 3\n";
	assert_int_equal(bnn_wfdb_record_from_memory(m5, strlen(m5), bl, 8, 0, &r,
						     &e), BNN_E_UNSUPPORTED);
	static const char m6[] = "v/2 3 250\nv_l 0\nv_a 3\n";
	assert_int_equal(bnn_wfdb_record_from_memory(m6, strlen(m6), bl, 8, 0, &r,
						     &e), BNN_E_PARSE);
	static const char m7[] = "v/1 2 250\n~ 5\n";
	assert_int_equal(bnn_wfdb_record_from_memory(m7, strlen(m7), bl, 8, 0, &r,
						     &e), BNN_E_PARSE);
	/* Nested multi-segment records are refused. */
	static const char nest[] = "v_n/1 2 250\nv_a 3\n";
	static const char m8[] = "v/2 2 250\nv_a 3\nv_n 3\n";
	bnn_wfdb_blob bn[] = { bl[1], bl[2], bl[3],
			       { "v_n.hea", (const uint8_t *)nest, strlen(nest) } };
	assert_int_equal(bnn_wfdb_record_from_memory(m8, strlen(m8), bn, 4, 0, &r,
						     &e), BNN_E_UNSUPPORTED);

	/* Fixed layout: every segment the same signals, copied as stored; a
	 * null segment gives gaps; a segment of another gain warns. */
	static const char s1[] = "f_1 2 250 3\nv_a.dat 16 100 16 0 0 0 0 II\n"
				 "v_a2.dat 80 10 8 0 0 0 0 ABP\n";
	static const char s2[] = "f_2 2 250 3\nv_a.dat 16 50 16 0 0 0 0 II\n"
				 "v_a2.dat 80 10 8 0 0 0 0 ABP\n";
	static const char mf[] = "f/3 2 250 8\nf_1 3\n~ 2\nf_2 3\n";
	bnn_wfdb_blob bf[] = { { "f_1.hea", (const uint8_t *)s1, strlen(s1) },
			       { "f_2.hea", (const uint8_t *)s2, strlen(s2) },
			       bl[2], bl[3] };
	assert_int_equal(bnn_wfdb_record_from_memory(mf, strlen(mf), bf, 4,
						     BNN_WFDB_NO_VERIFY, &r, &e),
			 BNN_OK);
	{
		static const int ii[] = { 10, 20, -32768, -32768, -32768, 10, 20,
					  -32768 };
		static const int abp[] = { 2, 3, 1, -128, -128, 2, 3, 1 };
		expect_samples(&r, 0, ii, 8);
		expect_samples(&r, 1, abp, 8);
	}
	assert_int_equal(r.warn.n, 1);
	assert_non_null(strstr(r.warn.msg[0], "copied as stored"));
	bnn_wfdb_record_free(&r);
	static const char s3[] = "f_3 1 250 3\nv_a.dat 16 100 16 0 0 0 0 II\n";
	static const char mf2[] = "f/2 2 250\nf_1 3\nf_3 3\n";
	bnn_wfdb_blob bf2[] = { bf[0], { "f_3.hea", (const uint8_t *)s3, strlen(s3) },
				bl[2], bl[3] };
	assert_int_equal(bnn_wfdb_record_from_memory(mf2, strlen(mf2), bf2, 4, 0,
						     &r, &e), BNN_E_PARSE);
	assert_non_null(strstr(e.msg, "fixed-layout"));
}

static void write_str(const char *name, const char *text)
{
	write_file(name, text, strlen(text));
}

static void test_multi_segment_disk(void **state)
{
	(void)state;
	/* Two segments sharing one file through byte offsets (the first
	 * reads the file's start: a warning, an error when strict). */
	uint8_t d[8] = { 1, 0, 2, 0, 3, 0, 4, 0 };
	write_file("ms.dat", d, sizeof d);
	write_str("ms_1.hea",
		  "ms_1 1 100 2\nms.dat 16 200 16 0 1 3 0 MLII\n");
	write_str("ms_2.hea",
		  "ms_2 1 100 2\nms.dat 16+4 200 16 0 3 7 0 MLII\n");
	write_str("ms.hea",
		  "ms/2 1 100 4\nms_1 2\nms_2 2\n");
	bnn_wfdb_record r;
	bnn_error e;
	int rc = bnn_wfdb_read_record(tmpdir, "ms", 0, &r, &e);
	if (rc)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
	static const int v[] = { 1, 2, 3, 4 };
	expect_samples(&r, 0, v, 4);
	assert_int_equal(r.warn.n, 1);
	assert_non_null(strstr(r.warn.msg[0], "segment ms_1: ms.dat: 4 bytes after"));
	bnn_wfdb_record_free(&r);
	assert_int_equal(bnn_wfdb_read_record(tmpdir, "ms", BNN_WFDB_STRICT, &r, &e),
			 BNN_E_SIZE);
	write_str("ms_2.hea",
		  "ms_2 1 100 2\n../ms.dat 16 200 16\n");
	assert_int_equal(bnn_wfdb_read_record(tmpdir, "ms", 0, &r, &e),
			 BNN_E_UNSUPPORTED);
	write_str("ms_2.hea",
		  "other 1 100 2\nms.dat 16\n");
	assert_int_equal(bnn_wfdb_read_record(tmpdir, "ms", 0, &r, &e),
			 BNN_E_PARSE);
	assert_non_null(strstr(e.msg, "names record"));
}

/* ---------------------------------------------------------------------
 * Lead names
 * --------------------------------------------------------------------- */

static int lead_in(const char *descs, const char *want, int *fb)
{
	char hea[1024];
	int n = 0, k = 0;
	char buf[512];
	snprintf(buf, sizeof buf, "%s", descs);
	char line[200], *save = NULL;
	size_t o = 0;
	for (char *d = strtok_r(buf, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
		snprintf(line, sizeof line, "r.dat 16 200 16 0 0 0 0 %s\n", d);
		memcpy(hea + 100 + o, line, strlen(line));
		o += strlen(line);
		n++;
	}
	k = snprintf(hea, 100, "r %d 100\n", n);
	memmove(hea + k, hea + 100, o);
	hea[k + o] = '\0';
	bnn_wfdb_header h;
	bnn_error e;
	if (bnn_wfdb_parse_header(hea, strlen(hea), &h, &e)) {
		print_error("%s\n", e.msg);
		fail();
	}
	int rc = bnn_wfdb_find_lead(&h, want, fb);
	bnn_wfdb_header_free(&h);
	return rc;
}

static void test_find_lead(void **state)
{
	(void)state;
	int fb = -1;
	/* ECG leads and generic ECG names, not EEG channels nor others. */
	static const char *const ecg[] = { "MLII", "ML II", "ECG lead 2", "V5",
					   "aVF", "MCL1", "I", "ECG", "ECG1",
					   "ECG MLII" };
	static const char *const other[] = { "EEG Fpz-Cz", "Pz-Oz", "C3", "O1",
					     "ABP", "RESP", "PLETH", "MV1",
					     "", "ECGX" };
	for (size_t i = 0; i < sizeof ecg / sizeof *ecg; i++)
		assert_int_equal(bnn_is_ecg_lead(ecg[i]), 1);
	for (size_t i = 0; i < sizeof other / sizeof *other; i++)
		assert_int_equal(bnn_is_ecg_lead(other[i]), 0);
	assert_int_equal(bnn_is_ecg_lead(NULL), 0);
	static const char *const ii[] = { "MLII", "ML II", "ML2", "mlii", "II",
					  "ii", "Lead II", "ECG lead 2", "ML-II",
					  "lead_2" };
	for (size_t i = 0; i < sizeof ii / sizeof *ii; i++)
		for (size_t j = 0; j < sizeof ii / sizeof *ii; j++) {
			char descs[64];
			snprintf(descs, sizeof descs, "V5,%s", ii[j]);
			int rc = lead_in(descs, ii[i], &fb);
			if (rc != 1)
				print_error("want '%s' in '%s': %d\n", ii[i], descs, rc);
			assert_int_equal(rc, 1);
			assert_int_equal(fb, 0);
		}
	assert_int_equal(lead_in("V1,v5", "V5", &fb), 1);
	assert_int_equal(lead_in("aVF,V1", "AVF", &fb), 0);
	assert_int_equal(lead_in("I,III", "ML1", &fb), 0);
	assert_int_equal(lead_in("I,III", "ML3", &fb), 1);
	assert_int_equal(lead_in("PLETH,abp", "ABP", &fb), 1);
	/* An exact description wins over an alias. */
	assert_int_equal(lead_in("II,MLII", "MLII", &fb), 1);
	/* "2" alone, "ECG2": channel numbers, not lead II. */
	assert_int_equal(lead_in("V1,2", "II", &fb), BNN_E_NOTFOUND);
	/* Generic names: the first one, with the fallback flag. */
	static const char *const gen[] = { "ECG", "ECG1", "ECG 2", "ecg_3",
					   "ECG I" };
	for (size_t i = 0; i < sizeof gen / sizeof *gen; i++) {
		char descs[64];
		snprintf(descs, sizeof descs, "ABP,%s,ECG9", gen[i]);
		assert_int_equal(lead_in(descs, "MLII", &fb), 1);
		assert_int_equal(fb, 1);
	}
	assert_int_equal(lead_in("ABP,ECG", "V1", NULL), 1);
	/* No fallback for non-ECG wishes, nor without a generic signal. */
	assert_int_equal(lead_in("ABP,ECG", "PLETH", &fb), BNN_E_NOTFOUND);
	assert_int_equal(fb, 0);
	assert_int_equal(lead_in("ABP,V1", "MLII", &fb), BNN_E_NOTFOUND);
	assert_int_equal(lead_in("ABP", "", &fb), BNN_E_NOTFOUND);
	bnn_wfdb_header h = { 0 };
	assert_int_equal(bnn_wfdb_find_lead(&h, NULL, &fb), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_find_lead(NULL, "II", &fb), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_find_lead(&h, "II", &fb), BNN_E_NOTFOUND);
}

/* What WFDB's gqrs -H writes first: a time resolution note at 0, a SKIP
 * of -1 and a NOTQRS (code 0) of interval 1, a note with the command. */
static void test_ann_notqrs_resolution(void **state)
{
	(void)state;
	struct annbuf a;
	bnn_wfdb_annlist l;
	bnn_error e;
	static const char res[] = "## time resolution: 500";

	a.n = 0;
	aw(&a, 22, 0); aaux(&a, res, strlen(res), 1);
	askip(&a, -1); aw(&a, 0, 1);
	aw(&a, 22, 0); aaux(&a, "gqrs -H", 7, 1);
	askip(&a, 1062); aw(&a, 1, 0);
	aw(&a, 1, 244);
	aw(&a, 0, 0);
	assert_int_equal(bnn_wfdb_parse_ann(a.b, a.n, &l, &e), BNN_OK);
	assert_true(l.fs == 500.0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.ann[0].code, 22);
	assert_int_equal(l.ann[0].sample, 0);
	assert_string_equal(l.ann[0].aux, "gqrs -H");
	assert_int_equal(l.ann[1].sample, 1062);
	assert_int_equal(l.ann[2].sample, 1306);
	assert_int_equal(l.warn.n, 0);
	/* To a 125 Hz frame rate: 265.5 and 326.5 round away from zero. */
	assert_int_equal(bnn_wfdb_ann_to_rate(&l, 125, &e), BNN_OK);
	assert_int_equal(l.ann[1].sample, 266);
	assert_int_equal(l.ann[2].sample, 327);
	assert_true(l.fs == 125.0);
	assert_int_equal(bnn_wfdb_ann_to_rate(&l, 125, &e), BNN_OK);
	assert_int_equal(l.ann[1].sample, 266);
	assert_int_equal(bnn_wfdb_ann_to_rate(NULL, 125, &e), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_ann_to_rate(&l, 0, &e), BNN_E_INVAL);
	assert_non_null(strstr(e.msg, "bad rate"));
	assert_int_equal(bnn_wfdb_ann_to_rate(&l, NAN, &e), BNN_E_INVAL);
	bnn_wfdb_annlist_free(&l);

	/* NOTQRS: its time counts, it and its AUX and NUM are dropped. */
	a.n = 0;
	aw(&a, 1, 5); aw(&a, 0, 3); aaux(&a, "xy", 2, 1); aw(&a, 60, 9);
	aw(&a, 5, 2); aw(&a, 0, 0);
	assert_int_equal(bnn_wfdb_parse_ann(a.b, a.n, &l, &e), BNN_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.ann[0].sample, 5);
	assert_null(l.ann[0].aux);
	assert_int_equal(l.ann[1].sample, 10);
	assert_int_equal(l.ann[1].code, 5);
	assert_int_equal(l.ann[1].num, 9);	/* NUM carries over, as in WFDB */
	assert_true(l.fs == 0);
	/* No resolution: times unchanged. */
	assert_int_equal(bnn_wfdb_ann_to_rate(&l, 360, &e), BNN_OK);
	assert_int_equal(l.ann[1].sample, 10);
	bnn_wfdb_annlist_free(&l);
	/* A NOTQRS first: modifiers after it are no error. */
	a.n = 0;
	aw(&a, 0, 4); aw(&a, 62, 1); aw(&a, 1, 1); aw(&a, 0, 0);
	assert_int_equal(bnn_wfdb_parse_ann(a.b, a.n, &l, &e), BNN_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ann[0].sample, 5);
	assert_int_equal(l.ann[0].chan, 1);
	bnn_wfdb_annlist_free(&l);

	/* Notes kept as notes: not at time 0, not a number, a second one. */
	static const char *const keep[] = {
		"## time resolution: abc", "## time resolution: 0",
		"## time resolution: 250x", "## time resolution:250",
	};
	for (size_t k = 0; k < 4; k++) {
		a.n = 0;
		aw(&a, 22, 0); aaux(&a, keep[k], strlen(keep[k]), 1);
		aw(&a, 0, 0);
		assert_int_equal(bnn_wfdb_parse_ann(a.b, a.n, &l, &e), BNN_OK);
		assert_int_equal(l.n, 1);
		assert_string_equal(l.ann[0].aux, keep[k]);
		assert_true(l.fs == 0);
		bnn_wfdb_annlist_free(&l);
	}
	a.n = 0;
	aw(&a, 22, 3); aaux(&a, res, strlen(res), 1);
	aw(&a, 0, 0);
	assert_int_equal(bnn_wfdb_parse_ann(a.b, a.n, &l, &e), BNN_OK);
	assert_int_equal(l.n, 1);
	assert_true(l.fs == 0);
	bnn_wfdb_annlist_free(&l);
	a.n = 0;
	aw(&a, 22, 0); aaux(&a, "## time resolution: 1000", 24, 1);
	aw(&a, 22, 0); aaux(&a, res, strlen(res), 1);
	aw(&a, 0, 0);
	assert_int_equal(bnn_wfdb_parse_ann(a.b, a.n, &l, &e), BNN_OK);
	assert_true(l.fs == 1000.0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.ann[0].aux, res);
	bnn_wfdb_annlist_free(&l);
}

static void test_ann_negative_skip(void **state)
{
	(void)state;
	struct annbuf a = { .n = 0 };
	aw(&a, 1, 5);			/* N at 5 */
	askip(&a, -100);		/* time -95 */
	aw(&a, 5, 0);			/* V at -95: dropped */
	aw(&a, 62, 3);			/* its CHN 3 carries over */
	aaux(&a, "gone", 4, 1);		/* its aux is dropped too */
	aw(&a, 1, 10);			/* N at -85: dropped */
	askip(&a, 185);			/* time 100 */
	aw(&a, 8, 0);			/* A at 100 */
	askip(&a, INT32_MIN);		/* far before 0 */
	aw(&a, 1, 1);
	aw(&a, 0, 0);
	bnn_wfdb_annlist l;
	bnn_error e;
	assert_int_equal(bnn_wfdb_parse_ann(a.b, a.n, &l, &e), BNN_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.ann[0].sample, 5);
	assert_int_equal(l.ann[1].sample, 100);
	assert_int_equal(l.ann[1].code, 8);
	assert_int_equal(l.ann[1].chan, 3);
	assert_null(l.ann[1].aux);
	assert_int_equal(l.warn.n, 1);
	assert_non_null(strstr(l.warn.msg[0], "3 annotation(s) before sample 0"));
	bnn_wfdb_annlist_free(&l);
	/* A file that starts before 0: modifiers of dropped ones are fine. */
	a.n = 0;
	askip(&a, -3); aw(&a, 1, 0); aw(&a, 60, 7); aw(&a, 1, 4); aw(&a, 0, 0);
	assert_int_equal(bnn_wfdb_parse_ann(a.b, a.n, &l, &e), BNN_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ann[0].sample, 1);
	assert_int_equal(l.ann[0].num, 7);
	bnn_wfdb_annlist_free(&l);
	/* AUX length is the low byte of I; CHN the low byte, unsigned. */
	a.n = 0;
	aw(&a, 1, 1); aw(&a, 62, 0x3ff); aw(&a, 63, 0x302);
	a.b[a.n++] = 'h'; a.b[a.n++] = 'i'; aw(&a, 0, 0);
	assert_int_equal(bnn_wfdb_parse_ann(a.b, a.n, &l, &e), BNN_OK);
	assert_int_equal(l.ann[0].chan, 255);
	assert_string_equal(l.ann[0].aux, "hi");
	bnn_wfdb_annlist_free(&l);
}

/* ---------------------------------------------------------------------
 * Out-of-memory paths: every allocation failure is reported and leaks
 * nothing (LeakSanitizer checks at exit).
 * --------------------------------------------------------------------- */

static void test_oom(void **state)
{
	(void)state;
	static int vals[2 * 20];
	static uint8_t dat[2 * 20 * 2];
	char hea[1024];
	size_t datlen;
	make212(2, 20, vals, dat, &datlen, hea, sizeof hea, 0);
	write_file("oom.hea", "oom 2 360 20\noom.dat 212\noom.dat 212\n", 37);
	write_file("oom.dat", dat, datlen);
	struct annbuf a = { .n = 0 };
	aw(&a, 1, 5);
	aaux(&a, "x", 1, 1);
	aw(&a, 0, 0);
	write_file("oom.atr", a.b, a.n);

	/* A variable-layout multi-segment record from memory. */
	static const char mlay[] = "mo_l 2 100 0\n~ 0 200 12 0 0 0 0 A\n~ 0x2 200 12 0 0 0 0 B\n";
	static const char mseg[] = "mo_1 1 100 4\nmo.dat 16x2:1 100 16 0 0 0 0 B\n";
	static const char mhea[] = "mo/3 2 100 6\nmo_l 0\nmo_1 4\n~ 2\n";
	static const uint8_t mdat[20] = { 1, 0, 2, 0 };
	for (int which = 0; which < 5; which++) {
		int ok = 0, fails = 0;
		for (long n = 0; n < 64 && !ok; n++) {
			bnn_error e;
			bnn_wfdb_record r;
			bnn_wfdb_header h;
			bnn_wfdb_annlist l;
			bnn_wfdb_blob b = { "syn.dat", dat, datlen };
			int rc;
			bnn_test_fail_alloc_after(n);
			switch (which) {
			case 0:
				rc = bnn_wfdb_parse_header(hea, strlen(hea), &h, &e);
				bnn_test_fail_alloc_after(-1);
				if (!rc)
					bnn_wfdb_header_free(&h);
				break;
			case 1:
				rc = bnn_wfdb_record_from_memory(hea, strlen(hea),
								 &b, 1, 0, &r, &e);
				bnn_test_fail_alloc_after(-1);
				if (!rc)
					bnn_wfdb_record_free(&r);
				break;
			case 2:
				rc = bnn_wfdb_read_record(tmpdir, "oom", 0, &r, &e);
				bnn_test_fail_alloc_after(-1);
				if (!rc)
					bnn_wfdb_record_free(&r);
				break;
			case 4: {
				bnn_wfdb_blob mb[] = {
					{ "mo_l.hea", (const uint8_t *)mlay, strlen(mlay) },
					{ "mo_1.hea", (const uint8_t *)mseg, strlen(mseg) },
					{ "mo.dat", mdat, sizeof mdat },
				};
				rc = bnn_wfdb_record_from_memory(mhea, strlen(mhea), mb,
								 3, 0, &r, &e);
				bnn_test_fail_alloc_after(-1);
				if (!rc) {
					assert_int_equal(bnn_wfdb_signal_len(&r, 1), 12);
					bnn_wfdb_record_free(&r);
				}
				break;
			}
			case 3:
				rc = bnn_wfdb_read_ann(tpath("oom.atr"), &l, &e);
				bnn_test_fail_alloc_after(-1);
				if (!rc)
					bnn_wfdb_annlist_free(&l);
				break;
			}
			if (rc == BNN_OK) {
				ok = 1;
			} else {
				if (rc != BNN_E_NOMEM)
					print_error("which %d n %ld: %s\n", which, n, e.msg);
				assert_int_equal(rc, BNN_E_NOMEM);
				assert_non_null(strstr(e.msg, "memory"));
				fails++;
			}
		}
		assert_true(ok);
		assert_true(fails >= 1);
	}
}

/* ---------------------------------------------------------------------
 * The real MIT-BIH database
 * --------------------------------------------------------------------- */

static const char *mitdb_dir(char *buf, size_t cap)
{
	const char *root = bnn_data_dir(NULL);
	if (!root) {
		print_message("# SKIP reason: RBNN_DATA is not set\n");
		return NULL;
	}
	snprintf(buf, cap, "%s/mitdb", root);
	char rec[1200];
	snprintf(rec, sizeof rec, "%s/RECORDS", buf);
	if (access(rec, R_OK) != 0) {
		print_message("# SKIP reason: %s not readable\n", rec);
		return NULL;
	}
	return buf;
}

/* Annotation totals over the 48 records (mitdb/README.md, "Counts"). */
static const struct {
	const char *sym;
	long count;
} mitdb_symbol_counts[] = {
	{ "N", 75052 }, { "L", 8075 }, { "R", 7259 }, { "a", 150 },
	{ "V", 7130 }, { "F", 803 }, { "J", 83 }, { "A", 2546 },
	{ "S", 2 }, { "E", 106 }, { "j", 229 }, { "/", 7028 },
	{ "Q", 33 }, { "e", 16 }, { "f", 982 }, { "+", 1291 },
	{ "~", 616 }, { "|", 132 }, { "\"", 437 }, { "!", 472 },
	{ "[", 6 }, { "]", 6 }, { "x", 193 },
};

static void test_mitdb_all_records(void **state)
{
	(void)state;
	char dir[1024];
	if (!mitdb_dir(dir, sizeof dir)) {
		skip();
		return;
	}
	char path[1200];
	snprintf(path, sizeof path, "%s/RECORDS", dir);
	uint8_t *txt;
	size_t len;
	bnn_error e;
	assert_int_equal(bnn_read_file(path, 0, &txt, &len, &e), BNN_OK);

	long per_code[BNN_WFDB_ACMAX + 1] = { 0 };
	long total = 0;
	int nrec = 0;
	char *save = NULL;
	for (char *name = strtok_r((char *)txt, "\r\n", &save); name;
	     name = strtok_r(NULL, "\r\n", &save)) {
		bnn_wfdb_record r;
		int rc = bnn_wfdb_read_record(dir, name, BNN_WFDB_STRICT, &r, &e);
		if (rc)
			print_error("record %s: %s\n", name, e.msg);
		assert_int_equal(rc, BNN_OK);	/* includes both checksums */
		assert_int_equal(r.hdr.nsig, 2);
		assert_true(r.hdr.fs == 360.0);
		assert_int_equal(r.nsamples, 650000);
		for (int s = 0; s < 2; s++) {
			const bnn_wfdb_signal *sg = &r.hdr.sig[s];
			assert_int_equal(sg->format, 212);
			assert_true(sg->has_checksum);
			assert_int_equal(bnn_wfdb_samples(&r, s)[0], sg->init_value);
			assert_true(sg->gain == 200.0);
			assert_int_equal(sg->adc_zero, 1024);
			/* README: all stored values lie in 0..2047. */
			const int32_t *x = bnn_wfdb_samples(&r, s);
			int32_t lo = x[0], hi = x[0];
			for (int64_t i = 1; i < r.nsamples; i++) {
				lo = x[i] < lo ? x[i] : lo;
				hi = x[i] > hi ? x[i] : hi;
			}
			assert_true(lo >= 0 && hi <= 2047);
		}
		/* Leads: 114 has MLII second; 102 and 104 have none. */
		int ml = bnn_wfdb_find_signal(&r.hdr, "MLII");
		if (!strcmp(name, "114"))
			assert_int_equal(ml, 1);
		else if (!strcmp(name, "102") || !strcmp(name, "104"))
			assert_int_equal(ml, BNN_E_NOTFOUND);
		else
			assert_int_equal(ml, 0);
		bnn_wfdb_record_free(&r);

		bnn_wfdb_annlist l;
		rc = bnn_wfdb_read_annotations(dir, name, "atr", &l, &e);
		if (rc)
			print_error("record %s: %s\n", name, e.msg);
		assert_int_equal(rc, BNN_OK);
		for (size_t i = 0; i < l.n; i++) {
			assert_true(l.ann[i].sample >= 0 &&
				    l.ann[i].sample < 650000);
			if (i)
				assert_true(l.ann[i].sample >= l.ann[i - 1].sample);
			per_code[l.ann[i].code]++;
		}
		total += (long)l.n;
		/* Every rhythm change '+' carries its rhythm as aux text,
		 * e.g. "(N", "(AFIB". */
		for (size_t i = 0; i < l.n; i++)
			if (l.ann[i].code == 28)
				assert_true(l.ann[i].aux && l.ann[i].aux[0] == '(');
		bnn_wfdb_annlist_free(&l);
		nrec++;
	}
	free(txt);
	assert_int_equal(nrec, 48);
	long sum = 0;
	for (size_t i = 0; i < sizeof mitdb_symbol_counts / sizeof *mitdb_symbol_counts; i++) {
		int c = bnn_wfdb_ann_code(mitdb_symbol_counts[i].sym);
		assert_true(c > 0);
		if (per_code[c] != mitdb_symbol_counts[i].count)
			print_error("symbol %s: %ld, README %ld\n",
				    mitdb_symbol_counts[i].sym, per_code[c],
				    mitdb_symbol_counts[i].count);
		assert_int_equal(per_code[c], mitdb_symbol_counts[i].count);
		sum += per_code[c];
	}
	assert_int_equal(sum, total);	/* no other symbols occur */
	assert_int_equal(total, 112647);
	print_message("# 48 records decoded, checksums verified, %ld annotations\n",
		      total);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hea_basic),
		cmocka_unit_test(test_hea_line_endings),
		cmocka_unit_test(test_hea_optional_fields),
		cmocka_unit_test(test_hea_errors_record_line),
		cmocka_unit_test(test_hea_errors_signal_line),
		cmocka_unit_test(test_hea_errors_bytes),
		cmocka_unit_test(test_hea_read_file),
		cmocka_unit_test(test_find_signal),
		cmocka_unit_test(test_decode_212),
		cmocka_unit_test(test_decode_16_61_80),
		cmocka_unit_test(test_decode_byte_offset),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_read_record_disk),
		cmocka_unit_test(test_ann_basic),
		cmocka_unit_test(test_ann_errors),
		cmocka_unit_test(test_ann_files),
		cmocka_unit_test(test_ann_symbols),
		cmocka_unit_test(test_decode_more_formats),
		cmocka_unit_test(test_decode_spf_skew),
		cmocka_unit_test(test_decode_skew_checksum),
		cmocka_unit_test(test_multi_segment),
		cmocka_unit_test(test_multi_segment_disk),
		cmocka_unit_test(test_find_lead),
		cmocka_unit_test(test_ann_negative_skip),
		cmocka_unit_test(test_ann_notqrs_resolution),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_mitdb_all_records),
	};
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
