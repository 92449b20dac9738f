// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * wfdb_annout.c - libbnn data: MIT-format annotation writer, the inverse
 * of bnn_wfdb_parse_ann (wfdb.c).
 *
 * Written from the annot(5) manual page; no WFDB code is used.  Like the
 * WFDB library's putann, a time difference that does not fit the 10-bit
 * field goes into a SKIP, CHN and NUM are written only when they differ
 * from the previous annotation's (they carry over when read), SUB only
 * when non-zero (it does not carry over), and an empty AUX not at all.
 */
#define BNN_DATA_INTERNAL
#include "bnn_data.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { A_SKIP = 59, A_NUM = 60, A_SUB = 61, A_CHN = 62, A_AUX = 63 };

/* Little-endian 16-bit words into out (NULL: only count). */
struct emit {
	uint8_t *out;
	size_t len;
};

static void put16(struct emit *e, unsigned w)
{
	if (e->out) {
		e->out[e->len] = (uint8_t)(w & 0xff);
		e->out[e->len + 1] = (uint8_t)(w >> 8 & 0xff);
	}
	e->len += 2;
}

/* Negative SUB / NUM keep their sign in the 10 bits, as WFDB writes
 * them (-1: I = 0x3ff); readers take the low 8 bits. */
static void put_word(struct emit *e, unsigned code, unsigned I)
{
	put16(e, code << 10 | (I & 0x3ff));
}

static size_t aux_len_of(const bnn_wfdb_ann *a)
{
	if (!a->aux)
		return 0;
	return a->aux_len ? a->aux_len : strlen(a->aux);
}

static int check(const bnn_wfdb_ann *ann, size_t n, bnn_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const bnn_wfdb_ann *a = &ann[i];

		if (a->code < 1 || a->code > BNN_WFDB_ACMAX)
			return bnn__err(err, BNN_E_INVAL,
					"write annotations: annotation %zu: code %d is not 1..%d",
					i, a->code, BNN_WFDB_ACMAX);
		if (a->sample < 0 || a->sample > BNN_WFDB_ANN_TIME_MAX)
			return bnn__err(err, BNN_E_RANGE,
					"write annotations: annotation %zu: time %lld is not 0..2^40",
					i, (long long)a->sample);
		if (i && a->sample < ann[i - 1].sample)
			return bnn__err(err, BNN_E_INVAL,
					"write annotations: annotation %zu: time %lld before the previous one (%lld): annotations must be sorted by time",
					i, (long long)a->sample,
					(long long)ann[i - 1].sample);
		if (a->subtype < -128 || a->subtype > 127 || a->num < -128 ||
		    a->num > 127 || a->chan < 0 || a->chan > 255)
			return bnn__err(err, BNN_E_RANGE,
					"write annotations: annotation %zu: subtype %d, num %d or chan %d out of range (-128..127, -128..127, 0..255)",
					i, a->subtype, a->num, a->chan);
		if (aux_len_of(a) > 255)
			return bnn__err(err, BNN_E_RANGE,
					"write annotations: annotation %zu: AUX of %zu bytes (at most 255)",
					i, aux_len_of(a));
	}
	return BNN_OK;
}

static void emit_all(struct emit *e, const bnn_wfdb_ann *ann, size_t n)
{
	int64_t t = 0;
	int chan = 0, num = 0;

	for (size_t i = 0; i < n; i++) {
		const bnn_wfdb_ann *a = &ann[i];
		int64_t d = a->sample - t;
		size_t al = aux_len_of(a);

		/* SKIP: the next 4 bytes are a signed 32-bit interval, high
		 * word first, then the annotation word carries the rest. */
		while (d > 0x3ff) {
			int64_t s = d > INT32_MAX ? INT32_MAX : d;
			uint32_t u = (uint32_t)s;

			put_word(e, A_SKIP, 0);
			put16(e, u >> 16);
			put16(e, u & 0xffff);
			d -= s;
		}
		put_word(e, (unsigned)a->code, (unsigned)d);
		t = a->sample;
		if (a->subtype)
			put_word(e, A_SUB, (unsigned)a->subtype);
		if (a->chan != chan)
			put_word(e, A_CHN, (unsigned)a->chan);
		if (a->num != num)
			put_word(e, A_NUM, (unsigned)a->num);
		chan = a->chan;
		num = a->num;
		if (al) {
			put_word(e, A_AUX, (unsigned)al);
			if (e->out) {
				memcpy(e->out + e->len, a->aux, al);
				if (al & 1)
					e->out[e->len + al] = 0;
			}
			e->len += al + (al & 1);
		}
	}
	put16(e, 0);	/* end of file */
}

int bnn_wfdb_format_ann(const bnn_wfdb_ann *ann, size_t n, uint8_t **buf,
			size_t *len, bnn_error *err)
{
	if (buf)
		*buf = NULL;
	if (len)
		*len = 0;
	if (!buf || !len || (!ann && n))
		return bnn__err(err, BNN_E_INVAL, "write annotations: NULL argument");
	/* Each annotation takes at most 2 + 6 + 258 bytes plus its SKIPs
	 * (6 bytes per 2^31 - 1 samples of gap, times <= 2^40): far below
	 * 4096 bytes each. */
	if (n > SIZE_MAX / 4096)
		return bnn__err(err, BNN_E_RANGE, "write annotations: too many (%zu)", n);
	int rc = check(ann, n, err);
	if (rc)
		return rc;
	struct emit e = { NULL, 0 };
	emit_all(&e, ann, n);
	e.out = bnn__malloc(e.len);
	if (!e.out)
		return bnn__err(err, BNN_E_NOMEM, "write annotations: out of memory");
	size_t want = e.len;
	e.len = 0;
	emit_all(&e, ann, n);
	if (e.len != want) {	/* both passes walk the same list */
		free(e.out);
		return bnn__err(err, BNN_E_INVAL, "write annotations: internal size mismatch");
	}
	*buf = e.out;
	*len = e.len;
	return BNN_OK;
}

int bnn_wfdb_write_ann(const char *path, const bnn_wfdb_ann *ann, size_t n,
		       bnn_error *err)
{
	if (!path || !*path)
		return bnn__err(err, BNN_E_INVAL, "write annotations: no path");
	uint8_t *buf;
	size_t len;
	int rc = bnn_wfdb_format_ann(ann, n, &buf, &len, err);
	if (rc)
		return rc;
	rc = bnn__write_file(path, buf, len, err);
	free(buf);
	return rc;
}
