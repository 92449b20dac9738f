// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * csv.c - libbnn data: the plain-CSV and raw float32 tensor readers and
 * the float32 writer.
 */
#define BNN_DATA_INTERNAL
#include "bnn_data.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------------
 * CSV
 * --------------------------------------------------------------------- */

void bnn_csv_free(bnn_csv *c)
{
	if (!c)
		return;
	free(c->v);
	if (c->names)
		free(c->names[0]);	/* names[0] points at the start of the pool */
	free(c->names);
	memset(c, 0, sizeof *c);
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Split [s, e) into fields; calls back per field [fs, fe) (trimmed). */
typedef int (*field_fn)(void *ctx, const char *fs, size_t flen, size_t col);

static int split_fields(const char *s, const char *e, char delim,
			field_fn fn, void *ctx, size_t *nfields)
{
	size_t col = 0;
	int rc;
	if (delim == ' ') {
		const char *p = s;
		for (;;) {
			while (p < e && is_blank(*p))
				p++;
			if (p == e)
				break;
			const char *q = p;
			while (q < e && !is_blank(*q))
				q++;
			if ((rc = fn(ctx, p, (size_t)(q - p), col++)) != 0)
				return rc;
			p = q;
		}
	} else {
		const char *p = s;
		for (;;) {
			const char *q = p;
			while (q < e && *q != delim)
				q++;
			const char *a = p, *b = q;
			while (a < b && is_blank(*a))
				a++;
			while (b > a && is_blank(b[-1]))
				b--;
			if ((rc = fn(ctx, a, (size_t)(b - a), col++)) != 0)
				return rc;
			if (q == e)
				break;
			p = q + 1;
		}
	}
	*nfields = col;
	return 0;
}

struct csv_ctx {
	bnn_csv *c;
	bnn_error *err;
	size_t line;
	size_t cap;		/* capacity of c->v in values */
	size_t rowstart;	/* index of the row's first value */
	/* header parsing */
	char *pool;
	size_t poolused;
	size_t names_cap;
	size_t *names;		/* offsets into pool */
};

static int csv_value(void *vctx, const char *fs, size_t flen, size_t col)
{
	struct csv_ctx *x = vctx;
	bnn_csv *c = x->c;
	char shown[48];
	if (flen == 0)
		return bnn__err(x->err, BNN_E_PARSE,
				"line %zu, field %zu: empty field", x->line,
				col + 1);
	if (c->cols && col >= c->cols)
		return bnn__err(x->err, BNN_E_PARSE,
				"line %zu: more than %zu fields", x->line,
				c->cols);
	if (col >= BNN_CSV_MAX_COLS)
		return bnn__err(x->err, BNN_E_RANGE,
				"line %zu: more than %d columns", x->line,
				BNN_CSV_MAX_COLS);
	double v;
	int rc = bnn_parse_f64(fs, flen, &v);
	if (rc != BNN_OK) {
		bnn__show(shown, sizeof shown, fs, flen);
		return bnn__err(x->err, rc,
				"line %zu, field %zu: %s '%s'", x->line,
				col + 1,
				rc == BNN_E_RANGE ? "number out of range"
						  : "bad number",
				shown);
	}
	size_t idx = x->rowstart + col;
	if (idx >= x->cap) {
		size_t ncap = x->cap ? x->cap * 2 : 256, bytes;
		if (bnn__mul(ncap, sizeof(double), &bytes))
			return bnn__err(x->err, BNN_E_NOMEM, "too many values");
		double *nv = bnn__realloc(c->v, bytes);
		if (!nv)
			return bnn__err(x->err, BNN_E_NOMEM,
					"out of memory (%zu values)", ncap);
		c->v = nv;
		x->cap = ncap;
	}
	c->v[idx] = v;
	return 0;
}

static int csv_name(void *vctx, const char *fs, size_t flen, size_t col)
{
	struct csv_ctx *x = vctx;
	if (col >= BNN_CSV_MAX_COLS)
		return bnn__err(x->err, BNN_E_RANGE,
				"line %zu: more than %d columns", x->line,
				BNN_CSV_MAX_COLS);
	if (flen >= 2 && fs[0] == '"' && fs[flen - 1] == '"') {
		fs++;
		flen -= 2;
	}
	if (flen == 0)
		return bnn__err(x->err, BNN_E_PARSE,
				"line %zu, field %zu: empty column name",
				x->line, col + 1);
	for (size_t i = 0; i < flen; i++)
		if (fs[i] == '"')
			return bnn__err(x->err, BNN_E_PARSE,
					"line %zu, field %zu: stray quote in column name",
					x->line, col + 1);
	if (col >= x->names_cap) {
		size_t ncap = x->names_cap ? x->names_cap * 2 : 16;
		size_t *nn = bnn__realloc(x->names, ncap * sizeof *nn);
		if (!nn)
			return bnn__err(x->err, BNN_E_NOMEM, "out of memory");
		x->names = nn;
		x->names_cap = ncap;
	}
	/* The pool is sized for the whole line up front, so this fits. */
	memcpy(x->pool + x->poolused, fs, flen);
	x->pool[x->poolused + flen] = '\0';
	x->names[col] = x->poolused;
	x->poolused += flen + 1;
	return 0;
}

int bnn_csv_parse(const char *text, size_t len, unsigned flags, bnn_csv *out,
		  bnn_error *err)
{
	if (!out)
		return bnn__err(err, BNN_E_INVAL, "csv: NULL output");
	memset(out, 0, sizeof *out);
	if (!text && len)
		return bnn__err(err, BNN_E_INVAL, "csv: NULL text");
	unsigned dflags = flags & (BNN_CSV_COMMA | BNN_CSV_SEMICOLON |
				   BNN_CSV_WHITESPACE);
	if (flags & ~(unsigned)(BNN_CSV_HEADER | BNN_CSV_COMMA |
				BNN_CSV_SEMICOLON | BNN_CSV_WHITESPACE |
				BNN_CSV_COMMENTS))
		return bnn__err(err, BNN_E_INVAL, "csv: unknown flags 0x%x",
				flags);
	if (dflags & (dflags - 1))
		return bnn__err(err, BNN_E_INVAL,
				"csv: more than one delimiter flag");

	bnn_csv c = { 0 };
	struct csv_ctx x = { .c = &c, .err = err };
	char delim = dflags == BNN_CSV_COMMA ? ','
		     : dflags == BNN_CSV_SEMICOLON ? ';'
		     : dflags == BNN_CSV_WHITESPACE ? ' ' : 0;
	int need_header = (flags & BNN_CSV_HEADER) != 0;
	int rc = BNN_OK, blank_seen = 0;
	size_t blank_line = 0;
	struct bnn__lines L = { text, text + len, 0 };
	const char *ls = NULL, *le = NULL;

	while ((rc = bnn__next_line(&L, &ls, &le, 0, err)) == 1) {
		x.line = L.lineno;
		const char *a = ls;
		while (a < le && is_blank(*a))
			a++;
		if (a == le) {
			if (!blank_seen)
				blank_line = x.line;
			blank_seen = 1;
			continue;
		}
		if ((flags & BNN_CSV_COMMENTS) && *a == '#')
			continue;
		if (blank_seen) {
			rc = bnn__err(err, BNN_E_PARSE,
				      "line %zu: blank line inside the data",
				      blank_line);
			goto fail;
		}
		if (!delim) {
			if (memchr(a, ',', (size_t)(le - a)))
				delim = ',';
			else if (memchr(a, ';', (size_t)(le - a)))
				delim = ';';
			else
				delim = ' ';
		}
		size_t nf = 0;
		if (need_header) {
			need_header = 0;
			x.pool = bnn__malloc((size_t)(le - a) + 1);
			if (!x.pool) {
				rc = bnn__err(err, BNN_E_NOMEM, "out of memory");
				goto fail;
			}
			rc = split_fields(a, le, delim, csv_name, &x, &nf);
			if (rc)
				goto fail;
			c.cols = nf;
			continue;
		}
		x.rowstart = c.rows * (c.cols ? c.cols : 0);
		rc = split_fields(a, le, delim, csv_value, &x, &nf);
		if (rc)
			goto fail;
		if (c.cols == 0)
			c.cols = nf;
		else if (nf != c.cols) {
			rc = bnn__err(err, BNN_E_PARSE,
				      "line %zu: %zu fields, expected %zu",
				      x.line, nf, c.cols);
			goto fail;
		}
		c.rows++;
	}
	if (rc < 0)
		goto fail;
	if (c.rows == 0) {
		rc = bnn__err(err, BNN_E_PARSE, "no data rows");
		goto fail;
	}
	if (x.pool) {
		/* names[0] owns the pool: turn offsets into pointers. */
		c.names = bnn__malloc(c.cols * sizeof *c.names);
		if (!c.names) {
			rc = bnn__err(err, BNN_E_NOMEM, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < c.cols; i++)
			c.names[i] = x.pool + x.names[i];
		free(x.names);
		x.names = NULL;
		x.pool = NULL;
	}
	c.delim = delim;
	*out = c;
	return BNN_OK;
fail:
	free(x.names);
	free(x.pool);
	free(c.v);
	return rc;
}

int bnn_csv_read(const char *path, unsigned flags, bnn_csv *out,
		 bnn_error *err)
{
	if (out)
		memset(out, 0, sizeof *out);
	if (!path || !out)
		return bnn__err(err, BNN_E_INVAL, "csv_read: NULL argument");
	uint8_t *buf;
	size_t len;
	int rc = bnn_read_file(path, 0, &buf, &len, err);
	if (rc)
		return rc;
	rc = bnn_csv_parse((const char *)buf, len, flags, out, err);
	free(buf);
	if (rc)
		bnn__err_prefix(err, path);
	return rc;
}

/* ---------------------------------------------------------------------
 * Raw float32 tensors
 * --------------------------------------------------------------------- */

int bnn_f32_parse(const uint8_t *buf, size_t len, const size_t *shape,
		  size_t ndim, unsigned flags, float **out, size_t *count,
		  bnn_error *err)
{
	if (out)
		*out = NULL;
	if (count)
		*count = 0;
	if (!out || !count || !shape || (!buf && len))
		return bnn__err(err, BNN_E_INVAL, "f32: NULL argument");
	if (flags & ~BNN_F32_ALLOW_NONFINITE)
		return bnn__err(err, BNN_E_INVAL, "f32: unknown flags 0x%x",
				flags);
	if (ndim < 1 || ndim > BNN_TENSOR_MAX_DIMS)
		return bnn__err(err, BNN_E_INVAL,
				"f32: ndim %zu not in 1..%d", ndim,
				BNN_TENSOR_MAX_DIMS);
	size_t n = 1, bytes;
	for (size_t d = 0; d < ndim; d++) {
		if (shape[d] == 0)
			return bnn__err(err, BNN_E_INVAL,
					"f32: dimension %zu is 0", d);
		if (bnn__mul(n, shape[d], &n))
			return bnn__err(err, BNN_E_RANGE,
					"f32: shape product overflows");
	}
	if (bnn__mul(n, 4, &bytes))
		return bnn__err(err, BNN_E_RANGE, "f32: shape product overflows");
	if (len < bytes)
		return bnn__err(err, BNN_E_TRUNCATED,
				"f32: %zu bytes, shape needs %zu", len, bytes);
	if (len > bytes)
		return bnn__err(err, BNN_E_SIZE,
				"f32: %zu bytes, shape needs %zu (%zu extra)",
				len, bytes, len - bytes);
	float *v = bnn__malloc(bytes);
	if (!v)
		return bnn__err(err, BNN_E_NOMEM, "f32: out of memory (%zu bytes)",
				bytes);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *b = buf + 4 * i;
		uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
			     (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
		float f;
		memcpy(&f, &u, 4);
		if (!(flags & BNN_F32_ALLOW_NONFINITE) && !isfinite(f)) {
			free(v);
			return bnn__err(err, BNN_E_RANGE,
					"f32: value %zu is not finite", i);
		}
		v[i] = f;
	}
	*out = v;
	*count = n;
	return BNN_OK;
}

int bnn_f32_read(const char *path, const size_t *shape, size_t ndim,
		 unsigned flags, float **out, size_t *count, bnn_error *err)
{
	if (out)
		*out = NULL;
	if (count)
		*count = 0;
	if (!path || !out || !count)
		return bnn__err(err, BNN_E_INVAL, "f32_read: NULL argument");
	uint8_t *buf;
	size_t len;
	int rc = bnn_read_file(path, 0, &buf, &len, err);
	if (rc)
		return rc;
	rc = bnn_f32_parse(buf, len, shape, ndim, flags, out, count, err);
	free(buf);
	if (rc)
		bnn__err_prefix(err, path);
	return rc;
}

int bnn_f32_write(const char *path, const float *v, size_t count,
		  bnn_error *err)
{
	if (!path || (!v && count))
		return bnn__err(err, BNN_E_INVAL, "f32_write: NULL argument");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return bnn__err(err, BNN_E_IO, "%s: cannot create: %s", path,
				strerror(errno));
	uint8_t chunk[4096];
	size_t i = 0;
	while (i < count) {
		size_t k = 0;
		for (; k < sizeof chunk / 4 && i < count; k++, i++) {
			uint32_t u;
			memcpy(&u, &v[i], 4);
			chunk[4 * k] = (uint8_t)u;
			chunk[4 * k + 1] = (uint8_t)(u >> 8);
			chunk[4 * k + 2] = (uint8_t)(u >> 16);
			chunk[4 * k + 3] = (uint8_t)(u >> 24);
		}
		size_t off = 0, tot = 4 * k;
		while (off < tot) {
			ssize_t w = write(fd, chunk + off, tot - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				int e = w < 0 ? errno : EIO;
				close(fd);
				return bnn__err(err, BNN_E_IO,
						"%s: write error: %s", path,
						strerror(e));
			}
			off += (size_t)w;
		}
	}
	if (close(fd) != 0)
		return bnn__err(err, BNN_E_IO, "%s: close error: %s", path,
				strerror(errno));
	return BNN_OK;
}
