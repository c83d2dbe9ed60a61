# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# dmabuf-switch, run alone by tests/vm-topology.sh on its machine without an
# IOMMU (intel_iommu=off, vfio's noiommu mode) and with an Intel CPU model,
# whose host bridge is not known to forward peer-to-peer:
#   dmabuf.switch.bus-addr   the importer (edu, 08:00.0) and the BAR
#                            (ivshmem, 07:00.0) sit below one switch with
#                            no ACS redirection: the mapping holds the
#                            BAR's bus addresses and DMA lands in the BAR
#   dmabuf.switch.no-route   the same dma-buf, imported by an edu behind a
#                            root port: the path crosses the host bridge,
#                            and the map is refused with EINVAL
#   dmabuf.switch.doctor.*   vfio-dmabuf doctor's verdict for both is the
#                            module's
# shellcheck disable=SC2034 # read by dmabuf-common.inc
VPD_EDU_BDF=0000:08:00.0
# shellcheck source=../cases/dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

T=dmabuf.switch
EXP=0000:07:00.0
FAR_EDU=0000:01:00.0
NOIOMMU=/sys/module/vfio/parameters/enable_unsafe_noiommu_mode

if [ -d /sys/kernel/iommu_groups/0 ]; then
	fail $T "this machine has IOMMU groups: tests/vm-topology.sh boots it with intel_iommu=off"
	exit 0
fi
dmabuf_setup $T
if ! echo Y > $NOIOMMU; then
	fail $T "cannot enable vfio's noiommu mode ($NOIOMMU)"
	exit 0
fi
if [ "$(cat $SYSPCI/devices/$EXP/vendor 2>/dev/null)" != 0x1af4 ]; then
	fail $T "expected ivshmem at $EXP (tests/vm-topology.sh's machine)"
	exit 0
fi
if dmabuf_bind $T $EXP; then
	dmabuf_run bus-addr $T.bus-addr $EXP 2
	dmabuf_doctor $T.doctor.bus-addr $EXP 2
	unbind "$DMABUF_EDU"
	if bind_to "$DMABUF_IMPORTER" $FAR_EDU &&
	   wait_for -t 5 "[ -c /dev/$DMABUF_IMPORTER ]"; then
		dmabuf_run no-route $T.no-route $EXP 2
		dmabuf_doctor $T.doctor.no-route $EXP 2 $FAR_EDU
	else
		fail $T.no-route "cannot bind $FAR_EDU to $DMABUF_IMPORTER"
	fi
	unbind $FAR_EDU
fi
unbind $EXP
