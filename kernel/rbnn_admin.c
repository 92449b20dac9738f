// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * rbnn: the administrator's operations and the wear policy of a shared card.
 *
 * RRAM cells endure a limited number of programming cycles, and stronger
 * programming wears them faster: on a card shared by several users, one of
 * them must not be able to wear it out. Unprivileged files may program at
 * most wear_budget_rows rows over their life, at currents up to
 * user_max_current_ua; CAP_SYS_ADMIN lifts both, and is needed for the
 * card-wide operations (reset, scrub of any tile) of DRM_IOCTL_RBNN_ADMIN.
 */

#include <linux/capability.h>
#include <linux/moduleparam.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>

#include "rbnn_drv.h"

static unsigned int rbnn_wear_budget_rows = 1048576;
module_param_named(wear_budget_rows, rbnn_wear_budget_rows, uint, 0644);
MODULE_PARM_DESC(wear_budget_rows,
		 "Rows a file without CAP_SYS_ADMIN may program over its life (PROGRAM, READBACK with SCRUB); 0 = no limit (default 1048576)");

static unsigned int rbnn_user_max_current_ua = 200;
module_param_named(user_max_current_ua, rbnn_user_max_current_ua, uint, 0644);
MODULE_PARM_DESC(user_max_current_ua,
		 "Highest programming current, in uA, a file without CAP_SYS_ADMIN may ask for (default 200)");

/**
 * rbnn_wear_charge() - admit a job that programs @nrows rows
 * @ctx: the submitting file's context
 * @current_na: the programming current asked for (0: the card's default)
 * @nrows: rows the job programs
 *
 * Return: 0 (charged to @ctx, see rbnn_wear_refund()), -EPERM for a current
 * above user_max_current_ua, -EDQUOT when the file's budget is spent.
 */
int rbnn_wear_charge(struct rbnn_ctx *ctx, u32 current_na, u32 nrows)
{
	u64 budget = READ_ONCE(rbnn_wear_budget_rows);

	if (capable(CAP_SYS_ADMIN))
		return 0;
	if (current_na > (u64)READ_ONCE(rbnn_user_max_current_ua) * 1000)
		return -EPERM;
	if (atomic64_add_return(nrows, &ctx->wear_rows) > budget && budget) {
		atomic64_sub(nrows, &ctx->wear_rows);
		return -EDQUOT;
	}
	return 0;
}

/**
 * rbnn_wear_refund() - give back the charge of a job that was not submitted
 * @ctx: the context charged by rbnn_wear_charge()
 * @nrows: the rows charged
 */
void rbnn_wear_refund(struct rbnn_ctx *ctx, u32 nrows)
{
	if (!capable(CAP_SYS_ADMIN))
		atomic64_sub(nrows, &ctx->wear_rows);
}

static int rbnn_admin_scrub(struct rbnn_device *rdev,
			    struct drm_rbnn_admin *args)
{
	struct rbnn_result r = {};
	struct rbnn_ctx *ctx;
	int ret;

	if (args->tile >= rdev->ntiles)
		return -EINVAL;
	/* A context of the driver's own: the scrub is nobody's job. */
	ctx = rbnn_ctx_create(rdev);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	ret = rbnn_scrub_tile(ctx, args->tile, &r);
	drm_sched_entity_destroy(&ctx->entity);
	rbnn_ctx_put(ctx);
	if (ret)
		return ret;
	args->status = r.status;
	args->hw_status = r.hw_status;
	args->hw_detail = r.hw_detail;
	args->scrub_weak_cells = r.scrub_weak;
	args->time_ns = r.time_ns;
	args->energy_pj = r.energy_pj;
	return 0;
}

/*
 * Not inside drm_dev_enter(): a scrub waits for its job, which remove()
 * ends, and drm_dev_unplug() would wait for the scrub (rbnn_scrub_tile()
 * enters for the submission, the reset work for its register accesses).
 */
int rbnn_ioctl_admin(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct rbnn_device *rdev = to_rbnn_device(drm);
	struct drm_rbnn_admin *args = data;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (args->flags)
		return -EINVAL;
	switch (args->op) {
	case DRM_RBNN_ADMIN_RESET:
		if (args->tile)
			return -EINVAL;
		if (drm_dev_is_unplugged(drm))
			return -ENODEV;
		queue_work(rdev->reset_wq, &rdev->reset_work);
		flush_work(&rdev->reset_work);
		return 0;
	case DRM_RBNN_ADMIN_SCRUB:
		return rbnn_admin_scrub(rdev, args);
	default:
		return -EINVAL;
	}
}
