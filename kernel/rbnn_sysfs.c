// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * rbnn: sysfs attributes of the card, on its PCI device
 * (/sys/bus/pci/devices/<bdf>/): geometry, tile use and wear.
 *
 *   tiles rows cols cell_mode       geometry and cell type (2t2r, 1t1r)
 *   tiles_free tiles_used           tile allocation
 *   wear_cycles_max                 largest row program-cycle count
 *   wear_cycles_mean                mean row program-cycle count
 *   stuck_cells verify_fails        sums over all tiles
 *   recoveries card_resets          driver recoveries, card RESETS register
 *   scrub_weak_cells                weak cells found by the card's scrubs
 *                                   (cards with RBNN_CAP_SCRUB_COUNT only)
 */

#include <linux/device.h>
#include <linux/sysfs.h>

#include <drm/drm_drv.h>

#include "rbnn_drv.h"

static struct rbnn_device *rbnn_from_dev(struct device *dev)
{
	return pci_get_drvdata(to_pci_dev(dev));
}

#define RBNN_ATTR_U32(name, expr)					\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	struct rbnn_device *rdev = rbnn_from_dev(dev);			\
									\
	return sysfs_emit(buf, "%u\n", (u32)(expr));			\
}									\
static DEVICE_ATTR_RO(name)

RBNN_ATTR_U32(tiles, rdev->ntiles);
RBNN_ATTR_U32(rows, rdev->rows);
RBNN_ATTR_U32(cols, rdev->cols);
RBNN_ATTR_U32(recoveries, atomic_read(&rdev->recoveries));

static ssize_t cell_mode_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct rbnn_device *rdev = rbnn_from_dev(dev);

	return sysfs_emit(buf, "%s\n",
			  rdev->cell_mode == RBNN_CELL_1T1R ? "1t1r" : "2t2r");
}
static DEVICE_ATTR_RO(cell_mode);

static ssize_t tiles_free_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	u32 nfree, nused;

	rbnn_tiles_count(rbnn_from_dev(dev), &nfree, &nused);
	return sysfs_emit(buf, "%u\n", nfree);
}
static DEVICE_ATTR_RO(tiles_free);

static ssize_t tiles_used_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	u32 nfree, nused;

	rbnn_tiles_count(rbnn_from_dev(dev), &nfree, &nused);
	return sysfs_emit(buf, "%u\n", nused);
}
static DEVICE_ATTR_RO(tiles_used);

enum rbnn_wear_stat {
	RBNN_WEAR_MAX,
	RBNN_WEAR_MEAN,
	RBNN_WEAR_STUCK,
	RBNN_WEAR_VERIFY,
};

static ssize_t rbnn_wear_show(struct device *dev, char *buf,
			      enum rbnn_wear_stat stat)
{
	struct rbnn_device *rdev = rbnn_from_dev(dev);
	u64 max = 0, sum = 0, stuck = 0, vf = 0;
	u32 t;
	int ret;

	for (t = 0; t < rdev->ntiles; t++) {
		struct rbnn_wear w;

		ret = rbnn_read_wear(rdev, t, &w);
		if (ret)
			return ret;
		max = max_t(u64, max, w.cycles_max);
		sum += w.cycles_sum;
		stuck += w.stuck;
		vf += w.verify_fails;
	}
	switch (stat) {
	case RBNN_WEAR_MAX:
		return sysfs_emit(buf, "%llu\n", max);
	case RBNN_WEAR_MEAN:
		return sysfs_emit(buf, "%llu\n",
				  div64_u64(sum, (u64)rdev->ntiles * rdev->rows));
	case RBNN_WEAR_STUCK:
		return sysfs_emit(buf, "%llu\n", stuck);
	default:
		return sysfs_emit(buf, "%llu\n", vf);
	}
}

static ssize_t wear_cycles_max_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return rbnn_wear_show(dev, buf, RBNN_WEAR_MAX);
}
static DEVICE_ATTR_RO(wear_cycles_max);

static ssize_t wear_cycles_mean_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return rbnn_wear_show(dev, buf, RBNN_WEAR_MEAN);
}
static DEVICE_ATTR_RO(wear_cycles_mean);

static ssize_t stuck_cells_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return rbnn_wear_show(dev, buf, RBNN_WEAR_STUCK);
}
static DEVICE_ATTR_RO(stuck_cells);

static ssize_t verify_fails_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return rbnn_wear_show(dev, buf, RBNN_WEAR_VERIFY);
}
static DEVICE_ATTR_RO(verify_fails);

static ssize_t card_resets_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct rbnn_device *rdev = rbnn_from_dev(dev);
	u32 v;
	int idx;

	if (!drm_dev_enter(&rdev->drm, &idx))
		return -ENODEV;
	v = rbnn_rd(rdev, RBNN_REG_RESETS);
	drm_dev_exit(idx);
	return sysfs_emit(buf, "%u\n", v);
}
static DEVICE_ATTR_RO(card_resets);

static ssize_t scrub_weak_cells_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct rbnn_device *rdev = rbnn_from_dev(dev);
	u64 v;
	int idx;

	if (!drm_dev_enter(&rdev->drm, &idx))
		return -ENODEV;
	v = rbnn_rd64(rdev, RBNN_REG_SCRUB_WEAK_LO);
	drm_dev_exit(idx);
	return sysfs_emit(buf, "%llu\n", v);
}
static DEVICE_ATTR_RO(scrub_weak_cells);

static struct attribute *rbnn_attrs[] = {
	&dev_attr_tiles.attr,
	&dev_attr_rows.attr,
	&dev_attr_cols.attr,
	&dev_attr_cell_mode.attr,
	&dev_attr_tiles_free.attr,
	&dev_attr_tiles_used.attr,
	&dev_attr_wear_cycles_max.attr,
	&dev_attr_wear_cycles_mean.attr,
	&dev_attr_stuck_cells.attr,
	&dev_attr_verify_fails.attr,
	&dev_attr_recoveries.attr,
	&dev_attr_card_resets.attr,
	&dev_attr_scrub_weak_cells.attr,
	NULL
};

static umode_t rbnn_attr_visible(struct kobject *kobj, struct attribute *a,
				 int n)
{
	struct rbnn_device *rdev = rbnn_from_dev(kobj_to_dev(kobj));

	if (a == &dev_attr_scrub_weak_cells.attr &&
	    !(rdev->caps & RBNN_CAP_SCRUB_COUNT))
		return 0;
	return a->mode;
}

static const struct attribute_group rbnn_attr_group = {
	.attrs = rbnn_attrs,
	.is_visible = rbnn_attr_visible,
};

/**
 * rbnn_sysfs_init() - add the attributes to the PCI device
 * @rdev: the card
 *
 * Return: 0 or a negative errno.
 */
int rbnn_sysfs_init(struct rbnn_device *rdev)
{
	return devm_device_add_group(&rdev->pdev->dev, &rbnn_attr_group);
}
