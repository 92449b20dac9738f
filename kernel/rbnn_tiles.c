// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * rbnn: tile ownership, row isolation, PROGRAM and READBACK.
 *
 * A file allocates tiles; nobody else can submit jobs on them. Freed tiles
 * are not erased (erasing would cost a program cycle of wear per row):
 * instead the driver remembers, per tile and row, whether the current owner
 * programmed the row (and loaded its threshold) since it got the tile.
 * EXEC and READBACK of rows the owner has not programmed are refused with
 * -EACCES at submission; a row whose PROGRAM failed is refused when the job
 * that needs it runs (-ECANCELED), since jobs that read rows wait for the
 * context's last row-changing job to finish. So a tenant can never read, or
 * compute with, weights or thresholds left by a previous tenant.
 *
 * The one exception is the administrator's scrub (debugfs "scrub", root
 * only): a REFRESH of whole tiles whoever owns them. It reads no data out
 * and writes back what the card sensed, so the owner's rows stay valid;
 * if it fails (aborted by a reset), the owner's rows are invalidated as
 * after a failed PROGRAM of them.
 */

#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_managed.h>

#include "rbnn_drv.h"

static void rbnn_tiles_free_maps(struct drm_device *drm, void *maps)
{
	kvfree(maps);
}

/**
 * rbnn_tiles_init() - allocate the per-tile state
 * @rdev: the card
 *
 * Return: 0 or -ENOMEM.
 */
int rbnn_tiles_init(struct rbnn_device *rdev)
{
	size_t longs = BITS_TO_LONGS(rdev->rows);
	unsigned long *maps;
	u32 t;

	rdev->tiles = drmm_kcalloc(&rdev->drm, rdev->ntiles,
				   sizeof(*rdev->tiles), GFP_KERNEL);
	if (!rdev->tiles)
		return -ENOMEM;
	/* Up to 32 MiB for the largest geometry: not one kmalloc. */
	maps = kvcalloc(4 * longs * rdev->ntiles, sizeof(long), GFP_KERNEL);
	if (!maps)
		return -ENOMEM;
	if (drmm_add_action_or_reset(&rdev->drm, rbnn_tiles_free_maps, maps))
		return -ENOMEM;
	for (t = 0; t < rdev->ntiles; t++) {
		struct rbnn_tile *tile = &rdev->tiles[t];

		tile->prog_pending = maps;
		tile->prog_valid = maps + longs;
		tile->thr_pending = maps + 2 * longs;
		tile->thr_valid = maps + 3 * longs;
		maps += 4 * longs;
	}
	return 0;
}

static bool rbnn_rows_all(const unsigned long *map, u32 row, u32 nrows)
{
	return find_next_zero_bit(map, row + nrows, row) >= row + nrows;
}

/* The tile becomes free. Caller holds tile_lock. */
/* A tile and its wear, for TILE_ALLOC's least-worn-first order. */
struct rbnn_tile_order {
	u64 wear;
	u32 tile;
};

static int rbnn_tile_order_cmp(const void *a, const void *b)
{
	const struct rbnn_tile_order *x = a, *y = b;

	if (x->wear != y->wear)
		return x->wear < y->wear ? -1 : 1;
	return x->tile < y->tile ? -1 : x->tile > y->tile;
}

static void rbnn_tile_put(struct rbnn_tile *tile)
{
	if (tile->inflight) {
		tile->releasing = true;
	} else {
		tile->owner = NULL;
		tile->releasing = false;
	}
}

/**
 * rbnn_job_add_range() - record rows a job uses
 * @job: the job
 * @tile: tile (< number of tiles, checked by the caller)
 * @row: first row
 * @nrows: rows
 * @thresh: the rows' thresholds are needed (EXEC) or loaded (PROGRAM)
 */
void rbnn_job_add_range(struct rbnn_job *job, u32 tile, u32 row, u32 nrows,
			bool thresh)
{
	struct rbnn_range *r = &job->ranges[job->nranges++];

	r->tile = tile;
	r->row = row;
	r->nrows = nrows;
	r->thresh = thresh;
	__set_bit(tile, job->tiles);
}

/**
 * rbnn_tiles_commit() - check tile ownership and rows, then account the job
 * @job: the job
 *
 * Return: 0, or -EACCES if a tile is not owned by the job's context or
 * (EXEC, READBACK) a row was not programmed by it.
 */
int rbnn_tiles_commit(struct rbnn_job *job)
{
	struct rbnn_device *rdev = job->rdev;
	unsigned long flags;
	u32 i, t;
	int ret = 0;

	spin_lock_irqsave(&rdev->tile_lock, flags);
	for (i = 0; i < job->nranges; i++) {
		struct rbnn_range *r = &job->ranges[i];
		struct rbnn_tile *tile = &rdev->tiles[r->tile];

		if (job->admin)
			continue;
		if (tile->owner != job->ctx || tile->releasing) {
			ret = -EACCES;
			goto out;
		}
		if (job->reads_rows &&
		    (!rbnn_rows_all(tile->prog_pending, r->row, r->nrows) ||
		     (r->thresh &&
		      !rbnn_rows_all(tile->thr_pending, r->row, r->nrows)))) {
			ret = -EACCES;
			goto out;
		}
	}
	if (job->type == RBNN_JOB_PROGRAM) {
		struct rbnn_range *r = &job->ranges[0];
		struct rbnn_tile *tile = &rdev->tiles[r->tile];

		bitmap_set(tile->prog_pending, r->row, r->nrows);
		if (r->thresh)
			bitmap_set(tile->thr_pending, r->row, r->nrows);
	}
	for_each_set_bit(t, job->tiles, rdev->ntiles)
		rdev->tiles[t].inflight++;
out:
	spin_unlock_irqrestore(&rdev->tile_lock, flags);
	return ret;
}

/**
 * rbnn_tiles_check_run() - may the job run now?
 * @job: the job, whose earlier row-changing jobs have all finished
 *
 * Return: false if rows the job reads are no longer valid (a PROGRAM of
 * them failed).
 */
bool rbnn_tiles_check_run(struct rbnn_job *job)
{
	struct rbnn_device *rdev = job->rdev;
	unsigned long flags;
	bool ok = true;
	u32 i;

	if (!job->reads_rows)
		return true;
	spin_lock_irqsave(&rdev->tile_lock, flags);
	for (i = 0; i < job->nranges && ok; i++) {
		struct rbnn_range *r = &job->ranges[i];
		struct rbnn_tile *tile = &rdev->tiles[r->tile];

		ok = tile->owner == job->ctx &&
		     rbnn_rows_all(tile->prog_valid, r->row, r->nrows) &&
		     (!r->thresh ||
		      rbnn_rows_all(tile->thr_valid, r->row, r->nrows));
	}
	spin_unlock_irqrestore(&rdev->tile_lock, flags);
	return ok;
}

/**
 * rbnn_tiles_job_done() - a job finished: update rows and tile accounting
 * @job: the job
 * @ok: it succeeded
 *
 * May be called in interrupt context.
 */
void rbnn_tiles_job_done(struct rbnn_job *job, bool ok)
{
	struct rbnn_device *rdev = job->rdev;
	unsigned long flags;
	u32 t;

	spin_lock_irqsave(&rdev->tile_lock, flags);
	if (job->writes_rows) {
		struct rbnn_range *r = &job->ranges[0];
		struct rbnn_tile *tile = &rdev->tiles[r->tile];

		if (!ok && tile->owner &&
		    (tile->owner == job->ctx || job->admin)) {
			/* Aborted or failed: the rows' contents are unknown. */
			bitmap_clear(tile->prog_valid, r->row, r->nrows);
			if (r->thresh)
				bitmap_clear(tile->thr_valid, r->row, r->nrows);
		} else if (tile->owner == job->ctx &&
			   job->type == RBNN_JOB_PROGRAM) {
			bitmap_set(tile->prog_valid, r->row, r->nrows);
			if (r->thresh)
				bitmap_set(tile->thr_valid, r->row, r->nrows);
		}
	}
	for_each_set_bit(t, job->tiles, rdev->ntiles) {
		struct rbnn_tile *tile = &rdev->tiles[t];

		if (!--tile->inflight && tile->releasing)
			rbnn_tile_put(tile);
	}
	spin_unlock_irqrestore(&rdev->tile_lock, flags);
}

/**
 * rbnn_tiles_release_ctx() - free every tile of a closing file
 * @ctx: its context
 */
void rbnn_tiles_release_ctx(struct rbnn_ctx *ctx)
{
	struct rbnn_device *rdev = ctx->rdev;
	unsigned long flags;
	u32 t;

	spin_lock_irqsave(&rdev->tile_lock, flags);
	for (t = 0; t < rdev->ntiles; t++) {
		struct rbnn_tile *tile = &rdev->tiles[t];

		if (tile->owner == ctx && !tile->releasing)
			rbnn_tile_put(tile);
	}
	spin_unlock_irqrestore(&rdev->tile_lock, flags);
}

/**
 * rbnn_tiles_count() - free and used tiles
 * @rdev: the card
 * @nfree: free tiles
 * @nused: allocated (or being released) tiles
 */
void rbnn_tiles_count(struct rbnn_device *rdev, u32 *nfree, u32 *nused)
{
	unsigned long flags;
	u32 t, used = 0;

	spin_lock_irqsave(&rdev->tile_lock, flags);
	for (t = 0; t < rdev->ntiles; t++)
		used += !!rdev->tiles[t].owner;
	spin_unlock_irqrestore(&rdev->tile_lock, flags);
	*nused = used;
	*nfree = rdev->ntiles - used;
}

int rbnn_ioctl_tile_alloc(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	struct rbnn_device *rdev = to_rbnn_device(drm);
	struct drm_rbnn_tile_alloc *args = data;
	struct rbnn_ctx *ctx = file->driver_priv;
	struct rbnn_tile_order *order = NULL;
	unsigned long flags;
	u32 *out = NULL;
	u32 i, t, nfree = 0;
	int ret = 0;

	if (args->flags || !args->count || args->count > rdev->ntiles)
		return -EINVAL;

	order = kcalloc(rdev->ntiles, sizeof(*order), GFP_KERNEL);
	out = kcalloc(args->count, sizeof(*out), GFP_KERNEL);
	if (!order || !out) {
		ret = -ENOMEM;
		goto out_free;
	}
	/*
	 * Wear snapshot (sum of the rows' program cycles), sorted outside the
	 * lock: the least worn first, ties to the lowest index.
	 */
	for (t = 0; t < rdev->ntiles; t++) {
		struct rbnn_wear w;

		ret = rbnn_read_wear(rdev, t, &w);
		if (ret)
			goto out_free;
		order[t].wear = w.cycles_sum;
		order[t].tile = t;
	}
	sort(order, rdev->ntiles, sizeof(*order), rbnn_tile_order_cmp, NULL);

	spin_lock_irqsave(&rdev->tile_lock, flags);
	for (t = 0; t < rdev->ntiles; t++)
		nfree += !rdev->tiles[t].owner;
	if (nfree < args->count) {
		spin_unlock_irqrestore(&rdev->tile_lock, flags);
		ret = -ENOSPC;
		goto out_free;
	}
	for (i = 0, t = 0; i < args->count; t++) {
		u32 best = order[t].tile;

		if (rdev->tiles[best].owner)
			continue;
		rdev->tiles[best].owner = ctx;
		rdev->tiles[best].releasing = false;
		bitmap_zero(rdev->tiles[best].prog_pending, rdev->rows);
		bitmap_zero(rdev->tiles[best].prog_valid, rdev->rows);
		bitmap_zero(rdev->tiles[best].thr_pending, rdev->rows);
		bitmap_zero(rdev->tiles[best].thr_valid, rdev->rows);
		out[i++] = best;
	}
	spin_unlock_irqrestore(&rdev->tile_lock, flags);

	if (copy_to_user(u64_to_user_ptr(args->tiles_ptr), out,
			 args->count * sizeof(*out))) {
		/*
		 * Give back what is still ours: another thread of this file
		 * may have freed one of the tiles meanwhile (and another file
		 * taken it), or started to use it.
		 */
		spin_lock_irqsave(&rdev->tile_lock, flags);
		for (i = 0; i < args->count; i++) {
			struct rbnn_tile *tile = &rdev->tiles[out[i]];

			if (tile->owner == ctx && !tile->releasing)
				rbnn_tile_put(tile);
		}
		spin_unlock_irqrestore(&rdev->tile_lock, flags);
		ret = -EFAULT;
	}
out_free:
	kfree(out);
	kfree(order);
	return ret;
}

int rbnn_ioctl_tile_free(struct drm_device *drm, void *data,
			 struct drm_file *file)
{
	struct rbnn_device *rdev = to_rbnn_device(drm);
	struct drm_rbnn_tile_free *args = data;
	struct rbnn_ctx *ctx = file->driver_priv;
	struct rbnn_tile *tile;
	unsigned long flags;
	int ret = 0;

	if (args->flags || args->tile >= rdev->ntiles)
		return -EINVAL;
	tile = &rdev->tiles[args->tile];
	spin_lock_irqsave(&rdev->tile_lock, flags);
	if (tile->owner != ctx || tile->releasing)
		ret = -EACCES;
	else
		rbnn_tile_put(tile);
	spin_unlock_irqrestore(&rdev->tile_lock, flags);
	return ret;
}

static int rbnn_check_rows(struct rbnn_device *rdev, u32 tile, u32 row,
			   u32 nrows)
{
	if (tile >= rdev->ntiles || !nrows || row >= rdev->rows ||
	    nrows > rdev->rows - row)
		return -EINVAL;
	return 0;
}

static void rbnn_rows_cmd(struct rbnn_hw_cmd *cmd, u8 opcode, u32 tile,
			  u32 row, u32 nrows)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = opcode;
	cmd->rows.tile = cpu_to_le32(tile);
	cmd->rows.row = cpu_to_le32(row);
	cmd->rows.nrows = cpu_to_le32(nrows);
}

int rbnn_ioctl_program(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct rbnn_device *rdev = to_rbnn_device(drm);
	struct drm_rbnn_program *args = data;
	struct rbnn_ctx *ctx = file->driver_priv;
	bool verify = args->flags & DRM_RBNN_PROGRAM_VERIFY;
	bool thresh = args->thresh_handle != 0;
	struct rbnn_hw_cmd *cmd;
	struct rbnn_job *job;
	int ret, idx;

	if (args->flags & ~DRM_RBNN_PROGRAM_VERIFY || args->pad)
		return -EINVAL;
	ret = rbnn_check_rows(rdev, args->tile, args->row, args->nrows);
	if (ret)
		return ret;
	if (args->current_na &&
	    (args->current_na < 1000 || args->current_na > 1000000))
		return -EINVAL;
	if (args->pulse_ns && (args->pulse_ns < 10 || args->pulse_ns > 10000))
		return -EINVAL;
	if (args->verify_max > 64 || (!verify && args->verify_max))
		return -EINVAL;
	if (!thresh && args->thresh_offset)
		return -EINVAL;
	ret = rbnn_wear_charge(ctx, args->current_na, args->nrows);
	if (ret)
		return ret;

	if (!drm_dev_enter(drm, &idx)) {
		ret = -ENODEV;
		goto out_refund;
	}
	job = rbnn_job_alloc(ctx, RBNN_JOB_PROGRAM, 1);
	if (!job) {
		ret = -ENOMEM;
		goto out_exit;
	}
	job->writes_rows = true;
	rbnn_job_add_range(job, args->tile, args->row, args->nrows, thresh);
	ret = rbnn_job_add_bo(job, file, args->weights_handle,
			      args->weights_offset,
			      (u64)args->nrows * rdev->row_bytes, false);
	if (!ret && thresh)
		ret = rbnn_job_add_bo(job, file, args->thresh_handle,
				      args->thresh_offset, 4ull * args->nrows,
				      false);
	if (!ret)
		ret = rbnn_job_map_bufs(job);
	if (ret)
		goto out_free;

	cmd = &job->cmds[job->ncmds++];
	rbnn_rows_cmd(cmd, RBNN_OP_PROGRAM_ROWS, args->tile, args->row,
		      args->nrows);
	if (verify)
		cmd->flags |= RBNN_CMD_F_VERIFY;
	cmd->rows.current_na = cpu_to_le32(args->current_na);
	cmd->rows.pulse_ns = cpu_to_le32(args->pulse_ns);
	cmd->rows.verify_max = cpu_to_le16(args->verify_max);
	cmd->rows.buf = job->bufs[0].hw;
	if (thresh) {
		cmd = &job->cmds[job->ncmds++];
		rbnn_rows_cmd(cmd, RBNN_OP_LOAD_THRESH, args->tile, args->row,
			      args->nrows);
		cmd->rows.buf = job->bufs[1].hw;
	}

	ret = rbnn_job_submit(job, file, &args->syncs, &args->seqno);
out_free:
	if (ret)
		rbnn_job_free(job);
out_exit:
	drm_dev_exit(idx);
out_refund:
	if (ret)
		rbnn_wear_refund(ctx, args->nrows);
	return ret;
}

int rbnn_ioctl_readback(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct rbnn_device *rdev = to_rbnn_device(drm);
	struct drm_rbnn_readback *args = data;
	struct rbnn_ctx *ctx = file->driver_priv;
	bool scrub = args->flags & DRM_RBNN_READBACK_SCRUB;
	struct rbnn_hw_cmd *cmd;
	struct rbnn_job *job;
	int ret, idx;

	if (args->flags & ~DRM_RBNN_READBACK_SCRUB || args->pad)
		return -EINVAL;
	ret = rbnn_check_rows(rdev, args->tile, args->row, args->nrows);
	if (ret)
		return ret;
	if (scrub) {
		ret = rbnn_wear_charge(ctx, 0, args->nrows);
		if (ret)
			return ret;
	}

	if (!drm_dev_enter(drm, &idx)) {
		ret = -ENODEV;
		goto out_refund;
	}
	job = rbnn_job_alloc(ctx, RBNN_JOB_READBACK, 1);
	if (!job) {
		ret = -ENOMEM;
		goto out_exit;
	}
	job->reads_rows = true;
	job->writes_rows = scrub;
	rbnn_job_add_range(job, args->tile, args->row, args->nrows, false);
	ret = rbnn_job_add_bo(job, file, args->handle, args->offset,
			      (u64)args->nrows * rdev->row_bytes, true);
	if (!ret)
		ret = rbnn_job_map_bufs(job);
	if (ret)
		goto out_free;

	if (scrub) {
		cmd = &job->cmds[job->ncmds++];
		rbnn_rows_cmd(cmd, RBNN_OP_REFRESH, args->tile, args->row,
			      args->nrows);
	}
	cmd = &job->cmds[job->ncmds++];
	rbnn_rows_cmd(cmd, RBNN_OP_READ_ROWS, args->tile, args->row,
		      args->nrows);
	cmd->rows.buf = job->bufs[0].hw;

	ret = rbnn_job_submit(job, file, &args->syncs, &args->seqno);
out_free:
	if (ret)
		rbnn_job_free(job);
out_exit:
	drm_dev_exit(idx);
out_refund:
	if (ret && scrub)
		rbnn_wear_refund(ctx, args->nrows);
	return ret;
}

/**
 * rbnn_scrub_tile() - the administrator's scrub of one whole tile
 * @ctx: a context of the driver's own, not a file's
 * @tile: tile index
 * @res: receives the job's result
 *
 * Submits a REFRESH of every row of @tile, whoever owns the tile, and
 * waits for it.
 *
 * Return: 0 when the job finished (its status, device cost and weak cells
 * are in @res), or a negative errno if it could not be submitted or
 * waited for.
 */
int rbnn_scrub_tile(struct rbnn_ctx *ctx, u32 tile, struct rbnn_result *res)
{
	struct rbnn_device *rdev = ctx->rdev;
	struct drm_rbnn_syncs syncs = {};
	struct rbnn_job *job;
	u64 seqno;
	int ret, idx;

	if (tile >= rdev->ntiles)
		return -EINVAL;
	if (!drm_dev_enter(&rdev->drm, &idx))
		return -ENODEV;
	job = rbnn_job_alloc(ctx, RBNN_JOB_SCRUB, 1);
	if (!job) {
		drm_dev_exit(idx);
		return -ENOMEM;
	}
	job->admin = true;
	job->writes_rows = true;
	rbnn_job_add_range(job, tile, 0, rdev->rows, false);
	rbnn_rows_cmd(&job->cmds[job->ncmds++], RBNN_OP_REFRESH, tile, 0,
		      rdev->rows);
	ret = rbnn_job_submit(job, NULL, &syncs, &seqno);
	if (ret)
		rbnn_job_free(job);
	drm_dev_exit(idx);
	if (ret)
		return ret;
	return rbnn_job_wait_result(ctx, seqno, res);
}

/**
 * rbnn_query_tiles() - build the DRM_RBNN_QUERY_TILES answer
 * @rdev: the card
 * @ctx: the asking context
 * @buf: receives a kmalloc'ed answer
 * @len: receives its size
 *
 * Return: 0 or a negative errno.
 */
int rbnn_query_tiles(struct rbnn_device *rdev, struct rbnn_ctx *ctx,
		     void **buf, size_t *len)
{
	struct drm_rbnn_query_tiles *hdr;
	struct drm_rbnn_tile_info *info;
	unsigned long flags;
	size_t size;
	u32 t;
	int ret;

	size = sizeof(*hdr) + (size_t)rdev->ntiles * sizeof(*info);
	hdr = kzalloc(size, GFP_KERNEL);
	if (!hdr)
		return -ENOMEM;
	hdr->count = rdev->ntiles;
	hdr->stride = sizeof(*info);
	info = (struct drm_rbnn_tile_info *)(hdr + 1);
	for (t = 0; t < rdev->ntiles; t++) {
		struct rbnn_wear w;

		ret = rbnn_read_wear(rdev, t, &w);
		if (ret) {
			kfree(hdr);
			return ret;
		}
		info[t].cycles_max = w.cycles_max;
		info[t].cycles_sum = w.cycles_sum;
		info[t].stuck = w.stuck;
		info[t].verify_fails = w.verify_fails;
		info[t].scrub_weak_cells = w.scrub_weak;
	}
	/*
	 * The lock is taken per tile: a record is one tile's consistent
	 * state, and the IRQs-off section is bounded by one tile's rows (the
	 * bitmap_weight() of all tiles could be 1024 x 65536 bits).
	 */
	for (t = 0; t < rdev->ntiles; t++) {
		struct rbnn_tile *tile = &rdev->tiles[t];

		spin_lock_irqsave(&rdev->tile_lock, flags);
		if (!tile->owner) {
			info[t].state = DRM_RBNN_TILE_STATE_FREE;
		} else if (tile->owner == ctx && !tile->releasing) {
			info[t].state = DRM_RBNN_TILE_STATE_MINE;
			info[t].rows_programmed =
				bitmap_weight(tile->prog_valid, rdev->rows);
		} else {
			info[t].state = DRM_RBNN_TILE_STATE_OTHER;
		}
		spin_unlock_irqrestore(&rdev->tile_lock, flags);
	}
	*buf = hdr;
	*len = size;
	return 0;
}
