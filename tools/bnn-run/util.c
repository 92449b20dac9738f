// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * util.c - bnn-run: messages, exit with a status, allocation that dies
 * on failure, the clock, and the temporary output removed on the way out.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bnn_error.h"
#include "util.h"

int g_quiet;

static char **g_warnings;
static size_t g_nwarnings;

/* Set before a signal handler may read it; a fixed buffer so that the
 * handler needs no allocation. */
static char g_tmp[4200];

void die(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs(PROG ": error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (g_tmp[0])
		unlink(g_tmp);
	exit(status);
}

/* Set by msg_capture() in a reading thread. */
static __thread struct msglog *t_log;
static __thread int t_once;
static __thread double t_once_val;

static void keep_warning(const char *text)
{
	g_warnings = xrealloc(g_warnings, (g_nwarnings + 1) * sizeof(char *));
	g_warnings[g_nwarnings++] = xstrdup(text);
}

/* Into this thread's log; 0 when there is none. */
static int log_msg(int kind, const char *fmt, va_list ap)
{
	struct msg *m;

	if (!t_log)
		return 0;
	if (t_log->n == t_log->cap) {
		t_log->cap = t_log->cap ? 2 * t_log->cap : 8;
		t_log->m = xrealloc(t_log->m, t_log->cap * sizeof(*t_log->m));
	}
	m = &t_log->m[t_log->n++];
	m->kind = kind;
	m->once = t_once;
	m->val = t_once_val;
	t_once = 0;
	{
		va_list aq;
		int k;

		va_copy(aq, ap);
		k = vsnprintf(NULL, 0, fmt, aq);
		va_end(aq);
		k = k < 0 ? 0 : k;
		/* a warning is cut where warnx_() cuts it */
		if (kind == MSG_WARN && k > 1023)
			k = 1023;
		m->text = xmalloc((size_t)k + 1);
		vsnprintf(m->text, (size_t)k + 1, fmt, ap);
	}
	return 1;
}

void warnx_(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	if (log_msg(MSG_WARN, fmt, ap)) {
		va_end(ap);
		return;
	}
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, PROG ": warning: %s\n", buf);
	keep_warning(buf);
}

void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (log_msg(MSG_NOTE, fmt, ap) || g_quiet) {
		va_end(ap);
		return;
	}
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void msg_raw(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!log_msg(MSG_RAW, fmt, ap))
		vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void msg_capture(struct msglog *log)
{
	t_log = log;
	t_once = 0;
}

int msg_capturing(void)
{
	return t_log != NULL;
}

void msg_once(int key, double val)
{
	t_once = key + 1;
	t_once_val = val;
}

void msg_emit(const struct msg *m)
{
	switch (m->kind) {
	case MSG_WARN:
		fprintf(stderr, PROG ": warning: %s\n", m->text);
		keep_warning(m->text);
		break;
	case MSG_NOTE:
		if (!g_quiet)
			fprintf(stderr, PROG ": %s\n", m->text);
		break;
	default:
		fputs(m->text, stderr);
		break;
	}
}

void msglog_free(struct msglog *log)
{
	for (size_t i = 0; i < log->n; i++)
		free(log->m[i].text);
	free(log->m);
	memset(log, 0, sizeof(*log));
}

size_t warnings_count(void)
{
	return g_nwarnings;
}

const char *warning_at(size_t i)
{
	return i < g_nwarnings ? g_warnings[i] : "";
}

void warnings_free(void)
{
	for (size_t i = 0; i < g_nwarnings; i++)
		free(g_warnings[i]);
	free(g_warnings);
	g_warnings = NULL;
	g_nwarnings = 0;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die(EX_RUNTIME, "out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die(EX_RUNTIME, "out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		die(EX_RUNTIME, "out of memory (%zu bytes)", n);
	return q;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		die(EX_RUNTIME, "out of memory");
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0)
		die(EX_RUNTIME, "cannot format a message");
	s = xmalloc((size_t)k + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)k + 1, fmt, ap);
	va_end(ap);
	return s;
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int status_of(int code)
{
	switch (code) {
	case BNN_OK: return EX_OK;
	case BNN_E_IO: return EX_NOFILE;
	case BNN_E_NOTFOUND: return EX_MISMATCH;
	case BNN_E_NOMEM: return EX_RUNTIME;
	case BNN_E_NODEV: return EX_NODEV;
	case BNN_E_PERM: return EX_PERM;
	case BNN_E_INVAL: return EX_USAGE;
	default: return EX_DATA;
	}
}

static void on_signal(int sig)
{
	if (g_tmp[0])
		unlink(g_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

void tmp_track(const char *path)
{
	static int handlers;

	if (!path) {
		g_tmp[0] = '\0';
		return;
	}
	if (strlen(path) >= sizeof(g_tmp))
		die(EX_USAGE, "output path too long: %s", path);
	strcpy(g_tmp, path);
	if (!handlers++) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
	}
}
