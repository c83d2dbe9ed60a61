// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 6.2 added the iommufd hooks to struct vfio_device_ops (bind_iommufd,
 * unbind_iommufd, attach_ioas) and the vfio_iommufd_physical_*() helpers
 * that vfio-pci plugs into them.  A variant driver that leaves them out
 * cannot be used through iommufd (or the legacy container emulated on top
 * of it), so on kernels that have them we must set them exactly as
 * vfio-pci does.  6.1 has neither.
 *
 * HAVE_VFIO_IOMMUFD_PHYSICAL: vfio_device_ops has iommufd bind/attach hooks for physical devices
 */
#include <linux/vfio.h>

static const struct vfio_device_ops conftest_ops __maybe_unused = {
	.bind_iommufd	= vfio_iommufd_physical_bind,
	.unbind_iommufd	= vfio_iommufd_physical_unbind,
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
};
