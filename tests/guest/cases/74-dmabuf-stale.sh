# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# dmabuf-stale: after a revoke (memory decode off and on again), edu DMAs to
# the IOVA it had mapped before: the IOMMU must fault it (strict mode), and
# the BAR bytes stay as they were.  A new mapping then reaches the BAR.
# shellcheck source=dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

T=dmabuf.stale
dmabuf_setup $T

if dmabuf_bind $T "$DMABUF_IVSHMEM"; then
	tag=$(dmesg_mark)
	dmabuf_run stale $T "$DMABUF_IVSHMEM" 2
	faults=$(dmesg_since "$tag" | grep -c 'DMAR: \[DMA Write')
	echo "# $T: 'DMAR: [DMA Write' lines in the kernel log: $faults"
	unbind "$DMABUF_IVSHMEM"
fi
