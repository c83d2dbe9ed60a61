/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels this driver supports.
 *
 * vpd_config.h is generated at build time by src/compat/conftest.sh, one
 * HAVE_* per probe in src/compat/probes/ (each probe says which kernel
 * changed what).  Everything that depends on those answers lives here, so
 * that main.c reads as if it were written for a single kernel.
 */
#ifndef VPD_COMPAT_H
#define VPD_COMPAT_H

#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "vpd_config.h"

/*
 * __counted_by() came to 6.1.y in a stable update: Debian's 6.1.0-50
 * (bookworm's point release) lacks it, 6.1.0-56 has it.  A macro, so it
 * needs no probe; without it the flexible arrays are just not annotated.
 */
#ifndef __counted_by
#define __counted_by(member)
#endif

/*
 * vfio_device_ops members that only some kernels have.  Each expands to
 * designated initialisers for the ops table, or to nothing.
 */
#ifdef HAVE_VFIO_IOMMUFD_PHYSICAL
#define VPD_OPS_IOMMUFD						\
	.bind_iommufd		= vfio_iommufd_physical_bind,		\
	.unbind_iommufd		= vfio_iommufd_physical_unbind,		\
	.attach_ioas		= vfio_iommufd_physical_attach_ioas,
#else
#define VPD_OPS_IOMMUFD
#endif

#ifdef HAVE_VFIO_IOMMUFD_DETACH_IOAS
#define VPD_OPS_IOMMUFD_DETACH					\
	.detach_ioas		= vfio_iommufd_physical_detach_ioas,
#else
#define VPD_OPS_IOMMUFD_DETACH
#endif

#ifdef HAVE_VFIO_IOMMUFD_PASID
#define VPD_OPS_IOMMUFD_PASID					\
	.pasid_attach_ioas	= vfio_iommufd_physical_pasid_attach_ioas, \
	.pasid_detach_ioas	= vfio_iommufd_physical_pasid_detach_ioas,
#else
#define VPD_OPS_IOMMUFD_PASID
#endif

#ifdef HAVE_VFIO_MATCH_TOKEN_UUID
#define VPD_OPS_MATCH_TOKEN_UUID				\
	.match_token_uuid	= vfio_pci_core_match_token_uuid,
#else
#define VPD_OPS_MATCH_TOKEN_UUID
#endif

/* Before 6.19, vfio_pci_core_ioctl() answers GET_REGION_INFO itself. */
#ifdef HAVE_VFIO_GET_REGION_INFO_CAPS
#define VPD_OPS_REGION_INFO					\
	.get_region_info_caps	= vfio_pci_ioctl_get_region_info,
#else
#define VPD_OPS_REGION_INFO
#endif

/*
 * vpd_use_core_dmabuf() - let vfio_pci_core's own dma-buf exporter serve
 * VFIO_DEVICE_FEATURE_DMA_BUF for @vdev, as vfio-pci does, on kernels that
 * have one.  Elsewhere the feature is unknown to vfio_pci_core, as it is
 * to vfio-pci.
 */
#ifdef HAVE_VFIO_PCI_CORE_DMABUF
static const struct vfio_pci_device_ops vpd_core_dmabuf_ops = {
	.get_dmabuf_phys	= vfio_pci_core_get_dmabuf_phys,
};

static inline void vpd_use_core_dmabuf(struct vfio_pci_core_device *vdev)
{
	vdev->pci_ops = &vpd_core_dmabuf_ops;
}
#else
static inline void vpd_use_core_dmabuf(struct vfio_pci_core_device *vdev)
{
}
#endif

/* Whether vfio_pci_core has a dma-buf exporter of its own (7.x). */
#ifdef HAVE_VFIO_PCI_CORE_DMABUF
#define VPD_HAVE_CORE_DMABUF	1
#else
#define VPD_HAVE_CORE_DMABUF	0
#endif

/*
 * vpd_setup_barmap() - claim BAR @bar for vfio_pci_core and map it, as the
 * core does on the first access through the region.  0 or -errno.
 */
#if defined(HAVE_VFIO_PCI_CORE_GET_IOMAP)
static inline int vpd_setup_barmap(struct vfio_pci_core_device *vdev, int bar)
{
	return PTR_ERR_OR_ZERO(vfio_pci_core_get_iomap(vdev, bar));
}
#elif defined(HAVE_VFIO_PCI_CORE_SETUP_BARMAP)
static inline int vpd_setup_barmap(struct vfio_pci_core_device *vdev, int bar)
{
	return vfio_pci_core_setup_barmap(vdev, bar);
}
#else
static inline int vpd_setup_barmap(struct vfio_pci_core_device *vdev, int bar)
{
	struct pci_dev *pdev = vdev->pdev;
	void __iomem *io;
	int ret;

	if (vdev->barmap[bar])
		return 0;

	ret = pci_request_selected_regions(pdev, 1 << bar, "vfio");
	if (ret)
		return ret;

	io = pci_iomap(pdev, bar, 0);
	if (!io) {
		pci_release_selected_regions(pdev, 1 << bar);
		return -ENOMEM;
	}
	/* vfio_pci_core_disable() unmaps and releases it, as its own. */
	vdev->barmap[bar] = io;
	return 0;
}
#endif

#endif /* VPD_COMPAT_H */
