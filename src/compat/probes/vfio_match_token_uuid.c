// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 6.17 moved the SR-IOV VF token check of the iommufd bind path into
 * vfio_device_ops.match_token_uuid, served for PCI by
 * vfio_pci_core_match_token_uuid().  Without it, binding a VF through the
 * cdev skips the token check that vfio-pci performs.
 *
 * HAVE_VFIO_MATCH_TOKEN_UUID: vfio_device_ops has match_token_uuid
 */
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

static const struct vfio_device_ops conftest_ops __maybe_unused = {
	.match_token_uuid	= vfio_pci_core_match_token_uuid,
};
