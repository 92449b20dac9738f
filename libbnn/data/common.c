// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * common.c - libbnn data: the helpers every reader shares (status names,
 * error messages, line iteration, allocation with the test failure hook,
 * paths, whole-file reading, the data root, strict numbers).
 */
#define _GNU_SOURCE		/* strtod_l */
#define BNN_DATA_INTERNAL
#include "bnn_data.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------------
 * Errors
 * --------------------------------------------------------------------- */

const char *bnn_strerror(int code)
{
	switch (code) {
	case BNN_OK: return "success";
	case BNN_E_INVAL: return "invalid argument";
	case BNN_E_NOMEM: return "out of memory";
	case BNN_E_IO: return "I/O error";
	case BNN_E_PARSE: return "parse error";
	case BNN_E_RANGE: return "value out of range";
	case BNN_E_UNSUPPORTED: return "unsupported";
	case BNN_E_TRUNCATED: return "truncated data";
	case BNN_E_SIZE: return "size mismatch";
	case BNN_E_CHECKSUM: return "checksum mismatch";
	case BNN_E_CORRUPT: return "corrupt data";
	case BNN_E_NOTFOUND: return "not found";
	case BNN_E_NODEV: return "no such device";
	case BNN_E_PERM: return "permission denied";
	case BNN_E_BUSY: return "busy";
	case BNN_E_STATE: return "invalid state";
	case BNN_E_DEVICE: return "device error";
	case BNN_E_TIMEOUT: return "timed out";
	default: return "unknown error";
	}
}

void bnn_error_clear(bnn_error *err)
{
	if (err) {
		err->code = BNN_OK;
		err->msg[0] = '\0';
	}
}

int bnn__err(bnn_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

int bnn__err_prefix(bnn_error *err, const char *prefix)
{
	if (!err)
		return BNN_OK;
	char tmp[BNN_ERRMSG_MAX];
	size_t cap = sizeof tmp - 1, n = 0;
	for (const char *parts[3] = { prefix, ": ", err->msg }, **p = parts;
	     p < parts + 3; p++) {
		size_t k = strlen(*p);
		if (k > cap - n)
			k = cap - n;
		memcpy(tmp + n, *p, k);
		n += k;
	}
	tmp[n] = '\0';
	memcpy(err->msg, tmp, n + 1);
	return err->code;
}

void bnn__show(char *dst, size_t cap, const char *s, size_t len)
{
	size_t max = cap > 4 ? cap - 4 : 0, o = 0;
	for (size_t i = 0; i < len && o < max; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (len > max && cap >= 4) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	if (cap)
		dst[o < cap ? o : cap - 1] = '\0';
}

int bnn__next_line(struct bnn__lines *L, const char **s, const char **e,
		   size_t maxlen, bnn_error *err)
{
	if (L->p >= L->end)
		return 0;
	L->lineno++;
	const char *a = L->p;
	const char *nl = memchr(a, '\n', (size_t)(L->end - a));
	const char *b = nl ? nl : L->end;
	L->p = nl ? nl + 1 : L->end;
	if (b > a && b[-1] == '\r')
		b--;
	if (maxlen && (size_t)(b - a) > maxlen)
		return bnn__err(err, BNN_E_SIZE,
				"line %zu: longer than %zu bytes", L->lineno,
				maxlen);
	for (const char *q = a; q < b; q++) {
		unsigned char c = (unsigned char)*q;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return bnn__err(err, BNN_E_PARSE,
					"line %zu: %s", L->lineno,
					c == '\r' ? "stray carriage return"
					: c == 0 ? "NUL byte"
						 : "control character");
	}
	*s = a;
	*e = b;
	return 1;
}

/* ---------------------------------------------------------------------
 * Allocation (with the test failure hook)
 * --------------------------------------------------------------------- */

#ifdef BNN_TEST_HOOKS
/* The test builds only (bnn_data.h): never in libbnn.so or libbnn.a. */
static long fail_after = -1;

void bnn_test_fail_alloc_after(long n)
{
	fail_after = n < 0 ? -1 : n;
}

static int alloc_should_fail(void)
{
	if (fail_after < 0)
		return 0;
	if (fail_after == 0)
		return 1;
	fail_after--;
	return 0;
}
#else
static inline int alloc_should_fail(void)
{
	return 0;
}
#endif

void *bnn__malloc(size_t n)
{
	if (alloc_should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *bnn__calloc(size_t n, size_t size)
{
	if (alloc_should_fail())
		return NULL;
	if (n == 0 || size == 0)
		n = size = 1;
	return calloc(n, size);
}

void *bnn__realloc(void *p, size_t n)
{
	if (alloc_should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

int bnn__path_join(char *buf, size_t cap, const char *dir, const char *name,
		   const char *ext, bnn_error *err)
{
	int k;
	if (ext)
		k = snprintf(buf, cap, "%s/%s.%s", dir, name, ext);
	else
		k = snprintf(buf, cap, "%s/%s", dir, name);
	if (k < 0 || (size_t)k >= cap)
		return bnn__err(err, BNN_E_RANGE, "path too long: %s/%s", dir,
				name);
	return BNN_OK;
}

/* ---------------------------------------------------------------------
 * Files
 * --------------------------------------------------------------------- */

int bnn_read_file(const char *path, size_t max_bytes, uint8_t **data,
		  size_t *len, bnn_error *err)
{
	if (!path || !data || !len)
		return bnn__err(err, BNN_E_INVAL, "read_file: NULL argument");
	*data = NULL;
	*len = 0;
	if (max_bytes == 0)
		max_bytes = BNN_FILE_MAX;

	/* O_NONBLOCK: opening a FIFO must not block; regular files ignore it. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return bnn__err(err, BNN_E_IO, "%s: cannot open: %s", path,
				strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return bnn__err(err, BNN_E_IO, "%s: cannot stat: %s", path,
				strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return bnn__err(err, BNN_E_IO, "%s: not a regular file", path);
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > max_bytes) {
		close(fd);
		return bnn__err(err, BNN_E_SIZE,
				"%s: file too big (%jd bytes, limit %zu)", path,
				(intmax_t)st.st_size, max_bytes);
	}
	size_t size = (size_t)st.st_size;
	uint8_t *buf = bnn__malloc(size + 1);
	if (!buf) {
		close(fd);
		return bnn__err(err, BNN_E_NOMEM, "%s: out of memory (%zu bytes)",
				path, size + 1);
	}
	size_t got = 0;
	while (got < size) {
		ssize_t k = read(fd, buf + got, size - got);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			close(fd);
			return bnn__err(err, BNN_E_IO, "%s: read error: %s",
					path, strerror(e));
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	if (got != size) {
		free(buf);
		return bnn__err(err, BNN_E_TRUNCATED,
				"%s: file shrank while reading (%zu of %zu bytes)",
				path, got, size);
	}
	buf[size] = 0;
	*data = buf;
	*len = size;
	return BNN_OK;
}

const char *bnn_data_dir(const char *fallback)
{
	const char *e = getenv("RBNN_DATA");
	return (e && *e) ? e : fallback;
}

/* ---------------------------------------------------------------------
 * Numbers
 * --------------------------------------------------------------------- */

int bnn_parse_i64(const char *s, size_t len, int64_t *out)
{
	if (!s || !out || len == 0)
		return BNN_E_PARSE;
	size_t i = 0;
	int neg = 0;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len)
		return BNN_E_PARSE;
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	int over = 0;
	for (; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9)
			return BNN_E_PARSE;
		if (v > (lim - d) / 10)
			over = 1;	/* keep scanning: syntax errors win */
		else
			v = v * 10 + d;
	}
	if (over)
		return BNN_E_RANGE;
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v)
		   : (int64_t)v;
	return BNN_OK;
}

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

int bnn_parse_f64(const char *s, size_t len, double *out)
{
	if (!s || !out || len == 0)
		return BNN_E_PARSE;
	size_t i = 0, digits = 0;
	if (s[i] == '+' || s[i] == '-')
		i++;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	if (digits == 0)
		return BNN_E_PARSE;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t ed = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, ed++;
		if (ed == 0)
			return BNN_E_PARSE;
	}
	if (i != len)
		return BNN_E_PARSE;

	char small[128], *tmp = small;
	if (len >= sizeof small) {
		if (len > 4096)
			return BNN_E_RANGE;	/* absurdly long literal */
		tmp = malloc(len + 1);
		if (!tmp)
			return BNN_E_RANGE;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	pthread_once(&c_locale_once, c_locale_init);
	char *end;
	errno = 0;
	double v = c_locale ? strtod_l(tmp, &end, c_locale) : strtod(tmp, &end);
	int ok = end == tmp + len;
	if (tmp != small)
		free(tmp);
	if (!ok)
		return BNN_E_PARSE;
	if (!isfinite(v))
		return BNN_E_RANGE;
	*out = v;		/* underflow to 0/denormal is accepted */
	return BNN_OK;
}

/* ---- atomic file writes ------------------------------------------------ */

/* *out: the file `path` finally names, symlinks followed, dangling ones
 * too (their target gets created); malloc'ed. */
static int resolve(const char *path, char **out, bnn_error *err)
{
	size_t pl = strlen(path);
	char *cur = bnn__malloc(pl + 1);

	*out = NULL;
	if (!cur)
		return bnn__err(err, BNN_E_NOMEM, "%s: out of memory", path);
	memcpy(cur, path, pl + 1);
	for (int hops = 0; hops < 40; hops++) {
		char link[PATH_MAX];
		struct stat st;

		if (lstat(cur, &st) || !S_ISLNK(st.st_mode)) {
			*out = cur;
			return BNN_OK;
		}
		ssize_t k = readlink(cur, link, sizeof link - 1);
		if (k < 0) {
			free(cur);
			return bnn__err(err, BNN_E_IO, "%s: %s", path, strerror(errno));
		}
		link[k] = '\0';
		const char *slash = strrchr(cur, '/');
		size_t dl = link[0] == '/' || !slash ? 0 : (size_t)(slash - cur) + 1;
		char *next = bnn__malloc(dl + (size_t)k + 1);
		if (!next) {
			free(cur);
			return bnn__err(err, BNN_E_NOMEM, "%s: out of memory", path);
		}
		memcpy(next, cur, dl);
		memcpy(next + dl, link, (size_t)k + 1);
		free(cur);
		cur = next;
	}
	free(cur);
	return bnn__err(err, BNN_E_IO, "%s: too many levels of symbolic links",
			path);
}

int bnn__write_file(const char *path, const void *data, size_t len,
		    bnn_error *err)
{
	const uint8_t *buf = data;
	char *target, *tmp = NULL;
	struct stat st;
	int fd = -1;
	int rc = resolve(path, &target, err);
	if (rc)
		goto out;
	rc = BNN_E_IO;
	if (!stat(target, &st) && !S_ISREG(st.st_mode)) {
		bnn__err(err, BNN_E_IO, "%s: not a regular file", path);
		goto out;
	}
	size_t tl = strlen(target);
	tmp = bnn__malloc(tl + sizeof ".tmp-XXXXXX");
	if (!tmp) {
		rc = bnn__err(err, BNN_E_NOMEM, "%s: out of memory", path);
		goto out;
	}
	memcpy(tmp, target, tl);
	memcpy(tmp + tl, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
	fd = mkstemp(tmp);
	if (fd < 0) {
		bnn__err(err, BNN_E_IO, "%s: %s", path, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	/* mkstemp makes 0600: keep the replaced file's mode, else what a
	 * plain open would give. */
	mode_t mask = umask(0);
	umask(mask);
	mode_t mode = !stat(target, &st) ? st.st_mode & 07777 : 0666 & ~mask;
	size_t done = 0;
	while (done < len) {
		ssize_t k = write(fd, buf + done, len - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			bnn__err(err, BNN_E_IO, "%s: %s", path,
				 k < 0 ? strerror(errno) : "short write");
			goto out;
		}
		done += (size_t)k;
	}
	int bad = fchmod(fd, mode);
	bad = close(fd) || bad;
	fd = -1;
	if (bad) {
		bnn__err(err, BNN_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (rename(tmp, target)) {
		bnn__err(err, BNN_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = BNN_OK;
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(target);
	return rc;
}
