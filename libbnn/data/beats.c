// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * beats.c - libbnn data: AAMI EC57 beat classes, the MIT-BIH split file
 * and heartbeat window extraction (resampling: resample.c).
 */
#include "beats_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ---------------------------------------------------------------------
 * AAMI classes
 * --------------------------------------------------------------------- */

static const char *const aami_names[BNN_AAMI_NCLASS] = { "N", "S", "V", "F",
							  "Q" };

/* Default class members as annotation mnemonics. */
static const char *const aami_default[BNN_AAMI_NCLASS] = {
	"N L R e j", "A a J S", "V E", "F", "/ f Q",
};

const char *bnn_aami_name(int cls)
{
	return cls >= 0 && cls < BNN_AAMI_NCLASS ? aami_names[cls] : NULL;
}

void bnn_aami_default_map(signed char map[BNN_AAMI_MAP_SIZE])
{
	if (!map)
		return;
	memset(map, -1, BNN_AAMI_MAP_SIZE);
	for (int c = 0; c < BNN_AAMI_NCLASS; c++) {
		const char *p = aami_default[c];
		while (*p) {
			char sym[2] = { *p, 0 };
			int code = bnn_wfdb_ann_code(sym);
			if (code > 0)
				map[code] = (signed char)c;
			p++;
			while (*p == ' ')
				p++;
		}
	}
}

/* ---------------------------------------------------------------------
 * Split file
 * --------------------------------------------------------------------- */

static int is_blank_c(char c)
{
	return c == ' ' || c == '\t';
}

static int valid_recname(const char *s, size_t n)
{
	if (n == 0 || n >= BNN_RECNAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int bnn_aami_split_find(const bnn_aami_split *sp, const char *record)
{
	if (!sp || !record)
		return BNN_E_INVAL;
	for (int s = 0; s < BNN_SET_COUNT; s++)
		for (size_t i = 0; i < sp->nrec[s] && i < BNN_SPLIT_MAX_RECORDS;
		     i++)
			if (!strcmp(sp->rec[s][i], record))
				return s;
	return BNN_E_NOTFOUND;
}

int bnn_aami_split_parse(const char *text, size_t len, bnn_aami_split *out,
			 bnn_error *err)
{
	static const char *const keys[] = { "DS1", "DS2", "PACED_EXCLUDED",
					     "AAMI_N", "AAMI_S", "AAMI_V",
					     "AAMI_F", "AAMI_Q" };
	enum { NKEYS = sizeof keys / sizeof keys[0] };

	if (!out)
		return bnn__err(err, BNN_E_INVAL, "split: NULL output");
	memset(out, 0, sizeof *out);
	if (!text && len)
		return bnn__err(err, BNN_E_INVAL, "split: NULL text");

	/* Large (12 KiB): build on the heap, copy out at the end. */
	bnn_aami_split *sp = bnn__calloc(1, sizeof *sp);
	if (!sp)
		return bnn__err(err, BNN_E_NOMEM, "split: out of memory");
	memset(sp->map, -1, sizeof sp->map);

	struct bnn__lines L = { text, text + len, 0 };
	const char *s = NULL, *e = NULL;
	int seen[NKEYS] = { 0 }, rc, any_map = 0;
	char shown[48];

	while ((rc = bnn__next_line(&L, &s, &e, 65536, err)) == 1) {
		while (s < e && is_blank_c(*s))
			s++;
		if (s == e || *s == '#')
			continue;
		const char *k = s;
		while (s < e && !is_blank_c(*s))
			s++;
		size_t kn = (size_t)(s - k);
		int key = -1;
		for (int i = 0; i < NKEYS; i++)
			if (strlen(keys[i]) == kn && !memcmp(keys[i], k, kn))
				key = i;
		if (key < 0) {
			bnn__show(shown, sizeof shown, k, kn);
			rc = bnn__err(err, BNN_E_PARSE,
				      "split: line %zu: unknown key '%s'",
				      L.lineno, shown);
			goto fail;
		}
		if (seen[key]++) {
			rc = bnn__err(err, BNN_E_PARSE,
				      "split: line %zu: key %s repeated",
				      L.lineno, keys[key]);
			goto fail;
		}
		size_t nval = 0;
		for (;;) {
			while (s < e && is_blank_c(*s))
				s++;
			if (s == e)
				break;
			const char *v = s;
			while (s < e && !is_blank_c(*s))
				s++;
			size_t vn = (size_t)(s - v);
			nval++;
			bnn__show(shown, sizeof shown, v, vn);
			if (key < BNN_SET_COUNT) {
				if (!valid_recname(v, vn)) {
					rc = bnn__err(err, BNN_E_PARSE,
						      "split: line %zu: bad record name '%s'",
						      L.lineno, shown);
					goto fail;
				}
				if (sp->nrec[key] == BNN_SPLIT_MAX_RECORDS) {
					rc = bnn__err(err, BNN_E_RANGE,
						      "split: line %zu: more than %d records in %s",
						      L.lineno,
						      BNN_SPLIT_MAX_RECORDS,
						      keys[key]);
					goto fail;
				}
				char name[BNN_RECNAME_MAX];
				memcpy(name, v, vn);
				name[vn] = '\0';
				int prev = bnn_aami_split_find(sp, name);
				if (prev >= 0) {
					rc = bnn__err(err, BNN_E_PARSE,
						      "split: line %zu: record %s already listed in %s",
						      L.lineno, name, keys[prev]);
					goto fail;
				}
				memcpy(sp->rec[key][sp->nrec[key]++], name,
				       vn + 1);
			} else {
				int cls = key - BNN_SET_COUNT, code = -1;
				char sym[8];
				if (vn < sizeof sym) {
					memcpy(sym, v, vn);
					sym[vn] = '\0';
					code = bnn_wfdb_ann_code(sym);
				}
				if (code <= 0 || code >= BNN_AAMI_MAP_SIZE) {
					rc = bnn__err(err, BNN_E_PARSE,
						      "split: line %zu: unknown annotation symbol '%s'",
						      L.lineno, shown);
					goto fail;
				}
				if (sp->map[code] >= 0) {
					rc = bnn__err(err, BNN_E_PARSE,
						      "split: line %zu: symbol '%s' already in class %s",
						      L.lineno, shown,
						      aami_names[(int)sp->map[code]]);
					goto fail;
				}
				sp->map[code] = (signed char)cls;
				any_map = 1;
			}
		}
		if (nval == 0) {
			rc = bnn__err(err, BNN_E_PARSE,
				      "split: line %zu: key %s has no values",
				      L.lineno, keys[key]);
			goto fail;
		}
	}
	if (rc < 0) {
		bnn__err_prefix(err, "split");
		goto fail;
	}
	if (!seen[BNN_SET_DS1] || !seen[BNN_SET_DS2]) {
		rc = bnn__err(err, BNN_E_PARSE, "split: %s missing",
			      !seen[BNN_SET_DS1] ? "DS1" : "DS2");
		goto fail;
	}
	if (!any_map)
		bnn_aami_default_map(sp->map);
	sp->map_from_file = any_map;
	*out = *sp;
	free(sp);
	return BNN_OK;
fail:
	free(sp);
	return rc;
}

int bnn_aami_split_read(const char *path, bnn_aami_split *out, bnn_error *err)
{
	if (out)
		memset(out, 0, sizeof *out);
	if (!path || !out)
		return bnn__err(err, BNN_E_INVAL, "split_read: NULL argument");
	uint8_t *buf;
	size_t len;
	int rc = bnn_read_file(path, (size_t)1 << 20, &buf, &len, err);
	if (rc)
		return rc;
	rc = bnn_aami_split_parse((const char *)buf, len, out, err);
	free(buf);
	if (rc)
		bnn__err_prefix(err, path);
	return rc;
}

/* ---------------------------------------------------------------------
 * Beats
 * --------------------------------------------------------------------- */

void bnn_beat_opts_default(bnn_beat_opts *o)
{
	if (!o)
		return;
	memset(o, 0, sizeof *o);
	o->lead = "MLII";
	o->pre = 128;
	o->post = 128;
	o->norm = BNN_NORM_NONE;
	o->resample = BNN_RESAMPLE_SINC;
}

void bnn_beats_free(bnn_beats *b)
{
	if (!b)
		return;
	free(b->x);
	free(b->cls);
	free(b->code);
	free(b->sample);
	free(b->rhythm);
	memset(b, 0, sizeof *b);
}

int bnn__beat_opts_check(const bnn_beat_opts *o, bnn_error *err)
{
	if (o->pre < 0 || o->post < 0 ||
	    (long)o->pre + o->post < 1 ||
	    (long)o->pre + o->post > BNN_BEAT_MAX_WINDOW)
		return bnn__err(err, BNN_E_INVAL,
				"beats: window pre=%d post=%d (need pre, post >= 0, 1 <= pre+post <= %d)",
				o->pre, o->post, BNN_BEAT_MAX_WINDOW);
	if (!isfinite(o->fs) || o->fs < 0)
		return bnn__err(err, BNN_E_INVAL, "beats: bad output rate %g",
				o->fs);
	if (o->norm != BNN_NORM_NONE && o->norm != BNN_NORM_ZSCORE &&
	    o->norm != BNN_NORM_MV)
		return bnn__err(err, BNN_E_INVAL, "beats: unknown norm %d",
				(int)o->norm);
	if (o->resample != BNN_RESAMPLE_SINC &&
	    o->resample != BNN_RESAMPLE_LINEAR)
		return bnn__err(err, BNN_E_INVAL,
				"beats: unknown resample method %d",
				(int)o->resample);
	if (o->baseline != BNN_BASELINE_NONE &&
	    o->baseline != BNN_BASELINE_MEDIAN)
		return bnn__err(err, BNN_E_INVAL, "beats: unknown baseline %d",
				o->baseline);
	if (o->amp_norm != BNN_AMP_NONE && o->amp_norm != BNN_AMP_QRS)
		return bnn__err(err, BNN_E_INVAL,
				"beats: unknown amplitude normalisation %d",
				o->amp_norm);
	if (o->ref_beats < 0 || o->ref_beats > BNN_REF_BEATS_MAX)
		return bnn__err(err, BNN_E_INVAL,
				"beats: beat reference of %d beats (0 .. %d)",
				o->ref_beats, BNN_REF_BEATS_MAX);
	if (!isfinite(o->lowpass_hz) || o->lowpass_hz < 0)
		return bnn__err(err, BNN_E_INVAL, "beats: bad low-pass cut-off %g",
				o->lowpass_hz);
	if (o->map)
		for (int i = 0; i < BNN_AAMI_MAP_SIZE; i++)
			if (o->map[i] < -1 || o->map[i] >= BNN_AAMI_NCLASS)
				return bnn__err(err, BNN_E_INVAL,
						"beats: class map entry %d is %d",
						i, o->map[i]);
	return BNN_OK;
}

void bnn__geom_init(struct bnn__geom *g, double fs_in, const bnn_beat_opts *o,
		    int64_t n)
{
	g->fs_in = fs_in;
	g->fs_out = o->fs > 0 ? o->fs : fs_in;
	g->same = g->fs_out == fs_in;
	g->r = fs_in / g->fs_out;
	g->n = n;
	g->pre = o->pre;
	g->post = o->post;
}

int bnn__window_fits(const struct bnn__geom *g, int64_t s)
{
	if (s < 0 || s >= g->n)
		return 0;
	if (g->same)
		return s >= g->pre && g->n - s >= g->post;
	double first = (double)s - g->pre * g->r;
	double last = (double)s + (g->post - 1) * g->r;
	return first >= -1e-9 && last <= (double)(g->n - 1) + 1e-9;
}

static int beat_class(const signed char *map, int code)
{
	if (code < 0 || code >= BNN_AAMI_MAP_SIZE)
		return -1;
	return map[code];
}

int bnn_beats_count(const bnn_wfdb_header *h, const bnn_wfdb_annlist *ann,
		    const bnn_beat_opts *o, size_t count[BNN_AAMI_NCLASS],
		    size_t dropped[BNN_AAMI_NCLASS], bnn_error *err)
{
	if (!h || !ann || !o || !count || !dropped || (ann->n && !ann->ann))
		return bnn__err(err, BNN_E_INVAL, "beats_count: NULL argument");
	int rc = bnn__beat_opts_check(o, err);
	if (rc)
		return rc;
	if (!bnn__rate_ok(h->fs))
		return bnn__err(err, BNN_E_INVAL, "beats_count: bad record rate");
	if (h->nsamples <= 0)
		return bnn__err(err, BNN_E_RANGE,
				"beats_count: record %s gives no sample count",
				h->name);
	signed char defmap[BNN_AAMI_MAP_SIZE];
	const signed char *map = o->map;
	if (!map) {
		bnn_aami_default_map(defmap);
		map = defmap;
	}
	struct bnn__geom g;
	bnn__geom_init(&g, h->fs, o, h->nsamples);
	for (size_t i = 0; i < ann->n; i++) {
		int c = beat_class(map, ann->ann[i].code);
		if (c < 0)
			continue;
		if (bnn__window_fits(&g, ann->ann[i].sample))
			count[c]++;
		else
			dropped[c]++;
	}
	return BNN_OK;
}

static int mv_scale(const char *units, double *scale)
{
	if (!strcmp(units, "mV"))
		*scale = 1.0;
	else if (!strcmp(units, "uV") || !strcmp(units, "\xc2\xb5V"))
		*scale = 1e-3;
	else if (!strcmp(units, "V"))
		*scale = 1e3;
	else
		return -1;
	return 0;
}

/* Rhythm rows of the kept beats: features of all nb beat times, row
 * keep[k] for kept beat k; NaN when the record has no RR intervals. */
static void fill_rhythm(const int64_t *times, size_t nb, const size_t *keep,
			size_t n, double fs, float *feat, float *rhythm)
{
	int ok = nb >= 2 &&
		 bnn_rhythm_features(times, nb, fs, feat, NULL) == BNN_OK;
	for (size_t k = 0; k < n; k++)
		for (int f = 0; f < BNN_FEAT_COUNT; f++)
			rhythm[k * BNN_FEAT_COUNT + f] =
				ok ? feat[keep[k] * BNN_FEAT_COUNT + f] : NAN;
}

long long bnn__out_centre(const struct bnn__geom *g, int64_t s)
{
	return g->same ? (long long)s : llround((double)s * g->fs_out / g->fs_in);
}

/* Steps 1-4 of the preprocessing (bnn_data.h): the whole lead, processed,
 * at the output rate: *y (malloc'ed), *m samples. */
static int process_lead(const int32_t *src, int64_t n, const bnn_wfdb_signal *sg,
			const bnn_beat_opts *o, const struct bnn__geom *g,
			double unit, float **y, size_t *m, bnn_error *err)
{
	size_t nbytes, ns = (size_t)n;
	float *a = NULL, *b = NULL;
	*y = NULL;
	if (bnn__mul(ns, sizeof *a, &nbytes) || !(a = bnn__malloc(nbytes)))
		return bnn__err(err, BNN_E_NOMEM, "beats: out of memory");
	double base = o->norm == BNN_NORM_MV ? sg->baseline : 0;
	double sc = o->norm == BNN_NORM_MV ? unit / sg->gain : 1;
	for (size_t i = 0; i < ns; i++)
		a[i] = (float)(((double)src[i] - base) * sc);
	int rc = BNN_OK;
	if (!g->same) {
		rc = bnn_resample(a, ns, g->fs_in, g->fs_out, o->resample, &b,
				  &ns, err);
		free(a);
		if (rc)
			return rc;
		a = b;
		b = NULL;
	}
	if (o->baseline == BNN_BASELINE_MEDIAN &&
	    (rc = bnn_baseline_median(a, ns, g->fs_out, a, err)))
		goto fail;
	if (o->lowpass_hz > 0) {
		if (!(b = bnn__malloc(ns * sizeof *b))) {
			rc = bnn__err(err, BNN_E_NOMEM, "beats: out of memory");
			goto fail;
		}
		if ((rc = bnn_lowpass(a, ns, g->fs_out, o->lowpass_hz, b, err)))
			goto fail;
		free(a);
		a = b;
		b = NULL;
	}
	*y = a;
	*m = ns;
	return BNN_OK;
fail:
	free(a);
	free(b);
	return rc;
}

void bnn__qrs_reach(double fs_out, long long *before, long long *after)
{
	*before = lround(0.05 * fs_out);
	*after = lround(0.08 * fs_out);
}

double bnn__qrs_amp(const float *y, int64_t off, int64_t m, long long c,
		    long long before, long long after)
{
	long long a = c - before, b = c + after;
	a = a < 0 ? 0 : a > m - 1 ? m - 1 : a;
	b = b < 0 ? 0 : b > m - 1 ? m - 1 : b;
	float lo = y[a - off], hi = y[a - off];
	for (long long i = a + 1; i <= b; i++) {
		lo = y[i - off] < lo ? y[i - off] : lo;
		hi = y[i - off] > hi ? y[i - off] : hi;
	}
	return (double)hi - lo;
}

double bnn__median_small(const double *amp, size_t n)
{
	double v[BNN__QRS_HISTORY];
	size_t k = 0;
	for (size_t i = 0; i < n && i < BNN__QRS_HISTORY; i++) {
		size_t p = k++;		/* insertion sort */
		while (p > 0 && v[p - 1] > amp[i]) {
			v[p] = v[p - 1];
			p--;
		}
		v[p] = amp[i];
	}
	return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

void bnn__amp_scale(float *y, size_t len, double sc)
{
	for (size_t q = 0; q < len; q++)
		y[q] = sc < 1e-6 ? 0.0f : (float)(y[q] / sc);
}

/* Step 6: scale of every beat (nb times), causal median of QRS amplitudes. */
static int qrs_scales(const float *y, size_t m, const struct bnn__geom *g,
		      const int64_t *times, size_t nb, double *scale,
		      bnn_error *err)
{
	double *amp = bnn__malloc((nb ? nb : 1) * sizeof *amp);
	if (!amp)
		return bnn__err(err, BNN_E_NOMEM, "beats: out of memory");
	long long before, after;
	bnn__qrs_reach(g->fs_out, &before, &after);
	for (size_t j = 0; j < nb; j++)
		amp[j] = bnn__qrs_amp(y, 0, (int64_t)m,
				      bnn__out_centre(g, times[j]), before,
				      after);
	for (size_t j = 0; j < nb; j++) {
		size_t first = j + 1 > BNN__QRS_HISTORY ?
			       j + 1 - BNN__QRS_HISTORY : 0;
		scale[j] = bnn__median_small(amp + first, j + 1 - first);
	}
	free(amp);
	return BNN_OK;
}

void bnn__zscore_window(float *y, size_t len)
{
	double mean = 0, var = 0;
	for (size_t j = 0; j < len; j++)
		mean += y[j];
	mean /= (double)len;
	for (size_t j = 0; j < len; j++)
		var += ((double)y[j] - mean) * ((double)y[j] - mean);
	double sd = sqrt(var / (double)len);
	double inv = sd < 1e-9 ? 0.0 : 1.0 / sd;
	for (size_t j = 0; j < len; j++)
		y[j] = (float)(((double)y[j] - mean) * inv);
}

/* The kept beats of a record: the same for every lead. */
struct kept {
	const int64_t *times;	/* the nb beat annotation times, kept or not */
	size_t nb;
	const size_t *keep;	/* kept beat k is beat keep[k] of times */
	const int64_t *sample;	/* kept beat k's annotation sample */
	size_t n, len;		/* kept beats, samples per window */
};

/* Steps 1-8 (bnn_data.h) for one lead: the windows of the kept beats of
 * signal `sig` into x (n * len, beat-major). */
static int lead_windows(const bnn_wfdb_record *rec, int sig, double unit,
			const bnn_beat_opts *o, const struct bnn__geom *g,
			const struct kept *kb, float *x, bnn_error *err)
{
	const int32_t *src = bnn_wfdb_samples(rec, sig);
	const bnn_wfdb_signal *sg = &rec->hdr.sig[sig];
	int prep = o->baseline || o->lowpass_hz > 0 || o->amp_norm;
	float *lead = NULL;
	double *scale = NULL;
	size_t m = 0, len = kb->len;
	struct bnn__interp ip;
	int rc = BNN_OK;

	if (prep) {
		rc = process_lead(src, rec->nsamples, sg, o, g, unit, &lead, &m,
				  err);
		if (rc)
			return rc;
	} else if (!g->same) {
		size_t nbytes;

		if (bnn__mul((size_t)rec->nsamples, sizeof *lead, &nbytes) ||
		    !(lead = bnn__malloc(nbytes)))
			goto nomem;
		for (int64_t i = 0; i < rec->nsamples; i++)
			lead[i] = (float)src[i];
		bnn__interp_init(&ip, lead, 0, rec->nsamples, g->fs_in,
				 g->fs_out, o->resample);
	}
	for (size_t k = 0; k < kb->n; k++) {
		int64_t s = kb->sample[k];
		float *y = x + k * len;

		if (prep) {
			long long c0 = bnn__out_centre(g, s) - o->pre;

			for (size_t q = 0; q < len; q++) {
				long long t = c0 + (long long)q;

				t = t < 0 ? 0 : t > (long long)m - 1 ? (long long)m - 1 : t;
				y[q] = lead[t];
			}
		} else if (g->same) {
			const int32_t *w = src + (s - o->pre);

			for (size_t q = 0; q < len; q++)
				y[q] = (float)w[q];
		} else {
			for (size_t q = 0; q < len; q++) {
				double t = (double)s + ((double)q - o->pre) * g->r;

				y[q] = (float)bnn__interp_at(&ip, t);
			}
		}
		if (o->norm == BNN_NORM_MV && !prep) {
			double base = sg->baseline, sc = unit / sg->gain;

			for (size_t q = 0; q < len; q++)
				y[q] = (float)(((double)y[q] - base) * sc);
		}
	}
	if (o->amp_norm == BNN_AMP_QRS) {
		if (!(scale = bnn__malloc((kb->nb ? kb->nb : 1) * sizeof *scale)))
			goto nomem;
		if ((rc = qrs_scales(lead, m, g, kb->times, kb->nb, scale, err)))
			goto out;
		for (size_t k = 0; k < kb->n; k++)
			bnn__amp_scale(x + k * len, len, scale[kb->keep[k]]);
	}
	if (o->ref_beats) {
		struct bnn__ref ref;

		if (bnn__ref_init(&ref, len, (size_t)o->ref_beats))
			goto nomem;
		for (size_t k = 0; k < kb->n; k++)
			bnn__ref_apply(&ref, x + k * len);
		bnn__ref_free(&ref);
	}
	if (o->norm == BNN_NORM_ZSCORE)
		for (size_t k = 0; k < kb->n; k++)
			bnn__zscore_window(x + k * len, len);
	goto out;
nomem:
	rc = bnn__err(err, BNN_E_NOMEM, "beats: out of memory");
out:
	free(lead);
	free(scale);
	return rc;
}

/* The signals the options name: sig[0 .. *nsig). */
static int beat_signals(const bnn_wfdb_record *rec, const bnn_beat_opts *o,
			int *sig, size_t *nsig, bnn_error *err)
{
	const char *one[1] = { o->lead };
	const char *const *names = o->nleads ? o->leads : one;
	size_t n = o->nleads ? o->nleads : 1;

	*nsig = n;
	if (n > BNN_WFDB_MAX_SIGNALS)
		return bnn__err(err, BNN_E_INVAL, "beats: %zu leads (at most %d)",
				n, BNN_WFDB_MAX_SIGNALS);
	if (o->nleads ? o->leads != NULL : o->lead != NULL)
		return bnn_wfdb_find_leads(&rec->hdr, names, n, sig, NULL, err);
	if (o->nleads && !o->signals)
		return bnn__err(err, BNN_E_INVAL,
				"beats: nleads %zu without leads or signals", n);
	for (size_t k = 0; k < n; k++) {
		sig[k] = o->nleads ? o->signals[k] : o->signal;
		if (sig[k] < 0 || sig[k] >= rec->hdr.nsig)
			return bnn__err(err, BNN_E_RANGE,
					"beats: signal %d out of range (record %s has %d)",
					sig[k], rec->hdr.name, rec->hdr.nsig);
		for (size_t j = 0; j < k; j++)
			if (sig[j] == sig[k])
				return bnn__err(err, BNN_E_INVAL,
						"beats: signal %d given twice (leads %zu and %zu)",
						sig[k], j, k);
	}
	return BNN_OK;
}

int bnn_beats_extract(const bnn_wfdb_record *rec, const bnn_wfdb_annlist *ann,
		      const bnn_beat_opts *o, bnn_beats *out, bnn_error *err)
{
	if (!out)
		return bnn__err(err, BNN_E_INVAL, "beats: NULL output");
	memset(out, 0, sizeof *out);
	if (!rec || !ann || !o || (ann->n && !ann->ann) ||
	    (rec->hdr.nsig && !rec->hdr.sig))
		return bnn__err(err, BNN_E_INVAL, "beats: NULL argument");
	int rc = bnn__beat_opts_check(o, err);
	if (rc)
		return rc;
	if (!bnn__rate_ok(rec->hdr.fs))
		return bnn__err(err, BNN_E_INVAL, "beats: bad record rate");

	int sigs[BNN_WFDB_MAX_SIGNALS];
	double unit[BNN_WFDB_MAX_SIGNALS];
	size_t nsig;

	if ((rc = beat_signals(rec, o, sigs, &nsig, err)))
		return rc;
	/* Every lead's units before any work. */
	for (size_t c = 0; c < nsig; c++) {
		int sig = sigs[c];
		const bnn_wfdb_signal *sg = &rec->hdr.sig[sig];

		if (!bnn_wfdb_samples(rec, sig) || rec->nsamples <= 0)
			return bnn__err(err, BNN_E_RANGE,
					"beats: record %s has no samples",
					rec->hdr.name);
		/* Annotations and windows count frames: an oversampled
		 * lead read as one sample per frame would be garbage. */
		if (sg->spf > 1)
			return bnn__err(err, BNN_E_UNSUPPORTED,
					"beats: signal %d (%.40s) of %s has %d samples per frame (bnn_wfdb_frame_average brings it to the frame rate)",
					sig, sg->desc, rec->hdr.name, sg->spf);
		unit[c] = 1.0;
		if (o->norm == BNN_NORM_MV) {
			if (sg->uncalibrated)
				return bnn__err(err, BNN_E_UNSUPPORTED,
						"beats: signal %d (%.40s) of %s is uncalibrated",
						sig, sg->desc, rec->hdr.name);
			if (mv_scale(sg->units, &unit[c]))
				return bnn__err(err, BNN_E_UNSUPPORTED,
						"beats: units '%s' of signal %d (%.40s) cannot be converted to mV",
						sg->units, sig, sg->desc);
		}
	}

	signed char defmap[BNN_AAMI_MAP_SIZE];
	const signed char *map = o->map;
	if (!map) {
		bnn_aami_default_map(defmap);
		map = defmap;
	}
	struct bnn__geom g;
	bnn__geom_init(&g, rec->hdr.fs, o, rec->nsamples);
	if (o->lowpass_hz > 0 && !(o->lowpass_hz < g.fs_out / 2))
		return bnn__err(err, BNN_E_INVAL,
				"beats: low-pass cut-off %g Hz must be below half the output rate %g Hz",
				o->lowpass_hz, g.fs_out);

	/* Pass 1: which beats are kept. */
	bnn_beats b = { 0 };
	b.len = (size_t)o->pre + (size_t)o->post;
	b.fs = g.fs_out;
	b.channels = nsig;
	size_t nb = 0;		/* beat annotations (kept or not) */
	for (size_t i = 0; i < ann->n; i++) {
		int c = beat_class(map, ann->ann[i].code);
		if (c < 0)
			continue;
		nb++;
		if (bnn__window_fits(&g, ann->ann[i].sample))
			b.count[c]++, b.n++;
		else
			b.dropped[c]++;
	}
	size_t nval, nwin, nfeat;
	if (bnn__mul(b.n, b.len, &nwin) || bnn__mul(nwin, nsig, &nval) ||
	    nval > BNN_MAX_VALUES)
		return bnn__err(err, BNN_E_RANGE,
				"beats: %zu beats x %zu samples x %zu leads exceeds the limit of %zu values",
				b.n, b.len, nsig, BNN_MAX_VALUES);
	nfeat = nb * BNN_FEAT_COUNT;	/* nb <= ann->n: no overflow in practice */

	float *feat = NULL, *tmp = NULL;
	int64_t *times = NULL;
	size_t *keep = NULL;
	b.x = bnn__malloc((nval ? nval : 1) * sizeof *b.x);
	b.cls = bnn__malloc(b.n);
	b.code = bnn__malloc(b.n);
	b.sample = bnn__malloc(b.n * sizeof *b.sample);
	b.rhythm = bnn__malloc(b.n * BNN_FEAT_COUNT * sizeof *b.rhythm);
	times = bnn__malloc(nb * sizeof *times);
	keep = bnn__malloc(b.n * sizeof *keep);
	feat = bnn__malloc(nfeat * sizeof *feat);
	if (nsig > 1)
		tmp = bnn__malloc((nwin ? nwin : 1) * sizeof *tmp);
	if (!b.x || !b.cls || !b.code || !b.sample || !b.rhythm || !times ||
	    !keep || !feat || (nsig > 1 && !tmp))
		goto nomem;

	/* Pass 2: the kept beats' annotations (lead-independent). */
	size_t k = 0, j = 0;
	for (size_t i = 0; i < ann->n; i++) {
		int c = beat_class(map, ann->ann[i].code);
		int64_t s = ann->ann[i].sample;
		if (c < 0)
			continue;
		times[j++] = s;
		if (!bnn__window_fits(&g, s))
			continue;
		keep[k] = j - 1;
		b.cls[k] = (unsigned char)c;
		b.code[k] = (unsigned char)ann->ann[i].code;
		b.sample[k] = s;
		k++;
	}
	struct kept kb = { times, nb, keep, b.sample, b.n, b.len };
	if (nsig == 1) {
		rc = lead_windows(rec, sigs[0], unit[0], o, &g, &kb, b.x, err);
	} else {
		/* Each lead alone, then laid out as the model's items:
		 * sample q of lead c at (k * len + q) * nsig + c. */
		for (size_t c = 0; c < nsig && !rc; c++) {
			rc = lead_windows(rec, sigs[c], unit[c], o, &g, &kb, tmp,
					  err);
			for (size_t q = 0; q < nwin && !rc; q++)
				b.x[q * nsig + c] = tmp[q];
		}
	}
	if (rc)
		goto fail;
	fill_rhythm(times, nb, keep, b.n, g.fs_in, feat, b.rhythm);
	free(times);
	free(keep);
	free(feat);
	free(tmp);
	*out = b;
	return BNN_OK;
nomem:
	rc = bnn__err(err, BNN_E_NOMEM, "beats: out of memory");
fail:
	free(times);
	free(keep);
	free(feat);
	free(tmp);
	bnn_beats_free(&b);
	return rc;
}
