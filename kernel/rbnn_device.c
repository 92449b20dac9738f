// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * rbnn: the card's rings, interrupts, reset and recovery.
 */

#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/iopoll.h>
#include <linux/minmax.h>

#include <drm/drm_drv.h>
#include <drm/drm_print.h>

#include "rbnn_drv.h"

/**
 * rbnn_hw_probe() - identify the card and read its geometry
 * @rdev: the card
 *
 * Return: 0, or -ENODEV for an unknown or absent card.
 */
int rbnn_hw_probe(struct rbnn_device *rdev)
{
	struct drm_device *drm = &rdev->drm;
	u32 id = rbnn_rd(rdev, RBNN_REG_ID);

	if (id != RBNN_ID_VALUE) {
		drm_err(drm, "unexpected ID 0x%08x\n", id);
		return -ENODEV;
	}
	rdev->hw_version = rbnn_rd(rdev, RBNN_REG_VERSION);
	if (rdev->hw_version >> 16 != RBNN_VERSION_MAJOR) {
		drm_err(drm, "unsupported hardware version 0x%08x\n",
			rdev->hw_version);
		return -ENODEV;
	}
	rdev->caps = rbnn_rd(rdev, RBNN_REG_CAPS);
	rdev->ntiles = rbnn_rd(rdev, RBNN_REG_TILES);
	rdev->rows = rbnn_rd(rdev, RBNN_REG_TILE_ROWS);
	rdev->cols = rbnn_rd(rdev, RBNN_REG_TILE_COLS);
	rdev->act_buf_size = rbnn_rd(rdev, RBNN_REG_ACT_BUF_SIZE);
	rdev->max_layers = rbnn_rd(rdev, RBNN_REG_MAX_LAYERS);
	rdev->max_sgl = rbnn_rd(rdev, RBNN_REG_MAX_SGL);
	rdev->max_batch = rbnn_rd(rdev, RBNN_REG_MAX_BATCH);
	rdev->cell_mode = rbnn_rd(rdev, RBNN_REG_CELL_MODE);

	if (!rdev->ntiles || rdev->ntiles > 1024 || !rdev->rows ||
	    rdev->rows > 65536 || !rdev->cols || rdev->cols % 64 ||
	    rdev->cols > 8192 || !rdev->max_layers || !rdev->max_sgl ||
	    !rdev->max_batch || rdev->act_buf_size < 64) {
		drm_err(drm, "implausible geometry: %u tiles of %u x %u\n",
			rdev->ntiles, rdev->rows, rdev->cols);
		return -ENODEV;
	}
	rdev->row_bytes = rdev->cols / 8;

	/*
	 * Limits the driver relies on, whatever the card says: a layer
	 * program stores its layer count in 16 bits; an SG list of a buffer
	 * range is one coherent DMA buffer of max_sgl entries, and the
	 * activation buffer and the batch bound the work of one command.
	 */
	rdev->max_layers = min(rdev->max_layers, RBNN_DRV_MAX_LAYERS);
	rdev->max_sgl = min(rdev->max_sgl, RBNN_DRV_MAX_SGL);
	rdev->max_batch = min(rdev->max_batch, RBNN_DRV_MAX_BATCH);
	rdev->act_buf_size = min(rdev->act_buf_size, RBNN_DRV_MAX_ACT_BUF);
	return 0;
}

/**
 * rbnn_hw_reset() - reset the card: from now on it does no DMA
 * @rdev: the card
 *
 * Return: 0, -ENODEV if the card is gone, -EIO if the reset failed.
 */
int rbnn_hw_reset(struct rbnn_device *rdev)
{
	u32 before = rbnn_rd(rdev, RBNN_REG_RESETS), ctrl;
	int ret;

	rbnn_wr(rdev, RBNN_REG_INT_MASK, 0);
	rbnn_wr(rdev, RBNN_REG_CONTROL, RBNN_CTRL_RESET);
	/*
	 * CONTROL.RESET reads 0 once the reset is done: at once on the
	 * emulated card (a synchronous reset), after a while on silicon. A
	 * card that is gone reads all ones.
	 */
	ret = readl_poll_timeout(rdev->regs + RBNN_REG_CONTROL, ctrl,
				 ctrl == ~0u || !(ctrl & RBNN_CTRL_RESET),
				 RBNN_RESET_POLL_US, RBNN_RESET_TIMEOUT_US);
	if (ctrl == ~0u || rbnn_rd(rdev, RBNN_REG_ID) != RBNN_ID_VALUE)
		return -ENODEV;
	if (ret) {
		drm_err(&rdev->drm, "reset did not complete in %u us\n",
			RBNN_RESET_TIMEOUT_US);
		return -EIO;
	}
	if (rbnn_rd(rdev, RBNN_REG_RESETS) == before) {
		drm_err(&rdev->drm, "reset did not take effect\n");
		return -EIO;
	}
	return 0;
}

/**
 * rbnn_hw_start() - start the rings of a card that was just reset
 * @rdev: the card
 *
 * The rings must hold no command the driver still waits for.
 *
 * Return: 0 or a negative errno (the card is then left disabled).
 */
int rbnn_hw_start(struct rbnn_device *rdev)
{
	unsigned long flags;
	u32 sts;

	spin_lock_irqsave(&rdev->ring_lock, flags);
	memset(rdev->cq, 0, RBNN_CQ_ENTRIES * sizeof(*rdev->cq));
	memset(rdev->slot_job, 0, sizeof(rdev->slot_job));
	rdev->sq_tail = 0;
	rdev->cq_head = 0;
	rdev->cq_phase = 1;
	rdev->outstanding = 0;
	spin_unlock_irqrestore(&rdev->ring_lock, flags);

	rbnn_wr(rdev, RBNN_REG_SQ_BASE_LO, lower_32_bits(rdev->sq_dma));
	rbnn_wr(rdev, RBNN_REG_SQ_BASE_HI, upper_32_bits(rdev->sq_dma));
	rbnn_wr(rdev, RBNN_REG_SQ_SIZE, RBNN_SQ_ENTRIES);
	rbnn_wr(rdev, RBNN_REG_CQ_BASE_LO, lower_32_bits(rdev->cq_dma));
	rbnn_wr(rdev, RBNN_REG_CQ_BASE_HI, upper_32_bits(rdev->cq_dma));
	rbnn_wr(rdev, RBNN_REG_CQ_SIZE, RBNN_CQ_ENTRIES);
	rbnn_wr(rdev, RBNN_REG_IRQ_COAL, RBNN_IRQ_COAL);
	rbnn_wr(rdev, RBNN_REG_INT_STATUS,
		RBNN_INT_CQ | RBNN_INT_ERROR | RBNN_INT_TEST);
	rbnn_wr(rdev, RBNN_REG_INT_MASK,
		RBNN_INT_CQ | RBNN_INT_ERROR | RBNN_INT_TEST);
	rbnn_wr(rdev, RBNN_REG_CONTROL, RBNN_CTRL_ENABLE);

	sts = rbnn_rd(rdev, RBNN_REG_STATUS);
	if ((sts & RBNN_STS_HALTED) || !(sts & RBNN_STS_ENABLED)) {
		drm_err(&rdev->drm, "enable failed: STATUS 0x%x ERROR 0x%x\n",
			sts, rbnn_rd(rdev, RBNN_REG_ERROR));
		return -EIO;
	}
	rdev->wd_progress = rbnn_rd(rdev, RBNN_REG_PROGRESS);

	spin_lock_irqsave(&rdev->ring_lock, flags);
	rdev->hw_running = true;
	spin_unlock_irqrestore(&rdev->ring_lock, flags);
	return 0;
}

/**
 * rbnn_hw_fini() - stop the card for good (remove): no DMA, no interrupts
 * @rdev: the card
 */
void rbnn_hw_fini(struct rbnn_device *rdev)
{
	unsigned long flags;

	spin_lock_irqsave(&rdev->ring_lock, flags);
	rdev->hw_running = false;
	spin_unlock_irqrestore(&rdev->ring_lock, flags);
	if (rbnn_rd(rdev, RBNN_REG_ID) == RBNN_ID_VALUE)
		rbnn_hw_reset(rdev);
}

/*
 * Consume the completions the card wrote. Caller holds ring_lock; jobs
 * whose last command completed move to @done, for rbnn_jobs_end() once the
 * lock is dropped.
 */
static unsigned int rbnn_cq_drain_locked(struct rbnn_device *rdev,
					 struct list_head *done)
{
	unsigned int n = 0;

	for (;;) {
		struct rbnn_hw_cqe *cqe = &rdev->cq[rdev->cq_head];
		struct rbnn_hw_cqe e;
		struct rbnn_job *job;
		u32 tag;

		if ((le16_to_cpu(READ_ONCE(cqe->flags)) & RBNN_CQE_F_PHASE) !=
		    rdev->cq_phase)
			break;
		dma_rmb();
		e = *cqe;
		tag = le32_to_cpu(e.tag);
		job = tag < RBNN_SQ_ENTRIES ? rdev->slot_job[tag] : NULL;
		if (job) {
			rdev->slot_job[tag] = NULL;
			if (rbnn_job_cmd_done(job, &e))
				list_move_tail(&job->hw_node, done);
		} else {
			drm_err_ratelimited(&rdev->drm,
					    "completion with unknown tag %u\n",
					    tag);
		}
		rdev->cq_head = (rdev->cq_head + 1) % RBNN_CQ_ENTRIES;
		if (!rdev->cq_head)
			rdev->cq_phase ^= 1;
		if (rdev->outstanding)
			rdev->outstanding--;
		n++;
	}
	if (n && rdev->hw_running)
		rbnn_wr(rdev, RBNN_REG_CQ_HEAD, rdev->cq_head);
	return n;
}

/**
 * rbnn_cq_poll() - consume completions without an interrupt
 * @rdev: the card
 *
 * Return: true if completions were found (an interrupt was lost).
 */
bool rbnn_cq_poll(struct rbnn_device *rdev)
{
	unsigned long flags;
	unsigned int n = 0;
	LIST_HEAD(done);

	spin_lock_irqsave(&rdev->ring_lock, flags);
	if (rdev->hw_running)
		n = rbnn_cq_drain_locked(rdev, &done);
	spin_unlock_irqrestore(&rdev->ring_lock, flags);
	rbnn_jobs_end(&done);
	return n > 0;
}

/**
 * rbnn_ring_submit() - put a job's commands on the SQ
 * @rdev: the card
 * @job: the job
 *
 * The scheduler's credits (one per command, SQ size - 1 in all) guarantee
 * room in the SQ.
 *
 * Return: 0, or -EIO if the card is not running.
 */
int rbnn_ring_submit(struct rbnn_device *rdev, struct rbnn_job *job)
{
	unsigned long flags;
	u32 i;

	spin_lock_irqsave(&rdev->ring_lock, flags);
	if (!rdev->hw_running ||
	    rdev->outstanding + job->ncmds > RBNN_SQ_ENTRIES - 1) {
		spin_unlock_irqrestore(&rdev->ring_lock, flags);
		return -EIO;
	}
	for (i = 0; i < job->ncmds; i++) {
		u32 slot = rdev->sq_tail;

		job->cmds[i].tag = cpu_to_le32(slot);
		if (i == job->ncmds - 1)
			job->cmds[i].flags |= RBNN_CMD_F_IRQ_NOW;
		memcpy(&rdev->sq[slot], &job->cmds[i], sizeof(job->cmds[i]));
		rdev->slot_job[slot] = job;
		rdev->sq_tail = (slot + 1) % RBNN_SQ_ENTRIES;
	}
	rdev->outstanding += job->ncmds;
	list_add_tail(&job->hw_node, &rdev->hw_jobs);
	/* writel() orders the SQ stores before the doorbell. */
	rbnn_wr(rdev, RBNN_REG_SQ_TAIL, rdev->sq_tail);
	spin_unlock_irqrestore(&rdev->ring_lock, flags);
	return 0;
}

/*
 * Fail every job still on the card. Caller holds ring_lock; the jobs move
 * to @done, for rbnn_jobs_end() once the lock is dropped.
 */
static void rbnn_fail_hw_jobs_locked(struct rbnn_device *rdev,
				     struct rbnn_job *bad, int error,
				     struct list_head *done)
{
	struct rbnn_job *job, *tmp;

	list_for_each_entry_safe(job, tmp, &rdev->hw_jobs, hw_node) {
		job->status = job == bad ? -ETIMEDOUT : error;
		list_move_tail(&job->hw_node, done);
	}
	memset(rdev->slot_job, 0, sizeof(rdev->slot_job));
	rdev->outstanding = 0;
}

/**
 * rbnn_fail_all_jobs() - the card is gone: fail every job on it
 * @rdev: the card
 * @error: errno for the jobs
 */
void rbnn_fail_all_jobs(struct rbnn_device *rdev, int error)
{
	unsigned long flags;
	LIST_HEAD(done);

	spin_lock_irqsave(&rdev->ring_lock, flags);
	rdev->hw_running = false;
	rbnn_fail_hw_jobs_locked(rdev, NULL, error, &done);
	spin_unlock_irqrestore(&rdev->ring_lock, flags);
	rbnn_jobs_end(&done);
}

/**
 * rbnn_hw_stop() - reset the card and fail the jobs it lost
 * @rdev: the card
 * @bad: the job that hung (it fails with -ETIMEDOUT), or NULL
 * @error: errno for the other jobs on the card
 *
 * Completions the card wrote before the reset are processed normally.
 * The rings stay stopped until rbnn_hw_start().
 *
 * Return: the result of rbnn_hw_reset().
 */
int rbnn_hw_stop(struct rbnn_device *rdev, struct rbnn_job *bad, int error)
{
	unsigned long flags;
	LIST_HEAD(done);
	int ret;

	rbnn_wr(rdev, RBNN_REG_INT_MASK, 0);
	synchronize_irq(rdev->irq_cq);
	synchronize_irq(rdev->irq_ev);

	ret = rbnn_hw_reset(rdev);

	spin_lock_irqsave(&rdev->ring_lock, flags);
	rdev->hw_running = false;
	rbnn_cq_drain_locked(rdev, &done);
	rbnn_fail_hw_jobs_locked(rdev, bad, error, &done);
	spin_unlock_irqrestore(&rdev->ring_lock, flags);
	rbnn_jobs_end(&done);
	return ret;
}

/**
 * rbnn_recover() - reset the card and fail the jobs it lost
 * @rdev: the card
 * @bad: the job that hung (its context is banned), or NULL
 * @why: reason, for the log
 *
 * Runs on &rbnn_device.reset_wq (the scheduler's timeout workqueue), so
 * recoveries never overlap. Completions written before the reset are
 * processed normally; the hung job fails with -ETIMEDOUT and every other job
 * that was on the card with -ECANCELED. Jobs not yet on the card run after
 * the recovery. The array and the thresholds survive the reset.
 */
void rbnn_recover(struct rbnn_device *rdev, struct rbnn_job *bad,
		  const char *why)
{
	int idx, ret;

	if (!drm_dev_enter(&rdev->drm, &idx))
		return;
	if (READ_ONCE(rdev->removing) || READ_ONCE(rdev->suspended)) {
		/* remove() or a sleep stops the card and fails its jobs. */
		drm_dev_exit(idx);
		return;
	}

	drm_warn(&rdev->drm, "resetting the card: %s\n", why);
	drm_sched_wqueue_stop(&rdev->sched);
	/*
	 * Ban before the stop fails the hung job: its waiter may submit again
	 * as soon as the job's fence signals, and must find the file banned.
	 */
	if (bad)
		WRITE_ONCE(bad->ctx->banned, true);
	/*
	 * Counted before the stop fails the hung job, for the same reason: a
	 * waiter woken by its fence reads the recovery in the counters.
	 */
	atomic_inc(&rdev->recoveries);
	ret = rbnn_hw_stop(rdev, bad, -ECANCELED);

	if (!ret)
		ret = rbnn_hw_start(rdev);
	if (ret)
		drm_err(&rdev->drm, "recovery failed (%d): the card is unusable\n",
			ret);

	rbnn_sched_restart(rdev, bad);
	drm_dev_exit(idx);
}

/**
 * rbnn_reset_work() - recovery requested outside the timeout handler
 * @work: &rbnn_device.reset_work
 */
void rbnn_reset_work(struct work_struct *work)
{
	struct rbnn_device *rdev = container_of(work, struct rbnn_device,
						reset_work);

	rbnn_recover(rdev, NULL, "requested");
}

/*
 * The CQ vector's handler runs in a thread (the vector stays masked until
 * it returns): ending jobs syncs their buffers for the CPU and signals
 * fences, whose callbacks fan out; none of that belongs in hard IRQ.
 */
static irqreturn_t rbnn_irq_cq(int irq, void *arg)
{
	struct rbnn_device *rdev = arg;
	unsigned long flags;
	LIST_HEAD(done);

	spin_lock_irqsave(&rdev->ring_lock, flags);
	if (rdev->hw_running) {
		/* Acknowledge first, then drain: no completion is missed. */
		rbnn_wr(rdev, RBNN_REG_INT_STATUS, RBNN_INT_CQ);
		rbnn_cq_drain_locked(rdev, &done);
	}
	spin_unlock_irqrestore(&rdev->ring_lock, flags);
	rbnn_jobs_end(&done);
	return IRQ_HANDLED;
}

static irqreturn_t rbnn_irq_event(int irq, void *arg)
{
	struct rbnn_device *rdev = arg;
	u32 s = rbnn_rd(rdev, RBNN_REG_INT_STATUS);

	if (s == ~0u)
		return IRQ_NONE;
	s &= RBNN_INT_ERROR | RBNN_INT_TEST;
	if (!s)
		return IRQ_NONE;
	rbnn_wr(rdev, RBNN_REG_INT_STATUS, s);
	if (s & RBNN_INT_TEST) {
		atomic_inc(&rdev->test_irqs);
		complete(&rdev->test_irq_done);
	}
	if (s & RBNN_INT_ERROR) {
		/* hard IRQ: a card that keeps failing must not flood */
		drm_err_ratelimited(&rdev->drm,
				    "fatal error: ERROR 0x%x STATUS 0x%x\n",
				    rbnn_rd(rdev, RBNN_REG_ERROR),
				    rbnn_rd(rdev, RBNN_REG_STATUS));
		queue_work(rdev->reset_wq, &rdev->reset_work);
	}
	return IRQ_HANDLED;
}

/**
 * rbnn_irq_init() - allocate the two MSI-X vectors and their handlers
 * @rdev: the card
 *
 * Return: 0 or a negative errno.
 */
int rbnn_irq_init(struct rbnn_device *rdev)
{
	struct pci_dev *pdev = rdev->pdev;
	int ret;

	ret = pci_alloc_irq_vectors(pdev, RBNN_MSIX_VECTORS, RBNN_MSIX_VECTORS,
				    PCI_IRQ_MSIX);
	if (ret < 0)
		return ret;
	rdev->irq_cq = pci_irq_vector(pdev, RBNN_MSIX_VEC_CQ);
	rdev->irq_ev = pci_irq_vector(pdev, RBNN_MSIX_VEC_EVENT);
	/* One name per card in /proc/interrupts. */
	snprintf(rdev->irq_cq_name, sizeof(rdev->irq_cq_name), "rbnn-cq@%s",
		 pci_name(pdev));
	snprintf(rdev->irq_ev_name, sizeof(rdev->irq_ev_name), "rbnn-event@%s",
		 pci_name(pdev));
	ret = request_threaded_irq(rdev->irq_cq, NULL, rbnn_irq_cq, IRQF_ONESHOT,
				   rdev->irq_cq_name, rdev);
	if (ret)
		goto err_vectors;
	ret = request_irq(rdev->irq_ev, rbnn_irq_event, 0, rdev->irq_ev_name,
			  rdev);
	if (ret)
		goto err_cq;
	return 0;

err_cq:
	free_irq(rdev->irq_cq, rdev);
err_vectors:
	pci_free_irq_vectors(pdev);
	return ret;
}

/**
 * rbnn_irq_fini() - free the interrupts
 * @rdev: the card
 */
void rbnn_irq_fini(struct rbnn_device *rdev)
{
	free_irq(rdev->irq_ev, rdev);
	free_irq(rdev->irq_cq, rdev);
	pci_free_irq_vectors(rdev->pdev);
}

/**
 * rbnn_read_wear() - read a tile's wear window
 * @rdev: the card
 * @tile: tile index
 * @w: result
 *
 * Return: 0, or -ENODEV if the card is gone.
 */
int rbnn_read_wear(struct rbnn_device *rdev, u32 tile, struct rbnn_wear *w)
{
	int idx;

	if (!drm_dev_enter(&rdev->drm, &idx))
		return -ENODEV;
	mutex_lock(&rdev->win_lock);
	rbnn_wr(rdev, RBNN_REG_TILE_SEL, tile);
	w->cycles_max = rbnn_rd(rdev, RBNN_REG_TILE_CYCLES_MAX);
	w->cycles_sum = rbnn_rd64(rdev, RBNN_REG_TILE_CYCLES_LO);
	w->stuck = rbnn_rd(rdev, RBNN_REG_TILE_STUCK);
	w->verify_fails = rbnn_rd(rdev, RBNN_REG_TILE_VERIFY_FAILS);
	w->scrub_weak = rdev->caps & RBNN_CAP_SCRUB_COUNT ?
			rbnn_rd(rdev, RBNN_REG_TILE_SCRUB_WEAK) : U64_MAX;
	mutex_unlock(&rdev->win_lock);
	drm_dev_exit(idx);
	return 0;
}

/**
 * rbnn_read_param() - read one device-model parameter
 * @rdev: the card
 * @id: enum rbnn_param
 *
 * Return: the value, RBNN_PARAM_INVALID if unknown or the card is gone.
 */
u64 rbnn_read_param(struct rbnn_device *rdev, u32 id)
{
	u64 v;
	int idx;

	if (!drm_dev_enter(&rdev->drm, &idx))
		return RBNN_PARAM_INVALID;
	mutex_lock(&rdev->win_lock);
	rbnn_wr(rdev, RBNN_REG_PARAM_SEL, id);
	v = rbnn_rd64(rdev, RBNN_REG_PARAM_VAL_LO);
	mutex_unlock(&rdev->win_lock);
	drm_dev_exit(idx);
	return v;
}
