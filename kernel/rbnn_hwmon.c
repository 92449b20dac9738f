// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * rbnn: hwmon. energy1_input is the card's modeled energy counter
 * (ENERGY_PJ) in microjoules.
 */

#include <linux/hwmon.h>
#include <linux/math64.h>

#include <drm/drm_drv.h>

#include "rbnn_drv.h"

static umode_t rbnn_hwmon_is_visible(const void *data,
				     enum hwmon_sensor_types type, u32 attr,
				     int channel)
{
	if (type == hwmon_energy && attr == hwmon_energy_input)
		return 0444;
	return 0;
}

static int rbnn_hwmon_read(struct device *dev, enum hwmon_sensor_types type,
			   u32 attr, int channel, long *val)
{
	struct rbnn_device *rdev = dev_get_drvdata(dev);
	u64 pj;
	int idx;

	if (type != hwmon_energy || attr != hwmon_energy_input)
		return -EOPNOTSUPP;
	if (!drm_dev_enter(&rdev->drm, &idx))
		return -ENODEV;
	pj = rbnn_rd64(rdev, RBNN_REG_ENERGY_PJ_LO);
	drm_dev_exit(idx);
	*val = (long)min_t(u64, div_u64(pj, 1000000), LONG_MAX);
	return 0;
}

static const struct hwmon_ops rbnn_hwmon_ops = {
	.is_visible = rbnn_hwmon_is_visible,
	.read = rbnn_hwmon_read,
};

static const struct hwmon_channel_info * const rbnn_hwmon_info[] = {
	HWMON_CHANNEL_INFO(energy, HWMON_E_INPUT),
	NULL
};

static const struct hwmon_chip_info rbnn_hwmon_chip = {
	.ops = &rbnn_hwmon_ops,
	.info = rbnn_hwmon_info,
};

/**
 * rbnn_hwmon_init() - register the hwmon device
 * @rdev: the card
 *
 * Return: 0 or a negative errno.
 */
int rbnn_hwmon_init(struct rbnn_device *rdev)
{
	struct device *hw;

	hw = devm_hwmon_device_register_with_info(&rdev->pdev->dev,
						  RBNN_DRIVER_NAME, rdev,
						  &rbnn_hwmon_chip, NULL);
	return PTR_ERR_OR_ZERO(hw);
}
