# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# dmabuf-refusals: importers the exporter cannot revoke are refused with
# EOPNOTSUPP: static (no importer ops), no peer-to-peer, and pinned
# (dma_buf_pin(), as RDMA's ib_umem_dmabuf_get_pinned); a dynamic one maps.
# shellcheck source=dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

dmabuf_setup dmabuf.refusals

if dmabuf_bind dmabuf.refusals "$DMABUF_IVSHMEM"; then
	dmabuf_run refusals dmabuf.refusals "$DMABUF_IVSHMEM" 2
	unbind "$DMABUF_IVSHMEM"
fi
