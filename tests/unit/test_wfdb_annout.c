// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * test_wfdb_annout.c - the MIT-format annotation writer of libbnn
 * (bnn_wfdb_format_ann, bnn_wfdb_write_ann).
 *
 * Exact bytes of small lists, random lists written and read back with
 * libbnn's reader (big gaps, equal times, SUB / CHN / NUM changes, AUX of
 * every length), every error, the file writer (temporary + rename,
 * symlinks followed, modes kept), allocation failures; with $RBNN_DATA
 * set, every MIT-BIH .atr is read and written again byte for byte.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bnn_data.h"
#include "test_files.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int rnd(int lo, int hi)
{
	return lo + (int)(rnd64() % (uint64_t)(hi - lo + 1));
}

/* Words of a small expected file. */
static size_t words(uint8_t *b, const unsigned *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		b[2 * i] = (uint8_t)(w[i] & 0xff);
		b[2 * i + 1] = (uint8_t)(w[i] >> 8);
	}
	return 2 * n;
}

#define W(code, I) ((unsigned)(code) << 10 | (unsigned)(I))

static void test_exact_bytes(void **state)
{
	(void)state;
	uint8_t *b;
	size_t len;
	bnn_error e;

	/* Empty list: the end word alone. */
	assert_int_equal(bnn_wfdb_format_ann(NULL, 0, &b, &len, &e), BNN_OK);
	assert_int_equal(len, 2);
	assert_int_equal(b[0] | b[1], 0);
	free(b);

	bnn_wfdb_ann a[] = {
		{ .sample = 5, .code = 1 },
		{ .sample = 5, .code = 28, .aux = "(N", .aux_len = 2 },
		{ .sample = 1029, .code = 5, .chan = 1, .num = 2, .subtype = -1 },
		{ .sample = 1029 + 70000, .code = 1, .chan = 1, .num = 2,
		  .aux = "abc" },	/* aux_len 0: strlen */
		{ .sample = 1029 + 70000 + 1023, .code = 8, .chan = 0, .num = 2 },
	};
	unsigned w[] = {
		W(1, 5),
		W(28, 0), W(63, 2), 'N' << 8 | '(',
		W(59, 0), 0, 1024, W(5, 0), W(61, 0x3ff), W(62, 1), W(60, 2),
		W(59, 0), 1, 70000 - 65536, W(1, 0), W(63, 3),
		'b' << 8 | 'a', 0 << 8 | 'c',
		W(8, 1023), W(62, 0),
		0,
	};
	uint8_t want[64];
	size_t wl = words(want, w, sizeof w / sizeof w[0]);
	assert_int_equal(bnn_wfdb_format_ann(a, 5, &b, &len, &e), BNN_OK);
	assert_int_equal(len, wl);
	assert_memory_equal(b, want, wl);

	bnn_wfdb_annlist l;
	assert_int_equal(bnn_wfdb_parse_ann(b, len, &l, &e), BNN_OK);
	assert_int_equal(l.n, 5);
	assert_int_equal(l.ann[2].sample, 1029);
	assert_int_equal(l.ann[2].subtype, -1);
	assert_int_equal(l.ann[3].sample, 71029);
	assert_string_equal(l.ann[3].aux, "abc");
	assert_int_equal(l.ann[4].chan, 0);
	assert_int_equal(l.ann[4].num, 2);
	bnn_wfdb_annlist_free(&l);
	free(b);
}

/* A random list: sorted times with small, 1023/1024 and huge gaps (up
 * to 2^33, more than one SKIP), equal times, random modifiers and AUX. */
static size_t random_list(bnn_wfdb_ann *a, size_t cap, char *pool)
{
	size_t n = (size_t)rnd(0, (int)cap);
	int64_t t = rnd(0, 3) ? rnd(0, 1023) : (int64_t)rnd(0, 1 << 30);

	for (size_t i = 0; i < n; i++) {
		switch (rnd(0, 9)) {
		case 0: t += 1023; break;
		case 1: t += 1024; break;
		case 2: t += (int64_t)(rnd64() % ((uint64_t)1 << 33)); break;
		case 3: break;		/* equal times */
		default: t += rnd(1, 1100); break;
		}
		if (t > BNN_WFDB_ANN_TIME_MAX)
			t = BNN_WFDB_ANN_TIME_MAX;
		a[i] = (bnn_wfdb_ann){ .sample = t };
		a[i].code = rnd(1, BNN_WFDB_ACMAX);
		a[i].subtype = rnd(0, 2) ? 0 : rnd(-128, 127);
		a[i].chan = i && rnd(0, 3) ? a[i - 1].chan : rnd(0, 255);
		a[i].num = i && rnd(0, 3) ? a[i - 1].num : rnd(-128, 127);
		if (!rnd(0, 2)) {
			char *s = pool + i * 256;
			size_t k = (size_t)rnd(1, 255);

			for (size_t j = 0; j < k; j++)
				s[j] = (char)rnd(1, 255);
			if (k > 2 && rnd(0, 1))
				s[k / 2] = '\0';	/* NUL inside: aux_len counts */
			s[k] = '\0';
			a[i].aux = s;
			a[i].aux_len = k;
		}
	}
	return n;
}

static void same_lists(const bnn_wfdb_ann *a, size_t n, const bnn_wfdb_annlist *l)
{
	assert_int_equal(l->n, n);
	for (size_t i = 0; i < n; i++) {
		const bnn_wfdb_ann *x = &a[i], *y = &l->ann[i];

		assert_int_equal(y->sample, x->sample);
		assert_int_equal(y->code, x->code);
		assert_int_equal(y->subtype, x->subtype);
		assert_int_equal(y->chan, x->chan);
		assert_int_equal(y->num, x->num);
		size_t al = !x->aux ? 0 : x->aux_len ? x->aux_len : strlen(x->aux);

		assert_int_equal(y->aux_len, al);
		if (al)
			assert_memory_equal(y->aux, x->aux, al);
		else
			assert_null(y->aux);
	}
}

static void test_random_round_trip(void **state)
{
	(void)state;
	enum { CAP = 300 };
	bnn_wfdb_ann *a = xmalloc(CAP * sizeof *a);
	char *pool = xmalloc(CAP * 256);
	size_t total = 0, skips = 0;

	for (int trial = 0; trial < 400; trial++) {
		size_t n = random_list(a, CAP, pool), len;
		uint8_t *b;
		bnn_wfdb_annlist l;
		bnn_error e;

		assert_int_equal(bnn_wfdb_format_ann(a, n, &b, &len, &e), BNN_OK);
		for (size_t k = 0; k + 1 < len; k += 2)
			skips += b[k + 1] >> 2 == 59;
		assert_int_equal(bnn_wfdb_parse_ann(b, len, &l, &e), BNN_OK);
		assert_int_equal(l.warn.n, 0);
		same_lists(a, n, &l);
		bnn_wfdb_annlist_free(&l);
		free(b);
		total += n;
	}
	assert_true(skips > 100);
	print_message("# %zu random annotations written and read back\n", total);
	free(a);
	free(pool);
}

static void test_errors(void **state)
{
	(void)state;
	uint8_t *b = (uint8_t *)"x";
	size_t len = 7;
	bnn_error e;
	char big[257];

	memset(big, 'a', 256);
	big[256] = '\0';
	struct {
		bnn_wfdb_ann a[2];
		int rc;
		const char *msg;
	} bad[] = {
		{ { { .sample = 10, .code = 1 }, { .sample = 9, .code = 1 } },
		  BNN_E_INVAL, "annotation 1: time 9 before the previous one (10)" },
		{ { { .sample = -1, .code = 1 }, { .sample = 9, .code = 1 } },
		  BNN_E_RANGE, "annotation 0: time -1" },
		{ { { .sample = 0, .code = 1 },
		    { .sample = BNN_WFDB_ANN_TIME_MAX + 1, .code = 1 } },
		  BNN_E_RANGE, "annotation 1: time" },
		{ { { .sample = 0, .code = 0 }, { .sample = 9, .code = 1 } },
		  BNN_E_INVAL, "code 0 is not 1..49" },
		{ { { .sample = 0, .code = 1 }, { .sample = 9, .code = 50 } },
		  BNN_E_INVAL, "annotation 1: code 50" },
		{ { { .sample = 0, .code = 1, .subtype = 128 }, { .code = 1 } },
		  BNN_E_RANGE, "subtype 128" },
		{ { { .sample = 0, .code = 1, .num = -129 }, { .code = 1 } },
		  BNN_E_RANGE, "num -129" },
		{ { { .sample = 0, .code = 1, .chan = 256 }, { .code = 1 } },
		  BNN_E_RANGE, "chan 256" },
		{ { { .sample = 0, .code = 1, .chan = -1 }, { .code = 1 } },
		  BNN_E_RANGE, "chan -1" },
		{ { { .sample = 0, .code = 1, .aux = big }, { .code = 1 } },
		  BNN_E_RANGE, "AUX of 256 bytes" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(bnn_wfdb_format_ann(bad[i].a, 2, &b, &len, &e),
				 bad[i].rc);
		assert_null(b);
		assert_int_equal(len, 0);
		assert_int_equal(e.code, bad[i].rc);
		if (!strstr(e.msg, bad[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, bad[i].msg);
		assert_int_equal(bnn_wfdb_write_ann(tpath("bad.ann"), bad[i].a, 2, &e),
				 bad[i].rc);
		assert_int_equal(access(tpath("bad.ann"), F_OK), -1);
	}
	/* 255 bytes of AUX are fine. */
	big[255] = '\0';
	bnn_wfdb_ann ok = { .sample = 0, .code = 1, .aux = big };
	assert_int_equal(bnn_wfdb_format_ann(&ok, 1, &b, &len, &e), BNN_OK);
	assert_int_equal(len, 2 + 2 + 256 + 2);
	free(b);

	assert_int_equal(bnn_wfdb_format_ann(NULL, 1, &b, &len, &e), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_format_ann(&ok, 1, NULL, &len, &e), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_format_ann(&ok, 1, &b, NULL, &e), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_write_ann(NULL, &ok, 1, &e), BNN_E_INVAL);
	assert_int_equal(bnn_wfdb_write_ann("", &ok, 1, &e), BNN_E_INVAL);
}

/* No PATH.tmp-* left in the test folder. */
static void no_temporaries(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".tmp-"))
			fail_msg("temporary %s left behind", de->d_name);
	closedir(d);
}

static void test_files(void **state)
{
	(void)state;
	bnn_wfdb_ann a[] = { { .sample = 100, .code = 1 },
			     { .sample = 400, .code = 5, .aux = "x" } };
	bnn_wfdb_annlist l;
	bnn_error e;
	struct stat st;

	assert_int_equal(bnn_wfdb_write_ann(tpath("r.bnn"), a, 2, &e), BNN_OK);
	assert_int_equal(bnn_wfdb_read_annotations(tmpdir, "r", "bnn", &l, &e),
			 BNN_OK);
	same_lists(a, 2, &l);
	bnn_wfdb_annlist_free(&l);
	/* Replaced whole, its mode kept. */
	assert_int_equal(chmod(tpath("r.bnn"), 0640), 0);
	assert_int_equal(bnn_wfdb_write_ann(tpath("r.bnn"), a, 1, &e), BNN_OK);
	assert_int_equal(stat(tpath("r.bnn"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_size, 4);
	/* A symlink is followed: the link stays, its target is written
	 * (a dangling one: created). */
	assert_int_equal(symlink("r.bnn", tpath("link.bnn")), 0);
	assert_int_equal(bnn_wfdb_write_ann(tpath("link.bnn"), a, 2, &e), BNN_OK);
	assert_int_equal(lstat(tpath("link.bnn"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(bnn_wfdb_read_ann(tpath("r.bnn"), &l, &e), BNN_OK);
	same_lists(a, 2, &l);
	bnn_wfdb_annlist_free(&l);
	assert_int_equal(symlink("new.bnn", tpath("dangling.bnn")), 0);
	assert_int_equal(bnn_wfdb_write_ann(tpath("dangling.bnn"), a, 2, &e),
			 BNN_OK);
	assert_int_equal(lstat(tpath("new.bnn"), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(symlink("loop.bnn", tpath("loop.bnn")), 0);
	assert_int_equal(bnn_wfdb_write_ann(tpath("loop.bnn"), a, 2, &e), BNN_E_IO);
	assert_non_null(strstr(e.msg, "symbolic links"));
	/* Not a regular file, no folder to write in. */
	assert_int_equal(mkdir(tpath("dir.bnn"), 0755), 0);
	assert_int_equal(bnn_wfdb_write_ann(tpath("dir.bnn"), a, 2, &e), BNN_E_IO);
	assert_non_null(strstr(e.msg, "not a regular file"));
	assert_int_equal(bnn_wfdb_write_ann(tpath("nodir/r.bnn"), a, 2, &e),
			 BNN_E_IO);
	assert_non_null(strstr(e.msg, "nodir/r.bnn"));
	no_temporaries();
}

static void test_oom(void **state)
{
	(void)state;
	bnn_wfdb_ann a[] = { { .sample = 1, .code = 1 } };
	bnn_error e;
	int rc = BNN_E_NOMEM;

	assert_int_equal(symlink("oom-target.bnn", tpath("oom.bnn")), 0);
	for (long k = 0; rc == BNN_E_NOMEM && k < 100; k++) {
		bnn_test_fail_alloc_after(k);
		rc = bnn_wfdb_write_ann(tpath("oom.bnn"), a, 1, &e);
		bnn_test_fail_alloc_after(-1);
		if (rc != BNN_OK && rc != BNN_E_NOMEM)
			fail_msg("allocation %ld failing: %d %s", k, rc, e.msg);
	}
	assert_int_equal(rc, BNN_OK);
	no_temporaries();
}

/* Every MIT-BIH .atr, read and written again, gives its own bytes: the
 * writer makes what the WFDB library made. */
static void test_mitdb_bytes(void **state)
{
	(void)state;
	const char *root = getenv("RBNN_DATA");
	char dir[1024];
	DIR *d;
	struct dirent *de;
	int files = 0;

	if (!root || !*root)
		skip();
	snprintf(dir, sizeof dir, "%s/mitdb", root);
	d = opendir(dir);
	if (!d)
		skip();
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		char path[1400];
		uint8_t *orig, *b;
		size_t olen, len;
		bnn_wfdb_annlist l;
		bnn_error e;

		if (nl < 5 || strcmp(de->d_name + nl - 4, ".atr"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		assert_int_equal(bnn_read_file(path, 0, &orig, &olen, &e), BNN_OK);
		assert_int_equal(bnn_wfdb_parse_ann(orig, olen, &l, &e), BNN_OK);
		assert_int_equal(bnn_wfdb_format_ann(l.ann, l.n, &b, &len, &e),
				 BNN_OK);
		if (len != olen || memcmp(b, orig, len))
			fail_msg("%s: written again, the bytes differ", path);
		free(b);
		free(orig);
		bnn_wfdb_annlist_free(&l);
		files++;
	}
	closedir(d);
	assert_int_equal(files, 48);
	print_message("# 48 MIT-BIH .atr files written again byte for byte\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_bytes),
		cmocka_unit_test(test_random_round_trip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_mitdb_bytes),
	};
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
