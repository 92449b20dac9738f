/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * util.h - bnn-run internal: messages, exit, allocation, clock.  Every
 * other file of bnn-run uses these; util.c depends on nothing of bnn-run
 * but the exit statuses.
 */
#ifndef BNN_RUN_UTIL_H
#define BNN_RUN_UTIL_H

#include <stddef.h>

#define PROG "bnn-run"

/* Exit statuses (documented in --help and bnn-run(1)). */
enum {
	EX_OK = 0,
	EX_RUNTIME = 1,		/* run failed: device error, out of memory,
				 * cannot write an output file */
	EX_USAGE = 2,		/* bad option or option value */
	EX_NOFILE = 3,		/* input or model file missing / unreadable */
	EX_MODEL = 4,		/* not a valid .bnn model */
	EX_DATA = 5,		/* data file malformed or of unknown type */
	EX_MISMATCH = 6,	/* model does not fit the data (channels,
				 * length, lead) */
	EX_RATE = 7,		/* sampling rate differs (--no-resample) */
	EX_NODEV = 8,		/* no card / backend not available */
	EX_PERM = 9,		/* permission denied on the device node */
	EX_NOLABELS = 10,	/* no labels: nothing evaluated and no
				 * --predictions file asked for */
	EX_SKIPPED = 11,	/* the run completed, but some inputs were
				 * skipped (each reported with its reason) */
};

/* --quiet: note() prints nothing. */
extern int g_quiet;

/* "bnn-run: error: ..." on stderr, remove the temporary output, exit. */
void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* "bnn-run: warning: ..." on stderr, kept for the JSON report. */
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "bnn-run: ..." on stderr unless --quiet. */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A line on stderr as is (no prefix added, none kept). */
void msg_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
size_t warnings_count(void);
const char *warning_at(size_t i);
void warnings_free(void);

/*
 * Messages of a thread that reads inputs ahead of the main thread
 * (read_parallel.c): while a log is set for the calling thread, warnx_(),
 * note() and msg_raw() append to it instead of printing, so that the main
 * thread can replay them in input order.  A message after msg_once(key,
 * val) is a once-only note (inputs.h, rd_once): the replay decides.
 */
enum { MSG_WARN, MSG_NOTE, MSG_RAW };
struct msg {
	int kind;		/* MSG_* */
	int once;		/* 0, or the RD_ONCE_* key + 1 */
	double val;		/* the key's value (a rate) */
	char *text;
};
struct msglog {
	struct msg *m;
	size_t n, cap;
};
void msg_capture(struct msglog *log);	/* NULL: print again */
int msg_capturing(void);
void msg_once(int key, double val);
/* Print m as the call that made it would have. */
void msg_emit(const struct msg *m);
void msglog_free(struct msglog *log);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* printf into a new string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double now_s(void);
/* Exit status for a libbnn error code. */
int status_of(int bnn_code);

/* The temporary output file that die() and SIGINT / SIGTERM / SIGHUP
 * remove (NULL: none). */
void tmp_track(const char *path);

#endif /* BNN_RUN_UTIL_H */
