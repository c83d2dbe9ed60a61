// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 7.x renamed the importer's move_notify op to invalidate_mappings
 * (and dma_buf_move_notify() to dma_buf_invalidate_mappings()) when it made
 * revocation a first-class dma-buf concept and dropped
 * CONFIG_DMABUF_MOVE_NOTIFY.  Since then dma_buf_map_attachment() no longer
 * pins a dynamic exporter for dynamic importers.
 *
 * HAVE_DMA_BUF_INVALIDATE_MAPPINGS: importers are revoked through invalidate_mappings
 */
#include <linux/dma-buf.h>

static void conftest_invalidate(struct dma_buf_attachment *attach)
{
}

static const struct dma_buf_attach_ops conftest_ops __maybe_unused = {
	.allow_peer2peer	= true,
	.invalidate_mappings	= conftest_invalidate,
};

static void __maybe_unused conftest(struct dma_buf *dmabuf)
{
	dma_buf_invalidate_mappings(dmabuf);
}
