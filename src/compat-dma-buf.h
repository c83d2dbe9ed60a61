/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dma-buf API differences between the kernels this project supports, for
 * the exporter and for the test importer (tests/kmod).  The HAVE_* answers
 * come from src/compat/probes/ through the generated vpd_config.h.
 */
#ifndef VPD_COMPAT_DMA_BUF_H
#define VPD_COMPAT_DMA_BUF_H

#include <linux/dma-buf.h>
#include <linux/kconfig.h>
#include <linux/module.h>

#include "vpd_config.h"

/* The importer's revoke callback and the call that fires it. */
#ifdef HAVE_DMA_BUF_INVALIDATE_MAPPINGS
#define VPD_IMPORTER_INVALIDATE		invalidate_mappings
#define vpd_dma_buf_invalidate(dmabuf)	dma_buf_invalidate_mappings(dmabuf)
#else
#define VPD_IMPORTER_INVALIDATE		move_notify
#define vpd_dma_buf_invalidate(dmabuf)	dma_buf_move_notify(dmabuf)
#endif

#ifdef HAVE_MODULE_IMPORT_NS_TOKEN
#define VPD_IMPORT_NS_DMA_BUF()		MODULE_IMPORT_NS(DMA_BUF)
#else
#define VPD_IMPORT_NS_DMA_BUF()		MODULE_IMPORT_NS("DMA_BUF")
#endif

/*
 * VPD_MAP_PINS - whether dma_buf_map_attachment() calls a dynamic exporter's
 * pin op before every mapping (and unpin after every unmap) for dynamic
 * importers too.  6.x kernels built without CONFIG_DMABUF_MOVE_NOTIFY
 * (Debian's 6.1 and 6.12) do; 6.x kernels with it, and 7.x, never do.
 */
#if defined(HAVE_DMA_BUF_INVALIDATE_MAPPINGS) || IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY)
#define VPD_MAP_PINS	0
#else
#define VPD_MAP_PINS	1
#endif

#endif /* VPD_COMPAT_DMA_BUF_H */
