// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * backend_cpu.c - libbnn: the `cpu` backend: the whole model on the host
 * executor (exec.h), optionally splitting a batch over worker threads
 * (opts.threads), each with its own scratch.
 */
#define BNN_DATA_INTERNAL
#include "bnn_data.h"
#include "backend.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 64

struct cpu {
	struct bnn__hnet *h;
	uint32_t nthreads;
	struct bnn__hscratch **s;	/* one per thread */
	size_t in_item, out_item;	/* floats per item (in: with features) */
};

struct work {
	const struct bnn__hnet *h;
	struct bnn__hscratch *s;
	const float *in;
	float *out;
	size_t n;
};

static void *worker(void *arg)
{
	struct work *w = arg;
	uint32_t nl = bnn__hnet_model(w->h)->nlayers;

	bnn__hnet_run(w->h, w->s, 0, nl, w->in, w->n, w->out, w->in);
	return NULL;
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
	c->nthreads = o->threads > 1 ? o->threads : 1;
	if (c->nthreads > MAX_THREADS)
		c->nthreads = MAX_THREADS;
	be->priv = c;
	be->cards = 0;
	snprintf(be->detail, sizeof(be->detail), "%s, %u thread%s",
		 be->kernels->name, c->nthreads, c->nthreads > 1 ? "s" : "");
	return BNN_OK;
}

static void cpu_close(struct bnn_backend *be)
{
	struct cpu *c = be->priv;

	drop_model(c);
	free(c);
}

static int cpu_prepare(struct bnn_backend *be, const struct bnn_model *m,
		       bnn_error *err)
{
	struct cpu *c = be->priv;
	int rc;

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

static int cpu_run(struct bnn_backend *be, const float *in, size_t n,
		   float *scores, bnn_stats *st, bnn_error *err)
{
	struct cpu *c = be->priv;
	uint32_t nt = c->nthreads, started = 0;
	struct work w[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	size_t per;

	(void)st;
	if (n < 2 * (size_t)nt)
		nt = 1;
	per = (n + nt - 1) / nt;
	for (uint32_t i = 0; i < nt; i++) {
		size_t a = (size_t)i * per, b = a + per < n ? a + per : n;

		w[i].h = c->h;
		w[i].s = c->s[i];
		w[i].in = in + a * c->in_item;
		w[i].out = scores + a * c->out_item;
		w[i].n = b > a ? b - a : 0;
	}
	/* Thread 0's share runs on the calling thread. */
	for (uint32_t i = 1; i < nt; i++) {
		if (!w[i].n)
			continue;
		if (pthread_create(&tid[i], NULL, worker, &w[i]) != 0)
			break;
		started = i;
	}
	worker(&w[0]);
	for (uint32_t i = 1; i <= started; i++)
		if (w[i].n)
			pthread_join(tid[i], NULL);
	/* Shares whose thread could not start run here. */
	for (uint32_t i = started + 1; i < nt; i++)
		if (w[i].n)
			worker(&w[i]);
	(void)err;
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
