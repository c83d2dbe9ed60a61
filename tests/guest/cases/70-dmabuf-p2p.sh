# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# dmabuf-p2p: edu DMA-writes into dma-bufs of ivshmem's BAR2 (whole, and a
# 3-range slice whose 2nd and 3rd ranges start at dma-buf offsets 0x1000
# and 0x3000) and of the NVMe controller memory buffer (BAR2), checked
# byte for byte through a VFIO mmap of the BAR, and read back.  The ivshmem
# run also leaves a DMABUF-MARKER the host looks for in the backing file.
# dmabuf.doctor.root-ports: vfio-dmabuf doctor's verdict for ivshmem and
# edu, behind two root ports, is the module's (host-bridge).
# shellcheck source=dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

dmabuf_setup dmabuf.p2p

if dmabuf_bind dmabuf.p2p.ivshmem "$DMABUF_IVSHMEM"; then
	dmabuf_run p2p dmabuf.p2p.ivshmem "$DMABUF_IVSHMEM" 2 marker
	# Two root ports through the host bridge (-cpu EPYC forwards).
	dmabuf_doctor dmabuf.doctor.root-ports "$DMABUF_IVSHMEM" 2
	unbind "$DMABUF_IVSHMEM"
fi
if dmabuf_bind dmabuf.p2p.nvme-cmb "$DMABUF_NVME"; then
	dmabuf_run p2p dmabuf.p2p.nvme-cmb "$DMABUF_NVME" 2 nvme
	unbind "$DMABUF_NVME"
fi
