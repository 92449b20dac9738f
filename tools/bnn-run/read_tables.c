// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * read_tables.c - bnn-run: CSV files (items as rows, or a signal with a
 * column per channel), raw float32 tensors, and labels files (--labels,
 * bnn-extract's PREFIX.rows.tsv).
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
 * Labels files (--labels, PREFIX.rows.tsv)
 * --------------------------------------------------------------------- */

struct labelfile {
	size_t n;
	int32_t *id;		/* data label or -1 */
	char **rec;		/* record / group name per item, or NULL */
	int64_t *pos;		/* sample per item, or NULL */
};

static void labelfile_free(struct labelfile *lf)
{
	if (lf->rec)
		for (size_t i = 0; i < lf->n; i++)
			free(lf->rec[i]);
	free(lf->rec);
	free(lf->id);
	free(lf->pos);
	memset(lf, 0, sizeof(*lf));
}

/* Split a line at tabs (in place); up to max fields. */
static size_t split_tabs(char *s, char **f, size_t max)
{
	size_t n = 0;

	while (n < max) {
		f[n++] = s;
		s = strchr(s, '\t');
		if (!s)
			break;
		*s++ = '\0';
	}
	return n;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static void read_labelfile(struct rd *r, const char *path,
			   struct labelfile *lf)
{
	uint8_t *buf;
	size_t len, nl = 0;
	bnn_error err;
	char *p, *line, *save = NULL;
	int header = 0, lc = 0, rc_col = -1, pc_col = -1;
	int rc = bnn_read_file(path, 0, &buf, &len, &err);

	memset(lf, 0, sizeof(*lf));
	if (rc)
		die(status_of(rc), "labels: %s", err.msg);
	if (memchr(buf, 0, len))
		die(EX_DATA, "%s: a labels file is text; this one has NUL bytes",
		    path);
	p = (char *)buf;
	for (line = strtok_r(p, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[64];
		size_t nf;

		nl++;
		line = trim(line);
		if (nl == 1) {
			char tmp[4096];

			snprintf(tmp, sizeof(tmp), "%s", line);
			nf = split_tabs(tmp, f, 64);
			for (size_t i = 0; i < nf; i++) {
				char *t = trim(f[i]);

				if (!strcasecmp(t, "class"))
					lc = (int)i, header = 2;
				else if (!strcasecmp(t, "label") && header < 2)
					lc = (int)i, header = 1;
				else if (!strcasecmp(t, "record") ||
					 (!strcasecmp(t, "name") && rc_col < 0))
					rc_col = (int)i;
				else if (!strcasecmp(t, "sample") ||
					 (!strcasecmp(t, "start") && pc_col < 0))
					pc_col = (int)i;
			}
			if (header)
				continue;
			if (nf > 1)
				die(EX_DATA,
				    "%s: the header names no 'class' or 'label' column",
				    path);
			rc_col = pc_col = -1;
		}
		if (!*line)
			die(EX_DATA, "%s: line %zu is empty", path, nl);
		lf->id = xrealloc(lf->id, (lf->n + 1) * sizeof(*lf->id));
		if (header) {
			nf = split_tabs(line, f, 64);
			if ((int)nf <= lc || (rc_col >= 0 && (int)nf <= rc_col) ||
			    (pc_col >= 0 && (int)nf <= pc_col))
				die(EX_DATA, "%s: line %zu has too few columns",
				    path, nl);
		} else {
			f[0] = line;
		}
		{
			char *t = trim(f[header ? lc : 0]);

			lf->id[lf->n] = !*t || !strcmp(t, "-") ? -1 :
					label_intern(r->ds, t, LABEL_GENERIC);
		}
		if (header && rc_col >= 0) {
			lf->rec = xrealloc(lf->rec, (lf->n + 1) * sizeof(char *));
			lf->rec[lf->n] = xstrdup(trim(f[rc_col]));
		}
		if (header && pc_col >= 0) {
			char *t = trim(f[pc_col]);
			int64_t v;

			lf->pos = xrealloc(lf->pos, (lf->n + 1) * sizeof(int64_t));
			if (bnn_parse_i64(t, strlen(t), &v))
				die(EX_DATA, "%s: line %zu: sample '%s' is not an integer",
				    path, nl, t);
			lf->pos[lf->n] = v;
		}
		lf->n++;
	}
	free(buf);
}

/* Items [first, first + n) of the data set get labels (and records /
 * samples when the labels file has them). */
static void apply_labels(struct rd *r, const char *what, size_t first,
			 size_t n, size_t total, const struct labelfile *lf,
			 uint32_t src0)
{
	struct dataset *ds = r->ds;

	if (lf->n != total)
		die(EX_DATA, "%s: %zu labels for %zu items", what, lf->n, total);
	for (size_t i = 0; i < n; i++) {
		size_t k = first + i;

		ds->dlabel[k] = lf->id[i];
		if (lf->id[i] >= 0)
			ds->label_count[lf->id[i]]++;
		if (lf->pos)
			ds->pos[k] = lf->pos[i];
	}
	if (!lf->rec)
		return;
	/* Regroup into one source per run of equal record names. */
	ds->nsrc = src0;
	{
		char *path = ds->srcs[src0].path, *name = ds->srcs[src0].name;
		const char *reader = ds->srcs[src0].reader;
		int kind = ds->srcs[src0].kind;

		for (size_t i = 0; i < n; i++) {
			if (!i || strcmp(lf->rec[i], lf->rec[i - 1])) {
				uint32_t s;
				size_t save = ds->n;

				ds->n = first + i;
				s = rd_add_source(ds, lf->rec[i], path, kind, reader);
				ds->n = save;
				ds->srcs[s].n = 0;
			}
			ds->src[first + i] = (uint32_t)(ds->nsrc - 1);
			ds->srcs[ds->nsrc - 1].n++;
		}
		free(path);
		free(name);
	}
}

/* PREFIX.rows.tsv beside PREFIX.x.f32 (bnn-extract). */
static char *rows_tsv_of(const char *path)
{
	size_t k = strlen(path);
	char *p;

	if (k < 6 || strcmp(path + k - 6, ".x.f32"))
		return NULL;
	p = xmalloc(k + 8);
	memcpy(p, path, k - 6);
	strcpy(p + k - 6, ".rows.tsv");
	if (rd_exists(p))
		return p;
	free(p);
	return NULL;
}

/* ---------------------------------------------------------------------
 * CSV
 * --------------------------------------------------------------------- */

/* Does the first data line look like column names? */
static int csv_has_header(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		const char *q = p;
		char line[65536];
		size_t k;
		char delim;
		char *f, *save = NULL;

		if (!e)
			e = end;
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if (q == e || *q == '\r' || *q == '#') {
			p = e + 1;
			continue;
		}
		k = (size_t)(e - p);
		if (k >= sizeof(line))
			k = sizeof(line) - 1;
		memcpy(line, p, k);
		line[k] = '\0';
		delim = strchr(line, ',') ? ',' : strchr(line, ';') ? ';' : 0;
		for (f = strtok_r(line, delim == ',' ? ",\r" : delim ? ";\r" :
				  " \t\r", &save);
		     f; f = strtok_r(NULL, delim == ',' ? ",\r" : delim ?
				     ";\r" : " \t\r", &save)) {
			double v;
			char *t = trim(f);

			if (*t && bnn_parse_f64(t, strlen(t), &v))
				return 1;
		}
		return 0;
	}
	return 0;
}

static int find_label_column(const struct opts *o, const bnn_csv *c,
			     size_t E, const char *path)
{
	static const char *const names[] = { "label", "class", "y", "target" };

	switch (o->label_column) {
	case LABCOL_NONE:
		return -1;
	case LABCOL_FIRST:
		return 0;
	case LABCOL_LAST:
		return (int)c->cols - 1;
	case LABCOL_NAME:
		if (!c->names)
			die(EX_DATA, "%s: --label-column %s: the file has no header line",
			    path, o->label_column_name);
		for (size_t i = 0; i < c->cols; i++)
			if (!strcmp(c->names[i], o->label_column_name))
				return (int)i;
		die(EX_DATA, "%s: no column named '%s'", path,
		    o->label_column_name);
	default:
		if (c->names)
			for (size_t k = 0; k < 4; k++)
				for (size_t i = 0; i < c->cols; i++)
					if (!strcasecmp(c->names[i], names[k]))
						return (int)i;
		return c->cols == E + 1 ? (int)c->cols - 1 : -1;
	}
}

/* Signal columns (rows = samples) of a CSV as channels, windowed at --fs. */
static void csv_signal(struct rd *r, uint32_t src, const char *path,
		       const bnn_csv *c, int txt)
{
	float **ch;

	r->ds->srcs[src].kind = SRC_WINDOWS;
	if (r->rate > 0 && !(r->o->fs > 0)) {
		if (txt)
			rd_fail(r, EX_USAGE,
				"%s: a signal without a sampling rate: it is no Bonn EEG segment (those sit in a Bonn layout, folder Z/ O/ N/ F/ or S/ beside another set folder, or are named like Z001.txt with 4097 lines); give its rate with --fs HZ (--fs 173.61 for Bonn EEG)",
				path);
		else
			rd_fail(r, EX_USAGE,
				"%s: a signal (%zu rows of %zu channel%s) carries no sampling rate and the model expects %g Hz: give its rate with --fs HZ",
				path, c->rows, c->cols, c->cols == 1 ? "" : "s",
				r->rate);
		return;
	}
	ch = xcalloc(r->C, sizeof(float *));
	for (uint32_t k = 0; k < r->C; k++) {
		ch[k] = xmalloc((c->rows ? c->rows : 1) * sizeof(float));
		for (size_t i = 0; i < c->rows; i++)
			ch[k][i] = (float)c->v[i * c->cols + k];
	}
	rd_signal_windows(r, src, ch, c->rows, r->o->fs, path, NULL, NULL);
	for (uint32_t k = 0; k < r->C; k++)
		free(ch[k]);
	free(ch);
}

/* The one column of a CSV signal for a beat model: beats detected at
 * --fs, which it needs. */
static void csv_beats(struct rd *r, uint32_t src, const char *path,
		      const bnn_csv *c)
{
	float *x;

	if (rd_beats_one_lead(r, path))
		return;
	if (!(r->o->fs > 0)) {
		rd_fail(r, EX_USAGE,
			"%s: a continuous signal (%zu rows of %zu value%s) for a beat model, whose items are %zu values centred on beats%s: bnn-run detects the beats, which needs the signal's sampling rate: give it with --fs HZ (or give one beat window per row)",
			path, c->rows, c->cols, c->cols == 1 ? "" : "s", r->E,
			r->sd.nfeatures ? " followed by rhythm features" : "");
		return;
	}
	x = xmalloc((c->rows ? c->rows : 1) * sizeof(float));
	for (size_t i = 0; i < c->rows; i++)
		x[i] = (float)c->v[i];
	rd_signal_beats(r, src, x, c->rows, r->o->fs, path, NULL);
	free(x);
}

static void read_csv_text(struct rd *r, const char *path, const char *text,
			  size_t len, int txt)
{
	const struct opts *o = r->o;
	unsigned flags = BNN_CSV_COMMENTS;
	bnn_csv c;
	bnn_error err;
	int lc, rc;
	size_t dcols;
	uint32_t src;

	if (csv_has_header(text, len))
		flags |= BNN_CSV_HEADER;
	rc = bnn_csv_parse(text, len, flags, &c, &err);
	if (rc) {
		rd_fail(r, status_of(rc) == EX_NOFILE ? EX_NOFILE : EX_DATA,
			"%s: %s%s", path, err.msg, strstr(err.msg, "bad number") ?
			" (a CSV file holds numbers only, labels too as class indices; give class names in a separate file: --labels FILE)" :
			"");
		return;
	}
	lc = o->labels_file ? -1 : find_label_column(o, &c, r->E, path);
	dcols = c.cols - (lc >= 0);
	src = rd_add_source(r->ds, rd_base_of(path), path, SRC_ROWS, "csv");
	if (dcols == r->E) {
		for (size_t i = 0; i < c.rows && !rd_full(r); i++) {
			const double *row = c.v + i * c.cols;
			int32_t lab = -1;
			float *x;
			size_t k = 0;

			if (lc >= 0) {
				double v = row[lc];
				char s[32];

				if (!(fabs(v) < 1e9) || v != floor(v)) {
					rd_fail(r, EX_DATA,
						"%s: row %zu: label %g is not an integer class (--label-column none if that column is data)",
						path, i + 1, v);
					break;
				}
				snprintf(s, sizeof(s), "%lld", (long long)v);
				lab = label_intern(r->ds, s, LABEL_GENERIC);
			}
			x = rd_push(r, src, lab, (int64_t)i);
			for (size_t j = 0; j < c.cols; j++)
				if ((int)j != lc)
					x[k++] = (float)row[j];
		}
	} else if (c.cols == r->C && r->E != r->C && r->beat) {
		/* A signal for a beat model: its beats are detected (windows
		 * cut every L samples would not be centred on beats). */
		csv_beats(r, src, path, &c);
	} else if (c.cols == r->C && r->E != r->C) {
		/* A signal: rows are samples, columns channels. */
		csv_signal(r, src, path, &c, txt);
	} else {
		rd_fail(r, EX_MISMATCH,
			"%s: rows have %zu value%s%s, the model expects %zu per item (%u channel%s x %u samples)%s",
			path, dcols, dcols == 1 ? "" : "s",
			lc >= 0 ? " besides the label" : "", r->E, r->C,
			r->C == 1 ? "" : "s", r->L,
			dcols == r->E + 1 && lc < 0 ?
			"; is a column a label? (--label-column)" : "");
	}
	bnn_csv_free(&c);
}

static void read_csv(struct rd *r, const char *path)
{
	uint8_t *buf;
	size_t len;
	bnn_error err;
	int rc = bnn_read_file(path, 0, &buf, &len, &err);

	if (rc) {
		rd_fail(r, status_of(rc), "%s", err.msg);
		return;
	}
	read_csv_text(r, path, (const char *)buf, len, 0);
	free(buf);
}

/*
 * .txt: a Bonn segment only in a real Bonn layout (bnn_bonn_layout_set:
 * the folder's letter is its label), or named like Z001.txt with exactly
 * 4097 lines (the name's letter is its label), or with --format bonn
 * (unlabelled unless one of those holds); else a CSV (items as rows) or
 * a signal of one value per line, which needs --fs.
 */
void read_txt(struct rd *r, const struct job *j)
{
	uint8_t *buf;
	size_t len, n = 0;
	bnn_error err, err2;
	float *x = NULL;
	char real[PATH_MAX];
	int layout = bnn_bonn_layout_set(realpath(j->path, real) ? real :
					 j->path);
	int byname = bnn_bonn_set_from_name(j->path);
	int rc = bnn_read_file(j->path, 0, &buf, &len, &err), bonn;

	if (rc) {
		rd_fail(r, status_of(rc), "%s", err.msg);
		return;
	}
	rc = bnn_bonn_parse((const char *)buf, len, 0, &x, &n, &err2);
	bonn = !rc && (layout >= 0 || j->reader == RD_BONN ||
		       (byname >= 0 && n == BNN_BONN_SAMPLES));
	if (bonn) {
		read_bonn(r, j->path, layout >= 0 ? layout :
			  byname >= 0 && n == BNN_BONN_SAMPLES ? byname : -1,
			  x, n);
	} else if (rc && (j->reader == RD_BONN || layout >= 0)) {
		rd_fail(r, status_of(rc), "%s: not a Bonn EEG segment%s: %s",
			j->path, layout >= 0 ? " (it sits in a Bonn layout)" : "",
			err2.msg);
	} else {
		bnn_csv c;

		rc = bnn_csv_parse((const char *)buf, len, BNN_CSV_COMMENTS |
				   (csv_has_header((const char *)buf, len) ?
				    BNN_CSV_HEADER : 0), &c, &err);
		if (rc) {
			rd_fail(r, EX_DATA,
				"%s: neither a Bonn EEG segment (%s) nor a numeric CSV (%s)",
				j->path, x ? "not in a Bonn layout" : err2.msg,
				err.msg);
		} else {
			bnn_csv_free(&c);
			read_csv_text(r, j->path, (const char *)buf, len, 1);
		}
	}
	free(x);
	free(buf);
}

/* ---------------------------------------------------------------------
 * float32 tensors
 * --------------------------------------------------------------------- */

/* --fs: the file is one continuous signal, r->C channels interleaved
 * (position-major), at --fs Hz: windows, or for a beat model (one lead)
 * its detected beats. */
static void f32_signal(struct rd *r, const char *path, size_t nvals)
{
	size_t shape[2], count, n;
	float *v, **ch;
	bnn_error err;
	uint32_t src;
	int rc;

	if (r->o->labels_file)
		die(EX_USAGE, "--labels labels float32 items; with --fs %s is a signal",
		    path);
	if (r->beat && rd_beats_one_lead(r, path))
		return;
	if (!nvals || nvals % r->C) {
		rd_fail(r, EX_MISMATCH,
			"%s: %zu float32 values are not a whole number of samples of the model's %u channels",
			path, nvals, r->C);
		return;
	}
	n = nvals / r->C;
	shape[0] = n;
	shape[1] = r->C;
	rc = bnn_f32_read(path, shape, 2, 0, &v, &count, &err);
	if (rc) {
		rd_fail(r, status_of(rc) == EX_NOFILE ? EX_NOFILE : EX_DATA,
			"%s", err.msg);
		return;
	}
	src = rd_add_source(r->ds, rd_base_of(path), path, SRC_WINDOWS, "f32");
	if (r->beat) {
		/* A beat model: the beats of the signal are detected. */
		rd_signal_beats(r, src, v, n, r->o->fs, path, NULL);
		free(v);
		return;
	}
	ch = xcalloc(r->C, sizeof(float *));
	for (uint32_t k = 0; k < r->C; k++) {
		ch[k] = xmalloc(n * sizeof(float));
		for (size_t i = 0; i < n; i++)
			ch[k][i] = v[i * r->C + k];
	}
	free(v);
	rd_signal_windows(r, src, ch, n, r->o->fs, path, NULL, NULL);
	for (uint32_t k = 0; k < r->C; k++)
		free(ch[k]);
	free(ch);
}

void read_f32(struct rd *r, const char *path)
{
	const struct opts *o = r->o;
	struct stat st;
	size_t shape[2], nvals, N;
	float *v;
	size_t count;
	bnn_error err;
	int rc, transpose = 0;
	uint32_t src;
	size_t first = r->ds->n, take;
	char *lpath = NULL;

	if (stat(path, &st)) {
		rd_fail(r, EX_NOFILE, "%s: %s", path, strerror(errno));
		return;
	}
	if (st.st_size % 4) {
		rd_fail(r, EX_DATA,
			"%s: %lld bytes is not a whole number of float32 values",
			path, (long long)st.st_size);
		return;
	}
	nvals = (size_t)st.st_size / 4;
	if (o->fs > 0) {
		f32_signal(r, path, nvals);
		return;
	}
	switch (o->shape_n) {
	case 0:
		if (!nvals || nvals % r->E) {
			rd_fail(r, EX_MISMATCH,
				"%s: %zu float32 values are not a whole number of items of %zu (the model's %u channel%s x %u samples); give --shape",
				path, nvals, r->E, r->C, r->C == 1 ? "" : "s", r->L);
			return;
		}
		N = nvals / r->E;
		break;
	case 1:
		N = o->shape[0];
		break;
	case 2:
		N = o->shape[0];
		if (o->shape[1] != r->E)
			die(EX_MISMATCH,
			    "--shape %zu,%zu: items of %zu values, the model expects %zu (%u channel%s x %u samples)",
			    o->shape[0], o->shape[1], o->shape[1], r->E, r->C,
			    r->C == 1 ? "" : "s", r->L);
		break;
	default:
		N = o->shape[0];
		if (o->shape[1] != r->C || o->shape[2] != r->L)
			die(EX_MISMATCH,
			    "--shape %zu,%zu,%zu (N,C,L): the model expects C = %u channel%s and L = %u samples",
			    o->shape[0], o->shape[1], o->shape[2], r->C,
			    r->C == 1 ? "" : "s", r->L);
		transpose = r->C > 1;
		break;
	}
	shape[0] = N;
	shape[1] = r->E;
	rc = bnn_f32_read(path, shape, 2, 0, &v, &count, &err);
	if (rc) {
		rd_fail(r, status_of(rc) == EX_NOFILE ? EX_NOFILE : EX_DATA,
			"%s%s", err.msg, rc == BNN_E_SIZE ||
			rc == BNN_E_TRUNCATED ? " (check --shape)" : "");
		return;
	}
	src = rd_add_source(r->ds, rd_base_of(path), path, SRC_TENSOR, "f32");
	take = N;
	if (o->limit && r->ds->n + take > o->limit)
		take = (size_t)(o->limit - r->ds->n);
	for (size_t i = 0; i < take; i++) {
		float *x = rd_push(r, src, -1, (int64_t)i);
		const float *s = v + i * r->E;

		if (transpose) {
			for (size_t c = 0; c < r->C; c++)
				for (size_t p = 0; p < r->L; p++)
					x[p * r->C + c] = s[c * r->L + p];
		} else {
			memcpy(x, s, r->E * sizeof(float));
		}
	}
	free(v);
	lpath = o->labels_file ? xstrdup(o->labels_file) : rows_tsv_of(path);
	if (lpath) {
		struct labelfile lf;

		read_labelfile(r, lpath, &lf);
		if (!o->labels_file)
			note("%s: labels from %s", rd_base_of(path), lpath);
		apply_labels(r, lpath, first, take, N, &lf, src);
		labelfile_free(&lf);
		free(lpath);
	}
}

void read_csv_job(struct rd *r, const struct job *j)
{
	size_t first = r->ds->n;
	uint32_t src0 = (uint32_t)r->ds->nsrc;

	read_csv(r, j->path);
	if (r->o->labels_file && !r->failed) {
		struct labelfile lf;
		size_t n = r->ds->n - first;

		read_labelfile(r, r->o->labels_file, &lf);
		/* --limit may have cut the rows: compare with the file. */
		apply_labels(r, r->o->labels_file, first, n,
			     r->ds->limited || rd_full(r) ? lf.n : n, &lf, src0);
		labelfile_free(&lf);
	}
}

