// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 6.8 exported vfio_pci_core_setup_barmap() (for the virtio variant
 * driver), which claims a BAR's resources for vfio_pci_core and maps it, as
 * the core does on first access.  Before, the core's helper was private and a variant driver that
 * needs the BAR claimed must do the same itself (request "vfio" regions,
 * pci_iomap(), publish in vdev->barmap[]).
 *
 * HAVE_VFIO_PCI_CORE_SETUP_BARMAP: vfio_pci_core_setup_barmap() is exported
 */
#include <linux/vfio_pci_core.h>

static int __maybe_unused conftest(struct vfio_pci_core_device *vdev)
{
	return vfio_pci_core_setup_barmap(vdev, 0);
}
