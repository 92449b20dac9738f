/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * output.h - bnn-run internal: an output file (--predictions) that never
 * leaves a partial result in place of a good one.
 */
#ifndef BNN_RUN_OUTPUT_H
#define BNN_RUN_OUTPUT_H

#include <stdio.h>

struct output {
	FILE *f;
	const char *path;	/* as given */
	char *target;		/* the regular file finally written */
	char *tmp;		/* its temporary beside it; NULL: direct */
	int to_stdout;		/* "-" */
};

/*
 * Open early (fail before a long run).  "-": stdout.  A FIFO, character
 * device or socket (a pipe, /dev/null...) or a path under /dev or /proc
 * (/dev/stdout, /dev/fd/N): written directly, streaming.  A regular file or a new name: written to TARGET.tmp-XXXXXX
 * beside it and renamed over it by output_commit(), so an interrupted or
 * failed run leaves the old file as it was.  A symlink is followed to the
 * file it names (the link stays a link).  A folder or a block device is
 * refused.  Errors end the run (EX_RUNTIME).
 */
void output_open(struct output *o, const char *path, const char *what);
void output_commit(struct output *o);

#endif /* BNN_RUN_OUTPUT_H */
