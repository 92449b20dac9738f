// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * rbnn: system sleep, PCI function reset and PCI error recovery.
 *
 * All three lose the card's state that is not in the array: its rings and
 * the command it was running. Before, the driver quiesces: it stops feeding
 * the card, lets the jobs on it finish (for a bounded time), then resets it
 * and fails what is still on it with -ECANCELED, without banning anyone
 * (the loss is not the file's fault). After, it restarts the rings; jobs
 * the scheduler still holds run then, in their order. The RRAM array keeps
 * its contents: programmed rows stay valid across a sleep.
 */

#include <linux/delay.h>
#include <linux/pci.h>
#include <linux/pm.h>

#include <drm/drm_drv.h>
#include <drm/drm_print.h>

#include "rbnn_drv.h"

/* How long the jobs on the card get to finish before a sleep or reset. */
#define RBNN_QUIESCE_MS 2000

static bool rbnn_card_idle(struct rbnn_device *rdev)
{
	unsigned long flags;
	bool idle;

	spin_lock_irqsave(&rdev->ring_lock, flags);
	idle = list_empty(&rdev->hw_jobs);
	spin_unlock_irqrestore(&rdev->ring_lock, flags);
	return idle;
}

/* Stop using the card: see the top of the file. */
static void rbnn_quiesce(struct rbnn_device *rdev, const char *why)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(RBNN_QUIESCE_MS);

	if (READ_ONCE(rdev->suspended))
		return;
	/*
	 * From here on neither the watchdog nor a recovery touches the card;
	 * one already running finishes first (it restarts the scheduler).
	 */
	WRITE_ONCE(rdev->suspended, true);
	cancel_work_sync(&rdev->reset_work);
	flush_workqueue(rdev->reset_wq);
	drm_sched_wqueue_stop(&rdev->sched);

	while (!rbnn_card_idle(rdev) && time_before(jiffies, deadline)) {
		rbnn_cq_poll(rdev);
		usleep_range(500, 1000);
	}

	if (!rbnn_card_idle(rdev))
		drm_warn(&rdev->drm, "%s: jobs still on the card are cancelled\n",
			 why);
	rbnn_hw_stop(rdev, NULL, -ECANCELED);
}

/* Start the card again after rbnn_quiesce(). */
static int rbnn_restart(struct rbnn_device *rdev, const char *why)
{
	int ret;

	if (!READ_ONCE(rdev->suspended))
		return 0;
	ret = rbnn_hw_reset(rdev);
	if (!ret)
		ret = rbnn_hw_start(rdev);
	if (ret)
		drm_err(&rdev->drm, "%s: the card did not restart (%d)\n", why,
			ret);
	WRITE_ONCE(rdev->suspended, false);
	/* Jobs not yet on the card run now (or fail in run_job if it is dead). */
	drm_sched_wqueue_start(&rdev->sched);
	return ret;
}

static int rbnn_pm_suspend(struct device *dev)
{
	struct rbnn_device *rdev = dev_get_drvdata(dev);

	rbnn_quiesce(rdev, "suspend");
	return 0;
}

static int rbnn_pm_resume(struct device *dev)
{
	struct rbnn_device *rdev = dev_get_drvdata(dev);

	/* A card that did not come back fails its jobs; resume goes on. */
	rbnn_restart(rdev, "resume");
	return 0;
}

const struct dev_pm_ops rbnn_pm_ops = {
	SYSTEM_SLEEP_PM_OPS(rbnn_pm_suspend, rbnn_pm_resume)
};

/* A function reset (FLR through sysfs "reset", or by the PCI core). */
static void rbnn_reset_prepare(struct pci_dev *pdev)
{
	rbnn_quiesce(pci_get_drvdata(pdev), "function reset");
}

static void rbnn_reset_done(struct pci_dev *pdev)
{
	rbnn_restart(pci_get_drvdata(pdev), "function reset");
}

/* AER: a non-fatal or fatal error on the link; the core resets the slot. */
static pci_ers_result_t rbnn_error_detected(struct pci_dev *pdev,
					    pci_channel_state_t state)
{
	struct rbnn_device *rdev = pci_get_drvdata(pdev);

	drm_warn(&rdev->drm, "PCI error (channel state %d)\n", state);
	if (state == pci_channel_io_perm_failure)
		return PCI_ERS_RESULT_DISCONNECT;
	rbnn_quiesce(rdev, "PCI error");
	return PCI_ERS_RESULT_NEED_RESET;
}

static pci_ers_result_t rbnn_slot_reset(struct pci_dev *pdev)
{
	pci_restore_state(pdev);
	pci_set_master(pdev);
	return PCI_ERS_RESULT_RECOVERED;
}

static void rbnn_error_resume(struct pci_dev *pdev)
{
	rbnn_restart(pci_get_drvdata(pdev), "PCI error recovery");
}

const struct pci_error_handlers rbnn_err_handlers = {
	.error_detected = rbnn_error_detected,
	.slot_reset = rbnn_slot_reset,
	.resume = rbnn_error_resume,
	.reset_prepare = rbnn_reset_prepare,
	.reset_done = rbnn_reset_done,
};

/**
 * rbnn_pci_shutdown() - reboot or kexec: the card stops its DMA
 * @pdev: the card
 */
void rbnn_pci_shutdown(struct pci_dev *pdev)
{
	struct rbnn_device *rdev = pci_get_drvdata(pdev);

	if (rdev)
		rbnn_hw_fini(rdev);
}
