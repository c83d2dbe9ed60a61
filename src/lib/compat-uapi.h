/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The uAPI of the cdev path, for headers older than it: bookworm's
 * linux-libc-dev (6.1) has no VFIO device cdev (6.6) and no linux/iommufd.h
 * (6.2).  The values are the kernel's, which never change.
 */
#ifndef VFIO_DMABUF_COMPAT_UAPI_H
#define VFIO_DMABUF_COMPAT_UAPI_H

#include <linux/types.h>
#include <linux/vfio.h>

#ifndef VFIO_DEVICE_BIND_IOMMUFD
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD	_IO(VFIO_TYPE, VFIO_BASE + 18)
#endif

#ifndef VFIO_DEVICE_ATTACH_IOMMUFD_PT
struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 19)
#endif

#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#else
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC	_IO(';', 0x81)
#endif

#endif /* VFIO_DMABUF_COMPAT_UAPI_H */
