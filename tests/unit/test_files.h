/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * Helpers shared by the data-reader unit tests: a private temporary
 * directory per test group, files written into it, and small string and
 * allocation helpers. Include after <cmocka.h>.
 */
#ifndef RBNN_TEST_FILES_H
#define RBNN_TEST_FILES_H

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char tmpdir[512];

/* malloc that never returns NULL (keeps -O3 flow analysis happy). */
static inline void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		abort();
	return p;
}

/* Append formatted text at buf + *k (the caller sized buf).  Formats into
 * a local buffer first: gcc 12 -O3 with UBSan misreports sprintf(buf + k). */
static inline void appendf(char *buf, size_t *k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void appendf(char *buf, size_t *k, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= sizeof tmp)
		abort();
	memcpy(buf + *k, tmp, (size_t)m);
	*k += (size_t)m;
}

static inline int rm_cb(const char *p, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline int setup_tmp(void **state)
{
	(void)state;
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/bnn_test_XXXXXX",
		 t && *t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static inline int teardown_tmp(void **state)
{
	(void)state;
	nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static inline const char *tpath(const char *name)
{
	static char p[1024];
	int n = snprintf(p, sizeof p, "%s/%s", tmpdir, name);

	if (n < 0 || (size_t)n >= sizeof p)
		abort();
	return p;
}

static inline void write_file(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(tpath(name), "wb");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

#endif /* RBNN_TEST_FILES_H */
