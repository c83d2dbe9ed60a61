# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# dmabuf-sibling, run alone by tests/vm-topology.sh: function 0 of the slot
# behind the switch's first downstream port is ivshmem, bound to the
# exporter; function 1 is an edu bound to stock vfio-pci (same slot, same
# IOMMU group, same vfio dev_set).  A hot reset issued through function 1's
# own device fd resets both; the exporter hears of it only through the PCI
# core's reset_prepare/reset_done, and must revoke the importer (edu behind
# root port 1) around it and let it map again afterwards.  Then
# dmabuf.orphan: with only a dma-buf of function 0 left open and function
# 0 unbound, or bound to a host driver, vfio refuses the sibling's hot
# reset as it would without the dma-buf; bound again, function 0 exports and revokes as before.
# shellcheck source=../cases/dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

T=dmabuf.sibling-reset
EXP=0000:07:00.0
SIB=0000:07:00.1

dmabuf_setup $T

if [ "$(cat $SYSPCI/devices/$EXP/vendor 2>/dev/null):$(cat $SYSPCI/devices/$SIB/vendor 2>/dev/null)" != 0x1af4:0x1234 ]; then
	fail $T "expected ivshmem at $EXP and edu at $SIB (tests/vm-topology.sh's machine)"
	exit 0
fi
if [ "$(group_of $EXP)" != "$(group_of $SIB)" ]; then
	fail $T "$EXP (group $(group_of $EXP)) and $SIB (group $(group_of $SIB)) are not in one IOMMU group"
	exit 0
fi
modprobe vfio-pci 2>/dev/null
if ! bind_to vfio-pci $SIB; then
	fail $T "cannot bind the sibling $SIB to vfio-pci (now: $(driver_of $SIB))"
	exit 0
fi
if dmabuf_bind $T $EXP; then
	dmabuf_run sibling-reset $T $EXP 2 $SIB
fi
# A dma-buf outlives its unbound device; vfio must forget the device all
# the same, and the function works again once bound again.  Bound to
# pci-stub (a host driver the IOMMU core lets in beside VFIO), the function
# must not be reset by the sibling either (SKIP without pci-stub).
modprobe pci-stub 2>/dev/null || true
if dmabuf_bind dmabuf.orphan $EXP; then
	dmabuf_run orphan dmabuf.orphan $EXP 2 $SIB
fi
if dmabuf_bind dmabuf.orphan.rebound $EXP; then
	dmabuf_run sibling-reset dmabuf.orphan.rebound $EXP 2 $SIB
fi
unbind $EXP
unbind $SIB
