// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 6.19 gave vfio_pci_core its own dma-buf exporter: it serves
 * VFIO_DEVICE_FEATURE_DMA_BUF for drivers that set
 * vfio_pci_core_device.pci_ops->get_dmabuf_phys, as vfio-pci does with
 * vfio_pci_core_get_dmabuf_phys().  Where the kernel has it, this driver
 * plugs the same provider in, so it answers the feature as vfio-pci does.
 *
 * HAVE_VFIO_PCI_CORE_DMABUF: vfio_pci_core has its own dma-buf exporter (pci_ops)
 */
#include <linux/vfio_pci_core.h>

static const struct vfio_pci_device_ops conftest_pci_ops = {
	.get_dmabuf_phys	= vfio_pci_core_get_dmabuf_phys,
};

static void __maybe_unused conftest(struct vfio_pci_core_device *vdev)
{
	vdev->pci_ops = &conftest_pci_ops;
}
