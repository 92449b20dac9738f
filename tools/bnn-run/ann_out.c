// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * ann_out.c - bnn-run --write-ann EXT: the classified beats of each WFDB
 * record as a WFDB annotation file RECORD.EXT (libbnn's MIT-format
 * writer), beside the record or in --ann-dir, so that WFDB tools and
 * viewers read them and compare them with the reference (bxb, rdann...);
 * likewise the beats detected in an EDF file or a CSV / float32 signal,
 * as NAME.EXT for FILE NAME.edf (its name without the extension).
 *
 * One annotation per classified beat at its R peak (the reference's or
 * the detector's sample): the WFDB code of the predicted AAMI class (N,
 * S, V, F, Q: the EC57 mnemonics, S = code 9 SVPB); a model class that
 * stands for no single AAMI class is written as Q with its name as the
 * aux text.  The file is written under a temporary name and renamed
 * (output.c); it never replaces the record's header, its reference
 * annotations or anything that is not an annotation file.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inputs.h"
#include "output.h"

/* Beats at sample positions of their own signal: a WFDB record's, or
 * those detected in an EDF file or a CSV / float32 signal. */
static int is_record(const struct source *s)
{
	return s->kind == SRC_BEATS;
}

static int is_wfdb(const struct source *s)
{
	return !strcmp(s->reader, "wfdb");
}

/* Record name of the annotation file (malloc'ed): a WFDB record's name,
 * else the file's name without its extension ("rec.edf": "rec"). */
static char *ann_name(const struct source *s)
{
	const char *b = rd_base_of(s->path), *e = rd_ext_of(s->path);
	char *n;

	if (is_wfdb(s))
		return xstrdup(s->name);
	n = xstrdup(b);
	if (*e)
		n[strlen(n) - strlen(e) - 1] = '\0';
	return n;
}

/* Folder of the annotation file of source s (malloc'ed). */
static char *out_dir(const struct opts *o, const struct source *s)
{
	return o->ann_dir ? xstrdup(o->ann_dir) : rd_dir_of(s->path);
}

/* Writable for us: also for root, a folder without any write permission
 * bit is taken as read-only (the data folders are shipped that way). */
static const char *unwritable(const char *dir)
{
	struct stat st;

	if (stat(dir, &st))
		return strerror(errno);
	if (!S_ISDIR(st.st_mode))
		return "not a folder";
	if (access(dir, W_OK | X_OK) || !(st.st_mode & 0222))
		return "the folder is not writable";
	return NULL;
}

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

void annout_check(const struct opts *o, const bnn_model_info *mi,
		  const struct dataset *ds)
{
	size_t nrec = 0;
	char **paths;
	const char *why;

	if (!o->write_ann)
		return;
	if (!mi->input.beat_pre && !mi->input.beat_post)
		die(EX_USAGE, "--write-ann writes beat annotations: the model has no beat window (it classifies windows of %u samples)",
		    mi->input.length);
	if (o->ann_dir && (why = unwritable(o->ann_dir)))
		die(EX_RUNTIME, "--ann-dir %s: %s", o->ann_dir, why);
	if (!ds)
		return;
	paths = xcalloc(ds->nsrc ? ds->nsrc : 1, sizeof(*paths));
	for (size_t i = 0; i < ds->nsrc; i++) {
		const struct source *s = &ds->srcs[i];
		char *dir, *ref, *name;
		bnn_wfdb_annlist old = { 0 };
		bnn_error err;

		if (!is_record(s))
			continue;
		dir = out_dir(o, s);
		if (!o->ann_dir && (why = unwritable(dir)))
			die(EX_RUNTIME, "cannot write the annotations of %s %s in %s: %s (--ann-dir DIR writes them elsewhere)",
			    is_wfdb(s) ? "record" : "file", s->name, dir, why);
		name = ann_name(s);
		paths[i] = rd_path2(dir, name, o->write_ann);
		free(name);
		for (size_t k = 0; k < i; k++)
			if (paths[k] && !strcmp(paths[k], paths[i]))
				die(EX_USAGE, "%s and %s would both write %s: run them apart or give --ann-dir",
				    ds->srcs[k].path, s->path, paths[i]);
		/* Through a symlink too: never the record's own files, nor
		 * the file the beats were detected in. */
		if (!is_wfdb(s) && same_file(paths[i], s->path))
			die(EX_USAGE, "%s is the input file itself: --write-ann never replaces it; choose another extension, e.g. bnn",
			    paths[i]);
		for (int r = 0; r < 2 && is_wfdb(s); r++) {
			ref = rd_path2("", s->path, r ? "hea" : o->annotator);
			if (same_file(paths[i], ref))
				die(EX_USAGE, "%s is the record's %s (%s): --write-ann never replaces it",
				    paths[i], r ? "header" : "reference annotation file", ref);
			free(ref);
		}
		if (rd_exists(paths[i]) &&
		    bnn_wfdb_read_ann(paths[i], &old, &err))
			die(EX_RUNTIME, "%s exists and is no annotation file (%s): not replacing it; remove it or choose another extension",
			    paths[i], err.msg);
		bnn_wfdb_annlist_free(&old);
		free(dir);
		nrec++;
	}
	for (size_t i = 0; i < ds->nsrc; i++)
		free(paths[i]);
	free(paths);
	if (!nrec)
		warnx_("--write-ann: no beats among the inputs (WFDB records, or EDF files and CSV / float32 signals whose beats are detected), no annotation file written");
}

/* Stable order by sample (beats come in time order; this only makes
 * sure the writer gets sorted times). */
static int by_sample(const void *a, const void *b)
{
	const bnn_wfdb_ann *x = a, *y = b;

	if (x->sample != y->sample)
		return x->sample < y->sample ? -1 : 1;
	return x->num < y->num ? -1 : x->num > y->num;
}

void annout_write(const struct run_ctx *c)
{
	const struct opts *o = c->o;
	const struct dataset *ds = c->ds;
	uint32_t K = c->mi.nclasses;
	int *code = xcalloc(K, sizeof(int));
	const char **aux = xcalloc(K, sizeof(char *));
	size_t files = 0, beats = 0;
	char *last = NULL;

	if (!o->write_ann)
		goto out;
	for (uint32_t k = 0; k < K; k++) {
		int a = labels_aami_of_class(c->m, k);

		code[k] = bnn_wfdb_ann_code(bnn_aami_name(a >= 0 ? a : BNN_AAMI_Q));
		aux[k] = a >= 0 ? NULL : bnn_model_class_name(c->m, k);
	}
	for (size_t i = 0; i < ds->nsrc; i++) {
		const struct source *s = &ds->srcs[i];
		bnn_wfdb_ann *ann;
		struct output out;
		uint8_t *buf;
		size_t len;
		bnn_error err;
		char *dir, *path;

		if (!is_record(s))
			continue;
		ann = xcalloc(s->n ? s->n : 1, sizeof(*ann));
		for (size_t j = 0; j < s->n; j++) {
			int32_t p = c->pred[s->first + j];

			ann[j].sample = ds->pos[s->first + j];
			ann[j].code = code[p];
			ann[j].aux = aux[p];
			/* num: the item's order, for the sort only (reset below) */
			ann[j].num = (int)(j & 0x7fffffff);
		}
		qsort(ann, s->n, sizeof(*ann), by_sample);
		for (size_t j = 0; j < s->n; j++)
			ann[j].num = 0;
		if (bnn_wfdb_format_ann(ann, s->n, &buf, &len, &err))
			die(EX_RUNTIME, "record %s: annotations: %s", s->name,
			    err.msg);
		dir = out_dir(o, s);
		{
			char *name = ann_name(s);

			path = rd_path2(dir, name, o->write_ann);
			free(name);
		}
		output_open(&out, path, "annotations");
		if (len && fwrite(buf, 1, len, out.f) != len)
			die(EX_RUNTIME, "writing %s failed: %s", path,
			    strerror(errno));
		output_commit(&out);
		files++;
		beats += s->n;
		free(last);
		last = path;
		free(dir);
		free(buf);
		free(ann);
	}
	if (files == 1)
		note("%zu beat annotation%s written to %s", beats,
		     beats == 1 ? "" : "s", last);
	else if (files)
		note("%zu beat annotations written to %zu .%s files (%s)", beats,
		     files, o->write_ann, o->ann_dir ? o->ann_dir :
		     "beside the records");
out:
	free(last);
	free(code);
	free(aux);
}
