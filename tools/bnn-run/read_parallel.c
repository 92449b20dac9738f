// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * read_parallel.c - bnn-run: WFDB records read on worker threads ahead of
 * the main thread, merged in input order.
 *
 * Reading a record (decoding, resampling, filters, beat windows) is most
 * of a run's time and each record is independent, so with several inputs
 * the records are read side by side.  A worker runs the one-thread reader
 * (read_wfdb) unchanged on a private copy of the reader state and a
 * private data set, with its messages logged instead of printed (util.h,
 * msg_capture).  The main thread takes the jobs in input order: it
 * replays each job's messages, deciding the once-only notes as a
 * one-thread run would (rd_once_given), and appends the job's sources,
 * items, labels, skips and detection counts to the run's data set, up to
 * --limit.  So the data set, the report and every message are those of a
 * one-thread run, in the same order.
 *
 * Workers take jobs at most `ahead` past the one the main thread waits
 * for, so that at most that many records are held in memory.  Only WFDB
 * records go to workers: EDFlib is not thread-safe, and the other readers
 * are fast.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inputs.h"
#include "read_parallel.h"

enum { SLOT_WAITING, SLOT_DONE };

struct slot {
	int state;
	int failed;
	struct dataset ds;
	struct msglog log;
};

struct rp {
	struct rd tmpl;		/* the reader state the jobs start from */
	size_t *job;		/* indices of the WFDB jobs, in order */
	size_t nj;
	struct slot *slot;	/* per WFDB job */
	size_t next;		/* next WFDB job a worker takes */
	size_t merged;		/* WFDB jobs the main thread took */
	size_t ahead;
	int stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t *tid;
	unsigned nthreads;
};

static void run_job(struct rp *p, size_t k)
{
	struct slot *s = &p->slot[k];
	const struct job *j = &p->tmpl.jobs[p->job[k]];
	struct rd r = p->tmpl;

	r.ds = &s->ds;
	s->ds.elems = p->tmpl.ds->elems;
	r.cur = j->name;
	r.failed = 0;
	msg_capture(&s->log);
	read_wfdb(&r, j);
	if (r.failed)
		rd_rollback(&s->ds, 0, 0);
	msg_capture(NULL);
	s->failed = r.failed;
}

static void *worker(void *arg)
{
	struct rp *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		size_t k;

		while (!p->stop && p->next < p->nj &&
		       p->next >= p->merged + p->ahead)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop || p->next >= p->nj)
			break;
		k = p->next++;
		pthread_mutex_unlock(&p->mu);
		run_job(p, k);
		pthread_mutex_lock(&p->mu);
		p->slot[k].state = SLOT_DONE;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

unsigned rp_threads(const struct opts *o, size_t nwfdb)
{
	long n = o->threads == BNN_THREADS_AUTO ?
		 sysconf(_SC_NPROCESSORS_ONLN) : (long)o->threads;

	if (n > RP_MAX_THREADS)
		n = RP_MAX_THREADS;
	if (n > (long)nwfdb)
		n = (long)nwfdb;
	return n > 1 ? (unsigned)n : 1;
}

struct rp *rp_start(const struct rd *r, unsigned nthreads)
{
	struct rp *p;
	size_t nj = 0;

	for (size_t i = 0; i < r->njobs; i++)
		nj += r->jobs[i].reader == RD_WFDB;
	if (nthreads < 2 || nj < 2)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->tmpl = *r;
	p->job = xcalloc(nj, sizeof(*p->job));
	p->slot = xcalloc(nj, sizeof(*p->slot));
	for (size_t i = 0; i < r->njobs; i++)
		if (r->jobs[i].reader == RD_WFDB)
			p->job[p->nj++] = i;
	p->ahead = 2 * (size_t)nthreads;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->tid = xcalloc(nthreads, sizeof(*p->tid));
	for (unsigned t = 0; t < nthreads; t++) {
		if (pthread_create(&p->tid[t], NULL, worker, p))
			break;
		p->nthreads++;
	}
	if (!p->nthreads) {	/* none started: read on the main thread */
		rp_stop(p);
		return NULL;
	}
	return p;
}

/* The private data set of a job appended to the run's, as rd_push would
 * have made it (up to --limit). */
static void merge(struct rd *r, struct dataset *pd)
{
	struct dataset *ds = r->ds;
	int32_t *lmap = xcalloc(pd->nlabels ? pd->nlabels : 1, sizeof(*lmap));
	uint32_t *smap = xcalloc(pd->nsrc ? pd->nsrc : 1, sizeof(*smap));
	size_t i = 0;

	/* Labels first, in their order: a one-thread run interns them as
	 * it meets them, even for a job that fails later. */
	for (size_t l = 0; l < pd->nlabels; l++)
		lmap[l] = label_intern(ds, pd->labels[l], pd->label_kind[l]);
	for (size_t s = 0; s < pd->nsrc; s++) {
		const struct source *ps = &pd->srcs[s];
		uint32_t k = rd_add_source(ds, ps->name, ps->path, ps->kind,
					   ps->reader);
		struct source *q = &ds->srcs[k];
		struct source fresh = *q;	/* its copies of the names */

		*q = *ps;
		q->name = fresh.name;
		q->path = fresh.path;
		q->first = fresh.first;
		q->n = 0;
		smap[s] = k;
		for (; i < ps->first + ps->n && !rd_full(r); i++) {
			int32_t dl = pd->dlabel[i] >= 0 ? lmap[pd->dlabel[i]] : -1;
			float *x = rd_push(r, k, dl, pd->pos[i]);

			memcpy(x, pd->x + i * ds->elems, ds->elems * sizeof(float));
		}
	}
	for (size_t k = 0; k < pd->nskips; k++) {
		ds->skips = xrealloc(ds->skips,
				     (ds->nskips + 1) * sizeof(*ds->skips));
		ds->skips[ds->nskips++] = pd->skips[k];
	}
	pd->nskips = 0;
	ds->det.records += pd->det.records;
	ds->det.records_ref += pd->det.records_ref;
	ds->det.ndet += pd->det.ndet;
	ds->det.tp += pd->det.tp;
	ds->det.fp += pd->det.fp;
	ds->det.fn += pd->det.fn;
	free(lmap);
	free(smap);
}

int rp_take(struct rp *p, struct rd *r, size_t jobidx)
{
	struct slot *s;
	size_t k;

	pthread_mutex_lock(&p->mu);
	k = p->merged;
	if (k >= p->nj || p->job[k] != jobidx) {
		pthread_mutex_unlock(&p->mu);
		return -1;	/* not a job of the workers: read it here */
	}
	s = &p->slot[k];
	while (s->state != SLOT_DONE)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);

	for (size_t i = 0; i < s->log.n; i++) {
		const struct msg *m = &s->log.m[i];

		if (!m->once || rd_once_given(r, m->once - 1, m->val))
			msg_emit(m);
	}
	merge(r, &s->ds);
	r->failed = s->failed;
	msglog_free(&s->log);
	dataset_free(&s->ds);

	pthread_mutex_lock(&p->mu);
	p->merged++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

void rp_stop(struct rp *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned t = 0; t < p->nthreads; t++)
		pthread_join(p->tid[t], NULL);
	for (size_t k = p->merged; k < p->nj; k++) {
		msglog_free(&p->slot[k].log);
		dataset_free(&p->slot[k].ds);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->tid);
	free(p->job);
	free(p->slot);
	free(p);
}
