// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * read_signals.c - bnn-run: WFDB records (beats around annotations, or
 * windows), Bonn EEG segments (windows) and the windowing of any signal,
 * at the model's rate, lead and channel count.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inputs.h"

/* ---------------------------------------------------------------------
 * WFDB records
 * --------------------------------------------------------------------- */

/* Physical units to millivolts; 0 when unknown. */
static double mv_scale(const char *units)
{
	if (!strcmp(units, "mV"))
		return 1;
	if (!strcmp(units, "uV") || !strcmp(units, "\xc2\xb5V"))
		return 1e-3;
	if (!strcmp(units, "V"))
		return 1e3;
	return 0;
}

static void wfdb_windows(struct rd *r, const struct job *j,
			 const bnn_wfdb_record *rec, const int *sig,
			 double fs_out, uint32_t src)
{
	const struct opts *o = r->o;
	size_t n = (size_t)rec->nsamples, nout = n, count;
	float **ch = xcalloc(r->C, sizeof(float *));
	double fs = rec->hdr.fs;
	bnn_error err;

	for (uint32_t k = 0; k < r->C; k++) {
		const bnn_wfdb_signal *s = &rec->hdr.sig[sig[k]];
		const int32_t *v = bnn_wfdb_samples(rec, sig[k]);
		double sc = mv_scale(s->units);
		float *x = xmalloc((n ? n : 1) * sizeof(float));

		if (o->units != UNITS_ADC && !sc && k == 0)
			warnx_("record %s: signal units '%s' are not volts: values given in %s",
			       j->name, s->units, s->units);
		if (sc && o->units == UNITS_UV)
			sc *= 1e3;
		for (size_t i = 0; i < n; i++)
			x[i] = o->units == UNITS_ADC ? (float)v[i] :
			       (float)(bnn_wfdb_to_phys(s, v[i]) * (sc ? sc : 1));
		if (fs_out > 0) {
			float *y;
			int rc = bnn_resample(x, n, fs, fs_out,
					      (bnn_resample_method)o->resample_method,
					      &y, &nout, &err);

			free(x);
			if (rc) {
				rd_fail(r, status_of(rc), "record %s: %s",
					j->name, err.msg);
				goto out;
			}
			x = y;
		}
		ch[k] = x;
	}
	count = nout < r->L ? 0 : (nout - r->L) / r->hop + 1;
	if (!count) {
		rd_fail(r, EX_MISMATCH,
			"record %s has %zu samples, fewer than the model's input length %u",
			j->name, nout, r->L);
		goto out;
	}
	for (size_t w = 0; w < count && !rd_full(r); w++) {
		size_t start = w * r->hop;
		int64_t at = fs_out > 0 ? llround((double)start * fs / fs_out) :
			     (int64_t)start;
		float *x = rd_push(r, src, -1, at);

		for (size_t p = 0; p < r->L; p++)
			for (uint32_t k = 0; k < r->C; k++)
				x[p * r->C + k] = ch[k][start + p];
	}
out:
	for (uint32_t k = 0; k < r->C; k++)
		free(ch[k]);
	free(ch);
}

void read_wfdb(struct rd *r, const struct job *j)
{
	const struct opts *o = r->o;
	bnn_wfdb_record rec;
	bnn_error err;
	int *sig = NULL, rc;
	double fs, fs_out = 0;
	uint32_t src;
	char *path = rd_path2(j->dir, j->name, NULL);

	rd_load_split(r, j->dir, 0, j->name);
	rd_fs_ignored(r, "WFDB records");
	rc = bnn_wfdb_read_record(j->dir, j->name,
				  o->strict ? BNN_WFDB_STRICT : 0, &rec, &err);
	if (rc) {
		rd_fail(r, status_of(rc), "record %s: %s%s", j->name, err.msg,
			rc == BNN_E_CHECKSUM ? " (--strict: without it a mismatch is a warning)" : "");
		goto out;
	}
	rd_wfdb_warnings(j->name, &rec.warn);
	sig = xcalloc(r->C, sizeof(int));
	if (rd_wfdb_signals(r, j, &rec.hdr, sig))
		goto out;
	/* Beats, windows and annotation times count frames. */
	for (uint32_t k = 0; k < r->C; k++) {
		const bnn_wfdb_signal *s = &rec.hdr.sig[sig[k]];

		if (s->spf > 1)
			note("record %s: signal %d (%s) has %d samples per frame: their mean per frame is used, at the frame rate %g Hz (as WFDB's getvec)",
			     j->name, sig[k], s->desc, s->spf, rec.hdr.fs);
	}
	if ((rc = bnn_wfdb_frame_average(&rec, &err))) {
		rd_fail(r, status_of(rc), "record %s: %s", j->name, err.msg);
		goto out;
	}
	fs = rec.hdr.fs;
	{
		char what[BNN_WFDB_NAME_MAX + 16];

		snprintf(what, sizeof(what), "record %s", j->name);
		if (rd_rate_out(r, fs, what, &fs_out))
			goto out;
	}
	{
		const char *set = rd_split_set_name(r, j->name);

		if (set && !strcmp(set, "paced") && j->explicit_)
			warnx_("record %s is paced: AAMI EC57 leaves paced records out of evaluations",
			       j->name);
		src = rd_add_source(r->ds, j->name, path,
				 r->beat ? SRC_BEATS : SRC_WINDOWS, "wfdb");
		r->ds->srcs[src].set = set;
		r->ds->srcs[src].fs = fs;
		r->ds->srcs[src].resampled = fs_out > 0;
		for (uint32_t k = 0; k < r->C; k++) {
			char *l = r->ds->srcs[src].lead;
			size_t used = strlen(l), cap = sizeof(r->ds->srcs[src].lead);

			snprintf(l + used, cap - used, "%s%s", k ? "+" : "",
				 rec.hdr.sig[sig[k]].desc);
		}
	}
	if (!r->beat) {
		wfdb_windows(r, j, &rec, sig, fs_out, src);
	} else {
		wfdb_beats(r, j, &rec, sig, fs_out, src);
	}
out:
	free(sig);
	free(path);
	bnn_wfdb_record_free(&rec);
}

/* ---------------------------------------------------------------------
 * Bonn EEG segments
 * --------------------------------------------------------------------- */

static const char *const bonn_set_names[BNN_BONN_NSETS] = { "Z", "O", "N",
								"F", "S" };

/* "Z/Z001.txt" for a segment in a set folder, else the base name. */
static char *seg_name(const char *path)
{
	char *dir = rd_dir_of(path), *res;
	const char *d = rd_base_of(dir);

	res = rd_bonn_letter(d) >= 0 ? rd_path2(d, rd_base_of(path), NULL) :
	      xstrdup(rd_base_of(path));
	free(dir);
	return res;
}

void read_bonn(struct rd *r, const char *path, int set, const float *x0,
	       size_t n)
{
	const struct opts *o = r->o;
	char *name = seg_name(path);
	const float *x = x0;
	float *y = NULL;
	size_t count;
	uint32_t src;
	int32_t lab = -1;
	char letter[2] = { 0, 0 };

	rd_fs_ignored(r, "Bonn EEG segments (173.61 Hz)");
	if (r->C != 1) {
		rd_fail(r, EX_MISMATCH,
			"%s: a Bonn EEG segment has 1 channel, the model needs %u",
			path, r->C);
		goto out;
	}
	if (r->rate > 0 && !rd_same_rate(BNN_BONN_FS, r->rate)) {
		bnn_error err;
		int rc;

		if (!o->resample) {
			rd_fail(r, EX_RATE,
				"%s: Bonn EEG is sampled at %g Hz, the model expects %g Hz (--no-resample refuses to resample it)",
				path, BNN_BONN_FS, r->rate);
			goto out;
		}
		rd_note_resample(r, BNN_BONN_FS);
		rc = bnn_resample(x0, n, BNN_BONN_FS, r->rate,
				  (bnn_resample_method)o->resample_method, &y,
				  &n, &err);
		if (rc) {
			rd_fail(r, status_of(rc), "%s: %s", path, err.msg);
			goto out;
		}
		x = y;
	}
	count = n < r->L ? 0 : (n - r->L) / r->hop + 1;
	if (!count) {
		rd_fail(r, EX_MISMATCH,
			"%s: %zu samples, fewer than the model's input length %u",
			path, n, r->L);
		goto out;
	}
	if (set >= 0) {
		/* All five in the order Z O N F S first, for the reports. */
		for (int k = 0; k < BNN_BONN_NSETS; k++)
			label_intern(r->ds, bonn_set_names[k], LABEL_BONN);
		letter[0] = bnn_bonn_set_letter(set);
		lab = label_intern(r->ds, letter, LABEL_BONN);
	}
	src = rd_add_source(r->ds, name, path, SRC_WINDOWS, "bonn");
	r->ds->srcs[src].fs = BNN_BONN_FS;
	r->ds->srcs[src].resampled = y != NULL;
	r->ds->srcs[src].set = set >= 0 ? bonn_set_names[set] : NULL;
	for (size_t w = 0; w < count && !rd_full(r); w++) {
		float *it = rd_push(r, src, lab, (int64_t)(w * r->hop));

		memcpy(it, x + w * r->hop, r->L * sizeof(float));
	}
out:
	free(y);
	free(name);
}

/* ---------------------------------------------------------------------
 * Any signal: resampling and windows
 * --------------------------------------------------------------------- */

int rd_rate_out(struct rd *r, double fs, const char *what, double *fs_out)
{
	*fs_out = 0;
	if (!(r->rate > 0) || rd_same_rate(fs, r->rate))
		return 0;
	if (!r->o->resample) {
		rd_fail(r, EX_RATE,
			"%s is sampled at %g Hz, the model expects %g Hz (--no-resample refuses to resample it)",
			what, fs, r->rate);
		return -1;
	}
	rd_note_resample(r, fs);
	*fs_out = r->rate;
	return 0;
}

void rd_signal_windows(struct rd *r, uint32_t src, float **ch, size_t n,
		       double fs, const char *what, rd_window_label label,
		       void *ctx)
{
	const struct opts *o = r->o;
	double fs_out = 0;
	size_t nout = n, count;

	r->ds->srcs[src].fs = fs;
	if (fs > 0 && rd_rate_out(r, fs, what, &fs_out))
		return;
	if (fs_out > 0) {
		for (uint32_t k = 0; k < r->C; k++) {
			bnn_error err;
			float *y;
			int rc = bnn_resample(ch[k], n, fs, fs_out,
					      (bnn_resample_method)o->resample_method,
					      &y, &nout, &err);

			if (rc) {
				rd_fail(r, status_of(rc), "%s: %s", what, err.msg);
				return;
			}
			free(ch[k]);
			ch[k] = y;
		}
		r->ds->srcs[src].resampled = 1;
	}
	count = nout < r->L ? 0 : (nout - r->L) / r->hop + 1;
	if (!count) {
		rd_fail(r, EX_MISMATCH,
			"%s has %zu samples%s, fewer than the model's input length %u",
			what, nout, fs_out > 0 ? " after resampling" : "", r->L);
		return;
	}
	for (size_t w = 0; w < count && !rd_full(r); w++) {
		size_t start = w * r->hop;
		/* Positions and times in the source's own samples. */
		double rate = fs_out > 0 ? fs_out : fs > 0 ? fs : r->rate;
		int64_t at = fs_out > 0 ? llround((double)start * fs / fs_out) :
			     (int64_t)start;
		int32_t lab = label && rate > 0 ?
			      label(r, ctx, start / rate, (start + r->L) / rate) :
			      -1;
		float *x = rd_push(r, src, lab, at);

		for (size_t p = 0; p < r->L; p++)
			for (uint32_t k = 0; k < r->C; k++)
				x[p * r->C + k] = ch[k][start + p];
	}
}
