// SPDX-License-Identifier: GPL-2.0-or-later OR MIT
/*
 * backend_rbnn.c - libbnn: the `rbnn` backend: RBNN cards through the
 * rbnn DRM accel driver (Documentation/rbnn-uapi.rst).
 *
 * open:    the cards of opts.device (device.h: NULL, "" or "all" = every
 *          card found, else a comma-separated list of nodes, accel names,
 *          PCI addresses or indices), each opened (one driver context per
 *          card), checked to be rbnn, its geometry queried, and one
 *          timeline syncobj created on it.
 * prepare: per card: bnn__compile() for the card's geometry with as many
 *          tiles as are free, TILE_ALLOC of the tiles the plan uses (plan
 *          tile i -> the i-th tile allocated), the rows of every stage
 *          programmed with PROGRAM (runs of consecutive rows, weights and
 *          thresholds from two buffer objects that are released once the
 *          programming jobs have finished; program-and-verify when
 *          opts.verify, the card's default current and pulse), and each
 *          stage turned into DRM_IOCTL_RBNN_EXEC layers and segments.
 *          Weights are programmed once; every later run reuses them.
 * scrub:   with opts.scrub, before a job, per card: when the card's
 *          age_s (QUERY COUNTERS) has moved by the policy's interval
 *          (policy.h) since programming or the last scrub, every plan
 *          row is read back, and programmed again or refreshed
 *          (scrub_card()).
 * runs:    a batch of n items is split into one shard per card (contiguous
 *          items; each card holds the same model).  A shard walks the
 *          plan's steps: host ranges on the host executor (exec.h)
 *          straight into / out of a buffer object of the shard, card
 *          stages as EXECs of at most CHUNK items over that buffer object,
 *          each signalling the next point of the card's timeline syncobj.
 *          bnn_submit() does the host work up to the first card stage and
 *          submits it on every card, then returns; bnn_wait() waits for
 *          the timeline points (drmSyncobjTimelineWait), reads each job's
 *          result with JOB_INFO (status, modeled device time and energy),
 *          runs the remaining steps and converts the scores.  Jobs
 *          submitted back to back therefore overlap the host work of one
 *          with the card work of others, and the cards of a shard run
 *          concurrently.  I/O buffer objects are cached per card.
 *
 * Statistics: device_ns and device_energy_pj are the sums of the EXEC
 * jobs' JOB_INFO time_ns and energy_pj over every card (device time, not
 * wall time); device_cmds counts EXEC jobs.  Programming is reported
 * apart (bnn__rbnn_prog_stats).
 *
 * Errors: a job the card lost in a reset it did not cause (status
 * -ECANCELED while this context is not banned) is submitted once more;
 * a job that hung (-ETIMEDOUT) bans the context in the driver, after
 * which every call fails with BNN_E_DEVICE "... banned ...: close and
 * reopen".  An unplugged card gives BNN_E_NODEV.
 *
 * Threads: a context is used by one thread at a time (bnn.h); host ranges
 * run on the calling thread, split over opts.threads workers when set.
 */
#define _GNU_SOURCE
#include "backend.h"
#include "compile.h"
#include "device.h"
#include "model.h"
#include "policy.h"

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>

#include "rbnn_accel.h"

#define CHUNK_MAX 4096u		/* items per EXEC (bounded latency) */
#define UNREAPED_MAX 1024u	/* EXEC results not yet read, per card */
#define PROG_BATCH 512u		/* PROGRAM jobs between waits */
#define BO_CACHE 8u		/* idle I/O buffer objects kept per card */
#define BO_MAX ((uint64_t)1 << 31)	/* I/O buffers of one shard (the
					 * driver allows 4 GiB per BO) */
#define MAX_CARDS 64u
/* Jobs in flight: the API's pending ones, and a synchronous bnn_run. */
#define NJOBS (BNN_MAX_JOBS + 1)

/* ---- buffer objects ------------------------------------------------------- */

struct bo {
	uint32_t handle;
	size_t size;
	uint8_t *map;
	struct bo *next;	/* in a card's cache */
};

static int bo_new(int fd, size_t size, struct bo **out)
{
	struct drm_rbnn_bo_create c;
	struct drm_rbnn_bo_info i;
	struct drm_gem_close gc;
	struct bo *b;
	void *p;
	int e;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.size = size ? size : 1;
	if (drmIoctl(fd, DRM_IOCTL_RBNN_BO_CREATE, &c))
		return -errno;
	memset(&i, 0, sizeof(i));
	i.handle = c.handle;
	if (drmIoctl(fd, DRM_IOCTL_RBNN_BO_INFO, &i)) {
		e = -errno;
		goto close;
	}
	p = mmap(NULL, i.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)i.mmap_offset);
	if (p == MAP_FAILED) {
		e = -errno;
		goto close;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		munmap(p, i.size);
		e = -ENOMEM;
		goto close;
	}
	b->handle = c.handle;
	b->size = i.size;
	b->map = p;
	*out = b;
	return 0;
close:
	memset(&gc, 0, sizeof(gc));
	gc.handle = c.handle;
	drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
	return e;
}

static void bo_free(int fd, struct bo *b)
{
	struct drm_gem_close gc;

	if (!b)
		return;
	munmap(b->map, b->size);
	memset(&gc, 0, sizeof(gc));
	gc.handle = b->handle;
	drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
	free(b);
}

/* ---- per-card state ---------------------------------------------------------- */

/* A step of a card's plan: a host range or a card stage. */
struct step {
	uint32_t first, last;	/* model layers [first, last) */
	int card;
	/* card stages */
	struct drm_rbnn_layer *layers;
	struct drm_rbnn_segment *segs;
	uint32_t nlayers, nsegs;
	uint32_t in_c, in_l, in_bits;
	size_t in_bytes, out_bytes;	/* card item sizes */
	int scores;		/* output: int32 sums (float for the model) */
	size_t out_elems;
	int in_from_prev;	/* input = the previous card step's output */
};

struct card {
	bnn_card info;
	int fd;
	uint32_t syncobj;	/* timeline */
	uint64_t point;		/* last point submitted */
	uint64_t unreaped;	/* EXEC results not yet read */
	int banned;		/* one of our jobs hung */
	/* prepared model */
	uint32_t *tiles;
	uint32_t ntiles;
	struct bnn__plan *plan;
	struct step *steps;
	uint32_t nsteps;
	uint32_t chunk;		/* items per EXEC */
	double scrub_age_s;	/* card age at the last programming or scrub */
	struct bo *cache;
	uint32_t ncache;
};

/* One EXEC of a shard. */
struct chunk {
	uint64_t seqno;
	uint64_t point;
	uint32_t step;
	uint32_t count;
	uint64_t in_off, out_off;	/* in the shard's BO */
	int reaped;		/* JOB_INFO read */
	int retried;
	int32_t status;
	uint64_t time_ns, energy_pj;
};

/* The items of a job one card runs. */
struct shard {
	struct card *c;
	size_t item0, n;
	struct bo *bo;
	uint64_t *in_off, *out_off;	/* per step (card steps) */
	uint32_t next;		/* next step to do */
	int waiting;		/* step `next` (a card step) is submitted */
	struct chunk *ch;
	uint32_t nch, cap;
	int done;
};

struct rjob {
	uint64_t tok;		/* 0 = free slot */
	const float *in;
	float *scores;
	size_t n;
	struct shard *sh;	/* one per card (allocated at open) */
	uint32_t nsh;
	int rc;
	bnn_error err;
	bnn_stats st;
};

struct rbnn {
	struct card *cards;
	uint32_t ncards;
	int verify;
	int scrub;		/* the scrub policy (policy.h) */
	double temperature_c;	/* its temperature */
	/* prepared model (shared by the cards) */
	struct bnn__hnet *h;
	uint32_t nthreads;	/* host workers (opts.threads) */
	struct bnn__hscratch **s;	/* one scratch per worker */
	uint32_t nl;
	size_t in_floats, ncls;	/* in: floats per user item (features
				 * included) */
	int prepared;
	/* jobs */
	uint64_t next_tok;
	struct rjob jobs[NJOBS];
	float *conv;		/* SCORES conversion buffer */
	size_t conv_cap;
	struct bnn__rbnn_prog_stats prog;
};

static uint64_t now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Absolute CLOCK_MONOTONIC deadline of a bnn_wait timeout. */
static int64_t deadline_of(int timeout_ms)
{
	if (timeout_ms < 0)
		return INT64_MAX;
	return (int64_t)(now_mono_ns() + (uint64_t)timeout_ms * 1000000ull);
}

static uint64_t align64(uint64_t v)
{
	return (v + 63) & ~63ull;
}

/* ---- BO cache ------------------------------------------------------------------ */

static int bo_get(struct card *c, size_t size, struct bo **out)
{
	struct bo **pp, **best = NULL;
	size_t sz;

	for (pp = &c->cache; *pp; pp = &(*pp)->next)
		if ((*pp)->size >= size && (!best || (*pp)->size < (*best)->size))
			best = pp;
	if (best) {
		*out = *best;
		*best = (*best)->next;
		(*out)->next = NULL;
		c->ncache--;
		return 0;
	}
	/* Round up so that similar batches reuse the object. */
	sz = 65536;
	while (sz < size && sz < BO_MAX)
		sz *= 2;
	if (sz < size)
		sz = size;
	return bo_new(c->fd, sz, out);
}

static void bo_put(struct card *c, struct bo *b)
{
	if (!b)
		return;
	if (c->ncache >= BO_CACHE) {
		/* drop the smallest cached object if this one is larger */
		struct bo **pp, **small = &c->cache;

		for (pp = &c->cache; *pp; pp = &(*pp)->next)
			if ((*pp)->size < (*small)->size)
				small = pp;
		if ((*small)->size >= b->size) {
			bo_free(c->fd, b);
			return;
		}
		{
			struct bo *s = *small;

			*small = s->next;
			bo_free(c->fd, s);
			c->ncache--;
		}
	}
	b->next = c->cache;
	c->cache = b;
	c->ncache++;
}

static void cache_drop(struct card *c)
{
	while (c->cache) {
		struct bo *b = c->cache;

		c->cache = b->next;
		bo_free(c->fd, b);
	}
	c->ncache = 0;
}

/* ---- error helpers ---------------------------------------------------------------- */

static int card_errno(struct card *c, bnn_error *err, int e, const char *what)
{
	if (e < 0)
		e = -e;
	if (e == ECANCELED)
		c->banned = 1;
	return bnn__rbnn_errno(err, e, c->info.node, what);
}

/* The status of a finished job as a bnn error. */
static int job_status_fail(struct card *c, bnn_error *err, int32_t status,
			   uint32_t hw_status, uint32_t hw_detail,
			   const char *what)
{
	int e = -status;

	switch (e) {
	case ETIMEDOUT:
		c->banned = 1;
		return bnn__fail(err, BNN_E_DEVICE,
				 "%s: %s hung the card, which was reset; the driver banned this context: close the backend and open it again",
				 c->info.node, what);
	case ECANCELED:
		if (c->banned)
			return bnn__fail(err, BNN_E_DEVICE,
					 "%s: %s was not run: this context is banned after a hang; close the backend and open it again",
					 c->info.node, what);
		return bnn__fail(err, BNN_E_DEVICE,
				 "%s: %s was lost twice in card resets (another process hung the card, or a forced reset)",
				 c->info.node, what);
	case ENODEV:
		return bnn__fail(err, BNN_E_NODEV, "%s: %s: the card was removed",
				 c->info.node, what);
	case EIO:
		return bnn__fail(err, BNN_E_DEVICE,
				 "%s: %s: the card failed the command (status %u, detail %u)",
				 c->info.node, what, hw_status, hw_detail);
	case ESRCH:
		return bnn__fail(err, BNN_E_DEVICE,
				 "%s: %s was killed (its file was closed)",
				 c->info.node, what);
	default:
		return bnn__fail(err, BNN_E_DEVICE, "%s: %s failed: %s",
				 c->info.node, what, strerror(e));
	}
}

/* JOB_INFO with an absolute deadline (0 polls).  Returns 0 (done), 1
 * (pending at the deadline) or -errno.  Driver 1.0 answered a passed
 * deadline with 0 and state PENDING, 1.1 with -ETIMEDOUT: both are pending. */
static int job_info(struct card *c, uint64_t seqno, int64_t deadline,
		    struct drm_rbnn_job_info *ji)
{
	memset(ji, 0, sizeof(*ji));
	ji->seqno = seqno;
	ji->timeout_ns = deadline;
	if (drmIoctl(c->fd, DRM_IOCTL_RBNN_JOB_INFO, ji))
		return errno == ETIMEDOUT ? 1 : -errno;
	return ji->state == DRM_RBNN_JOB_DONE ? 0 : 1;
}

/* Wait until the timeline point has signalled (or the deadline). */
static int wait_point(struct card *c, uint64_t point, int64_t deadline)
{
	uint64_t pt = point;
	uint32_t h = c->syncobj;
	int rc;

	if (!point)
		return 0;
	rc = drmSyncobjTimelineWait(c->fd, &h, &pt, 1, deadline,
				    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
				    NULL);
	if (rc == -ETIME || rc == -ETIMEDOUT)
		return 1;
	return rc;
}

/* ---- cards: open and close --------------------------------------------------------- */

static void card_drop_model(struct card *c)
{
	struct drm_rbnn_tile_free tf;

	for (uint32_t i = 0; i < c->nsteps; i++) {
		free(c->steps[i].layers);
		free(c->steps[i].segs);
	}
	free(c->steps);
	c->steps = NULL;
	c->nsteps = 0;
	bnn__plan_free(c->plan);
	c->plan = NULL;
	for (uint32_t i = 0; i < c->ntiles; i++) {
		memset(&tf, 0, sizeof(tf));
		tf.tile = c->tiles[i];
		drmIoctl(c->fd, DRM_IOCTL_RBNN_TILE_FREE, &tf);
	}
	free(c->tiles);
	c->tiles = NULL;
	c->ntiles = 0;
	cache_drop(c);
}

static void card_close(struct card *c)
{
	if (c->fd < 0)
		return;
	card_drop_model(c);
	if (c->syncobj)
		drmSyncobjDestroy(c->fd, c->syncobj);
	close(c->fd);
	c->fd = -1;
}

static int card_open(struct card *c, bnn_error *err)
{
	int rc;

	rc = bnn__card_open(&c->info, &c->fd, err);
	if (rc)
		return rc;
	rc = bnn__card_fill_query(c->fd, &c->info);
	if (rc)
		return card_errno(c, err, rc, "QUERY DEVICE");
	if (!c->info.tiles || !c->info.rows || !c->info.cols ||
	    c->info.cols % 64 || c->info.row_bytes != c->info.cols / 8 ||
	    !c->info.max_batch || !c->info.max_layers)
		return bnn__fail(err, BNN_E_DEVICE,
				 "%s: implausible geometry %u tiles x %u rows x %u columns (row %u bytes), batch %u, layers %u",
				 c->info.node, c->info.tiles, c->info.rows,
				 c->info.cols, c->info.row_bytes,
				 c->info.max_batch, c->info.max_layers);
	rc = drmSyncobjCreate(c->fd, 0, &c->syncobj);
	if (rc)
		return card_errno(c, err, rc, "creating a syncobj");
	c->point = 0;
	return BNN_OK;
}

static int rbnn_open(struct bnn_backend *be, const bnn_backend_opts *o,
		     bnn_error *err)
{
	struct rbnn *r;
	bnn_card *cards = NULL;
	size_t n = 0, k;
	int rc;

	rc = bnn__card_select(o->device, &cards, &n, err);
	if (rc)
		return rc;
	if (n > MAX_CARDS)
		n = MAX_CARDS;
	r = calloc(1, sizeof(*r));
	if (r)
		r->cards = calloc(n, sizeof(*r->cards));
	if (!r || !r->cards) {
		free(r);
		free(cards);
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		r->cards[i].info = cards[i];
		r->cards[i].fd = -1;
	}
	r->ncards = (uint32_t)n;
	free(cards);
	for (uint32_t i = 0; i < r->ncards; i++) {
		rc = card_open(&r->cards[i], err);
		if (rc) {
			for (uint32_t j = 0; j <= i; j++)
				card_close(&r->cards[j]);
			free(r->cards);
			free(r);
			return rc;
		}
	}
	for (uint32_t j = 0; j < NJOBS; j++) {
		r->jobs[j].sh = calloc(r->ncards, sizeof(*r->jobs[j].sh));
		if (!r->jobs[j].sh) {
			for (uint32_t i = 0; i < r->ncards; i++)
				card_close(&r->cards[i]);
			for (uint32_t i = 0; i <= j; i++)
				free(r->jobs[i].sh);
			free(r->cards);
			free(r);
			return bnn__fail(err, BNN_E_NOMEM, "out of memory");
		}
	}
	r->verify = o->verify != 0;
	r->scrub = o->scrub != 0;
	r->temperature_c = o->temperature_c;
	r->nthreads = o->threads > 1 ? (o->threads < 64 ? o->threads : 64) : 1;
	r->next_tok = 1;
	be->priv = r;
	be->cards = r->ncards;
	k = 0;
	for (uint32_t i = 0; i < r->ncards && k < sizeof(be->detail); i++) {
		int w = snprintf(be->detail + k, sizeof(be->detail) - k, "%s%s",
				 i ? "," : "", r->cards[i].info.node);

		if (w < 0)
			break;
		k += (size_t)w;
	}
	if (k < sizeof(be->detail))
		snprintf(be->detail + k, sizeof(be->detail) - k,
			 " (%u card%s, %u tiles x %u x %u, %s); host: %s",
			 r->ncards, r->ncards > 1 ? "s" : "",
			 r->cards[0].info.tiles, r->cards[0].info.rows,
			 r->cards[0].info.cols,
			 bnn_cell_mode_name(r->cards[0].info.cell_mode),
			 be->kernels->name);
	return BNN_OK;
}

static void drop_model(struct rbnn *r)
{
	for (uint32_t i = 0; i < r->ncards; i++)
		card_drop_model(&r->cards[i]);
	if (r->s)
		for (uint32_t i = 0; i < r->nthreads; i++)
			bnn__hscratch_free(r->s[i]);
	free(r->s);
	r->s = NULL;
	bnn__hnet_free(r->h);
	r->h = NULL;
	free(r->conv);
	r->conv = NULL;
	r->conv_cap = 0;
	r->prepared = 0;
}

static void rbnn_close(struct bnn_backend *be)
{
	struct rbnn *r = be->priv;

	if (!r)
		return;
	drop_model(r);
	for (uint32_t i = 0; i < r->ncards; i++)
		card_close(&r->cards[i]);
	for (uint32_t j = 0; j < NJOBS; j++)
		free(r->jobs[j].sh);
	free(r->cards);
	free(r);
	be->priv = NULL;
}

/* ---- prepare ------------------------------------------------------------------------- */

/* Free tiles seen by this context. */
static int free_tiles(struct card *c, uint32_t *nfree, bnn_error *err)
{
	struct drm_rbnn_query q;
	struct drm_rbnn_query_tiles *hdr;
	uint8_t *buf;
	uint32_t size;
	int rc;

	memset(&q, 0, sizeof(q));
	q.type = DRM_RBNN_QUERY_TILES;
	if (drmIoctl(c->fd, DRM_IOCTL_RBNN_QUERY, &q))
		return card_errno(c, err, errno, "QUERY TILES");
	size = q.size;
	if (size < sizeof(*hdr) || size > (64u << 20))
		return bnn__fail(err, BNN_E_DEVICE,
				 "%s: QUERY TILES answer of %u bytes", c->info.node,
				 size);
	buf = malloc(size);
	if (!buf)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	rc = bnn__rbnn_query(c->fd, DRM_RBNN_QUERY_TILES, buf, size, &size);
	if (rc) {
		free(buf);
		return card_errno(c, err, rc, "QUERY TILES");
	}
	hdr = (void *)buf;
	if (hdr->stride < sizeof(uint32_t) ||
	    size < sizeof(*hdr) + (uint64_t)hdr->count * hdr->stride) {
		free(buf);
		return bnn__fail(err, BNN_E_DEVICE, "%s: malformed QUERY TILES",
				 c->info.node);
	}
	*nfree = 0;
	for (uint32_t i = 0; i < hdr->count; i++) {
		const struct drm_rbnn_tile_info *t =
			(const void *)(buf + sizeof(*hdr) + (size_t)i * hdr->stride);

		if (t->state == DRM_RBNN_TILE_STATE_FREE)
			(*nfree)++;
	}
	free(buf);
	return BNN_OK;
}

/* One finished programming or scrub job: its status (desc names it in
 * the error), and its time and energy in the programming statistics. */
static int prog_job_done(struct rbnn *r, struct card *c, uint64_t seq,
			 const char *desc, struct drm_rbnn_job_info *ji,
			 bnn_error *err)
{
	int rc = job_info(c, seq, INT64_MAX, ji);

	if (rc < 0)
		return card_errno(c, err, rc, "JOB_INFO");
	if (ji->status)
		return job_status_fail(c, err, ji->status, ji->hw_status,
				       ji->hw_detail, desc);
	r->prog.device_ns += ji->time_ns;
	r->prog.device_energy_pj += (double)ji->energy_pj;
	return BNN_OK;
}

/* Collect PROGRAM jobs [0, n) of seq: wait, check every status. */
static int program_collect(struct rbnn *r, struct card *c,
			   const uint64_t *seq, const uint32_t (*what)[3],
			   uint32_t n, uint64_t point, bnn_error *err)
{
	struct drm_rbnn_job_info ji;
	char desc[96];
	int rc;

	rc = wait_point(c, point, INT64_MAX);
	if (rc < 0)
		return card_errno(c, err, rc, "waiting for PROGRAM");
	for (uint32_t i = 0; i < n; i++) {
		snprintf(desc, sizeof(desc), "PROGRAM of tile %u rows %u..%u",
			 what[i][0], what[i][1], what[i][1] + what[i][2] - 1);
		rc = prog_job_done(r, c, seq[i], desc, &ji, err);
		if (rc)
			return rc;
		if (ji.hw_status == 5)	/* VERIFY: detail = unverified */
			r->prog.unverified += ji.hw_detail;
		else
			r->prog.pulses += ji.hw_detail;
	}
	return BNN_OK;
}

/* Program every row of the plan: runs of consecutive rows of one tile
 * (and the same threshold presence). */
static int program_plan(struct rbnn *r, struct card *c, bnn_error *err)
{
	const struct bnn__plan *p = c->plan;
	uint32_t rb = c->info.row_bytes, words = c->info.cols / 64;
	uint64_t total = 0, idx = 0;
	struct bo *wbo = NULL, *tbo = NULL;
	uint64_t seq[PROG_BATCH];
	uint32_t what[PROG_BATCH][3], nb = 0;
	int rc = BNN_OK;

	for (uint32_t s = 0; s < p->nstages; s++)
		total += p->stages[s].nrows;
	if (!total)
		return BNN_OK;
	rc = bo_new(c->fd, total * rb, &wbo);
	if (!rc)
		rc = bo_new(c->fd, total * 4, &tbo);
	if (rc) {
		rc = card_errno(c, err, rc, "buffer objects for the weights");
		goto out;
	}
	/* Row i of the plan (in stage order) at i * row_bytes / i * 4. */
	for (uint32_t s = 0; s < p->nstages; s++)
		for (uint32_t i = 0; i < p->stages[s].nrows; i++, idx++) {
			const struct bnn__card_row *row = &p->stages[s].rows[i];
			uint8_t *w = wbo->map + idx * rb;
			uint32_t t = htole32((uint32_t)row->thr);

			for (uint32_t k = 0; k < words; k++) {
				uint64_t v = htole64(row->bits[k]);

				memcpy(w + 8 * k, &v, 8);
			}
			memcpy(tbo->map + idx * 4, &t, 4);
		}
	idx = 0;
	for (uint32_t s = 0; s < p->nstages; s++) {
		const struct bnn__card_stage *st = &p->stages[s];

		for (uint32_t i = 0; i < st->nrows;) {
			const struct bnn__card_row *r0 = &st->rows[i];
			struct drm_rbnn_program a;
			uint32_t n = 1;

			while (i + n < st->nrows && n < c->info.rows &&
			       st->rows[i + n].tile == r0->tile &&
			       st->rows[i + n].row == r0->row + n &&
			       st->rows[i + n].has_thr == r0->has_thr)
				n++;
			if (r0->tile >= c->ntiles || r0->row + n > c->info.rows) {
				rc = bnn__fail(err, BNN_E_DEVICE,
					       "%s: plan row %u of tile %u outside the %u tiles allocated",
					       c->info.node, r0->row, r0->tile,
					       c->ntiles);
				goto out;
			}
			memset(&a, 0, sizeof(a));
			a.tile = c->tiles[r0->tile];
			a.row = r0->row;
			a.nrows = n;
			a.flags = r->verify ? DRM_RBNN_PROGRAM_VERIFY : 0;
			a.weights_handle = wbo->handle;
			a.weights_offset = (idx + i) * rb;
			if (r0->has_thr) {
				a.thresh_handle = tbo->handle;
				a.thresh_offset = (idx + i) * 4;
			}
			a.syncs.out.handle = c->syncobj;
			a.syncs.out.point = c->point + 1;
			if (drmIoctl(c->fd, DRM_IOCTL_RBNN_PROGRAM, &a)) {
				rc = card_errno(c, err, errno, "PROGRAM");
				/* collect what was submitted before failing */
				program_collect(r, c, seq, what, nb, c->point,
						NULL);
				goto out;
			}
			c->point++;
			seq[nb] = a.seqno;
			what[nb][0] = a.tile;
			what[nb][1] = a.row;
			what[nb][2] = n;
			nb++;
			r->prog.rows += n;
			r->prog.cmds++;
			if (nb == PROG_BATCH) {
				rc = program_collect(r, c, seq, what, nb,
						     c->point, err);
				nb = 0;
				if (rc)
					goto out;
			}
			i += n;
		}
		idx += st->nrows;
	}
	rc = program_collect(r, c, seq, what, nb, c->point, err);
out:
	/* the jobs hold their own references: the BOs can go now */
	bo_free(c->fd, wbo);
	bo_free(c->fd, tbo);
	return rc;
}

/* The card's array age (QUERY COUNTERS age_s), seconds. */
static int card_age(struct card *c, double *age_s, bnn_error *err)
{
	struct drm_rbnn_query_counters q;
	uint32_t got = 0;
	int rc;

	rc = bnn__rbnn_query(c->fd, DRM_RBNN_QUERY_COUNTERS, &q, sizeof(q),
			     &got);
	if (rc)
		return card_errno(c, err, rc, "QUERY COUNTERS");
	if (got < offsetof(struct drm_rbnn_query_counters, age_s) + 8)
		return bnn__fail(err, BNN_E_UNSUPPORTED,
				 "scrub policy: %s: the driver reports no array age",
				 c->info.node);
	*age_s = (double)q.age_s;
	return BNN_OK;
}

/* Collect the scrub's jobs [0, n) (READBACK or PROGRAM of one row). */
static int scrub_collect(struct rbnn *r, struct card *c, const uint64_t *seq,
			 const uint32_t (*what)[2], uint32_t n, const char *op,
			 bnn_error *err)
{
	struct drm_rbnn_job_info ji;
	char desc[96];
	int rc;

	rc = wait_point(c, c->point, INT64_MAX);
	if (rc < 0)
		return card_errno(c, err, rc, "waiting for the scrub");
	for (uint32_t i = 0; i < n; i++) {
		snprintf(desc, sizeof(desc), "scrub policy: %s of tile %u row %u",
			 op, what[i][0], what[i][1]);
		rc = prog_job_done(r, c, seq[i], desc, &ji, err);
		if (rc)
			return rc;
	}
	return BNN_OK;
}

/*
 * The read-verify scrub of the policy (policy.h) on a card: every row of
 * the plan read back (READBACK) and compared with the bits libbnn
 * programmed (bnn__scrub_row()); rows that read wrong programmed again
 * (PROGRAM, with their thresholds), the others refreshed (READBACK with
 * DRM_RBNN_READBACK_SCRUB).  One job per row, at most PROG_BATCH between
 * waits.
 */
static int scrub_card(struct rbnn *r, struct card *c, bnn_error *err)
{
	const struct bnn__plan *p = c->plan;
	uint32_t rb = c->info.row_bytes, words = c->info.cols / 64;
	uint64_t total = 0, idx, *bits = NULL;
	struct bo *rbo = NULL, *wbo = NULL, *tbo = NULL;
	uint64_t seq[PROG_BATCH];
	uint32_t what[PROG_BATCH][2], nb;
	int rc;

	for (uint32_t s = 0; s < p->nstages; s++)
		total += p->stages[s].nrows;
	if (!total)
		return BNN_OK;
	rc = bo_new(c->fd, total * rb, &rbo);
	if (!rc)
		rc = bo_new(c->fd, rb, &wbo);
	if (!rc)
		rc = bo_new(c->fd, 4, &tbo);
	if (rc) {
		rc = card_errno(c, err, rc, "buffer objects for the scrub");
		goto out;
	}
	bits = malloc((size_t)words * 8);
	if (!bits) {
		rc = bnn__fail(err, BNN_E_NOMEM, "out of memory");
		goto out;
	}
	/* Pass 1: read every row back. */
	idx = 0;
	nb = 0;
	for (uint32_t s = 0; s < p->nstages && !rc; s++)
		for (uint32_t i = 0; i < p->stages[s].nrows; i++, idx++) {
			const struct bnn__card_row *row = &p->stages[s].rows[i];
			struct drm_rbnn_readback a;

			memset(&a, 0, sizeof(a));
			a.tile = c->tiles[row->tile];
			a.row = row->row;
			a.nrows = 1;
			a.handle = rbo->handle;
			a.offset = idx * rb;
			a.syncs.out.handle = c->syncobj;
			a.syncs.out.point = c->point + 1;
			if (drmIoctl(c->fd, DRM_IOCTL_RBNN_READBACK, &a)) {
				rc = card_errno(c, err, errno,
						"scrub policy: READBACK");
				scrub_collect(r, c, seq, what, nb, "READBACK",
					      NULL);
				goto out;
			}
			c->point++;
			seq[nb] = a.seqno;
			what[nb][0] = a.tile;
			what[nb][1] = a.row;
			if (++nb == PROG_BATCH) {
				rc = scrub_collect(r, c, seq, what, nb,
						   "READBACK", err);
				nb = 0;
				if (rc)
					goto out;
			}
		}
	rc = scrub_collect(r, c, seq, what, nb, "READBACK", err);
	if (rc)
		goto out;
	/* Pass 2: compare; program again or refresh. */
	idx = 0;
	for (uint32_t s = 0; s < p->nstages; s++)
		for (uint32_t i = 0; i < p->stages[s].nrows; i++, idx++) {
			const struct bnn__card_row *row = &p->stages[s].rows[i];
			const char *op;
			uint64_t seqno;
			int e = 0;

			for (uint32_t k = 0; k < words; k++) {
				memcpy(&bits[k], rbo->map + idx * rb + 8 * k, 8);
				bits[k] = le64toh(bits[k]);
			}
			if (bnn__scrub_row(bits, row->bits, c->info.cols) ==
			    BNN_SCRUB_REPROGRAM) {
				struct drm_rbnn_program a;
				uint32_t t = htole32((uint32_t)row->thr);

				/* the previous job read these BOs: wait */
				rc = scrub_collect(r, c, NULL, NULL, 0,
						   "PROGRAM", err);
				if (rc)
					goto out;
				for (uint32_t k = 0; k < words; k++) {
					uint64_t v = htole64(row->bits[k]);

					memcpy(wbo->map + 8 * k, &v, 8);
				}
				memcpy(tbo->map, &t, 4);
				memset(&a, 0, sizeof(a));
				a.tile = c->tiles[row->tile];
				a.row = row->row;
				a.nrows = 1;
				a.flags = r->verify ? DRM_RBNN_PROGRAM_VERIFY : 0;
				a.weights_handle = wbo->handle;
				if (row->has_thr)
					a.thresh_handle = tbo->handle;
				a.syncs.out.handle = c->syncobj;
				a.syncs.out.point = c->point + 1;
				if (drmIoctl(c->fd, DRM_IOCTL_RBNN_PROGRAM, &a))
					e = errno;
				seqno = a.seqno;
				op = "PROGRAM";
				r->prog.scrub_rewritten++;
				r->prog.rows++;
			} else {
				struct drm_rbnn_readback a;

				memset(&a, 0, sizeof(a));
				a.tile = c->tiles[row->tile];
				a.row = row->row;
				a.nrows = 1;
				a.flags = DRM_RBNN_READBACK_SCRUB;
				a.handle = rbo->handle;
				a.offset = idx * rb;
				a.syncs.out.handle = c->syncobj;
				a.syncs.out.point = c->point + 1;
				if (drmIoctl(c->fd, DRM_IOCTL_RBNN_READBACK, &a))
					e = errno;
				seqno = a.seqno;
				op = "refresh (READBACK SCRUB)";
			}
			if (e) {
				rc = card_errno(c, err, e, op);
				bnn__prefix(err, rc, "scrub policy");
				goto out;
			}
			c->point++;
			r->prog.cmds++;
			what[0][0] = c->tiles[row->tile];
			what[0][1] = row->row;
			rc = scrub_collect(r, c, &seqno, what, 1, op, err);
			if (rc)
				goto out;
		}
	r->prog.scrubs++;
out:
	if (c->point)
		wait_point(c, c->point, INT64_MAX);
	free(bits);
	bo_free(c->fd, rbo);
	bo_free(c->fd, wbo);
	bo_free(c->fd, tbo);
	return rc;
}

/* Scrub the card if the policy says it is due (its age since the last
 * programming or scrub, at opts.temperature_c). */
static int scrub_if_due(struct rbnn *r, struct card *c, bnn_error *err)
{
	double age;
	int rc;

	rc = card_age(c, &age, err);
	if (rc)
		return rc;
	if (!bnn__scrub_due(age, c->scrub_age_s, r->temperature_c))
		return BNN_OK;
	rc = scrub_card(r, c, err);
	if (rc)
		return rc;
	c->scrub_age_s = age;
	return BNN_OK;
}

/* Steps of a card's plan, and the EXEC arrays of its stages. */
static int build_steps(struct rbnn *r, struct card *c, bnn_error *err)
{
	const struct bnn__plan *p = c->plan;
	uint32_t b = 0;

	c->steps = calloc(2 * (size_t)p->nstages + 1, sizeof(*c->steps));
	if (!c->steps)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i <= p->nstages; i++) {
		const struct bnn__card_stage *st = i < p->nstages ?
						   &p->stages[i] : NULL;
		uint32_t end = st ? st->first : r->nl;
		struct step *sp;
		size_t hin, hout, elems;
		int vk;

		if (b < end) {
			sp = &c->steps[c->nsteps++];
			sp->first = b;
			sp->last = end;
		}
		if (!st)
			break;
		sp = &c->steps[c->nsteps++];
		sp->card = 1;
		sp->first = st->first;
		sp->last = st->last;
		sp->in_c = st->in_c;
		sp->in_l = st->in_l;
		sp->in_bits = st->in_bits;
		sp->in_bytes = st->in_bytes;
		sp->out_bytes = st->out_bytes;
		sp->nlayers = st->nlayers;
		sp->nsegs = st->nsegs;
		sp->scores = st->nlayers &&
			     st->layers[st->nlayers - 1].out_mode == DRM_RBNN_OUT_SCORES;
		sp->in_from_prev = c->nsteps >= 2 && c->steps[c->nsteps - 2].card;
		bnn__hnet_io(r->h, st->first, NULL, NULL, NULL, &hin);
		bnn__hnet_io(r->h, st->last, &vk, NULL, &elems, &hout);
		sp->out_elems = elems;
		if (hin != st->in_bytes ||
		    (sp->scores ? (vk != BNN_VALUES_FLOAT ||
				   st->out_bytes != ((4 * elems + 7) & ~(size_t)7)) :
				  hout != st->out_bytes) ||
		    (sp->in_from_prev &&
		     c->steps[c->nsteps - 2].out_bytes != sp->in_bytes) ||
		    (st->last == r->nl && !sp->scores) ||
		    !st->nlayers || st->nlayers > c->info.max_layers ||
		    st->nsegs > c->info.max_segments)
			return bnn__fail(err, BNN_E_DEVICE,
					 "%s: the plan of layers %u..%u does not fit the card (items %zu/%zu bytes, host %zu/%zu; %u layers, %u segments)",
					 c->info.node, st->first, st->last - 1,
					 st->in_bytes, st->out_bytes, hin, hout,
					 st->nlayers, st->nsegs);
		sp->layers = calloc(st->nlayers, sizeof(*sp->layers));
		sp->segs = calloc(st->nsegs ? st->nsegs : 1, sizeof(*sp->segs));
		if (!sp->layers || !sp->segs)
			return bnn__fail(err, BNN_E_NOMEM, "out of memory");
		for (uint32_t k = 0; k < st->nlayers; k++) {
			const struct bnn__card_layer *cl = &st->layers[k];
			struct drm_rbnn_layer *dl = &sp->layers[k];

			/* The compiler's RBNN_LAYER_* / RBNN_OUT_* are the
			 * card's, which the uAPI's DRM_RBNN_* mirror. */
			dl->op = cl->op;
			dl->out_mode = cl->out_mode;
			dl->in_channels = cl->in_c;
			dl->in_length = cl->in_l;
			dl->out_channels = cl->out_c;
			dl->out_length = cl->out_l;
			dl->kernel = cl->kernel;
			dl->stride = cl->stride;
			dl->pad = cl->pad;
			dl->seg_count = cl->nsegs;
		}
		for (uint32_t k = 0; k < st->nsegs; k++) {
			const struct bnn__card_seg *sg = &st->segs[k];
			struct drm_rbnn_segment *ds = &sp->segs[k];

			if (sg->tile >= c->ntiles)
				return bnn__fail(err, BNN_E_DEVICE,
						 "%s: plan segment on tile %u of %u",
						 c->info.node, sg->tile,
						 c->ntiles);
			ds->tile = c->tiles[sg->tile];
			ds->row = sg->row;
			ds->out_first = sg->out_first;
			ds->out_count = sg->out_count;
			ds->block = sg->block;
		}
		b = st->last;
	}
	return BNN_OK;
}

static int card_prepare(struct rbnn *r, struct card *c,
			const struct bnn_model *m, bnn_error *err)
{
	struct bnn__card_geom g;
	struct drm_rbnn_tile_alloc ta;
	uint32_t nfree = 0;
	int rc;

	if (c->banned)
		return bnn__rbnn_errno(err, ECANCELED, c->info.node, "prepare");
	rc = free_tiles(c, &nfree, err);
	if (rc)
		return rc;
	memset(&g, 0, sizeof(g));
	g.tiles = nfree ? nfree : c->info.tiles;
	g.rows = c->info.rows;
	g.cols = c->info.cols;
	g.act_buf_size = c->info.act_buf_size;
	g.max_layers = c->info.max_layers;
	g.max_batch = c->info.max_batch;
	rc = bnn__compile(m, &g, &c->plan, err);
	if (rc && nfree && nfree < c->info.tiles) {
		/* Would it fit on the whole card?  Then the card is busy. */
		struct bnn__plan *p = NULL;

		g.tiles = c->info.tiles;
		if (!bnn__compile(m, &g, &p, NULL)) {
			rc = bnn__fail(err, BNN_E_BUSY,
				       "%s: the model needs %u tiles but only %u of the card's %u are free (other processes hold the rest: see bnn-smi health)",
				       c->info.node, p->tiles_used, nfree,
				       c->info.tiles);
			bnn__plan_free(p);
			return rc;
		}
	}
	if (rc) {
		bnn__prefix(err, rc, "%s", c->info.node);
		return rc;
	}
	if (c->plan->tiles_used) {
		if (!nfree)
			return bnn__fail(err, BNN_E_BUSY,
					 "%s: the model needs %u tiles but none is free (other processes hold all %u: see bnn-smi health)",
					 c->info.node, c->plan->tiles_used,
					 c->info.tiles);
		c->tiles = calloc(c->plan->tiles_used, sizeof(*c->tiles));
		if (!c->tiles)
			return bnn__fail(err, BNN_E_NOMEM, "out of memory");
		memset(&ta, 0, sizeof(ta));
		ta.count = c->plan->tiles_used;
		ta.tiles_ptr = (uint64_t)(uintptr_t)c->tiles;
		if (drmIoctl(c->fd, DRM_IOCTL_RBNN_TILE_ALLOC, &ta)) {
			rc = errno;
			free(c->tiles);
			c->tiles = NULL;
			if (rc == ENOSPC)
				return bnn__fail(err, BNN_E_BUSY,
						 "%s: the model needs %u tiles, fewer are free now (another process took some: see bnn-smi health)",
						 c->info.node, ta.count);
			return card_errno(c, err, rc, "TILE_ALLOC");
		}
		c->ntiles = ta.count;
	}
	rc = build_steps(r, c, err);
	if (rc)
		return rc;
	rc = program_plan(r, c, err);
	if (rc)
		return rc;
	if (r->scrub) {
		rc = card_age(c, &c->scrub_age_s, err);
		if (rc)
			return rc;
	}
	c->chunk = c->info.max_batch < CHUNK_MAX ? c->info.max_batch : CHUNK_MAX;
	return BNN_OK;
}

static int rbnn_prepare(struct bnn_backend *be, const struct bnn_model *m,
			bnn_error *err)
{
	struct rbnn *r = be->priv;
	int rc;

	drop_model(r);
	memset(&r->prog, 0, sizeof(r->prog));
	rc = bnn__hnet_new(m, be->kernels, &r->h, err);
	if (rc)
		return rc;
	r->s = calloc(r->nthreads, sizeof(*r->s));
	for (uint32_t i = 0; r->s && i < r->nthreads; i++)
		if (bnn__hscratch_new(r->h, &r->s[i])) {
			free(r->s[i]);
			r->s[i] = NULL;
			break;
		}
	if (!r->s || !r->s[r->nthreads - 1]) {
		rc = bnn__fail(err, BNN_E_NOMEM, "out of memory");
		goto fail;
	}
	r->nl = m->nlayers;
	r->in_floats = bnn__item_floats(m);
	r->ncls = m->nclasses;
	for (uint32_t i = 0; i < r->ncards; i++) {
		rc = card_prepare(r, &r->cards[i], m, err);
		if (rc)
			goto fail;
	}
	r->prepared = 1;
	return BNN_OK;
fail:
	drop_model(r);
	return rc;
}

/* ---- runs --------------------------------------------------------------------------- */

/* Reap one EXEC result (JOB_INFO, waiting until `deadline`).
 * 0 done (ch->status set), 1 pending, < 0 -errno. */
static int reap_chunk(struct card *c, struct chunk *ch, int64_t deadline)
{
	struct drm_rbnn_job_info ji;
	int rc;

	if (ch->reaped)
		return 0;
	rc = job_info(c, ch->seqno, deadline, &ji);
	if (rc)
		return rc;
	ch->reaped = 1;
	ch->status = ji.status;
	ch->time_ns += ji.time_ns;
	ch->energy_pj += ji.energy_pj;
	if (c->unreaped)
		c->unreaped--;
	return 0;
}

/* Read the oldest unread EXEC result on card c (bounds what the driver
 * must keep: DRM_RBNN_JOB_HISTORY, and the jobs in flight). */
static int reap_oldest(struct rbnn *r, struct card *c)
{
	struct chunk *best = NULL;

	for (uint32_t j = 0; j < NJOBS; j++) {
		struct rjob *jb = &r->jobs[j];

		if (!jb->tok)
			continue;
		for (uint32_t s = 0; s < jb->nsh; s++) {
			struct shard *sh = &jb->sh[s];

			if (sh->c != c)
				continue;
			for (uint32_t k = 0; k < sh->nch; k++)
				if (!sh->ch[k].reaped &&
				    (!best || sh->ch[k].seqno < best->seqno))
					best = &sh->ch[k];
		}
	}
	if (!best) {
		c->unreaped = 0;
		return 0;
	}
	return reap_chunk(c, best, INT64_MAX) < 0 ? -1 : 0;
}

/* Unread results to keep at most: fewer than the jobs the driver lets a
 * file have in flight (an administrator may lower it), with room for the
 * PROGRAM and READBACK jobs of a model load. */
static uint64_t unreaped_max(const struct card *c)
{
	uint32_t m = c->info.max_jobs;

	if (!m || m >= UNREAPED_MAX + 8)
		return UNREAPED_MAX;
	return m > 8 ? m - 8 : 1;
}

static int exec_chunk(struct rbnn *r, struct card *c, struct shard *sh,
		      struct chunk *ch, bnn_error *err)
{
	const struct step *sp = &c->steps[ch->step];
	struct drm_rbnn_exec a;

	while (c->unreaped >= unreaped_max(c))
		if (reap_oldest(r, c))
			break;
	memset(&a, 0, sizeof(a));
	a.layers = (uint64_t)(uintptr_t)sp->layers;
	a.layer_count = sp->nlayers;
	a.layer_stride = sizeof(*sp->layers);
	a.segments = (uint64_t)(uintptr_t)sp->segs;
	a.seg_count = sp->nsegs;
	a.seg_stride = sizeof(*sp->segs);
	a.in_channels = sp->in_c;
	a.in_length = sp->in_l;
	a.in_bits = sp->in_bits;
	a.batch = ch->count;
	a.in_handle = sh->bo->handle;
	a.out_handle = sh->bo->handle;
	a.in_offset = ch->in_off;
	a.out_offset = ch->out_off;
	a.syncs.out.handle = c->syncobj;
	a.syncs.out.point = c->point + 1;
	if (drmIoctl(c->fd, DRM_IOCTL_RBNN_EXEC, &a))
		return card_errno(c, err, errno, "EXEC");
	c->point++;
	c->unreaped++;
	ch->seqno = a.seqno;
	ch->point = c->point;
	ch->reaped = 0;
	return BNN_OK;
}

/* Submit card step k of a shard: EXECs of at most c->chunk items. */
static int submit_step(struct rbnn *r, struct shard *sh, uint32_t k,
		       bnn_error *err)
{
	struct card *c = sh->c;
	uint32_t need = (uint32_t)((sh->n + c->chunk - 1) / c->chunk);
	const struct step *sp = &c->steps[k];
	int rc;

	if (need > sh->cap) {
		struct chunk *q = realloc(sh->ch, need * sizeof(*q));

		if (!q)
			return bnn__fail(err, BNN_E_NOMEM, "out of memory");
		sh->ch = q;
		sh->cap = need;
	}
	sh->nch = 0;
	sh->waiting = 1;	/* from the first EXEC on: see job_release */
	for (size_t i0 = 0; i0 < sh->n; i0 += c->chunk) {
		struct chunk *ch = &sh->ch[sh->nch];
		size_t cnt = sh->n - i0 < c->chunk ? sh->n - i0 : c->chunk;

		memset(ch, 0, sizeof(*ch));
		ch->step = k;
		ch->count = (uint32_t)cnt;
		ch->in_off = sh->in_off[k] + i0 * sp->in_bytes;
		ch->out_off = sh->out_off[k] + i0 * sp->out_bytes;
		ch->reaped = 1;	/* until submitted */
		rc = exec_chunk(r, c, sh, ch, err);
		if (rc)
			return rc;
		sh->nch++;
	}
	return BNN_OK;
}

static float *conv_buf(struct rbnn *r, size_t floats)
{
	if (floats > r->conv_cap) {
		float *p = realloc(r->conv, floats * sizeof(float));

		if (!p)
			return NULL;
		r->conv = p;
		r->conv_cap = floats;
	}
	return r->conv;
}

/* int32 SCORES items (8-aligned) -> packed floats. */
static void scores_to_float(const uint8_t *src, size_t n, size_t elems,
			    size_t item_bytes, float *dst)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < elems; k++) {
			uint32_t v;

			memcpy(&v, src + i * item_bytes + 4 * k, 4);
			dst[i * elems + k] = (float)(int32_t)le32toh(v);
		}
}

struct hwork {
	const struct bnn__hnet *h;
	struct bnn__hscratch *s;
	uint32_t first, last;
	const uint8_t *in;
	uint8_t *out;
	size_t n;
	const float *user;	/* the user items of these n (JOIN) */
};

static void *host_worker(void *arg)
{
	struct hwork *w = arg;

	bnn__hnet_run(w->h, w->s, w->first, w->last, w->in, w->n, w->out,
		      w->user);
	return NULL;
}

/* Layers [first, last) of n items on the host, split over the context's
 * workers (opts.threads; the calling thread takes the first share).
 * user: the n items' user items (a JOIN reads their features). */
static void host_run(struct rbnn *r, uint32_t first, uint32_t last,
		     const void *in, size_t n, void *out, const float *user)
{
	struct hwork w[64];
	pthread_t tid[64];
	uint32_t nt = r->nthreads, started = 0;
	size_t ib, ob, per;

	if (nt > 64)
		nt = 64;
	if (n < 2 * (size_t)nt)
		nt = 1;
	if (nt == 1) {
		bnn__hnet_run(r->h, r->s[0], first, last, in, n, out, user);
		return;
	}
	bnn__hnet_io(r->h, first, NULL, NULL, NULL, &ib);
	bnn__hnet_io(r->h, last, NULL, NULL, NULL, &ob);
	per = (n + nt - 1) / nt;
	for (uint32_t i = 0; i < nt; i++) {
		size_t a = (size_t)i * per, b = a + per < n ? a + per : n;

		w[i].h = r->h;
		w[i].s = r->s[i];
		w[i].first = first;
		w[i].last = last;
		w[i].in = (const uint8_t *)in + a * ib;
		w[i].out = (uint8_t *)out + a * ob;
		w[i].n = b > a ? b - a : 0;
		w[i].user = user + a * r->in_floats;
	}
	for (uint32_t i = 1; i < nt; i++) {
		if (!w[i].n)
			continue;
		if (pthread_create(&tid[i], NULL, host_worker, &w[i]) != 0)
			break;
		started = i;
	}
	if (w[0].n)
		host_worker(&w[0]);
	for (uint32_t i = 1; i <= started; i++)
		if (w[i].n)
			pthread_join(tid[i], NULL);
	/* shares whose thread could not start run here */
	for (uint32_t i = started + 1; i < nt; i++)
		if (w[i].n)
			host_worker(&w[i]);
}

/*
 * Advance a shard: run host steps and submit card steps until the shard
 * is done or waits for the card.  With a card step submitted, wait for it
 * until `deadline` (0: poll).  Returns BNN_OK (done or progressed),
 * BNN_E_TIMEOUT (still waiting) or an error (in err).
 */
static int advance(struct rbnn *r, struct rjob *jb, struct shard *sh,
		   int64_t deadline, bnn_error *err)
{
	struct card *c = sh->c;
	int rc;

	while (sh->next < c->nsteps) {
		uint32_t k = sh->next;
		const struct step *sp = &c->steps[k];

		if (!sp->card) {
			const void *src;
			void *dst;

			if (k == 0) {
				src = jb->in + sh->item0 * r->in_floats;
			} else {
				const struct step *pv = &c->steps[k - 1];
				const uint8_t *o = sh->bo->map + sh->out_off[k - 1];

				if (pv->scores) {
					float *f = conv_buf(r, sh->n * pv->out_elems);

					if (!f)
						return bnn__fail(err, BNN_E_NOMEM,
								 "out of memory");
					scores_to_float(o, sh->n, pv->out_elems,
							pv->out_bytes, f);
					src = f;
				} else {
					src = o;
				}
			}
			dst = k + 1 == c->nsteps ?
			      (void *)(jb->scores + sh->item0 * r->ncls) :
			      (void *)(sh->bo->map + sh->in_off[k + 1]);
			host_run(r, sp->first, sp->last, src, sh->n, dst,
				 jb->in + sh->item0 * r->in_floats);
			sh->next++;
			continue;
		}
		if (!sh->waiting) {
			rc = submit_step(r, sh, k, err);
			if (rc)
				return rc;
			if (!deadline)
				return BNN_OK;	/* submitted: come back later */
		}
		/* Wait for the step's last EXEC, then read every result. */
		rc = wait_point(c, sh->ch[sh->nch - 1].point, deadline);
		if (rc == 1)
			return BNN_E_TIMEOUT;
		if (rc < 0)
			return card_errno(c, err, rc, "waiting for EXEC");
		for (uint32_t i = 0; i < sh->nch; i++) {
			struct chunk *ch = &sh->ch[i];
			char what[96];

			rc = reap_chunk(c, ch, deadline);
			if (rc == 1)
				return BNN_E_TIMEOUT;
			if (rc < 0)
				return card_errno(c, err, rc, "JOB_INFO");
			if (ch->status == -ECANCELED && !c->banned &&
			    !ch->retried) {
				/* lost in a reset we did not cause: again */
				ch->retried = 1;
				rc = exec_chunk(r, c, sh, ch, err);
				if (rc)
					return rc;
				jb->st.device_cmds++;
				i--;
				rc = wait_point(c, ch->point, deadline);
				if (rc == 1)
					return BNN_E_TIMEOUT;
				if (rc < 0)
					return card_errno(c, err, rc,
							  "waiting for EXEC");
				continue;
			}
			if (ch->status) {
				snprintf(what, sizeof(what),
					 "EXEC of layers %u..%u (%u items)",
					 sp->first, sp->last - 1, ch->count);
				return job_status_fail(c, err, ch->status, 0, 0,
						       what);
			}
		}
		for (uint32_t i = 0; i < sh->nch; i++) {
			jb->st.device_ns += sh->ch[i].time_ns;
			jb->st.device_energy_pj += (double)sh->ch[i].energy_pj;
			jb->st.device_cmds++;
		}
		sh->nch = 0;
		sh->waiting = 0;
		sh->next++;
		if (sh->next == c->nsteps) {
			/* the card gave the model's output */
			scores_to_float(sh->bo->map + sh->out_off[k], sh->n,
					sp->out_elems, sp->out_bytes,
					jb->scores + sh->item0 * r->ncls);
		}
		/* next: a host step reading this output, or a card step
		 * reading it in place (submitted on the next turn) */
	}
	sh->done = 1;
	return BNN_OK;
}

/* Lay out a shard's BO: per card step an input region (unless it is the
 * previous card step's output) and an output region. */
static int shard_setup(struct shard *sh, bnn_error *err)
{
	struct card *c = sh->c;
	uint64_t off = 0;
	int rc;

	sh->in_off = calloc(c->nsteps ? c->nsteps : 1, sizeof(uint64_t));
	sh->out_off = calloc(c->nsteps ? c->nsteps : 1, sizeof(uint64_t));
	if (!sh->in_off || !sh->out_off)
		return bnn__fail(err, BNN_E_NOMEM, "out of memory");
	for (uint32_t k = 0; k < c->nsteps; k++) {
		const struct step *sp = &c->steps[k];

		if (!sp->card)
			continue;
		if (sp->in_from_prev) {
			sh->in_off[k] = sh->out_off[k - 1];
		} else {
			sh->in_off[k] = off;
			off = align64(off + (uint64_t)sh->n * sp->in_bytes);
		}
		sh->out_off[k] = off;
		off = align64(off + (uint64_t)sh->n * sp->out_bytes);
	}
	if (!off)
		return BNN_OK;	/* the whole model runs on the host */
	if (off > BO_MAX)
		return bnn__fail(err, BNN_E_RANGE,
				 "%s: a batch of %zu items needs %llu bytes of card buffers, more than %llu: run smaller batches",
				 c->info.node, sh->n, (unsigned long long)off,
				 (unsigned long long)BO_MAX);
	rc = bo_get(c, off, &sh->bo);
	if (rc)
		return card_errno(c, err, rc, "buffer object for a batch");
	return BNN_OK;
}

/* Release a job: wait for whatever of it is still on a card, give the
 * BOs back. */
static void job_release(struct rjob *jb)
{
	for (uint32_t s = 0; s < jb->nsh; s++) {
		struct shard *sh = &jb->sh[s];
		struct card *c = sh->c;

		int unsure = 0;

		if (sh->waiting)
			for (uint32_t i = 0; i < sh->nch; i++)
				if (!sh->ch[i].reaped &&
				    reap_chunk(c, &sh->ch[i], INT64_MAX) < 0)
					unsure = 1;
		/* A BO the card may still write is not reused (the jobs
		 * keep their own references: freeing it is safe). */
		if (unsure)
			bo_free(c->fd, sh->bo);
		else
			bo_put(c, sh->bo);
		free(sh->ch);
		free(sh->in_off);
		free(sh->out_off);
		memset(sh, 0, sizeof(*sh));
	}
	{
		struct shard *keep = jb->sh;

		memset(jb, 0, sizeof(*jb));
		jb->sh = keep;
	}
}

static int rbnn_submit(struct bnn_backend *be, const float *in, size_t n,
		       float *scores, uint64_t *tok, bnn_error *err)
{
	struct rbnn *r = be->priv;
	struct rjob *jb = NULL;
	uint32_t nsh;
	int rc;

	*tok = 0;
	if (!r->prepared)
		return bnn__fail(err, BNN_E_STATE, "no model prepared");
	for (uint32_t j = 0; j < NJOBS; j++)
		if (!r->jobs[j].tok) {
			jb = &r->jobs[j];
			break;
		}
	if (!jb)
		return bnn__fail(err, BNN_E_BUSY, "too many jobs pending");
	for (uint32_t i = 0; i < r->ncards; i++)
		if (r->cards[i].banned)
			return bnn__rbnn_errno(err, ECANCELED,
					       r->cards[i].info.node, "submit");
	/* The scrub policy, when due, before the job's EXECs (the card
	 * runs a file's jobs in order). */
	for (uint32_t i = 0; r->scrub && i < r->ncards; i++) {
		rc = scrub_if_due(r, &r->cards[i], err);
		if (rc)
			return rc;
	}
	jb->in = in;
	jb->scores = scores;
	jb->n = n;
	nsh = n < r->ncards ? (uint32_t)n : r->ncards;
	for (uint32_t s = 0; s < nsh; s++) {
		struct shard *sh = &jb->sh[s];
		size_t a = n * s / nsh, b = n * (s + 1) / nsh;

		sh->c = &r->cards[s];
		sh->item0 = a;
		sh->n = b - a;
	}
	jb->nsh = nsh;
	jb->tok = r->next_tok++;
	/* Host work up to the first card stage, then submit it (each card
	 * starts as soon as its shard is ready). */
	for (uint32_t s = 0; s < nsh; s++) {
		rc = shard_setup(&jb->sh[s], err);
		if (!rc)
			rc = advance(r, jb, &jb->sh[s], 0, err);
		if (rc) {
			job_release(jb);
			return rc;
		}
	}
	*tok = jb->tok;
	return BNN_OK;
}

static int rbnn_wait(struct bnn_backend *be, uint64_t tok, int timeout_ms,
		     bnn_stats *st, bnn_error *err)
{
	struct rbnn *r = be->priv;
	struct rjob *jb = NULL;
	int64_t deadline = deadline_of(timeout_ms);
	int rc = BNN_OK;

	for (uint32_t j = 0; j < NJOBS; j++)
		if (tok && r->jobs[j].tok == tok)
			jb = &r->jobs[j];
	if (!jb)
		return bnn__fail(err, BNN_E_NOTFOUND, "no job %llu",
				 (unsigned long long)tok);
	for (;;) {
		struct shard *first = NULL;

		/* progress every shard without blocking ... */
		for (uint32_t s = 0; s < jb->nsh && !rc; s++)
			if (!jb->sh[s].done) {
				rc = advance(r, jb, &jb->sh[s], 0, err);
				if (rc == BNN_E_TIMEOUT)
					rc = BNN_OK;
			}
		if (rc)
			break;
		for (uint32_t s = 0; s < jb->nsh; s++)
			if (!jb->sh[s].done) {
				first = &jb->sh[s];
				break;
			}
		if (!first)
			break;
		/* ... then block on the first one still running */
		rc = advance(r, jb, first, deadline ? deadline : 1, err);
		if (rc == BNN_E_TIMEOUT) {
			if (timeout_ms >= 0 &&
			    (int64_t)now_mono_ns() >= deadline)
				return bnn__fail(err, BNN_E_TIMEOUT,
						 "job still running");
			rc = BNN_OK;
		}
		if (rc)
			break;
	}
	if (!rc && st) {
		st->device_ns = jb->st.device_ns;
		st->device_energy_pj = jb->st.device_energy_pj;
		st->device_cmds = jb->st.device_cmds;
	}
	job_release(jb);
	return rc;
}

static int rbnn_run(struct bnn_backend *be, const float *in, size_t n,
		    float *scores, bnn_stats *st, bnn_error *err)
{
	uint64_t tok;
	int rc;

	rc = rbnn_submit(be, in, n, scores, &tok, err);
	if (rc)
		return rc;
	return rbnn_wait(be, tok, -1, st, err);
}

int bnn__rbnn_prog_stats(const struct bnn_backend *be,
			 struct bnn__rbnn_prog_stats *out)
{
	const struct rbnn *r;

	if (!be || !out || be->ops != &bnn__backend_rbnn_ops || !be->priv)
		return BNN_E_INVAL;
	r = be->priv;
	*out = r->prog;
	return BNN_OK;
}

/* bnn_prepare_info_get(): card 0's plan (every card holds the whole
 * model); tiles and programming cost summed over the cards. */
static int rbnn_prepare_info(const struct bnn_backend *be,
			     bnn_prepare_info *out, bnn_error *err)
{
	const struct rbnn *r = be->priv;
	const struct bnn__plan *p;
	uint32_t nl = 0, used = 0, total = 0;

	if (!r || !r->ncards || !r->cards[0].plan)
		return bnn__fail(err, BNN_E_STATE,
				 "rbnn: no plan (call bnn_prepare first)");
	p = r->cards[0].plan;
	for (uint32_t i = 0; i < p->nstages; i++)
		nl += p->stages[i].last - p->stages[i].first;
	for (uint32_t k = 0; k < r->ncards; k++) {
		if (r->cards[k].plan)
			used += r->cards[k].plan->tiles_used;
		total += r->cards[k].info.tiles;
	}
	out->cards = r->ncards;
	out->card_stages = p->nstages;
	out->card_layers = nl;
	out->host_layers = out->host_layers > nl ? out->host_layers - nl : 0;
	out->host_binary_layers = p->host_binary;
	out->tiles_used = used;
	out->tiles_total = total;
	out->card_bits = p->card_bits;
	out->host_bits = p->host_bits;
	out->prog_rows = r->prog.rows;
	out->prog_cmds = r->prog.cmds;
	out->prog_pulses = r->prog.pulses;
	out->prog_unverified = r->prog.unverified;
	out->prog_time_ns = r->prog.device_ns;
	out->prog_energy_pj = r->prog.device_energy_pj;
	out->scrubs = r->prog.scrubs;
	out->scrub_rows_rewritten = r->prog.scrub_rewritten;
	snprintf(out->note, sizeof(out->note), "%s", p->note);
	return BNN_OK;
}

const struct bnn_backend_ops bnn__backend_rbnn_ops = {
	.kind = BNN_BACKEND_RBNN,
	.name = "rbnn",
	.open = rbnn_open,
	.close = rbnn_close,
	.prepare = rbnn_prepare,
	.run = rbnn_run,
	.submit = rbnn_submit,
	.wait = rbnn_wait,
	.prepare_info = rbnn_prepare_info,
};
