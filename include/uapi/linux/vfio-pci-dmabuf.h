/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * VFIO_DEVICE_FEATURE_DMA_BUF for userspace (and kernels) whose linux/vfio.h
 * predates it (Linux 6.19).  The definitions are upstream's, so code written
 * against this header builds unchanged against newer headers, where this
 * file adds nothing.
 */
#ifndef _UAPI_LINUX_VFIO_PCI_DMABUF_H
#define _UAPI_LINUX_VFIO_PCI_DMABUF_H

#include <linux/types.h>
#include <linux/vfio.h>

#ifndef VFIO_DEVICE_FEATURE_DMA_BUF
/*
 * Export a dma-buf for page-aligned ranges of a PCI BAR (region_index is the
 * BAR number).  The dma-buf is the concatenation of the ranges, in order.
 * Only VFIO_DEVICE_FEATURE_GET (and PROBE) is supported; on success the
 * ioctl returns the new dma-buf file descriptor, created with open_flags
 * (e.g. O_CLOEXEC).  The exporter revokes every importer's mapping while
 * the BAR is inaccessible (memory decode off, low power, reset) and for good
 * once the device is closed.
 */
struct vfio_region_dma_range {
	__u64 offset;
	__u64 length;
};

struct vfio_device_feature_dma_buf {
	__u32	region_index;
	__u32	open_flags;
	__u32	flags;
	__u32	nr_ranges;
	struct vfio_region_dma_range dma_ranges[];
};

#define VFIO_DEVICE_FEATURE_DMA_BUF 11
#endif /* VFIO_DEVICE_FEATURE_DMA_BUF */

#endif /* _UAPI_LINUX_VFIO_PCI_DMABUF_H */
