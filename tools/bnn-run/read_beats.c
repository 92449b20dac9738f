// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * read_beats.c - bnn-run: the beats of a WFDB record for a beat model.
 *
 * Where the beats come from (--beats): the reference annotations
 * (--annotator, default atr), or libbnn's QRS detector on the model's
 * lead.  "auto" (the default) uses the annotations when the record has
 * them and detects the beats when it has none (unless --annotator named
 * the file: then it must be there).  Detected beats are matched
 * to the reference annotations, when there are any, with the AAMI EC57
 * window of 150 ms: matched beats take the reference class (so the
 * classification is scored on them), unmatched ones stay unlabelled, and
 * the matching's TP / FP / FN go into the detection report.
 *
 * Each item is the beat window (libbnn's beat extraction with the model's
 * window and signal preprocessing, of every lead the model takes, each on
 * its own, laid out as the model's items) followed by the rhythm features
 * the model names, computed by libbnn over the record's whole beat
 * sequence.  Beats are detected on the model's first lead (channel 0).
 *
 * rd_signal_beats: the same for a signal that comes without beat
 * annotations (an EDF channel, a CSV or float32 signal), through libbnn's
 * bnn_beats_detect (the beat stream, = the batch detection path bit for
 * bit), one lead; EDF+ beat annotations, when there are any, are its
 * reference as a record's annotations are for --beats detect.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "inputs.h"
#include "util.h"

#define EC57_MATCH_S 0.150

static int aami_label(struct dataset *ds, int cls)
{
	const char *n = bnn_aami_name(cls);

	/* All five in the standard order first, for the reports. */
	for (int c = 0; c < BNN_AAMI_NCLASS; c++)
		label_intern(ds, bnn_aami_name(c), LABEL_AAMI);
	return n ? label_intern(ds, n, LABEL_AAMI) : -1;
}

/* The lead in millivolts (physical units) as float, for the detector. */
static float *lead_mv(const bnn_wfdb_record *rec, int sig)
{
	const int32_t *v = bnn_wfdb_samples(rec, sig);
	const bnn_wfdb_signal *s = &rec->hdr.sig[sig];
	float *x = xcalloc(rec->nsamples ? (size_t)rec->nsamples : 1,
			   sizeof(float));

	for (int64_t i = 0; i < rec->nsamples; i++)
		x[i] = (float)bnn_wfdb_to_phys(s, v[i]);
	return x;
}

/* The reference annotations that are beats (class >= 0 in the map). */
static void ref_beats(const bnn_wfdb_annlist *ann, const signed char *map,
		      struct refbeats *rb)
{
	rb->n = 0;
	rb->t = xcalloc(ann->n ? ann->n : 1, sizeof(int64_t));
	rb->cls = xcalloc(ann->n ? ann->n : 1, 1);
	for (size_t i = 0; i < ann->n; i++) {
		int c = ann->ann[i].code;

		if (c < 0 || c >= BNN_AAMI_MAP_SIZE || map[c] < 0)
			continue;
		rb->t[rb->n] = ann->ann[i].sample;
		rb->cls[rb->n++] = (unsigned char)map[c];
	}
}

/* Index of t in the increasing array a[0..n), or -1. */
static long find_sample(const int64_t *a, size_t n, int64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && a[lo] == t ? (long)lo : -1;
}

/*
 * Detected beats det[0..ndet) (input samples at fs Hz) against the
 * reference beats rb: the EC57 matching into *mr and the run's detection
 * counts.  0, or -1 after rd_fail.
 */
static int match_reference(struct rd *r, const char *what,
			   const struct refbeats *rb, const int64_t *det,
			   size_t ndet, double fs, bnn_match_result *mr)
{
	bnn_error err;
	int rc = bnn_beat_match(rb->t, rb->n, det, ndet, fs, EC57_MATCH_S, mr,
				&err);

	if (rc) {
		rd_fail(r, status_of(rc), "%s: matching detected beats: %s",
			what, err.msg);
		return -1;
	}
	r->ds->det.records_ref++;
	r->ds->det.tp += mr->tp;
	r->ds->det.fp += mr->fp;
	r->ds->det.fn += mr->fn;
	return 0;
}

/* Label of the detected beat at `sample`: the class of the reference beat
 * it matched, or -1. */
static int32_t matched_label(struct rd *r, const struct refbeats *rb,
			     const int64_t *det, size_t ndet,
			     const bnn_match_result *mr, int64_t sample)
{
	long d = find_sample(det, ndet, sample);
	long ref = d >= 0 ? mr->ref_of_det[d] : -1;

	return ref >= 0 ? aami_label(r->ds, rb->cls[ref]) : -1;
}

/* The items of the kept beats b (libbnn's item layout: the window of
 * every lead, position-major, times sc), labelled lab[i], followed by the
 * model's rhythm features; until --limit. */
static void push_beats(struct rd *r, uint32_t src, const bnn_beats *b,
		       const int32_t *lab, float sc)
{
	size_t e = (size_t)r->C * r->L;

	for (size_t i = 0; i < b->n && !rd_full(r); i++) {
		float *x = rd_push(r, src, lab[i], b->sample[i]), *f;

		for (size_t q = 0; q < e; q++)
			x[q] = sc * b->x[i * e + q];
		f = x + e;
		for (uint32_t k = 0; k < r->sd.nfeatures; k++)
			f[k] = b->rhythm[i * BNN_FEAT_COUNT + r->fkind[k]];
	}
}

/* Detected beats as annotations of code N (class N in the default map)
 * for the beat extraction. */
static void det_annlist(const int64_t *det, size_t n, bnn_wfdb_annlist *a)
{
	memset(a, 0, sizeof(*a));
	a->n = n;
	a->ann = xcalloc(n ? n : 1, sizeof(*a->ann));
	for (size_t i = 0; i < n; i++) {
		a->ann[i].sample = det[i];
		a->ann[i].code = bnn_wfdb_ann_code("N");
	}
}

void wfdb_beats(struct rd *r, const struct job *j, const bnn_wfdb_record *rec,
		const int *sig, double fs_out, uint32_t src)
{
	const struct opts *o = r->o;
	bnn_wfdb_annlist ann, dann;
	int have_ann = 0, detect = o->beats == BEATS_DETECT, rc;
	signed char dmap[BNN_AAMI_MAP_SIZE];
	const signed char *map = r->have_split ? r->split.map : NULL;
	struct refbeats rb = { 0, NULL, NULL };
	bnn_match_result mr;
	int64_t *det = NULL;
	size_t ndet = 0;
	bnn_beat_opts bo;
	bnn_beats b;
	bnn_error err;
	int32_t *lab = NULL;
	float sc;

	memset(&ann, 0, sizeof(ann));
	memset(&dann, 0, sizeof(dann));
	memset(&b, 0, sizeof(b));
	memset(&mr, 0, sizeof(mr));
	if (!map) {
		bnn_aami_default_map(dmap);
		map = dmap;
	}
	rc = bnn_wfdb_read_annotations(j->dir, j->name, o->annotator, &ann,
				       &err);
	if (rc == BNN_OK) {
		have_ann = 1;
		rd_wfdb_warnings(j->name, &ann.warn);
		if (ann.fs > 0 && ann.fs != rec->hdr.fs)
			note("record %s: the .%s times count at %g Hz (its time resolution note): moved to the frame rate %g Hz",
			     j->name, o->annotator, ann.fs, rec->hdr.fs);
		/* Only a bad rate fails, and the record's was checked. */
		(void)bnn_wfdb_ann_to_rate(&ann, rec->hdr.fs, &err);
	} else if (rc == BNN_E_IO && o->beats == BEATS_AUTO &&
		   !o->annotator_given) {
		detect = 1;
		if (rd_once(r, RD_ONCE_DETECT, 0))
			note("record %s has no .%s annotations: its beats are detected (--beats detect always detects, --beats annotations refuses)",
			     j->name, o->annotator);
	} else if (rc == BNN_E_IO && detect && !o->annotator_given) {
		/* --beats detect: no reference to score against */
	} else {
		rd_fail(r, rc == BNN_E_IO ? EX_NOFILE : status_of(rc),
			"record %s: %s (--beats detect finds the beats without annotations; --annotator picks another file)",
			j->name, err.msg);
		goto out;
	}
	if (have_ann)
		ref_beats(&ann, map, &rb);
	if (detect) {
		float *x = lead_mv(rec, sig[0]);

		rc = bnn_qrs_detect(x, (size_t)rec->nsamples, rec->hdr.fs, NULL,
				    &det, &ndet, &err);
		free(x);
		if (rc) {
			rd_fail(r, status_of(rc), "record %s: beat detection: %s",
				j->name, err.msg);
			goto out;
		}
		det_annlist(det, ndet, &dann);
		if (have_ann) {
			char what[BNN_WFDB_NAME_MAX + 16];

			snprintf(what, sizeof(what), "record %s", j->name);
			if (match_reference(r, what, &rb, det, ndet,
					    rec->hdr.fs, &mr))
				goto out;
		}
		r->ds->det.records++;
		r->ds->det.ndet += ndet;
		r->ds->srcs[src].detected = 1;
	}
	bnn_beat_opts_default(&bo);
	bo.lead = NULL;
	bo.fs = fs_out;
	bo.pre = (int)r->mi->input.beat_pre;
	bo.post = (int)r->mi->input.beat_post;
	bo.norm = o->units == UNITS_ADC ? BNN_NORM_NONE : BNN_NORM_MV;
	bo.resample = (bnn_resample_method)o->resample_method;
	bo.map = detect ? NULL : map;
	bo.baseline = r->sd.baseline;
	bo.lowpass_hz = r->sd.lowpass_hz;
	bo.amp_norm = r->sd.amp_norm;
	bo.ref_beats = (int)r->sd.ref_beats;
	bo.signals = sig;
	bo.nleads = r->C;
	rc = bnn_beats_extract(rec, detect ? &dann : &ann, &bo, &b, &err);
	if (rc) {
		rd_fail(r, status_of(rc), "record %s: %s%s", j->name, err.msg,
			rc == BNN_E_UNSUPPORTED ?
			" (--units adc gives raw ADC values)" : "");
		goto out;
	}
	if (r->sd.nfeatures && b.n == 1)
		warnx_("record %s: one beat, no RR interval: its rhythm features are unknown (the model sees them as absent)",
		       j->name);
	for (int c = 0; c < BNN_AAMI_NCLASS; c++)
		r->ds->srcs[src].dropped += b.dropped[c];
	/* --units uv: the beat extraction gives millivolts */
	sc = o->units == UNITS_UV && !bo.amp_norm ? 1e3f : 1.0f;
	lab = xcalloc(b.n ? b.n : 1, sizeof(int32_t));
	for (size_t i = 0; i < b.n; i++)
		lab[i] = !detect ? aami_label(r->ds, b.cls[i]) :
			 have_ann ? matched_label(r, &rb, det, ndet, &mr,
						  b.sample[i]) : -1;
	push_beats(r, src, &b, lab, sc);
out:
	free(lab);
	bnn_beats_free(&b);
	bnn_match_result_free(&mr);
	free(det);
	free(dann.ann);
	free(rb.t);
	free(rb.cls);
	if (have_ann)
		bnn_wfdb_annlist_free(&ann);
}

int rd_beats_one_lead(struct rd *r, const char *what)
{
	char leads[256] = "";

	if (r->C == 1)
		return 0;
	for (uint32_t k = 0; k < r->C && bnn_model_lead(r->m, k)[0]; k++) {
		size_t n = strlen(leads);

		snprintf(leads + n, sizeof(leads) - n, "%s%s",
			 k ? ", " : " (", bnn_model_lead(r->m, k));
	}
	if (leads[0])
		strncat(leads, ")", sizeof(leads) - strlen(leads) - 1);
	rd_fail(r, EX_MISMATCH,
		"%s: the model classifies heartbeats of %u leads%s; in an EDF file or a CSV / float32 signal bnn-run detects the beats on one lead, so only one-lead beat models take them: give a recording of several leads as a WFDB record",
		what, r->C, leads);
	return -1;
}

void rd_signal_beats(struct rd *r, uint32_t src, const float *x, size_t n,
		     double fs, const char *what, const struct refbeats *rb)
{
	const struct opts *o = r->o;
	bnn_beat_stream_opts so;
	struct source *s = &r->ds->srcs[src];
	bnn_beats b;
	bnn_error err;
	bnn_match_result mr;
	int64_t *det = NULL;
	int32_t *lab = NULL;
	size_t ndrop, ndet = 0;
	double fs_out = 0;
	int rc;

	s->kind = SRC_BEATS;
	s->fs = fs;
	if (rd_beats_one_lead(r, what))
		return;
	if (!(fs >= BNN_QRS_FS_MIN && fs <= BNN_QRS_FS_MAX)) {
		rd_fail(r, EX_RATE,
			"%s is sampled at %g Hz: beat detection works at %g .. %g Hz",
			what, fs, BNN_QRS_FS_MIN, BNN_QRS_FS_MAX);
		return;
	}
	if (rd_rate_out(r, fs, what, &fs_out))
		return;
	s->resampled = fs_out > 0;
	/* The options of --stream (run_stream.c) and of --beats detect on
	 * a WFDB record (wfdb_beats): the model's window and preprocessing. */
	bnn_beat_stream_opts_default(&so, fs);
	so.beat.fs = fs_out;
	so.beat.pre = (int)r->mi->input.beat_pre;
	so.beat.post = (int)r->mi->input.beat_post;
	so.beat.norm = o->units == UNITS_ADC ? BNN_NORM_NONE : BNN_NORM_MV;
	so.beat.resample = (bnn_resample_method)o->resample_method;
	so.beat.baseline = r->sd.baseline;
	so.beat.lowpass_hz = r->sd.lowpass_hz;
	so.beat.amp_norm = r->sd.amp_norm;
	so.beat.ref_beats = (int)r->sd.ref_beats;
	rc = bnn_beats_detect(x, n, &so, &b, &err);
	if (rc) {
		rd_fail(r, status_of(rc), "%s: beat detection: %s", what,
			err.msg);
		return;
	}
	ndrop = b.dropped[BNN_AAMI_N];
	memset(&mr, 0, sizeof(mr));
	if (rb && rb->n) {
		/* Every detected beat, kept or not, for the matching: the
		 * stream's detector on the same samples (bnn_beats_detect). */
		rc = bnn_qrs_detect(x, n, fs, &so.qrs, &det, &ndet, &err);
		if (rc) {
			rd_fail(r, status_of(rc), "%s: beat detection: %s", what,
				err.msg);
			goto out;
		}
		if (match_reference(r, what, rb, det, ndet, fs, &mr))
			goto out;
	}
	r->ds->det.records++;
	r->ds->det.ndet += b.n + ndrop;
	s->detected = 1;
	s->dropped += ndrop;
	if (!b.n)
		warnx_("%s: no beat detected in %.1f s of signal%s", what,
		       (double)n / fs, ndrop ? " (none whose window fits in it)" : "");
	else if (r->sd.nfeatures && b.n + ndrop == 1)
		warnx_("%s: one beat, no RR interval: its rhythm features are unknown (the model sees them as absent)",
		       what);
	lab = xcalloc(b.n ? b.n : 1, sizeof(int32_t));
	for (size_t i = 0; i < b.n; i++)
		lab[i] = rb && rb->n ? matched_label(r, rb, det, ndet, &mr,
						     b.sample[i]) : -1;
	push_beats(r, src, &b, lab, 1.0f);
out:
	free(lab);
	bnn_beats_free(&b);
	bnn_match_result_free(&mr);
	free(det);
}
