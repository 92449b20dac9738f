// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * rbnn: debugfs, in /sys/kernel/debug/accel/<minor>/:
 *
 *   status         card registers, driver counters
 *   tiles          tile map: owner, rows programmed, jobs in flight, wear
 *   force_reset    write 1: reset the card as a hang recovery would
 *   test_irq       write 1: raise the card's test interrupt and wait for it
 *   fault          (x-debug=on cards) read/write the FAULT register
 *   stuck          (x-debug=on) write "tile row col cmd": STUCK_* registers
 *   age_advance_s  (x-debug=on) write N: age the array by N seconds
 *   scrub          write "all" or a tile index: scrub (REFRESH) every row
 *                  of those tiles, whoever owns them, and wait; then read
 *                  the report of that scrub from the same open file
 *   sim/seed       the emulator's random number generator seed (PARAM
 *                  window, read-only: set with the device's seed property)
 *   sim/timing     the emulator's timing switch: 0 instant, 1 modeled
 *
 * sim/ holds the simulation knobs of the device model, which a real card
 * does not have; QUERY_MODEL reported them up to driver 1.1.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>

#include "rbnn_drv.h"

static int rbnn_status_show(struct seq_file *m, void *unused)
{
	struct rbnn_device *rdev = m->private;
	u32 nfree, nused;
	int idx;

	rbnn_tiles_count(rdev, &nfree, &nused);
	seq_printf(m, "tiles_free: %u\ntiles_used: %u\n", nfree, nused);
	seq_printf(m, "jobs_submitted: %lld\njobs_completed: %lld\n",
		   (s64)atomic64_read(&rdev->jobs_submitted),
		   (s64)atomic64_read(&rdev->jobs_completed));
	seq_printf(m, "jobs_failed: %lld\njobs_alive: %d\n",
		   (s64)atomic64_read(&rdev->jobs_failed),
		   atomic_read(&rdev->jobs_alive));
	seq_printf(m, "recoveries: %d\nlost_irqs: %d\ntest_irqs: %d\n",
		   atomic_read(&rdev->recoveries),
		   atomic_read(&rdev->lost_irqs),
		   atomic_read(&rdev->test_irqs));
	seq_printf(m, "bo_mem: %lld\njob_mem: %lld\n",
		   (s64)atomic64_read(&rdev->bo_mem),
		   (s64)atomic64_read(&rdev->job_mem));
	seq_printf(m, "hw_running: %d\noutstanding: %u\n",
		   READ_ONCE(rdev->hw_running), READ_ONCE(rdev->outstanding));
	if (!drm_dev_enter(&rdev->drm, &idx))
		return 0;
	seq_printf(m, "STATUS: 0x%x\nERROR: 0x%x\nCAPS: 0x%x\n",
		   rbnn_rd(rdev, RBNN_REG_STATUS),
		   rbnn_rd(rdev, RBNN_REG_ERROR), rdev->caps);
	seq_printf(m, "SQ_HEAD: %u\nSQ_TAIL: %u\nCQ_HEAD: %u\nCQ_TAIL: %u\n",
		   rbnn_rd(rdev, RBNN_REG_SQ_HEAD),
		   rbnn_rd(rdev, RBNN_REG_SQ_TAIL),
		   rbnn_rd(rdev, RBNN_REG_CQ_HEAD),
		   rbnn_rd(rdev, RBNN_REG_CQ_TAIL));
	seq_printf(m, "PROGRESS: %u\nRESETS: %u\n",
		   rbnn_rd(rdev, RBNN_REG_PROGRESS),
		   rbnn_rd(rdev, RBNN_REG_RESETS));
	seq_printf(m, "ENERGY_PJ: %llu\nBUSY_NS: %llu\nCMDS_DONE: %llu\n",
		   rbnn_rd64(rdev, RBNN_REG_ENERGY_PJ_LO),
		   rbnn_rd64(rdev, RBNN_REG_BUSY_NS_LO),
		   rbnn_rd64(rdev, RBNN_REG_CMDS_DONE_LO));
	drm_dev_exit(idx);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rbnn_status);

static int rbnn_tiles_show(struct seq_file *m, void *unused)
{
	struct rbnn_device *rdev = m->private;
	u32 t;

	seq_puts(m, "tile owner pid comm state inflight rows_prog thr_loaded cycles_sum cycles_max stuck verify_fails\n");
	for (t = 0; t < rdev->ntiles; t++) {
		struct rbnn_tile *tile = &rdev->tiles[t];
		struct rbnn_wear w = {};
		unsigned long flags;
		u32 id = 0, inflight, prog, thr;
		const char *state;
		char comm[TASK_COMM_LEN] = "-";
		pid_t pid = 0;

		rbnn_read_wear(rdev, t, &w);
		spin_lock_irqsave(&rdev->tile_lock, flags);
		if (tile->owner) {
			id = tile->owner->id;
			pid = tile->owner->pid;
			memcpy(comm, tile->owner->comm, sizeof(comm));
		}
		state = !tile->owner ? "free" :
			tile->releasing ? "releasing" : "owned";
		inflight = tile->inflight;
		prog = tile->owner ? bitmap_weight(tile->prog_valid, rdev->rows) : 0;
		thr = tile->owner ? bitmap_weight(tile->thr_valid, rdev->rows) : 0;
		spin_unlock_irqrestore(&rdev->tile_lock, flags);
		seq_printf(m, "%u %u %d %s %s %u %u %u %llu %u %u %u\n", t, id,
			   pid, comm, state, inflight, prog, thr, w.cycles_sum,
			   w.cycles_max, w.stuck, w.verify_fails);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rbnn_tiles);

static int rbnn_force_reset_set(void *data, u64 val)
{
	struct rbnn_device *rdev = data;

	if (val != 1)
		return -EINVAL;
	queue_work(rdev->reset_wq, &rdev->reset_work);
	flush_work(&rdev->reset_work);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(rbnn_force_reset_fops, NULL, rbnn_force_reset_set,
			 "%llu\n");

static int rbnn_test_irq_set(void *data, u64 val)
{
	struct rbnn_device *rdev = data;
	int idx, ret = 0;

	if (val != 1)
		return -EINVAL;
	if (!drm_dev_enter(&rdev->drm, &idx))
		return -ENODEV;
	reinit_completion(&rdev->test_irq_done);
	rbnn_wr(rdev, RBNN_REG_INT_TRIGGER, RBNN_INT_TEST);
	if (!wait_for_completion_timeout(&rdev->test_irq_done, HZ))
		ret = -ETIMEDOUT;
	drm_dev_exit(idx);
	return ret;
}

static int rbnn_test_irq_get(void *data, u64 *val)
{
	struct rbnn_device *rdev = data;

	*val = atomic_read(&rdev->test_irqs);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(rbnn_test_irq_fops, rbnn_test_irq_get,
			 rbnn_test_irq_set, "%llu\n");

/* Debug registers exist only on cards created with x-debug=on. */
static int rbnn_debug_enter(struct rbnn_device *rdev, int *idx)
{
	if (!(rdev->caps & RBNN_CAP_DEBUG))
		return -EOPNOTSUPP;
	if (!drm_dev_enter(&rdev->drm, idx))
		return -ENODEV;
	return 0;
}

static int rbnn_fault_set(void *data, u64 val)
{
	struct rbnn_device *rdev = data;
	int idx, ret;

	if (val & ~(u64)(RBNN_FAULT_HANG | RBNN_FAULT_DMA |
			 RBNN_FAULT_DROP_IRQ))
		return -EINVAL;
	ret = rbnn_debug_enter(rdev, &idx);
	if (ret)
		return ret;
	mutex_lock(&rdev->win_lock);
	rbnn_wr(rdev, RBNN_REG_FAULT, val);
	mutex_unlock(&rdev->win_lock);
	drm_dev_exit(idx);
	return 0;
}

static int rbnn_fault_get(void *data, u64 *val)
{
	struct rbnn_device *rdev = data;
	int idx, ret;

	ret = rbnn_debug_enter(rdev, &idx);
	if (ret)
		return ret;
	*val = rbnn_rd(rdev, RBNN_REG_FAULT);
	drm_dev_exit(idx);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(rbnn_fault_fops, rbnn_fault_get, rbnn_fault_set,
			 "0x%llx\n");

static int rbnn_age_set(void *data, u64 val)
{
	struct rbnn_device *rdev = data;
	int idx, ret;

	if (val > U32_MAX)
		return -EINVAL;
	ret = rbnn_debug_enter(rdev, &idx);
	if (ret)
		return ret;
	rbnn_wr(rdev, RBNN_REG_AGE_ADVANCE_S, val);
	drm_dev_exit(idx);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(rbnn_age_fops, NULL, rbnn_age_set, "%llu\n");

static ssize_t rbnn_stuck_write(struct file *f, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct rbnn_device *rdev = f->private_data;
	u32 tile, row, col, cmd;
	char buf[64];
	int idx, ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	if (sscanf(buf, "%u %u %u %u", &tile, &row, &col, &cmd) != 4 ||
	    tile >= rdev->ntiles || row >= rdev->rows || col >= rdev->cols ||
	    cmd > RBNN_STUCK_CMD_CLEAR)
		return -EINVAL;
	ret = rbnn_debug_enter(rdev, &idx);
	if (ret)
		return ret;
	mutex_lock(&rdev->win_lock);
	rbnn_wr(rdev, RBNN_REG_STUCK_TILE, tile);
	rbnn_wr(rdev, RBNN_REG_STUCK_ROW, row);
	rbnn_wr(rdev, RBNN_REG_STUCK_COL, col);
	rbnn_wr(rdev, RBNN_REG_STUCK_CMD, cmd);
	mutex_unlock(&rdev->win_lock);
	drm_dev_exit(idx);
	return len;
}

static const struct file_operations rbnn_stuck_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = rbnn_stuck_write,
};

/*
 * The administrator's scrub. Each open file keeps the report of the scrub
 * written to it: a header line, then one line per tile scrubbed:
 *
 *   tile status hw_status weak_cells unverified pulses time_ns energy_pj
 *
 * status is the job's (0 or a negative errno), hw_status the card's
 * completion status (0 OK, 5 VERIFY), unverified the cells the REFRESH
 * left below the margin (VERIFY), pulses the device pulses it spent (OK).
 * The scrub stops at the first tile whose job fails; the write then fails
 * with -EIO (the report says where).
 */
struct rbnn_scrub_file {
	struct rbnn_device *rdev;
	struct mutex lock; /* report, len */
	char *report;
	size_t len;
};

#define RBNN_SCRUB_HDR \
	"tile status hw_status weak_cells unverified pulses time_ns energy_pj\n"
#define RBNN_SCRUB_LINE_MAX 128

static int rbnn_scrub_open(struct inode *inode, struct file *f)
{
	struct rbnn_scrub_file *sf = kzalloc(sizeof(*sf), GFP_KERNEL);

	if (!sf)
		return -ENOMEM;
	sf->rdev = inode->i_private;
	mutex_init(&sf->lock);
	f->private_data = sf;
	return 0;
}

static int rbnn_scrub_release(struct inode *inode, struct file *f)
{
	struct rbnn_scrub_file *sf = f->private_data;

	mutex_destroy(&sf->lock);
	kfree(sf->report);
	kfree(sf);
	return 0;
}

/* Scrub tiles [first, last]; the report goes to @sf. */
static int rbnn_scrub_run(struct rbnn_scrub_file *sf, u32 first, u32 last)
{
	struct rbnn_device *rdev = sf->rdev;
	size_t cap = sizeof(RBNN_SCRUB_HDR) +
		     (size_t)(last - first + 1) * RBNN_SCRUB_LINE_MAX;
	struct rbnn_ctx *ctx;
	char *rep;
	size_t n;
	u32 t;
	int ret = 0;

	rep = kmalloc(cap, GFP_KERNEL);
	if (!rep)
		return -ENOMEM;
	ctx = rbnn_ctx_create(rdev);
	if (IS_ERR(ctx)) {
		kfree(rep);
		return PTR_ERR(ctx);
	}
	n = scnprintf(rep, cap, "%s", RBNN_SCRUB_HDR);
	for (t = first; t <= last; t++) {
		struct rbnn_result r = {};

		ret = rbnn_scrub_tile(ctx, t, &r);
		if (ret)
			break;
		n += scnprintf(rep + n, cap - n,
			       "%u %d %u %llu %u %u %llu %llu\n", t, r.status,
			       r.hw_status, r.scrub_weak,
			       r.hw_status == RBNN_STATUS_VERIFY ? r.hw_detail : 0,
			       r.hw_status == RBNN_STATUS_OK ? r.hw_detail : 0,
			       r.time_ns, r.energy_pj);
		if (r.status) {
			ret = -EIO;
			break;
		}
	}
	drm_sched_entity_destroy(&ctx->entity);
	rbnn_ctx_put(ctx);
	kfree(sf->report);
	sf->report = rep;
	sf->len = n;
	return ret;
}

static ssize_t rbnn_scrub_write(struct file *f, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct rbnn_scrub_file *sf = f->private_data;
	u32 first = 0, last = sf->rdev->ntiles - 1;
	char buf[16];
	int ret;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	if (strcmp(strim(buf), "all")) {
		ret = kstrtou32(strim(buf), 0, &first);
		if (ret || first >= sf->rdev->ntiles)
			return -EINVAL;
		last = first;
	}
	mutex_lock(&sf->lock);
	ret = rbnn_scrub_run(sf, first, last);
	mutex_unlock(&sf->lock);
	/* The report is read from its start. */
	*ppos = 0;
	return ret ? ret : len;
}

static ssize_t rbnn_scrub_read(struct file *f, char __user *ubuf, size_t len,
			       loff_t *ppos)
{
	struct rbnn_scrub_file *sf = f->private_data;
	ssize_t ret;

	mutex_lock(&sf->lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, sf->report, sf->len);
	mutex_unlock(&sf->lock);
	return ret;
}

static const struct file_operations rbnn_scrub_fops = {
	.owner = THIS_MODULE,
	.open = rbnn_scrub_open,
	.release = rbnn_scrub_release,
	.read = rbnn_scrub_read,
	.write = rbnn_scrub_write,
	.llseek = default_llseek,
};

/* sim/: device-model parameters that are simulation knobs. */
static int rbnn_sim_get(struct rbnn_device *rdev, u32 param, u64 *val)
{
	*val = rbnn_read_param(rdev, param);
	return *val == RBNN_PARAM_INVALID && drm_dev_is_unplugged(&rdev->drm) ?
	       -ENODEV : 0;
}

static int rbnn_sim_seed_get(void *data, u64 *val)
{
	return rbnn_sim_get(data, RBNN_PARAM_SEED, val);
}
DEFINE_DEBUGFS_ATTRIBUTE(rbnn_sim_seed_fops, rbnn_sim_seed_get, NULL,
			 "%llu\n");

static int rbnn_sim_timing_get(void *data, u64 *val)
{
	return rbnn_sim_get(data, RBNN_PARAM_TIMING, val);
}
DEFINE_DEBUGFS_ATTRIBUTE(rbnn_sim_timing_fops, rbnn_sim_timing_get, NULL,
			 "%llu\n");

/**
 * rbnn_debugfs_init() - create the debugfs files
 * @rdev: the card
 */
void rbnn_debugfs_init(struct rbnn_device *rdev)
{
	struct dentry *root = rdev->drm.debugfs_root, *sim;

	if (IS_ERR_OR_NULL(root))
		return;
	debugfs_create_file("status", 0444, root, rdev, &rbnn_status_fops);
	debugfs_create_file("tiles", 0444, root, rdev, &rbnn_tiles_fops);
	debugfs_create_file_unsafe("force_reset", 0200, root, rdev,
				   &rbnn_force_reset_fops);
	debugfs_create_file_unsafe("test_irq", 0600, root, rdev,
				   &rbnn_test_irq_fops);
	debugfs_create_file_unsafe("fault", 0600, root, rdev,
				   &rbnn_fault_fops);
	debugfs_create_file_unsafe("age_advance_s", 0200, root, rdev,
				   &rbnn_age_fops);
	debugfs_create_file("stuck", 0200, root, rdev, &rbnn_stuck_fops);
	debugfs_create_file("scrub", 0600, root, rdev, &rbnn_scrub_fops);
	sim = debugfs_create_dir("sim", root);
	debugfs_create_file_unsafe("seed", 0400, sim, rdev,
				   &rbnn_sim_seed_fops);
	debugfs_create_file_unsafe("timing", 0400, sim, rdev,
				   &rbnn_sim_timing_fops);
}
