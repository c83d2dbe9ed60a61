/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vpd-edu-importer - ioctl interface of the test dma-buf importer
 * (tests/kmod/vpd-edu-importer.c), shared with its userspace driver
 * (tests/guest/dmabuf-test.c).  Plain __u32/__u64 structures, no padding
 * holes, the same layout for 32- and 64-bit userspace.
 *
 * /dev/vpd-edu-importer can be open once at a time.  The open file owns at
 * most one attachment; closing it unmaps, detaches and drops the dma-buf.
 * For measurements (make bench) it also owns a pool of up to
 * VPD_IMP_POOL_MAX further dynamic attachments, each mapped once, that are
 * only counted: no DMA goes to them.
 * Every ioctl returns 0 or -1 with errno set.
 */
#ifndef VPD_EDU_IMPORTER_H
#define VPD_EDU_IMPORTER_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define VPD_IMP_DEVICE		"/dev/vpd-edu-importer"

/* How VPD_IMP_ATTACH attaches (vpd_imp_attach.mode). */
enum vpd_imp_mode {
	/* importer ops, allow_peer2peer, revoke callback */
	VPD_IMP_DYNAMIC = 0,
	/* the same, then dma_buf_pin() (like ib_umem_dmabuf_get_pinned) */
	VPD_IMP_PINNED = 1,
	/* dma_buf_attach(): no importer ops at all */
	VPD_IMP_STATIC = 2,
	/* importer ops with allow_peer2peer = false */
	VPD_IMP_NO_P2P = 3,
};

struct vpd_imp_attach {
	__s32 fd;		/* in: dma-buf fd */
	__u32 mode;		/* in: enum vpd_imp_mode */
};

#define VPD_IMP_MAX_SEGS	16

struct vpd_imp_seg {
	__u64 addr;		/* dma address */
	__u64 len;
};

/*
 * VPD_IMP_MAP (out).  The first VPD_IMP_MAX_SEGS segments are copied; a
 * mapping with more segments still works (the kernel keeps them all).
 */
struct vpd_imp_map {
	__u32 nents;		/* DMA segments of the mapping */
	__u32 max_seg_size;	/* dma_get_max_seg_size() of edu */
	__u64 length;		/* sum of the segment lengths */
	__u64 dmabuf_size;	/* dma-buf size */
	struct vpd_imp_seg segs[VPD_IMP_MAX_SEGS];
};

/* vpd_imp_dma.dir */
#define VPD_IMP_DMA_READ	0	/* dma-buf -> user buffer */
#define VPD_IMP_DMA_WRITE	1	/* user buffer -> dma-buf */

/* The largest single transfer (QEMU 7.2's edu aborts on 4096 bytes). */
#define VPD_IMP_DMA_MAX		2048

struct vpd_imp_dma {
	__u32 dir;		/* VPD_IMP_DMA_READ or VPD_IMP_DMA_WRITE */
	__u32 reserved;		/* must be 0 */
	__u64 offset;		/* into the dma-buf */
	__u64 length;		/* 1..VPD_IMP_DMA_MAX, within one segment */
	__u64 user_ptr;		/* the user buffer */
};

/*
 * VPD_IMP_DMA_STALE: write length bytes of pattern at offset of the mapping
 * that the last revoke took away (-ENOENT if there never was one).
 */
struct vpd_imp_stale {
	__u64 offset;
	__u64 length;
	__u32 pattern;		/* the low byte is written */
	__u32 reserved;		/* must be 0 */
};

struct vpd_imp_status {
	__u64 invalidations;	/* revoke callback calls */
	__u64 maps;		/* successful maps */
	__u64 unmaps;		/* unmaps, by UNMAP, revoke or detach */
	__u32 attached;		/* 0/1 */
	__u32 mapped;		/* 0/1 */
	__s32 last_map_errno;	/* of the last MAP: 0 or a positive errno */
	__u32 stale_nents;	/* segments remembered by the last revoke */
	__u64 stale_addr;	/* dma address of its first segment */
	__u32 fences_pending;	/* VPD_IMP_FENCE fences not signalled yet */
	__u32 reserved;
	/*
	 * With VPD_IMP_WATCH: each revoke callback that found a mapping
	 * reads the exporter's hardware COMMAND and PMCSR (config space, not
	 * what vfio shows).  A late one found memory decode off or the
	 * function out of D0: the BAR had become unreachable while still
	 * mapped.
	 */
	__u64 watched;		/* such callbacks */
	__u64 late;		/* of which late */
	__u16 late_command;	/* COMMAND at the first late one */
	__u16 late_pmcsr;	/* PMCSR at the first late one (0: no PM) */
	__u16 last_command;	/* COMMAND at the last watched one */
	__u16 last_pmcsr;	/* PMCSR at the last watched one */
};

/*
 * VPD_IMP_WATCH: the exporting function whose hardware state the revoke
 * callback records (vpd_imp_status.watched and late); domain ~0 stops.
 * Counts start at 0 with each call.
 */
struct vpd_imp_watch {
	__u32 domain;
	__u32 bus;
	__u32 devfn;
	__u32 reserved;		/* must be 0 */
};

/*
 * VPD_IMP_FENCE: add a fence to the attached dma-buf's reservation object
 * (DMA_RESV_USAGE_BOOKKEEP, as for work the importer queued), signalled
 * delay_ms (1..60000) later: an importer whose work is still running.
 */
struct vpd_imp_fence_req {
	__u32 delay_ms;
	__u32 reserved;		/* must be 0 */
};

/*
 * The pool (VPD_IMP_POOL_*): VPD_IMP_POOL_ADD attaches (dynamically, with
 * peer-to-peer) and maps one more dma-buf; a revoke unmaps the entry and
 * counts; VPD_IMP_POOL_REMAP maps every unmapped entry again (an entry
 * whose map fails stays unmapped: map_failures says how many);
 * VPD_IMP_POOL_CLEAR detaches them all.
 */
#define VPD_IMP_POOL_MAX	4096

struct vpd_imp_pool {
	__u32 entries;		/* attachments in the pool */
	__u32 mapped;		/* of which mapped */
	__u64 invalidations;	/* revoke callback calls, all entries */
	__u64 nents;		/* DMA segments of the mapped entries */
	__u32 map_failures;	/* of the last VPD_IMP_POOL_REMAP */
	__s32 last_map_errno;	/* of the last failed map: a positive errno */
	/* CLOCK_MONOTONIC (ns) of the last revoke callback that unmapped */
	__u64 last_unmap_ns;
};

#define VPD_IMP_TYPE	0xE5

#define VPD_IMP_ATTACH		_IOW(VPD_IMP_TYPE, 0, struct vpd_imp_attach)
#define VPD_IMP_MAP		_IOR(VPD_IMP_TYPE, 1, struct vpd_imp_map)
#define VPD_IMP_DMA		_IOW(VPD_IMP_TYPE, 2, struct vpd_imp_dma)
#define VPD_IMP_DMA_STALE	_IOW(VPD_IMP_TYPE, 3, struct vpd_imp_stale)
#define VPD_IMP_UNMAP		_IO(VPD_IMP_TYPE, 4)
#define VPD_IMP_DETACH		_IO(VPD_IMP_TYPE, 5)
#define VPD_IMP_STATUS		_IOR(VPD_IMP_TYPE, 6, struct vpd_imp_status)
/* dma_buf_pin() the attachment now (an importer that pins after mapping) */
#define VPD_IMP_PIN		_IO(VPD_IMP_TYPE, 7)
#define VPD_IMP_FENCE		_IOW(VPD_IMP_TYPE, 8, struct vpd_imp_fence_req)
#define VPD_IMP_POOL_ADD	_IOW(VPD_IMP_TYPE, 9, struct vpd_imp_attach)
#define VPD_IMP_POOL_REMAP	_IOR(VPD_IMP_TYPE, 10, struct vpd_imp_pool)
#define VPD_IMP_POOL_STATUS	_IOR(VPD_IMP_TYPE, 11, struct vpd_imp_pool)
#define VPD_IMP_POOL_CLEAR	_IO(VPD_IMP_TYPE, 12)
#define VPD_IMP_WATCH		_IOW(VPD_IMP_TYPE, 13, struct vpd_imp_watch)

#endif /* VPD_EDU_IMPORTER_H */
