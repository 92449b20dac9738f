// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * rbnn: DRM accel driver for the RBNN RRAM binarized neural network card.
 *
 * PCI probe and remove, the DRM driver, file open and close, QUERY.
 */

#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_accel.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "rbnn_drv.h"

static int rbnn_query_device(struct rbnn_device *rdev,
			     struct drm_rbnn_query_device *d)
{
	struct pci_dev *pdev = rdev->pdev;

	d->vendor_id = pdev->vendor;
	d->device_id = pdev->device;
	d->subsystem_vendor_id = pdev->subsystem_vendor;
	d->subsystem_id = pdev->subsystem_device;
	d->revision_id = pdev->revision;
	d->hw_version = rdev->hw_version;
	d->caps = rdev->caps;
	d->tiles = rdev->ntiles;
	d->rows = rdev->rows;
	d->cols = rdev->cols;
	d->row_bytes = rdev->row_bytes;
	d->act_buf_size = rdev->act_buf_size;
	d->max_layers = rdev->max_layers;
	d->max_batch = rdev->max_batch;
	d->max_sgl = rdev->max_sgl;
	d->cell_mode = rdev->cell_mode;
	d->max_in_syncs = DRM_RBNN_MAX_IN_SYNCS;
	d->max_segments = DRM_RBNN_MAX_SEGMENTS;
	d->job_history = DRM_RBNN_JOB_HISTORY;
	d->max_jobs = rbnn_max_jobs_per_file();
	return 0;
}

static void rbnn_query_model(struct rbnn_device *rdev,
			     struct drm_rbnn_query_model *m)
{
	m->error_model = rbnn_read_param(rdev, RBNN_PARAM_ERROR_MODEL);
	/*
	 * reserved0 and reserved1 (the emulator's seed and timing switch up
	 * to driver 1.1) stay zero: simulation knobs are in debugfs (sim/).
	 */
	m->prog_current_na = rbnn_read_param(rdev, RBNN_PARAM_PROG_CURRENT_NA);
	m->pulse_ns = rbnn_read_param(rdev, RBNN_PARAM_PULSE_NS);
	m->verify_max = rbnn_read_param(rdev, RBNN_PARAM_VERIFY_MAX);
	m->read_ber_ppb = rbnn_read_param(rdev, RBNN_PARAM_READ_BER_PPB);
	m->expected_ber_ppb =
		rbnn_read_param(rdev, RBNN_PARAM_EXPECTED_BER_PPB);
	m->endurance = rbnn_read_param(rdev, RBNN_PARAM_ENDURANCE);
	m->wear_accel = rbnn_read_param(rdev, RBNN_PARAM_WEAR_ACCEL);
	m->drift_nu_ppm = rbnn_read_param(rdev, RBNN_PARAM_DRIFT_NU_PPM);
	m->e_read_fj = rbnn_read_param(rdev, RBNN_PARAM_E_READ_FJ);
	m->e_popcount_fj = rbnn_read_param(rdev, RBNN_PARAM_E_POPCOUNT_FJ);
	m->e_dma_fj = rbnn_read_param(rdev, RBNN_PARAM_E_DMA_FJ);
	m->t_read_ns = rbnn_read_param(rdev, RBNN_PARAM_T_READ_NS);
}

static int rbnn_query_counters(struct rbnn_device *rdev,
			       struct drm_rbnn_query_counters *c)
{
	int idx;

	if (!drm_dev_enter(&rdev->drm, &idx))
		return -ENODEV;
	c->energy_pj = rbnn_rd64(rdev, RBNN_REG_ENERGY_PJ_LO);
	c->busy_ns = rbnn_rd64(rdev, RBNN_REG_BUSY_NS_LO);
	c->commands = rbnn_rd64(rdev, RBNN_REG_CMDS_DONE_LO);
	c->program_pulses = rbnn_rd64(rdev, RBNN_REG_PROG_PULSES_LO);
	c->cell_reads = rbnn_rd64(rdev, RBNN_REG_CELL_READS_LO);
	c->progress = rbnn_rd(rdev, RBNN_REG_PROGRESS);
	c->resets = rbnn_rd(rdev, RBNN_REG_RESETS);
	c->age_s = rbnn_rd64(rdev, RBNN_REG_AGE_S_LO);
	c->scrub_weak_cells = rdev->caps & RBNN_CAP_SCRUB_COUNT ?
			      rbnn_rd64(rdev, RBNN_REG_SCRUB_WEAK_LO) : U64_MAX;
	drm_dev_exit(idx);
	c->jobs_submitted = atomic64_read(&rdev->jobs_submitted);
	c->jobs_completed = atomic64_read(&rdev->jobs_completed);
	c->jobs_failed = atomic64_read(&rdev->jobs_failed);
	c->recoveries = atomic_read(&rdev->recoveries);
	return 0;
}

static int rbnn_ioctl_query(struct drm_device *drm, void *data,
			    struct drm_file *file)
{
	struct rbnn_device *rdev = to_rbnn_device(drm);
	struct drm_rbnn_query *args = data;
	union {
		struct drm_rbnn_query_device device;
		struct drm_rbnn_query_model model;
		struct drm_rbnn_query_counters counters;
	} u;
	void *buf = &u, *tiles = NULL;
	size_t len;
	int ret = 0;

	memset(&u, 0, sizeof(u));
	switch (args->type) {
	case DRM_RBNN_QUERY_DEVICE:
		len = sizeof(u.device);
		ret = rbnn_query_device(rdev, &u.device);
		break;
	case DRM_RBNN_QUERY_MODEL:
		len = sizeof(u.model);
		rbnn_query_model(rdev, &u.model);
		break;
	case DRM_RBNN_QUERY_COUNTERS:
		len = sizeof(u.counters);
		ret = rbnn_query_counters(rdev, &u.counters);
		break;
	case DRM_RBNN_QUERY_TILES:
		ret = rbnn_query_tiles(rdev, file->driver_priv, &tiles, &len);
		buf = tiles;
		break;
	default:
		return -EINVAL;
	}
	if (ret)
		return ret;

	if (args->size) {
		len = min_t(size_t, len, args->size);
		if (copy_to_user(u64_to_user_ptr(args->ptr), buf, len))
			ret = -EFAULT;
	}
	if (!ret)
		args->size = len;
	kfree(tiles);
	return ret;
}

/*
 * Ioctls run inside drm_dev_enter()/drm_dev_exit(): once the card is
 * unplugged they fail with -ENODEV, and remove() waits for those running.
 * The ones that only wait for jobs (BO_WAIT, JOB_INFO, ADMIN's scrub) touch
 * no hardware and must not hold up remove(), which is what ends the jobs
 * they wait for: they run unguarded (drm_ioctl() still refuses new calls
 * after unplug). Every ioctl fails with -ENODEV from the moment remove()
 * begins, before drm_dev_unplug(): a caller woken by its job's -ENODEV
 * must not see the dying card answer its next call.
 */
static bool rbnn_gone(struct drm_device *drm)
{
	return READ_ONCE(to_rbnn_device(drm)->removing);
}

#define RBNN_GUARDED(fn)						\
static int fn##_guarded(struct drm_device *drm, void *data,		\
			struct drm_file *file)				\
{									\
	int idx, ret;							\
									\
	if (rbnn_gone(drm) || !drm_dev_enter(drm, &idx))		\
		return -ENODEV;						\
	ret = fn(drm, data, file);					\
	drm_dev_exit(idx);						\
	return ret;							\
}

#define RBNN_WAITS(fn)							\
static int fn##_waits(struct drm_device *drm, void *data,		\
		      struct drm_file *file)				\
{									\
	return rbnn_gone(drm) ? -ENODEV : fn(drm, data, file);		\
}

RBNN_GUARDED(rbnn_ioctl_query)
RBNN_GUARDED(rbnn_ioctl_bo_create)
RBNN_GUARDED(rbnn_ioctl_bo_info)
RBNN_GUARDED(rbnn_ioctl_tile_alloc)
RBNN_GUARDED(rbnn_ioctl_tile_free)
RBNN_GUARDED(rbnn_ioctl_program)
RBNN_GUARDED(rbnn_ioctl_exec)
RBNN_GUARDED(rbnn_ioctl_readback)
RBNN_WAITS(rbnn_ioctl_bo_wait)
RBNN_WAITS(rbnn_ioctl_job_info)
RBNN_WAITS(rbnn_ioctl_admin)

#define RBNN_IOCTL(n, fn) DRM_IOCTL_DEF_DRV(RBNN_##n, fn##_guarded, 0)
#define RBNN_IOCTL_WAIT(n, fn) DRM_IOCTL_DEF_DRV(RBNN_##n, fn##_waits, 0)

static const struct drm_ioctl_desc rbnn_ioctls[] = {
	RBNN_IOCTL(QUERY, rbnn_ioctl_query),
	RBNN_IOCTL(BO_CREATE, rbnn_ioctl_bo_create),
	RBNN_IOCTL(BO_INFO, rbnn_ioctl_bo_info),
	RBNN_IOCTL_WAIT(BO_WAIT, rbnn_ioctl_bo_wait),
	RBNN_IOCTL(TILE_ALLOC, rbnn_ioctl_tile_alloc),
	RBNN_IOCTL(TILE_FREE, rbnn_ioctl_tile_free),
	RBNN_IOCTL(PROGRAM, rbnn_ioctl_program),
	RBNN_IOCTL(EXEC, rbnn_ioctl_exec),
	RBNN_IOCTL(READBACK, rbnn_ioctl_readback),
	RBNN_IOCTL_WAIT(JOB_INFO, rbnn_ioctl_job_info),
	RBNN_IOCTL_WAIT(ADMIN, rbnn_ioctl_admin),
};

static int rbnn_open(struct drm_device *drm, struct drm_file *file)
{
	struct rbnn_ctx *ctx;
	int idx;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	ctx = rbnn_ctx_create(to_rbnn_device(drm));
	drm_dev_exit(idx);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	file->driver_priv = ctx;
	return 0;
}

static void rbnn_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct rbnn_ctx *ctx = file->driver_priv;

	/* Queued jobs run (or are killed); jobs on the card keep the ctx. */
	drm_sched_entity_destroy(&ctx->entity);
	rbnn_tiles_release_ctx(ctx);
	rbnn_ctx_put(ctx);
}

static void rbnn_show_fdinfo(struct drm_printer *p, struct drm_file *file)
{
	struct rbnn_ctx *ctx = file->driver_priv;

	drm_printf(p, "drm-engine-rbnn:\t%llu ns\n",
		   (u64)atomic64_read(&ctx->busy_ns));
	/* Driver-specific keys (drm-usage-stats): the wear budget spent. */
	drm_printf(p, "rbnn-programmed-rows:\t%llu\n",
		   (u64)atomic64_read(&ctx->wear_rows));
	drm_show_memory_stats(p, file);
}

static const struct file_operations rbnn_fops = {
	.owner = THIS_MODULE,
	DRM_ACCEL_FOPS,
	.show_fdinfo = drm_show_fdinfo,
};

static const struct drm_driver rbnn_drm_driver = {
	.driver_features = DRIVER_COMPUTE_ACCEL | DRIVER_GEM |
			   DRIVER_SYNCOBJ | DRIVER_SYNCOBJ_TIMELINE,
	.open = rbnn_open,
	.postclose = rbnn_postclose,
	.show_fdinfo = rbnn_show_fdinfo,
	.gem_create_object = rbnn_gem_create_object,
	.gem_prime_import = rbnn_gem_prime_import,
	.gem_prime_import_sg_table = drm_gem_shmem_prime_import_sg_table,
	.ioctls = rbnn_ioctls,
	.num_ioctls = ARRAY_SIZE(rbnn_ioctls),
	.fops = &rbnn_fops,
	.name = RBNN_DRIVER_NAME,
	.desc = RBNN_DRIVER_DESC,
	/* gone from drm_driver in drm-misc-next (see rbnn_job.c) */
	.date = "20250101",
	.major = 1,
	.minor = 2,
};

/* Last reference to the DRM device: no file, no job is left. */
static void rbnn_drm_fini(struct drm_device *drm, void *arg)
{
	struct rbnn_device *rdev = arg;

	rbnn_sched_fini(rdev);
	destroy_workqueue(rdev->reset_wq);
}

static int rbnn_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct rbnn_device *rdev;
	struct drm_device *drm;
	int ret;

	rdev = devm_drm_dev_alloc(&pdev->dev, &rbnn_drm_driver,
				  struct rbnn_device, drm);
	if (IS_ERR(rdev))
		return PTR_ERR(rdev);
	drm = &rdev->drm;
	rdev->pdev = pdev;
	pci_set_drvdata(pdev, rdev);
	spin_lock_init(&rdev->ring_lock);
	spin_lock_init(&rdev->tile_lock);
	spin_lock_init(&rdev->rd64_lock);
	INIT_LIST_HEAD(&rdev->hw_jobs);
	init_waitqueue_head(&rdev->jobs_wq);
	init_completion(&rdev->test_irq_done);
	INIT_WORK(&rdev->reset_work, rbnn_reset_work);
	ret = drmm_mutex_init(drm, &rdev->win_lock);
	if (ret)
		return ret;
	INIT_LIST_HEAD(&rdev->mapped_bos);
	INIT_LIST_HEAD(&rdev->job_dma);
	ret = drmm_mutex_init(drm, &rdev->job_dma_lock);
	if (ret)
		return ret;
	ret = drmm_mutex_init(drm, &rdev->bo_lock);
	if (ret)
		return ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	if (pci_resource_len(pdev, RBNN_BAR_REGS) < RBNN_REGS_SIZE) {
		drm_err(drm, "BAR%d is %llu bytes, the registers need %u\n",
			RBNN_BAR_REGS,
			(u64)pci_resource_len(pdev, RBNN_BAR_REGS),
			RBNN_REGS_SIZE);
		return -ENODEV;
	}
	rdev->regs = pcim_iomap_region(pdev, RBNN_BAR_REGS, RBNN_DRIVER_NAME);
	if (IS_ERR(rdev->regs))
		return PTR_ERR(rdev->regs);
	ret = rbnn_hw_probe(rdev);
	if (ret)
		return ret;
	/* A card left running (by a previous kernel) stops before it may DMA. */
	ret = rbnn_hw_reset(rdev);
	if (ret)
		return ret;
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	/* An SG entry's length is a __le32: PRIME may merge pages up to it. */
	dma_set_max_seg_size(&pdev->dev, U32_MAX);
	ret = rbnn_tiles_init(rdev);
	if (ret)
		return ret;
	rdev->sq = dmam_alloc_coherent(&pdev->dev,
				       RBNN_SQ_ENTRIES * sizeof(*rdev->sq),
				       &rdev->sq_dma, GFP_KERNEL);
	rdev->cq = dmam_alloc_coherent(&pdev->dev,
				       RBNN_CQ_ENTRIES * sizeof(*rdev->cq),
				       &rdev->cq_dma, GFP_KERNEL);
	if (!rdev->sq || !rdev->cq)
		return -ENOMEM;
	if (!IS_ALIGNED(rdev->sq_dma, RBNN_RING_ALIGN) ||
	    !IS_ALIGNED(rdev->cq_dma, RBNN_RING_ALIGN))
		return -ENOMEM;

	rdev->reset_wq = alloc_ordered_workqueue("rbnn-reset-%s", 0,
						 pci_name(pdev));
	if (!rdev->reset_wq)
		return -ENOMEM;
	ret = rbnn_sched_init(rdev);
	if (ret) {
		destroy_workqueue(rdev->reset_wq);
		return ret;
	}
	ret = drmm_add_action_or_reset(drm, rbnn_drm_fini, rdev);
	if (ret)
		return ret;

	ret = rbnn_irq_init(rdev);
	if (ret)
		return ret;
	ret = rbnn_hw_reset(rdev);
	if (!ret)
		ret = rbnn_hw_start(rdev);
	if (ret)
		goto err_irq;
	ret = rbnn_sysfs_init(rdev);
	if (ret)
		goto err_hw;
	ret = rbnn_hwmon_init(rdev);
	if (ret)
		goto err_hw;
	ret = drm_dev_register(drm, 0);
	if (ret)
		goto err_hw;
	rbnn_debugfs_init(rdev);
	/* The config space PCI error recovery restores (rbnn_slot_reset()). */
	pci_save_state(pdev);

	drm_info(drm, "RBNN %u.%u: %u tiles of %u x %u %s cells, caps 0x%x\n",
		 rdev->hw_version >> 16, rdev->hw_version & 0xffff,
		 rdev->ntiles, rdev->rows, rdev->cols,
		 rdev->cell_mode == RBNN_CELL_1T1R ? "1T1R" : "2T2R",
		 rdev->caps);
	return 0;

err_hw:
	rbnn_hw_fini(rdev);
err_irq:
	rbnn_irq_fini(rdev);
	return ret;
}

static void rbnn_pci_remove(struct pci_dev *pdev)
{
	struct rbnn_device *rdev = pci_get_drvdata(pdev);

	/*
	 * Quiesce before the unplug: drm_dev_unplug() waits for debugfs
	 * writers, and the administrator's scrub waits inside its write for
	 * a job that must therefore end first. From here on run_job fails
	 * jobs with -ENODEV and no recovery restarts the card; the card
	 * stops its DMA and the jobs on it fail.
	 */
	WRITE_ONCE(rdev->removing, true);
	/*
	 * A watchdog recovery already past its removing check (the
	 * scheduler's timeout work runs on reset_wq) would restart the card
	 * after rbnn_hw_fini(): let it finish first.
	 */
	flush_workqueue(rdev->reset_wq);
	cancel_work_sync(&rdev->reset_work);
	rbnn_hw_fini(rdev);
	rbnn_fail_all_jobs(rdev, -ENODEV);
	/* No ioctl, job submission or watchdog touches the card after this. */
	drm_dev_unplug(&rdev->drm);
	cancel_work_sync(&rdev->reset_work);
	rbnn_irq_fini(rdev);
	/* A watchdog recovery may have raced with the first pass. */
	rbnn_fail_all_jobs(rdev, -ENODEV);
	/* BOs and queued jobs may outlive the device: their DMA goes now. */
	rbnn_jobs_dma_release(rdev);
	rbnn_gem_unmap_all(rdev);
}

static const struct pci_device_id rbnn_pci_ids[] = {
	{ PCI_DEVICE(RBNN_PCI_VENDOR_ID, RBNN_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, rbnn_pci_ids);

static struct pci_driver rbnn_pci_driver = {
	.name = RBNN_DRIVER_NAME,
	.id_table = rbnn_pci_ids,
	.probe = rbnn_pci_probe,
	.remove = rbnn_pci_remove,
	.shutdown = rbnn_pci_shutdown,
	.err_handler = &rbnn_err_handlers,
	.driver.pm = pm_sleep_ptr(&rbnn_pm_ops),
};
module_pci_driver(rbnn_pci_driver);

MODULE_DESCRIPTION(RBNN_DRIVER_DESC);
MODULE_LICENSE("Dual MIT/GPL");
MODULE_AUTHOR("RBNN project");
MODULE_IMPORT_NS(DMA_BUF);
