// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 6.19 moved VFIO_DEVICE_GET_REGION_INFO out of the drivers' ioctl
 * handlers into the vfio core, which calls vfio_device_ops.get_region_info_caps
 * and fails the ioctl with -EINVAL when a driver does not provide it; for PCI
 * the op is vfio_pci_ioctl_get_region_info().  Before that,
 * vfio_pci_core_ioctl() answered the ioctl itself.
 *
 * HAVE_VFIO_GET_REGION_INFO_CAPS: region info goes through vfio_device_ops.get_region_info_caps
 */
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

static const struct vfio_device_ops conftest_ops __maybe_unused = {
	.get_region_info_caps	= vfio_pci_ioctl_get_region_info,
};
