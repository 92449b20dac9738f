// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * wfdb.c - libbnn data: WFDB header (.hea) parser, signal decoder
 * (frames, samples per frame, skew, format 8 integration) with checksum
 * verification, MIT annotation reader.  The sample formats are in
 * wfdb_fmt.c, multi-segment records in wfdb_seg.c, lead names in
 * wfdb_lead.c.
 *
 * Written from the format descriptions (WFDB header(5), signal(5),
 * annot(5) manual pages and the data README); no WFDB code is used.
 */
#define BNN_DATA_INTERNAL
#include "wfdb_internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Cap on .atr files read from disk: each 2-byte word may become one
 * bnn_wfdb_ann, so keep the worst case expansion bounded. */
#define ANN_FILE_MAX ((size_t)16 << 20)

/* ---------------------------------------------------------------------
 * Text helpers
 * --------------------------------------------------------------------- */

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

struct tok {
	const char *s;
	size_t n;
};

/* Split into at most max tokens; returns the number of tokens found
 * (may exceed max: the extra ones are counted but not stored). */
static size_t tokenize(const char *s, const char *e, struct tok *t, size_t max)
{
	size_t n = 0;
	while (s < e) {
		while (s < e && blank(*s))
			s++;
		if (s == e)
			break;
		const char *q = s;
		while (q < e && !blank(*q))
			q++;
		if (n < max) {
			t[n].s = s;
			t[n].n = (size_t)(q - s);
		}
		n++;
		s = q;
	}
	return n;
}

/* Parse an integer field into [lo, hi]. */
static int field_int(const struct tok *t, int64_t lo, int64_t hi,
		     int64_t *out, const char *what, size_t line,
		     bnn_error *err)
{
	char shown[48];
	int64_t v;
	int rc = bnn_parse_i64(t->s, t->n, &v);
	if (rc == BNN_OK && (v < lo || v > hi))
		rc = BNN_E_RANGE;
	if (rc != BNN_OK) {
		bnn__show(shown, sizeof shown, t->s, t->n);
		return bnn__err(err, rc, "line %zu: %s %s '%s'", line,
				rc == BNN_E_RANGE ? "out-of-range" : "bad",
				what, shown);
	}
	*out = v;
	return BNN_OK;
}

static int num_f64(const char *s, size_t n, double *out, const char *what,
		   size_t line, bnn_error *err)
{
	char shown[48];
	int rc = bnn_parse_f64(s, n, out);
	if (rc != BNN_OK) {
		bnn__show(shown, sizeof shown, s, n);
		return bnn__err(err, rc, "line %zu: %s %s '%s'", line,
				rc == BNN_E_RANGE ? "out-of-range" : "bad",
				what, shown);
	}
	return BNN_OK;
}

static int num_i64(const char *s, size_t n, int64_t lo, int64_t hi,
		   int64_t *out, const char *what, size_t line, bnn_error *err)
{
	struct tok t = { s, n };
	return field_int(&t, lo, hi, out, what, line, err);
}

static int valid_record_name(const char *s, size_t n)
{
	if (n == 0 || n >= BNN_WFDB_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* ---------------------------------------------------------------------
 * Header
 * --------------------------------------------------------------------- */

void bnn_wfdb_header_free(bnn_wfdb_header *h)
{
	if (!h)
		return;
	free(h->sig);
	free(h->seg);
	memset(h, 0, sizeof *h);
}

void bnn__wfdb_warn(bnn_wfdb_warnings *w, const char *fmt, ...)
{
	if (!w)
		return;
	if (w->n >= BNN_WFDB_WARN_MAX) {
		w->dropped++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->msg[w->n], sizeof w->msg[0], fmt, ap);
	va_end(ap);
	w->n++;
}

/* "hh:mm:ss[.sss]" or "mm:ss[.sss]" */
static int parse_time(const struct tok *t, bnn_wfdb_header *h, size_t line,
		      bnn_error *err)
{
	const char *p = t->s, *e = t->s + t->n, *c1, *c2;
	char shown[48];
	c1 = memchr(p, ':', t->n);
	if (!c1)
		goto bad;
	c2 = memchr(c1 + 1, ':', (size_t)(e - c1 - 1));
	int64_t hh = 0, mm;
	double ss;
	if (c2) {
		if (memchr(c2 + 1, ':', (size_t)(e - c2 - 1)))
			goto bad;
		if (bnn_parse_i64(p, (size_t)(c1 - p), &hh) ||
		    bnn_parse_i64(c1 + 1, (size_t)(c2 - c1 - 1), &mm) ||
		    bnn_parse_f64(c2 + 1, (size_t)(e - c2 - 1), &ss))
			goto bad;
	} else {
		if (bnn_parse_i64(p, (size_t)(c1 - p), &mm) ||
		    bnn_parse_f64(c1 + 1, (size_t)(e - c1 - 1), &ss))
			goto bad;
	}
	if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || !(ss >= 0 && ss < 60))
		goto bad;
	h->has_base_time = 1;
	h->base_hour = (int)hh;
	h->base_min = (int)mm;
	h->base_sec = ss;
	return BNN_OK;
bad:
	bnn__show(shown, sizeof shown, t->s, t->n);
	return bnn__err(err, BNN_E_PARSE, "line %zu: bad base time '%s'", line,
			shown);
}

/* "dd/mm/yyyy" */
static int parse_date(const struct tok *t, bnn_wfdb_header *h, size_t line,
		      bnn_error *err)
{
	const char *p = t->s, *e = t->s + t->n, *s1, *s2;
	char shown[48];
	int64_t d, m, y;
	s1 = memchr(p, '/', t->n);
	if (!s1)
		goto bad;
	s2 = memchr(s1 + 1, '/', (size_t)(e - s1 - 1));
	if (!s2 || memchr(s2 + 1, '/', (size_t)(e - s2 - 1)))
		goto bad;
	if (bnn_parse_i64(p, (size_t)(s1 - p), &d) ||
	    bnn_parse_i64(s1 + 1, (size_t)(s2 - s1 - 1), &m) ||
	    bnn_parse_i64(s2 + 1, (size_t)(e - s2 - 1), &y))
		goto bad;
	if (d < 1 || d > 31 || m < 1 || m > 12 || y < 0 || y > 9999)
		goto bad;
	h->has_base_date = 1;
	h->base_day = (int)d;
	h->base_month = (int)m;
	h->base_year = (int)y;
	return BNN_OK;
bad:
	bnn__show(shown, sizeof shown, t->s, t->n);
	return bnn__err(err, BNN_E_PARSE, "line %zu: bad base date '%s'", line,
			shown);
}

static int parse_record_line(const char *s, const char *e, size_t line,
			     bnn_wfdb_header *h, bnn_error *err)
{
	struct tok t[6];
	char shown[48];
	size_t nt = tokenize(s, e, t, 6);
	int64_t v;
	int rc;

	if (nt > 6)
		return bnn__err(err, BNN_E_PARSE,
				"line %zu: record line has %zu fields (at most 6)",
				line, nt);
	/* name[/nseg] */
	const char *slash = memchr(t[0].s, '/', t[0].n);
	size_t nlen = slash ? (size_t)(slash - t[0].s) : t[0].n;
	if (!valid_record_name(t[0].s, nlen)) {
		bnn__show(shown, sizeof shown, t[0].s, t[0].n);
		return bnn__err(err, BNN_E_PARSE,
				"line %zu: bad record name '%s'", line, shown);
	}
	if (slash) {
		const char *ns = slash + 1;
		if ((rc = num_i64(ns, (size_t)(t[0].s + t[0].n - ns), 1,
				  INT64_MAX, &v, "number of segments", line,
				  err)))
			return rc;
		if (v > BNN_WFDB_MAX_SEGMENTS)
			return bnn__err(err, BNN_E_RANGE,
					"line %zu: %lld segments (at most %d)",
					line, (long long)v, BNN_WFDB_MAX_SEGMENTS);
		h->nseg = (int)v;
	}
	memcpy(h->name, t[0].s, nlen);
	h->name[nlen] = '\0';
	h->fs = BNN_WFDB_DEFAULT_FS;
	if (nt < 2)
		return BNN_OK;
	if ((rc = field_int(&t[1], 0, INT64_MAX, &v, "number of signals",
			    line, err)))
		return rc;
	if (v > BNN_WFDB_MAX_SIGNALS)
		return bnn__err(err, BNN_E_RANGE,
				"line %zu: %lld signals (at most %d)", line,
				(long long)v, BNN_WFDB_MAX_SIGNALS);
	h->nsig = (int)v;
	if (nt < 3)
		return BNN_OK;
	/* fs[/counterfreq[(basecounter)]] */
	{
		const char *p = t[2].s, *end = t[2].s + t[2].n;
		const char *sl = memchr(p, '/', t[2].n);
		const char *fe = sl ? sl : end;
		if ((rc = num_f64(p, (size_t)(fe - p), &h->fs,
				  "sampling frequency", line, err)))
			return rc;
		if (!(h->fs > 0) || h->fs > 1e9)
			return bnn__err(err, BNN_E_RANGE,
					"line %zu: sampling frequency %g not in (0, 1e9]",
					line, h->fs);
		if (sl) {
			const char *cp = sl + 1;
			const char *par = memchr(cp, '(', (size_t)(end - cp));
			const char *ce = par ? par : end;
			if ((rc = num_f64(cp, (size_t)(ce - cp),
					  &h->counter_freq,
					  "counter frequency", line, err)))
				return rc;
			if (!(h->counter_freq > 0))
				return bnn__err(err, BNN_E_RANGE,
						"line %zu: counter frequency must be > 0",
						line);
			if (par) {
				if (end[-1] != ')' || end - 1 <= par + 1)
					return bnn__err(err, BNN_E_PARSE,
							"line %zu: bad base counter",
							line);
				if ((rc = num_f64(par + 1,
						  (size_t)(end - 1 - par - 1),
						  &h->base_counter,
						  "base counter", line, err)))
					return rc;
			}
		}
	}
	if (nt < 4)
		return BNN_OK;
	if ((rc = field_int(&t[3], 0, INT64_MAX, &v, "number of samples",
			    line, err)))
		return rc;
	h->nsamples = v;
	if (nt >= 5 && (rc = parse_time(&t[4], h, line, err)))
		return rc;
	if (nt >= 6 && (rc = parse_date(&t[5], h, line, err)))
		return rc;
	return BNN_OK;
}

/* format[xN][:skew][+offset] */
static int parse_format(const struct tok *t, bnn_wfdb_signal *sg, int idx,
			size_t line, bnn_error *err)
{
	const char *p = t->s, *e = t->s + t->n, *q = p;
	int64_t v;
	int rc;
	while (q < e && *q >= '0' && *q <= '9')
		q++;
	if ((rc = num_i64(p, (size_t)(q - p), 0, 9999, &v, "format", line,
			  err)))
		return rc;
	sg->format = (int)v;
	if (q < e && *q == 'x') {
		const char *r = ++q;
		while (q < e && *q >= '0' && *q <= '9')
			q++;
		if ((rc = num_i64(r, (size_t)(q - r), 1, BNN_WFDB_MAX_SPF, &v,
				  "samples per frame", line, err)))
			return rc;
		sg->spf = (int)v;
	}
	if (q < e && *q == ':') {
		const char *r = ++q;
		while (q < e && *q >= '0' && *q <= '9')
			q++;
		if ((rc = num_i64(r, (size_t)(q - r), 0, BNN_WFDB_MAX_SKEW, &v,
				  "skew", line, err)))
			return rc;
		sg->skew = v;
	}
	if (q < e && *q == '+') {
		const char *r = ++q;
		while (q < e && *q >= '0' && *q <= '9')
			q++;
		if ((rc = num_i64(r, (size_t)(q - r), 0, INT64_MAX, &v,
				  "byte offset", line, err)))
			return rc;
		sg->byte_offset = v;
	}
	if (q != e) {
		char shown[48];
		bnn__show(shown, sizeof shown, t->s, t->n);
		return bnn__err(err, BNN_E_PARSE,
				"line %zu: signal %d: bad format field '%s'",
				line, idx, shown);
	}
	if (!bnn__wfdb_fmt_known(sg->format))
		return bnn__err(err, BNN_E_UNSUPPORTED,
				"line %zu: signal %d: format %d not supported (0, 8, 16, 24, 32, 61, 80, 160, 212, 310, 311 are)",
				line, idx, sg->format);
	return BNN_OK;
}

/* gain[(baseline)][/units] */
static int parse_gain(const struct tok *t, bnn_wfdb_signal *sg,
		      int *has_baseline, size_t line, bnn_error *err)
{
	const char *p = t->s, *e = t->s + t->n;
	const char *par = memchr(p, '(', t->n);
	const char *sl = memchr(p, '/', t->n);
	const char *ge = par ? par : sl ? sl : e;
	int rc;
	if (sl && par && sl < par)
		return bnn__err(err, BNN_E_PARSE,
				"line %zu: bad gain field (units before baseline)",
				line);
	if ((rc = num_f64(p, (size_t)(ge - p), &sg->gain, "ADC gain", line,
			  err)))
		return rc;
	if (par) {
		const char *close = memchr(par, ')', (size_t)(e - par));
		if (!close)
			return bnn__err(err, BNN_E_PARSE,
					"line %zu: missing ')' after baseline",
					line);
		int64_t b;
		if ((rc = num_i64(par + 1, (size_t)(close - par - 1), INT32_MIN,
				  INT32_MAX, &b, "baseline", line, err)))
			return rc;
		sg->baseline = (int32_t)b;
		*has_baseline = 1;
		if (close + 1 != (sl ? sl : e))
			return bnn__err(err, BNN_E_PARSE,
					"line %zu: junk after baseline", line);
	}
	if (sl) {
		size_t ul = (size_t)(e - sl - 1);
		if (ul == 0 || ul >= BNN_WFDB_UNITS_MAX)
			return bnn__err(err, BNN_E_PARSE,
					"line %zu: units empty or longer than %d bytes",
					line, BNN_WFDB_UNITS_MAX - 1);
		memcpy(sg->units, sl + 1, ul);
		sg->units[ul] = '\0';
	}
	sg->uncalibrated = sg->gain == 0;
	if (sg->gain == 0)
		sg->gain = BNN_WFDB_DEFAULT_GAIN;
	return BNN_OK;
}

static int parse_signal_line(const char *s, const char *e, size_t line,
			     int idx, bnn_wfdb_signal *sg, bnn_error *err)
{
	struct tok t[9];
	size_t nt = tokenize(s, e, t, 9);
	int64_t v;
	int rc, has_baseline = 0;
	char shown[48];

	memset(sg, 0, sizeof *sg);
	strcpy(sg->units, "mV");
	if (nt < 2)
		return bnn__err(err, BNN_E_PARSE,
				"line %zu: signal %d: need at least file name and format",
				line, idx);
	if (t[0].n >= BNN_WFDB_FILE_MAX)
		return bnn__err(err, BNN_E_PARSE,
				"line %zu: signal %d: file name longer than %d bytes",
				line, idx, BNN_WFDB_FILE_MAX - 1);
	if (t[0].n == 1 && t[0].s[0] == '-')
		return bnn__err(err, BNN_E_UNSUPPORTED,
				"line %zu: signal %d: standard input as signal file",
				line, idx);
	memcpy(sg->file, t[0].s, t[0].n);
	sg->file[t[0].n] = '\0';
	sg->spf = 1;
	if ((rc = parse_format(&t[1], sg, idx, line, err)))
		return rc;
	int bits;
	sg->adc_res = bnn__wfdb_fmt_res(sg->format, &bits);
	sg->invalid = bnn__wfdb_fmt_invalid(sg->format);
	sg->gain = BNN_WFDB_DEFAULT_GAIN;
	sg->uncalibrated = 1;
	if (nt > 2 && (rc = parse_gain(&t[2], sg, &has_baseline, line, err)))
		return rc;
	if (nt > 3) {
		if ((rc = field_int(&t[3], 0, bits, &v, "ADC resolution", line,
				    err)))
			return rc;
		if (v)
			sg->adc_res = (int)v;
	}
	if (nt > 4) {
		if ((rc = field_int(&t[4], INT32_MIN, INT32_MAX, &v, "ADC zero",
				    line, err)))
			return rc;
		sg->adc_zero = (int32_t)v;
	}
	sg->init_value = sg->adc_zero;
	if (nt > 5) {
		if ((rc = field_int(&t[5], INT32_MIN, INT32_MAX, &v,
				    "initial value", line, err)))
			return rc;
		sg->init_value = (int32_t)v;
		sg->has_init_value = 1;
	}
	if (nt > 6) {
		if ((rc = field_int(&t[6], -32768, 65535, &v, "checksum", line,
				    err)))
			return rc;
		sg->checksum = (int32_t)v;
		sg->has_checksum = 1;
	}
	if (nt > 7) {
		if ((rc = field_int(&t[7], 0, INT_MAX, &v, "block size", line,
				    err)))
			return rc;
		sg->block_size = (int)v;
	}
	if (nt > 8) {
		const char *ds = t[8].s, *de = e;
		while (de > ds && blank(de[-1]))
			de--;
		if ((size_t)(de - ds) >= BNN_WFDB_DESC_MAX) {
			bnn__show(shown, sizeof shown, ds, (size_t)(de - ds));
			return bnn__err(err, BNN_E_PARSE,
					"line %zu: signal %d: description longer than %d bytes",
					line, idx, BNN_WFDB_DESC_MAX - 1);
		}
		memcpy(sg->desc, ds, (size_t)(de - ds));
		sg->desc[de - ds] = '\0';
	}
	if (!has_baseline)
		sg->baseline = sg->adc_zero;
	return BNN_OK;
}

/* "name nsamples" of a multi-segment header; "~" = null segment. */
static int parse_segment_line(const char *s, const char *e, size_t line,
			      int idx, bnn_wfdb_segment *sg, bnn_error *err)
{
	struct tok t[2];
	char shown[48];
	size_t nt = tokenize(s, e, t, 2);
	int64_t v;
	int rc;
	if (nt != 2)
		return bnn__err(err, BNN_E_PARSE,
				"line %zu: segment %d: need a name and a length",
				line, idx);
	if (!(t[0].n == 1 && t[0].s[0] == '~') &&
	    !valid_record_name(t[0].s, t[0].n)) {
		bnn__show(shown, sizeof shown, t[0].s, t[0].n);
		return bnn__err(err, BNN_E_PARSE,
				"line %zu: bad segment name '%s'", line, shown);
	}
	if ((rc = field_int(&t[1], 0, INT64_MAX, &v, "segment length", line,
			    err)))
		return rc;
	/* Only a first segment may be the (empty) layout header. */
	if (v == 0 && (idx > 0 || t[0].s[0] == '~'))
		return bnn__err(err, BNN_E_RANGE,
				"line %zu: segment %d has length 0 (only a first, layout segment may)",
				line, idx);
	memcpy(sg->name, t[0].s, t[0].n);
	sg->name[t[0].n] = '\0';
	sg->nsamples = v;
	return BNN_OK;
}

int bnn_wfdb_parse_header(const char *text, size_t len, bnn_wfdb_header *out,
			  bnn_error *err)
{
	if (!out)
		return bnn__err(err, BNN_E_INVAL, "header: NULL output");
	memset(out, 0, sizeof *out);
	if (!text && len)
		return bnn__err(err, BNN_E_INVAL, "header: NULL text");
	if (len > BNN_WFDB_HEADER_MAX)
		return bnn__err(err, BNN_E_SIZE,
				"header: %zu bytes (limit %zu)", len,
				BNN_WFDB_HEADER_MAX);

	bnn_wfdb_header h = { 0 };
	struct bnn__lines L = { text, text + len, 0 };
	const char *s = NULL, *e = NULL;
	int rc, got_record = 0, nsig_done = 0, nseg_done = 0;

	while ((rc = bnn__next_line(&L, &s, &e, BNN_WFDB_LINE_MAX, err)) == 1) {
		const char *a = s;
		while (a < e && blank(*a))
			a++;
		if (a == e || *a == '#')
			continue;
		if (!got_record) {
			if ((rc = parse_record_line(a, e, L.lineno, &h, err)))
				goto fail;
			got_record = 1;
			if (h.nseg > 0) {
				/* A master header lists segments, not signals. */
				h.seg_nsig = h.nsig;
				h.nsig = 0;
				h.seg = bnn__calloc((size_t)h.nseg,
						    sizeof *h.seg);
				if (!h.seg) {
					rc = bnn__err(err, BNN_E_NOMEM,
						      "header: out of memory");
					goto fail;
				}
			}
			if (h.nsig > 0) {
				h.sig = bnn__calloc((size_t)h.nsig,
						    sizeof *h.sig);
				if (!h.sig) {
					rc = bnn__err(err, BNN_E_NOMEM,
						      "header: out of memory");
					goto fail;
				}
			}
			continue;
		}
		if (nseg_done < h.nseg) {
			if ((rc = parse_segment_line(a, e, L.lineno, nseg_done,
						     &h.seg[nseg_done], err)))
				goto fail;
			nseg_done++;
			continue;
		}
		if (nsig_done == h.nsig) {
			rc = bnn__err(err, BNN_E_PARSE,
				      "line %zu: unexpected line after the %d signal line(s)",
				      L.lineno, h.nsig);
			goto fail;
		}
		bnn_wfdb_signal *sg = &h.sig[nsig_done];
		if ((rc = parse_signal_line(a, e, L.lineno, nsig_done, sg,
					    err)))
			goto fail;
		/* File groups: signals of one file must be adjacent and agree. */
		if (nsig_done > 0 && !strcmp(sg->file, sg[-1].file)) {
			sg->group = sg[-1].group;
			if (sg->format != sg[-1].format ||
			    sg->byte_offset != sg[-1].byte_offset) {
				rc = bnn__err(err, BNN_E_PARSE,
					      "line %zu: signal %d: format/offset differ from the other signals of '%s'",
					      L.lineno, nsig_done, sg->file);
				goto fail;
			}
		} else {
			/* Null signals ("~", format 0) share no file. */
			for (int k = 0; k < nsig_done && sg->format != 0; k++)
				if (h.sig[k].format != 0 &&
				    !strcmp(h.sig[k].file, sg->file)) {
					rc = bnn__err(err, BNN_E_PARSE,
						      "line %zu: signal %d: file '%s' also used by non-adjacent signal %d",
						      L.lineno, nsig_done,
						      sg->file, k);
					goto fail;
				}
			sg->group = h.ngroups++;
		}
		nsig_done++;
	}
	if (rc < 0)
		goto fail;
	if (!got_record) {
		rc = bnn__err(err, BNN_E_TRUNCATED, "header: no record line");
		goto fail;
	}
	if (nseg_done < h.nseg) {
		rc = bnn__err(err, BNN_E_TRUNCATED,
			      "header: %d of %d segment lines present", nseg_done,
			      h.nseg);
		goto fail;
	}
	if (nsig_done < h.nsig) {
		rc = bnn__err(err, BNN_E_TRUNCATED,
			      "header: %d of %d signal lines present", nsig_done,
			      h.nsig);
		goto fail;
	}
	*out = h;
	return BNN_OK;
fail:
	free(h.sig);
	free(h.seg);
	return rc;
}

int bnn_wfdb_read_header(const char *hea_path, bnn_wfdb_header *out,
			 bnn_error *err)
{
	if (out)
		memset(out, 0, sizeof *out);
	if (!hea_path || !out)
		return bnn__err(err, BNN_E_INVAL, "read_header: NULL argument");
	uint8_t *buf;
	size_t len;
	int rc = bnn_read_file(hea_path, BNN_WFDB_HEADER_MAX, &buf, &len, err);
	if (rc)
		return rc;
	rc = bnn_wfdb_parse_header((const char *)buf, len, out, err);
	free(buf);
	if (rc)
		bnn__err_prefix(err, hea_path);
	return rc;
}

int bnn_wfdb_find_signal(const bnn_wfdb_header *h, const char *desc)
{
	if (!h || !desc)
		return BNN_E_INVAL;
	for (int i = 0; i < h->nsig; i++)
		if (!strcmp(h->sig[i].desc, desc))
			return i;
	return BNN_E_NOTFOUND;
}

double bnn_wfdb_to_phys(const bnn_wfdb_signal *s, int32_t v)
{
	return ((double)v - (double)s->baseline) / s->gain;
}

int bnn_wfdb_is_invalid(const bnn_wfdb_signal *s, int32_t v)
{
	return s && v == s->invalid;
}

/* ---------------------------------------------------------------------
 * Signals
 * --------------------------------------------------------------------- */

void bnn_wfdb_record_free(bnn_wfdb_record *r)
{
	if (!r)
		return;
	bnn_wfdb_header_free(&r->hdr);
	free(r->data);
	memset(r, 0, sizeof *r);
}

/* Samples per frame; 0 (a zeroed, hand-made signal struct) counts as 1. */
static size_t spf_of(const bnn_wfdb_signal *s)
{
	return s->spf > 1 ? (size_t)s->spf : 1;
}

int64_t bnn_wfdb_signal_len(const bnn_wfdb_record *r, int sig)
{
	if (!r || sig < 0 || sig >= r->hdr.nsig || !r->hdr.sig)
		return -1;
	return r->nsamples * (int64_t)spf_of(&r->hdr.sig[sig]);
}

const int32_t *bnn_wfdb_samples(const bnn_wfdb_record *r, int sig)
{
	if (!r || !r->data || sig < 0 || sig >= r->hdr.nsig)
		return NULL;
	size_t off = 0;
	for (int k = 0; k < sig; k++)
		off += (size_t)r->nsamples * spf_of(&r->hdr.sig[k]);
	return r->data + off;
}

struct group {
	int first, nsg;		/* first signal, signal count */
	int format;
	size_t tspf;		/* samples per frame of the whole file */
	int64_t maxskew;
	const uint8_t *data;	/* after the byte offset */
	size_t avail;		/* bytes after the byte offset */
	int64_t frames;		/* whole frames the file holds (<= ns + maxskew) */
};

/* Frames per decoding step: a multiple of 6, so that every step starts on
 * a whole 212 (2-sample) and 310/311 (3-sample) block. */
#define CHUNK_FRAMES 4098

/* What the header's checksum and initial value describe: a signal's
 * samples as stored, frames 0 .. ns-1 of its file whatever its skew. */
struct stored {
	uint32_t sum;		/* 16-bit sum, in 32 bits */
	int32_t first;		/* frame 0's first sample */
	int have;		/* the file holds frame 0 */
};

/* Decode one file into its signals' slices of `data`; st[k] gets signal
 * k's stored sum and first sample. */
static int decode_group(const bnn_wfdb_header *hdr, const struct group *g,
			int64_t ns, int32_t *const *dst, struct stored *st,
			bnn_error *err)
{
	const bnn_wfdb_signal *sg = &hdr->sig[g->first];
	size_t tspf = g->tspf, nsg = (size_t)g->nsg;
	size_t fo[BNN_WFDB_MAX_SIGNALS];	/* offset in the frame */
	uint32_t acc[BNN_WFDB_MAX_SIGNALS];	/* format 8 running values */
	size_t o = 0;
	for (size_t k = 0; k < nsg; k++) {
		fo[k] = o;
		o += (size_t)sg[k].spf;
		acc[k] = (uint32_t)sg[k].init_value;
	}
	if (g->frames > 0) {
		size_t chunk = CHUNK_FRAMES, flat;
		if ((size_t)g->frames < chunk)
			chunk = (size_t)g->frames;
		if (bnn__mul(chunk, tspf, &flat) || flat > SIZE_MAX / 4)
			return bnn__err(err, BNN_E_RANGE, "decode: frame too large");
		int32_t *tmp = bnn__malloc(flat * sizeof *tmp);
		if (!tmp)
			return bnn__err(err, BNN_E_NOMEM, "decode: out of memory");
		for (int64_t f0 = 0; f0 < g->frames; f0 += (int64_t)chunk) {
			size_t nf = (size_t)(g->frames - f0) < chunk
				? (size_t)(g->frames - f0) : chunk;
			uint64_t at, unused;
			bnn__wfdb_fmt_bytes(g->format, (uint64_t)f0 * tspf, &at,
					    &unused);
			bnn__wfdb_fmt_unpack(g->format, g->data + at, nf * tspf,
					     tmp);
			for (size_t k = 0; k < nsg; k++) {
				size_t spf = (size_t)sg[k].spf;
				for (size_t f = 0; f < nf; f++) {
					int32_t *v = tmp + f * tspf + fo[k];
					if (g->format == 8)
						for (size_t j = 0; j < spf; j++)
							v[j] = (int32_t)(acc[k] += (uint32_t)v[j]);
					if (f0 + (int64_t)f < ns) {
						for (size_t j = 0; j < spf; j++)
							st[k].sum += (uint32_t)v[j];
						if (f0 + (int64_t)f == 0) {
							st[k].first = v[0];
							st[k].have = 1;
						}
					}
					int64_t i = f0 + (int64_t)f - sg[k].skew;
					if (i < 0 || i >= ns)
						continue;
					memcpy(dst[k] + (size_t)i * spf, v,
					       spf * sizeof *v);
				}
			}
		}
		free(tmp);
	}
	/* Samples whose (skewed) frame lies past the file are missing. */
	for (size_t k = 0; k < nsg; k++) {
		int64_t have = g->frames - sg[k].skew;
		if (have < 0)
			have = 0;
		size_t spf = (size_t)sg[k].spf;
		for (size_t i = (size_t)have * spf; i < (size_t)ns * spf; i++)
			dst[k][i] = sg[k].invalid;
	}
	return BNN_OK;
}

/* Checksums and initial values, of the samples as stored (WFDB writes
 * them so; a skewed signal's first `skew` frames are not its samples):
 * warnings, or errors when strict. */
static int verify(const bnn_wfdb_header *hdr, int32_t *const *dst,
		  int64_t ns, struct stored *st, unsigned flags,
		  bnn_wfdb_warnings *w, bnn_error *err)
{
	for (int s = 0; s < hdr->nsig; s++) {
		const bnn_wfdb_signal *sg = &hdr->sig[s];
		char msg[BNN_ERRMSG_MAX];
		msg[0] = '\0';
		if (sg->format == 0 && ns > 0) {
			/* No file: the header describes the samples given. */
			size_t n = (size_t)ns * (size_t)sg->spf;
			st[s] = (struct stored){ .first = dst[s][0], .have = 1 };
			for (size_t i = 0; i < n; i++)
				st[s].sum += (uint32_t)dst[s][i];
		}
		if (sg->has_checksum) {
			uint32_t sum = st[s].sum;
			if ((sum & 0xffff) != ((uint32_t)sg->checksum & 0xffff))
				snprintf(msg, sizeof msg,
					 "signal %d (%s): checksum %d, header says %d",
					 s, sg->desc, (int)(int16_t)(sum & 0xffff),
					 (int)sg->checksum);
		}
		if (!msg[0] && sg->has_init_value && st[s].have &&
		    st[s].first != sg->init_value)
			snprintf(msg, sizeof msg,
				 "signal %d (%s): first sample %d, header initial value %d",
				 s, sg->desc, (int)st[s].first, (int)sg->init_value);
		if (!msg[0])
			continue;
		if (flags & BNN_WFDB_STRICT)
			return bnn__err(err, BNN_E_CHECKSUM, "%s", msg);
		bnn__wfdb_warn(w, "%s (data kept)", msg);
	}
	return BNN_OK;
}

int bnn__wfdb_decode_src(const bnn_wfdb_header *hdr, struct bnn__wfdb_src *src,
			 unsigned flags, bnn_wfdb_record *out, bnn_error *err)
{
	if (!out)
		return bnn__err(err, BNN_E_INVAL, "decode: NULL output");
	memset(out, 0, sizeof *out);
	if (!hdr || (hdr->nsig && !hdr->sig) ||
	    hdr->nsig < 0 || hdr->nsig > BNN_WFDB_MAX_SIGNALS ||
	    hdr->nsamples < 0)
		return bnn__err(err, BNN_E_INVAL, "decode: bad argument");
	if ((flags & ~(BNN_WFDB_NO_VERIFY | BNN_WFDB_STRICT)) ||
	    (flags & BNN_WFDB_NO_VERIFY && flags & BNN_WFDB_STRICT))
		return bnn__err(err, BNN_E_INVAL, "decode: bad flags 0x%x",
				flags);
	if (hdr->nseg > 0)
		return bnn__err(err, BNN_E_UNSUPPORTED,
				"decode: '%s' is a multi-segment record (read it with bnn_wfdb_read_record or bnn_wfdb_record_from_memory)",
				hdr->name);

	int nsig = hdr->nsig, ng = 0, rc;
	struct group *gr = NULL;
	int32_t **dst = NULL;
	struct stored *st = NULL;
	bnn_wfdb_record r = { 0 };

	if (nsig > 0) {
		gr = bnn__calloc((size_t)nsig, sizeof *gr);
		dst = bnn__calloc((size_t)nsig, sizeof *dst);
		if (!gr || !dst) {
			rc = bnn__err(err, BNN_E_NOMEM, "decode: out of memory");
			goto fail;
		}
	}
	/* Groups and their files. */
	for (int s = 0; s < nsig; s++) {
		const bnn_wfdb_signal *sg = &hdr->sig[s];
		if (sg->spf < 1 || sg->spf > BNN_WFDB_MAX_SPF || sg->skew < 0 ||
		    sg->skew > BNN_WFDB_MAX_SKEW || sg->byte_offset < 0) {
			rc = bnn__err(err, BNN_E_INVAL,
				      "signal %d: bad samples per frame, skew or offset", s);
			goto fail;
		}
		if (s > 0 && !strcmp(sg->file, hdr->sig[s - 1].file) &&
		    sg->format == hdr->sig[s - 1].format &&
		    sg->byte_offset == hdr->sig[s - 1].byte_offset) {
			struct group *g = &gr[ng - 1];
			g->nsg++;
			g->tspf += (size_t)sg->spf;
			if (sg->skew > g->maxskew)
				g->maxskew = sg->skew;
			continue;
		}
		if (!bnn__wfdb_fmt_known(sg->format)) {
			rc = bnn__err(err, BNN_E_UNSUPPORTED,
				      "signal %d: format %d not supported", s,
				      sg->format);
			goto fail;
		}
		for (int k = 0; k < ng; k++)
			if (gr[k].format != 0 &&
			    !strcmp(hdr->sig[gr[k].first].file, sg->file)) {
				rc = bnn__err(err, BNN_E_INVAL,
					      "signal %d: file '%s' used by non-adjacent signals or with different formats",
					      s, sg->file);
				goto fail;
			}
		struct group *g = &gr[ng++];
		g->first = s;
		g->nsg = 1;
		g->format = sg->format;
		g->tspf = (size_t)sg->spf;
		g->maxskew = sg->skew;
		if (sg->format == 0)
			continue;	/* a null signal has no file */
		const uint8_t *d;
		size_t len;
		if ((rc = bnn__wfdb_src_get(src, sg->file, &d, &len, err)))
			goto fail;
		if ((uint64_t)sg->byte_offset > len) {
			rc = bnn__err(err, BNN_E_TRUNCATED,
				      "%s: %zu bytes, shorter than the byte offset %lld",
				      sg->file, len, (long long)sg->byte_offset);
			goto fail;
		}
		g->data = d + sg->byte_offset;
		g->avail = len - (size_t)sg->byte_offset;
	}

	/* Frames per signal: from the header, or derived from the sizes. */
	int64_t ns = hdr->nsamples;
	int derived = 0;
	for (int k = 0; k < ng; k++) {
		struct group *g = &gr[k];
		const char *fn = hdr->sig[g->first].file;
		uint64_t fit, lo, hi;
		if (g->format == 0)
			continue;
		int odd = bnn__wfdb_fmt_fit(g->format, g->avail, &fit);
		if (hdr->nsamples == 0) {
			uint64_t fr = fit / g->tspf;
			if (odd || bnn__wfdb_fmt_bytes(g->format, fr * g->tspf,
						       &lo, &hi) ||
			    g->avail < lo || g->avail > hi) {
				rc = bnn__err(err, BNN_E_SIZE,
					      "%s: %zu bytes is not a whole number of frames",
					      fn, g->avail);
				goto fail;
			}
			if (!derived)
				ns = (int64_t)fr;
			else if ((int64_t)fr != ns) {
				rc = bnn__err(err, BNN_E_SIZE,
					      "%s: holds %lld samples per signal, another file holds %lld",
					      fn, (long long)fr, (long long)ns);
				goto fail;
			}
			derived = 1;
			g->frames = (int64_t)fr;
			continue;
		}
		uint64_t unused, need_lo, need_hi, flat;
		if (ns > BNN_WFDB_MAX_SKEW * 1024 ||
		    __builtin_mul_overflow((uint64_t)ns, g->tspf, &flat) ||
		    bnn__wfdb_fmt_bytes(g->format, flat, &need_lo, &unused) ||
		    __builtin_mul_overflow((uint64_t)(ns + g->maxskew), g->tspf,
					   &flat) ||
		    bnn__wfdb_fmt_bytes(g->format, flat, &unused, &need_hi) ||
		    need_hi > SIZE_MAX) {
			rc = bnn__err(err, BNN_E_RANGE,
				      "%s: %lld samples x %zu per frame is too large",
				      fn, (long long)ns, g->tspf);
			goto fail;
		}
		if (g->avail < need_lo) {
			rc = bnn__err(err, BNN_E_TRUNCATED,
				      "%s: %zu data bytes, header needs %llu (%lld frames of %zu samples)",
				      fn, g->avail, (unsigned long long)need_lo,
				      (long long)ns, g->tspf);
			goto fail;
		}
		if (g->avail > need_hi) {
			/* WFDB readers stop at the record's length: a header
			 * may describe the start of a longer file. */
			if (flags & BNN_WFDB_STRICT) {
				rc = bnn__err(err, BNN_E_SIZE,
					      "%s: %zu data bytes, header needs %llu (%llu extra)",
					      fn, g->avail, (unsigned long long)need_lo,
					      (unsigned long long)(g->avail - need_hi));
				goto fail;
			}
			bnn__wfdb_warn(&r.warn,
				       "%s: %llu bytes after the record's %lld frames ignored",
				       fn, (unsigned long long)(g->avail - need_hi),
				       (long long)ns);
			g->avail = (size_t)need_hi;
			bnn__wfdb_fmt_fit(g->format, g->avail, &fit);
		}
		g->frames = (int64_t)(fit / g->tspf);
		if (g->frames > ns + g->maxskew)
			g->frames = ns + g->maxskew;
	}

	/* Copy the header, allocate (sizes are bounded by the files now,
	 * except for null signals: capped by BNN_MAX_VALUES). */
	r.hdr = *hdr;
	r.hdr.sig = NULL;
	r.hdr.seg = NULL;
	r.hdr.nseg = 0;
	if (nsig > 0) {
		r.hdr.sig = bnn__malloc((size_t)nsig * sizeof *r.hdr.sig);
		if (!r.hdr.sig) {
			rc = bnn__err(err, BNN_E_NOMEM, "decode: out of memory");
			goto fail;
		}
		memcpy(r.hdr.sig, hdr->sig, (size_t)nsig * sizeof *r.hdr.sig);
	}
	r.nsamples = ns;
	size_t total = 0;
	for (int s = 0; s < nsig; s++) {
		size_t n;
		if ((uint64_t)ns > SIZE_MAX ||
		    bnn__mul((size_t)ns, (size_t)hdr->sig[s].spf, &n) ||
		    __builtin_add_overflow(total, n, &total)) {
			rc = bnn__err(err, BNN_E_RANGE, "decode: too many samples");
			goto fail;
		}
	}
	if (total > 0) {
		size_t bytes;
		if (total > BNN_MAX_VALUES * 4 ||
		    bnn__mul(total, sizeof(int32_t), &bytes)) {
			rc = bnn__err(err, BNN_E_RANGE,
				      "decode: %zu samples is too many", total);
			goto fail;
		}
		r.data = bnn__malloc(bytes);
		if (!r.data) {
			rc = bnn__err(err, BNN_E_NOMEM,
				      "decode: out of memory (%zu bytes)", bytes);
			goto fail;
		}
		size_t off = 0;
		for (int s = 0; s < nsig; s++) {
			dst[s] = r.data + off;
			off += (size_t)ns * (size_t)hdr->sig[s].spf;
		}
		st = bnn__calloc((size_t)nsig, sizeof *st);
		if (!st) {
			rc = bnn__err(err, BNN_E_NOMEM, "decode: out of memory");
			goto fail;
		}
		for (int k = 0; k < ng; k++)
			if ((rc = decode_group(hdr, &gr[k], ns, dst + gr[k].first,
					       st + gr[k].first, err)))
				goto fail;
	}
	for (int s = 0; s < nsig; s++)
		if (hdr->sig[s].uncalibrated)
			bnn__wfdb_warn(&r.warn,
				       "signal %d (%s): no gain: uncalibrated, %g ADC units per %s assumed",
				       s, hdr->sig[s].desc, BNN_WFDB_DEFAULT_GAIN,
				       hdr->sig[s].units);
	if (!(flags & BNN_WFDB_NO_VERIFY) && total > 0 &&
	    (rc = verify(hdr, dst, ns, st, flags, &r.warn, err)))
		goto fail;
	free(gr);
	free(dst);
	free(st);
	*out = r;
	return BNN_OK;
fail:
	free(gr);
	free(dst);
	free(st);
	free(r.hdr.sig);
	free(r.data);
	return rc;
}

int bnn_wfdb_decode(const bnn_wfdb_header *hdr, const bnn_wfdb_blob *files,
		    size_t nfiles, unsigned flags, bnn_wfdb_record *out,
		    bnn_error *err)
{
	if (!out)
		return bnn__err(err, BNN_E_INVAL, "decode: NULL output");
	memset(out, 0, sizeof *out);
	if (!hdr || (!files && nfiles))
		return bnn__err(err, BNN_E_INVAL, "decode: bad argument");
	struct bnn__wfdb_src src = { .blobs = files, .nblobs = nfiles };
	int rc = bnn__wfdb_decode_src(hdr, &src, flags, out, err);
	bnn__wfdb_src_release(&src);
	return rc;
}

/* A record from a source: single- or multi-segment. */
static int record_from_src(const bnn_wfdb_header *h, struct bnn__wfdb_src *src,
			   unsigned flags, bnn_wfdb_record *out, bnn_error *err)
{
	if (h->nseg > 0)
		return bnn__wfdb_read_multi(h, src, flags, out, err);
	return bnn__wfdb_decode_src(h, src, flags, out, err);
}

int bnn_wfdb_record_from_memory(const char *hea, size_t hea_len,
				const bnn_wfdb_blob *files, size_t nfiles,
				unsigned flags, bnn_wfdb_record *out,
				bnn_error *err)
{
	if (out)
		memset(out, 0, sizeof *out);
	if (!out)
		return bnn__err(err, BNN_E_INVAL, "record: NULL output");
	if (!files && nfiles)
		return bnn__err(err, BNN_E_INVAL, "record: NULL files");
	bnn_wfdb_header h;
	int rc = bnn_wfdb_parse_header(hea, hea_len, &h, err);
	if (rc)
		return rc;
	struct bnn__wfdb_src src = { .blobs = files, .nblobs = nfiles };
	rc = record_from_src(&h, &src, flags, out, err);
	bnn__wfdb_src_release(&src);
	bnn_wfdb_header_free(&h);
	return rc;
}

int bnn_wfdb_read_record(const char *dir, const char *record, unsigned flags,
			 bnn_wfdb_record *out, bnn_error *err)
{
	if (out)
		memset(out, 0, sizeof *out);
	if (!dir || !record || !out)
		return bnn__err(err, BNN_E_INVAL, "read_record: NULL argument");
	if (!valid_record_name(record, strlen(record)))
		return bnn__err(err, BNN_E_INVAL, "read_record: bad record name");

	char path[4096];
	int rc = bnn__path_join(path, sizeof path, dir, record, "hea", err);
	if (rc)
		return rc;
	bnn_wfdb_header h;
	if ((rc = bnn_wfdb_read_header(path, &h, err)))
		return rc;
	if (strcmp(h.name, record)) {
		rc = bnn__err(err, BNN_E_PARSE,
			      "%s: header names record '%s'", path, h.name);
		bnn_wfdb_header_free(&h);
		return rc;
	}
	struct bnn__wfdb_src src = { .dir = dir, .what = path };
	rc = record_from_src(&h, &src, flags, out, err);
	if (rc)
		bnn__err_prefix(err, record);
	bnn__wfdb_src_release(&src);
	bnn_wfdb_header_free(&h);
	return rc;
}

/* ---------------------------------------------------------------------
 * Annotations
 * --------------------------------------------------------------------- */

enum { A_SKIP = 59, A_NUM = 60, A_SUB = 61, A_CHN = 62, A_AUX = 63 };

void bnn_wfdb_annlist_free(bnn_wfdb_annlist *a)
{
	if (!a)
		return;
	free(a->ann);
	free(a->pool);
	memset(a, 0, sizeof *a);
}

/* NUM and SUB are signed chars, CHN an unsigned char in the WFDB library's
 * annotation structure: only the low 8 bits of I count. */
static int schar(unsigned v)
{
	return (int)(int8_t)(uint8_t)(v & 0xff);
}

/* A note at time 0 "## time resolution: F" (WFDB writes it when the
 * annotation times count at another rate than the record's frames, e.g.
 * gqrs -H): the first one sets *fs; 1 when `a` is such a note. */
static int time_resolution(const bnn_wfdb_ann *a, double *fs)
{
	static const char key[] = "## time resolution: ";
	char *end;

	if (a->code != 22 || a->sample != 0 || *fs > 0 ||
	    strncmp(a->aux, key, sizeof key - 1))
		return 0;
	errno = 0;
	double v = strtod(a->aux + sizeof key - 1, &end);
	if (errno || end == a->aux + sizeof key - 1 || *end ||
	    !(v > 0 && v <= 1e12))
		return 0;
	*fs = v;
	return 1;
}

int bnn_wfdb_parse_ann(const uint8_t *buf, size_t len, bnn_wfdb_annlist *out,
		       bnn_error *err)
{
	if (!out)
		return bnn__err(err, BNN_E_INVAL, "annotations: NULL output");
	memset(out, 0, sizeof *out);
	if (!buf && len)
		return bnn__err(err, BNN_E_INVAL, "annotations: NULL buffer");

	bnn_wfdb_annlist a = { 0 };
	size_t cap = 0, pos = 0, poolused = 0;
	int64_t t = 0;
	int chan = 0, num = 0, rc, have_aux = 0;
	/* The annotation last read lies before sample 0: it and its
	 * modifiers are dropped (its NUM and CHN still carry over). */
	int dropped = 0;
	size_t ndropped = 0;
	int64_t first_drop = 0;
	bnn_wfdb_ann scratch;

	/* Aux text never takes more room than the file itself. */
	a.pool = bnn__malloc(len + 1);
	if (!a.pool)
		return bnn__err(err, BNN_E_NOMEM, "annotations: out of memory");

	for (;;) {
		if (len - pos < 2) {
			rc = bnn__err(err, BNN_E_TRUNCATED,
				      pos == len ? "annotations: no end-of-file word (truncated)"
						 : "annotations: odd trailing byte (truncated)");
			goto fail;
		}
		unsigned w = (unsigned)buf[pos] | (unsigned)buf[pos + 1] << 8;
		unsigned A = w >> 10, I = w & 0x3ff;
		size_t at = pos;
		pos += 2;
		if (A == 0 && I != 0) {
			/* NOTQRS, "not an annotation": WFDB's tools write one
			 * (after a SKIP of -1) behind a note at time 0.  Its
			 * time counts; it and its modifiers are dropped, as
			 * the wfdb package's rdann drops them. */
			t += I;
			have_aux = 0;
			dropped = 1;
			scratch = (bnn_wfdb_ann){ .sample = t, .chan = chan,
						  .num = num };
			continue;
		}
		if (A == 0) {
			for (size_t k = pos; k < len; k++)
				if (buf[k]) {
					rc = bnn__err(err, BNN_E_CORRUPT,
						      "annotations: data after the end-of-file word (byte %zu)",
						      k);
					goto fail;
				}
			break;
		}
		if (A <= BNN_WFDB_ACMAX) {
			if (t > INT64_MAX - 1023) {
				rc = bnn__err(err, BNN_E_CORRUPT,
					      "annotations: byte %zu: time overflows", at);
				goto fail;
			}
			t += I;
			have_aux = 0;
			if (t < 0) {
				if (!ndropped++)
					first_drop = t;
				dropped = 1;
				scratch = (bnn_wfdb_ann){ .sample = t, .code = (int)A,
							  .chan = chan, .num = num };
				continue;
			}
			dropped = 0;
			if (a.n == cap) {
				size_t ncap = cap ? cap * 2 : 1024, bytes;
				if (bnn__mul(ncap, sizeof *a.ann, &bytes)) {
					rc = bnn__err(err, BNN_E_NOMEM,
						      "annotations: too many");
					goto fail;
				}
				bnn_wfdb_ann *na = bnn__realloc(a.ann, bytes);
				if (!na) {
					rc = bnn__err(err, BNN_E_NOMEM,
						      "annotations: out of memory");
					goto fail;
				}
				a.ann = na;
				cap = ncap;
			}
			a.ann[a.n++] = (bnn_wfdb_ann){ .sample = t, .code = (int)A,
						       .chan = chan, .num = num };
			continue;
		}
		if (A < A_SKIP) {
			rc = bnn__err(err, BNN_E_CORRUPT,
				      "annotations: byte %zu: invalid code %u", at, A);
			goto fail;
		}
		if (A == A_SKIP) {
			if (len - pos < 4) {
				rc = bnn__err(err, BNN_E_TRUNCATED,
					      "annotations: byte %zu: SKIP interval cut short",
					      at);
				goto fail;
			}
			uint32_t hi = (uint32_t)buf[pos] | (uint32_t)buf[pos + 1] << 8;
			uint32_t lo = (uint32_t)buf[pos + 2] | (uint32_t)buf[pos + 3] << 8;
			int32_t d = (int32_t)(hi << 16 | lo);
			pos += 4;
			if ((d < 0 && t < INT64_MIN / 2) ||
			    (d > 0 && t > INT64_MAX - 1024 - d)) {
				rc = bnn__err(err, BNN_E_CORRUPT,
					      "annotations: byte %zu: SKIP %d makes the time overflow",
					      at, (int)d);
				goto fail;
			}
			t += d;
			continue;
		}
		/* NUM, SUB, CHN, AUX modify the preceding annotation. */
		if (a.n == 0 && !dropped && !ndropped) {
			rc = bnn__err(err, BNN_E_CORRUPT,
				      "annotations: byte %zu: modifier %u before the first annotation",
				      at, A);
			goto fail;
		}
		bnn_wfdb_ann *cur = dropped || a.n == 0 ? &scratch : &a.ann[a.n - 1];
		switch (A) {
		case A_NUM:
			cur->num = num = schar(I);
			break;
		case A_SUB:
			cur->subtype = schar(I);
			break;
		case A_CHN:
			cur->chan = chan = (int)(I & 0xff);
			break;
		case A_AUX: {
			I &= 0xff;	/* the high bits are not part of the length */
			size_t padded = I + (I & 1);
			if (len - pos < padded) {
				rc = bnn__err(err, BNN_E_TRUNCATED,
					      "annotations: byte %zu: AUX text of %u bytes cut short",
					      at, I);
				goto fail;
			}
			if (have_aux) {
				rc = bnn__err(err, BNN_E_CORRUPT,
					      "annotations: byte %zu: second AUX for one annotation",
					      at);
				goto fail;
			}
			if (cur == &scratch) {
				pos += padded;
				have_aux = 1;
				break;
			}
			/* poolused + I + 1 <= pos <= len: each AUX uses 2 + I bytes. */
			memcpy(a.pool + poolused, buf + pos, I);
			a.pool[poolused + I] = '\0';
			cur->aux = a.pool + poolused;
			cur->aux_len = I;
			pos += padded;
			have_aux = 1;
			if (time_resolution(cur, &a.fs)) {
				/* File metadata, not an annotation. */
				scratch = *cur;
				a.n--;
				dropped = 1;
				break;
			}
			poolused += (size_t)I + 1;
			break;
		}
		}
	}
	if (ndropped)
		bnn__wfdb_warn(&a.warn,
			       "%zu annotation(s) before sample 0 dropped (the first at sample %lld)",
			       ndropped, (long long)first_drop);
	*out = a;
	return BNN_OK;
fail:
	free(a.ann);
	free(a.pool);
	return rc;
}

int bnn_wfdb_read_ann(const char *path, bnn_wfdb_annlist *out, bnn_error *err)
{
	if (out)
		memset(out, 0, sizeof *out);
	if (!path || !out)
		return bnn__err(err, BNN_E_INVAL, "read_ann: NULL argument");
	uint8_t *buf;
	size_t len;
	int rc = bnn_read_file(path, ANN_FILE_MAX, &buf, &len, err);
	if (rc)
		return rc;
	rc = bnn_wfdb_parse_ann(buf, len, out, err);
	free(buf);
	if (rc)
		bnn__err_prefix(err, path);
	return rc;
}

int bnn_wfdb_read_annotations(const char *dir, const char *record,
			      const char *annotator, bnn_wfdb_annlist *out,
			      bnn_error *err)
{
	if (out)
		memset(out, 0, sizeof *out);
	if (!dir || !record || !annotator || !out)
		return bnn__err(err, BNN_E_INVAL,
				"read_annotations: NULL argument");
	if (!valid_record_name(record, strlen(record)) ||
	    !valid_record_name(annotator, strlen(annotator)))
		return bnn__err(err, BNN_E_INVAL,
				"read_annotations: bad record or annotator name");
	char path[4096];
	int rc = bnn__path_join(path, sizeof path, dir, record, annotator, err);
	if (rc)
		return rc;
	return bnn_wfdb_read_ann(path, out, err);
}

/* Mnemonics of the WFDB annotation codes (ecgcodes.h); NULL = unassigned. */
static const char *const ann_sym[BNN_WFDB_ACMAX + 1] = {
	[1] = "N", [2] = "L", [3] = "R", [4] = "a", [5] = "V", [6] = "F",
	[7] = "J", [8] = "A", [9] = "S", [10] = "E", [11] = "j", [12] = "/",
	[13] = "Q", [14] = "~", [16] = "|", [18] = "s", [19] = "T", [20] = "*",
	[21] = "D", [22] = "\"", [23] = "=", [24] = "p", [25] = "B",
	[26] = "^", [27] = "t", [28] = "+", [29] = "u", [30] = "?", [31] = "!",
	[32] = "[", [33] = "]", [34] = "e", [35] = "n", [36] = "@", [37] = "x",
	[38] = "f", [39] = "(", [40] = ")", [41] = "r",
};

const char *bnn_wfdb_ann_symbol(int code)
{
	if (code < 0 || code > BNN_WFDB_ACMAX)
		return NULL;
	return ann_sym[code];
}

int bnn_wfdb_ann_code(const char *symbol)
{
	if (!symbol)
		return BNN_E_INVAL;
	for (int c = 1; c <= BNN_WFDB_ACMAX; c++)
		if (ann_sym[c] && !strcmp(ann_sym[c], symbol))
			return c;
	return BNN_E_NOTFOUND;
}
