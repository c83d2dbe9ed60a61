// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 6.15 added PASID attachment to vfio_device_ops (pasid_attach_ioas,
 * pasid_detach_ioas) with physical-device helpers; vfio-pci sets them so
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT can take a PASID.  Absent in 6.1 and 6.12.
 *
 * HAVE_VFIO_IOMMUFD_PASID: vfio_device_ops has the PASID attach/detach hooks
 */
#include <linux/vfio.h>

static const struct vfio_device_ops conftest_ops __maybe_unused = {
	.pasid_attach_ioas	= vfio_iommufd_physical_pasid_attach_ioas,
	.pasid_detach_ioas	= vfio_iommufd_physical_pasid_detach_ioas,
};
