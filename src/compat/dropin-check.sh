#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dropin-check.sh KDIR: why the drop-in vfio-pci (module vfio_pci) must not
# be built for the kernel whose build tree is KDIR, as one line on stdout;
# nothing when it may.  Asked by the Makefile, Kbuild and the drop-in's
# dkms.conf, so that all three refuse the same kernels with the same words:
#  - a built-in vfio-pci (CONFIG_VFIO_PCI=y) cannot be replaced by a module;
#  - a vfio_pci_core that exports vfio_pci_core_get_dmabuf_phys (6.19+)
#    has the in-tree exporter, and the kernel's vfio-pci already is what
#    the drop-in would be (src/compat/probes/vfio_pci_core_dmabuf.c is the
#    C side of the same question, for the variant driver).
# A tree without .config or Module.symvers is not refused here: the build
# itself then says what is missing.
kdir=$1
kver=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
	"$kdir/include/generated/utsrelease.h" 2>/dev/null)
: "${kver:=the kernel of $kdir}"
why=
if grep -qs '^CONFIG_VFIO_PCI=y$' "$kdir/.config"; then
	why="its vfio-pci is built into the kernel (CONFIG_VFIO_PCI=y) and a module cannot replace it"
elif grep -qs '[[:space:]]vfio_pci_core_get_dmabuf_phys[[:space:]]' "$kdir/Module.symvers"; then
	why="its own vfio-pci already exports dma-bufs (VFIO_DEVICE_FEATURE_DMA_BUF), which the kernel's vfio-pci serves itself"
fi
[ -z "$why" ] ||
	echo "vfio-pci-dmabuf: the drop-in vfio-pci is not built for $kver: $why; the variant driver vfio-pci-dmabuf is not affected"
