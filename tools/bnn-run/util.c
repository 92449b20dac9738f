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

void warnx_(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, PROG ": warning: %s\n", buf);
	g_warnings = xrealloc(g_warnings, (g_nwarnings + 1) * sizeof(char *));
	g_warnings[g_nwarnings++] = xstrdup(buf);
}

void note(const char *fmt, ...)
{
	va_list ap;

	if (g_quiet)
		return;
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
