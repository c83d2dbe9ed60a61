// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 6.6 added vfio_device_ops.detach_ioas and
 * vfio_iommufd_physical_detach_ioas(), used by VFIO_DEVICE_DETACH_IOMMUFD_PT
 * on the cdev path.  Kernels between 6.2 and 6.5 (some enterprise kernels
 * among them) have the bind/attach hooks but not this one.
 *
 * HAVE_VFIO_IOMMUFD_DETACH_IOAS: vfio_device_ops has detach_ioas for physical devices
 */
#include <linux/vfio.h>

static const struct vfio_device_ops conftest_ops __maybe_unused = {
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
};
