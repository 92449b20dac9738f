/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * bnn-run.h - internal header of bnn-run (tools/bnn-run/): options, the
 * in-memory data set, exit statuses and the helpers the parts share.
 *
 *   main.c      the flow: model, backend, data, run, report
 *   util.c      messages, exit, allocation (util.h)
 *   output.c    output files: temporary + rename (output.h)
 *   args.c      command line, --help, --version
 *   inputs.c    what each input is, the data set (inputs.h)
 *   read_signals.c  WFDB records and Bonn EEG segments
 *   read_edf.c  EDF, EDF+ and BDF files (libbnn over EDFlib)
 *   read_tables.c   CSV, float32 tensors, labels files
 *   leads.c     which signals feed the model's channels (--lead,
 *               --lead-map)
 *   labels.c    data labels -> model classes
 *   ann_out.c   --write-ann: predictions as WFDB annotation files
 *   report.c    text report, progress bar
 *   report_json.c   JSON report, predictions CSV
 *   report_html.c, report_strips.c  --report DIR: the HTML page
 *   metrics.c   confusion matrix, Se/+P/F1, percentiles (metrics.h)
 *   ec57.c      AAMI EC57 beat statistics, kappa, j-index (ec57.h)
 *   run_stream.c  --stream: samples from a pipe, one JSON line per item
 */
#ifndef BNN_RUN_H
#define BNN_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bnn.h"
#include "bnn_data.h"
#include "ec57.h"
#include "metrics.h"
#include "util.h"

#define BNN_RUN_VERSION "0.1.0"

enum { FMT_AUTO, FMT_WFDB, FMT_BONN, FMT_CSV, FMT_F32, FMT_EDF };
enum { PROGRESS_AUTO, PROGRESS_ALWAYS, PROGRESS_NEVER };
enum { UNITS_AUTO, UNITS_MV, UNITS_UV, UNITS_ADC };
enum { SFMT_INT16, SFMT_FLOAT32, SFMT_CSV };	/* --stream-format */
enum { BEATS_AUTO, BEATS_ANN, BEATS_DETECT };	/* --beats */
enum { LABCOL_AUTO, LABCOL_NONE, LABCOL_FIRST, LABCOL_LAST, LABCOL_NAME };

#define MAX_SHAPE 3
#define MAX_LEAD_MAP 32		/* --lead-map entries */

/* --lead-map LEAD=ALT: where a record has no LEAD, the model's LEAD is fed
 * from its ALT (entries for one LEAD are tried in order). */
struct lead_alt {
	char lead[BNN_LEAD_MAX];
	char alt[BNN_LEAD_MAX];
};

struct opts {
	const char *model;
	int backend;			/* BNN_BACKEND_* */
	int backend_given;
	const char *device;
	unsigned batch;
	unsigned queue;			/* jobs in flight */
	unsigned threads;
	int cpu_isa;			/* bnn_cpu_isa */
	/* emu error model */
	int error_model;		/* 0/1 */
	const char *emu_opt;		/* first error-model option given */
	const char *card_opt;		/* first scrub-policy option given
					 * (emu or rbnn) */
	int cell_mode;
	double prog_current_ua;
	double read_ber;
	uint64_t seed;
	double age_s;
	uint64_t wear_cycles;
	double temperature_c;
	int scrub;			/* libbnn's scrub policy while aging */
	int verify;			/* -1 = library default */
	unsigned tiles;
	/* data */
	const char *data_dir;		/* MIT-BIH folder */
	const char *lead;
	struct lead_alt lead_map[MAX_LEAD_MAP];	/* --lead-map */
	int nlead_map;
	const char *annotator;
	int beats;			/* BEATS_*: where beats come from */
	int annotator_given;		/* --annotator: its file must exist */
	int strict;			/* --strict: WFDB checksum mismatch fails */
	int allow_paced;		/* folders: keep paced records */
	int units;			/* UNITS_AUTO: mV for WFDB and beat
				 * models, uV for EDF with a windowed
				 * (EEG) model */
	double fs;			/* --fs: rate of inputs that carry
				 * none (0 = not given) */
	int resample;			/* 1 = resample (default), 0 = refuse
				 * (--no-resample) */
	int resample_method;		/* bnn_resample_method */
	unsigned hop;			/* 0 = model length */
	int format;
	size_t shape[MAX_SHAPE];
	size_t shape_n;
	const char *labels_file;
	int label_column;
	const char *label_column_name;
	const char *label_map;
	uint64_t limit;			/* 0 = all */
	/* live stream (--stream) */
	const char *stream;		/* "-" (stdin), a FIFO or a file */
	int stream_format;		/* SFMT_* */
	unsigned channels, channel;
	double gain;			/* --gain, 0 = not given */
	int units_given;
	const char *stream_opt;		/* first stream-only option given */
	/* output */
	int json;
	const char *predictions;
	const char *write_ann;		/* --write-ann EXT */
	const char *ann_dir;		/* --ann-dir DIR */
	const char *report;		/* --report DIR (report_html.h) */
	int quiet;
	int progress;
	char **inputs;
	int ninputs;
	int argc;
	char **argv;
};

/* A source of items: a record, a segment, a file. */
enum { SRC_BEATS, SRC_WINDOWS, SRC_ROWS, SRC_TENSOR };

struct source {
	char *name;		/* "100", "Z/Z001.txt", "beats.csv" */
	char *path;		/* file or record path */
	int kind;		/* SRC_* */
	const char *reader;	/* "wfdb", "bonn", "edf", "csv", "f32" */
	const char *set;	/* "DS1", "DS2", "paced", Bonn set, or NULL */
	size_t first, n;	/* items [first, first + n) */
	size_t dropped;		/* beats whose window left the record */
	double fs;		/* rate of the source (0 = unknown) */
	int resampled;		/* resampled to the model's rate */
	char lead[BNN_WFDB_DESC_MAX];	/* lead / channel used (WFDB, EDF),
					 * "" otherwise */
	int detected;		/* beats from the QRS detector */
};

/* Beat detection over the run (--beats): detected beats matched to the
 * reference annotations with the AAMI EC57 150 ms window. */
struct detection {
	size_t records;		/* records whose beats were detected */
	size_t records_ref;	/* ... of which had reference annotations */
	size_t ndet;		/* beats detected */
	size_t tp, fp, fn;	/* matching, records with a reference */
};

/* An input left out of a batch run: what and why. */
struct skip {
	char *input;		/* "101", "Z/Z001.txt", "beats.csv" */
	char *reason;		/* the error it would have stopped a run with */
	int status;		/* that error's exit status */
};

struct dataset {
	size_t elems;		/* floats per item (channels * length, then
				 * the model's rhythm features) */
	size_t n, cap;
	float *x;		/* n * elems */
	int32_t *dlabel;	/* data label id or -1 (none) */
	int64_t *pos;		/* sample (beat, window start) or row */
	uint32_t *src;		/* source index */
	size_t nsrc, srccap;
	struct source *srcs;
	/* data labels ("N", "Z", "3"...) */
	size_t nlabels;
	char **labels;
	unsigned char *label_kind;	/* LABEL_* of each */
	size_t *label_count;	/* items per data label */
	int32_t *lmap;		/* data label -> model class, -1 = none */
	int limited;		/* --limit cut the data */
	struct detection det;
	size_t nskips;
	struct skip *skips;	/* inputs left out of a batch run */
	double load_s;		/* time spent reading */
};

/* Where a data label comes from (for the matching rules of labels.c). */
enum { LABEL_GENERIC, LABEL_AAMI, LABEL_BONN };

/* Run results. */
struct perf {
	size_t items, batches;
	double wall_s;		/* run loop, wall clock */
	double *batch_ms;	/* per batch latency, ms (sorted at the end) */
	double *item_us;	/* per batch latency / items, us (sorted) */
	bnn_stats total;	/* bnn_backend_stats after the run */
};

/* Progress bar on stderr. */
struct progress {
	int on;			/* may draw */
	int tty;
	int shown;
	double t0, last;
	int always;
};

/* ---- args.c ---- */
void args_parse(int argc, char **argv, struct opts *o);
const char *default_mitdb_dir(void);

/* ---- paths.c ---- */
/* The installed data root (BNN_RUN_DATADIR/data), NULL in a test build. */
const char *installed_data_root(void);
/* -m NAME: NAME, or the shipped model NAME[.bnn] of an installed bnn-run. */
const char *resolve_model(const char *name);

/* ---- run_stream.c ---- */
/* The --stream run (model prepared on be); returns the exit status. */
int stream_run(const struct opts *o, const bnn_model *m,
	       const bnn_model_info *mi, bnn_backend *be);

/* ---- inputs.c ---- */
void inputs_load(const struct opts *o, const bnn_model *m,
		 const bnn_model_info *mi,
		 struct dataset *ds, struct progress *pg);
void dataset_free(struct dataset *ds);
int label_intern(struct dataset *ds, const char *s, int kind);

/* ---- labels.c ---- */
/* Fill ds->lmap from the model's class names and --label-map. */
void labels_map(struct dataset *ds, const bnn_model *m, const char *spec);
/* The model class a label names by the automatic rules 1-4 (no class
 * indices), or -1: which EDF+ annotations label windows. */
int32_t label_names_class(const bnn_model *m, const char *label, int kind);
/* The AAMI class (BNN_AAMI_*) that model class k stands for by its name
 * (the rules above, --label-map aside), or -1: none, or several. */
int labels_aami_of_class(const bnn_model *m, uint32_t k);

/* ---- report.c ---- */
struct run_ctx {
	const struct opts *o;
	const bnn_model *m;
	bnn_model_info mi;
	bnn_backend_info bi;
	const struct dataset *ds;
	const struct perf *pf;
	const float *scores;	/* n * nclasses */
	const int32_t *pred;	/* n */
	struct mt_cm cm;	/* over labelled, mapped items */
	struct mt_cm *src_cm;	/* per source */
	uint64_t **unmapped;	/* per data label not in the model: counts
				 * per predicted class (NULL if mapped) */
	size_t labelled;	/* items with a model class as truth */
	size_t unlabelled;	/* items without any label */
	size_t excluded;	/* items whose label is no model class */
	double prepare_s;	/* bnn_prepare */
	bnn_prepare_info pi;	/* what bnn_prepare decided */
	int have_pi;		/* pi is valid */
};

void progress_init(struct progress *p, int mode, int quiet);
void progress_update(struct progress *p, const char *what, uint64_t done,
		     uint64_t total, const char *unit);
void progress_end(struct progress *p);

void report_text(FILE *f, const struct run_ctx *c);
/* Shared by report.c and report_json.c. */
const char *rep_unit(const struct dataset *ds);	/* "beats", "rows"... */
int rep_aami_class(const struct run_ctx *c, const char *letter);
/* The EC57 statistics of the run (records = sources); 0 when they apply
 * (AAMI labels, S or V a class of its own), -1 otherwise. */
int rep_ec57(const struct run_ctx *c, struct ec57 *e);
const char *rep_norm_name(int norm);
const char *rep_values_name(int bnn_value_kind);
void report_json(FILE *f, const struct run_ctx *c, int status);
/* The predictions CSV (header + one line per item). */
void predictions_write(FILE *f, const struct run_ctx *c);

/* ---- ann_out.c (--write-ann) ---- */
/* Before the run (errors end it): with ds NULL, before reading the data:
 * the option fits the model, --ann-dir is writable; with the data set:
 * every folder to write in is writable, no two records write one file,
 * no file of the record (header, reference annotations) and nothing but
 * an annotation file would be replaced. */
void annout_check(const struct opts *o, const bnn_model_info *mi,
		  const struct dataset *ds);
/* After the run: one annotation file per WFDB record of beats. */
void annout_write(const struct run_ctx *c);

#endif /* BNN_RUN_H */
