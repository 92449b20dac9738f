// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * read_edf.c - bnn-run: EDF, EDF+ and BDF files through libbnn's EDFlib
 * reader.  The model's channels (--channel / --lead, else the model's
 * leads by label, leads.c, else the first signals), the rate from the
 * file, resampled to the model's and cut into windows; for a beat model
 * (one lead) libbnn detects the beats on the channel and cuts them as
 * for a WFDB record without annotations (rd_signal_beats, read_beats.c);
 * EDF+ beat annotations (WFDB beat symbols at points in time) are their
 * reference, as a record's .atr is for --beats detect.  Values: microvolts for windowed (EEG)
 * models, as the Bonn-trained models take, millivolts for beat models
 * (--units overrides).  Labels: an EDF+ annotation with a duration whose
 * text names a model class (labels.c rules 1-4, or a --label-map source)
 * labels the windows whose centre lies in [onset, onset + duration); the
 * first such annotation in file order wins; other windows are unlabelled.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inputs.h"

struct edf_labels {
	const bnn_edf_file *f;
	int32_t *id;		/* per annotation: data label, -1 none, -2 to
				 * intern on first use */
	size_t used;		/* annotations that labelled a window */
};

/* Is `text` a SRC of --label-map SRC=DST,...? */
static int in_label_map(const char *spec, const char *text)
{
	size_t k = strlen(text);

	for (const char *p = spec; p && *p;) {
		const char *e = strchr(p, '=');

		if (!e)
			break;
		if ((size_t)(e - p) == k && !strncmp(p, text, k))
			return 1;
		p = strchr(e, ',');
		p = p ? p + 1 : NULL;
	}
	return 0;
}

static int label_kind_of(const char *text)
{
	return rd_bonn_letter(text) >= 0 ? LABEL_BONN : LABEL_GENERIC;
}

static int32_t edf_window_label(struct rd *r, void *ctx, double t0,
				double t1)
{
	struct edf_labels *el = ctx;
	double c = (t0 + t1) / 2;

	for (size_t i = 0; i < el->f->nann; i++) {
		const bnn_edf_annotation *a = &el->f->ann[i];

		if (el->id[i] == -1 || !(a->duration > 0) || c < a->onset ||
		    c >= a->onset + a->duration)
			continue;
		if (el->id[i] == -2) {
			el->id[i] = label_intern(r->ds, a->text,
						 label_kind_of(a->text));
			el->used++;
		}
		return el->id[i];
	}
	return -1;
}

static int by_time(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1];
}

/*
 * The EDF+ annotations that are beats: text a WFDB beat symbol ("N",
 * "V", "A", "L", "/", ...; the AAMI class letters N S V F Q are such
 * symbols) at a point in time (no duration, or 0), at sample
 * llround(onset * fs) of the channel, with its AAMI class (the default
 * EC57 map); in time order (file order among equal times).
 */
static void edf_ref_beats(const bnn_edf_file *f, double fs,
			  struct refbeats *rb)
{
	signed char map[BNN_AAMI_MAP_SIZE];
	int64_t (*tc)[2] = xcalloc(f->nann ? f->nann : 1, sizeof(*tc));
	size_t n = 0;

	bnn_aami_default_map(map);
	for (size_t i = 0; i < f->nann; i++) {
		const bnn_edf_annotation *a = &f->ann[i];
		int code = bnn_wfdb_ann_code(a->text);

		if (code < 0 || code >= BNN_AAMI_MAP_SIZE || map[code] < 0 ||
		    a->duration > 0 || !(a->onset >= 0))
			continue;
		tc[n][0] = llround(a->onset * fs);
		tc[n++][1] = (int64_t)i;
	}
	qsort(tc, n, sizeof(*tc), by_time);
	rb->n = n;
	rb->t = xcalloc(n ? n : 1, sizeof(int64_t));
	rb->cls = xcalloc(n ? n : 1, 1);
	for (size_t k = 0; k < n; k++) {
		rb->t[k] = tc[k][0];
		rb->cls[k] = (unsigned char)
			map[bnn_wfdb_ann_code(f->ann[tc[k][1]].text)];
	}
	free(tc);
}

static void channel_list(const bnn_edf_file *f, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (int i = 0; i < f->nsig; i++) {
		size_t k = strlen(buf);

		snprintf(buf + k, cap - k, "%s%s", i ? ", " : "",
			 f->sig[i].label[0] ? f->sig[i].label : "(unnamed)");
	}
}

/* Which signals feed the model's channels; 0 or rd_fail.  A model that
 * names its leads takes them by label (leads.c); else the first signals. */
static int pick_signals(struct rd *r, const char *path, const bnn_edf_file *f,
			int *sig)
{
	const struct opts *o = r->o;
	char chans[1024];

	channel_list(f, chans, sizeof(chans));
	if (rd_leads_named(r)) {
		if (rd_edf_signals(r, path, f, chans, sig))
			return -1;
	} else if (r->C == 1) {
		sig[0] = 0;
		if (!r->beat && f->nsig > 0 && bnn_is_ecg_lead(f->sig[0].label)) {
			rd_fail(r, EX_MISMATCH,
				"%s: its first channel '%s' is an ECG lead, but the model classifies windows and names no lead (an EEG model): --channel NAME classifies a channel anyway",
				path, f->sig[0].label);
			return -1;
		}
		if (rd_once(r, RD_ONCE_NO_LEAD, 0))
			note("the model names no channel: using each EDF file's first signal (%s; --channel NAME picks one)",
			     f->sig[0].label);
		return 0;
	} else {
		if (f->nsig < (int)r->C) {
			rd_fail(r, EX_MISMATCH,
				"%s has %d signal%s (%s), the model needs %u channels",
				path, f->nsig, f->nsig == 1 ? "" : "s", chans, r->C);
			return -1;
		}
		if (o->lead)
			warnx_("--channel ignored: the model takes %u channels (the first %u signals)",
			       r->C, r->C);
		for (uint32_t k = 0; k < r->C; k++)
			sig[k] = (int)k;
	}
	for (uint32_t k = 1; k < r->C; k++)
		if (!rd_same_rate(f->sig[sig[k]].fs, f->sig[sig[0]].fs)) {
			rd_fail(r, EX_DATA,
				"%s: signals %s (%g Hz) and %s (%g Hz) have different rates; a %u-channel model needs them alike",
				path, f->sig[sig[0]].label, f->sig[sig[0]].fs,
				f->sig[sig[k]].label, f->sig[sig[k]].fs, r->C);
			return -1;
		}
	return 0;
}

void read_edf(struct rd *r, const struct job *j)
{
	const struct opts *o = r->o;
	bnn_edf_file f;
	bnn_error err;
	int *sig = NULL, units, rc;
	float **ch = NULL;
	size_t n = 0;
	uint32_t src;
	struct edf_labels el = { 0 };

	rd_fs_ignored(r, "EDF files");
	if (r->beat && rd_beats_one_lead(r, j->path))
		return;
	rc = bnn_edf_open(j->path, &f, &err);
	if (rc) {
		rd_fail(r, status_of(rc), "%s", err.msg);
		return;
	}
	sig = xcalloc(r->C, sizeof(int));
	if (pick_signals(r, j->path, &f, sig))
		goto out;
	/* Default (auto): microvolts, what the windowed (EEG) models take;
	 * millivolts for beat models, as for WFDB records. */
	units = o->units == UNITS_ADC ? BNN_EDF_DIGITAL :
		o->units == UNITS_MV || r->beat ? BNN_EDF_MV : BNN_EDF_UV;
	ch = xcalloc(r->C, sizeof(float *));
	for (uint32_t k = 0; k < r->C; k++) {
		size_t nk;

		rc = bnn_edf_read_signal(&f, sig[k], units, &ch[k], &nk, &err);
		if (rc == BNN_E_UNSUPPORTED) {
			warnx_("%s: channel %s is in '%s', not a voltage: values taken as they are",
			       j->path, f.sig[sig[k]].label, f.sig[sig[k]].units);
			rc = bnn_edf_read_signal(&f, sig[k], BNN_EDF_PHYSICAL,
						 &ch[k], &nk, &err);
		}
		if (rc) {
			rd_fail(r, status_of(rc), "%s: %s", j->path, err.msg);
			goto out;
		}
		n = k ? (nk < n ? nk : n) : nk;
	}
	src = rd_add_source(r->ds, rd_base_of(j->path), j->path,
			    r->beat ? SRC_BEATS : SRC_WINDOWS, "edf");
	for (uint32_t k = 0; k < r->C; k++) {
		char *l = r->ds->srcs[src].lead;
		size_t used = strlen(l), cap = sizeof(r->ds->srcs[src].lead);

		snprintf(l + used, cap - used, "%s%s", k ? "+" : "",
			 f.sig[sig[k]].label);
	}
	if (r->beat) {
		/* libbnn detects the beats; EDF+ beat annotations, if any,
		 * are the reference they are matched to. */
		struct refbeats rb = { 0, NULL, NULL };

		edf_ref_beats(&f, f.sig[sig[0]].fs, &rb);
		if (f.nann && !rb.n)
			note("%s: none of its %zu EDF+ annotation%s is a beat (a WFDB beat symbol such as N, V, A at a point in time): the detected beats are unlabelled",
			     rd_base_of(j->path), f.nann, f.nann == 1 ? "" : "s");
		rd_signal_beats(r, src, ch[0], n, f.sig[sig[0]].fs, j->path,
				&rb);
		free(rb.t);
		free(rb.cls);
		goto out;
	}
	el.f = &f;
	el.id = xcalloc(f.nann ? f.nann : 1, sizeof(int32_t));
	for (size_t i = 0; i < f.nann; i++)
		el.id[i] = label_names_class(r->m, f.ann[i].text,
					     label_kind_of(f.ann[i].text)) >= 0 ||
			   in_label_map(o->label_map, f.ann[i].text) ? -2 : -1;
	rd_signal_windows(r, src, ch, n, f.sig[sig[0]].fs, j->path,
			  edf_window_label, &el);
	if (f.nann && !el.used && !r->failed)
		note("%s: none of its %zu annotations names a model class over a window: its windows are unlabelled",
		     rd_base_of(j->path), f.nann);
out:
	if (ch)
		for (uint32_t k = 0; k < r->C; k++)
			free(ch[k]);
	free(ch);
	free(el.id);
	free(sig);
	bnn_edf_close(&f);
}
