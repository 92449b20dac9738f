// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * api.c - libbnn: the public backend context (bnn.h) on top of the backend
 * interface (backend.h).
 */
#define BNN_DATA_INTERNAL
#include "bnn_data.h"
#include "backend.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t bnn__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *bnn_backend_kind_name(int kind)
{
	switch (kind) {
	case BNN_BACKEND_AUTO: return "auto";
	case BNN_BACKEND_CPU: return "cpu";
	case BNN_BACKEND_EMU: return "emu";
	case BNN_BACKEND_RBNN: return "rbnn";
	default: return "?";
	}
}

int bnn_backend_kind_from_name(const char *name)
{
	for (int k = BNN_BACKEND_AUTO; k <= BNN_BACKEND_RBNN; k++)
		if (name && !strcmp(name, bnn_backend_kind_name(k)))
			return k;
	return BNN_E_NOTFOUND;
}

void bnn_backend_opts_init(bnn_backend_opts *o)
{
	if (!o)
		return;
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
	o->device = NULL;
	o->error_model = 0;
	o->cell_mode = BNN_CELL_2T2R;
	o->prog_current_ua = 100.0;
	o->verify = 1;
	o->read_ber = 1e-9;
	o->seed = 1;
	o->age_s = 0.0;
	o->tiles = 0;
	o->cpu_isa = BNN_ISA_AUTO;
	o->threads = 0;
	o->wear_cycles = 0;
	o->temperature_c = 25.0;
	o->scrub = 0;
}

static int check_opts(const bnn_backend_opts *o, bnn_error *err)
{
	if (o->error_model != 0 && o->error_model != 1)
		return bnn__fail(err, BNN_E_INVAL, "error_model must be 0 or 1");
	if (o->cell_mode != BNN_CELL_2T2R && o->cell_mode != BNN_CELL_1T1R)
		return bnn__fail(err, BNN_E_INVAL,
				 "cell_mode %d is neither 2T2R (0) nor 1T1R (1)",
				 o->cell_mode);
	if (!isfinite(o->prog_current_ua) || o->prog_current_ua <= 0 ||
	    o->prog_current_ua > 10000)
		return bnn__fail(err, BNN_E_INVAL,
				 "prog_current_ua %g not in (0, 10000]",
				 o->prog_current_ua);
	if (o->verify != 0 && o->verify != 1)
		return bnn__fail(err, BNN_E_INVAL, "verify must be 0 or 1");
	if (!(o->read_ber >= 0 && o->read_ber <= 0.5))
		return bnn__fail(err, BNN_E_INVAL, "read_ber %g not in [0, 0.5]",
				 o->read_ber);
	if (!isfinite(o->age_s) || o->age_s < 0)
		return bnn__fail(err, BNN_E_INVAL, "age_s %g must be >= 0",
				 o->age_s);
	if (o->tiles > 65536)
		return bnn__fail(err, BNN_E_INVAL, "tiles %u exceeds 65536",
				 o->tiles);
	if (o->cpu_isa < BNN_ISA_AUTO || o->cpu_isa > BNN_ISA_AVX512)
		return bnn__fail(err, BNN_E_INVAL, "unknown cpu_isa %d",
				 o->cpu_isa);
	if (!isfinite(o->temperature_c) || o->temperature_c < -40 ||
	    o->temperature_c > 200)
		return bnn__fail(err, BNN_E_INVAL,
				 "temperature_c %g not in -40..200 C",
				 o->temperature_c);
	if (o->scrub != 0 && o->scrub != 1)
		return bnn__fail(err, BNN_E_INVAL, "scrub must be 0 or 1");
	if (o->wear_cycles > 1000000000)
		return bnn__fail(err, BNN_E_INVAL,
				 "wear_cycles %llu exceeds 1000000000",
				 (unsigned long long)o->wear_cycles);
	if (o->threads > 1024 && o->threads != BNN_THREADS_AUTO)
		return bnn__fail(err, BNN_E_INVAL, "threads %u exceeds 1024",
				 o->threads);
	return BNN_OK;
}

static const struct bnn_backend_ops *ops_of(int kind)
{
	switch (kind) {
	case BNN_BACKEND_CPU: return &bnn__backend_cpu_ops;
	case BNN_BACKEND_EMU: return &bnn__backend_emu_ops;
	case BNN_BACKEND_RBNN: return &bnn__backend_rbnn_ops;
	default: return NULL;
	}
}

/* be->ops->open() with be->opts; BNN_THREADS_AUTO is the cpu backend's
 * to resolve, the others (one thread by default) get 0. */
static int open_ops(struct bnn_backend *be, bnn_error *err)
{
	bnn_backend_opts o = be->opts;

	if (o.threads == BNN_THREADS_AUTO && be->ops->kind != BNN_BACKEND_CPU)
		o.threads = 0;
	return be->ops->open(be, &o, err);
}

int bnn_backend_open(int kind, const bnn_backend_opts *opts,
		     bnn_backend **out, bnn_error *err)
{
	static const int auto_order[] = { BNN_BACKEND_RBNN, BNN_BACKEND_EMU,
					  BNN_BACKEND_CPU };
	struct bnn_backend *be;
	int rc;

	if (!out)
		return bnn__fail(err, BNN_E_INVAL, "NULL output");
	*out = NULL;
	if (kind < BNN_BACKEND_AUTO || kind > BNN_BACKEND_RBNN)
		return bnn__fail(err, BNN_E_INVAL, "unknown backend kind %d",
				 kind);
	be = calloc(1, sizeof(*be));
	if (!be)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	bnn_backend_opts_init(&be->opts);
	if (opts) {
		if (opts->size < sizeof(size_t) || opts->size > 65536) {
			free(be);
			return bnn__fail(err, BNN_E_INVAL,
					 "options: size %zu (call bnn_backend_opts_init)",
					 opts->size);
		}
		memcpy(&be->opts, opts, opts->size < sizeof(*opts) ?
					opts->size : sizeof(*opts));
		be->opts.size = sizeof(be->opts);
		/* A newer caller's extra fields must be left at zero. */
		for (size_t i = sizeof(*opts); i < opts->size; i++)
			if (((const unsigned char *)opts)[i]) {
				free(be);
				return bnn__fail(err, BNN_E_UNSUPPORTED,
						 "options: field at byte %zu is not known to libbnn %s",
						 i, bnn_version());
			}
	}
	rc = check_opts(&be->opts, err);
	if (rc)
		goto fail;
	rc = bnn__kernels_get(be->opts.cpu_isa, &be->kernels);
	if (rc) {
		rc = bnn__fail(err, rc, rc == BNN_E_UNSUPPORTED ?
			       "cpu_isa %s: not supported by this CPU" :
			       "cpu_isa %s: unknown (check $BNN_CPU_ISA)",
			       bnn_cpu_isa_name(be->opts.cpu_isa));
		goto fail;
	}
	be->next_job = 1;
	if (kind != BNN_BACKEND_AUTO) {
		be->ops = ops_of(kind);
		if (!be->ops) {
			rc = bnn__fail(err, BNN_E_NODEV,
				       "the %s backend is not built into this library",
				       bnn_backend_kind_name(kind));
			goto fail;
		}
		rc = open_ops(be, err);
		if (rc)
			goto fail;
	} else {
		rc = BNN_E_NODEV;
		for (size_t i = 0; i < sizeof(auto_order) / sizeof(*auto_order); i++) {
			be->ops = ops_of(auto_order[i]);
			if (!be->ops)
				continue;
			rc = open_ops(be, err);
			if (rc != BNN_E_NODEV)
				break;
		}
		if (rc)
			goto fail;
	}
	bnn_error_clear(err);
	*out = be;
	return BNN_OK;
fail:
	free(be);
	return rc;
}

static int collect(struct bnn_backend *be, struct bnn__job *j, int timeout_ms,
		   bnn_stats *st, bnn_error *err);

void bnn_backend_close(bnn_backend *be)
{
	if (!be)
		return;
	for (int i = 0; i < BNN_MAX_JOBS; i++)
		if (be->jobs[i].id)
			collect(be, &be->jobs[i], -1, NULL, NULL);
	if (be->ops)
		be->ops->close(be);
	free(be->offsets);
	free(be);
}

int bnn_backend_info_get(const bnn_backend *be, bnn_backend_info *o)
{
	if (!be || !o)
		return BNN_E_INVAL;
	memset(o, 0, sizeof(*o));
	o->kind = be->ops->kind;
	o->name = be->ops->name;
	o->detail = be->detail;
	o->cpu_isa = be->kernels->isa;
	o->cards = be->cards;
	return BNN_OK;
}

static int pending(const struct bnn_backend *be)
{
	for (int i = 0; i < BNN_MAX_JOBS; i++)
		if (be->jobs[i].id)
			return 1;
	return 0;
}

int bnn_prepare(bnn_backend *be, const bnn_model *m, bnn_error *err)
{
	int32_t *off = NULL;
	int rc;

	if (!be || !m)
		return bnn__fail(err, BNN_E_INVAL, "NULL argument");
	if (pending(be))
		return bnn__fail(err, BNN_E_BUSY,
				 "jobs are pending: collect them with bnn_wait first");
	rc = bnn__model_finish(m, err);
	if (rc)
		return rc;
	if (m->offsets) {
		/* a copy: the model may be freed after bnn_prepare */
		off = malloc(m->nclasses * sizeof(*off));
		if (!off)
			return bnn__fail(err, BNN_E_NOMEM, "out of memory");
		memcpy(off, m->offsets, m->nclasses * sizeof(*off));
	}
	be->prepared = 0;
	free(be->offsets);
	be->offsets = NULL;
	rc = be->ops->prepare(be, m, err);
	if (rc) {
		free(off);
		return rc;
	}
	be->prepared = 1;
	be->offsets = off;
	be->nclasses = m->nclasses;
	be->in_elems = bnn__item_floats(m);	/* features included */
	{
		bnn_model_info mi;

		if (bnn_model_info_get(m, &mi) == BNN_OK) {
			be->nlayers = mi.nlayers;
			be->model_card_bits = mi.card_bits;
			be->model_host_bits = mi.host_bits;
		} else {
			be->nlayers = m->nlayers;
			be->model_card_bits = be->model_host_bits = 0;
		}
	}
	bnn_error_clear(err);
	return BNN_OK;
}

int bnn_prepare_info_get(const bnn_backend *be, bnn_prepare_info *out,
			 bnn_error *err)
{
	bnn_prepare_info pi;
	uint32_t size;
	int rc;

	if (!be || !out)
		return bnn__fail(err, BNN_E_INVAL, "NULL argument");
	size = out->size;
	if (size < sizeof(uint32_t))
		return bnn__fail(err, BNN_E_INVAL,
				 "bnn_prepare_info: size %u too small (set it to sizeof(bnn_prepare_info))",
				 size);
	if (!be->prepared)
		return bnn__fail(err, BNN_E_STATE,
				 "no model prepared (call bnn_prepare first)");
	memset(&pi, 0, sizeof(pi));
	pi.size = sizeof(pi);
	pi.host_layers = be->nlayers;
	pi.card_bits = be->model_card_bits;
	pi.host_bits = be->model_host_bits;
	snprintf(pi.note, sizeof(pi.note), "%s backend: no card",
		 be->ops->name);
	if (be->ops->prepare_info) {
		rc = be->ops->prepare_info(be, &pi, err);
		if (rc)
			return rc;
	}
	pi.size = size;
	memcpy(out, &pi, size < sizeof(pi) ? size : sizeof(pi));
	bnn_error_clear(err);
	return BNN_OK;
}

static void add_stats(bnn_stats *t, const bnn_stats *s)
{
	t->items += s->items;
	t->host_ns += s->host_ns;
	t->device_ns += s->device_ns;
	t->device_energy_pj += s->device_energy_pj;
	t->device_cmds += s->device_cmds;
}

static int check_run(const bnn_backend *be, const float *in, size_t n,
		     bnn_error *err)
{
	if (!be)
		return bnn__fail(err, BNN_E_INVAL, "NULL backend");
	if (!be->prepared)
		return bnn__fail(err, BNN_E_STATE,
				 "no model prepared (call bnn_prepare first)");
	if (n && !in)
		return bnn__fail(err, BNN_E_INVAL, "NULL input");
	if (n > ((size_t)1 << 40) / (be->in_elems + be->nclasses))
		return bnn__fail(err, BNN_E_RANGE, "batch of %zu items too large",
				 n);
	return BNN_OK;
}

int bnn_run(bnn_backend *be, const float *in, size_t n, float *scores,
	    int32_t *pred, bnn_stats *st, bnn_error *err)
{
	bnn_stats s;
	float *sc = scores;
	uint64_t t0 = bnn__now_ns();
	int rc;

	rc = check_run(be, in, n, err);
	if (rc)
		return rc;
	memset(&s, 0, sizeof(s));
	if (n) {
		if (!sc) {
			sc = malloc(n * be->nclasses * sizeof(float));
			if (!sc)
				return bnn__fail(err, BNN_E_NOMEM, "out of memory");
		}
		rc = be->ops->run(be, in, n, sc, &s, err);
		if (!rc)
			bnn__scores_finish(be->offsets, sc, n, be->nclasses,
					   pred);
		if (sc != scores)
			free(sc);
		if (rc)
			return rc;
	}
	s.items = n;
	s.host_ns = bnn__now_ns() - t0;
	add_stats(&be->total, &s);
	if (st)
		*st = s;
	bnn_error_clear(err);
	return BNN_OK;
}

int bnn_submit(bnn_backend *be, const float *in, size_t n, float *scores,
	       int32_t *pred, uint64_t *job, bnn_error *err)
{
	struct bnn__job *j = NULL;
	int rc;

	if (!job)
		return bnn__fail(err, BNN_E_INVAL, "NULL job");
	*job = 0;
	rc = check_run(be, in, n, err);
	if (rc)
		return rc;
	for (int i = 0; i < BNN_MAX_JOBS; i++)
		if (!be->jobs[i].id) {
			j = &be->jobs[i];
			break;
		}
	if (!j)
		return bnn__fail(err, BNN_E_BUSY,
				 "%d jobs pending: collect some with bnn_wait",
				 BNN_MAX_JOBS);
	memset(j, 0, sizeof(*j));
	j->n = n;
	j->pred = pred;
	j->ncls = be->nclasses;
	j->scores = scores;
	j->t0_ns = bnn__now_ns();
	if (n && !scores) {
		j->scores = malloc(n * be->nclasses * sizeof(float));
		if (!j->scores)
			return bnn__fail(err, BNN_E_NOMEM, "out of memory");
		j->own_scores = 1;
	}
	if (!n) {
		j->done = 1;
	} else if (be->ops->submit) {
		rc = be->ops->submit(be, in, n, j->scores, &j->tok, err);
		if (rc) {
			if (j->own_scores)
				free(j->scores);
			memset(j, 0, sizeof(*j));
			return rc;
		}
	} else {
		j->rc = be->ops->run(be, in, n, j->scores, &j->st, &j->err);
		j->done = 1;
	}
	j->id = be->next_job++;
	*job = j->id;
	bnn_error_clear(err);
	return BNN_OK;
}

static int collect(struct bnn_backend *be, struct bnn__job *j, int timeout_ms,
		   bnn_stats *st, bnn_error *err)
{
	int rc;

	if (!j->done) {
		rc = be->ops->wait(be, j->tok, timeout_ms, &j->st, &j->err);
		if (rc == BNN_E_TIMEOUT)
			return bnn__fail(err, BNN_E_TIMEOUT,
					 "job %llu still running",
					 (unsigned long long)j->id);
		j->rc = rc;
		j->done = 1;
	}
	rc = j->rc;
	if (!rc)
		bnn__scores_finish(be->offsets, j->scores, j->n, j->ncls,
				   j->pred);
	if (!rc) {
		j->st.items = j->n;
		j->st.host_ns = bnn__now_ns() - j->t0_ns;
		add_stats(&be->total, &j->st);
		if (st)
			*st = j->st;
		bnn_error_clear(err);
	} else if (err) {
		*err = j->err;
		err->code = rc;
	}
	if (j->own_scores)
		free(j->scores);
	memset(j, 0, sizeof(*j));
	return rc;
}

int bnn_wait(bnn_backend *be, uint64_t job, int timeout_ms, bnn_stats *st,
	     bnn_error *err)
{
	if (!be)
		return bnn__fail(err, BNN_E_INVAL, "NULL backend");
	for (int i = 0; i < BNN_MAX_JOBS; i++)
		if (job && be->jobs[i].id == job)
			return collect(be, &be->jobs[i], timeout_ms, st, err);
	return bnn__fail(err, BNN_E_NOTFOUND, "no pending job %llu",
			 (unsigned long long)job);
}

int bnn_backend_stats(const bnn_backend *be, bnn_stats *total)
{
	if (!be || !total)
		return BNN_E_INVAL;
	*total = be->total;
	return BNN_OK;
}
