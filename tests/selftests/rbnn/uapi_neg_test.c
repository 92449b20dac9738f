// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Negative matrix of the rbnn uAPI: every ioctl called with one bad
 * argument at a time (zero/huge sizes, wrapping offsets, unknown flags,
 * nonzero pad/reserved, bad strides, invalid/closed/foreign handles, tiles
 * not owned, rows not programmed, every invalid layer-program field, bad
 * user pointers...). Each case is one KTAP line (a FIXTURE_VARIANT) and
 * checks:
 *
 *   1. the errno documented in include/uapi/drm/rbnn_accel.h;
 *   2. that nothing changed: no job was submitted (jobs_submitted counter,
 *      no sequence number consumed), the tile map of both files is the
 *      same, every buffer object of the fixture is still valid;
 *   3. that a valid EXEC submitted right after still works and produces the
 *      reference result (exact on a card with error-model=off).
 *
 * Run on a card with error-model=off (the exact check is skipped
 * otherwise).
 */
#include "rbnn_sel.h"
#include "kselftest_harness.h"

#define KPTR	0xffff888000000000ull	/* a kernel address */
#define BIGBO	65536			/* IN/OUT BO size */

struct env {
	int fd, fd2;
	struct drm_rbnn_query_device dev;
	uint32_t tA, tB, tO, tF;	/* mine, mine, fd2's, free */
	struct sel_bo W, T, IN, OUT, RB;
	uint32_t closed_bo;		/* a BO handle already closed */
	uint32_t bo2;			/* a handle that exists only in fd2 */
	uint32_t s_sig, s_tl, s_empty, s_closed, s2;
	struct sel_net net;
	struct sel_placed pl;
	struct drm_rbnn_program prog;	/* valid: tB rows 0..1, thresholds */
	struct drm_rbnn_readback rb;	/* valid: tA rows 0..1 */
	struct drm_rbnn_exec x;		/* valid: the net on tA, batch 4 */
	struct drm_rbnn_layer L[SEL_MAX_LAYERS];
	struct drm_rbnn_segment S[16];
	uint64_t last;			/* last seqno of fd */
	uint64_t last2;			/* last seqno of fd2 */
	uint8_t *pages;			/* [RW][NONE][RO] */
	bool exact;
	/* snapshot taken right before the bad ioctl */
	bool snapped;
	struct drm_rbnn_query_counters c0;
	struct sel_tiles t0, t0b;
};

static inline uint8_t *rw_end(struct env *e) { return e->pages + 4096; }
static inline uint8_t *none_page(struct env *e) { return e->pages + 4096; }
static inline uint8_t *ro_page(struct env *e) { return e->pages + 8192; }

static void snap(struct env *e)
{
	sel_counters(e->fd, &e->c0);
	sel_query_tiles(e->fd, &e->t0);
	sel_query_tiles(e->fd2, &e->t0b);
	e->snapped = true;
}

/* Snapshot, then the ioctl on fd. */
#define DO(req, arg)	(snap(e), sel_ioctl(e->fd, (req), (arg)))
#define DO2(fdx, req, arg) (snap(e), sel_ioctl((fdx), (req), (arg)))

/* Copies of the valid EXEC with local arrays. */
#define EXEC_LOCAL							\
	struct drm_rbnn_exec x = e->x;					\
	struct drm_rbnn_layer L[SEL_MAX_LAYERS];			\
	struct drm_rbnn_segment S[16];					\
	memcpy(L, e->L, sizeof(L));					\
	memcpy(S, e->S, sizeof(S));					\
	x.layers = (uintptr_t)L;					\
	x.segments = (uintptr_t)S

#define EXEC_RUN	DO(DRM_IOCTL_RBNN_EXEC, &x)

/* ---- fixture --------------------------------------------------------- */

FIXTURE(neg) {
	struct env e;
};

FIXTURE_VARIANT(neg) {
	int (*fn)(struct env *e);
	int expect;
};

static int setup_env(struct __test_metadata *_metadata, struct env *e)
{
	struct sel_tiles ts;
	uint32_t i, h, t[2];
	struct sel_bo tmp;
	uint64_t s;

	memset(e, 0, sizeof(*e));
	sel_seed(0x5e1);
	e->fd = sel_open(NULL);
	if (e->fd < 0)
		return e->fd;
	e->fd2 = sel_open(NULL);
	ASSERT_LE(0, e->fd2);
	ASSERT_EQ(0, sel_query(e->fd, DRM_RBNN_QUERY_DEVICE, &e->dev,
			       sizeof(e->dev)));
	{
		struct drm_rbnn_query_model m = {};

		ASSERT_EQ(0, sel_query(e->fd, DRM_RBNN_QUERY_MODEL, &m, sizeof(m)));
		e->exact = m.error_model == 0;
	}
	ASSERT_LE(4, e->dev.tiles);
	ASSERT_LE(64, e->dev.rows);

	e->pages = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, e->pages);
	ASSERT_EQ(0, mprotect(none_page(e), 4096, PROT_NONE));
	ASSERT_EQ(0, mprotect(ro_page(e), 4096, PROT_READ));

	ASSERT_EQ(0, sel_tile_alloc(e->fd, 2, t));
	e->tA = t[0];
	e->tB = t[1];
	ASSERT_EQ(0, sel_tile_alloc(e->fd2, 1, &e->tO));
	ASSERT_EQ(0, sel_query_tiles(e->fd, &ts));
	e->tF = e->dev.tiles;
	for (i = 0; i < ts.hdr.count; i++)
		if (ts.t[i].state == DRM_RBNN_TILE_STATE_FREE) {
			e->tF = i;
			break;
		}
	ASSERT_LT(e->tF, e->dev.tiles);

	/* The baseline net: CONV1D (BITS) -> MAXPOOL1D -> FC (SCORES). */
	sel_net_init(&e->net, 2, 16, 1);
	sel_net_add(&e->net, DRM_RBNN_LAYER_CONV1D, DRM_RBNN_OUT_BITS, 8, 3, 1, 1);
	sel_net_add(&e->net, DRM_RBNN_LAYER_MAXPOOL1D, DRM_RBNN_OUT_BITS, 0, 2, 2, 0);
	sel_net_add(&e->net, DRM_RBNN_LAYER_FC, DRM_RBNN_OUT_SCORES, 4, 0, 0, 0);
	ASSERT_EQ(0, sel_net_load(e->fd, &e->dev, &e->net, &e->tA, 1, 0, 0,
				  &e->pl));
	ASSERT_EQ(2, e->pl.nsegs);	/* conv rows 0..7, fc rows 8..11 */
	memcpy(e->L, e->pl.layers, sizeof(e->L));
	memcpy(e->S, e->pl.segs, e->pl.nsegs * sizeof(e->S[0]));

	ASSERT_EQ(0, sel_bo_new(e->fd, 4096, &e->W));
	ASSERT_EQ(0, sel_bo_new(e->fd, 4096, &e->T));
	ASSERT_EQ(0, sel_bo_new(e->fd, BIGBO, &e->IN));
	ASSERT_EQ(0, sel_bo_new(e->fd, BIGBO, &e->OUT));
	ASSERT_EQ(0, sel_bo_new(e->fd, 4096, &e->RB));
	sel_fill_random(e->W.map, e->W.size);
	sel_fill_random(e->IN.map, e->IN.size);

	/* Rows 32..39 of tA: programmed, thresholds never loaded. */
	ASSERT_EQ(0, sel_program(e->fd, e->tA, 32, 8, &e->W, 0, NULL, 0, &s));

	/* Syncobjs: signalled, timeline (point 1), empty, closed. */
	ASSERT_EQ(0, sel_syncobj_create(e->fd, DRM_SYNCOBJ_CREATE_SIGNALED,
					&e->s_sig));
	ASSERT_EQ(0, sel_syncobj_create(e->fd, 0, &e->s_tl));
	ASSERT_EQ(0, sel_syncobj_create(e->fd, 0, &e->s_empty));
	e->prog = (struct drm_rbnn_program){
		.tile = e->tB, .row = 0, .nrows = 2,
		.weights_handle = e->W.handle, .thresh_handle = e->T.handle,
	};
	{
		struct drm_rbnn_program p = e->prog;

		p.syncs.out.handle = e->s_tl;
		p.syncs.out.point = 1;
		ASSERT_EQ(0, sel_ioctl(e->fd, DRM_IOCTL_RBNN_PROGRAM, &p));
		e->last = p.seqno;
	}
	ASSERT_EQ(0, sel_job_status(e->fd, e->last, 20000));
	ASSERT_EQ(0, sel_syncobj_wait(e->fd, e->s_tl, 1, 20000));
	/* Rows 2..11 of tB too (no thresholds): a valid FC segment there. */
	ASSERT_EQ(0, sel_program(e->fd, e->tB, 2, 10, &e->W, 0, NULL, 0, &e->last));

	e->rb = (struct drm_rbnn_readback){
		.tile = e->tA, .row = 0, .nrows = 2, .handle = e->RB.handle,
	};
	sel_exec_args(&e->x, &e->net, &e->pl, 4, e->IN.handle, 0,
		      e->OUT.handle, 0);
	e->x.layers = (uintptr_t)e->L;
	e->x.segments = (uintptr_t)e->S;

	/* fd2: more BOs, syncobjs and jobs than fd, so that its handles and
	 * sequence numbers do not exist in fd. */
	for (i = 0; i < 24; i++) {
		ASSERT_EQ(0, sel_bo_new(e->fd2, 4096, &tmp));
		e->bo2 = tmp.handle;
		munmap(tmp.map, tmp.size);
		ASSERT_EQ(0, sel_syncobj_create(e->fd2, DRM_SYNCOBJ_CREATE_SIGNALED,
						&e->s2));
	}
	tmp.map = NULL;
	tmp.handle = e->bo2;
	tmp.size = 4096;
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, sel_program(e->fd2, e->tO, i, 1, &tmp, 0, NULL, 0,
					 &e->last2));
	ASSERT_EQ(0, sel_job_status(e->fd2, e->last2, 20000));

	/* Wait for everything of fd (the net's PROGRAMs too). */
	ASSERT_EQ(0, sel_job_status(e->fd, e->pl.last_prog, 20000));
	ASSERT_EQ(0, sel_job_status(e->fd, s, 20000));
	ASSERT_EQ(0, sel_job_status(e->fd, e->last, 20000));
	/* JOB_INFO of fd's last+1 is "never returned": we track it exactly. */
	{
		struct drm_rbnn_job_info ji = { .seqno = e->last + 1 };

		ASSERT_EQ(-EINVAL, sel_ioctl(e->fd, DRM_IOCTL_RBNN_JOB_INFO, &ji));
	}
	ASSERT_LT(e->last + 4, e->last2);

	/* Last: a closed BO handle and a closed syncobj (nothing is created
	 * in fd after this, so their numbers stay unused). */
	ASSERT_EQ(0, sel_bo_new(e->fd, 4096, &tmp));
	munmap(tmp.map, tmp.size);
	e->closed_bo = tmp.handle;
	ASSERT_EQ(0, sel_gem_close(e->fd, e->closed_bo));
	ASSERT_EQ(0, sel_syncobj_create(e->fd, 0, &h));
	e->s_closed = h;
	ASSERT_EQ(0, sel_syncobj_destroy(e->fd, h));
	return 0;
}

FIXTURE_SETUP(neg)
{
	int ret = setup_env(_metadata, &self->e);

	if (ret < 0 && self->e.fd < 0)
		SKIP(return, "cannot open %s: %s", sel_dev_path(), strerror(-ret));
}

FIXTURE_TEARDOWN(neg)
{
	if (self->e.fd > 0)
		close(self->e.fd);
	if (self->e.fd2 > 0)
		close(self->e.fd2);
	sel_net_free(&self->e.net);
	sel_placed_free(&self->e.pl);
}

#define NEG(nm, err, ...)						\
	static int neg_##nm(struct env *e) { __VA_ARGS__ }		\
	FIXTURE_VARIANT_ADD(neg, nm) {					\
		.fn = neg_##nm, .expect = -(err),			\
	}

/* ---- QUERY ----------------------------------------------------------- */

NEG(query_unknown_type, EINVAL,
    struct drm_rbnn_query q = { .type = 4, .size = 64, .ptr = (uintptr_t)e->pages };
    return DO(DRM_IOCTL_RBNN_QUERY, &q););
NEG(query_type_max, EINVAL,
    struct drm_rbnn_query q = { .type = ~0u };
    return DO(DRM_IOCTL_RBNN_QUERY, &q););
NEG(query_ptr_low, EFAULT,
    struct drm_rbnn_query q = { .type = DRM_RBNN_QUERY_DEVICE, .size = 64, .ptr = 8 };
    return DO(DRM_IOCTL_RBNN_QUERY, &q););
NEG(query_ptr_null, EFAULT,
    struct drm_rbnn_query q = { .type = DRM_RBNN_QUERY_MODEL, .size = 4 };
    return DO(DRM_IOCTL_RBNN_QUERY, &q););
NEG(query_ptr_kernel, EFAULT,
    struct drm_rbnn_query q = { .type = DRM_RBNN_QUERY_COUNTERS, .size = 96, .ptr = KPTR };
    return DO(DRM_IOCTL_RBNN_QUERY, &q););
NEG(query_ptr_readonly, EFAULT,
    struct drm_rbnn_query q = { .type = DRM_RBNN_QUERY_DEVICE, .size = 64,
				.ptr = (uintptr_t)ro_page(e) };
    return DO(DRM_IOCTL_RBNN_QUERY, &q););
NEG(query_tiles_ptr_noaccess, EFAULT,
    struct drm_rbnn_query q = { .type = DRM_RBNN_QUERY_TILES, .size = 4096,
				.ptr = (uintptr_t)none_page(e) };
    return DO(DRM_IOCTL_RBNN_QUERY, &q););
NEG(query_buffer_crosses_guard, EFAULT,
    struct drm_rbnn_query q = { .type = DRM_RBNN_QUERY_COUNTERS,
				.size = sizeof(struct drm_rbnn_query_counters),
				.ptr = (uintptr_t)(rw_end(e) - 16) };
    return DO(DRM_IOCTL_RBNN_QUERY, &q););

/* ---- BO_CREATE / BO_INFO / BO_WAIT ------------------------------------- */

NEG(bo_create_size_zero, EINVAL,
    struct drm_rbnn_bo_create c = { .size = 0 };
    return DO(DRM_IOCTL_RBNN_BO_CREATE, &c););
NEG(bo_create_size_max, EINVAL,
    struct drm_rbnn_bo_create c = { .size = ~0ull };
    return DO(DRM_IOCTL_RBNN_BO_CREATE, &c););
NEG(bo_create_size_2p63, EINVAL,
    struct drm_rbnn_bo_create c = { .size = 1ull << 63 };
    return DO(DRM_IOCTL_RBNN_BO_CREATE, &c););
NEG(bo_create_size_page_wrap, EINVAL,
    /* rounds up past 2^64 */
    struct drm_rbnn_bo_create c = { .size = ~0ull - 100 };
    return DO(DRM_IOCTL_RBNN_BO_CREATE, &c););
NEG(bo_create_size_over_4g, EINVAL,
    /* "@size: 1..4 GiB" */
    struct drm_rbnn_bo_create c = { .size = (4ull << 30) + 1 };
    return DO(DRM_IOCTL_RBNN_BO_CREATE, &c););
NEG(bo_create_flags, EINVAL,
    struct drm_rbnn_bo_create c = { .size = 4096, .flags = 1 };
    return DO(DRM_IOCTL_RBNN_BO_CREATE, &c););
NEG(bo_create_flags_high, EINVAL,
    struct drm_rbnn_bo_create c = { .size = 4096, .flags = 1u << 31 };
    return DO(DRM_IOCTL_RBNN_BO_CREATE, &c););
NEG(bo_info_unknown, ENOENT,
    struct drm_rbnn_bo_info i = { .handle = 0x7fff0000 };
    return DO(DRM_IOCTL_RBNN_BO_INFO, &i););
NEG(bo_info_handle_zero, ENOENT,
    struct drm_rbnn_bo_info i = { .handle = 0 };
    return DO(DRM_IOCTL_RBNN_BO_INFO, &i););
NEG(bo_info_closed, ENOENT,
    struct drm_rbnn_bo_info i = { .handle = e->closed_bo };
    return DO(DRM_IOCTL_RBNN_BO_INFO, &i););
NEG(bo_info_other_fd, ENOENT,
    struct drm_rbnn_bo_info i = { .handle = e->bo2 };
    return DO(DRM_IOCTL_RBNN_BO_INFO, &i););
NEG(bo_info_flags, EINVAL,
    struct drm_rbnn_bo_info i = { .handle = e->W.handle, .flags = 1 };
    return DO(DRM_IOCTL_RBNN_BO_INFO, &i););
NEG(bo_wait_flags, EINVAL,
    struct drm_rbnn_bo_wait w = { .handle = e->W.handle, .flags = 2 };
    return DO(DRM_IOCTL_RBNN_BO_WAIT, &w););
NEG(bo_wait_unknown, ENOENT,
    struct drm_rbnn_bo_wait w = { .handle = 0x7fff0000 };
    return DO(DRM_IOCTL_RBNN_BO_WAIT, &w););
NEG(bo_wait_closed, ENOENT,
    struct drm_rbnn_bo_wait w = { .handle = e->closed_bo };
    return DO(DRM_IOCTL_RBNN_BO_WAIT, &w););
NEG(bo_wait_other_fd, ENOENT,
    struct drm_rbnn_bo_wait w = { .handle = e->bo2 };
    return DO(DRM_IOCTL_RBNN_BO_WAIT, &w););

/* ---- TILE_ALLOC / TILE_FREE ------------------------------------------- */

NEG(tile_alloc_count_zero, EINVAL,
    struct drm_rbnn_tile_alloc a = { .count = 0, .tiles_ptr = (uintptr_t)e->pages };
    return DO(DRM_IOCTL_RBNN_TILE_ALLOC, &a););
NEG(tile_alloc_count_over_tiles, EINVAL,
    struct drm_rbnn_tile_alloc a = { .count = e->dev.tiles + 1,
				     .tiles_ptr = (uintptr_t)e->pages };
    return DO(DRM_IOCTL_RBNN_TILE_ALLOC, &a););
NEG(tile_alloc_count_max, EINVAL,
    struct drm_rbnn_tile_alloc a = { .count = ~0u, .tiles_ptr = (uintptr_t)e->pages };
    return DO(DRM_IOCTL_RBNN_TILE_ALLOC, &a););
NEG(tile_alloc_flags, EINVAL,
    struct drm_rbnn_tile_alloc a = { .count = 1, .flags = 1,
				     .tiles_ptr = (uintptr_t)e->pages };
    return DO(DRM_IOCTL_RBNN_TILE_ALLOC, &a););
NEG(tile_alloc_more_than_free, ENOSPC,
    /* all or nothing: nothing is allocated */
    struct drm_rbnn_tile_alloc a = { .tiles_ptr = (uintptr_t)e->pages };
    a.count = sel_tiles_in_state(e->fd, DRM_RBNN_TILE_STATE_FREE) + 1;
    return DO(DRM_IOCTL_RBNN_TILE_ALLOC, &a););
NEG(tile_alloc_ptr_null, EFAULT,
    struct drm_rbnn_tile_alloc a = { .count = 2 };
    return DO(DRM_IOCTL_RBNN_TILE_ALLOC, &a););
NEG(tile_alloc_ptr_kernel, EFAULT,
    struct drm_rbnn_tile_alloc a = { .count = 1, .tiles_ptr = KPTR };
    return DO(DRM_IOCTL_RBNN_TILE_ALLOC, &a););
NEG(tile_alloc_ptr_readonly, EFAULT,
    struct drm_rbnn_tile_alloc a = { .count = 1, .tiles_ptr = (uintptr_t)ro_page(e) };
    return DO(DRM_IOCTL_RBNN_TILE_ALLOC, &a););
NEG(tile_alloc_ptr_crosses_guard, EFAULT,
    struct drm_rbnn_tile_alloc a = { .count = 2,
				     .tiles_ptr = (uintptr_t)(rw_end(e) - 4) };
    return DO(DRM_IOCTL_RBNN_TILE_ALLOC, &a););
NEG(tile_free_out_of_range, EINVAL,
    struct drm_rbnn_tile_free f = { .tile = e->dev.tiles };
    return DO(DRM_IOCTL_RBNN_TILE_FREE, &f););
NEG(tile_free_max, EINVAL,
    struct drm_rbnn_tile_free f = { .tile = ~0u };
    return DO(DRM_IOCTL_RBNN_TILE_FREE, &f););
NEG(tile_free_flags, EINVAL,
    struct drm_rbnn_tile_free f = { .tile = e->tB, .flags = 1 };
    return DO(DRM_IOCTL_RBNN_TILE_FREE, &f););
NEG(tile_free_not_allocated, EACCES,
    struct drm_rbnn_tile_free f = { .tile = e->tF };
    return DO(DRM_IOCTL_RBNN_TILE_FREE, &f););
NEG(tile_free_other_fd, EACCES,
    struct drm_rbnn_tile_free f = { .tile = e->tO };
    return DO(DRM_IOCTL_RBNN_TILE_FREE, &f););
NEG(tile_free_double, EACCES,
    struct drm_rbnn_tile_free f = { .tile = e->tB };
    if (sel_ioctl(e->fd, DRM_IOCTL_RBNN_TILE_FREE, &f))
	    return 1;
    return DO(DRM_IOCTL_RBNN_TILE_FREE, &f););

/* ---- PROGRAM ------------------------------------------------------------ */

#define PROG_LOCAL	struct drm_rbnn_program p = e->prog
#define PROG_RUN	DO(DRM_IOCTL_RBNN_PROGRAM, &p)

NEG(program_tile_out_of_range, EINVAL, PROG_LOCAL; p.tile = e->dev.tiles; return PROG_RUN;);
NEG(program_tile_max, EINVAL, PROG_LOCAL; p.tile = ~0u; return PROG_RUN;);
NEG(program_tile_not_allocated, EACCES, PROG_LOCAL; p.tile = e->tF; return PROG_RUN;);
NEG(program_tile_other_fd, EACCES, PROG_LOCAL; p.tile = e->tO; return PROG_RUN;);
NEG(program_tile_freed, EACCES,
    PROG_LOCAL;
    if (sel_tile_free(e->fd, e->tB))
	    return 1;
    return PROG_RUN;);
NEG(program_nrows_zero, EINVAL, PROG_LOCAL; p.nrows = 0; return PROG_RUN;);
NEG(program_row_past_tile, EINVAL, PROG_LOCAL; p.row = e->dev.rows; p.nrows = 1; return PROG_RUN;);
NEG(program_rows_past_tile, EINVAL, PROG_LOCAL; p.row = e->dev.rows - 1; p.nrows = 2; return PROG_RUN;);
NEG(program_nrows_over_tile, EINVAL, PROG_LOCAL; p.row = 0; p.nrows = e->dev.rows + 1; return PROG_RUN;);
NEG(program_rows_wrap, EINVAL, PROG_LOCAL; p.row = 2; p.nrows = ~0u - 1; return PROG_RUN;);
NEG(program_flags_unknown, EINVAL, PROG_LOCAL; p.flags = 2; return PROG_RUN;);
NEG(program_flags_high, EINVAL, PROG_LOCAL; p.flags = DRM_RBNN_PROGRAM_VERIFY | 1u << 31; return PROG_RUN;);
NEG(program_pad, EINVAL, PROG_LOCAL; p.pad = 1; return PROG_RUN;);
NEG(program_current_too_low, EINVAL, PROG_LOCAL; p.current_na = 999; return PROG_RUN;);
NEG(program_current_too_high, EINVAL, PROG_LOCAL; p.current_na = 1000001; return PROG_RUN;);
NEG(program_pulse_too_short, EINVAL, PROG_LOCAL; p.pulse_ns = 9; return PROG_RUN;);
NEG(program_pulse_too_long, EINVAL, PROG_LOCAL; p.pulse_ns = 10001; return PROG_RUN;);
NEG(program_verify_max_without_verify, EINVAL, PROG_LOCAL; p.verify_max = 1; return PROG_RUN;);
NEG(program_verify_max_too_big, EINVAL,
    PROG_LOCAL; p.flags = DRM_RBNN_PROGRAM_VERIFY; p.verify_max = 65; return PROG_RUN;);
NEG(program_thresh_offset_without_bo, EINVAL,
    PROG_LOCAL; p.thresh_handle = 0; p.thresh_offset = 8; return PROG_RUN;);
NEG(program_weights_handle_zero, ENOENT, PROG_LOCAL; p.weights_handle = 0; return PROG_RUN;);
NEG(program_weights_unknown, ENOENT, PROG_LOCAL; p.weights_handle = 0x7fff0000; return PROG_RUN;);
NEG(program_weights_closed, ENOENT, PROG_LOCAL; p.weights_handle = e->closed_bo; return PROG_RUN;);
NEG(program_weights_other_fd, ENOENT, PROG_LOCAL; p.weights_handle = e->bo2; return PROG_RUN;);
NEG(program_thresh_unknown, ENOENT, PROG_LOCAL; p.thresh_handle = 0x7fff0000; return PROG_RUN;);
NEG(program_thresh_closed, ENOENT, PROG_LOCAL; p.thresh_handle = e->closed_bo; return PROG_RUN;);
NEG(program_thresh_other_fd, ENOENT, PROG_LOCAL; p.thresh_handle = e->bo2; return PROG_RUN;);
NEG(program_weights_bo_too_small, ERANGE,
    PROG_LOCAL; p.nrows = e->W.size / e->dev.row_bytes + 1;
    if (p.nrows > e->dev.rows)
	    return 1;
    return PROG_RUN;);
NEG(program_weights_offset_at_end, ERANGE, PROG_LOCAL; p.weights_offset = e->W.size; return PROG_RUN;);
NEG(program_weights_range_past_end, ERANGE,
    PROG_LOCAL; p.weights_offset = e->W.size - 2 * e->dev.row_bytes + 1; return PROG_RUN;);
NEG(program_weights_offset_wrap, ERANGE, PROG_LOCAL; p.weights_offset = ~0ull - 31; return PROG_RUN;);
NEG(program_weights_offset_huge, ERANGE, PROG_LOCAL; p.weights_offset = 1ull << 63; return PROG_RUN;);
NEG(program_thresh_offset_at_end, ERANGE, PROG_LOCAL; p.thresh_offset = e->T.size; return PROG_RUN;);
NEG(program_thresh_range_past_end, ERANGE, PROG_LOCAL; p.thresh_offset = e->T.size - 7; return PROG_RUN;);
NEG(program_thresh_offset_wrap, ERANGE, PROG_LOCAL; p.thresh_offset = ~0ull - 3; return PROG_RUN;);

/* ---- syncs (on PROGRAM, EXEC and READBACK) -------------------------------- */

NEG(sync_out_flags, EINVAL, PROG_LOCAL; p.syncs.out.handle = e->s_empty; p.syncs.out.flags = 1; return PROG_RUN;);
NEG(sync_out_point_without_handle, EINVAL, PROG_LOCAL; p.syncs.out.point = 5; return PROG_RUN;);
NEG(sync_out_unknown, ENOENT, PROG_LOCAL; p.syncs.out.handle = 0x7fff0000; return PROG_RUN;);
NEG(sync_out_closed, ENOENT, PROG_LOCAL; p.syncs.out.handle = e->s_closed; return PROG_RUN;);
NEG(sync_out_other_fd, ENOENT, PROG_LOCAL; p.syncs.out.handle = e->s2; return PROG_RUN;);
NEG(sync_out_other_fd_timeline, ENOENT,
    PROG_LOCAL; p.syncs.out.handle = e->s2; p.syncs.out.point = 9; return PROG_RUN;);
NEG(sync_in_count_over_max, EINVAL,
    struct drm_rbnn_sync in[DRM_RBNN_MAX_IN_SYNCS + 1];
    uint32_t i;
    PROG_LOCAL;
    for (i = 0; i <= DRM_RBNN_MAX_IN_SYNCS; i++)
	    in[i] = (struct drm_rbnn_sync){ .handle = e->s_sig };
    p.syncs.in_syncs = (uintptr_t)in;
    p.syncs.in_count = DRM_RBNN_MAX_IN_SYNCS + 1;
    p.syncs.in_stride = sizeof(in[0]);
    return PROG_RUN;);
NEG(sync_in_count_max_u32, EINVAL,
    struct drm_rbnn_sync in = { .handle = e->s_sig };
    PROG_LOCAL;
    p.syncs.in_syncs = (uintptr_t)&in;
    p.syncs.in_count = ~0u;
    p.syncs.in_stride = sizeof(in);
    return PROG_RUN;);
NEG(sync_in_count_zero_with_stride, EINVAL, PROG_LOCAL; p.syncs.in_stride = 16; return PROG_RUN;);
NEG(sync_in_count_zero_with_ptr, EINVAL, PROG_LOCAL; p.syncs.in_syncs = (uintptr_t)e->pages; return PROG_RUN;);
NEG(sync_in_stride_too_small, EINVAL,
    struct drm_rbnn_sync in = { .handle = e->s_sig };
    PROG_LOCAL;
    p.syncs.in_syncs = (uintptr_t)&in;
    p.syncs.in_count = 1;
    p.syncs.in_stride = sizeof(in) - 8;
    return PROG_RUN;);
NEG(sync_in_stride_over_max, EINVAL,
    static uint8_t in[2][DRM_RBNN_MAX_STRIDE + 8];
    struct drm_rbnn_sync s = { .handle = e->s_sig };
    PROG_LOCAL;
    memset(in, 0, sizeof(in));
    memcpy(in[0], &s, sizeof(s));
    memcpy(in[1], &s, sizeof(s));
    p.syncs.in_syncs = (uintptr_t)in;
    p.syncs.in_count = 2;
    p.syncs.in_stride = sizeof(in[0]);
    return PROG_RUN;);
NEG(sync_in_stride_zero, EINVAL,
    struct drm_rbnn_sync in = { .handle = e->s_sig };
    PROG_LOCAL;
    p.syncs.in_syncs = (uintptr_t)&in;
    p.syncs.in_count = 1;
    return PROG_RUN;);
NEG(sync_in_stride_bigger_nonzero_tail, E2BIG,
    uint64_t in[3] = { e->s_sig, 0, 1 };	/* tail byte set */
    PROG_LOCAL;
    p.syncs.in_syncs = (uintptr_t)in;
    p.syncs.in_count = 1;
    p.syncs.in_stride = sizeof(in);
    return PROG_RUN;);
NEG(sync_in_ptr_null, EFAULT,
    PROG_LOCAL; p.syncs.in_count = 1; p.syncs.in_stride = 16; return PROG_RUN;);
NEG(sync_in_ptr_noaccess, EFAULT,
    PROG_LOCAL; p.syncs.in_syncs = (uintptr_t)none_page(e);
    p.syncs.in_count = 1; p.syncs.in_stride = 16; return PROG_RUN;);
NEG(sync_in_ptr_second_past_guard, EFAULT,
    struct drm_rbnn_sync *in = (void *)(rw_end(e) - sizeof(*in));
    PROG_LOCAL;
    *in = (struct drm_rbnn_sync){ .handle = e->s_sig };
    p.syncs.in_syncs = (uintptr_t)in;
    p.syncs.in_count = 2;
    p.syncs.in_stride = sizeof(*in);
    return PROG_RUN;);
NEG(sync_in_flags, EINVAL,
    struct drm_rbnn_sync in = { .handle = e->s_sig, .flags = 1 };
    PROG_LOCAL;
    p.syncs.in_syncs = (uintptr_t)&in; p.syncs.in_count = 1; p.syncs.in_stride = sizeof(in);
    return PROG_RUN;);
NEG(sync_in_unknown, ENOENT,
    struct drm_rbnn_sync in = { .handle = 0x7fff0000 };
    PROG_LOCAL;
    p.syncs.in_syncs = (uintptr_t)&in; p.syncs.in_count = 1; p.syncs.in_stride = sizeof(in);
    return PROG_RUN;);
NEG(sync_in_handle_zero, ENOENT,
    struct drm_rbnn_sync in = { .handle = 0 };
    PROG_LOCAL;
    p.syncs.in_syncs = (uintptr_t)&in; p.syncs.in_count = 1; p.syncs.in_stride = sizeof(in);
    return PROG_RUN;);
NEG(sync_in_closed, ENOENT,
    struct drm_rbnn_sync in = { .handle = e->s_closed };
    PROG_LOCAL;
    p.syncs.in_syncs = (uintptr_t)&in; p.syncs.in_count = 1; p.syncs.in_stride = sizeof(in);
    return PROG_RUN;);
NEG(sync_in_other_fd, ENOENT,
    struct drm_rbnn_sync in = { .handle = e->s2 };
    PROG_LOCAL;
    p.syncs.in_syncs = (uintptr_t)&in; p.syncs.in_count = 1; p.syncs.in_stride = sizeof(in);
    return PROG_RUN;);
NEG(sync_in_second_unknown, ENOENT,
    struct drm_rbnn_sync in[2] = { { .handle = e->s_sig }, { .handle = 0x7fff0000 } };
    PROG_LOCAL;
    p.syncs.in_syncs = (uintptr_t)in; p.syncs.in_count = 2; p.syncs.in_stride = sizeof(in[0]);
    return PROG_RUN;);
/* "a binary syncobj without a fence, or a point not yet submitted, is -EINVAL" */
NEG(sync_in_timeline_point_missing, EINVAL,
    struct drm_rbnn_sync in = { .handle = e->s_tl, .point = 5 };
    PROG_LOCAL;
    p.syncs.in_syncs = (uintptr_t)&in; p.syncs.in_count = 1; p.syncs.in_stride = sizeof(in);
    return PROG_RUN;);
NEG(sync_in_binary_point_missing, EINVAL,
    struct drm_rbnn_sync in = { .handle = e->s_sig, .point = 3 };
    PROG_LOCAL;
    p.syncs.in_syncs = (uintptr_t)&in; p.syncs.in_count = 1; p.syncs.in_stride = sizeof(in);
    return PROG_RUN;);
NEG(sync_in_no_fence, EINVAL,
    struct drm_rbnn_sync in = { .handle = e->s_empty };
    PROG_LOCAL;
    p.syncs.in_syncs = (uintptr_t)&in; p.syncs.in_count = 1; p.syncs.in_stride = sizeof(in);
    return PROG_RUN;);
NEG(exec_sync_in_unknown, ENOENT,
    struct drm_rbnn_sync in = { .handle = 0x7fff0000 };
    EXEC_LOCAL;
    x.syncs.in_syncs = (uintptr_t)&in; x.syncs.in_count = 1; x.syncs.in_stride = sizeof(in);
    return EXEC_RUN;);
NEG(exec_sync_out_point_without_handle, EINVAL,
    EXEC_LOCAL; x.syncs.out.point = 1; return EXEC_RUN;);
NEG(readback_sync_in_stride_small, EINVAL,
    struct drm_rbnn_sync in = { .handle = e->s_sig };
    struct drm_rbnn_readback r = e->rb;
    r.syncs.in_syncs = (uintptr_t)&in; r.syncs.in_count = 1; r.syncs.in_stride = 4;
    return DO(DRM_IOCTL_RBNN_READBACK, &r););
NEG(readback_sync_out_closed, ENOENT,
    struct drm_rbnn_readback r = e->rb;
    r.syncs.out.handle = e->s_closed;
    return DO(DRM_IOCTL_RBNN_READBACK, &r););

/* ---- READBACK ------------------------------------------------------------ */

#define RB_LOCAL	struct drm_rbnn_readback r = e->rb
#define RB_RUN		DO(DRM_IOCTL_RBNN_READBACK, &r)

NEG(readback_tile_out_of_range, EINVAL, RB_LOCAL; r.tile = e->dev.tiles; return RB_RUN;);
NEG(readback_tile_not_allocated, EACCES, RB_LOCAL; r.tile = e->tF; return RB_RUN;);
NEG(readback_tile_other_fd, EACCES, RB_LOCAL; r.tile = e->tO; return RB_RUN;);
NEG(readback_rows_not_programmed, EACCES, RB_LOCAL; r.row = 100; return RB_RUN;);
NEG(readback_rows_partly_programmed, EACCES, RB_LOCAL; r.row = 11; return RB_RUN;);
NEG(readback_scrub_not_programmed, EACCES,
    RB_LOCAL; r.row = 100; r.flags = DRM_RBNN_READBACK_SCRUB; return RB_RUN;);
NEG(readback_nrows_zero, EINVAL, RB_LOCAL; r.nrows = 0; return RB_RUN;);
NEG(readback_row_past_tile, EINVAL, RB_LOCAL; r.row = e->dev.rows; r.nrows = 1; return RB_RUN;);
NEG(readback_rows_past_tile, EINVAL, RB_LOCAL; r.row = e->dev.rows - 1; return RB_RUN;);
NEG(readback_rows_wrap, EINVAL, RB_LOCAL; r.row = 1; r.nrows = ~0u; return RB_RUN;);
NEG(readback_flags_unknown, EINVAL, RB_LOCAL; r.flags = 2; return RB_RUN;);
NEG(readback_pad, EINVAL, RB_LOCAL; r.pad = 1; return RB_RUN;);
NEG(readback_handle_unknown, ENOENT, RB_LOCAL; r.handle = 0x7fff0000; return RB_RUN;);
NEG(readback_handle_closed, ENOENT, RB_LOCAL; r.handle = e->closed_bo; return RB_RUN;);
NEG(readback_handle_other_fd, ENOENT, RB_LOCAL; r.handle = e->bo2; return RB_RUN;);
NEG(readback_range_past_bo, ERANGE, RB_LOCAL; r.offset = e->RB.size - e->dev.row_bytes; return RB_RUN;);
NEG(readback_offset_wrap, ERANGE, RB_LOCAL; r.offset = ~0ull - 7; return RB_RUN;);
NEG(readback_rows_bigger_than_bo, ERANGE,
    RB_LOCAL; r.row = 0; r.nrows = 12;
    r.offset = e->RB.size - 11 * e->dev.row_bytes; return RB_RUN;);

/* ---- EXEC: arguments ------------------------------------------------------ */

NEG(exec_flags, EINVAL, EXEC_LOCAL; x.flags = 1; return EXEC_RUN;);
NEG(exec_pad, EINVAL, EXEC_LOCAL; x.pad = 1; return EXEC_RUN;);
NEG(exec_layer_count_zero, EINVAL, EXEC_LOCAL; x.layer_count = 0; return EXEC_RUN;);
NEG(exec_layer_count_over_max, EINVAL,
    EXEC_LOCAL; x.layer_count = e->dev.max_layers + 1; return EXEC_RUN;);
NEG(exec_layer_count_u32_max, EINVAL, EXEC_LOCAL; x.layer_count = ~0u; return EXEC_RUN;);
NEG(exec_layer_stride_small, EINVAL,
    EXEC_LOCAL; x.layer_stride = sizeof(struct drm_rbnn_layer) - 4; return EXEC_RUN;);
NEG(exec_layer_stride_zero, EINVAL, EXEC_LOCAL; x.layer_stride = 0; return EXEC_RUN;);
NEG(exec_layer_stride_bigger_nonzero_tail, E2BIG,
    uint8_t big[3][sizeof(struct drm_rbnn_layer) + 8];
    uint32_t i;
    EXEC_LOCAL;
    memset(big, 0, sizeof(big));
    for (i = 0; i < 3; i++)
	    memcpy(big[i], &L[i], sizeof(L[i]));
    big[1][sizeof(struct drm_rbnn_layer) + 3] = 1;
    x.layers = (uintptr_t)big;
    x.layer_stride = sizeof(big[0]);
    return EXEC_RUN;);
/*
 * Over the stride cap, with every element's tail zero: only the cap can
 * refuse these (a kernel without it copies them fine).
 */
#define BIG_STRIDE	(DRM_RBNN_MAX_STRIDE + 8)
static uint8_t big_elems[SEL_MAX_LAYERS][BIG_STRIDE];
NEG(exec_layer_stride_over_max, EINVAL,
    uint32_t i;
    EXEC_LOCAL;
    memset(big_elems, 0, sizeof(big_elems));
    for (i = 0; i < x.layer_count; i++)
	    memcpy(big_elems[i], &L[i], sizeof(L[i]));
    x.layers = (uintptr_t)big_elems;
    x.layer_stride = BIG_STRIDE;
    return EXEC_RUN;);
NEG(exec_layer_stride_u32_max, EINVAL, EXEC_LOCAL; x.layer_stride = ~0u; return EXEC_RUN;);
NEG(exec_seg_stride_over_max, EINVAL,
    uint32_t i;
    EXEC_LOCAL;
    memset(big_elems, 0, sizeof(big_elems));
    for (i = 0; i < x.seg_count && i < SEL_MAX_LAYERS; i++)
	    memcpy(big_elems[i], &S[i], sizeof(S[i]));
    x.segments = (uintptr_t)big_elems;
    x.seg_stride = BIG_STRIDE;
    return x.seg_count <= SEL_MAX_LAYERS ? EXEC_RUN : -ENOSPC;);
NEG(exec_seg_stride_small, EINVAL,
    EXEC_LOCAL; x.seg_stride = sizeof(struct drm_rbnn_segment) - 1; return EXEC_RUN;);
NEG(exec_seg_stride_bigger_nonzero_tail, E2BIG,
    uint8_t big[2][sizeof(struct drm_rbnn_segment) + 8];
    EXEC_LOCAL;
    memset(big, 0, sizeof(big));
    memcpy(big[0], &S[0], sizeof(S[0]));
    memcpy(big[1], &S[1], sizeof(S[1]));
    big[0][sizeof(struct drm_rbnn_segment) + 7] = 0x80;
    x.segments = (uintptr_t)big;
    x.seg_stride = sizeof(big[0]);
    return EXEC_RUN;);
NEG(exec_seg_count_over_max, EINVAL,
    EXEC_LOCAL; x.seg_count = DRM_RBNN_MAX_SEGMENTS + 1; return EXEC_RUN;);
NEG(exec_seg_count_more_than_layers, EINVAL,
    EXEC_LOCAL; S[2] = S[1]; x.seg_count = 3; return EXEC_RUN;);
NEG(exec_seg_count_less_than_layers, EINVAL, EXEC_LOCAL; x.seg_count = 1; return EXEC_RUN;);
NEG(exec_layers_ptr_null, EFAULT, EXEC_LOCAL; x.layers = 0; return EXEC_RUN;);
NEG(exec_layers_ptr_kernel, EFAULT, EXEC_LOCAL; x.layers = KPTR; return EXEC_RUN;);
NEG(exec_layers_last_past_guard, EFAULT,
    struct drm_rbnn_layer *g = (void *)(rw_end(e) - 2 * sizeof(*g));
    EXEC_LOCAL;
    memcpy(g, L, 2 * sizeof(*g));	/* layer 2 is in the PROT_NONE page */
    x.layers = (uintptr_t)g;
    return EXEC_RUN;);
NEG(exec_segments_ptr_null, EFAULT, EXEC_LOCAL; x.segments = 0; return EXEC_RUN;);
NEG(exec_segments_ptr_noaccess, EFAULT,
    EXEC_LOCAL; x.segments = (uintptr_t)none_page(e); return EXEC_RUN;);
NEG(exec_in_channels_zero, EINVAL, EXEC_LOCAL; x.in_channels = 0; return EXEC_RUN;);
NEG(exec_in_length_zero, EINVAL, EXEC_LOCAL; x.in_length = 0; return EXEC_RUN;);
NEG(exec_in_bits_zero, EINVAL, EXEC_LOCAL; x.in_bits = 0; return EXEC_RUN;);
NEG(exec_in_bits_nine, EINVAL, EXEC_LOCAL; x.in_bits = 9; return EXEC_RUN;);
NEG(exec_batch_zero, EINVAL, EXEC_LOCAL; x.batch = 0; return EXEC_RUN;);
NEG(exec_batch_over_max, EINVAL, EXEC_LOCAL; x.batch = e->dev.max_batch + 1; return EXEC_RUN;);
NEG(exec_in_channels_mismatch, EINVAL, EXEC_LOCAL; x.in_channels = 3; return EXEC_RUN;);
NEG(exec_in_length_mismatch, EINVAL, EXEC_LOCAL; x.in_length = 17; return EXEC_RUN;);

/* ---- EXEC: layer fields ---------------------------------------------------- */

NEG(exec_layer_op_zero, EINVAL, EXEC_LOCAL; L[2].op = 0; return EXEC_RUN;);
NEG(exec_layer_op_unknown, EINVAL, EXEC_LOCAL; L[2].op = 4; return EXEC_RUN;);
NEG(exec_layer_out_mode_unknown, EINVAL, EXEC_LOCAL; L[2].out_mode = 2; return EXEC_RUN;);
NEG(exec_scores_not_last, EINVAL, EXEC_LOCAL; L[0].out_mode = DRM_RBNN_OUT_SCORES; return EXEC_RUN;);
NEG(exec_layer_reserved, EINVAL, EXEC_LOCAL; L[1].reserved = 1; return EXEC_RUN;);
NEG(exec_layer_reserved2, EINVAL, EXEC_LOCAL; L[2].reserved2 = 0x100; return EXEC_RUN;);
NEG(exec_chain_channels, EINVAL, EXEC_LOCAL; L[1].in_channels = 7; L[1].out_channels = 7; return EXEC_RUN;);
NEG(exec_chain_length, EINVAL, EXEC_LOCAL; L[2].in_length = 9; return EXEC_RUN;);
NEG(exec_conv_out_length_wrong, EINVAL, EXEC_LOCAL; L[0].out_length = 15; return EXEC_RUN;);
NEG(exec_conv_kernel_zero, EINVAL, EXEC_LOCAL; L[0].kernel = 0; return EXEC_RUN;);
NEG(exec_conv_stride_zero, EINVAL, EXEC_LOCAL; L[0].stride = 0; return EXEC_RUN;);
NEG(exec_conv_pad_equals_kernel, EINVAL,
    EXEC_LOCAL; L[0].pad = 3; L[0].out_length = (16 + 6 - 3) / 1 + 1; return EXEC_RUN;);
NEG(exec_conv_kernel_longer_than_input, EINVAL,
    EXEC_LOCAL; L[0].kernel = 19; L[0].pad = 1; L[0].out_length = 0; return EXEC_RUN;);
NEG(exec_conv_kernel_over_u16, EINVAL,
    EXEC_LOCAL; L[0].kernel = 65536 + 3; return EXEC_RUN;);
NEG(exec_conv_seg_count_zero, EINVAL,
    EXEC_LOCAL; L[0].seg_count = 0; S[0] = S[1]; x.seg_count = 1; return EXEC_RUN;);
NEG(exec_conv_out_channels_zero, EINVAL,
    EXEC_LOCAL; L[0].out_channels = 0; L[1].in_channels = 0; L[1].out_channels = 0;
    return EXEC_RUN;);
NEG(exec_fc_out_length_two, EINVAL, EXEC_LOCAL; L[2].out_length = 2; return EXEC_RUN;);
NEG(exec_fc_kernel_nonzero, EINVAL, EXEC_LOCAL; L[2].kernel = 1; return EXEC_RUN;);
NEG(exec_fc_stride_nonzero, EINVAL, EXEC_LOCAL; L[2].stride = 1; return EXEC_RUN;);
NEG(exec_fc_pad_nonzero, EINVAL, EXEC_LOCAL; L[2].pad = 1; return EXEC_RUN;);
NEG(exec_fc_out_channels_zero, EINVAL, EXEC_LOCAL; L[2].out_channels = 0; return EXEC_RUN;);
NEG(exec_fc_seg_count_zero, EINVAL,
    EXEC_LOCAL; L[2].seg_count = 0; x.seg_count = 1; return EXEC_RUN;);
NEG(exec_maxpool_pad, EINVAL, EXEC_LOCAL; L[1].pad = 1; return EXEC_RUN;);
NEG(exec_maxpool_out_channels, EINVAL,
    EXEC_LOCAL; L[1].out_channels = 4; L[2].in_channels = 4; return EXEC_RUN;);
NEG(exec_maxpool_with_segments, EINVAL,
    EXEC_LOCAL; L[1].seg_count = 1; S[2] = S[1]; S[1] = S[0]; x.seg_count = 3;
    return EXEC_RUN;);
NEG(exec_maxpool_kernel_zero, EINVAL, EXEC_LOCAL; L[1].kernel = 0; return EXEC_RUN;);
NEG(exec_maxpool_stride_zero, EINVAL, EXEC_LOCAL; L[1].stride = 0; return EXEC_RUN;);
NEG(exec_maxpool_kernel_longer_than_input, EINVAL,
    EXEC_LOCAL; L[1].kernel = 17; L[1].out_length = 0; return EXEC_RUN;);
NEG(exec_maxpool_out_length_wrong, EINVAL,
    EXEC_LOCAL; L[1].out_length = 7; L[2].in_length = 7; return EXEC_RUN;);
NEG(exec_maxpool_scores_last, EINVAL,
    /* CONV1D -> MAXPOOL1D (SCORES): only FC and CONV1D give scores */
    EXEC_LOCAL; L[1].out_mode = DRM_RBNN_OUT_SCORES; x.layer_count = 2; x.seg_count = 1;
    return EXEC_RUN;);
NEG(exec_maxpool_first_bit_serial, EINVAL,
    /* multi-bit input into MAXPOOL1D: bit-serial inputs go to FC/CONV1D */
    EXEC_LOCAL;
    L[0] = L[1];
    L[0].in_channels = 2; L[0].out_channels = 2; L[0].in_length = 16; L[0].out_length = 8;
    L[1] = L[2];
    L[1].in_channels = 2; L[1].in_length = 8;
    S[0] = S[1];
    x.layer_count = 2; x.seg_count = 1; x.in_bits = 4;
    return EXEC_RUN;);

/* ---- EXEC: segments ----------------------------------------------------------- */

NEG(exec_seg_tile_out_of_range, EINVAL, EXEC_LOCAL; S[0].tile = e->dev.tiles; return EXEC_RUN;);
NEG(exec_seg_tile_not_allocated, EACCES, EXEC_LOCAL; S[0].tile = e->tF; return EXEC_RUN;);
NEG(exec_seg_tile_other_fd, EACCES, EXEC_LOCAL; S[1].tile = e->tO; return EXEC_RUN;);
NEG(exec_seg_tile_freed, EACCES,
    /* tB rows 8..11 are programmed: valid until tB is freed */
    EXEC_LOCAL; S[1].tile = e->tB;
    if (sel_tile_free(e->fd, e->tB))
	    return 1;
    return EXEC_RUN;);
NEG(exec_seg_rows_not_programmed, EACCES, EXEC_LOCAL; S[0].row = 100; return EXEC_RUN;);
NEG(exec_seg_rows_partly_programmed, EACCES, EXEC_LOCAL; S[1].row = 10; return EXEC_RUN;);
NEG(exec_seg_bits_rows_without_thresholds, EACCES,
    /* rows 32..39 are programmed but their thresholds never loaded */
    EXEC_LOCAL; S[0].row = 32; return EXEC_RUN;);
NEG(exec_seg_rows_past_tile, EINVAL,
    EXEC_LOCAL; S[0].row = e->dev.rows - 4; return EXEC_RUN;);
NEG(exec_seg_row_over_u32, EINVAL, EXEC_LOCAL; S[0].row = ~0u - 2; return EXEC_RUN;);
NEG(exec_seg_out_range, EINVAL,
    EXEC_LOCAL; S[0].out_first = 1; return EXEC_RUN;);
NEG(exec_seg_out_count_zero, EINVAL, EXEC_LOCAL; S[1].out_count = 0; return EXEC_RUN;);
NEG(exec_seg_out_first_wrap, EINVAL,
    EXEC_LOCAL; S[1].out_first = ~0u - 1; S[1].out_count = 6; return EXEC_RUN;);
NEG(exec_seg_block_out_of_range, EINVAL, EXEC_LOCAL; S[1].block = 1; return EXEC_RUN;);
NEG(exec_seg_reserved, EINVAL, EXEC_LOCAL; S[0].reserved = 1; return EXEC_RUN;);
NEG(exec_coverage_gap, EINVAL, EXEC_LOCAL; S[0].out_count = 7; return EXEC_RUN;);
NEG(exec_coverage_gap_two_segments, EINVAL,
    /* [0,3) + [4,8): output 3 is not covered */
    EXEC_LOCAL;
    S[2] = S[1];
    S[1] = S[0];
    S[0].out_count = 3;
    S[1].out_first = 4; S[1].out_count = 4; S[1].row = 4;
    L[0].seg_count = 2; x.seg_count = 3;
    return EXEC_RUN;);
NEG(exec_coverage_duplicate, EINVAL,
    /* [0,4) twice: the total is right, outputs 4..7 are not covered */
    EXEC_LOCAL;
    S[2] = S[1];
    S[0].out_count = 4;
    S[1] = S[0];
    S[1].row = 4;
    L[0].seg_count = 2; x.seg_count = 3;
    return EXEC_RUN;);
NEG(exec_coverage_overlap, EINVAL,
    /* [0,5) + [4,8) */
    EXEC_LOCAL;
    S[2] = S[1];
    S[1] = S[0];
    S[0].out_count = 5;
    S[1].out_first = 4; S[1].out_count = 4; S[1].row = 4;
    L[0].seg_count = 2; x.seg_count = 3;
    return EXEC_RUN;);

/* ---- EXEC: buffers and the activation buffer ------------------------------ */

NEG(exec_in_handle_unknown, ENOENT, EXEC_LOCAL; x.in_handle = 0x7fff0000; return EXEC_RUN;);
NEG(exec_in_handle_zero, ENOENT, EXEC_LOCAL; x.in_handle = 0; return EXEC_RUN;);
NEG(exec_in_handle_other_fd, ENOENT, EXEC_LOCAL; x.in_handle = e->bo2; return EXEC_RUN;);
NEG(exec_out_handle_closed, ENOENT, EXEC_LOCAL; x.out_handle = e->closed_bo; return EXEC_RUN;);
NEG(exec_out_handle_unknown, ENOENT, EXEC_LOCAL; x.out_handle = 0x7fff0000; return EXEC_RUN;);
NEG(exec_in_bo_too_small, ERANGE,
    EXEC_LOCAL; x.batch = BIGBO / e->net.in_bytes + 1; return EXEC_RUN;);
NEG(exec_out_bo_too_small, ERANGE,
    EXEC_LOCAL; x.batch = BIGBO / e->net.out_bytes + 1; return EXEC_RUN;);
NEG(exec_in_offset_at_end, ERANGE, EXEC_LOCAL; x.in_offset = BIGBO; return EXEC_RUN;);
NEG(exec_in_offset_wrap, ERANGE, EXEC_LOCAL; x.in_offset = ~0ull - 15; return EXEC_RUN;);
NEG(exec_out_offset_past_end, ERANGE, EXEC_LOCAL; x.out_offset = BIGBO - 16; return EXEC_RUN;);
NEG(exec_out_offset_wrap, ERANGE, EXEC_LOCAL; x.out_offset = ~0ull - 8; return EXEC_RUN;);
NEG(exec_in_out_overlap_same_bo, EINVAL,
    EXEC_LOCAL; x.out_handle = x.in_handle; x.out_offset = 8; return EXEC_RUN;);
NEG(exec_out_item_over_half_act_buf, EINVAL,
    /* FC scores item of 4 * O bytes > act_buf_size / 2 */
    EXEC_LOCAL; L[2].out_channels = e->dev.act_buf_size / 8 + 1; return EXEC_RUN;);
NEG(exec_mid_item_over_half_act_buf, EINVAL,
    /* a CONV1D layer whose bit output item does not fit */
    EXEC_LOCAL;
    L[0].out_channels = e->dev.act_buf_size * 4 / 16 + 8;
    L[1].in_channels = L[0].out_channels; L[1].out_channels = L[0].out_channels;
    L[2].in_channels = L[0].out_channels;
    return EXEC_RUN;);
NEG(exec_in_item_over_half_act_buf, EINVAL,
    /* Card rule: one input item must fit in ACT_BUF_SIZE / 2 (it is
     * staged there). CONV1D K=1 on 8-bit inputs of act_buf/2 + 8 bytes;
     * everything else valid (row 0 of tA is programmed with a threshold). */
    EXEC_LOCAL;
    uint32_t len = e->dev.act_buf_size / 2 + 8;
    L[0] = (struct drm_rbnn_layer){ .op = DRM_RBNN_LAYER_CONV1D,
				    .out_mode = DRM_RBNN_OUT_BITS,
				    .in_channels = 1, .in_length = len,
				    .out_channels = 1, .out_length = len,
				    .kernel = 1, .stride = 1, .seg_count = 1 };
    S[0].out_count = 1;
    x.layer_count = 1; x.seg_count = 1;
    x.in_channels = 1; x.in_length = len; x.in_bits = 8; x.batch = 1;
    return EXEC_RUN;);

/* ---- JOB_INFO ------------------------------------------------------------------ */

NEG(job_info_seqno_zero, EINVAL,
    struct drm_rbnn_job_info ji = { .seqno = 0 };
    return DO(DRM_IOCTL_RBNN_JOB_INFO, &ji););
NEG(job_info_seqno_never_returned, EINVAL,
    struct drm_rbnn_job_info ji = { .seqno = e->last + 1 };
    return DO(DRM_IOCTL_RBNN_JOB_INFO, &ji););
NEG(job_info_seqno_max, EINVAL,
    struct drm_rbnn_job_info ji = { .seqno = ~0ull };
    return DO(DRM_IOCTL_RBNN_JOB_INFO, &ji););
NEG(job_info_seqno_of_other_fd, EINVAL,
    /* fd2 returned e->last2 > fd's last: unknown to fd */
    struct drm_rbnn_job_info ji = { .seqno = e->last2 };
    return DO(DRM_IOCTL_RBNN_JOB_INFO, &ji););
NEG(job_info_flags, EINVAL,
    struct drm_rbnn_job_info ji = { .seqno = e->last, .flags = 1 };
    return DO(DRM_IOCTL_RBNN_JOB_INFO, &ji););
NEG(job_info_reserved, EINVAL,
    struct drm_rbnn_job_info ji = { .seqno = e->last, .reserved = 1 };
    return DO(DRM_IOCTL_RBNN_JOB_INFO, &ji););

/* ---- the ioctl argument itself ---------------------------------------------------- */

NEG(arg_null_query, EFAULT, return DO(DRM_IOCTL_RBNN_QUERY, NULL););
NEG(arg_null_bo_create, EFAULT, return DO(DRM_IOCTL_RBNN_BO_CREATE, NULL););
NEG(arg_null_bo_info, EFAULT, return DO(DRM_IOCTL_RBNN_BO_INFO, NULL););
NEG(arg_null_bo_wait, EFAULT, return DO(DRM_IOCTL_RBNN_BO_WAIT, NULL););
NEG(arg_null_tile_alloc, EFAULT, return DO(DRM_IOCTL_RBNN_TILE_ALLOC, NULL););
NEG(arg_null_tile_free, EFAULT, return DO(DRM_IOCTL_RBNN_TILE_FREE, NULL););
NEG(arg_null_program, EFAULT, return DO(DRM_IOCTL_RBNN_PROGRAM, NULL););
NEG(arg_null_exec, EFAULT, return DO(DRM_IOCTL_RBNN_EXEC, NULL););
NEG(arg_null_readback, EFAULT, return DO(DRM_IOCTL_RBNN_READBACK, NULL););
NEG(arg_null_job_info, EFAULT, return DO(DRM_IOCTL_RBNN_JOB_INFO, NULL););
NEG(arg_noaccess_exec, EFAULT, return DO(DRM_IOCTL_RBNN_EXEC, none_page(e)););
NEG(arg_null_admin, EFAULT, return DO(DRM_IOCTL_RBNN_ADMIN, NULL););
NEG(admin_op_zero, EINVAL,
    struct drm_rbnn_admin a = {};
    return DO(DRM_IOCTL_RBNN_ADMIN, &a););
NEG(admin_op_unknown, EINVAL,
    struct drm_rbnn_admin a = { .op = 3 };
    return DO(DRM_IOCTL_RBNN_ADMIN, &a););
NEG(admin_flags, EINVAL,
    struct drm_rbnn_admin a = { .op = DRM_RBNN_ADMIN_SCRUB, .flags = 1 };
    return DO(DRM_IOCTL_RBNN_ADMIN, &a););
NEG(admin_reset_tile, EINVAL,
    struct drm_rbnn_admin a = { .op = DRM_RBNN_ADMIN_RESET, .tile = 1 };
    return DO(DRM_IOCTL_RBNN_ADMIN, &a););
NEG(admin_scrub_tile_range, EINVAL,
    struct drm_rbnn_admin a = { .op = DRM_RBNN_ADMIN_SCRUB,
				.tile = e->dev.tiles };
    return DO(DRM_IOCTL_RBNN_ADMIN, &a););
NEG(ioctl_unknown_nr, EINVAL,
    struct drm_rbnn_query q = {};
    return DO(DRM_IOWR(DRM_COMMAND_BASE + 0x0b, struct drm_rbnn_query), &q););
NEG(ioctl_unknown_nr_high, EINVAL,
    struct drm_rbnn_query q = {};
    return DO(DRM_IOWR(DRM_COMMAND_BASE + 0x5f, struct drm_rbnn_query), &q););

/* ---- the test ------------------------------------------------------------------------ */

static const char *errname(int e)
{
	switch (-e) {
	case 0: return "0";
	case EINVAL: return "-EINVAL";
	case ENOENT: return "-ENOENT";
	case EFAULT: return "-EFAULT";
	case ENOSPC: return "-ENOSPC";
	case EACCES: return "-EACCES";
	case ECANCELED: return "-ECANCELED";
	case ENODEV: return "-ENODEV";
	case EBUSY: return "-EBUSY";
	case ETIMEDOUT: return "-ETIMEDOUT";
	case ERANGE: return "-ERANGE";
	case E2BIG: return "-E2BIG";
	case ENOMEM: return "-ENOMEM";
	case ENOTTY: return "-ENOTTY";
	default: return "?";
	}
}

TEST_F(neg, case)
{
	struct env *e = &self->e;
	struct drm_rbnn_query_counters c1;
	struct sel_tiles t1, t1b;
	struct drm_rbnn_job_info ji;
	struct sel_bo *bos[] = { &e->W, &e->T, &e->IN, &e->OUT, &e->RB };
	uint64_t seq;
	uint32_t i, bad;
	int ret;

	ret = variant->fn(e);
	ASSERT_TRUE(e->snapped) TH_LOG("the case did not reach its ioctl (prep failed: %d)", ret);
	EXPECT_EQ(variant->expect, ret)
		TH_LOG("expected %s, got %d (%s)", errname(variant->expect), ret,
		       errname(ret));
	if (!ret) {
		/* The bad call was accepted: say what became of its job. */
		if (!sel_job_wait(e->fd, e->last + 1, &ji, 5000))
			TH_LOG("the accepted job %llu ended with status %d, hw_status %u, hw_detail %u",
			       (unsigned long long)ji.seqno, ji.status,
			       ji.hw_status, ji.hw_detail);
	}

	/* Nothing changed: no job, same tiles, BOs valid, no seqno used. */
	ASSERT_EQ(0, sel_counters(e->fd, &c1));
	EXPECT_EQ(e->c0.jobs_submitted, c1.jobs_submitted);
	ASSERT_EQ(0, sel_query_tiles(e->fd, &t1));
	ASSERT_EQ(0, sel_query_tiles(e->fd2, &t1b));
	for (i = 0; i < t1.hdr.count; i++) {
		EXPECT_EQ(e->t0.t[i].state, t1.t[i].state)
			TH_LOG("tile %u state changed (fd)", i);
		EXPECT_EQ(e->t0.t[i].rows_programmed, t1.t[i].rows_programmed)
			TH_LOG("tile %u rows_programmed changed", i);
		EXPECT_EQ(e->t0b.t[i].state, t1b.t[i].state)
			TH_LOG("tile %u state changed (fd2)", i);
	}
	for (i = 0; i < SEL_ARRAY_SIZE(bos); i++) {
		struct drm_rbnn_bo_info bi = { .handle = bos[i]->handle };

		EXPECT_EQ(0, sel_ioctl(e->fd, DRM_IOCTL_RBNN_BO_INFO, &bi));
		EXPECT_EQ(bos[i]->size, bi.size);
	}

	/* A valid job still works, and gets the next sequence number. */
	memset(e->OUT.map, 0xee, 4096);
	ASSERT_EQ(0, sel_ioctl(e->fd, DRM_IOCTL_RBNN_EXEC, &e->x));
	seq = e->x.seqno;
	if (!ret)
		TH_LOG("seqno %llu after a bad call that was accepted",
		       (unsigned long long)seq);
	else
		EXPECT_EQ(e->last + 1, seq);
	ASSERT_EQ(0, sel_job_wait(e->fd, seq, &ji, 20000));
	EXPECT_EQ(0, ji.status);
	if (e->exact) {
		bad = sel_net_check(&e->net, e->x.batch, e->IN.map, e->OUT.map);
		EXPECT_EQ(0, bad);
	}
	EXPECT_EQ(0xee, e->OUT.map[e->x.batch * e->net.out_bytes]);
}

TEST_HARNESS_MAIN
