/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * report_html.h - bnn-run internal: --report DIR, a static HTML page of
 * the run (DIR/index.html: summary, confusion matrix, per-record table,
 * SVG strips of the signal around the calls and misses).  Presentation
 * only: the data is the run's (struct run_ctx), the signal of a WFDB
 * record is read again through libbnn's reader for the strips.
 *
 *   report_html.c    the page, the folder checks, the safe write
 *   report_strips.c  which items get a strip, and the SVG of each
 */
#ifndef BNN_RUN_REPORT_HTML_H
#define BNN_RUN_REPORT_HTML_H

#include <stdio.h>

#include "bnn-run.h"

/* Strips per source at most: a record with thousands of ectopic beats
 * would make a page nobody scrolls through. */
#define STRIPS_PER_SOURCE 12
/* ... and in all (the Bonn set's 500 segments get one each): the page
 * stays a few MB that a browser opens at once. */
#define STRIPS_TOTAL 600

/* Before the run (errors end it, EX_RUNTIME): DIR is a folder or can be
 * made one, not a symlink, writable; DIR/index.html, if there, is a
 * regular file. */
void report_html_check(const char *dir);
/* After the run: DIR/index.html, written beside it and renamed over it
 * when complete (output.h). */
void report_html_write(const char *dir, const struct run_ctx *c);

/* ---- shared by report_html.c and report_strips.c ---- */
/* s with & < > " ' as HTML entities (NULL: nothing). */
void html_esc(FILE *f, const char *s);

/* The items that get a strip, per source. */
struct strips {
	size_t nsrc;
	size_t *cand;		/* per source: items that qualify */
	size_t *shown;		/* per source: strips drawn */
	size_t *first;		/* per source: its first entry in sel */
	size_t *sel;		/* item indices, by source then position */
	size_t nsel;
	size_t cap;		/* strips per source at most */
};

/* Items that qualify: a miss (a labelled item whose class differs from
 * the prediction) or a call (predicted S, V or F for an AAMI model, any
 * class but the first otherwise); at most `cap` per source (fewer when
 * the sources would need more than STRIPS_TOTAL), chosen round
 * robin over the (reference, predicted) pairs so that every kind of
 * error shows. */
void strips_plan(const struct run_ctx *c, size_t cap, struct strips *s);
/* The strips section (one <section> per source with strips). */
void strips_write(FILE *f, const struct run_ctx *c, const struct strips *s);
void strips_free(struct strips *s);
/* Is class k a "call" (above)? */
int strips_is_call(const struct run_ctx *c, uint32_t k);

#endif /* BNN_RUN_REPORT_HTML_H */
