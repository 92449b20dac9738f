// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * bnn-extract: write a training/evaluation data set with libbnn's data
 * readers, so that training (tools/train) sees exactly the inputs that
 * inference does.
 *
 *   bnn-extract mitdb [options] -o PREFIX     MIT-BIH beats (AAMI classes)
 *   bnn-extract bonn  [options] -o PREFIX     Bonn EEG windows
 *
 * Output (four files for mitdb, three for bonn):
 *   PREFIX.x.f32     little-endian float32, shape [n, C, len], item-major,
 *                    channel-major in an item (as PyTorch takes it); C = 1
 *                    but for mitdb with several leads (--lead MLII,V1)
 *   PREFIX.rhythm.f32  (mitdb) little-endian float32 [n, BNN_FEAT_COUNT]:
 *                    the RR-interval features of every beat
 *                    (bnn_rhythm_features; names in PREFIX.json "features")
 *   PREFIX.rows.tsv  one line per item (after a header line): index,
 *                    label and the group it belongs to (record / segment),
 *                    for patient-wise or segment-wise splits
 *   PREFIX.json      metadata: shape, rate, classes, options, counts
 *
 * The files are written under temporary names and renamed at the end, so
 * a failed run leaves no partial data set behind.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bnn_data.h"

#define PROG "bnn-extract"
#define EXTRACT_FORMAT_VERSION 2
#define MAX_RECORDS 256

/* Exit codes: 0 ok, 1 data/IO error, 2 usage error. */
#define EX_DATA 1
#define EX_USAGE 2

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(try '" PROG " --help')\n");
	exit(EX_USAGE);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " mitdb [OPTIONS] -o PREFIX\n"
"       " PROG " bonn  [OPTIONS] -o PREFIX\n"
"       " PROG " --help\n"
"\n"
"Write a data set with libbnn's readers (the same preprocessing as\n"
"inference) as PREFIX.x.f32 (little-endian float32 [n,C,len]: C leads,\n"
"channel-major; C = 1 but for --lead with several leads),\n"
"PREFIX.rows.tsv (label and group of every item), PREFIX.json (metadata,\n"
"format version 2) and for mitdb PREFIX.rhythm.f32 (float32 [n,9]: the\n"
"RR-interval features named in the JSON \"features\"; NaN for a record\n"
"with a single beat).\n"
"\n"
"mitdb: heartbeats of the MIT-BIH Arrhythmia Database, AAMI classes\n"
"  -d, --data DIR        record folder (default $RBNN_DATA/mitdb)\n"
"      --split FILE      split/class file (default DIR/SPLITS_AAMI.txt)\n"
"  -r, --records LIST    comma-separated records and/or sets: DS1, DS2, ALL\n"
"                        (= DS1 + DS2), or names like 101 (default DS1)\n"
"      --allow-paced     accept the paced records (102 104 107 217); they\n"
"                        are refused otherwise (AAMI EC57)\n"
"  -l, --lead NAME[,NAME...]\n"
"                        lead(s) by name (default MLII): several make the\n"
"                        channels of each beat, in this order, each lead\n"
"                        preprocessed on its own (libbnn's lead lookup:\n"
"                        description, then lead aliases such as ML II)\n"
"      --missing-lead M  error (default) | skip: a record without one of\n"
"                        the leads stops the run, or is left out (named\n"
"                        on stderr and in PREFIX.json \"skipped\"); a lead\n"
"                        is never replaced by another\n"
"      --pre N           samples before the R peak (default 90)\n"
"      --post N          samples from the R peak on (default 110)\n"
"      --fs HZ           output rate; 0 = the record's rate (default 0);\n"
"                        --pre/--post count output samples\n"
"      --resample M      sinc | linear (default sinc)\n"
"  -n, --norm M          none | zscore | mv  (per beat; default zscore)\n"
"      --baseline M      none | median: subtract the baseline (medians of\n"
"                        200 and 600 ms) from the whole lead (default none)\n"
"      --lowpass HZ      zero-phase FIR low-pass of the whole lead; 0 = none\n"
"                        (default); below half the output rate\n"
"      --amp-norm M      none | qrs: divide each beat by the median QRS\n"
"                        amplitude of it and the 31 beats before it\n"
"                        (default none)\n"
"      --ref-beats K     beat reference: subtract from each beat, sample by\n"
"                        sample, the median of the K beats before it\n"
"                        (1 .. 64; default 0 = none)\n"
"  With any of the first three, the lead is converted (--norm mv: mV), resampled,\n"
"  filtered, then cut into windows (bnn_data.h, \"Preprocessing\").\n"
"  label = AAMI class: 0 N, 1 S, 2 V, 3 F, 4 Q; group = record.\n"
"  rows.tsv also has the annotation symbol, the R-peak sample and the\n"
"  RR intervals to the previous/next beat annotation (record samples, -1\n"
"  if none).\n"
"\n"
"bonn: Bonn EEG segments (sets Z O N F S) cut into windows\n"
"  -d, --data DIR        root holding Z/ O/ N/ F/ S/ (default\n"
"                        $RBNN_DATA/bonn_eeg)\n"
"  -s, --sets LETTERS    sets to include, e.g. ZONFS (default), ZS\n"
"  -t, --task T          labels: eeg2 (S=1, rest=0), eeg3 (Z+O=0, N+F=1,\n"
"                        S=2), eeg5 (Z O N F S = 0..4) (default eeg2)\n"
"  -w, --win N           window length in samples (default 178)\n"
"      --hop N           window step (default = --win)\n"
"  -n, --norm M          none | zscore (per window; default none)\n"
"      --max-per-set N   first N segments (by file name) of each set\n"
"                        (default all)\n"
"  group = segment index (0..); split folds by group before training.\n"
"\n"
"common\n"
"  -o, --output PREFIX   output prefix (required); its folder must exist\n"
"  -q, --quiet           no summary on stderr\n"
"  -h, --help            this help\n"
"\n"
"Exit status: 0 ok, 1 data or I/O error, 2 usage error.\n");
}

/* ---------------------------------------------------------------------
 * Small helpers
 * --------------------------------------------------------------------- */

static long parse_int_arg(const char *opt, const char *s, long lo, long hi)
{
	int64_t v;

	if (!s || bnn_parse_i64(s, strlen(s), &v) || v < lo || v > hi)
		die_usage("%s wants an integer in %ld..%ld, got '%s'", opt, lo, hi,
			  s ? s : "");
	return (long)v;
}

static double parse_real_arg(const char *opt, const char *s, double lo,
			     double hi)
{
	double v;

	if (!s || bnn_parse_f64(s, strlen(s), &v) || !(v >= lo && v <= hi))
		die_usage("%s wants a number in %g..%g, got '%s'", opt, lo, hi,
			  s ? s : "");
	return v;
}

/* JSON string (the values written here are ASCII names; escape anyway). */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

enum { OUT_X, OUT_ROWS, OUT_JSON, OUT_RHYTHM, OUT_MAX };

struct out_files {
	int n;			/* 3, or 4 with the rhythm file */
	char final[OUT_MAX][4096];
	char tmp[OUT_MAX][4096 + 16];
	FILE *f[OUT_MAX];
};

static const char *const out_suffix[OUT_MAX] = { ".x.f32", ".rows.tsv", ".json",
						  ".rhythm.f32" };

static int out_open(struct out_files *o, const char *prefix, int n)
{
	size_t pl = strlen(prefix);

	memset(o, 0, sizeof *o);
	o->n = n;
	if (pl == 0 || prefix[pl - 1] == '/')
		die_usage("-o wants a file prefix (e.g. out/ds1), not a folder: '%s'",
			  prefix);
	for (int i = 0; i < n; i++) {
		int k = snprintf(o->final[i], sizeof o->final[i], "%s%s", prefix,
				 out_suffix[i]);
		if (k < 0 || (size_t)k >= sizeof o->final[i])
			die_usage("output prefix too long");
		snprintf(o->tmp[i], sizeof o->tmp[i], "%s.tmp%ld", o->final[i],
			 (long)getpid());
		o->f[i] = fopen(o->tmp[i],
				i == OUT_X || i == OUT_RHYTHM ? "wb" : "w");
		if (!o->f[i]) {
			fprintf(stderr, PROG ": error: cannot create %s: %s\n",
				o->tmp[i], strerror(errno));
			for (int j = 0; j < i; j++) {
				fclose(o->f[j]);
				remove(o->tmp[j]);
			}
			return -1;
		}
	}
	return 0;
}

static void out_abort(struct out_files *o)
{
	for (int i = 0; i < o->n; i++) {
		if (o->f[i])
			fclose(o->f[i]);
		o->f[i] = NULL;
		remove(o->tmp[i]);
	}
}

static int out_commit(struct out_files *o)
{
	for (int i = 0; i < o->n; i++) {
		int bad = ferror(o->f[i]);
		if (fclose(o->f[i]) || bad) {
			o->f[i] = NULL;
			fprintf(stderr, PROG ": error: writing %s failed: %s\n",
				o->tmp[i], strerror(errno));
			out_abort(o);
			return -1;
		}
		o->f[i] = NULL;
	}
	for (int i = 0; i < o->n; i++)
		if (rename(o->tmp[i], o->final[i])) {
			fprintf(stderr, PROG ": error: cannot rename %s to %s: %s\n",
				o->tmp[i], o->final[i], strerror(errno));
			for (int j = i; j < o->n; j++)
				remove(o->tmp[j]);
			return -1;
		}
	return 0;
}

/* Write float32 little-endian. */
static int write_f32(FILE *f, const float *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u;
		unsigned char b[4];
		memcpy(&u, &v[i], 4);
		b[0] = (unsigned char)u;
		b[1] = (unsigned char)(u >> 8);
		b[2] = (unsigned char)(u >> 16);
		b[3] = (unsigned char)(u >> 24);
		if (fwrite(b, 1, 4, f) != 4)
			return -1;
	}
	return 0;
}

static void json_cmdline(FILE *f, int argc, char **argv)
{
	fprintf(f, "  \"command\": [");
	for (int i = 0; i < argc; i++) {
		if (i)
			fputs(", ", f);
		json_str(f, argv[i]);
	}
	fprintf(f, "],\n");
}

/* "features": the rhythm columns by name (bnn_feature_kind order). */
static void json_features(FILE *f)
{
	fprintf(f, "  \"features\": [");
	for (int k = 0; k < BNN_FEAT_COUNT; k++) {
		if (k)
			fputs(", ", f);
		json_str(f, bnn_feature_name(k));
	}
	fprintf(f, "],\n");
}

static const char *norm_name(bnn_norm n)
{
	return n == BNN_NORM_ZSCORE ? "zscore" : n == BNN_NORM_MV ? "mv" : "none";
}

static bnn_norm parse_norm(const char *s, int allow_mv)
{
	if (!strcmp(s, "none"))
		return BNN_NORM_NONE;
	if (!strcmp(s, "zscore"))
		return BNN_NORM_ZSCORE;
	if (allow_mv && !strcmp(s, "mv"))
		return BNN_NORM_MV;
	die_usage("--norm wants %s, got '%s'",
		  allow_mv ? "none, zscore or mv" : "none or zscore", s);
}

static char data_fallback[4096];

/* Default data folder: $RBNN_DATA/sub, else ../shared/data/sub (relative to
 * the current directory, i.e. right when run from the checkout; the
 * Makefile exports RBNN_DATA). */
static const char *default_data(const char *sub)
{
	const char *root = bnn_data_dir("../shared/data");
	snprintf(data_fallback, sizeof data_fallback, "%s/%s", root, sub);
	return data_fallback;
}

/* ---------------------------------------------------------------------
 * mitdb
 * --------------------------------------------------------------------- */

struct rec_list {
	size_t n;
	char name[MAX_RECORDS][BNN_RECNAME_MAX];
};

static void rec_add(struct rec_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->name[i], name))
			die_usage("record %s listed twice in --records", name);
	if (l->n >= MAX_RECORDS)
		die_usage("too many records (at most %d)", MAX_RECORDS);
	snprintf(l->name[l->n++], BNN_RECNAME_MAX, "%s", name);
}

static void rec_add_set(struct rec_list *l, const bnn_aami_split *sp, int set)
{
	for (size_t i = 0; i < sp->nrec[set]; i++)
		rec_add(l, sp->rec[set][i]);
}

static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= BNN_RECNAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static void parse_records(const char *spec, const bnn_aami_split *sp,
			  int allow_paced, struct rec_list *l)
{
	char buf[8192];

	if (strlen(spec) >= sizeof buf)
		die_usage("--records list too long");
	strcpy(buf, spec);
	l->n = 0;
	for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		if (!strcmp(tok, "DS1")) {
			rec_add_set(l, sp, BNN_SET_DS1);
		} else if (!strcmp(tok, "DS2")) {
			rec_add_set(l, sp, BNN_SET_DS2);
		} else if (!strcmp(tok, "ALL")) {
			rec_add_set(l, sp, BNN_SET_DS1);
			rec_add_set(l, sp, BNN_SET_DS2);
		} else {
			if (!valid_name(tok))
				die_usage("bad record name '%s' in --records (want e.g. 101, DS1, DS2, ALL)",
					  tok);
			if (bnn_aami_split_find(sp, tok) == BNN_SET_PACED &&
			    !allow_paced)
				die_usage("record %s is paced and excluded by AAMI EC57 (use --allow-paced to keep it)",
					  tok);
			rec_add(l, tok);
		}
	}
	if (l->n == 0)
		die_usage("--records is empty");
}

#define MAX_LEADS 16

struct mitdb_opts {
	const char *dir, *split, *records, *prefix;
	const char *leads[MAX_LEADS];
	size_t nleads;
	int missing_skip;	/* --missing-lead skip */
	int pre, post, allow_paced, quiet;
	int baseline, amp_norm, ref_beats;
	double fs, lowpass_hz;
	bnn_norm norm;
	bnn_resample_method resample;
};

/* --lead A,B,...: the names point into a copy of the argument. */
static void parse_leads(const char *arg, struct mitdb_opts *mo)
{
	static char buf[MAX_LEADS * BNN_LEAD_MAX];
	char *save = NULL;

	if (strlen(arg) >= sizeof buf)
		die_usage("--lead list too long");
	strcpy(buf, arg);
	mo->nleads = 0;
	if (!*arg || arg[strlen(arg) - 1] == ',' || *arg == ',' ||
	    strstr(arg, ",,"))
		die_usage("--lead wants NAME or NAME,NAME,..., got '%s'", arg);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (mo->nleads == MAX_LEADS)
			die_usage("--lead: at most %d leads", MAX_LEADS);
		if (strlen(t) >= BNN_LEAD_MAX)
			die_usage("--lead: '%s' is longer than %d bytes", t,
				  BNN_LEAD_MAX - 1);
		for (size_t k = 0; k < mo->nleads; k++)
			if (!strcasecmp(mo->leads[k], t))
				die_usage("--lead: '%s' given twice", t);
		mo->leads[mo->nleads++] = t;
	}
}

static const char *set_name(int s)
{
	return s == BNN_SET_DS1 ? "DS1" : s == BNN_SET_DS2 ? "DS2" :
	       s == BNN_SET_PACED ? "paced" : "-";
}

/* RR intervals (record samples) of every beat annotation; -1 if none. */
static void rr_of(const bnn_wfdb_annlist *ann, const signed char *map,
		  int64_t s, size_t *cursor, int64_t *rr_pre, int64_t *rr_post)
{
	/* Advance the cursor to the beat annotation at sample s (kept beats
	 * come in annotation order). */
	size_t i = *cursor;
	while (i < ann->n && !(ann->ann[i].sample == s &&
			       ann->ann[i].code < BNN_AAMI_MAP_SIZE &&
			       map[ann->ann[i].code] >= 0))
		i++;
	*rr_pre = *rr_post = -1;
	if (i >= ann->n)
		return;
	*cursor = i + 1;
	for (size_t j = i; j-- > 0;)
		if (ann->ann[j].code < BNN_AAMI_MAP_SIZE && map[ann->ann[j].code] >= 0) {
			*rr_pre = s - ann->ann[j].sample;
			break;
		}
	for (size_t j = i + 1; j < ann->n; j++)
		if (ann->ann[j].code < BNN_AAMI_MAP_SIZE && map[ann->ann[j].code] >= 0) {
			*rr_post = ann->ann[j].sample - s;
			break;
		}
}

static int run_mitdb(const struct mitdb_opts *mo, int argc, char **argv)
{
	bnn_error err;
	bnn_aami_split sp;
	char splitpath[4096];
	struct rec_list recs;
	struct out_files out;
	size_t count[BNN_AAMI_NCLASS] = { 0 }, dropped[BNN_AAMI_NCLASS] = { 0 };
	size_t rec_n[MAX_RECORDS] = { 0 };
	int skipped[MAX_RECORDS] = { 0 };
	char *why[MAX_RECORDS] = { 0 };
	size_t total = 0, len = 0, C = mo->nleads, nskip = 0;
	double fs_out = 0;
	int rc, have_rate = 0;
	float *item = NULL;

	if (mo->split)
		snprintf(splitpath, sizeof splitpath, "%s", mo->split);
	else if (snprintf(splitpath, sizeof splitpath, "%s/SPLITS_AAMI.txt",
			  mo->dir) >= (int)sizeof splitpath)
		die_usage("--data path too long");
	if ((rc = bnn_aami_split_read(splitpath, &sp, &err))) {
		fprintf(stderr, PROG ": error: %s\n", err.msg);
		return EX_DATA;
	}
	parse_records(mo->records, &sp, mo->allow_paced, &recs);

	bnn_beat_opts bo;
	bnn_beat_opts_default(&bo);
	bo.lead = NULL;
	bo.leads = mo->leads;
	bo.nleads = mo->nleads;
	bo.fs = mo->fs;
	bo.pre = mo->pre;
	bo.post = mo->post;
	bo.norm = mo->norm;
	bo.resample = mo->resample;
	bo.map = sp.map;
	bo.baseline = mo->baseline;
	bo.lowpass_hz = mo->lowpass_hz;
	bo.amp_norm = mo->amp_norm;
	bo.ref_beats = mo->ref_beats;

	if (out_open(&out, mo->prefix, 4))
		return EX_DATA;
	fprintf(out.f[1], "index\tlabel\tclass\trecord\tset\tsample\tsymbol\trr_pre\trr_post\n");

	for (size_t r = 0; r < recs.n; r++) {
		bnn_wfdb_record rec;
		bnn_wfdb_annlist ann;
		bnn_beats b;
		const char *name = recs.name[r];

		if ((rc = bnn_wfdb_read_record(mo->dir, name, 0, &rec, &err))) {
			fprintf(stderr, PROG ": error: record %s: %s\n", name, err.msg);
			out_abort(&out);
			goto fail;
		}
		if ((rc = bnn_wfdb_read_annotations(mo->dir, name, "atr", &ann, &err))) {
			fprintf(stderr, PROG ": error: record %s: %s\n", name, err.msg);
			bnn_wfdb_record_free(&rec);
			out_abort(&out);
			goto fail;
		}
		rc = bnn_beats_extract(&rec, &ann, &bo, &b, &err);
		if (rc == BNN_E_NOTFOUND && mo->missing_skip) {
			/* the record lacks a lead: left out, said so */
			fprintf(stderr, PROG ": warning: record %s left out (--missing-lead skip): %s\n",
				name, err.msg);
			skipped[r] = 1;
			why[r] = strdup(err.msg);
			nskip++;
			bnn_wfdb_annlist_free(&ann);
			bnn_wfdb_record_free(&rec);
			continue;
		}
		if (rc) {
			/* a missing lead's message names the record already */
			if (rc == BNN_E_NOTFOUND)
				fprintf(stderr, PROG ": error: %s (--missing-lead skip leaves such records out)\n",
					err.msg);
			else
				fprintf(stderr, PROG ": error: record %s: %s\n", name,
					err.msg);
			bnn_wfdb_annlist_free(&ann);
			bnn_wfdb_record_free(&rec);
			out_abort(&out);
			goto fail;
		}
		if (!have_rate) {
			have_rate = 1;
			len = b.len;
			fs_out = b.fs;
			item = malloc(C * len * sizeof *item);
			if (!item) {
				fprintf(stderr, PROG ": error: out of memory\n");
				bnn_beats_free(&b);
				bnn_wfdb_annlist_free(&ann);
				bnn_wfdb_record_free(&rec);
				out_abort(&out);
				goto fail;
			}
		} else if (b.fs != fs_out) {
			fprintf(stderr, PROG ": error: record %s has rate %g Hz, earlier records %g Hz; pass --fs to resample all to one rate\n",
				name, b.fs, fs_out);
			bnn_beats_free(&b);
			bnn_wfdb_annlist_free(&ann);
			bnn_wfdb_record_free(&rec);
			out_abort(&out);
			goto fail;
		}
		/* libbnn gives each beat position-major (sample q of lead c at
		 * q * C + c), PyTorch takes it channel-major */
		int werr = 0;
		for (size_t k = 0; k < b.n && !werr; k++) {
			for (size_t c = 0; c < C; c++)
				for (size_t q = 0; q < len; q++)
					item[c * len + q] = b.x[(k * len + q) * C + c];
			werr = write_f32(out.f[OUT_X], item, C * len);
		}
		if (werr ||
		    write_f32(out.f[OUT_RHYTHM], b.rhythm, b.n * BNN_FEAT_COUNT)) {
			fprintf(stderr, PROG ": error: writing %s: %s\n", out.tmp[0],
				strerror(errno));
			bnn_beats_free(&b);
			bnn_wfdb_annlist_free(&ann);
			bnn_wfdb_record_free(&rec);
			out_abort(&out);
			goto fail;
		}
		int set = bnn_aami_split_find(&sp, name);
		size_t cursor = 0;
		for (size_t k = 0; k < b.n; k++) {
			int64_t pre, post;
			rr_of(&ann, sp.map, b.sample[k], &cursor, &pre, &post);
			const char *sym = bnn_wfdb_ann_symbol(b.code[k]);
			fprintf(out.f[1], "%zu\t%d\t%s\t%s\t%s\t%lld\t%s\t%lld\t%lld\n",
				total + k, b.cls[k], bnn_aami_name(b.cls[k]), name,
				set_name(set), (long long)b.sample[k],
				sym ? sym : "?", (long long)pre, (long long)post);
		}
		for (int c = 0; c < BNN_AAMI_NCLASS; c++) {
			count[c] += b.count[c];
			dropped[c] += b.dropped[c];
		}
		rec_n[r] = b.n;
		total += b.n;
		if (!mo->quiet)
			fprintf(stderr, "%s: %s (%s): %zu beats (N %zu S %zu V %zu F %zu Q %zu)\n",
				PROG, name, set_name(set), b.n, b.count[0], b.count[1],
				b.count[2], b.count[3], b.count[4]);
		bnn_beats_free(&b);
		bnn_wfdb_annlist_free(&ann);
		bnn_wfdb_record_free(&rec);
	}
	if (total == 0) {
		fprintf(stderr, PROG ": error: no beat fits the window in the selected records%s\n",
			nskip ? " (some were left out for a missing lead)" : "");
		out_abort(&out);
		goto fail;
	}

	FILE *j = out.f[2];
	fprintf(j, "{\n  \"format\": \"bnn-extract\",\n  \"version\": %d,\n",
		EXTRACT_FORMAT_VERSION);
	fprintf(j, "  \"kind\": \"mitdb\",\n");
	json_cmdline(j, argc, argv);
	fprintf(j, "  \"x\": ");
	json_str(j, strrchr(out.final[0], '/') ? strrchr(out.final[0], '/') + 1 : out.final[0]);
	fprintf(j, ",\n  \"rows\": ");
	json_str(j, strrchr(out.final[1], '/') ? strrchr(out.final[1], '/') + 1 : out.final[1]);
	fprintf(j, ",\n  \"dtype\": \"float32le\",\n");
	fprintf(j, "  \"shape\": [%zu, %zu, %zu],\n", total, C, len);
	fprintf(j, "  \"fs\": %.17g,\n", fs_out);
	fprintf(j, "  \"lead\": ");
	json_str(j, mo->leads[0]);
	fprintf(j, ",\n  \"leads\": [");
	for (size_t c = 0; c < C; c++) {
		if (c)
			fputs(", ", j);
		json_str(j, mo->leads[c]);
	}
	fprintf(j, "]");
	fprintf(j, ",\n  \"pre\": %d,\n  \"post\": %d,\n", mo->pre, mo->post);
	fprintf(j, "  \"norm\": \"%s\",\n", norm_name(mo->norm));
	fprintf(j, "  \"resample\": \"%s\",\n",
		mo->resample == BNN_RESAMPLE_LINEAR ? "linear" : "sinc");
	fprintf(j, "  \"baseline\": \"%s\",\n",
		mo->baseline == BNN_BASELINE_MEDIAN ? "median" : "none");
	fprintf(j, "  \"lowpass_hz\": %.17g,\n", mo->lowpass_hz);
	fprintf(j, "  \"amp_norm\": \"%s\",\n",
		mo->amp_norm == BNN_AMP_QRS ? "qrs" : "none");
	fprintf(j, "  \"ref_beats\": %d,\n", mo->ref_beats);
	fprintf(j, "  \"rhythm\": ");
	json_str(j, strrchr(out.final[OUT_RHYTHM], '/') ?
		 strrchr(out.final[OUT_RHYTHM], '/') + 1 : out.final[OUT_RHYTHM]);
	fprintf(j, ",\n  \"rhythm_shape\": [%zu, %d],\n", total, BNN_FEAT_COUNT);
	json_features(j);
	fprintf(j, "  \"label\": \"aami\",\n  \"group\": \"record\",\n");
	fprintf(j, "  \"classes\": [\"N\", \"S\", \"V\", \"F\", \"Q\"],\n");
	fprintf(j, "  \"counts\": [%zu, %zu, %zu, %zu, %zu],\n", count[0],
		count[1], count[2], count[3], count[4]);
	fprintf(j, "  \"dropped\": [%zu, %zu, %zu, %zu, %zu],\n", dropped[0],
		dropped[1], dropped[2], dropped[3], dropped[4]);
	fprintf(j, "  \"records\": [");
	for (size_t r = 0, w = 0; r < recs.n; r++) {
		if (skipped[r])
			continue;
		fprintf(j, "%s{\"name\": ", w++ ? ", " : "");
		json_str(j, recs.name[r]);
		fprintf(j, ", \"set\": \"%s\", \"n\": %zu}",
			set_name(bnn_aami_split_find(&sp, recs.name[r])), rec_n[r]);
	}
	fprintf(j, "],\n  \"skipped\": [");
	for (size_t r = 0, w = 0; r < recs.n; r++) {
		if (!skipped[r])
			continue;
		fprintf(j, "%s{\"name\": ", w++ ? ", " : "");
		json_str(j, recs.name[r]);
		fprintf(j, ", \"reason\": ");
		json_str(j, why[r] ? why[r] : "");
		fprintf(j, "}");
	}
	fprintf(j, "]\n}\n");
	free(item);
	for (size_t r = 0; r < recs.n; r++)
		free(why[r]);
	if (out_commit(&out))
		return EX_DATA;
	if (!mo->quiet)
		fprintf(stderr, "%s: %zu beats x %zu lead%s x %zu samples at %g Hz (N %zu S %zu V %zu F %zu Q %zu; dropped at edges %zu; records left out %zu) -> %s.{x.f32,rhythm.f32,rows.tsv,json}\n",
			PROG, total, C, C == 1 ? "" : "s", len, fs_out, count[0],
			count[1], count[2], count[3], count[4],
			dropped[0] + dropped[1] + dropped[2] + dropped[3] + dropped[4],
			nskip, mo->prefix);
	return 0;
fail:
	free(item);
	for (size_t r = 0; r < recs.n; r++)
		free(why[r]);
	return EX_DATA;
}

/* ---------------------------------------------------------------------
 * bonn
 * --------------------------------------------------------------------- */

enum { TASK_EEG2, TASK_EEG3, TASK_EEG5 };

static const char *const task_names[] = { "eeg2", "eeg3", "eeg5" };
static const char *const task_classes[] = {
	"[\"non-seizure\", \"seizure\"]",
	"[\"healthy (Z+O)\", \"interictal (N+F)\", \"ictal (S)\"]",
	"[\"Z\", \"O\", \"N\", \"F\", \"S\"]",
};

static int task_label(int task, int set)
{
	switch (task) {
	case TASK_EEG2:
		return set == BNN_BONN_S;
	case TASK_EEG3:
		return set == BNN_BONN_S ? 2 : (set == BNN_BONN_N || set == BNN_BONN_F);
	default:
		return set;
	}
}

struct bonn_opts {
	const char *dir, *prefix;
	int sets[BNN_BONN_NSETS];	/* 1 = include */
	int task, quiet;
	long win, hop, max_per_set;
	bnn_norm norm;
};

static void zscore(float *y, size_t n)
{
	double mean = 0, var = 0;

	for (size_t j = 0; j < n; j++)
		mean += y[j];
	mean /= (double)n;
	for (size_t j = 0; j < n; j++)
		var += ((double)y[j] - mean) * ((double)y[j] - mean);
	double sd = sqrt(var / (double)n);
	double inv = sd < 1e-9 ? 0.0 : 1.0 / sd;
	for (size_t j = 0; j < n; j++)
		y[j] = (float)(((double)y[j] - mean) * inv);
}

static int run_bonn(const struct bonn_opts *bo, int argc, char **argv)
{
	bnn_error err;
	bnn_bonn_dataset d;
	struct out_files out;
	size_t per_label[BNN_BONN_NSETS] = { 0 }, nseg_used = 0, total = 0;
	size_t taken[BNN_BONN_NSETS] = { 0 };
	size_t nwin_seg = 0;

	if (bnn_bonn_load(bo->dir, &d, &err)) {
		fprintf(stderr, PROG ": error: %s\n", err.msg);
		return EX_DATA;
	}
	if (out_open(&out, bo->prefix, 3)) {
		bnn_bonn_dataset_free(&d);
		return EX_DATA;
	}
	fprintf(out.f[1], "index\tlabel\tset\tsegment\tname\tstart\n");
	for (size_t i = 0; i < d.n; i++) {
		const bnn_bonn_segment *s = &d.seg[i];
		float *w = NULL;
		size_t cnt;

		if (!bo->sets[s->set])
			continue;
		if (bo->max_per_set && taken[s->set] >= (size_t)bo->max_per_set)
			continue;
		taken[s->set]++;
		if (bnn_windows(s->x, s->n, (size_t)bo->win, (size_t)bo->hop, &w,
				&cnt, &err)) {
			fprintf(stderr, PROG ": error: %s: %s\n", s->name, err.msg);
			goto fail;
		}
		if (cnt == 0) {
			fprintf(stderr, PROG ": error: %s has %zu samples, shorter than --win %ld\n",
				s->name, s->n, bo->win);
			goto fail;
		}
		nwin_seg = cnt;
		if (bo->norm == BNN_NORM_ZSCORE)
			for (size_t k = 0; k < cnt; k++)
				zscore(w + k * (size_t)bo->win, (size_t)bo->win);
		if (write_f32(out.f[0], w, cnt * (size_t)bo->win)) {
			fprintf(stderr, PROG ": error: writing %s: %s\n", out.tmp[0],
				strerror(errno));
			free(w);
			goto fail;
		}
		free(w);
		int lab = task_label(bo->task, s->set);
		for (size_t k = 0; k < cnt; k++)
			fprintf(out.f[1], "%zu\t%d\t%c\t%zu\t%s\t%zu\n", total + k,
				lab, bnn_bonn_set_letter(s->set), nseg_used, s->name,
				k * (size_t)bo->hop);
		per_label[lab] += cnt;
		total += cnt;
		nseg_used++;
	}
	if (total == 0) {
		fprintf(stderr, PROG ": error: no segment selected\n");
		goto fail;
	}

	FILE *j = out.f[2];
	fprintf(j, "{\n  \"format\": \"bnn-extract\",\n  \"version\": %d,\n",
		EXTRACT_FORMAT_VERSION);
	fprintf(j, "  \"kind\": \"bonn\",\n");
	fprintf(j, "  \"features\": [],\n");
	json_cmdline(j, argc, argv);
	fprintf(j, "  \"x\": ");
	json_str(j, strrchr(out.final[0], '/') ? strrchr(out.final[0], '/') + 1 : out.final[0]);
	fprintf(j, ",\n  \"rows\": ");
	json_str(j, strrchr(out.final[1], '/') ? strrchr(out.final[1], '/') + 1 : out.final[1]);
	fprintf(j, ",\n  \"dtype\": \"float32le\",\n");
	fprintf(j, "  \"shape\": [%zu, 1, %ld],\n", total, bo->win);
	fprintf(j, "  \"fs\": %.17g,\n", BNN_BONN_FS);
	fprintf(j, "  \"win\": %ld,\n  \"hop\": %ld,\n", bo->win, bo->hop);
	fprintf(j, "  \"windows_per_segment\": %zu,\n", nwin_seg);
	fprintf(j, "  \"norm\": \"%s\",\n", norm_name(bo->norm));
	fprintf(j, "  \"sets\": \"");
	for (int s = 0; s < BNN_BONN_NSETS; s++)
		if (bo->sets[s])
			fputc(bnn_bonn_set_letter(s), j);
	fprintf(j, "\",\n  \"segments_per_set\": [%zu, %zu, %zu, %zu, %zu],\n",
		taken[0], taken[1], taken[2], taken[3], taken[4]);
	fprintf(j, "  \"segments\": %zu,\n", nseg_used);
	fprintf(j, "  \"label\": \"%s\",\n  \"group\": \"segment\",\n",
		task_names[bo->task]);
	fprintf(j, "  \"classes\": %s,\n", task_classes[bo->task]);
	int ncls = bo->task == TASK_EEG2 ? 2 : bo->task == TASK_EEG3 ? 3 : 5;
	fprintf(j, "  \"counts\": [");
	for (int c = 0; c < ncls; c++)
		fprintf(j, "%s%zu", c ? ", " : "", per_label[c]);
	fprintf(j, "]\n}\n");
	bnn_bonn_dataset_free(&d);
	if (out_commit(&out))
		return EX_DATA;
	if (!bo->quiet)
		fprintf(stderr, "%s: %zu windows x %ld samples from %zu segments (task %s) -> %s.{x.f32,rows.tsv,json}\n",
			PROG, total, bo->win, nseg_used, task_names[bo->task],
			bo->prefix);
	return 0;
fail:
	out_abort(&out);
	bnn_bonn_dataset_free(&d);
	return EX_DATA;
}

/* ---------------------------------------------------------------------
 * main
 * --------------------------------------------------------------------- */

static void bad_option(const char *cmd, char **argv) __attribute__((noreturn));
static void bad_option(const char *cmd, char **argv)
{
	if (optopt > 0 && optopt < 256)
		die_usage("unknown option '-%c' for %s", optopt, cmd);
	die_usage("unknown option '%s' for %s", argv[optind - 1], cmd);
}

enum {
	OPT_SPLIT = 256, OPT_PRE, OPT_POST, OPT_FS, OPT_RESAMPLE, OPT_PACED,
	OPT_HOP, OPT_MAXSET, OPT_BASELINE, OPT_LOWPASS, OPT_AMPNORM,
	OPT_REFBEATS,
	OPT_MISSING,
};

int main(int argc, char **argv)
{
	static const struct option mitdb_long[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "split", required_argument, NULL, OPT_SPLIT },
		{ "records", required_argument, NULL, 'r' },
		{ "allow-paced", no_argument, NULL, OPT_PACED },
		{ "lead", required_argument, NULL, 'l' },
		{ "pre", required_argument, NULL, OPT_PRE },
		{ "post", required_argument, NULL, OPT_POST },
		{ "fs", required_argument, NULL, OPT_FS },
		{ "resample", required_argument, NULL, OPT_RESAMPLE },
		{ "norm", required_argument, NULL, 'n' },
		{ "baseline", required_argument, NULL, OPT_BASELINE },
		{ "lowpass", required_argument, NULL, OPT_LOWPASS },
		{ "amp-norm", required_argument, NULL, OPT_AMPNORM },
		{ "ref-beats", required_argument, NULL, OPT_REFBEATS },
		{ "missing-lead", required_argument, NULL, OPT_MISSING },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const struct option bonn_long[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "sets", required_argument, NULL, 's' },
		{ "task", required_argument, NULL, 't' },
		{ "win", required_argument, NULL, 'w' },
		{ "hop", required_argument, NULL, OPT_HOP },
		{ "norm", required_argument, NULL, 'n' },
		{ "max-per-set", required_argument, NULL, OPT_MAXSET },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	if (argc < 2)
		die_usage("missing command: mitdb or bonn");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	const char *cmd = argv[1];
	/* getopt sees argv[1..] with the command as its "program name". */
	argc--, argv++;
	opterr = 0;

	if (!strcmp(cmd, "mitdb")) {
		struct mitdb_opts mo = {
			.records = "DS1", .leads = { "MLII" }, .nleads = 1,
			.pre = 90, .post = 110,
			.fs = 0, .norm = BNN_NORM_ZSCORE,
			.resample = BNN_RESAMPLE_SINC,
		};
		const char *dir = NULL;
		while ((opt = getopt_long(argc, argv, ":d:r:l:n:o:qh", mitdb_long,
					  NULL)) != -1) {
			switch (opt) {
			case 'd': dir = optarg; break;
			case OPT_SPLIT: mo.split = optarg; break;
			case 'r': mo.records = optarg; break;
			case OPT_PACED: mo.allow_paced = 1; break;
			case 'l':
				parse_leads(optarg, &mo);
				break;
			case OPT_MISSING:
				if (!strcmp(optarg, "error"))
					mo.missing_skip = 0;
				else if (!strcmp(optarg, "skip"))
					mo.missing_skip = 1;
				else
					die_usage("--missing-lead wants error or skip, got '%s'",
						  optarg);
				break;
			case OPT_PRE:
				mo.pre = (int)parse_int_arg("--pre", optarg, 0,
							    BNN_BEAT_MAX_WINDOW);
				break;
			case OPT_POST:
				mo.post = (int)parse_int_arg("--post", optarg, 0,
							     BNN_BEAT_MAX_WINDOW);
				break;
			case OPT_FS:
				mo.fs = parse_real_arg("--fs", optarg, 0, 1e6);
				if (mo.fs > 0 && mo.fs < 1)
					die_usage("--fs wants 0 (record rate) or >= 1 Hz, got '%s'",
						  optarg);
				break;
			case OPT_RESAMPLE:
				if (!strcmp(optarg, "sinc"))
					mo.resample = BNN_RESAMPLE_SINC;
				else if (!strcmp(optarg, "linear"))
					mo.resample = BNN_RESAMPLE_LINEAR;
				else
					die_usage("--resample wants sinc or linear, got '%s'",
						  optarg);
				break;
			case 'n': mo.norm = parse_norm(optarg, 1); break;
			case OPT_BASELINE:
				if (!strcmp(optarg, "none"))
					mo.baseline = BNN_BASELINE_NONE;
				else if (!strcmp(optarg, "median"))
					mo.baseline = BNN_BASELINE_MEDIAN;
				else
					die_usage("--baseline wants none or median, got '%s'",
						  optarg);
				break;
			case OPT_LOWPASS:
				mo.lowpass_hz = parse_real_arg("--lowpass", optarg, 0,
							       5e5);
				break;
			case OPT_AMPNORM:
				if (!strcmp(optarg, "none"))
					mo.amp_norm = BNN_AMP_NONE;
				else if (!strcmp(optarg, "qrs"))
					mo.amp_norm = BNN_AMP_QRS;
				else
					die_usage("--amp-norm wants none or qrs, got '%s'",
						  optarg);
				break;
			case OPT_REFBEATS:
				mo.ref_beats = (int)parse_int_arg("--ref-beats",
								  optarg, 0,
								  BNN_REF_BEATS_MAX);
				break;
			case 'o': mo.prefix = optarg; break;
			case 'q': mo.quiet = 1; break;
			case 'h': usage(stdout); return 0;
			case ':': die_usage("option '%s' needs a value", argv[optind - 1]);
			default: bad_option("mitdb", argv);
			}
		}
		if (optind != argc)
			die_usage("unexpected argument '%s'", argv[optind]);
		if (!mo.prefix || !*mo.prefix)
			die_usage("missing -o PREFIX");
		if (mo.pre + mo.post == 0 || mo.pre + mo.post > BNN_BEAT_MAX_WINDOW)
			die_usage("--pre + --post must be 1..%d", BNN_BEAT_MAX_WINDOW);
		if (mo.fs > 0 && mo.lowpass_hz >= mo.fs / 2)
			die_usage("--lowpass %g Hz must be below half of --fs %g Hz",
				  mo.lowpass_hz, mo.fs);
		mo.dir = dir ? dir : default_data("mitdb");
		return run_mitdb(&mo, argc + 1, argv - 1);
	}
	if (!strcmp(cmd, "bonn")) {
		struct bonn_opts bo = { .task = TASK_EEG2, .win = 178, .hop = 0,
					.norm = BNN_NORM_NONE };
		const char *dir = NULL, *sets = "ZONFS";
		while ((opt = getopt_long(argc, argv, ":d:s:t:w:n:o:qh", bonn_long,
					  NULL)) != -1) {
			switch (opt) {
			case 'd': dir = optarg; break;
			case 's': sets = optarg; break;
			case 't':
				if (!strcmp(optarg, "eeg2"))
					bo.task = TASK_EEG2;
				else if (!strcmp(optarg, "eeg3"))
					bo.task = TASK_EEG3;
				else if (!strcmp(optarg, "eeg5"))
					bo.task = TASK_EEG5;
				else
					die_usage("--task wants eeg2, eeg3 or eeg5, got '%s'",
						  optarg);
				break;
			case 'w':
				bo.win = parse_int_arg("--win", optarg, 1,
						       BNN_BONN_SAMPLES);
				break;
			case OPT_HOP:
				bo.hop = parse_int_arg("--hop", optarg, 1,
						       BNN_BONN_SAMPLES);
				break;
			case 'n': bo.norm = parse_norm(optarg, 0); break;
			case OPT_MAXSET:
				bo.max_per_set = parse_int_arg("--max-per-set", optarg,
							       1, 100000);
				break;
			case 'o': bo.prefix = optarg; break;
			case 'q': bo.quiet = 1; break;
			case 'h': usage(stdout); return 0;
			case ':': die_usage("option '%s' needs a value", argv[optind - 1]);
			default: bad_option("bonn", argv);
			}
		}
		if (optind != argc)
			die_usage("unexpected argument '%s'", argv[optind]);
		if (!bo.prefix || !*bo.prefix)
			die_usage("missing -o PREFIX");
		if (!*sets)
			die_usage("--sets is empty");
		for (const char *p = sets; *p; p++) {
			int s = bnn_bonn_set_from_letter(*p);
			if (s < 0)
				die_usage("--sets: '%c' is not one of Z O N F S", *p);
			if (bo.sets[s])
				die_usage("--sets: '%c' given twice", *p);
			bo.sets[s] = 1;
		}
		if (bo.task == TASK_EEG2 && (!bo.sets[BNN_BONN_S] ||
		    !(bo.sets[0] || bo.sets[1] || bo.sets[2] || bo.sets[3])))
			fprintf(stderr, PROG ": warning: --task eeg2 with sets '%s' has a single class\n",
				sets);
		if (!bo.hop)
			bo.hop = bo.win;
		bo.dir = dir ? dir : default_data("bonn_eeg");
		return run_bonn(&bo, argc + 1, argv - 1);
	}
	die_usage("unknown command '%s' (want mitdb or bonn)", cmd);
}
