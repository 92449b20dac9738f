/* SPDX-License-Identifier: GPL-2.0-or-later OR MIT */
/*
 * read_parallel.h - bnn-run internal: WFDB records read on worker threads
 * ahead of the main thread, merged in input order (read_parallel.c).
 */
#ifndef BNN_RUN_READ_PARALLEL_H
#define BNN_RUN_READ_PARALLEL_H

#include "inputs.h"

#define RP_MAX_THREADS 16

struct rp;

/* Reading threads for a run of nwfdb records: -j N, auto (the default):
 * the online CPUs; at most RP_MAX_THREADS and nwfdb.  1: the main thread
 * (also for -j 0). */
unsigned rp_threads(const struct opts *o, size_t nwfdb);
/* Workers for the WFDB jobs of r (its jobs expanded, nothing read yet);
 * NULL when reading on the main thread (fewer than 2 threads or records,
 * or no thread could start). */
struct rp *rp_start(const struct rd *r, unsigned nthreads);
/* Job jobidx, in input order: its messages replayed and its items merged
 * into r->ds (r->failed set as the reader would); -1 if it is not the
 * workers' next job (then the caller reads it). */
int rp_take(struct rp *p, struct rd *r, size_t jobidx);
/* Workers stopped, what they read and nobody took freed.  NULL: none. */
void rp_stop(struct rp *p);

#endif /* BNN_RUN_READ_PARALLEL_H */
