// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * backend_emu.c - libbnn: the `emu` backend: the card's device-model core
 * (emulator/core, the same code as the QEMU device) in-process.
 *
 * open:    one struct rbnn_array from rbnn_params_default() with the
 *          options applied (error model, cell mode, read BER, seed, tiles).
 * prepare: bnn__compile() for the array's geometry, one checked program
 *          (rbnn_prog_parse() of the stage's rbnn_hw_prog image) per card
 *          stage, the plan's rows programmed (opts.prog_current_ua,
 *          opts.verify; rounded to whole nA as PROGRAM_ROWS carries it),
 *          thresholds loaded, then the array aged by opts.age_s at
 *          opts.temperature_c; with opts.scrub, in steps of the scrub
 *          policy's interval (policy.h), each step ending with a
 *          read-verify scrub of the plan's rows (scrub_plan()).
 * run:     chunks of items through the plan: host ranges on the host
 *          executor (exec.h), card stages item by item with
 *          rbnn_prog_run(), which takes and gives the executor's boundary
 *          layouts (bits / k-bit bytes); a stage ending in SCORES gives
 *          int32 sums that become the float scores the executor would give.
 *
 * Statistics are those the card would report for the same work: each
 * stage of a run is costed as EXEC commands of at most max_batch items
 * with contiguous buffers (array cost of rbnn_prog_run, which does not
 * depend on the data, plus command overhead and DMA of the command,
 * completion, program, input and output items), rounded per command like
 * the card's completions.  device_cmds counts these EXECs.  Programming
 * is costed the same way (PROGRAM_ROWS, LOAD_THRESH) but reported apart,
 * through bnn__emu_prog_stats() (struct bnn_stats has no place for it).
 *
 * Threads (opts.threads > 1): opts.threads - 1 worker threads are started
 * at prepare and wait for runs; the calling thread is worker 0.  Each
 * worker has its own copy of the programmed array (rbnn_array_save /
 * load), its own programs and scratch.  A run's items are claimed in
 * small contiguous slices from a shared counter, and each slice runs
 * start to finish (host ranges and card stages) on the worker that
 * claimed it, so a worker slowed down (another process on its core)
 * does not hold the others up.
 *
 * Transient sense errors (error model on, read_ber > 0) would make the
 * outputs depend on which array read which item in which order.  So each
 * item reads with its own error stream: before item k (counted over
 * every run since the prepare) goes through card stage s, its array is
 * reseeded (rbnn_array_reseed) from (opts.seed, k, s).  The outputs are
 * then a function of the seed and the items' positions alone, the same
 * for any thread count and any batch split, and the errors have the
 * statistics the card's (independent per cell read).  They are not the
 * ones the card's single generator would draw for the same command
 * sequence.  After each such run the card's array is reseeded from (seed,
 * items run), so that a later prepare programs it reproducibly.
 *
 * Costs do not depend on the data, the errors or the split: a stage's
 * array cost is measured on item 0 of each run.
 */
#define BNN_DATA_INTERNAL
#include "bnn_data.h"
#include "backend.h"
#include "backend_emu.h"
#include "compile.h"
#include "policy.h"

#include <endian.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rbnn_array.h"
#include "rbnn_exec.h"
#include "rbnn_params.h"
#include "rbnn_regs.h"

#define SQE_BYTES 64u
#define CQE_BYTES 32u
#define CHUNK_ITEMS 256u
#define CHUNK_BYTES ((size_t)8 << 20)	/* per ping-pong buffer */
#define MAX_WORKERS 64u
#define SLICES_PER_WORKER 8u	/* claims per worker and run, about */
#define MIN_SLICE 8u		/* items per claim, at least (host kernels) */

/* A step of a run: a host range or a card stage. */
struct step {
	uint32_t first, last;	/* model layers [first, last) */
	int card;
	void *img;		/* card: program image */
	size_t prog_len;
	size_t in_bytes, out_bytes;	/* card item sizes */
	int scores;		/* card output is int32 sums */
	size_t out_elems;
	struct rbnn_cost c_item;	/* array cost of one item (it does
					 * not depend on the data) */
};

/* One thread of runs, with everything it uses alone. */
struct worker {
	struct emu *e;
	struct rbnn_array *a;	/* worker 0: the card; others: clones */
	struct rbnn_prog **progs;	/* per step (NULL: host) */
	struct bnn__hscratch *s;
	uint8_t *buf[2];
	uint8_t *cout;		/* one SCORES item from the card */
};

struct emu {
	struct rbnn_params p;
	struct rbnn_array *a;
	struct rbnn_prog_opts popts;
	double age_s;
	int scrub;		/* the scrub policy while aging */
	uint32_t threads;

	/* prepared model */
	struct bnn__hnet *h;
	struct bnn__plan *plan;
	struct step *steps;
	uint32_t nsteps;
	size_t in_floats;	/* floats per user item (features included) */
	size_t ncls;
	size_t chunk, bufsz, coutsz;
	uint32_t nworkers;
	struct worker *w;
	struct bnn__emu_prog_stats prog;
	int reseed;		/* per-item transient-error streams */
	uint64_t items;		/* items run since the prepare */

	/* worker threads 1..nthreads, waiting for runs */
	pthread_t tid[MAX_WORKERS];
	uint32_t nthreads;
	pthread_mutex_t mu;	/* gen, busy, quit */
	pthread_cond_t go, done;
	uint64_t gen;		/* bumped to start a run */
	uint32_t busy;		/* threads not done with this run */
	int quit;

	/* the current run, set before gen moves */
	const float *in;
	float *out;
	size_t n, slice;
	uint64_t base;		/* items run before this one */
	size_t next;		/* next item to claim (atomic) */
};

static uint64_t round_u64(double v)
{
	if (!(v > 0.0))
		return 0;
	if (v >= 18446744073709549568.0)
		return UINT64_MAX;
	return (uint64_t)(v + 0.5);
}

/* Add one command of array cost `c` and `dma` data bytes, as the card's
 * completion reports it. */
static void add_cmd(const struct rbnn_params *p, const struct rbnn_cost *c,
		    uint64_t dma, uint64_t *ns, double *pj)
{
	double e, t;

	dma += SQE_BYTES + CQE_BYTES;
	e = c->energy_fj + p->e_cmd_fj + (double)dma * p->e_dma_fj;
	t = c->time_ns + p->t_cmd_ns + (double)dma * p->t_dma_ns_per_byte;
	*ns += round_u64(t);
	*pj += (double)round_u64(e / 1000.0);
}

static void worker_free(struct worker *w, uint32_t nsteps)
{
	if (w->progs)
		for (uint32_t i = 0; i < nsteps; i++)
			rbnn_prog_free(w->progs[i]);
	free(w->progs);
	if (w->a && w->a != w->e->a)
		rbnn_array_free(w->a);
	bnn__hscratch_free(w->s);
	free(w->buf[0]);
	free(w->buf[1]);
	free(w->cout);
	memset(w, 0, sizeof(*w));
}

/* Stop the worker threads (they wait between runs). */
static void stop_threads(struct emu *e)
{
	pthread_mutex_lock(&e->mu);
	e->quit = 1;
	pthread_cond_broadcast(&e->go);
	pthread_mutex_unlock(&e->mu);
	for (uint32_t i = 1; i <= e->nthreads; i++)
		pthread_join(e->tid[i], NULL);
	e->nthreads = 0;
	e->quit = 0;
}

static void drop_model(struct emu *e)
{
	stop_threads(e);
	if (e->w)
		for (uint32_t i = 0; i < e->nworkers; i++)
			worker_free(&e->w[i], e->nsteps);
	free(e->w);
	e->w = NULL;
	e->nworkers = 0;
	for (uint32_t i = 0; i < e->nsteps; i++)
		free(e->steps[i].img);
	free(e->steps);
	e->steps = NULL;
	e->nsteps = 0;
	bnn__plan_free(e->plan);
	e->plan = NULL;
	bnn__hnet_free(e->h);
	e->h = NULL;
}

static int emu_open(struct bnn_backend *be, const bnn_backend_opts *o,
		    bnn_error *err)
{
	struct emu *e;
	char msg[160];
	double na;

	e = calloc(1, sizeof(*e));
	if (!e)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	rbnn_params_default(&e->p);
	e->p.error_model = o->error_model != 0;
	e->p.cell_mode = (uint32_t)o->cell_mode;
	e->p.read_ber = o->read_ber;
	e->p.seed = o->seed;
	if (o->tiles)
		e->p.tiles = o->tiles;
	/*
	 * A worn card: the model's one program cycle is counted as the
	 * card's wear_cycles-th, so the endurance hazard of all the earlier
	 * cycles applies to it (rbnn_params.wear_accel).
	 */
	if (o->wear_cycles)
		e->p.wear_accel = (uint32_t)o->wear_cycles;
	if (rbnn_params_check(&e->p, msg, sizeof(msg))) {
		free(e);
		return bnn__fail(err, BNN_E_UNSUPPORTED, "emu card: %s", msg);
	}
	/* PROGRAM_ROWS carries the current in nA, 1 to 1000 uA. */
	na = floor(o->prog_current_ua * 1000.0 + 0.5);
	if (!(na >= 1000.0 && na <= 1000000.0)) {
		free(e);
		return bnn__fail(err, BNN_E_UNSUPPORTED,
				 "emu card: programming current %g uA not in 1..1000 uA",
				 o->prog_current_ua);
	}
	e->popts.current_ua = na / 1000.0;
	e->popts.verify = o->verify != 0;
	e->age_s = o->age_s;
	e->scrub = o->scrub;
	e->p.temperature_c = o->temperature_c;
	e->threads = o->threads > 1 ? o->threads : 1;
	if (e->threads > MAX_WORKERS)
		e->threads = MAX_WORKERS;
	e->a = rbnn_array_new(&e->p);
	if (!e->a) {
		free(e);
		return bnn__fail(err, BNN_E_NOMEM,
				 "out of memory for the emulated array");
	}
	if (pthread_mutex_init(&e->mu, NULL)) {
		rbnn_array_free(e->a);
		free(e);
		return bnn__fail(err, BNN_E_NOMEM, "cannot create a mutex");
	}
	if (pthread_cond_init(&e->go, NULL)) {
		pthread_mutex_destroy(&e->mu);
		rbnn_array_free(e->a);
		free(e);
		return bnn__fail(err, BNN_E_NOMEM, "cannot create a condition");
	}
	if (pthread_cond_init(&e->done, NULL)) {
		pthread_cond_destroy(&e->go);
		pthread_mutex_destroy(&e->mu);
		rbnn_array_free(e->a);
		free(e);
		return bnn__fail(err, BNN_E_NOMEM, "cannot create a condition");
	}
	be->priv = e;
	be->cards = 1;
	snprintf(be->detail, sizeof(be->detail),
		 "%u tiles x %u x %u, %s, error model %s; host: %s, %u thread%s",
		 e->p.tiles, e->p.rows, e->p.cols,
		 e->p.cell_mode == RBNN_CELL_1T1R ? "1T1R" : "2T2R",
		 e->p.error_model ? "on" : "off", be->kernels->name,
		 e->threads, e->threads > 1 ? "s" : "");
	return BNN_OK;
}

static void emu_close(struct bnn_backend *be)
{
	struct emu *e = be->priv;

	if (!e)
		return;
	drop_model(e);
	pthread_cond_destroy(&e->done);
	pthread_cond_destroy(&e->go);
	pthread_mutex_destroy(&e->mu);
	rbnn_array_free(e->a);
	free(e);
	be->priv = NULL;
}

/* Program the rows of a stage (runs of consecutive rows) and load its
 * thresholds (runs of consecutive rows that have one). */
static void program_stage(struct emu *e, const struct bnn__card_stage *st)
{
	uint32_t words = e->p.cols / 64;

	for (uint32_t r = 0; r < st->nrows;) {
		const struct bnn__card_row *r0 = &st->rows[r];
		struct rbnn_prog_result res;
		struct rbnn_cost c;
		uint32_t n = 1;

		while (r + n < st->nrows && st->rows[r + n].tile == r0->tile &&
		       st->rows[r + n].row == r0->row + n &&
		       st->rows[r + n].bits == r0->bits + (size_t)n * words)
			n++;
		memset(&c, 0, sizeof(c));
		memset(&res, 0, sizeof(res));
		rbnn_array_program(e->a, r0->tile, r0->row, n, r0->bits,
				   &e->popts, &res, &c);
		add_cmd(&e->p, &c, (uint64_t)n * words * 8, &e->prog.device_ns,
			&e->prog.device_energy_pj);
		e->prog.cmds++;
		e->prog.rows += n;
		e->prog.pulses += res.pulses;
		e->prog.unverified += res.unverified;
		r += n;
	}
	for (uint32_t r = 0; r < st->nrows;) {
		const struct bnn__card_row *r0 = &st->rows[r];
		struct rbnn_cost c;
		uint32_t n = 0;

		if (!r0->has_thr) {
			r++;
			continue;
		}
		while (r + n < st->nrows && st->rows[r + n].has_thr &&
		       st->rows[r + n].tile == r0->tile &&
		       st->rows[r + n].row == r0->row + n) {
			rbnn_array_set_threshold(e->a, r0->tile, r0->row + n,
						 st->rows[r + n].thr);
			n++;
		}
		memset(&c, 0, sizeof(c));
		add_cmd(&e->p, &c, (uint64_t)n * 4, &e->prog.device_ns,
			&e->prog.device_energy_pj);
		e->prog.cmds++;
		r += n;
	}
}

/*
 * The read-verify scrub of the policy (policy.h): each programmed row is
 * sensed; one that reads other than the plan's bits is programmed again
 * from them, the others are refreshed in place.  Costed like the card's
 * READ_ROWS, PROGRAM_ROWS and REFRESH commands, one per row, in the
 * programming statistics.
 */
static void scrub_plan(struct emu *e, uint64_t *buf)
{
	uint32_t words = e->p.cols / 64;

	for (uint32_t i = 0; i < e->plan->nstages; i++) {
		const struct bnn__card_stage *st = &e->plan->stages[i];

		for (uint32_t r = 0; r < st->nrows; r++) {
			const struct bnn__card_row *row = &st->rows[r];
			struct rbnn_prog_result res;
			struct rbnn_cost c;

			memset(&c, 0, sizeof(c));
			memset(&res, 0, sizeof(res));
			rbnn_array_read(e->a, row->tile, row->row, buf, &c);
			if (bnn__scrub_row(buf, row->bits, e->p.cols) ==
			    BNN_SCRUB_REPROGRAM) {
				rbnn_array_program(e->a, row->tile, row->row,
						   1, row->bits, &e->popts,
						   &res, &c);
				e->prog.scrub_rewritten++;
			} else {
				rbnn_array_refresh(e->a, row->tile, row->row,
						   1, &res, &c);
			}
			add_cmd(&e->p, &c, (uint64_t)words * 16,
				&e->prog.device_ns, &e->prog.device_energy_pj);
			e->prog.cmds += 2;
			e->prog.pulses += res.pulses;
			e->prog.scrub_weak += res.weak;
		}
	}
	e->prog.scrubs++;
}

/* Age the programmed array by e->age_s, scrubbing on the policy's
 * schedule when e->scrub. */
static int age_array(struct emu *e, bnn_error *err)
{
	double left = e->age_s, step;
	uint64_t *buf, n;

	if (!(left > 0))
		return BNN_OK;
	if (!e->scrub) {
		rbnn_array_advance_age(e->a, left);
		return BNN_OK;
	}
	step = bnn__scrub_interval_s(e->p.temperature_c);
	if (left / step > BNN_SCRUB_MAX_STEPS)
		return bnn__fail(err, BNN_E_UNSUPPORTED,
				 "scrub policy: %.3g s at %g C is %.3g scrubs (at most %g; interval %.3g s)",
				 left, e->p.temperature_c, left / step,
				 (double)BNN_SCRUB_MAX_STEPS, step);
	buf = malloc((size_t)e->p.cols / 8);
	if (!buf)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	n = (uint64_t)floor(left / step);
	for (uint64_t i = 0; i < n; i++) {
		rbnn_array_advance_age(e->a, step);
		scrub_plan(e, buf);
	}
	left -= (double)n * step;
	if (left > 0)
		rbnn_array_advance_age(e->a, left);
	free(buf);
	return BNN_OK;
}

/*
 * Set up worker i: worker 0 runs on the card's array, the others on exact
 * copies of it (rbnn_array_save / load after programming and aging).
 */
static int worker_new(struct emu *e, uint32_t i, const void *state,
		      size_t state_len, bnn_error *err)
{
	struct worker *w = &e->w[i];

	w->e = e;
	if (i == 0) {
		w->a = e->a;
	} else {
		w->a = rbnn_array_new(&e->p);
		if (!w->a || rbnn_array_load(w->a, state, state_len))
			return bnn__fail(err, BNN_E_NOMEM,
					 "emu: cannot copy the array for thread %u", i);
	}
	w->progs = calloc(e->nsteps, sizeof(*w->progs));
	w->buf[0] = aligned_alloc(64, e->chunk * e->bufsz);
	w->buf[1] = aligned_alloc(64, e->chunk * e->bufsz);
	w->cout = aligned_alloc(64, e->coutsz);
	if (!w->progs || !w->buf[0] || !w->buf[1] || !w->cout ||
	    bnn__hscratch_new(e->h, &w->s))
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	for (uint32_t k = 0; k < e->nsteps; k++) {
		struct step *sp = &e->steps[k];
		char msg[160];
		uint32_t off = 0;

		if (!sp->card)
			continue;
		w->progs[k] = rbnn_prog_parse(w->a, sp->img, sp->prog_len, msg,
					      sizeof(msg), &off);
		if (!w->progs[k])
			return bnn__fail(err, BNN_E_DEVICE,
					 "emu card rejected the program of layers %u..%u at byte %u: %s",
					 sp->first, sp->last - 1, off, msg);
	}
	return BNN_OK;
}

/* Check a card step's item sizes against the plan and the host
 * executor's boundary layouts (they must agree byte for byte). */
static int check_sizes(struct emu *e, struct step *sp,
		       const struct bnn__card_stage *st, bnn_error *err)
{
	struct rbnn_prog *pr;
	size_t hin, hout;
	char msg[160];
	uint32_t off = 0;
	int vk;

	pr = rbnn_prog_parse(e->a, sp->img, sp->prog_len, msg, sizeof(msg),
			     &off);
	if (!pr)
		return bnn__fail(err, BNN_E_DEVICE,
				 "emu card rejected the program of layers %u..%u at byte %u: %s",
				 st->first, st->last - 1, off, msg);
	sp->in_bytes = rbnn_prog_in_bytes(pr);
	sp->out_bytes = rbnn_prog_out_bytes(pr);
	rbnn_prog_free(pr);
	bnn__hnet_io(e->h, st->first, NULL, NULL, NULL, &hin);
	bnn__hnet_io(e->h, st->last, &vk, NULL, &sp->out_elems, &hout);
	if (sp->in_bytes != st->in_bytes || sp->out_bytes != st->out_bytes ||
	    hin != sp->in_bytes ||
	    (vk != BNN_VALUES_FLOAT && hout != sp->out_bytes))
		return bnn__fail(err, BNN_E_DEVICE,
				 "emu: item sizes of layers %u..%u disagree (card %zu/%zu, plan %zu/%zu, host %zu/%zu)",
				 st->first, st->last - 1, sp->in_bytes,
				 sp->out_bytes, st->in_bytes, st->out_bytes,
				 hin, hout);
	return BNN_OK;
}

static void *worker_main(void *arg);

static int emu_prepare(struct bnn_backend *be, const struct bnn_model *m,
		       bnn_error *err)
{
	struct emu *e = be->priv;
	struct bnn__card_geom g;
	void *state = NULL;
	size_t state_len = 0;
	uint32_t b = 0;
	int rc;

	drop_model(e);
	memset(&e->prog, 0, sizeof(e->prog));
	e->items = 0;
	rc = bnn__hnet_new(m, be->kernels, &e->h, err);
	if (rc)
		return rc;
	memset(&g, 0, sizeof(g));
	g.tiles = e->p.tiles;
	g.rows = e->p.rows;
	g.cols = e->p.cols;
	g.act_buf_size = e->p.act_buf_size;
	g.max_layers = e->p.max_layers;
	g.max_batch = e->p.max_batch;
	rc = bnn__compile(m, &g, &e->plan, err);
	if (rc)
		goto fail;
	e->steps = calloc(2 * (size_t)e->plan->nstages + 1, sizeof(*e->steps));
	if (!e->steps) {
		rc = bnn__fail(err, BNN_E_NOMEM, "out of memory");
		goto fail;
	}
	e->coutsz = 64;
	for (uint32_t i = 0; i <= e->plan->nstages; i++) {
		const struct bnn__card_stage *st =
			i < e->plan->nstages ? &e->plan->stages[i] : NULL;
		uint32_t end = st ? st->first : m->nlayers;
		struct step *sp;

		if (b < end) {
			sp = &e->steps[e->nsteps++];
			sp->first = b;
			sp->last = end;
		}
		if (!st)
			break;
		sp = &e->steps[e->nsteps++];
		sp->card = 1;
		sp->first = st->first;
		sp->last = st->last;
		sp->scores = m->layers[st->last - 1].scores != 0;
		rc = bnn__stage_image(st, &sp->img, &sp->prog_len, err);
		if (!rc)
			rc = check_sizes(e, sp, st, err);
		if (rc)
			goto fail;
		if (sp->out_bytes > e->coutsz)
			e->coutsz = (sp->out_bytes + 63) & ~(size_t)63;
		b = st->last;
	}
	/* ping-pong buffers: every boundary between steps */
	e->bufsz = 64;
	for (uint32_t i = 0; i < e->nsteps; i++) {
		size_t bytes;

		bnn__hnet_io(e->h, e->steps[i].last, NULL, NULL, NULL, &bytes);
		if (bytes > e->bufsz)
			e->bufsz = bytes;
	}
	e->bufsz = (e->bufsz + 63) & ~(size_t)63;
	e->chunk = CHUNK_BYTES / e->bufsz;
	if (e->chunk > CHUNK_ITEMS)
		e->chunk = CHUNK_ITEMS;
	if (e->chunk < 1)
		e->chunk = 1;
	e->in_floats = bnn__item_floats(m);
	e->ncls = m->nclasses;

	/* weights once per prepare, then the virtual age */
	for (uint32_t i = 0; i < e->plan->nstages; i++)
		program_stage(e, &e->plan->stages[i]);
	rc = age_array(e, err);
	if (rc)
		goto fail;

	/*
	 * Workers read from exact copies of the card's array; with
	 * transient sense errors every item has its own error stream, so the
	 * outputs do not depend on which worker reads which item.
	 */
	e->reseed = e->p.error_model && e->p.read_ber > 0;
	e->nworkers = e->threads;
	if (e->nworkers > 1) {
		state_len = rbnn_array_state_size(e->a);
		state = malloc(state_len);
		if (!state) {
			rc = bnn__fail(err, BNN_E_NOMEM, "out of memory");
			goto fail;
		}
		rbnn_array_save(e->a, state);
	}
	e->w = calloc(e->nworkers, sizeof(*e->w));
	if (!e->w) {
		rc = bnn__fail(err, BNN_E_NOMEM, "out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < e->nworkers; i++) {
		rc = worker_new(e, i, state, state_len, err);
		if (rc)
			goto fail;
	}
	free(state);
	state = NULL;
	/* Worker threads; with fewer (no thread could start), the others
	 * claim their items. */
	e->gen = 0;
	for (uint32_t i = 1; i < e->nworkers; i++) {
		if (pthread_create(&e->tid[i], NULL, worker_main, &e->w[i]))
			break;
		e->nthreads = i;
	}
	return BNN_OK;
fail:
	free(state);
	drop_model(e);
	return rc;
}

/* The transient-error stream of item @k (since the prepare) in card step
 * @step: a splitmix64 mix of the seed and both (rbnn_rng_seed mixes it
 * again). */
static uint64_t item_seed(uint64_t seed, uint64_t k, uint32_t step)
{
	uint64_t z = seed ^ 0x243f6a8885a308d3ull;

	z += (k + 1) * 0x9e3779b97f4a7c15ull;
	z ^= (uint64_t)step << 48;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Items [i0, i0 + cnt) of the run through card step k. */
static void run_card(struct worker *w, uint32_t k, size_t i0,
		     const uint8_t *in, size_t cnt, uint8_t *out)
{
	struct emu *e = w->e;
	struct step *sp = &e->steps[k];
	struct rbnn_prog *pr = w->progs[k];
	size_t ob = sp->scores ? 4 * sp->out_elems : sp->out_bytes;

	for (size_t i = 0; i < cnt; i++) {
		const uint8_t *x = in + i * sp->in_bytes;
		uint8_t *y = out + i * ob;
		struct rbnn_cost c, *cp = NULL;

		/* The cost does not depend on the item: take item 0's. */
		if (i0 + i == 0) {
			memset(&c, 0, sizeof(c));
			cp = &c;
		}
		if (e->reseed)
			rbnn_array_reseed(w->a, item_seed(e->p.seed,
							  e->base + i0 + i, k));
		if (!sp->scores) {
			rbnn_prog_run(w->a, pr, x, y, cp);
		} else {
			float *f = (float *)(void *)y;

			rbnn_prog_run(w->a, pr, x, w->cout, cp);
			for (size_t j = 0; j < sp->out_elems; j++) {
				uint32_t v;

				memcpy(&v, w->cout + 4 * j, 4);
				f[j] = (float)(int32_t)le32toh(v);
			}
		}
		if (cp)
			sp->c_item = c;
	}
}

/* Items [i0, i0 + cnt) of the run through every step. */
static void run_slice(struct worker *w, size_t i0, size_t cnt)
{
	struct emu *e = w->e;
	const float *user = e->in + i0 * e->in_floats;
	const uint8_t *src = (const uint8_t *)user;
	int cur = 0;

	for (uint32_t k = 0; k < e->nsteps; k++) {
		struct step *sp = &e->steps[k];
		uint8_t *dst = k + 1 == e->nsteps ?
			       (uint8_t *)(e->out + i0 * e->ncls) : w->buf[cur];

		if (sp->card)
			run_card(w, k, i0, src, cnt, dst);
		else
			bnn__hnet_run(e->h, w->s, sp->first, sp->last, src, cnt,
				      dst, user);
		src = dst;
		cur ^= 1;
	}
}

/* Claim slices of the current run until none is left. */
static void work(struct worker *w)
{
	struct emu *e = w->e;

	for (;;) {
		size_t i0 = __atomic_fetch_add(&e->next, e->slice,
					       __ATOMIC_RELAXED);

		if (i0 >= e->n)
			return;
		run_slice(w, i0, e->n - i0 < e->slice ? e->n - i0 : e->slice);
	}
}

/* A worker thread: one work() per run, until stop_threads(). */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct emu *e = w->e;
	uint64_t seen = 0;	/* threads start at prepare, gen 0 */

	pthread_mutex_lock(&e->mu);
	for (;;) {
		while (!e->quit && e->gen == seen)
			pthread_cond_wait(&e->go, &e->mu);
		if (e->quit)
			break;
		seen = e->gen;
		pthread_mutex_unlock(&e->mu);
		work(w);
		pthread_mutex_lock(&e->mu);
		if (!--e->busy)
			pthread_cond_signal(&e->done);
	}
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

/*
 * The card's report for n items of every card step: EXEC commands of at
 * most max_batch items, each n_i times the (data-independent) array cost
 * of one item plus its overhead and DMA, rounded per command.
 */
static void exec_stats(struct emu *e, size_t n, bnn_stats *st)
{
	for (uint32_t k = 0; k < e->nsteps; k++) {
		const struct step *sp = &e->steps[k];

		if (!sp->card)
			continue;
		for (size_t left = n; left;) {
			size_t b = left < e->p.max_batch ? left : e->p.max_batch;
			struct rbnn_cost c = sp->c_item;

			c.energy_fj *= (double)b;
			c.time_ns *= (double)b;
			add_cmd(&e->p, &c, sp->prog_len + b * (sp->in_bytes +
							       sp->out_bytes),
				&st->device_ns, &st->device_energy_pj);
			st->device_cmds++;
			left -= b;
		}
	}
}

static int emu_run(struct bnn_backend *be, const float *in, size_t n,
		   float *scores, bnn_stats *st, bnn_error *err)
{
	struct emu *e = be->priv;
	size_t slice = e->chunk;

	(void)err;
	/* Several claims per worker, so that the fast ones take more. */
	if (e->nthreads) {
		size_t per = n / ((size_t)(e->nthreads + 1) * SLICES_PER_WORKER);

		slice = per < MIN_SLICE ? MIN_SLICE : per;
		if (slice > e->chunk)
			slice = e->chunk;
	}
	e->in = in;
	e->out = scores;
	e->n = n;
	e->slice = slice;
	e->base = e->items;
	e->next = 0;
	if (e->nthreads && n > slice) {
		/* The mutex publishes the run to the threads. */
		pthread_mutex_lock(&e->mu);
		e->busy = e->nthreads;
		e->gen++;
		pthread_cond_broadcast(&e->go);
		pthread_mutex_unlock(&e->mu);
		work(&e->w[0]);
		pthread_mutex_lock(&e->mu);
		while (e->busy)
			pthread_cond_wait(&e->done, &e->mu);
		pthread_mutex_unlock(&e->mu);
	} else {
		work(&e->w[0]);
	}
	e->items += n;
	/* Which items worker 0 read last depends on the timing: leave the
	 * card's generator in a state that does not. */
	if (e->reseed)
		rbnn_array_reseed(e->a, item_seed(e->p.seed, e->items,
						  UINT32_MAX));
	exec_stats(e, n, st);
	return BNN_OK;
}

int bnn__emu_prog_stats(const struct bnn_backend *be,
			struct bnn__emu_prog_stats *out)
{
	const struct emu *e;

	if (!be || !out || be->ops != &bnn__backend_emu_ops || !be->priv)
		return BNN_E_INVAL;
	e = be->priv;
	*out = e->prog;
	return BNN_OK;
}

/* bnn_prepare_info_get(): the plan for the emulated card. */
static int emu_prepare_info(const struct bnn_backend *be,
			    bnn_prepare_info *out, bnn_error *err)
{
	const struct emu *e = be->priv;
	const struct bnn__plan *p = e ? e->plan : NULL;
	uint32_t nl = 0;

	if (!p)
		return bnn__fail(err, BNN_E_STATE,
				 "emu: no plan (call bnn_prepare first)");
	for (uint32_t i = 0; i < p->nstages; i++)
		nl += p->stages[i].last - p->stages[i].first;
	out->cards = 1;
	out->card_stages = p->nstages;
	out->card_layers = nl;
	out->host_layers = out->host_layers > nl ? out->host_layers - nl : 0;
	out->host_binary_layers = p->host_binary;
	out->tiles_used = p->tiles_used;
	out->tiles_total = e->p.tiles;
	out->card_bits = p->card_bits;
	out->host_bits = p->host_bits;
	out->prog_rows = e->prog.rows;
	out->prog_cmds = e->prog.cmds;
	out->prog_pulses = e->prog.pulses;
	out->prog_unverified = e->prog.unverified;
	out->prog_time_ns = e->prog.device_ns;
	out->prog_energy_pj = e->prog.device_energy_pj;
	out->scrubs = e->prog.scrubs;
	out->scrub_rows_rewritten = e->prog.scrub_rewritten;
	snprintf(out->note, sizeof(out->note), "%s", p->note);
	return BNN_OK;
}

const struct bnn_backend_ops bnn__backend_emu_ops = {
	.kind = BNN_BACKEND_EMU,
	.name = "emu",
	.open = emu_open,
	.close = emu_close,
	.prepare = emu_prepare,
	.run = emu_run,
	.prepare_info = emu_prepare_info,
};
