// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * rbnn: contexts, jobs, the DRM scheduler and job results.
 *
 * Each open file is a context with one scheduler entity; the card has one
 * SQ/CQ ring pair, driven by one drm_gpu_scheduler whose credits are the SQ
 * slots. A job is one to two card commands; its hardware fence signals when
 * the last completion arrives, or with an error when the job is failed (not
 * run, lost by a reset, card unplugged). Every job ends in exactly one of
 * these ways, and its result is kept in its context for JOB_INFO.
 */

#include <linux/dma-fence-array.h>
#include <linux/dma-fence-chain.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>
#include <drm/drm_syncobj.h>
#include <drm/drm_utils.h>

#include "rbnn_drv.h"

static unsigned int rbnn_job_timeout_ms = 500;
module_param_named(job_timeout_ms, rbnn_job_timeout_ms, uint, 0444);
MODULE_PARM_DESC(job_timeout_ms,
		 "Watchdog period: a job whose card makes no progress for two periods is reset (default 500)");

static unsigned int rbnn_job_max_ms = 120000;
module_param_named(job_max_ms, rbnn_job_max_ms, uint, 0644);
MODULE_PARM_DESC(job_max_ms,
		 "Longest a job may run, progressing or not: then it is reset and fails with -ETIMEDOUT (0: no bound; default 120000)");

/*
 * Bounds on what one user can make the kernel hold: jobs in flight per file,
 * and job memory (the physically contiguous DMA buffer of layer program and
 * SG lists, and the row ranges) per file and per card. Beyond them
 * submissions fail with -EBUSY until earlier jobs end.
 */
static unsigned int rbnn_max_jobs = DRM_RBNN_JOB_HISTORY;
module_param_named(max_jobs, rbnn_max_jobs, uint, 0644);
MODULE_PARM_DESC(max_jobs,
		 "Jobs a file may have in flight, 1..4096 (default 4096)");

static unsigned int rbnn_file_job_mem_kib = 32768;
module_param_named(file_job_mem_kib, rbnn_file_job_mem_kib, uint, 0644);
MODULE_PARM_DESC(file_job_mem_kib,
		 "KiB of job memory (DMA buffers, row ranges) the jobs of one file may hold (default 32768)");

static unsigned int rbnn_dev_job_mem_kib = 262144;
module_param_named(dev_job_mem_kib, rbnn_dev_job_mem_kib, uint, 0644);
MODULE_PARM_DESC(dev_job_mem_kib,
		 "KiB of job memory the jobs of all files of a card may hold (default 262144)");

/**
 * rbnn_max_jobs_per_file() - jobs a file may have in flight
 *
 * Return: the max_jobs parameter, clamped to 1..DRM_RBNN_JOB_HISTORY.
 */
u32 rbnn_max_jobs_per_file(void)
{
	return clamp_t(u32, READ_ONCE(rbnn_max_jobs), 1, DRM_RBNN_JOB_HISTORY);
}

/**
 * rbnn_job_charge() - charge job memory to the job's file and card
 * @job: the job
 * @bytes: bytes the job is about to hold
 *
 * Return: 0, or -EBUSY when the file or the card would hold more than its
 * cap (the charge is then undone).
 */
int rbnn_job_charge(struct rbnn_job *job, size_t bytes)
{
	struct rbnn_ctx *ctx = job->ctx;
	struct rbnn_device *rdev = job->rdev;
	u64 file_cap = (u64)READ_ONCE(rbnn_file_job_mem_kib) << 10;
	u64 dev_cap = (u64)READ_ONCE(rbnn_dev_job_mem_kib) << 10;

	if (atomic64_add_return(bytes, &ctx->job_mem) > file_cap)
		goto undo_file;
	if (atomic64_add_return(bytes, &rdev->job_mem) > dev_cap)
		goto undo_dev;
	job->mem_charged += bytes;
	return 0;

undo_dev:
	atomic64_sub(bytes, &rdev->job_mem);
undo_file:
	atomic64_sub(bytes, &ctx->job_mem);
	return -EBUSY;
}

/*
 * Give the job's memory charge back. When the job ends, not when the
 * scheduler frees it later: a file whose jobs have finished gets its
 * budget back at once.
 */
static void rbnn_job_uncharge(struct rbnn_job *job)
{
	atomic64_sub(job->mem_charged, &job->ctx->job_mem);
	atomic64_sub(job->mem_charged, &job->rdev->job_mem);
	job->mem_charged = 0;
}

/*
 * ---- the drm_sched calls that depend on the kernel's version ----------
 *
 * The driver is written for Linux 6.12 (Debian's kernel, the one the VM
 * tier boots). The scheduler's API changed after it. Every call whose
 * form differs is in this section or in rbnn_sched_init() (which needs
 * the ops below), so that a port to drm-misc-next changes these alone:
 *
 * - a timeout that finds the job still running (rbnn_sched_no_hang()):
 *   drm-misc-next has DRM_GPU_SCHED_STAT_NO_HANG, with which the scheduler
 *   puts the job back on its pending list and re-arms the timer itself.
 *   6.12 has no such status: drm_sched_job_timedout() took the job off the
 *   pending list, and the only call that puts it back, drm_sched_stop(),
 *   also detaches every pending job from its hardware fence, so that the
 *   drm_sched_start() after it ends them all with -ECANCELED. On 6.12 the
 *   job goes back on the list here, by hand, under the list's lock, as v3d
 *   and etnaviv did before NO_HANG: the one place where the driver touches
 *   the scheduler's internals;
 * - drm_sched_init() (rbnn_sched_init()): eleven arguments here, a
 *   struct drm_sched_init_args in drm-misc-next;
 * - drm_sched_start() (rbnn_sched_restart()): drm-misc-next also takes the
 *   errno for the jobs it ends;
 * - drm_sched_job_init() (rbnn_sched_job_init()): drm-misc-next also takes
 *   a client id (the file's);
 * - outside this file, drm_driver.date (rbnn_drv.c) is gone in
 *   drm-misc-next.
 *
 * None of the drm-misc-next forms builds on 6.12, so none is here.
 */

/* The job runs and makes progress: its timer starts again. */
static enum drm_gpu_sched_stat rbnn_sched_no_hang(struct rbnn_job *job)
{
	struct drm_gpu_scheduler *sched = job->base.sched;

	spin_lock(&sched->job_list_lock);
	list_add(&job->base.list, &sched->pending_list);
	spin_unlock(&sched->job_list_lock);
	return DRM_GPU_SCHED_STAT_NOMINAL;
}

/**
 * rbnn_sched_restart() - the card was reset: end the jobs it lost
 * @rdev: the card
 * @bad: the job that hung, or NULL
 *
 * The jobs whose hardware fences the reset signalled are freed, the
 * others keep waiting on theirs, and the scheduler runs again.
 */
void rbnn_sched_restart(struct rbnn_device *rdev, struct rbnn_job *bad)
{
	drm_sched_stop(&rdev->sched, bad ? &bad->base : NULL);
	drm_sched_start(&rdev->sched);
}

static int rbnn_sched_job_init(struct rbnn_job *job, struct rbnn_ctx *ctx)
{
	return drm_sched_job_init(&job->base, &ctx->entity, job->ncmds, ctx);
}

/* ---- hardware fences -------------------------------------------------- */

struct rbnn_fence {
	struct dma_fence base;
	spinlock_t lock; /* dma_fence lock */
};

static const char *rbnn_fence_driver_name(struct dma_fence *f)
{
	return RBNN_DRIVER_NAME;
}

static const char *rbnn_fence_timeline_name(struct dma_fence *f)
{
	return "rbnn-hw";
}

static const struct dma_fence_ops rbnn_fence_ops = {
	.get_driver_name = rbnn_fence_driver_name,
	.get_timeline_name = rbnn_fence_timeline_name,
};

/* ---- contexts --------------------------------------------------------- */

/**
 * rbnn_ctx_create() - context of a newly opened file
 * @rdev: the card
 *
 * Return: the context or an ERR_PTR().
 */
struct rbnn_ctx *rbnn_ctx_create(struct rbnn_device *rdev)
{
	struct drm_gpu_scheduler *sched = &rdev->sched;
	struct rbnn_ctx *ctx;
	int ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	ctx->results = kvcalloc(DRM_RBNN_JOB_HISTORY, sizeof(*ctx->results),
				GFP_KERNEL_ACCOUNT);
	ctx->bo_quota = rbnn_bo_quota_create();
	if (!ctx->results || !ctx->bo_quota) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = drm_sched_entity_init(&ctx->entity, DRM_SCHED_PRIORITY_NORMAL,
				    &sched, 1, NULL);
	if (ret)
		goto err_free;
	kref_init(&ctx->ref);
	ctx->rdev = rdev;
	mutex_init(&ctx->submit_lock);
	spin_lock_init(&ctx->res_lock);
	atomic_set(&ctx->inflight, 0);
	atomic64_set(&ctx->busy_ns, 0);
	ctx->write_context = dma_fence_context_alloc(1);
	ctx->id = atomic_inc_return(&rdev->next_ctx_id);
	ctx->pid = task_tgid_nr(current);
	get_task_comm(ctx->comm, current);
	return ctx;

err_free:
	if (ctx->bo_quota)
		rbnn_bo_quota_put(ctx->bo_quota);
	kvfree(ctx->results);
	kfree(ctx);
	return ERR_PTR(ret);
}

static void rbnn_ctx_release(struct kref *ref)
{
	struct rbnn_ctx *ctx = container_of(ref, struct rbnn_ctx, ref);
	u32 i;

	for (i = 0; i < DRM_RBNN_JOB_HISTORY; i++)
		dma_fence_put(ctx->results[i].fence);
	dma_fence_put(ctx->last_write);
	mutex_destroy(&ctx->submit_lock);
	rbnn_bo_quota_put(ctx->bo_quota);
	kvfree(ctx->results);
	kfree(ctx);
}

/**
 * rbnn_ctx_put() - drop a context reference
 * @ctx: the context
 */
void rbnn_ctx_put(struct rbnn_ctx *ctx)
{
	kref_put(&ctx->ref, rbnn_ctx_release);
}

/* ---- jobs ------------------------------------------------------------- */

/**
 * rbnn_job_alloc() - allocate a job
 * @ctx: submitting context
 * @type: enum rbnn_job_type
 * @nranges: number of row ranges the job uses
 *
 * Return: the job, or NULL.
 */
struct rbnn_job *rbnn_job_alloc(struct rbnn_ctx *ctx, enum rbnn_job_type type,
				u32 nranges)
{
	struct rbnn_device *rdev = ctx->rdev;
	struct rbnn_fence *fence;
	struct rbnn_job *job;

	job = kzalloc(sizeof(*job), GFP_KERNEL_ACCOUNT);
	if (!job)
		return NULL;
	job->ranges = kvcalloc(nranges, sizeof(*job->ranges),
			       GFP_KERNEL_ACCOUNT);
	job->tiles = bitmap_zalloc(rdev->ntiles, GFP_KERNEL_ACCOUNT);
	fence = kzalloc(sizeof(*fence), GFP_KERNEL_ACCOUNT);
	if (!job->ranges || !job->tiles || !fence) {
		kfree(fence);
		bitmap_free(job->tiles);
		kvfree(job->ranges);
		kfree(job);
		return NULL;
	}
	spin_lock_init(&fence->lock);
	job->hw_fence = &fence->base;
	job->rdev = rdev;
	job->ctx = ctx;
	kref_get(&ctx->ref);
	job->type = type;
	INIT_LIST_HEAD(&job->hw_node);
	INIT_LIST_HEAD(&job->dma_node);
	atomic_inc(&rdev->jobs_alive);
	return job;
}

static void rbnn_fences_put(struct dma_fence **fences, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		dma_fence_put(fences[i]);
	kfree(fences);
}

/**
 * rbnn_job_dma_alloc() - allocate the job's DMA buffer (program, SG lists)
 * @job: the job, without one
 * @size: its size in bytes
 *
 * Return: 0, -EBUSY (job memory caps, rbnn_job_charge()) or -ENOMEM.
 */
int rbnn_job_dma_alloc(struct rbnn_job *job, size_t size)
{
	struct rbnn_device *rdev = job->rdev;
	int ret;

	ret = rbnn_job_charge(job, size);
	if (ret)
		return ret;
	job->dma_cpu = dma_alloc_coherent(&rdev->pdev->dev, size,
					  &job->dma_addr, GFP_KERNEL);
	if (!job->dma_cpu)
		return -ENOMEM;
	job->dma_size = size;
	mutex_lock(&rdev->job_dma_lock);
	list_add_tail(&job->dma_node, &rdev->job_dma);
	mutex_unlock(&rdev->job_dma_lock);
	return 0;
}

static void rbnn_job_dma_free_locked(struct rbnn_job *job)
{
	lockdep_assert_held(&job->rdev->job_dma_lock);
	if (!job->dma_cpu)
		return;
	dma_free_coherent(&job->rdev->pdev->dev, job->dma_size, job->dma_cpu,
			  job->dma_addr);
	job->dma_cpu = NULL;
	list_del_init(&job->dma_node);
}

/**
 * rbnn_jobs_dma_release() - free the DMA buffers of the jobs that outlive
 *	the card
 * @rdev: the card, unplugged: its DMA stopped, every job on it failed, no
 *	job can start (run_job fails them all from now on)
 *
 * Jobs still queued behind open files are freed when those files close,
 * after remove(); the DMA API wants every allocation for the device gone
 * when its driver unbinds, and only remove() knows when that is.
 */
void rbnn_jobs_dma_release(struct rbnn_device *rdev)
{
	struct rbnn_job *job, *tmp;

	mutex_lock(&rdev->job_dma_lock);
	list_for_each_entry_safe(job, tmp, &rdev->job_dma, dma_node)
		rbnn_job_dma_free_locked(job);
	mutex_unlock(&rdev->job_dma_lock);
}

/**
 * rbnn_job_free() - free a job that was not handed to the scheduler, or
 * whose scheduler job was cleaned up
 * @job: the job
 */
void rbnn_job_free(struct rbnn_job *job)
{
	struct rbnn_device *rdev = job->rdev;
	u32 i;

	if (job->sched_inited && !job->pushed)
		drm_sched_job_cleanup(&job->base);
	for (i = 0; i < job->nbufs; i++)
		drm_gem_object_put(job->bufs[i].obj);
	rbnn_fences_put(job->in_fences, job->nin_fences);
	mutex_lock(&rdev->job_dma_lock);
	rbnn_job_dma_free_locked(job);
	mutex_unlock(&rdev->job_dma_lock);
	/* The hardware fence was initialised by run_job, or never used. */
	if (job->hw_fence->ops)
		dma_fence_put(job->hw_fence);
	else
		kfree(container_of(job->hw_fence, struct rbnn_fence, base));
	bitmap_free(job->tiles);
	kvfree(job->ranges);
	rbnn_job_uncharge(job);
	rbnn_ctx_put(job->ctx);
	kfree(job);
	if (atomic_dec_and_test(&rdev->jobs_alive))
		wake_up_all(&rdev->jobs_wq);
}

/*
 * The job ended with @status: record its result in its context, release
 * its tiles and count it. Exactly once per pushed job, and always before
 * the scheduler may free it: from rbnn_job_signal() before the hardware
 * fence signals (the scheduler frees a job once its finished fence, which
 * follows the hardware fence, has signalled: a callback on that fence
 * could still be running then), or from free_job for a job that never ran.
 */
static void rbnn_job_record(struct rbnn_job *job, int status)
{
	struct rbnn_ctx *ctx = job->ctx;
	struct rbnn_device *rdev = job->rdev;
	struct rbnn_result *r;
	unsigned long flags;

	job->recorded = true;
	rbnn_tiles_job_done(job, status == 0);
	rbnn_job_uncharge(job);

	spin_lock_irqsave(&ctx->res_lock, flags);
	r = &ctx->results[job->seqno % DRM_RBNN_JOB_HISTORY];
	if (r->seqno == job->seqno) {
		r->done = true;
		r->status = status;
		r->hw_status = job->hw_status;
		r->hw_detail = job->hw_detail;
		r->time_ns = job->time_ns;
		r->energy_pj = job->energy_pj;
		r->scrub_weak = job->scrub_weak;
	}
	spin_unlock_irqrestore(&ctx->res_lock, flags);

	atomic64_add(job->time_ns, &ctx->busy_ns);
	atomic_dec(&ctx->inflight);
	if (status)
		atomic64_inc(&rdev->jobs_failed);
	else
		atomic64_inc(&rdev->jobs_completed);
}

/*
 * Record the job's end, then signal its hardware fence. A job that ran on
 * the card (@ran) gets its BO ranges synced for the CPU first; one that
 * did not has nothing to sync (and, during removal, no mapping left).
 */
static void rbnn_job_signal(struct rbnn_job *job, bool ran)
{
	if (ran)
		rbnn_job_sync_bufs(job, false);
	rbnn_job_record(job, job->status);
	if (job->status)
		dma_fence_set_error(job->hw_fence, job->status);
	dma_fence_signal(job->hw_fence);
}

/**
 * rbnn_job_cmd_done() - one of the job's commands completed
 * @job: the job
 * @cqe: its completion
 *
 * Called with &rbnn_device.ring_lock held.
 *
 * Return: true when it was the job's last command: the caller moves the
 * job off the card's list and ends it with rbnn_jobs_end().
 */
bool rbnn_job_cmd_done(struct rbnn_job *job, const struct rbnn_hw_cqe *cqe)
{
	u16 status = le16_to_cpu(cqe->status);
	u32 detail = le32_to_cpu(cqe->detail);
	bool first = job->cmds_done == 0;

	job->time_ns += le64_to_cpu(cqe->time_ns);
	job->energy_pj += le64_to_cpu(cqe->energy_pj);
	/* Completions come in command order: this one is cmds[cmds_done]. */
	if (job->cmds[job->cmds_done].opcode == RBNN_OP_REFRESH &&
	    (job->rdev->caps & RBNN_CAP_SCRUB_COUNT))
		job->scrub_weak += le32_to_cpu(cqe->aux);
	if (status != RBNN_STATUS_OK && !job->hw_status) {
		job->hw_status = status;
		job->hw_detail = detail;
	} else if (first && !job->hw_status) {
		job->hw_detail = detail;
	}
	if (status != RBNN_STATUS_OK && status != RBNN_STATUS_VERIFY)
		job->status = -EIO;
	return ++job->cmds_done == job->ncmds;
}

/**
 * rbnn_jobs_end() - end jobs taken off the card
 * @done: the jobs (linked by &rbnn_job.hw_node), with their status set
 *
 * Called without &rbnn_device.ring_lock, in process context.
 */
void rbnn_jobs_end(struct list_head *done)
{
	struct rbnn_job *job, *tmp;

	list_for_each_entry_safe(job, tmp, done, hw_node) {
		list_del_init(&job->hw_node);
		rbnn_job_signal(job, true);
	}
}

/* Append @f (a new reference) to a growing array of fences. */
static int rbnn_fences_add(struct dma_fence ***fences, u32 *n, u32 *size,
			   struct dma_fence *f)
{
	struct dma_fence **tmp;

	if (*n == *size) {
		u32 grow = max(2 * *size, 8u);

		tmp = krealloc_array(*fences, grow, sizeof(*tmp), GFP_KERNEL);
		if (!tmp)
			return -ENOMEM;
		*fences = tmp;
		*size = grow;
	}
	(*fences)[(*n)++] = dma_fence_get(f);
	return 0;
}

/*
 * The job waits for the in-syncs' fences, flattened (chains and arrays
 * unwrapped; a timeline point with the points before it), through one
 * fence array of its own fence context: so the scheduler waits until every
 * one has signalled, even a fence of this scheduler or of the job's own
 * entity (which it would otherwise only order after, or ignore). The job
 * keeps the fences of the points themselves (@job->in_fences): run_job
 * does not run it if one of them failed.
 */
static int rbnn_job_add_in_syncs(struct rbnn_job *job, struct drm_file *file,
				 const struct drm_rbnn_syncs *syncs)
{
	struct dma_fence **wait = NULL;
	struct dma_fence_array *array;
	u32 i, nwait = 0, wsize = 0, csize = 0;
	int ret;

	if (syncs->in_count > DRM_RBNN_MAX_IN_SYNCS)
		return -EINVAL;
	if (!syncs->in_count)
		return syncs->in_stride || syncs->in_syncs ? -EINVAL : 0;
	if (!rbnn_stride_ok(syncs->in_stride, sizeof(struct drm_rbnn_sync)))
		return -EINVAL;
	for (i = 0; i < syncs->in_count; i++) {
		struct dma_fence *fence, *f;
		struct dma_fence_unwrap iter;
		struct drm_rbnn_sync s;

		ret = rbnn_copy_array(&s, sizeof(s), syncs->in_syncs, i,
				      syncs->in_stride);
		if (ret)
			goto err;
		ret = -EINVAL;
		if (s.flags)
			goto err;
		ret = drm_syncobj_find_fence(file, s.handle, s.point, 0, &fence);
		if (ret)
			goto err;
		/* Whole walks: a walk left early keeps a reference. */
		dma_fence_unwrap_for_each(f, &iter, fence) {
			if (!ret)
				ret = rbnn_fences_add(&wait, &nwait, &wsize, f);
		}
		dma_fence_unwrap_for_each(f, &iter,
					  dma_fence_chain_contained(fence)) {
			if (!ret)
				ret = rbnn_fences_add(&job->in_fences,
						      &job->nin_fences, &csize,
						      f);
		}
		dma_fence_put(fence);
		if (ret)
			goto err;
	}
	if (!nwait)
		return 0;
	ret = -ENOMEM;
	array = dma_fence_array_create(nwait, wait, dma_fence_context_alloc(1),
				       1, false);
	if (!array)
		goto err;
	/* The array owns @wait and its references now. */
	return drm_sched_job_add_dependency(&job->base, &array->base);

err:
	rbnn_fences_put(wait, nwait);
	return ret;
}

/*
 * The error of the first in-sync fence that failed, or 0. They have all
 * signalled: the scheduler runs a job only after its dependencies.
 */
static int rbnn_job_in_error(struct rbnn_job *job)
{
	int status;
	u32 i;

	for (i = 0; i < job->nin_fences; i++) {
		status = dma_fence_get_status(job->in_fences[i]);
		if (status < 0)
			return status;
	}
	return 0;
}

/* Record a new job as pending in its context. */
static void rbnn_ctx_add_result(struct rbnn_ctx *ctx, u64 seqno,
				struct dma_fence *finished)
{
	struct rbnn_result *r = &ctx->results[seqno % DRM_RBNN_JOB_HISTORY];
	struct dma_fence *old;
	unsigned long flags;

	spin_lock_irqsave(&ctx->res_lock, flags);
	old = r->fence;
	memset(r, 0, sizeof(*r));
	r->seqno = seqno;
	r->fence = dma_fence_get(finished);
	ctx->last_seqno = seqno;
	spin_unlock_irqrestore(&ctx->res_lock, flags);
	dma_fence_put(old);
}

/**
 * rbnn_job_submit() - hand a fully built job to the scheduler
 * @job: the job; on success it belongs to the scheduler, on failure the
 *	caller frees it with rbnn_job_free()
 * @file: the submitting file
 * @syncs: in- and out-syncs
 * @seqno: receives the job's sequence number
 *
 * Return: 0 or a negative errno.
 */
int rbnn_job_submit(struct rbnn_job *job, struct drm_file *file,
		    const struct drm_rbnn_syncs *syncs, u64 *seqno)
{
	struct rbnn_ctx *ctx = job->ctx;
	struct rbnn_device *rdev = job->rdev;
	struct dma_fence_chain *chain = NULL;
	struct drm_syncobj *out_sync = NULL;
	struct dma_fence_array *wr_array = NULL;
	struct dma_fence **wr_fences = NULL;
	struct ww_acquire_ctx acquire;
	struct dma_fence *finished;
	u32 i;
	int ret;

	if (syncs->out.flags || (!syncs->out.handle && syncs->out.point))
		return -EINVAL;

	ret = rbnn_sched_job_init(job, ctx);
	if (ret)
		return ret;
	job->sched_inited = true;

	ret = rbnn_job_add_in_syncs(job, file, syncs);
	if (ret)
		return ret;

	if (syncs->out.handle) {
		out_sync = drm_syncobj_find(file, syncs->out.handle);
		if (!out_sync)
			return -ENOENT;
		if (syncs->out.point) {
			chain = dma_fence_chain_alloc();
			if (!chain) {
				ret = -ENOMEM;
				goto out_sync;
			}
		}
	}

	if (job->writes_rows) {
		wr_array = dma_fence_array_alloc(1);
		wr_fences = kmalloc_array(1, sizeof(*wr_fences), GFP_KERNEL);
		if (!wr_array || !wr_fences) {
			ret = -ENOMEM;
			goto out_chain;
		}
	}

	ret = mutex_lock_interruptible(&ctx->submit_lock);
	if (ret)
		goto out_chain;
	if (READ_ONCE(ctx->banned)) {
		ret = -ECANCELED;
		goto out_unlock;
	}
	if (atomic_read(&ctx->inflight) >= rbnn_max_jobs_per_file()) {
		ret = -EBUSY;
		goto out_unlock;
	}
	/*
	 * Rows are checked when the job runs: wait until every earlier job
	 * of this context that changes rows has finished, not merely started
	 * (the scheduler ignores fences of the job's own entity, hence the
	 * fence array around them, see below).
	 */
	if (job->reads_rows && ctx->last_write) {
		ret = drm_sched_job_add_dependency(&job->base,
						   dma_fence_get(ctx->last_write));
		if (ret)
			goto out_unlock;
	}

	ret = drm_gem_lock_reservations(job->bos, job->nbos, &acquire);
	if (ret)
		goto out_unlock;
	for (i = 0; i < job->nbos; i++) {
		ret = dma_resv_reserve_fences(job->bos[i]->resv, 1);
		if (ret)
			goto out_resv;
		ret = drm_sched_job_add_implicit_dependencies(&job->base,
							      job->bos[i],
							      job->bo_write[i]);
		if (ret)
			goto out_resv;
	}

	/* Tile ownership and rows; past this point nothing fails. */
	ret = rbnn_tiles_commit(job);
	if (ret)
		goto out_resv;

	job->seqno = ctx->last_seqno + 1;
	*seqno = job->seqno;
	drm_sched_job_arm(&job->base);
	finished = &job->base.s_fence->finished;
	if (job->writes_rows) {
		wr_fences[0] = dma_fence_get(finished);
		dma_fence_array_init(wr_array, 1, wr_fences, ctx->write_context,
				     lower_32_bits(job->seqno), false);
		dma_fence_put(ctx->last_write);
		ctx->last_write = &wr_array->base;
		wr_array = NULL;
		wr_fences = NULL;
	}
	rbnn_ctx_add_result(ctx, job->seqno, finished);
	atomic_inc(&ctx->inflight);
	for (i = 0; i < job->nbos; i++)
		dma_resv_add_fence(job->bos[i]->resv, finished,
				   job->bo_write[i] ? DMA_RESV_USAGE_WRITE :
						      DMA_RESV_USAGE_READ);
	if (out_sync) {
		if (chain) {
			drm_syncobj_add_point(out_sync, chain, finished,
					      syncs->out.point);
			chain = NULL;
		} else {
			drm_syncobj_replace_fence(out_sync, finished);
		}
	}
	atomic64_inc(&rdev->jobs_submitted);
	job->pushed = true;
	/*
	 * Once pushed, the job may run, complete and be freed at any time:
	 * nothing below reads it (the reservations are unlocked first, their
	 * fences already attached).
	 */
	drm_gem_unlock_reservations(job->bos, job->nbos, &acquire);
	drm_sched_entity_push_job(&job->base);
	mutex_unlock(&ctx->submit_lock);
	ret = 0;
	goto out_chain;

out_resv:
	drm_gem_unlock_reservations(job->bos, job->nbos, &acquire);
out_unlock:
	mutex_unlock(&ctx->submit_lock);
out_chain:
	kfree(wr_fences);
	kfree(wr_array);
	dma_fence_chain_free(chain);
out_sync:
	if (out_sync)
		drm_syncobj_put(out_sync);
	return ret;
}

/* ---- scheduler backend ------------------------------------------------ */

static struct dma_fence *rbnn_run_job(struct drm_sched_job *sched_job)
{
	struct rbnn_job *job = to_rbnn_job(sched_job);
	struct rbnn_device *rdev = job->rdev;
	struct rbnn_fence *fence = container_of(job->hw_fence,
						struct rbnn_fence, base);
	int err, idx;

	dma_fence_init(&fence->base, &rbnn_fence_ops, &fence->lock,
		       rdev->fence_context,
		       atomic64_inc_return(&rdev->fence_seqno));

	/*
	 * A job does not run when: the scheduler ended it; an in-sync fence
	 * failed (the job reports that fence's error); its file is banned;
	 * the card is gone; rows it needs were invalidated by a failed
	 * PROGRAM (the file's own ordering, not an in-sync: -ECANCELED).
	 */
	err = sched_job->s_fence->finished.error;
	if (!err)
		err = rbnn_job_in_error(job);
	if (!err && READ_ONCE(job->ctx->banned))
		err = -ECANCELED;
	if (!err && READ_ONCE(rdev->removing))
		err = -ENODEV;
	if (!err && !drm_dev_enter(&rdev->drm, &idx))
		err = -ENODEV;
	if (!err) {
		if (!rbnn_tiles_check_run(job)) {
			/* A PROGRAM these rows need failed. */
			err = -ECANCELED;
		} else {
			rbnn_job_sync_bufs(job, true);
			err = rbnn_ring_submit(rdev, job);
			/* The rings stopped because remove() has begun. */
			if (err && READ_ONCE(rdev->removing))
				err = -ENODEV;
		}
		drm_dev_exit(idx);
	}
	if (err) {
		job->status = err;
		rbnn_job_signal(job, false);
	}
	/* The job keeps its own reference; this one is the scheduler's. */
	return dma_fence_get(job->hw_fence);
}

static enum drm_gpu_sched_stat rbnn_timedout_job(struct drm_sched_job *sj)
{
	struct rbnn_job *job = to_rbnn_job(sj);
	struct rbnn_device *rdev = job->rdev;
	u32 progress, status, max_ms;
	bool overdue;
	int idx;

	if (READ_ONCE(rdev->removing) || READ_ONCE(rdev->suspended) ||
	    !drm_dev_enter(&rdev->drm, &idx)) {
		/* Removal or sleep fails the job if it does not finish. */
		return rbnn_sched_no_hang(job);
	}

	/* A lost interrupt: the completion is in the CQ. */
	if (rbnn_cq_poll(rdev))
		atomic_inc(&rdev->lost_irqs);
	if (dma_fence_is_signaled(job->hw_fence))
		goto extend;

	status = rbnn_rd(rdev, RBNN_REG_STATUS);
	progress = rbnn_rd(rdev, RBNN_REG_PROGRESS);
	if (!job->wd_first)
		job->wd_first = jiffies | 1;
	max_ms = READ_ONCE(rbnn_job_max_ms);
	overdue = max_ms && time_after(jiffies, job->wd_first +
				       msecs_to_jiffies(max_ms));
	if (!(status & RBNN_STS_HALTED) && progress != rdev->wd_progress &&
	    !overdue) {
		/* The card is still making progress: give it more time. */
		rdev->wd_progress = progress;
		goto extend;
	}

	rbnn_recover(rdev, job, status & RBNN_STS_HALTED ? "card halted" :
		     overdue ? "job ran longer than job_max_ms" :
			       "job timed out");
	drm_dev_exit(idx);
	return DRM_GPU_SCHED_STAT_NOMINAL;

extend:
	drm_dev_exit(idx);
	return rbnn_sched_no_hang(job);
}

static void rbnn_free_job(struct drm_sched_job *sched_job)
{
	struct rbnn_job *job = to_rbnn_job(sched_job);
	int err = sched_job->s_fence->finished.error;

	/* Ended by the scheduler without running (its entity was killed). */
	if (!job->recorded)
		rbnn_job_record(job, err ? err : -ECANCELED);
	drm_sched_job_cleanup(sched_job);
	rbnn_job_free(job);
}

static const struct drm_sched_backend_ops rbnn_sched_ops = {
	.run_job = rbnn_run_job,
	.timedout_job = rbnn_timedout_job,
	.free_job = rbnn_free_job,
};

/**
 * rbnn_sched_init() - create the card's scheduler
 * @rdev: the card
 *
 * Return: 0 or a negative errno.
 */
int rbnn_sched_init(struct rbnn_device *rdev)
{
	rdev->fence_context = dma_fence_context_alloc(1);
	return drm_sched_init(&rdev->sched, &rbnn_sched_ops, NULL,
			      DRM_SCHED_PRIORITY_COUNT, RBNN_SQ_ENTRIES - 1, 0,
			      msecs_to_jiffies(max(rbnn_job_timeout_ms, 10u)),
			      rdev->reset_wq, NULL, dev_name(rdev->drm.dev),
			      rdev->drm.dev);
}

/**
 * rbnn_sched_fini() - destroy the scheduler once every job is freed
 * @rdev: the card
 *
 * Every context is gone, every hardware fence signalled: the remaining
 * jobs are freed by the scheduler's own work items.
 */
void rbnn_sched_fini(struct rbnn_device *rdev)
{
	if (!wait_event_timeout(rdev->jobs_wq, !atomic_read(&rdev->jobs_alive),
				10 * HZ))
		drm_err(&rdev->drm, "%d jobs still alive\n",
			atomic_read(&rdev->jobs_alive));
	drm_sched_fini(&rdev->sched);
}

/* ---- JOB_INFO --------------------------------------------------------- */

int rbnn_ioctl_job_info(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct drm_rbnn_job_info *args = data;
	struct rbnn_ctx *ctx = file->driver_priv;
	struct dma_fence *fence = NULL;
	struct rbnn_result *r;
	unsigned long flags;
	int ret = 0;

	if (args->flags || args->reserved)
		return -EINVAL;

	spin_lock_irqsave(&ctx->res_lock, flags);
	if (!args->seqno || args->seqno > ctx->last_seqno)
		ret = -EINVAL;
	else if (ctx->last_seqno - args->seqno >= DRM_RBNN_JOB_HISTORY)
		ret = -ENOENT;
	r = &ctx->results[args->seqno % DRM_RBNN_JOB_HISTORY];
	if (!ret && !r->done)
		fence = dma_fence_get(r->fence);
	spin_unlock_irqrestore(&ctx->res_lock, flags);
	if (ret)
		return ret;

	/*
	 * A deadline (any value but 0, one in the past included) waits as
	 * BO_WAIT does: -ETIMEDOUT if the job is still pending at it, with
	 * the pending state filled in. 0 only asks for the state.
	 */
	if (fence && args->timeout_ns) {
		long t = dma_fence_wait_timeout(fence, true,
						drm_timeout_abs_to_jiffies(args->timeout_ns));

		if (t < 0)
			ret = t;
		else if (!t)
			ret = -ETIMEDOUT;
	}
	dma_fence_put(fence);
	if (ret && ret != -ETIMEDOUT)
		return ret;

	spin_lock_irqsave(&ctx->res_lock, flags);
	if (r->seqno != args->seqno) {
		ret = -ENOENT;
	} else {
		/* Signalled while we gave up: it is done after all. */
		if (ret == -ETIMEDOUT && r->done)
			ret = 0;
		args->state = r->done ? DRM_RBNN_JOB_DONE : DRM_RBNN_JOB_PENDING;
		args->status = r->done ? r->status : 0;
		args->hw_status = r->hw_status;
		args->hw_detail = r->hw_detail;
		args->time_ns = r->time_ns;
		args->energy_pj = r->energy_pj;
		args->scrub_weak_cells = r->scrub_weak;
	}
	spin_unlock_irqrestore(&ctx->res_lock, flags);
	return ret;
}

/**
 * rbnn_job_wait_result() - wait for a job of @ctx and copy its result
 * @ctx: the context that submitted the job
 * @seqno: the job's sequence number, among the context's last
 *	DRM_RBNN_JOB_HISTORY jobs
 * @out: receives the result (its @fence is not referenced)
 *
 * Return: 0, -ENOENT for an unknown job, -ERESTARTSYS on a signal.
 */
int rbnn_job_wait_result(struct rbnn_ctx *ctx, u64 seqno,
			 struct rbnn_result *out)
{
	struct dma_fence *fence = NULL;
	struct rbnn_result *r;
	unsigned long flags;
	long t;
	int ret = 0;

	spin_lock_irqsave(&ctx->res_lock, flags);
	r = &ctx->results[seqno % DRM_RBNN_JOB_HISTORY];
	if (!seqno || seqno > ctx->last_seqno || r->seqno != seqno)
		ret = -ENOENT;
	else if (!r->done)
		fence = dma_fence_get(r->fence);
	spin_unlock_irqrestore(&ctx->res_lock, flags);
	if (ret)
		return ret;
	if (fence) {
		/* The finished fence signals after the result is recorded. */
		t = dma_fence_wait(fence, true);
		dma_fence_put(fence);
		if (t)
			return t;
	}
	spin_lock_irqsave(&ctx->res_lock, flags);
	if (r->seqno != seqno) {
		ret = -ENOENT;
	} else if (!r->done) {
		ret = -EAGAIN;
	} else {
		*out = *r;
		out->fence = NULL;
	}
	spin_unlock_irqrestore(&ctx->res_lock, flags);
	return ret;
}

/**
 * rbnn_copy_array() - copy element @idx of a user array with a stride
 * @dst: kernel element
 * @ksize: size of the kernel element
 * @uptr: user pointer to the array
 * @idx: element index
 * @stride: size of one user element, >= @ksize (checked by the caller)
 *
 * Bytes of a larger user element past @ksize must be zero.
 *
 * Return: 0, -EFAULT or -E2BIG.
 */
int rbnn_copy_array(void *dst, size_t ksize, u64 uptr, u32 idx, u32 stride)
{
	const void __user *src = u64_to_user_ptr(uptr + (u64)idx * stride);

	return copy_struct_from_user(dst, ksize, src, stride);
}
