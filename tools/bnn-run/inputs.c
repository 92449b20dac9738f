// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * inputs.c - bnn-run: find out what each input argument is (MIT-BIH set or
 * record, WFDB folder, Bonn EEG root / set / segment, EDF / EDF+ / BDF
 * file, CSV, float32 tensor)
 * and turn it into model items with libbnn's data readers, following the
 * model's input description (channels, length, rate, beat window, lead).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inputs.h"
#include "read_parallel.h"

/* ---------------------------------------------------------------------
 * Data set
 * --------------------------------------------------------------------- */

int label_intern(struct dataset *ds, const char *s, int kind)
{
	for (size_t i = 0; i < ds->nlabels; i++)
		if (!strcmp(ds->labels[i], s))
			return (int)i;
	if (ds->nlabels >= 1u << 20)
		die(EX_DATA, "more than %u distinct labels", 1u << 20);
	ds->labels = xrealloc(ds->labels, (ds->nlabels + 1) * sizeof(char *));
	ds->label_kind = xrealloc(ds->label_kind, ds->nlabels + 1);
	ds->label_count = xrealloc(ds->label_count,
				   (ds->nlabels + 1) * sizeof(size_t));
	ds->labels[ds->nlabels] = xstrdup(s);
	ds->label_kind[ds->nlabels] = (unsigned char)kind;
	ds->label_count[ds->nlabels] = 0;
	return (int)ds->nlabels++;
}

void dataset_free(struct dataset *ds)
{
	free(ds->x);
	free(ds->dlabel);
	free(ds->pos);
	free(ds->src);
	for (size_t i = 0; i < ds->nsrc; i++) {
		free(ds->srcs[i].name);
		free(ds->srcs[i].path);
	}
	free(ds->srcs);
	for (size_t i = 0; i < ds->nlabels; i++)
		free(ds->labels[i]);
	free(ds->labels);
	free(ds->label_kind);
	free(ds->label_count);
	free(ds->lmap);
	for (size_t i = 0; i < ds->nskips; i++) {
		free(ds->skips[i].input);
		free(ds->skips[i].reason);
	}
	free(ds->skips);
	memset(ds, 0, sizeof(*ds));
}

uint32_t rd_add_source(struct dataset *ds, const char *name,
		       const char *path, int kind, const char *reader)
{
	struct source *s;

	if (ds->nsrc == ds->srccap) {
		ds->srccap = ds->srccap ? 2 * ds->srccap : 16;
		ds->srcs = xrealloc(ds->srcs, ds->srccap * sizeof(*ds->srcs));
	}
	s = &ds->srcs[ds->nsrc];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	s->path = xstrdup(path);
	s->kind = kind;
	s->reader = reader;
	s->first = ds->n;
	return (uint32_t)ds->nsrc++;
}

void rd_fail(struct rd *r, int status, const char *fmt, ...)
{
	struct dataset *ds = r->ds;
	struct skip *sk;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!r->batch)
		die(status, "%s", msg);
	/* On stderr like a warning, but listed apart in the JSON report. */
	msg_raw(PROG ": warning: skipped %s: %s\n", r->cur, msg);
	ds->skips = xrealloc(ds->skips, (ds->nskips + 1) * sizeof(*ds->skips));
	sk = &ds->skips[ds->nskips++];
	sk->input = xstrdup(r->cur);
	sk->reason = xstrdup(msg);
	sk->status = status;
	r->failed = 1;
}

/* Forget what a skipped input added. */
void rd_rollback(struct dataset *ds, size_t n, size_t nsrc)
{
	for (size_t i = n; i < ds->n; i++)
		if (ds->dlabel[i] >= 0)
			ds->label_count[ds->dlabel[i]]--;
	for (size_t i = nsrc; i < ds->nsrc; i++) {
		free(ds->srcs[i].name);
		free(ds->srcs[i].path);
	}
	ds->n = n;
	ds->nsrc = nsrc;
}

int rd_full(const struct rd *r)
{
	return r->o->limit && r->ds->n >= r->o->limit;
}

/* Room for one more item; returns its floats (dlabel/pos/src set). */
float *rd_push(struct rd *r, uint32_t src, int32_t dlabel, int64_t pos)
{
	struct dataset *ds = r->ds;
	size_t i;

	if (ds->n == ds->cap) {
		size_t cap = ds->cap ? 2 * ds->cap : 1024;

		if (cap > ((size_t)1 << 34) / (ds->elems * sizeof(float)))
			die(EX_RUNTIME,
			    "too much data (%zu items of %zu values): use --limit",
			    ds->n, ds->elems);
		ds->x = xrealloc(ds->x, cap * ds->elems * sizeof(float));
		ds->dlabel = xrealloc(ds->dlabel, cap * sizeof(int32_t));
		ds->pos = xrealloc(ds->pos, cap * sizeof(int64_t));
		ds->src = xrealloc(ds->src, cap * sizeof(uint32_t));
		ds->cap = cap;
	}
	i = ds->n++;
	ds->dlabel[i] = dlabel;
	ds->pos[i] = pos;
	ds->src[i] = src;
	ds->srcs[src].n++;
	if (dlabel >= 0)
		ds->label_count[dlabel]++;
	return ds->x + i * ds->elems;
}

/* ---------------------------------------------------------------------
 * Small helpers
 * --------------------------------------------------------------------- */

char *rd_path2(const char *a, const char *b, const char *ext)
{
	char buf[PATH_MAX];
	int k = snprintf(buf, sizeof(buf), "%s%s%s%s%s", a, *a ? "/" : "", b,
			 ext ? "." : "", ext ? ext : "");

	if (k < 0 || (size_t)k >= sizeof(buf))
		die(EX_USAGE, "path too long: %s/%s", a, b);
	return xstrdup(buf);
}

int rd_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

const char *rd_ext_of(const char *path)
{
	const char *b = strrchr(path, '/'), *d;

	b = b ? b + 1 : path;
	d = strrchr(b, '.');
	return d && d != b ? d + 1 : "";
}

const char *rd_base_of(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

char *rd_dir_of(const char *path)
{
	const char *b = strrchr(path, '/');

	if (!b)
		return xstrdup(".");
	if (b == path)
		return xstrdup("/");
	{
		char *d = xstrdup(path);

		d[b - path] = '\0';
		return d;
	}
}

int rd_same_rate(double a, double b)
{
	return fabs(a - b) <= 1e-3 * b;
}

int rd_once_given(struct rd *r, int key, double val)
{
	if (key == RD_ONCE_RATE) {
		if (rd_same_rate(val, r->noted_rate))
			return 0;
		r->noted_rate = val;
		return 1;
	}
	return !r->noted[key]++;
}

int rd_once(struct rd *r, int key, double val)
{
	if (msg_capturing()) {
		msg_once(key, val);
		return 1;
	}
	return rd_once_given(r, key, val);
}

void rd_note_resample(struct rd *r, double fs)
{
	if (!rd_once(r, RD_ONCE_RATE, fs))
		return;
	note("resampling inputs at %g Hz to the model's %g Hz (%s; --no-resample makes a rate mismatch an error)",
	     fs, r->rate, r->o->resample_method == BNN_RESAMPLE_LINEAR ?
	     "linear" : "windowed sinc");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted visible entries of a folder. */
static size_t list_dir(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0;

	if (!d)
		die(EX_NOFILE, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void add_job(struct rd *r, int reader, const char *dir,
		    const char *name, const char *path, int explicit_)
{
	struct job *j;

	if (r->njobs == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 32;
		r->jobs = xrealloc(r->jobs, r->cap * sizeof(*r->jobs));
	}
	j = &r->jobs[r->njobs++];
	j->reader = reader;
	j->dir = dir ? xstrdup(dir) : NULL;
	j->name = name ? xstrdup(name) : NULL;
	j->path = path ? xstrdup(path) : NULL;
	j->explicit_ = explicit_;
}

/* The split of a WFDB folder (for the AAMI map, sets, paced): its
 * SPLITS_AAMI.txt when there is one, else the built-in de Chazal split. */
void rd_load_split(struct rd *r, const char *dir, int required,
		   const char *why)
{
	char *p;
	bnn_error err;
	int rc;

	if (r->have_split && !strcmp(r->split_dir, dir))
		return;
	snprintf(r->split_dir, sizeof(r->split_dir), "%s", dir);
	r->have_split = 0;
	r->split_builtin = 0;
	if (required && !rd_exists(dir))
		die(EX_NOFILE,
		    "%s: the MIT-BIH folder %s does not exist (set --data DIR or RBNN_DATA)",
		    why, dir);
	p = rd_path2(dir, "SPLITS_AAMI.txt", NULL);
	if (rd_exists(p)) {
		rc = bnn_aami_split_read(p, &r->split, &err);
		if (rc)
			die(status_of(rc), "%s: %s", why, err.msg);
	} else {
		bnn_aami_split_default(&r->split);
		r->split_builtin = 1;
	}
	r->have_split = 1;
	free(p);
}

const char *rd_split_set_name(const struct rd *r, const char *rec)
{
	if (!r->have_split)
		return NULL;
	switch (bnn_aami_split_find(&r->split, rec)) {
	case BNN_SET_DS1: return "DS1";
	case BNN_SET_DS2: return "DS2";
	case BNN_SET_PACED: return "paced";
	default: return NULL;
	}
}

static int valid_record_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= BNN_RECNAME_MAX)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

int rd_bonn_letter(const char *name)
{
	if (strlen(name) != 1)
		return -1;
	return bnn_bonn_set_from_letter(name[0]);
}

void rd_fs_ignored(struct rd *r, const char *what)
{
	if (r->o->fs > 0 && rd_once(r, RD_ONCE_FS_IGNORED, 0))
		warnx_("--fs ignored for %s: it carries its own sampling rate",
		       what);
}

int rd_is_edf_magic(const char *head, size_t len)
{
	return len >= 8 && (!memcmp(head, "0       ", 8) ||
			    !memcmp(head, "\xff" "BIOSEMI", 8));
}

static int is_edf_name(const char *name)
{
	return !strcasecmp(rd_ext_of(name), "edf") ||
	       !strcasecmp(rd_ext_of(name), "bdf");
}

/* ---------------------------------------------------------------------
 * Expansion of the arguments into jobs
 * --------------------------------------------------------------------- */

static void add_record(struct rd *r, const char *dir, const char *name,
		       int explicit_)
{
	for (size_t i = 0; i < r->njobs; i++)
		if (r->jobs[i].reader == RD_WFDB &&
		    !strcmp(r->jobs[i].name, name) &&
		    !strcmp(r->jobs[i].dir, dir)) {
			note("record %s given twice: read once", name);
			return;
		}
	add_job(r, RD_WFDB, dir, name, NULL, explicit_);
}

static void expand_set(struct rd *r, const char *key)
{
	const char *dir = r->o->data_dir;
	int sets[2] = { -1, -1 };

	rd_load_split(r, dir, 1, key);
	if (r->split_builtin && rd_once(r, RD_ONCE_BUILTIN, 0))
		note("%s: no SPLITS_AAMI.txt in %s: using the built-in split (de Chazal et al. 2004)",
		     key, dir);
	if (!strcasecmp(key, "DS1"))
		sets[0] = BNN_SET_DS1;
	else if (!strcasecmp(key, "DS2"))
		sets[0] = BNN_SET_DS2;
	else {
		sets[0] = BNN_SET_DS1;
		sets[1] = BNN_SET_DS2;
	}
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; sets[k] >= 0 && i < r->split.nrec[sets[k]];
		     i++)
			add_record(r, dir, r->split.rec[sets[k]][i], 1);
}

static void expand_file(struct rd *r, const char *path);

static int is_txt(const char *name)
{
	return !strcasecmp(rd_ext_of(name), "txt");
}

static void expand_dir(struct rd *r, const char *dir)
{
	char **v;
	size_t n = list_dir(dir, &v), nhea = 0, nsets = 0, ntxt = 0;

	for (size_t i = 0; i < n; i++) {
		char *p = rd_path2(dir, v[i], NULL);
		struct stat st;

		if (!strcmp(rd_ext_of(v[i]), "hea"))
			nhea++;
		else if (is_txt(v[i]))
			ntxt++;
		else if (rd_bonn_letter(v[i]) >= 0 && !stat(p, &st) &&
			 S_ISDIR(st.st_mode))
			nsets++;
		free(p);
	}
	if (nhea && r->o->format != FMT_BONN && r->o->format != FMT_CSV) {
		size_t skipped = 0;
		char paced[256] = "";

		rd_load_split(r, dir, 0, dir);
		for (size_t i = 0; i < n; i++) {
			char rec[BNN_RECNAME_MAX + 8];
			size_t k = strlen(v[i]);

			if (strcmp(rd_ext_of(v[i]), "hea") || k - 4 >= sizeof(rec))
				continue;
			memcpy(rec, v[i], k - 4);
			rec[k - 4] = '\0';
			if (!r->o->allow_paced && r->have_split &&
			    bnn_aami_split_find(&r->split, rec) == BNN_SET_PACED) {
				skipped++;
				strncat(paced, " ", sizeof(paced) - strlen(paced) - 1);
				strncat(paced, rec, sizeof(paced) - strlen(paced) - 1);
				continue;
			}
			add_record(r, dir, rec, 0);
		}
		if (skipped)
			note("%s: left out %zu paced record%s (AAMI EC57; --allow-paced includes them):%s",
			     dir, skipped, skipped > 1 ? "s" : "", paced);
	} else if (nsets && r->o->format != FMT_CSV) {
		for (size_t i = 0; i < n; i++) {
			char *p = rd_path2(dir, v[i], NULL);
			struct stat st;

			if (rd_bonn_letter(v[i]) >= 0 && !stat(p, &st) &&
			    S_ISDIR(st.st_mode))
				expand_dir(r, p);
			free(p);
		}
	} else if (ntxt) {
		for (size_t i = 0; i < n; i++)
			if (is_txt(v[i])) {
				char *p = rd_path2(dir, v[i], NULL);

				add_job(r, r->o->format == FMT_BONN ? RD_BONN :
					   r->o->format == FMT_CSV ? RD_CSV :
					   RD_TXT, NULL, NULL, p, 1);
				free(p);
			}
	} else {
		size_t ntab = 0;

		for (size_t i = 0; i < n; i++) {
			const char *e = rd_ext_of(v[i]);

			if (!strcasecmp(e, "csv") || !strcasecmp(e, "tsv") ||
			    !strcasecmp(e, "f32") || is_edf_name(v[i])) {
				char *p = rd_path2(dir, v[i], NULL);

				expand_file(r, p);
				free(p);
				ntab++;
			}
		}
		if (!ntab)
			die(EX_DATA,
			    "%s: no WFDB records (.hea), Bonn EEG sets (Z/ O/ N/ F/ S/), segments (.txt), EDF / BDF, CSV or .f32 files in this folder",
			    dir);
	}
	free_list(v, n);
}

/* First bytes of a file, to tell models and binary data from text. */
static int sniff(const char *path, char *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");

	if (!f)
		die(EX_NOFILE, "%s: %s", path, strerror(errno));
	*len = fread(buf, 1, cap, f);
	fclose(f);
	for (size_t i = 0; i < *len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t'))
			return 0;	/* binary */
	}
	return 1;
}

static void expand_file(struct rd *r, const char *path)
{
	const char *ext = rd_ext_of(path);
	int f = r->o->format;
	char head[4096];
	size_t hl;

	if (f == FMT_CSV || f == FMT_F32 || f == FMT_BONN || f == FMT_EDF) {
		add_job(r, f == FMT_CSV ? RD_CSV : f == FMT_F32 ? RD_F32 :
			f == FMT_EDF ? RD_EDF : RD_BONN, NULL, NULL, path, 1);
		return;
	}
	if (!strcmp(ext, "hea") || !strcmp(ext, "dat") ||
	    !strcmp(ext, r->o->annotator) || f == FMT_WFDB) {
		char *dir = rd_dir_of(path), *name = xstrdup(rd_base_of(path));
		char *dot = strrchr(name, '.');

		if (dot && dot != name)
			*dot = '\0';
		add_record(r, dir, name, 1);
		free(dir);
		free(name);
		return;
	}
	if (!strcasecmp(ext, "csv") || !strcasecmp(ext, "tsv")) {
		add_job(r, RD_CSV, NULL, NULL, path, 1);
		return;
	}
	if (is_edf_name(path)) {
		add_job(r, RD_EDF, NULL, NULL, path, 1);
		return;
	}
	if (!strcasecmp(ext, "txt")) {
		add_job(r, RD_TXT, NULL, NULL, path, 1);
		return;
	}
	if (!strcasecmp(ext, "f32") || !strcasecmp(ext, "raw") ||
	    !strcasecmp(ext, "bin")) {
		add_job(r, RD_F32, NULL, NULL, path, 1);
		return;
	}
	if (sniff(path, head, sizeof(head), &hl)) {
		add_job(r, RD_TXT, NULL, NULL, path, 1);
		return;
	}
	if (rd_is_edf_magic(head, hl)) {
		add_job(r, RD_EDF, NULL, NULL, path, 1);
		return;
	}
	if (hl >= 4 && !memcmp(head, "BNN1", 4))
		die(EX_USAGE, "%s is a .bnn model, not data (give the model with --model)",
		    path);
	die(EX_DATA,
	    "%s: cannot tell what this file holds: use .csv/.tsv (items as rows), .txt (Bonn EEG segment), .edf/.bdf (EDF, EDF+, BDF), .f32/.raw/.bin (float32), a WFDB record (.hea), a folder, or --format",
	    path);
}

static void expand_arg(struct rd *r, const char *arg)
{
	struct stat st;
	char *p;

	if (!*arg)
		die(EX_USAGE, "empty input argument");
	if (stat(arg, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			if (access(arg, R_OK | X_OK))
				die(EX_NOFILE, "%s: %s", arg, strerror(errno));
			expand_dir(r, arg);
			r->batch = 1;
		} else if (S_ISREG(st.st_mode)) {
			if (access(arg, R_OK))
				die(EX_NOFILE, "%s: %s", arg, strerror(errno));
			expand_file(r, arg);
		} else {
			die(EX_NOFILE, "%s: not a regular file or folder", arg);
		}
		return;
	}
	if (errno != ENOENT && errno != ENOTDIR)
		die(EX_NOFILE, "%s: %s", arg, strerror(errno));
	if ((!strcasecmp(arg, "DS1") || !strcasecmp(arg, "DS2") ||
	     !strcasecmp(arg, "ALL")) && r->o->format != FMT_CSV &&
	    r->o->format != FMT_F32 && r->o->format != FMT_BONN) {
		expand_set(r, arg);
		r->batch = 1;
		return;
	}
	/* DIR/100 (a record path without .hea) */
	p = rd_path2("", arg, "hea");
	if (strchr(arg, '/') && rd_exists(p)) {
		char *dir = rd_dir_of(arg);

		add_record(r, dir, rd_base_of(arg), 1);
		free(dir);
		free(p);
		return;
	}
	free(p);
	/* A record name under --data. */
	if (valid_record_name(arg)) {
		p = rd_path2(r->o->data_dir, arg, "hea");
		if (rd_exists(p)) {
			free(p);
			rd_load_split(r, r->o->data_dir, 0, arg);
			add_record(r, r->o->data_dir, arg, 1);
			return;
		}
		free(p);
		if (!rd_exists(r->o->data_dir))
			die(EX_NOFILE,
			    "%s: no such file or folder, and no MIT-BIH folder to find a record in (%s does not exist; set --data DIR or RBNN_DATA)",
			    arg, r->o->data_dir);
		die(EX_NOFILE,
		    "%s: no such file, folder or record (records are looked up in %s)",
		    arg, r->o->data_dir);
	}
	/* "100,101" */
	if (strchr(arg, ',') && !strchr(arg, '/')) {
		char *copy = xstrdup(arg), *save = NULL;

		for (char *t = strtok_r(copy, ",", &save); t;
		     t = strtok_r(NULL, ",", &save))
			expand_arg(r, t);
		free(copy);
		return;
	}
	die(EX_NOFILE, "%s: no such file or folder", arg);
}

void rd_wfdb_warnings(const char *name, const bnn_wfdb_warnings *w)
{
	for (int i = 0; i < w->n; i++)
		warnx_("record %s: %s", name, w->msg[i]);
	if (w->dropped)
		warnx_("record %s: (+%d more warnings)", name, w->dropped);
}

/* ---------------------------------------------------------------------
 * Entry point
 * --------------------------------------------------------------------- */

void inputs_load(const struct opts *o, const bnn_model *m,
		 const bnn_model_info *mi, struct dataset *ds,
		 struct progress *pg)
{
	struct rd r;
	struct rp *rp = NULL;
	double t0 = now_s();
	size_t ntab = 0;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.m = m;
	r.mi = mi;
	r.ds = ds;
	r.pg = pg;
	r.C = mi->input.channels;
	r.L = mi->input.length;
	r.sd.size = sizeof(r.sd);
	if (bnn_model_signal_get(m, &r.sd))
		die(EX_MODEL, "model: no signal description");
	for (uint32_t k = 0; k < r.sd.nfeatures; k++)
		bnn_model_feature_get(m, k, &r.fkind[k], NULL, NULL);
	r.E = r.sd.item_floats;
	r.rate = mi->input.sample_rate_hz;
	r.beat = mi->input.beat_pre || mi->input.beat_post;
	if (r.sd.nfeatures && !r.beat)
		die(EX_MODEL,
		    "the model takes %u rhythm features but no beat window: only beat models can have them",
		    r.sd.nfeatures);
	r.hop = o->hop ? o->hop : r.L;
	ds->elems = r.E;
	leads_check(&r);

	for (int i = 0; i < o->ninputs; i++)
		expand_arg(&r, o->inputs[i]);
	for (size_t i = 0; i < r.njobs; i++)
		ntab += r.jobs[i].reader == RD_CSV || r.jobs[i].reader == RD_F32 ||
			r.jobs[i].reader == RD_TXT;
	if (o->labels_file && (ntab != 1 || r.njobs != 1))
		die(EX_USAGE,
		    "--labels goes with one CSV or float32 input (got %zu input%s)",
		    r.njobs, r.njobs == 1 ? "" : "s");
	r.batch |= r.njobs > 1;
	if (r.batch) {
		size_t nw = 0;

		for (size_t i = 0; i < r.njobs; i++)
			nw += r.jobs[i].reader == RD_WFDB;
		rp = rp_start(&r, rp_threads(o, nw));
	}
	for (size_t i = 0; i < r.njobs; i++) {
		const struct job *j = &r.jobs[i];
		size_t n0 = ds->n, nsrc0 = ds->nsrc;

		if (rd_full(&r)) {
			ds->limited = 1;
			break;
		}
		r.cur = j->reader == RD_WFDB ? j->name : j->path;
		r.failed = 0;
		progress_update(pg, "reading", i, r.njobs, "inputs");
		switch (j->reader) {
		case RD_WFDB:
			if (!rp || rp_take(rp, &r, i))
				read_wfdb(&r, j);
			break;
		case RD_BONN:
		case RD_TXT:
			read_txt(&r, j);
			break;
		case RD_CSV:
			read_csv_job(&r, j);
			break;
		case RD_EDF:
			read_edf(&r, j);
			break;
		default:
			read_f32(&r, j->path);
			break;
		}
		if (r.failed)
			rd_rollback(ds, n0, nsrc0);
	}
	rp_stop(rp);
	if (rd_full(&r))
		ds->limited = 1;
	progress_end(pg);
	for (size_t i = 0; i < r.njobs; i++) {
		free(r.jobs[i].dir);
		free(r.jobs[i].name);
		free(r.jobs[i].path);
	}
	free(r.jobs);
	ds->load_s = now_s() - t0;
}

