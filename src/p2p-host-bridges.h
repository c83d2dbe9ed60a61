/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host bridges that forward peer-to-peer traffic between their root ports:
 * the kernel's pci_p2pdma_whitelist[] as of Linux 7.3 (drivers/pci/p2pdma.c),
 * with numeric IDs because older pci_ids.h lack some of the names.
 *
 * One table for the module (src/p2p.c) and for vfio-dmabuf doctor
 * (src/lib/p2p.c), so that both decide alike: the includer defines
 * VPD_HOST_BRIDGE(vendor, device, same_bridge_only) first.  A device of
 * VPD_ANY_DEVICE matches every device of the vendor.
 */
#define VPD_ANY_DEVICE	0xffffffffu

VPD_HOST_BRIDGE(0x8086, 0x3c00, true)	/* Intel Xeon E5 / Core i7 */
VPD_HOST_BRIDGE(0x8086, 0x3c01, true)
VPD_HOST_BRIDGE(0x8086, 0x2f00, true)	/* Intel Xeon E5 v3 / E7 v3 */
VPD_HOST_BRIDGE(0x8086, 0x2f01, true)
VPD_HOST_BRIDGE(0x8086, 0x2030, false)	/* Intel Skylake-E */
VPD_HOST_BRIDGE(0x8086, 0x2031, false)
VPD_HOST_BRIDGE(0x8086, 0x2032, false)
VPD_HOST_BRIDGE(0x8086, 0x2033, false)
VPD_HOST_BRIDGE(0x8086, 0x2020, false)
VPD_HOST_BRIDGE(0x8086, 0x09a2, false)
VPD_HOST_BRIDGE(0x8086, 0x0b25, false)	/* Intel DSA (Sapphire Rapids) */
VPD_HOST_BRIDGE(0x8086, 0x0cfe, false)	/* Intel IAX (Sapphire Rapids) */
VPD_HOST_BRIDGE(0x8086, 0x11fb, false)	/* Intel DSA (Granite Rapids-D) */
VPD_HOST_BRIDGE(0x8086, 0x1212, false)	/* Intel DSA (Diamond Rapids) */
VPD_HOST_BRIDGE(0x8086, 0x1216, false)	/* Intel IAA (Diamond Rapids) */
VPD_HOST_BRIDGE(0x8086, 0x4940, false)	/* Intel QAT 4xxx */
VPD_HOST_BRIDGE(0x8086, 0x4942, false)	/* Intel QAT 401xx */
VPD_HOST_BRIDGE(0x8086, 0x4944, false)	/* Intel QAT 402xx */
VPD_HOST_BRIDGE(0x8086, 0x4946, false)	/* Intel QAT 420xx */
VPD_HOST_BRIDGE(0x8086, 0x4948, false)	/* Intel QAT 6xxx */
VPD_HOST_BRIDGE(0x1ae0, VPD_ANY_DEVICE, false)	/* Google */
VPD_HOST_BRIDGE(0x10de, 0x2f95, false)	/* NVIDIA CPUs */
VPD_HOST_BRIDGE(0x10de, 0x2f96, false)
VPD_HOST_BRIDGE(0x10de, 0x2f97, false)
VPD_HOST_BRIDGE(0x10de, 0x2f98, false)
