// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * test_csv.c - CSV and raw float32 readers, plus the shared helpers of the
 * libbnn data library (errors, file reading, strict numbers).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bnn_data.h"
#include "test_files.h"


static void csv_fails(const char *text, unsigned flags, int code,
		      const char *needle)
{
	bnn_csv c;
	bnn_error e;
	bnn_error_clear(&e);
	int rc = bnn_csv_parse(text, strlen(text), flags, &c, &e);
	if (rc != code)
		print_error("<<%s>>: got %d (%s), want %d\n", text, rc, e.msg,
			    code);
	assert_int_equal(rc, code);
	assert_null(c.v);
	assert_null(c.names);
	assert_int_equal(c.rows, 0);
	if (needle && !strstr(e.msg, needle))
		print_error("message '%s' lacks '%s'\n", e.msg, needle);
	if (needle)
		assert_non_null(strstr(e.msg, needle));
}

/* ---------------------------------------------------------------------
 * Shared helpers
 * --------------------------------------------------------------------- */

static void test_errors_api(void **state)
{
	(void)state;
	const int codes[] = { BNN_OK, BNN_E_INVAL, BNN_E_NOMEM, BNN_E_IO,
			      BNN_E_PARSE, BNN_E_RANGE, BNN_E_UNSUPPORTED,
			      BNN_E_TRUNCATED, BNN_E_SIZE, BNN_E_CHECKSUM,
			      BNN_E_CORRUPT, BNN_E_NOTFOUND };
	for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
		const char *s = bnn_strerror(codes[i]);
		assert_non_null(s);
		assert_string_not_equal(s, "unknown error");
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(s, bnn_strerror(codes[j]));
	}
	assert_string_equal(bnn_strerror(-999), "unknown error");
	assert_string_equal(bnn_strerror(5), "unknown error");
	bnn_error e = { .code = BNN_E_IO, .msg = "x" };
	bnn_error_clear(&e);
	assert_int_equal(e.code, BNN_OK);
	assert_string_equal(e.msg, "");
	bnn_error_clear(NULL);
}

static void test_data_dir(void **state)
{
	(void)state;
	char *old = getenv("RBNN_DATA") ? strdup(getenv("RBNN_DATA")) : NULL;
	unsetenv("RBNN_DATA");
	assert_string_equal(bnn_data_dir("/fallback"), "/fallback");
	assert_null(bnn_data_dir(NULL));
	setenv("RBNN_DATA", "", 1);
	assert_string_equal(bnn_data_dir("/fallback"), "/fallback");
	setenv("RBNN_DATA", "/data", 1);
	assert_string_equal(bnn_data_dir("/fallback"), "/data");
	if (old) {
		setenv("RBNN_DATA", old, 1);
		free(old);
	} else {
		unsetenv("RBNN_DATA");
	}
}

static void test_parse_i64(void **state)
{
	(void)state;
	int64_t v;
	struct {
		const char *s;
		int rc;
		int64_t v;
	} t[] = {
		{ "0", BNN_OK, 0 }, { "-0", BNN_OK, 0 }, { "+17", BNN_OK, 17 },
		{ "-42", BNN_OK, -42 }, { "007", BNN_OK, 7 },
		{ "9223372036854775807", BNN_OK, INT64_MAX },
		{ "-9223372036854775808", BNN_OK, INT64_MIN },
		{ "9223372036854775808", BNN_E_RANGE, 0 },
		{ "-9223372036854775809", BNN_E_RANGE, 0 },
		{ "99999999999999999999999", BNN_E_RANGE, 0 },
		{ "", BNN_E_PARSE, 0 }, { "+", BNN_E_PARSE, 0 },
		{ "-", BNN_E_PARSE, 0 }, { " 1", BNN_E_PARSE, 0 },
		{ "1 ", BNN_E_PARSE, 0 }, { "1e5", BNN_E_PARSE, 0 },
		{ "1.0", BNN_E_PARSE, 0 }, { "0x1", BNN_E_PARSE, 0 },
		{ "--1", BNN_E_PARSE, 0 }, { "99999999999999999999x", BNN_E_PARSE, 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		v = 12345;
		int rc = bnn_parse_i64(t[i].s, strlen(t[i].s), &v);
		if (rc != t[i].rc)
			print_error("'%s': %d\n", t[i].s, rc);
		assert_int_equal(rc, t[i].rc);
		if (rc == BNN_OK)
			assert_true(v == t[i].v);
		else
			assert_true(v == 12345);	/* untouched */
	}
	/* Only len bytes count. */
	assert_int_equal(bnn_parse_i64("123abc", 3, &v), BNN_OK);
	assert_int_equal(v, 123);
	assert_int_equal(bnn_parse_i64(NULL, 3, &v), BNN_E_PARSE);
	assert_int_equal(bnn_parse_i64("1", 1, NULL), BNN_E_PARSE);
}

static void test_parse_f64(void **state)
{
	(void)state;
	double v;
	struct {
		const char *s;
		int rc;
		double v;
	} t[] = {
		{ "0", BNN_OK, 0 }, { "1.5", BNN_OK, 1.5 }, { "-2.25", BNN_OK, -2.25 },
		{ "+3", BNN_OK, 3 }, { ".5", BNN_OK, 0.5 }, { "5.", BNN_OK, 5 },
		{ "1e3", BNN_OK, 1000 }, { "1E-2", BNN_OK, 0.01 },
		{ "-1.5e+2", BNN_OK, -150 }, { "1e-400", BNN_OK, 0 },
		{ "1e400", BNN_E_RANGE, 0 }, { "-1e400", BNN_E_RANGE, 0 },
		{ "", BNN_E_PARSE, 0 }, { ".", BNN_E_PARSE, 0 },
		{ "-", BNN_E_PARSE, 0 }, { "e5", BNN_E_PARSE, 0 },
		{ "1e", BNN_E_PARSE, 0 }, { "1e+", BNN_E_PARSE, 0 },
		{ "nan", BNN_E_PARSE, 0 }, { "inf", BNN_E_PARSE, 0 },
		{ "-infinity", BNN_E_PARSE, 0 }, { "0x10", BNN_E_PARSE, 0 },
		{ " 1", BNN_E_PARSE, 0 }, { "1 ", BNN_E_PARSE, 0 },
		{ "1,5", BNN_E_PARSE, 0 }, { "1.2.3", BNN_E_PARSE, 0 },
		{ "--1", BNN_E_PARSE, 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		v = 12345;
		int rc = bnn_parse_f64(t[i].s, strlen(t[i].s), &v);
		if (rc != t[i].rc)
			print_error("'%s': %d\n", t[i].s, rc);
		assert_int_equal(rc, t[i].rc);
		if (rc == BNN_OK)
			assert_true(v == t[i].v);
		else
			assert_true(v == 12345);
	}
	assert_int_equal(bnn_parse_f64("2.5xyz", 3, &v), BNN_OK);
	assert_true(v == 2.5);
	/* Long literals (beyond the on-stack buffer) still parse exactly. */
	char lng[400];
	memset(lng, '0', sizeof lng);
	lng[0] = '1';
	lng[1] = '.';
	assert_int_equal(bnn_parse_f64(lng, sizeof lng, &v), BNN_OK);
	assert_true(v == 1.0);
	char *huge = malloc(5000);
	assert_non_null(huge);
	memset(huge, '1', 5000);
	assert_int_equal(bnn_parse_f64(huge, 5000, &v), BNN_E_RANGE);
	free(huge);
	/* Locale-independent: a comma-decimal locale changes nothing. */
	if (setlocale(LC_NUMERIC, "de_DE.UTF-8") ||
	    setlocale(LC_NUMERIC, "fr_FR.UTF-8")) {
		assert_int_equal(bnn_parse_f64("1.5", 3, &v), BNN_OK);
		assert_true(v == 1.5);
		assert_int_equal(bnn_parse_f64("1,5", 3, &v), BNN_E_PARSE);
		setlocale(LC_NUMERIC, "C");
	}
	assert_int_equal(bnn_parse_f64(NULL, 1, &v), BNN_E_PARSE);
	assert_int_equal(bnn_parse_f64("1", 1, NULL), BNN_E_PARSE);
}

static void test_read_file(void **state)
{
	(void)state;
	uint8_t *d;
	size_t n;
	bnn_error e;
	write_file("f.bin", "abc", 3);
	assert_int_equal(bnn_read_file(tpath("f.bin"), 0, &d, &n, &e), BNN_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(d, "abc", 4);	/* NUL-terminated */
	free(d);
	write_file("empty", "", 0);
	assert_int_equal(bnn_read_file(tpath("empty"), 0, &d, &n, &e), BNN_OK);
	assert_int_equal(n, 0);
	assert_int_equal(d[0], 0);
	free(d);
	assert_int_equal(bnn_read_file(tpath("f.bin"), 2, &d, &n, &e), BNN_E_SIZE);
	assert_null(d);
	assert_non_null(strstr(e.msg, "too big"));
	assert_int_equal(bnn_read_file(tpath("none"), 0, &d, &n, &e), BNN_E_IO);
	assert_non_null(strstr(e.msg, "none"));
	assert_int_equal(bnn_read_file(tmpdir, 0, &d, &n, &e), BNN_E_IO);
	assert_int_equal(mkfifo(tpath("fifo"), 0600), 0);
	assert_int_equal(bnn_read_file(tpath("fifo"), 0, &d, &n, &e), BNN_E_IO);
	assert_non_null(strstr(e.msg, "not a regular file"));
	assert_int_equal(bnn_read_file("/dev/null", 0, &d, &n, &e), BNN_E_IO);
	/* Sparse file above the default cap: refused without reading. */
	int fd = open(tpath("huge"), O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)BNN_FILE_MAX + 1), 0);
	close(fd);
	assert_int_equal(bnn_read_file(tpath("huge"), 0, &d, &n, &e), BNN_E_SIZE);
	unlink(tpath("huge"));
	if (geteuid() != 0) {	/* root reads anything */
		write_file("noperm", "x", 1);
		chmod(tpath("noperm"), 0);
		assert_int_equal(bnn_read_file(tpath("noperm"), 0, &d, &n, &e),
				 BNN_E_IO);
	}
	bnn_test_fail_alloc_after(0);
	assert_int_equal(bnn_read_file(tpath("f.bin"), 0, &d, &n, &e), BNN_E_NOMEM);
	bnn_test_fail_alloc_after(-1);
	assert_int_equal(bnn_read_file(NULL, 0, &d, &n, &e), BNN_E_INVAL);
	assert_int_equal(bnn_read_file("x", 0, NULL, &n, &e), BNN_E_INVAL);
	assert_int_equal(bnn_read_file("x", 0, &d, NULL, &e), BNN_E_INVAL);
}

/* ---------------------------------------------------------------------
 * CSV
 * --------------------------------------------------------------------- */

static void test_csv_ok(void **state)
{
	(void)state;
	bnn_csv c;
	bnn_error e;
	static const char t1[] = "a, \"b\" ,c\r\n1,2,3\r\n-4.5 , 1e3,.5\r\n";
	int rc = bnn_csv_parse(t1, strlen(t1), BNN_CSV_HEADER, &c, &e);
	if (rc)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
	assert_int_equal(c.rows, 2);
	assert_int_equal(c.cols, 3);
	assert_int_equal(c.delim, ',');
	assert_string_equal(c.names[0], "a");
	assert_string_equal(c.names[1], "b");
	assert_string_equal(c.names[2], "c");
	static const double w1[] = { 1, 2, 3, -4.5, 1000, 0.5 };
	for (int i = 0; i < 6; i++)
		assert_true(c.v[i] == w1[i]);
	bnn_csv_free(&c);
	bnn_csv_free(&c);
	bnn_csv_free(NULL);

	/* Auto-detected semicolon, no header, no final newline. */
	static const char t2[] = "1;2\n3;4";
	assert_int_equal(bnn_csv_parse(t2, strlen(t2), 0, &c, &e), BNN_OK);
	assert_int_equal(c.delim, ';');
	assert_int_equal(c.rows, 2);
	assert_null(c.names);
	assert_true(c.v[3] == 4);
	bnn_csv_free(&c);

	/* Whitespace: runs of blanks and tabs, leading/trailing blanks. */
	static const char t3[] = "  1\t 2   3 \n4 5\t6\n\n\n";
	assert_int_equal(bnn_csv_parse(t3, strlen(t3), 0, &c, &e), BNN_OK);
	assert_int_equal(c.delim, ' ');
	assert_int_equal(c.rows, 2);
	assert_int_equal(c.cols, 3);
	assert_true(c.v[5] == 6);
	bnn_csv_free(&c);

	/* One column; explicit delimiter flags override detection. */
	static const char t4[] = "x\n1\n2\n";
	assert_int_equal(bnn_csv_parse(t4, strlen(t4), BNN_CSV_HEADER, &c, &e),
			 BNN_OK);
	assert_int_equal(c.cols, 1);
	assert_int_equal(c.rows, 2);
	bnn_csv_free(&c);
	static const char t5[] = "1 2,3\n";
	assert_int_equal(bnn_csv_parse(t5, strlen(t5), BNN_CSV_WHITESPACE, &c, &e),
			 BNN_E_PARSE);	/* "2,3" is no number */
	assert_int_equal(bnn_csv_parse(t5, strlen(t5), BNN_CSV_COMMA, &c, &e),
			 BNN_E_PARSE);	/* "1 2" is no number */
	static const char t6[] = "1;2\n";
	assert_int_equal(bnn_csv_parse(t6, strlen(t6), BNN_CSV_SEMICOLON, &c, &e),
			 BNN_OK);
	assert_int_equal(c.cols, 2);
	bnn_csv_free(&c);

	/* Comments (with the flag), also before the header. */
	static const char t7[] = "# made by x\nt,v\n# between\n1,2\n  # indented\n3,4\n";
	assert_int_equal(bnn_csv_parse(t7, strlen(t7),
				       BNN_CSV_HEADER | BNN_CSV_COMMENTS, &c, &e),
			 BNN_OK);
	assert_int_equal(c.rows, 2);
	assert_string_equal(c.names[1], "v");
	bnn_csv_free(&c);

	/* Many rows (growth path). */
	size_t n = 5000;
	char *big = xmalloc(n * 16);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		appendf(big, &k, "%zu,%zu.5\n", i, i);
	assert_int_equal(bnn_csv_parse(big, k, 0, &c, &e), BNN_OK);
	assert_int_equal(c.rows, n);
	assert_true(c.v[2 * (n - 1) + 1] == (double)(n - 1) + 0.5);
	bnn_csv_free(&c);
	free(big);
}

static void test_csv_errors(void **state)
{
	(void)state;
	csv_fails("1,,2\n", 0, BNN_E_PARSE, "line 1, field 2: empty field");
	csv_fails("1,2,\n", 0, BNN_E_PARSE, "field 3: empty");
	csv_fails(",1\n", 0, BNN_E_PARSE, "field 1: empty");
	csv_fails("1,2\n3\n", 0, BNN_E_PARSE, "line 2: 1 fields, expected 2");
	csv_fails("1,2\n3,4,5\n", 0, BNN_E_PARSE, "line 2: more than 2");
	csv_fails("a,b\n1,2,3\n", BNN_CSV_HEADER, BNN_E_PARSE, "more than 2");
	csv_fails("1,abc\n", 0, BNN_E_PARSE, "line 1, field 2: bad number 'abc'");
	csv_fails("nan\n", 0, BNN_E_PARSE, "bad number");
	csv_fails("inf\n", 0, BNN_E_PARSE, "bad number");
	csv_fails("0x10\n", 0, BNN_E_PARSE, "bad number");
	csv_fails("\"1\"\n", 0, BNN_E_PARSE, "bad number");
	csv_fails("1e999\n", 0, BNN_E_RANGE, "out of range");
	csv_fails("1\n\n2\n", 0, BNN_E_PARSE, "line 2: blank line");
	csv_fails("1\n \t\n2\n", 0, BNN_E_PARSE, "blank line");
	csv_fails("1\r2\n", 0, BNN_E_PARSE, "carriage return");
	csv_fails("1\n2\x01\n", 0, BNN_E_PARSE, "control");
	csv_fails("", 0, BNN_E_PARSE, "no data rows");
	csv_fails("\n\n", 0, BNN_E_PARSE, "no data rows");
	csv_fails("a,b\n", BNN_CSV_HEADER, BNN_E_PARSE, "no data rows");
	csv_fails("# x\n", BNN_CSV_COMMENTS, BNN_E_PARSE, "no data rows");
	csv_fails("# x\n1\n", 0, BNN_E_PARSE, "bad number");	/* no flag */
	csv_fails("a,,b\n1,2,3\n", BNN_CSV_HEADER, BNN_E_PARSE, "empty column name");
	csv_fails("a,\"\"\n1,2\n", BNN_CSV_HEADER, BNN_E_PARSE, "empty column name");
	csv_fails("a,b\"c\n1,2\n", BNN_CSV_HEADER, BNN_E_PARSE, "stray quote");
	csv_fails("1,2\n", BNN_CSV_COMMA | BNN_CSV_SEMICOLON, BNN_E_INVAL,
		  "more than one delimiter");
	csv_fails("1,2\n", 0x100, BNN_E_INVAL, "unknown flags");
	/* Non-printable bytes in a bad field are shown as '?'. */
	csv_fails("1,\xff\xfe\n", 0, BNN_E_PARSE, "'?" "?'");
	/* NUL byte. */
	bnn_csv c;
	bnn_error e;
	static const char nul[] = "1,2\n3,\0\n";
	assert_int_equal(bnn_csv_parse(nul, sizeof nul - 1, 0, &c, &e), BNN_E_PARSE);
	assert_non_null(strstr(e.msg, "NUL"));
	/* Too many columns (data row and header row). */
	size_t n = BNN_CSV_MAX_COLS + 1;
	char *wide = malloc(2 * n + 8);
	assert_non_null(wide);
	for (size_t i = 0; i < n; i++) {
		wide[2 * i] = '1';
		wide[2 * i + 1] = ',';
	}
	wide[2 * n - 1] = '\n';
	wide[2 * n] = '\0';
	csv_fails(wide, 0, BNN_E_RANGE, "columns");
	for (size_t i = 0; i < n; i++)
		wide[2 * i] = 'h';
	csv_fails(wide, BNN_CSV_HEADER, BNN_E_RANGE, "columns");
	free(wide);
	assert_int_equal(bnn_csv_parse(NULL, 3, 0, &c, &e), BNN_E_INVAL);
	assert_int_equal(bnn_csv_parse("1", 1, 0, NULL, &e), BNN_E_INVAL);
}

static void test_csv_read(void **state)
{
	(void)state;
	static const char t[] = "a;b\r\n1;2\r\n";
	write_file("x.csv", t, strlen(t));
	bnn_csv c;
	bnn_error e;
	assert_int_equal(bnn_csv_read(tpath("x.csv"), BNN_CSV_HEADER, &c, &e),
			 BNN_OK);
	assert_int_equal(c.rows, 1);
	assert_string_equal(c.names[0], "a");
	bnn_csv_free(&c);
	write_file("bad.csv", "1;x\n", 4);
	assert_int_equal(bnn_csv_read(tpath("bad.csv"), 0, &c, &e), BNN_E_PARSE);
	assert_non_null(strstr(e.msg, "bad.csv"));
	assert_int_equal(bnn_csv_read(tpath("none.csv"), 0, &c, &e), BNN_E_IO);
	assert_int_equal(bnn_csv_read(NULL, 0, &c, &e), BNN_E_INVAL);
	assert_int_equal(bnn_csv_read("x", 0, NULL, &e), BNN_E_INVAL);

	/* Out of memory everywhere (header names, values, growth). */
	static const char t2[] = "a,b,c\n1,2,3\n4,5,6\n";
	int ok = 0;
	for (long n = 0; n < 32 && !ok; n++) {
		bnn_test_fail_alloc_after(n);
		int rc = bnn_csv_parse(t2, strlen(t2), BNN_CSV_HEADER, &c, &e);
		bnn_test_fail_alloc_after(-1);
		if (rc == BNN_OK) {
			ok = 1;
			bnn_csv_free(&c);
		} else {
			assert_int_equal(rc, BNN_E_NOMEM);
		}
	}
	assert_true(ok);
}

/* ---------------------------------------------------------------------
 * Raw float32 tensors
 * --------------------------------------------------------------------- */

static void test_f32(void **state)
{
	(void)state;
	/* Little-endian bytes, independent of the host. */
	static const uint8_t le[] = { 0x00, 0x00, 0x80, 0x3f,	/* 1.0 */
				      0x00, 0x00, 0x00, 0xc0,	/* -2.0 */
				      0x00, 0x00, 0x00, 0x00,	/* 0 */
				      0x00, 0x00, 0x20, 0x41,	/* 10.0 */
				      0x00, 0x00, 0x00, 0x3f,	/* 0.5 */
				      0x00, 0x00, 0x80, 0x7f };	/* +inf */
	const size_t shape[2] = { 2, 3 };
	float *v;
	size_t n;
	bnn_error e;
	assert_int_equal(bnn_f32_parse(le, 20, (size_t[]){ 5 }, 1, 0, &v, &n, &e),
			 BNN_OK);
	assert_int_equal(n, 5);
	assert_true(v[0] == 1.0f && v[1] == -2.0f && v[2] == 0.0f &&
		    v[3] == 10.0f && v[4] == 0.5f);
	free(v);
	assert_int_equal(bnn_f32_parse(le, 24, shape, 2, 0, &v, &n, &e),
			 BNN_E_RANGE);	/* inf */
	assert_null(v);
	assert_non_null(strstr(e.msg, "value 5"));
	assert_int_equal(bnn_f32_parse(le, 24, shape, 2, BNN_F32_ALLOW_NONFINITE,
				       &v, &n, &e), BNN_OK);
	assert_true(isinf(v[5]));
	free(v);
	assert_int_equal(bnn_f32_parse(le, 23, shape, 2, 0, &v, &n, &e),
			 BNN_E_TRUNCATED);
	assert_int_equal(bnn_f32_parse(le, 20, shape, 2, 0, &v, &n, &e),
			 BNN_E_TRUNCATED);
	assert_int_equal(bnn_f32_parse(le, 24, (size_t[]){ 5 }, 1, 0, &v, &n, &e),
			 BNN_E_SIZE);
	assert_non_null(strstr(e.msg, "4 extra"));
	assert_int_equal(bnn_f32_parse(le, 24, (size_t[]){ 2, 0 }, 2, 0, &v, &n,
				       &e), BNN_E_INVAL);
	assert_int_equal(bnn_f32_parse(le, 24, shape, 0, 0, &v, &n, &e),
			 BNN_E_INVAL);
	const size_t nine[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 6 };
	assert_int_equal(bnn_f32_parse(le, 24, nine, 9, 0, &v, &n, &e),
			 BNN_E_INVAL);
	assert_int_equal(bnn_f32_parse(le, 24, nine, 8, 0, &v, &n, &e),
			 BNN_E_SIZE);	/* 8 dims of 1: 1 value, 20 extra bytes */
	assert_int_equal(bnn_f32_parse(le, 24, (size_t[]){ SIZE_MAX, 2 }, 2, 0,
				       &v, &n, &e), BNN_E_RANGE);
	assert_int_equal(bnn_f32_parse(le, 24, (size_t[]){ SIZE_MAX / 2 }, 1, 0,
				       &v, &n, &e), BNN_E_RANGE);
	assert_int_equal(bnn_f32_parse(le, 24, shape, 2, 0x10, &v, &n, &e),
			 BNN_E_INVAL);
	assert_int_equal(bnn_f32_parse(NULL, 24, shape, 2, 0, &v, &n, &e),
			 BNN_E_INVAL);
	assert_int_equal(bnn_f32_parse(le, 24, NULL, 2, 0, &v, &n, &e),
			 BNN_E_INVAL);
	assert_int_equal(bnn_f32_parse(le, 24, shape, 2, 0, NULL, &n, &e),
			 BNN_E_INVAL);
	assert_int_equal(bnn_f32_parse(le, 24, shape, 2, 0, &v, NULL, &e),
			 BNN_E_INVAL);
	/* NaN. */
	static const uint8_t nan_le[4] = { 0x00, 0x00, 0xc0, 0x7f };
	assert_int_equal(bnn_f32_parse(nan_le, 4, (size_t[]){ 1 }, 1, 0, &v, &n,
				       &e), BNN_E_RANGE);
	bnn_test_fail_alloc_after(0);
	assert_int_equal(bnn_f32_parse(le, 20, (size_t[]){ 5 }, 1, 0, &v, &n, &e),
			 BNN_E_NOMEM);
	bnn_test_fail_alloc_after(-1);

	/* Write + read round trip; the file has the exact LE bytes. */
	float w[6] = { 1.0f, -2.0f, 0.0f, 10.0f, 0.5f, 3.14159f };
	assert_int_equal(bnn_f32_write(tpath("t.f32"), w, 6, &e), BNN_OK);
	assert_int_equal(bnn_f32_read(tpath("t.f32"), shape, 2, 0, &v, &n, &e),
			 BNN_OK);
	assert_memory_equal(v, w, sizeof w);
	free(v);
	uint8_t *raw;
	size_t rl;
	assert_int_equal(bnn_read_file(tpath("t.f32"), 0, &raw, &rl, &e), BNN_OK);
	assert_int_equal(rl, 24);
	assert_memory_equal(raw, le, 20);
	free(raw);
	/* A larger write (several chunks). */
	size_t big = 3000;
	float *bw = malloc(big * sizeof *bw);
	assert_non_null(bw);
	for (size_t i = 0; i < big; i++)
		bw[i] = (float)i * 0.25f;
	assert_int_equal(bnn_f32_write(tpath("b.f32"), bw, big, &e), BNN_OK);
	assert_int_equal(bnn_f32_read(tpath("b.f32"), (size_t[]){ 30, 100 }, 2, 0,
				      &v, &n, &e), BNN_OK);
	assert_memory_equal(v, bw, big * sizeof *bw);
	free(v);
	free(bw);
	assert_int_equal(bnn_f32_write(tpath("z.f32"), NULL, 0, &e), BNN_OK);
	assert_int_equal(bnn_f32_read(tpath("t.f32"), (size_t[]){ 7 }, 1, 0, &v,
				      &n, &e), BNN_E_TRUNCATED);
	assert_non_null(strstr(e.msg, "t.f32"));
	assert_int_equal(bnn_f32_read(tpath("none"), shape, 2, 0, &v, &n, &e),
			 BNN_E_IO);
	assert_int_equal(bnn_f32_read(NULL, shape, 2, 0, &v, &n, &e), BNN_E_INVAL);
	assert_int_equal(bnn_f32_read("x", shape, 2, 0, NULL, &n, &e), BNN_E_INVAL);
	assert_int_equal(bnn_f32_write(tpath("nodir/x.f32"), w, 6, &e), BNN_E_IO);
	assert_int_equal(bnn_f32_write(NULL, w, 6, &e), BNN_E_INVAL);
	assert_int_equal(bnn_f32_write(tpath("y"), NULL, 6, &e), BNN_E_INVAL);
	/* A device that refuses writes. */
	if (access("/dev/full", W_OK) == 0) {
		assert_int_equal(bnn_f32_write("/dev/full", w, 6, &e), BNN_E_IO);
		assert_non_null(strstr(e.msg, "write error"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_api),
		cmocka_unit_test(test_data_dir),
		cmocka_unit_test(test_parse_i64),
		cmocka_unit_test(test_parse_f64),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_csv_ok),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_csv_read),
		cmocka_unit_test(test_f32),
	};
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
