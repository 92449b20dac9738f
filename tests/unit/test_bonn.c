// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * test_bonn.c - Bonn EEG segment reader and windowing helper.
 *
 * With $RBNN_DATA set: all 500 segments load, 100 per set, 4097 samples
 * each, value ranges as listed in bonn_eeg/README.md.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bnn_data.h"
#include "test_files.h"


/* A valid segment text: n lines, value i - 2000 + seed, CRLF. */
static char *segment_text(size_t n, int seed, size_t *len)
{
	char *t = xmalloc(n * 12 + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		appendf(t, &k, "%d\r\n", (int)i - 2000 + seed);
	*len = k;
	return t;
}

static void parse_fails(const char *text, size_t expect, int code,
			const char *needle)
{
	float *x = (float *)1;
	size_t n = 99;
	bnn_error e;
	bnn_error_clear(&e);
	int rc = bnn_bonn_parse(text, strlen(text), expect, &x, &n, &e);
	if (rc != code)
		print_error("<<%s>>: got %d (%s), want %d\n", text, rc, e.msg,
			    code);
	assert_int_equal(rc, code);
	assert_null(x);
	assert_int_equal(n, 0);
	if (needle && !strstr(e.msg, needle))
		print_error("message '%s' lacks '%s'\n", e.msg, needle);
	if (needle)
		assert_non_null(strstr(e.msg, needle));
}

static void test_set_letters(void **state)
{
	(void)state;
	static const char letters[] = "ZONFS";
	for (int i = 0; i < BNN_BONN_NSETS; i++) {
		assert_int_equal(bnn_bonn_set_letter(i), letters[i]);
		assert_int_equal(bnn_bonn_set_from_letter(letters[i]), i);
		assert_int_equal(bnn_bonn_set_from_letter((char)(letters[i] + 32)), i);
	}
	assert_int_equal(bnn_bonn_set_letter(5), 0);
	assert_int_equal(bnn_bonn_set_letter(-1), 0);
	assert_int_equal(bnn_bonn_set_from_letter('A'), BNN_E_NOTFOUND);
	assert_int_equal(bnn_bonn_set_from_letter('E'), BNN_E_NOTFOUND);
	assert_int_equal(bnn_bonn_set_from_letter(0), BNN_E_NOTFOUND);

	assert_int_equal(bnn_bonn_set_from_path("/d/bonn_eeg/Z/Z001.txt"), BNN_BONN_Z);
	assert_int_equal(bnn_bonn_set_from_path("bonn_eeg/N/N001.TXT"), BNN_BONN_N);
	assert_int_equal(bnn_bonn_set_from_path("S/x.txt"), BNN_BONN_S);
	assert_int_equal(bnn_bonn_set_from_path("/f//x.txt"), BNN_BONN_F);
	assert_int_equal(bnn_bonn_set_from_path("o/x.txt"), BNN_BONN_O);
	assert_int_equal(bnn_bonn_set_from_path("Z001.txt"), BNN_E_NOTFOUND);
	assert_int_equal(bnn_bonn_set_from_path("/Z001.txt"), BNN_E_NOTFOUND);
	assert_int_equal(bnn_bonn_set_from_path("/d/ZZ/Z001.txt"), BNN_E_NOTFOUND);
	assert_int_equal(bnn_bonn_set_from_path("/d/A/A001.txt"), BNN_E_NOTFOUND);
	assert_int_equal(bnn_bonn_set_from_path(""), BNN_E_NOTFOUND);
	assert_int_equal(bnn_bonn_set_from_path(NULL), BNN_E_INVAL);
}

static void test_parse_ok(void **state)
{
	(void)state;
	static const char *variants[] = {
		"12\r\n-22\r\n+35\r\n0\r\n",
		"12\n-22\n+35\n0\n",
		"12\r\n-22\n+35\r\n0",		/* mixed, no final line end */
		"  12\t\r\n\t-22 \r\n+35  \n 0",
	};
	for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
		float *x;
		size_t n;
		bnn_error e;
		int rc = bnn_bonn_parse(variants[i], strlen(variants[i]), 4, &x,
					&n, &e);
		if (rc)
			print_error("variant %zu: %s\n", i, e.msg);
		assert_int_equal(rc, BNN_OK);
		assert_int_equal(n, 4);
		assert_true(x[0] == 12 && x[1] == -22 && x[2] == 35 && x[3] == 0);
		free(x);
		rc = bnn_bonn_parse(variants[i], strlen(variants[i]), 0, &x, &n, &e);
		assert_int_equal(rc, BNN_OK);
		assert_int_equal(n, 4);
		free(x);
	}
	/* Extreme accepted values; a full-size segment. */
	float *x;
	size_t n, len;
	static const char ext[] = "16777216\n-16777216\n";
	assert_int_equal(bnn_bonn_parse(ext, strlen(ext), 0, &x, &n, NULL), BNN_OK);
	assert_true(x[0] == 16777216.0f && x[1] == -16777216.0f);
	free(x);
	char *t = segment_text(BNN_BONN_SAMPLES, 0, &len);
	assert_int_equal(bnn_bonn_parse(t, len, BNN_BONN_SAMPLES, &x, &n, NULL),
			 BNN_OK);
	assert_int_equal(n, BNN_BONN_SAMPLES);
	assert_true(x[4096] == 2096.0f);
	free(x);
	free(t);
}

static void test_parse_errors(void **state)
{
	(void)state;
	parse_fails("", 0, BNN_E_SIZE, "no samples");
	parse_fails("", 4097, BNN_E_SIZE, NULL);
	parse_fails("1\n\n2\n", 0, BNN_E_PARSE, "line 2: empty");
	parse_fails("1\r\n2\r\n\r\n", 0, BNN_E_PARSE, "line 3: empty");
	parse_fails("  \n", 0, BNN_E_PARSE, "empty");
	parse_fails("1.5\n", 0, BNN_E_PARSE, "not an integer '1.5'");
	parse_fails("abc\n", 0, BNN_E_PARSE, "not an integer");
	parse_fails("1 2\n", 0, BNN_E_PARSE, "not an integer");
	parse_fails("1,2\n", 0, BNN_E_PARSE, "not an integer");
	parse_fails("-\n", 0, BNN_E_PARSE, "not an integer");
	parse_fails("0x10\n", 0, BNN_E_PARSE, "not an integer");
	parse_fails("16777217\n", 0, BNN_E_RANGE, "out of range");
	parse_fails("-16777217\n", 0, BNN_E_RANGE, "out of range");
	parse_fails("99999999999999999999999\n", 0, BNN_E_RANGE, NULL);
	parse_fails("1\r2\n", 0, BNN_E_PARSE, "carriage return");
	parse_fails("1\n2\x01\n", 0, BNN_E_PARSE, "control");
	parse_fails("1\n2\n3\n", 2, BNN_E_SIZE, "more than 2");
	parse_fails("1\n2\n3\n", 4, BNN_E_SIZE, "3 samples, expected 4");
	char longline[100];
	memset(longline, '1', 99);
	longline[99] = '\0';
	parse_fails(longline, 0, BNN_E_SIZE, "longer than");
	/* NUL byte (not visible to strlen: call directly). */
	static const char nul[] = "1\n\0\n";
	float *x;
	size_t n;
	bnn_error e;
	assert_int_equal(bnn_bonn_parse(nul, 4, 0, &x, &n, &e), BNN_E_PARSE);
	assert_non_null(strstr(e.msg, "NUL"));
	/* Arguments. */
	assert_int_equal(bnn_bonn_parse("1", 1, BNN_BONN_MAX_SAMPLES + 1, &x, &n,
					&e), BNN_E_INVAL);
	assert_int_equal(bnn_bonn_parse(NULL, 1, 0, &x, &n, &e), BNN_E_INVAL);
	assert_int_equal(bnn_bonn_parse("1", 1, 0, NULL, &n, &e), BNN_E_INVAL);
	assert_int_equal(bnn_bonn_parse("1", 1, 0, &x, NULL, &e), BNN_E_INVAL);
	/* A tiny text with a huge expected count must not reserve it. */
	bnn_test_fail_alloc_after(-1);
	assert_int_equal(bnn_bonn_parse("1\n", 2, BNN_BONN_MAX_SAMPLES, &x, &n,
					&e), BNN_E_SIZE);
}

static void test_parse_too_many(void **state)
{
	(void)state;
	/* More lines than BNN_BONN_MAX_SAMPLES. */
	size_t lines = BNN_BONN_MAX_SAMPLES + 1, len = 2 * lines;
	char *t = malloc(len);
	assert_non_null(t);
	for (size_t i = 0; i < lines; i++) {
		t[2 * i] = '1';
		t[2 * i + 1] = '\n';
	}
	float *x;
	size_t n;
	bnn_error e;
	assert_int_equal(bnn_bonn_parse(t, len, 0, &x, &n, &e), BNN_E_RANGE);
	assert_non_null(strstr(e.msg, "more than"));
	assert_int_equal(bnn_bonn_parse(t, len - 2, 0, &x, &n, &e), BNN_OK);
	assert_int_equal(n, BNN_BONN_MAX_SAMPLES);
	free(x);
	free(t);
}

static void make_set_tree(const char *root, size_t per_set)
{
	char p[1200];
	snprintf(p, sizeof p, "%s/%s", tmpdir, root);
	assert_int_equal(mkdir(p, 0700), 0);
	for (int s = 0; s < BNN_BONN_NSETS; s++) {
		char sub[64];
		snprintf(sub, sizeof sub, "%.40s/%c", root, bnn_bonn_set_letter(s));
		snprintf(p, sizeof p, "%s/%s", tmpdir, sub);
		assert_int_equal(mkdir(p, 0700), 0);
		/* Written in reverse order: the loader sorts. */
		for (size_t i = per_set; i-- > 0;) {
			size_t len;
			char *t = segment_text(BNN_BONN_SAMPLES, s * 100 + (int)i, &len);
			char name[128];
			snprintf(name, sizeof name, "%s/%c%03zu.%s", sub,
				 bnn_bonn_set_letter(s), i + 1,
				 s == BNN_BONN_N ? "TXT" : "txt");
			write_file(name, t, len);
			free(t);
		}
		/* Ignored entries. */
		char name[128];
		snprintf(name, sizeof name, "%s/readme.md", sub);
		write_file(name, "x", 1);
		snprintf(name, sizeof name, "%s/.hidden.txt", sub);
		write_file(name, "x", 1);
	}
}

static void test_read_segment(void **state)
{
	(void)state;
	assert_int_equal(mkdir(tpath("F"), 0700), 0);
	size_t len;
	char *t = segment_text(BNN_BONN_SAMPLES, 7, &len);
	write_file("F/F042.txt", t, len);
	bnn_bonn_segment s;
	bnn_error e;
	assert_int_equal(bnn_bonn_read_segment(tpath("F/F042.txt"),
					       BNN_BONN_SAMPLES, &s, &e), BNN_OK);
	assert_int_equal(s.set, BNN_BONN_F);
	assert_string_equal(s.name, "F042.txt");
	assert_int_equal(s.n, BNN_BONN_SAMPLES);
	assert_true(s.x[0] == -1993.0f);
	bnn_bonn_segment_free(&s);
	bnn_bonn_segment_free(&s);
	bnn_bonn_segment_free(NULL);

	/* Wrong count: the message names the file. */
	assert_int_equal(bnn_bonn_read_segment(tpath("F/F042.txt"), 4000, &s, &e),
			 BNN_E_SIZE);
	assert_non_null(strstr(e.msg, "F042.txt"));
	assert_null(s.x);
	/* Not in a set folder. */
	write_file("X.txt", t, len);
	assert_int_equal(bnn_bonn_read_segment(tpath("X.txt"), 0, &s, &e),
			 BNN_E_NOTFOUND);
	/* Missing file, directory. */
	assert_int_equal(bnn_bonn_read_segment(tpath("F/none.txt"), 0, &s, &e),
			 BNN_E_IO);
	assert_int_equal(mkdir(tpath("F/dir.txt"), 0700), 0);
	assert_int_equal(bnn_bonn_read_segment(tpath("F/dir.txt"), 0, &s, &e),
			 BNN_E_IO);
	/* File name too long for the struct. */
	char longname[200];
	memset(longname, 'a', sizeof longname);
	memcpy(longname, "F/", 2);
	strcpy(longname + 100, ".txt");
	write_file(longname, t, len);
	assert_int_equal(bnn_bonn_read_segment(tpath(longname), 0, &s, &e),
			 BNN_E_RANGE);
	assert_int_equal(bnn_bonn_read_segment(NULL, 0, &s, &e), BNN_E_INVAL);
	assert_int_equal(bnn_bonn_read_segment("F/x", 0, NULL, &e), BNN_E_INVAL);
	free(t);
}

static void test_load(void **state)
{
	(void)state;
	make_set_tree("db", 3);
	bnn_bonn_dataset d;
	bnn_error e;
	char root[1200];
	snprintf(root, sizeof root, "%s/db", tmpdir);
	int rc = bnn_bonn_load(root, &d, &e);
	if (rc)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
	assert_int_equal(d.n, 15);
	for (int s = 0; s < BNN_BONN_NSETS; s++) {
		assert_int_equal(d.per_set[s], 3);
		for (size_t i = 0; i < 3; i++) {
			const bnn_bonn_segment *g = &d.seg[(size_t)s * 3 + i];
			assert_int_equal(g->set, s);
			assert_int_equal(g->n, BNN_BONN_SAMPLES);
			assert_true(g->x[0] == (float)(-2000 + s * 100 + (int)i));
			char want[16];
			snprintf(want, sizeof want, "%c%03zu.%s",
				 bnn_bonn_set_letter(s), i + 1,
				 s == BNN_BONN_N ? "TXT" : "txt");
			assert_string_equal(g->name, want);
		}
	}
	bnn_bonn_dataset_free(&d);
	bnn_bonn_dataset_free(&d);
	bnn_bonn_dataset_free(NULL);

	/* Out of memory at every allocation: reported, nothing leaks. */
	int ok = 0;
	for (long n = 0; n < 200 && !ok; n++) {
		bnn_test_fail_alloc_after(n);
		rc = bnn_bonn_load(root, &d, &e);
		bnn_test_fail_alloc_after(-1);
		if (rc == BNN_OK) {
			ok = 1;
			bnn_bonn_dataset_free(&d);
		} else {
			assert_int_equal(rc, BNN_E_NOMEM);
		}
	}
	assert_true(ok);

	/* A bad segment: error names it, nothing leaks. */
	char p[1300];
	snprintf(p, sizeof p, "db/O/O002.txt");
	write_file(p, "1\n2\n", 4);
	assert_int_equal(bnn_bonn_load(root, &d, &e), BNN_E_SIZE);
	assert_non_null(strstr(e.msg, "O002.txt"));
	assert_int_equal(d.n, 0);
	assert_null(d.seg);

	/* A set folder that is empty or missing. */
	make_set_tree("db2", 1);
	snprintf(root, sizeof root, "%s/db2", tmpdir);
	snprintf(p, sizeof p, "%s/db2/S/S001.txt", tmpdir);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(bnn_bonn_load(root, &d, &e), BNN_E_NOTFOUND);
	assert_non_null(strstr(e.msg, "no .txt"));
	snprintf(p, sizeof p, "%s/db2/S", tmpdir);
	nftw(p, rm_cb, 4, FTW_DEPTH | FTW_PHYS);
	assert_int_equal(bnn_bonn_load(root, &d, &e), BNN_E_NOTFOUND);
	assert_non_null(strstr(e.msg, "cannot open folder"));
	assert_int_equal(bnn_bonn_load(tpath("nope"), &d, &e), BNN_E_NOTFOUND);
	assert_int_equal(bnn_bonn_load(NULL, &d, &e), BNN_E_INVAL);
	assert_int_equal(bnn_bonn_load(root, NULL, &e), BNN_E_INVAL);
	char longroot[5000];
	memset(longroot, 'r', sizeof longroot - 1);
	longroot[sizeof longroot - 1] = '\0';
	assert_int_equal(bnn_bonn_load(longroot, &d, &e), BNN_E_RANGE);
}

static void test_windows(void **state)
{
	(void)state;
	size_t c;
	bnn_error e;
	assert_int_equal(bnn_window_count(4097, 178, 178, &c, &e), BNN_OK);
	assert_int_equal(c, 23);	/* the usual 23 x 178 cut */
	assert_int_equal(bnn_window_count(4097, 256, 128, &c, &e), BNN_OK);
	assert_int_equal(c, 31);
	assert_int_equal(bnn_window_count(10, 10, 3, &c, &e), BNN_OK);
	assert_int_equal(c, 1);
	assert_int_equal(bnn_window_count(9, 10, 3, &c, &e), BNN_OK);
	assert_int_equal(c, 0);
	assert_int_equal(bnn_window_count(10, 0, 3, &c, &e), BNN_E_INVAL);
	assert_int_equal(bnn_window_count(10, 3, 0, &c, &e), BNN_E_INVAL);
	assert_int_equal(bnn_window_count(10, 3, 1, NULL, &e), BNN_E_INVAL);

	float x[20];
	for (int i = 0; i < 20; i++)
		x[i] = (float)i;
	float *w;
	assert_int_equal(bnn_windows(x, 20, 6, 4, &w, &c, &e), BNN_OK);
	assert_int_equal(c, 4);		/* starts 0, 4, 8, 12 */
	for (size_t k = 0; k < c; k++)
		for (size_t j = 0; j < 6; j++)
			assert_true(w[k * 6 + j] == (float)(k * 4 + j));
	free(w);
	assert_int_equal(bnn_windows(x, 5, 6, 4, &w, &c, &e), BNN_OK);
	assert_int_equal(c, 0);
	assert_null(w);
	assert_int_equal(bnn_windows(NULL, 0, 6, 4, &w, &c, &e), BNN_OK);
	assert_int_equal(bnn_windows(NULL, 5, 6, 4, &w, &c, &e), BNN_E_INVAL);
	assert_int_equal(bnn_windows(x, 20, 0, 4, &w, &c, &e), BNN_E_INVAL);
	assert_int_equal(bnn_windows(x, 20, 4, 0, &w, &c, &e), BNN_E_INVAL);
	assert_int_equal(bnn_windows(x, 20, 4, 1, NULL, &c, &e), BNN_E_INVAL);
	assert_int_equal(bnn_windows(x, 20, 4, 1, &w, NULL, &e), BNN_E_INVAL);
	/* Too many values: refused before allocating. */
	float *big = calloc(40000, sizeof *big);
	assert_non_null(big);
	assert_int_equal(bnn_windows(big, 40000, 20000, 1, &w, &c, &e), BNN_E_RANGE);
	assert_non_null(strstr(e.msg, "limit"));
	free(big);
	bnn_test_fail_alloc_after(0);
	assert_int_equal(bnn_windows(x, 20, 6, 4, &w, &c, &e), BNN_E_NOMEM);
	bnn_test_fail_alloc_after(-1);
}

/* README ranges per set (Z, O, N, F, S). */
static const int bonn_range[BNN_BONN_NSETS][2] = {
	{ -288, 294 }, { -424, 360 }, { -412, 623 }, { -1147, 2047 },
	{ -1885, 2047 },
};

static void test_bonn_real(void **state)
{
	(void)state;
	const char *root = bnn_data_dir(NULL);
	if (!root) {
		print_message("# SKIP reason: RBNN_DATA is not set\n");
		skip();
		return;
	}
	char dir[1200];
	snprintf(dir, sizeof dir, "%s/bonn_eeg", root);
	char probe[1300];
	snprintf(probe, sizeof probe, "%s/Z/Z001.txt", dir);
	if (access(probe, R_OK) != 0) {
		print_message("# SKIP reason: %s not readable\n", probe);
		skip();
		return;
	}
	bnn_bonn_dataset d;
	bnn_error e;
	int rc = bnn_bonn_load(dir, &d, &e);
	if (rc)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, BNN_OK);
	assert_int_equal(d.n, 500);
	for (int s = 0; s < BNN_BONN_NSETS; s++)
		assert_int_equal(d.per_set[s], 100);
	float lo[BNN_BONN_NSETS], hi[BNN_BONN_NSETS];
	for (int s = 0; s < BNN_BONN_NSETS; s++)
		lo[s] = INFINITY, hi[s] = -INFINITY;
	for (size_t i = 0; i < d.n; i++) {
		const bnn_bonn_segment *g = &d.seg[i];
		assert_int_equal(g->n, BNN_BONN_SAMPLES);
		/* File names carry the set letter and 1..100 in order. */
		assert_int_equal(g->name[0], bnn_bonn_set_letter(g->set));
		assert_int_equal(atoi(g->name + 1), (int)(i % 100) + 1);
		for (size_t j = 0; j < g->n; j++) {
			lo[g->set] = g->x[j] < lo[g->set] ? g->x[j] : lo[g->set];
			hi[g->set] = g->x[j] > hi[g->set] ? g->x[j] : hi[g->set];
		}
	}
	for (int s = 0; s < BNN_BONN_NSETS; s++) {
		print_message("# set %c: 100 segments, range %g..%g\n",
			      bnn_bonn_set_letter(s), lo[s], hi[s]);
		assert_true(lo[s] == bonn_range[s][0]);
		assert_true(hi[s] == bonn_range[s][1]);
	}
	/* 4097 samples at 173.61 Hz = 23.6 s, as the paper states. */
	assert_true(fabs(BNN_BONN_SAMPLES / BNN_BONN_FS - 23.6) < 0.01);
	/* Windowing a real segment. */
	float *w;
	size_t c;
	assert_int_equal(bnn_windows(d.seg[0].x, d.seg[0].n, 178, 178, &w, &c, &e),
			 BNN_OK);
	assert_int_equal(c, 23);
	assert_true(w[178] == d.seg[0].x[178]);
	free(w);
	bnn_bonn_dataset_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_letters),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_too_many),
		cmocka_unit_test(test_read_segment),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_bonn_real),
	};
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
