/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * inputs.h - bnn-run internal: what the input readers share (inputs.c
 * finds the inputs, read_signals.c reads WFDB records and Bonn EEG
 * segments and windows signals, read_edf.c EDF / EDF+ / BDF files,
 * read_tables.c CSV files, float32 tensors and labels files;
 * read_parallel.c reads WFDB records on worker threads).
 */
#ifndef BNN_RUN_INPUTS_H
#define BNN_RUN_INPUTS_H

#include <limits.h>

#include "bnn-run.h"

enum { RD_WFDB, RD_BONN, RD_TXT, RD_CSV, RD_F32, RD_EDF };

struct job {
	int reader;		/* RD_* */
	char *dir, *name;	/* WFDB record */
	char *path;		/* files */
	int explicit_;		/* named by the user (WFDB: lead errors fatal) */
};

enum { RD_ONCE_NO_LEAD, RD_ONCE_DETECT, RD_ONCE_FS_IGNORED,
       RD_ONCE_BUILTIN, RD_ONCE_RATE };

struct rd {
	const struct opts *o;
	const bnn_model *m;
	const bnn_model_info *mi;
	bnn_signal_desc sd;	/* the model's preprocessing and features */
	int fkind[BNN_FEATURES_MAX];	/* bnn_feature_kind of feature k */
	struct dataset *ds;
	struct progress *pg;
	uint32_t C, L;
	size_t E;
	double rate;		/* model rate, 0 = n/a */
	int beat;		/* beat model */
	size_t hop;
	/* split file of the folder last read from */
	char split_dir[PATH_MAX];
	int have_split;
	int split_builtin;	/* no SPLITS_AAMI.txt: the built-in split */
	bnn_aami_split split;
	/* jobs */
	struct job *jobs;
	size_t njobs, cap;
	/* several inputs, a folder or a set: an input that cannot be read
	 * is skipped (rd_fail), not fatal */
	int batch;
	const char *cur;	/* name of the input being read */
	int failed;		/* rd_fail on the current input */
	int noted[RD_ONCE_RATE];	/* once-only notes given */
	double noted_rate;	/* source rate of the last resampling note */
};

/*
 * Whether to give a once-only note now (and mark it given): each key's
 * first time; RD_ONCE_RATE: when `val` differs from the rate of the last
 * resampling note.  In a thread reading ahead (msg_capturing) always 1,
 * the note logged with its key: the main thread decides when it replays
 * the messages in input order (rd_once_given), as a one-thread run would.
 */
int rd_once(struct rd *r, int key, double val);
int rd_once_given(struct rd *r, int key, double val);

/* inputs.c: the data set and small helpers */
/*
 * The current input cannot be read.  Alone it ends the run (die with
 * `status`); in a batch it is skipped: a warning on stderr, an entry of the
 * JSON report's "skipped" list, its items and sources dropped, exit status
 * EX_SKIPPED at the end.  Returns only in a batch: the reader then frees
 * what it holds and returns.
 */
void rd_fail(struct rd *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
uint32_t rd_add_source(struct dataset *ds, const char *name,
		       const char *path, int kind, const char *reader);
/* Forget the items and sources past n and nsrc (a skipped input's). */
void rd_rollback(struct dataset *ds, size_t n, size_t nsrc);
/* --limit reached */
int rd_full(const struct rd *r);
/* Room for one more item; returns its floats (label, position and source
 * set, counts updated). */
float *rd_push(struct rd *r, uint32_t src, int32_t dlabel, int64_t pos);
/* a/b[.ext], malloc'ed; dies when too long. */
char *rd_path2(const char *a, const char *b, const char *ext);
int rd_exists(const char *path);
const char *rd_ext_of(const char *path);
const char *rd_base_of(const char *path);
char *rd_dir_of(const char *path);
/* Rates equal within 0.1 %. */
int rd_same_rate(double a, double b);
/* One line on stderr per source rate that gets resampled. */
void rd_note_resample(struct rd *r, double fs);
/* The rate an input at fs Hz is resampled to: *fs_out = the model's
 * (with the note) or 0 (the same rate, or a model without one); -1 after
 * rd_fail EX_RATE with --no-resample ("WHAT is sampled at ..."). */
int rd_rate_out(struct rd *r, double fs, const char *what, double *fs_out);
/* The split of a WFDB folder, cached: its SPLITS_AAMI.txt, else the
 * built-in one; `required` (a set was named): the folder must exist. */
void rd_load_split(struct rd *r, const char *dir, int required,
		   const char *why);
/* "DS1", "DS2", "paced" or NULL. */
const char *rd_split_set_name(const struct rd *r, const char *rec);
/* Bonn set of a one-letter name, or < 0. */
int rd_bonn_letter(const char *name);
/* --fs given for an input with a rate of its own: one warning. */
void rd_fs_ignored(struct rd *r, const char *what);

/*
 * Label of a window covering [t0, t1) seconds of its source: -1 for none.
 * ctx is the reader's.
 */
typedef int32_t (*rd_window_label)(struct rd *r, void *ctx, double t0,
				   double t1);

/* Print what the WFDB reader tolerated ("record NAME: ..." warnings). */
void rd_wfdb_warnings(const char *name, const bnn_wfdb_warnings *w);

/* leads.c: which signals feed the model's channels */
/* Before reading: --lead and --lead-map fit the model (else EX_USAGE). */
void leads_check(struct rd *r);
/* Does the model name the lead of every channel (one-lead: or --lead)? */
int rd_leads_named(const struct rd *r);
/* The signals of a WFDB record for the model's r->C channels: 0, or -1
 * after rd_fail (a lead the record lacks: EX_MISMATCH, naming its
 * signals).  A --lead-map substitution is a warning per record. */
int rd_wfdb_signals(struct rd *r, const struct job *j,
		    const bnn_wfdb_header *h, int *sig);
/* The same for a model that names its leads and an EDF file (`chans`:
 * its channel list, for messages). */
int rd_edf_signals(struct rd *r, const char *path, const bnn_edf_file *f,
		   const char *chans, int *sig);

/* read_beats.c: the beat items of a record (annotated or detected beats,
 * then the model's rhythm features); rd_signal_beats above for signals */
void wfdb_beats(struct rd *r, const struct job *j, const bnn_wfdb_record *rec,
		const int *sig, double fs_out, uint32_t src);

/* Reference beats: times (input samples, non-decreasing) and AAMI
 * classes. */
struct refbeats {
	size_t n;
	int64_t *t;		/* sample of each reference beat */
	unsigned char *cls;	/* its AAMI class */
};

/*
 * The beat items of a signal that carries no beat annotations (an EDF
 * channel, a CSV or float32 signal): x, n samples of the model's lead at
 * fs Hz, in millivolts (raw with --units adc).  libbnn detects the beats
 * and cuts them (bnn_beats_detect: what --stream and --beats detect on a
 * WFDB record give) at the model's rate (resampled, or rd_fail EX_RATE
 * with --no-resample), window and preprocessing; the items are at the
 * detected R peaks, unlabelled, or, given reference beats rb (may be
 * NULL; EDF+ beat annotations), matched to them as --beats detect does
 * (EC57, 150 ms): a matched beat takes the reference class, and the
 * detection counts go into the report.  Source src becomes a beat
 * source.  rd_fail EX_MISMATCH for a model of several leads, EX_RATE for
 * a rate the detector does not take.  `what` names the input.
 */
void rd_signal_beats(struct rd *r, uint32_t src, const float *x, size_t n,
		     double fs, const char *what, const struct refbeats *rb);
/* A beat model of one lead: 0; else rd_fail EX_MISMATCH naming the
 * model's leads and what is supported, -1. */
int rd_beats_one_lead(struct rd *r, const char *what);

/* read_signals.c */
void read_wfdb(struct rd *r, const struct job *j);
/* A Bonn EEG segment already parsed (n samples) of set `set` (its
 * label; < 0: unlabelled). */
void read_bonn(struct rd *r, const char *path, int set, const float *x0,
	       size_t n);
/*
 * Windows of a signal: r->C channels ch[k] of n samples at fs Hz (0 =
 * unknown: taken as the model's rate), resampled to the model's rate when
 * it differs (--no-resample: rd_fail EX_RATE), cut into windows of the
 * model's length every --hop samples; `label` (may be NULL) labels each.
 * ch[k] may be replaced (resampled) and stays the caller's to free.
 * `what` names the input in messages.
 */
void rd_signal_windows(struct rd *r, uint32_t src, float **ch, size_t n,
		       double fs, const char *what, rd_window_label label,
		       void *ctx);

/* read_edf.c */
void read_edf(struct rd *r, const struct job *j);

/* read_tables.c */
void read_txt(struct rd *r, const struct job *j);
void read_csv_job(struct rd *r, const struct job *j);
void read_f32(struct rd *r, const char *path);
/* The EDF magic: "0       " or 0xFF "BIOSEMI" in the first 8 bytes. */
int rd_is_edf_magic(const char *head, size_t len);

#endif /* BNN_RUN_INPUTS_H */
