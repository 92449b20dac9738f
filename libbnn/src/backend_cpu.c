// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * backend_cpu.c - libbnn: the `cpu` backend: the whole model on the host
 * executor (exec.h), optionally splitting a batch over worker threads
 * (opts.threads), each with its own scratch.
 *
 * Threads: a batch of n items is cut into nt contiguous shares of
 * ceil(n / nt) items; share 0 runs on the calling thread, share i on
 * worker i.  The workers are a pool owned by the context: started at the
 * first run that splits, waiting between runs (one condition variable
 * each, so a run wakes only the workers it has shares for), stopped at
 * close.  They outlive bnn_prepare (the scratch is per model, the thread
 * is not).  A share whose worker cannot be started runs on the calling
 * thread, and the next split tries to start it again.  Items do not
 * depend on each other, so the outputs are the same on any split.
 *
 * opts.threads = BNN_THREADS_AUTO: as many threads as online CPUs (at most
 * MAX_THREADS), but only as many shares as have AUTO_MIN_SHARE items, so
 * that small batches stay on the calling thread where a wakeup would cost
 * more than it saves.
 *
 * Workers block every signal: a process-directed signal (SIGINT of a
 * program reading a stream) goes to the application's threads.  After a
 * fork() the child has none of the parent's workers: a context used in
 * the child starts its own (pid check).
 */
#define BNN_DATA_INTERNAL
#include "bnn_data.h"
#include "backend.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 64
/*
 * Fewest items per share in auto mode.  The cheapest shipped model
 * (models/ecg-bin-full.bnn) costs ~1.55 us per item with AVX-512, so a
 * share of 64 is ~100 us; a split costs ~10-15 us of CPU per run (wakeup
 * and completion, measured on a shared 2-core EPYC at batches 16..256 as
 * the CPU time of 2 threads minus 1).  Every other shipped model costs
 * more per item.
 */
#define AUTO_MIN_SHARE 64

struct cpu;

struct slot {			/* worker i's share of the current run */
	struct cpu *c;
	pthread_cond_t go;
	int has_job;		/* set by the caller, cleared by the worker */
	struct bnn__hscratch *s;
	const float *in;
	float *out;
	size_t n;
};

struct cpu {
	struct bnn__hnet *h;
	uint32_t nthreads;	/* threads a batch may use, caller included */
	int autosplit;		/* opts.threads == BNN_THREADS_AUTO */
	struct bnn__hscratch **s;	/* one per thread */
	size_t in_item, out_item;	/* floats per item (in: with features) */

	/* the pool: workers 1..nworkers run, slots 1..nworkers are theirs */
	pthread_mutex_t mu;	/* has_job, busy, quit */
	pthread_cond_t done;
	uint32_t nworkers;
	uint32_t busy;		/* workers not done with this run */
	int quit;
	pid_t pid;		/* the process the workers belong to */
	pthread_t tid[MAX_THREADS];
	struct slot slot[MAX_THREADS];
};

#ifdef BNN_TEST_HOOKS
static long fail_threads = -1;

void bnn_test_fail_thread_after(long n)
{
	fail_threads = n < 0 ? -1 : n;
}

static int thread_should_fail(void)
{
	if (fail_threads < 0)
		return 0;
	if (fail_threads == 0)
		return 1;
	fail_threads--;
	return 0;
}
#else
static inline int thread_should_fail(void)
{
	return 0;
}
#endif

static void run_share(const struct bnn__hnet *h, struct bnn__hscratch *s,
		      const float *in, size_t n, float *out)
{
	bnn__hnet_run(h, s, 0, bnn__hnet_model(h)->nlayers, in, n, out, in);
}

static void *worker_main(void *arg)
{
	struct slot *sl = arg;
	struct cpu *c = sl->c;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!sl->has_job && !c->quit)
			pthread_cond_wait(&sl->go, &c->mu);
		if (!sl->has_job)
			break;
		pthread_mutex_unlock(&c->mu);
		run_share(c->h, sl->s, sl->in, sl->n, sl->out);
		pthread_mutex_lock(&c->mu);
		sl->has_job = 0;
		if (!--c->busy)
			pthread_cond_signal(&c->done);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/*
 * After a fork() the child has none of the parent's workers; their
 * condition variables still count the parent's waiters, so the child
 * neither signals nor destroys them (the mutex is free: outside a run
 * every worker waits with it unlocked).
 */
static void forget_forked(struct cpu *c)
{
	if (c->nworkers && c->pid != getpid())
		c->nworkers = 0;
}

/* Start workers up to index want - 1; stops at the first that fails. */
static void start_workers(struct cpu *c, uint32_t want)
{
	sigset_t all, old;

	forget_forked(c);
	if (c->nworkers + 1 >= want)
		return;
	c->pid = getpid();
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (c->nworkers + 1 < want) {
		uint32_t i = c->nworkers + 1;
		struct slot *sl = &c->slot[i];

		memset(sl, 0, sizeof(*sl));
		sl->c = c;
		if (pthread_cond_init(&sl->go, NULL))
			break;
		if (thread_should_fail() ||
		    pthread_create(&c->tid[i], NULL, worker_main, sl)) {
			pthread_cond_destroy(&sl->go);
			break;
		}
		c->nworkers = i;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void stop_workers(struct cpu *c)
{
	forget_forked(c);
	if (!c->nworkers)
		return;
	pthread_mutex_lock(&c->mu);
	c->quit = 1;
	for (uint32_t i = 1; i <= c->nworkers; i++)
		pthread_cond_signal(&c->slot[i].go);
	pthread_mutex_unlock(&c->mu);
	for (uint32_t i = 1; i <= c->nworkers; i++) {
		pthread_join(c->tid[i], NULL);
		pthread_cond_destroy(&c->slot[i].go);
	}
	c->nworkers = 0;
	c->quit = 0;
}

static void drop_model(struct cpu *c)
{
	if (c->s)
		for (uint32_t i = 0; i < c->nthreads; i++)
			bnn__hscratch_free(c->s[i]);
	free(c->s);
	c->s = NULL;
	bnn__hnet_free(c->h);
	c->h = NULL;
}

static int cpu_open(struct bnn_backend *be, const bnn_backend_opts *o,
		    bnn_error *err)
{
	struct cpu *c = calloc(1, sizeof(*c));

	if (!c)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	if (o->threads == BNN_THREADS_AUTO) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		c->autosplit = 1;
		c->nthreads = ncpu > 1 ? (uint32_t)(ncpu < MAX_THREADS ?
						    ncpu : MAX_THREADS) : 1;
	} else {
		c->nthreads = o->threads > 1 ? o->threads : 1;
		if (c->nthreads > MAX_THREADS)
			c->nthreads = MAX_THREADS;
	}
	if (pthread_mutex_init(&c->mu, NULL)) {
		free(c);
		return bnn__fail(err, BNN_E_NOMEM, "cpu: no mutex");
	}
	if (pthread_cond_init(&c->done, NULL)) {
		pthread_mutex_destroy(&c->mu);
		free(c);
		return bnn__fail(err, BNN_E_NOMEM, "cpu: no condition variable");
	}
	be->priv = c;
	be->cards = 0;
	if (c->autosplit && c->nthreads > 1)
		snprintf(be->detail, sizeof(be->detail),
			 "%s, up to %u threads, %u+ items each",
			 be->kernels->name, c->nthreads, AUTO_MIN_SHARE);
	else
		snprintf(be->detail, sizeof(be->detail), "%s, %u thread%s",
			 be->kernels->name, c->nthreads,
			 c->nthreads > 1 ? "s" : "");
	return BNN_OK;
}

static void cpu_close(struct bnn_backend *be)
{
	struct cpu *c = be->priv;

	stop_workers(c);
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->mu);
	drop_model(c);
	free(c);
}

static int cpu_prepare(struct bnn_backend *be, const struct bnn_model *m,
		       bnn_error *err)
{
	struct cpu *c = be->priv;
	int rc;

	/* Workers are idle between runs: their scratch may change. */
	drop_model(c);
	rc = bnn__hnet_new(m, be->kernels, &c->h, err);
	if (rc)
		return rc;
	c->s = calloc(c->nthreads, sizeof(*c->s));
	if (!c->s)
		goto nomem;
	for (uint32_t i = 0; i < c->nthreads; i++)
		if (bnn__hscratch_new(c->h, &c->s[i]))
			goto nomem;
	c->in_item = bnn__item_floats(m);
	c->out_item = m->nclasses;
	return BNN_OK;
nomem:
	drop_model(c);
	return bnn__fail(err, BNN_E_NOMEM, "out of memory");
}

/* Shares for n items. */
static uint32_t shares(const struct cpu *c, size_t n)
{
	if (c->autosplit) {
		size_t k = n / AUTO_MIN_SHARE;

		return k < 1 ? 1 : k < c->nthreads ? (uint32_t)k : c->nthreads;
	}
	return n < 2 * (size_t)c->nthreads ? 1 : c->nthreads;
}

static int cpu_run(struct bnn_backend *be, const float *in, size_t n,
		   float *scores, bnn_stats *st, bnn_error *err)
{
	struct cpu *c = be->priv;
	uint32_t nt = shares(c, n), nw;
	size_t per = (n + nt - 1) / nt, a, b;

	(void)st;
	(void)err;
	if (nt == 1) {
		run_share(c->h, c->s[0], in, n, scores);
		return BNN_OK;
	}
	start_workers(c, nt);
	nw = c->nworkers < nt - 1 ? c->nworkers : nt - 1;
	/* The mutex publishes the shares to the workers. */
	pthread_mutex_lock(&c->mu);
	for (uint32_t i = 1; i <= nw; i++) {
		struct slot *sl = &c->slot[i];

		a = (size_t)i * per;
		b = a + per < n ? a + per : n;
		if (a >= b)
			continue;
		sl->s = c->s[i];
		sl->in = in + a * c->in_item;
		sl->out = scores + a * c->out_item;
		sl->n = b - a;
		sl->has_job = 1;
		c->busy++;
		pthread_cond_signal(&sl->go);
	}
	pthread_mutex_unlock(&c->mu);
	/* Share 0, then those whose worker could not start, run here. */
	run_share(c->h, c->s[0], in, per < n ? per : n, scores);
	for (uint32_t i = nw + 1; i < nt; i++) {
		a = (size_t)i * per;
		b = a + per < n ? a + per : n;
		if (a < b)
			run_share(c->h, c->s[i], in + a * c->in_item, b - a,
				  scores + a * c->out_item);
	}
	pthread_mutex_lock(&c->mu);
	while (c->busy)
		pthread_cond_wait(&c->done, &c->mu);
	pthread_mutex_unlock(&c->mu);
	return BNN_OK;
}

const struct bnn_backend_ops bnn__backend_cpu_ops = {
	.kind = BNN_BACKEND_CPU,
	.name = "cpu",
	.open = cpu_open,
	.close = cpu_close,
	.prepare = cpu_prepare,
	.run = cpu_run,
};
