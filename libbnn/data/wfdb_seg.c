// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * wfdb_seg.c - libbnn data: where WFDB files come from (a folder or
 * in-memory blobs) and multi-segment records (header(5): a master header
 * of segment lines, each segment an ordinary record; fixed layout, or a
 * variable layout given by a first, empty layout segment).
 */
#define BNN_DATA_INTERNAL
#include "wfdb_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Relative path without "..", "." or empty components. */
static int safe_relative(const char *f)
{
	if (!*f || *f == '/')
		return 0;
	const char *p = f;
	for (;;) {
		const char *q = strchr(p, '/');
		size_t n = q ? (size_t)(q - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!q)
			return 1;
		p = q + 1;
	}
}

int bnn__wfdb_src_get(struct bnn__wfdb_src *s, const char *name,
		      const uint8_t **data, size_t *len, bnn_error *err)
{
	if (!s->dir) {
		for (size_t f = 0; f < s->nblobs; f++)
			if (s->blobs[f].name && !strcmp(s->blobs[f].name, name) &&
			    (s->blobs[f].data || s->blobs[f].len == 0)) {
				*data = s->blobs[f].data;
				*len = s->blobs[f].len;
				return BNN_OK;
			}
		return bnn__err(err, BNN_E_NOTFOUND, "file '%s' not provided",
				name);
	}
	if (!safe_relative(name))
		return bnn__err(err, BNN_E_UNSUPPORTED,
				"%s: file '%s' is not a plain relative path",
				s->what ? s->what : s->dir, name);
	if (s->nbufs == s->cap) {
		size_t ncap = s->cap ? 2 * s->cap : 8;
		uint8_t **nb = bnn__realloc(s->bufs, ncap * sizeof *nb);
		if (!nb)
			return bnn__err(err, BNN_E_NOMEM, "read: out of memory");
		s->bufs = nb;
		s->cap = ncap;
	}
	char path[4096];
	uint8_t *buf;
	int rc = bnn__path_join(path, sizeof path, s->dir, name, NULL, err);
	if (rc || (rc = bnn_read_file(path, 0, &buf, len, err)))
		return rc;
	s->bufs[s->nbufs++] = buf;
	*data = buf;
	return BNN_OK;
}

void bnn__wfdb_src_release(struct bnn__wfdb_src *s)
{
	for (size_t k = 0; k < s->nbufs; k++)
		free(s->bufs[k]);
	free(s->bufs);
	s->bufs = NULL;
	s->nbufs = s->cap = 0;
}

/* Parse segment header <name>.hea from the source. */
static int segment_header(struct bnn__wfdb_src *src, const char *name,
			  bnn_wfdb_header *h, bnn_error *err)
{
	char fn[BNN_WFDB_NAME_MAX + 8];
	const uint8_t *d;
	size_t len;
	memset(h, 0, sizeof *h);
	snprintf(fn, sizeof fn, "%s.hea", name);
	int rc = bnn__wfdb_src_get(src, fn, &d, &len, err);
	if (rc)
		return rc;
	if (len > BNN_WFDB_HEADER_MAX)
		return bnn__err(err, BNN_E_SIZE, "%s: %zu bytes (limit %zu)", fn,
				len, BNN_WFDB_HEADER_MAX);
	if ((rc = bnn_wfdb_parse_header((const char *)d, len, h, err))) {
		bnn__err_prefix(err, fn);
		return rc;
	}
	if (strcmp(h->name, name))
		rc = bnn__err(err, BNN_E_PARSE, "%s: header names record '%s'",
			      fn, h->name);
	else if (h->nseg > 0)
		rc = bnn__err(err, BNN_E_UNSUPPORTED,
			      "%s: a segment that is itself multi-segment", fn);
	if (rc)
		bnn_wfdb_header_free(h);
	return rc;
}

/* Copy segment signal `from` (its values v) into record signal `to`. */
static void place(int32_t *out, const int32_t *v, size_t n,
		  const bnn_wfdb_signal *from, const bnn_wfdb_signal *to,
		  int rescale)
{
	if (!rescale) {
		for (size_t i = 0; i < n; i++)
			out[i] = v[i] == from->invalid ? to->invalid : v[i];
		return;
	}
	double k = to->gain / from->gain;
	for (size_t i = 0; i < n; i++) {
		if (v[i] == from->invalid) {
			out[i] = to->invalid;
			continue;
		}
		double x = round(((double)v[i] - from->baseline) * k + to->baseline);
		out[i] = x > INT32_MAX ? INT32_MAX : x < INT32_MIN ? INT32_MIN
			 : (int32_t)x;
	}
}

/* Layout signal a segment's signal `ss` belongs to: the first not yet
 * used one of the same description; -1 if none. */
static int match(const bnn_wfdb_header *lay, const int *used,
		 const bnn_wfdb_signal *ss)
{
	for (int k = 0; k < lay->nsig; k++)
		if (!used[k] && !strcmp(lay->sig[k].desc, ss->desc))
			return k;
	return -1;
}

/*
 * Variable layout: each record signal is stored as in the first segment
 * that has it (format, gain, baseline, units...: what the WFDB Python
 * package reports too); the layout header only names and orders the
 * signals and gives their samples per frame, and the calibration of the
 * signals no segment has.
 */
static int calibrate(const bnn_wfdb_header *mh, struct bnn__wfdb_src *src,
		     const bnn_wfdb_header *lay, bnn_wfdb_signal *out,
		     bnn_error *err)
{
	int done[BNN_WFDB_MAX_SIGNALS] = { 0 };
	for (int i = 1; i < mh->nseg; i++) {
		if (!strcmp(mh->seg[i].name, "~"))
			continue;
		bnn_wfdb_header sh;
		int used[BNN_WFDB_MAX_SIGNALS] = { 0 };
		int rc = segment_header(src, mh->seg[i].name, &sh, err);
		bnn__wfdb_src_release(src);
		if (rc)
			return rc;
		for (int s = 0; s < sh.nsig; s++) {
			int k = match(lay, used, &sh.sig[s]);
			if (k < 0)
				continue;
			used[k] = 1;
			if (done[k]++)
				continue;
			out[k] = sh.sig[s];
			out[k].spf = lay->sig[k].spf;
			out[k].skew = 0;
			out[k].has_checksum = out[k].has_init_value = 0;
			out[k].group = lay->sig[k].group;
		}
		bnn_wfdb_header_free(&sh);
	}
	return BNN_OK;
}

int bnn__wfdb_read_multi(const bnn_wfdb_header *mh, struct bnn__wfdb_src *src,
			 unsigned flags, bnn_wfdb_record *out, bnn_error *err)
{
	memset(out, 0, sizeof *out);
	int nseg = mh->nseg, variable = mh->seg[0].nsamples == 0, rc;
	bnn_wfdb_record r = { 0 };
	bnn_wfdb_header lay = { 0 };
	int32_t **dst = NULL;

	/* Total length. */
	int64_t total = 0;
	for (int i = 0; i < nseg; i++)
		if (__builtin_add_overflow(total, mh->seg[i].nsamples, &total))
			return bnn__err(err, BNN_E_RANGE,
					"%s: segment lengths overflow", mh->name);
	if (mh->nsamples && mh->nsamples != total)
		return bnn__err(err, BNN_E_PARSE,
				"%s: segments add up to %lld samples, record line says %lld",
				mh->name, (long long)total,
				(long long)mh->nsamples);

	/* The record's signals: the layout header, or the first segment. */
	int first = variable ? 0 : -1;
	for (int i = 0; i < nseg && first < 0; i++)
		if (strcmp(mh->seg[i].name, "~"))
			first = i;
	if (first >= 0) {
		if ((rc = segment_header(src, mh->seg[first].name, &lay, err)))
			goto fail;
		if (lay.nsig != mh->seg_nsig) {
			rc = bnn__err(err, BNN_E_PARSE,
				      "%s: %d signals, record says %d",
				      mh->seg[first].name, lay.nsig, mh->seg_nsig);
			goto fail;
		}
	} else if (mh->seg_nsig > 0) {
		rc = bnn__err(err, BNN_E_PARSE,
			      "%s: only null segments, no signal is described",
			      mh->name);
		goto fail;
	}
	r.hdr = *mh;
	r.hdr.sig = NULL;
	r.hdr.seg = NULL;
	r.hdr.nsig = lay.nsig;
	r.hdr.ngroups = lay.ngroups;
	r.hdr.nsamples = total;
	r.nsamples = total;
	if (lay.nsig > 0) {
		r.hdr.sig = bnn__malloc((size_t)lay.nsig * sizeof *r.hdr.sig);
		dst = bnn__calloc((size_t)lay.nsig, sizeof *dst);
		if (!r.hdr.sig || !dst) {
			rc = bnn__err(err, BNN_E_NOMEM, "%s: out of memory", mh->name);
			goto fail;
		}
		memcpy(r.hdr.sig, lay.sig, (size_t)lay.nsig * sizeof *r.hdr.sig);
	}
	if (variable && (rc = calibrate(mh, src, &lay, r.hdr.sig, err)))
		goto fail;
	r.hdr.seg = bnn__malloc((size_t)nseg * sizeof *r.hdr.seg);
	if (!r.hdr.seg) {
		rc = bnn__err(err, BNN_E_NOMEM, "%s: out of memory", mh->name);
		goto fail;
	}
	memcpy(r.hdr.seg, mh->seg, (size_t)nseg * sizeof *r.hdr.seg);
	/* Cap before allocating: every segment has to be read anyway. */
	size_t count = 0;
	for (int s = 0; s < lay.nsig; s++) {
		size_t n;
		if ((uint64_t)total > SIZE_MAX ||
		    bnn__mul((size_t)total, (size_t)lay.sig[s].spf, &n) ||
		    __builtin_add_overflow(count, n, &count) ||
		    count > BNN_MAX_VALUES * 4) {
			rc = bnn__err(err, BNN_E_RANGE,
				      "%s: %lld frames is too many", mh->name,
				      (long long)total);
			goto fail;
		}
	}
	if (count > 0) {
		r.data = bnn__malloc(count * sizeof *r.data);
		if (!r.data) {
			rc = bnn__err(err, BNN_E_NOMEM, "%s: out of memory",
				      mh->name);
			goto fail;
		}
		size_t off = 0;
		for (int s = 0; s < lay.nsig; s++) {
			dst[s] = r.data + off;
			off += (size_t)total * (size_t)lay.sig[s].spf;
		}
	}

	int64_t at = 0;		/* first frame of the segment */
	for (int i = 0; i < nseg; i++) {
		const bnn_wfdb_segment *sm = &mh->seg[i];
		int64_t len = sm->nsamples;
		if (variable && i == 0)
			continue;
		int used[BNN_WFDB_MAX_SIGNALS] = { 0 };
		if (strcmp(sm->name, "~")) {
			bnn_wfdb_header sh;
			bnn_wfdb_record sr;
			if ((rc = segment_header(src, sm->name, &sh, err)))
				goto fail;
			rc = BNN_OK;
			if (fabs(sh.fs - mh->fs) > 1e-9 * mh->fs)
				rc = bnn__err(err, BNN_E_UNSUPPORTED,
					      "segment %s: %g Hz, record %g Hz",
					      sm->name, sh.fs, mh->fs);
			else if (!variable && sh.nsig != lay.nsig)
				rc = bnn__err(err, BNN_E_PARSE,
					      "segment %s: %d signals in a fixed-layout record of %d",
					      sm->name, sh.nsig, lay.nsig);
			if (!rc && (sh.nsamples == 0 || sh.nsamples == len))
				sh.nsamples = len;
			else if (!rc)
				rc = bnn__err(err, BNN_E_PARSE,
					      "segment %s: %lld samples, record line says %lld",
					      sm->name, (long long)sh.nsamples,
					      (long long)len);
			if (!rc)
				rc = bnn__wfdb_decode_src(&sh, src, flags, &sr, err);
			bnn__wfdb_src_release(src);
			if (rc) {
				bnn__err_prefix(err, sm->name);
				bnn_wfdb_header_free(&sh);
				goto fail;
			}
			for (int w = 0; w < sr.warn.n; w++)
				bnn__wfdb_warn(&r.warn, "segment %s: %s", sm->name,
					       sr.warn.msg[w]);
			r.warn.dropped += sr.warn.dropped;
			for (int s = 0; s < sh.nsig; s++) {
				const bnn_wfdb_signal *ss = &sh.sig[s];
				int to = variable ? match(&lay, used, ss) : s;
				if (to < 0) {
					bnn__wfdb_warn(&r.warn,
						       "segment %s: signal %d (%s) is not in the layout, skipped",
						       sm->name, s, ss->desc);
					continue;
				}
				const bnn_wfdb_signal *ts = &r.hdr.sig[to];
				if (ss->spf != ts->spf) {
					rc = bnn__err(err, BNN_E_PARSE,
						      "segment %s: signal %d (%s) has %d samples per frame, the record %d",
						      sm->name, s, ss->desc, ss->spf,
						      ts->spf);
					bnn_wfdb_record_free(&sr);
					bnn_wfdb_header_free(&sh);
					goto fail;
				}
				int differ = ss->gain != ts->gain ||
					     ss->baseline != ts->baseline;
				int rescale = variable && differ;
				if (differ || (!variable && ss->format != ts->format))
					bnn__wfdb_warn(&r.warn,
						       variable ? "segment %s: signal %d (%s) rescaled from gain %g baseline %d to the layout's %g, %d"
								: "segment %s: signal %d (%s) has gain %g baseline %d (or format), the record %g, %d: copied as stored",
						       sm->name, s, ss->desc, ss->gain,
						       (int)ss->baseline, ts->gain,
						       (int)ts->baseline);
				size_t spf = (size_t)ts->spf;
				place(dst[to] + (size_t)at * spf,
				      bnn_wfdb_samples(&sr, s), (size_t)len * spf,
				      ss, ts, rescale);
				used[to] = 1;
			}
			bnn_wfdb_record_free(&sr);
			bnn_wfdb_header_free(&sh);
		}
		/* Null segments and signals the segment lacks: gaps. */
		for (int s = 0; s < lay.nsig; s++) {
			if (used[s])
				continue;
			size_t spf = (size_t)lay.sig[s].spf;
			int32_t *o = dst[s] + (size_t)at * spf;
			for (size_t j = 0; j < (size_t)len * spf; j++)
				o[j] = r.hdr.sig[s].invalid;
		}
		at += len;
	}
	free(dst);
	bnn_wfdb_header_free(&lay);
	*out = r;
	return BNN_OK;
fail:
	free(dst);
	bnn_wfdb_header_free(&lay);
	bnn_wfdb_record_free(&r);
	return rc;
}
