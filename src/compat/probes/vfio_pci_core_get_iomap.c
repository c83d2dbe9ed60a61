// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 7.x maps every BAR when the device is enabled and removed
 * vfio_pci_core_setup_barmap(): vfio_pci_core_get_iomap() returns the
 * mapping or an ERR_PTR for a BAR that could not be claimed, and barmap[]
 * holds ERR_PTRs, so the older lazy claim must not be used there.
 *
 * HAVE_VFIO_PCI_CORE_GET_IOMAP: BARs are claimed at enable; vfio_pci_core_get_iomap() reports them
 */
#include <linux/vfio_pci_core.h>

static __maybe_unused bool conftest(struct vfio_pci_core_device *vdev)
{
	return IS_ERR(vfio_pci_core_get_iomap(vdev, 0));
}
