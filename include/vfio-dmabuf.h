/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvfio-dmabuf: dma-bufs of PCI BARs through VFIO_DEVICE_FEATURE_DMA_BUF.
 *
 * The kernel side is vfio-pci-dmabuf (the variant driver or its drop-in
 * vfio-pci) or an in-tree vfio-pci of Linux 6.19 or later.  The library
 * opens devices, exports BAR ranges, tells whether an importer can reach a
 * BAR peer-to-peer on this host, and explains every errno in one sentence.
 *
 * Conventions: functions return 0 (or a file descriptor) on success and a
 * negative errno on failure; errno is left alone.  File descriptors are
 * created close-on-exec unless the caller asks otherwise.  Nothing here
 * keeps global state, except the thread's last error text.
 *
 * See libvfio-dmabuf(3).
 */
#ifndef VFIO_DMABUF_H
#define VFIO_DMABUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The kernel's feature number (linux/vfio.h of 6.19+). */
#define VFIO_DMABUF_FEATURE	11

/* One slice of a BAR; the layout of struct vfio_region_dma_range. */
struct vfio_dmabuf_range {
	uint64_t offset;	/* from the start of the BAR, page aligned */
	uint64_t length;	/* page aligned, not 0 */
};

/* Ranges per export (what the kernel copies in one allocation); -E2BIG above. */
#define VFIO_DMABUF_MAX_RANGES	262144u

/*
 * 0 if the driver of @device_fd serves VFIO_DEVICE_FEATURE_DMA_BUF;
 * -ENOTTY if it does not (stock vfio-pci before Linux 6.19), another
 * negative errno if the question could not be asked.
 */
int vfio_dmabuf_probe(int device_fd);

/*
 * A dma-buf of @nr ranges of BAR @bar, in order, created with @open_flags
 * (O_CLOEXEC | O_RDWR is what most callers want).  Returns its file
 * descriptor, or a negative errno: vfio_dmabuf_explain(VFIO_DMABUF_OP_EXPORT,
 * ...) says what each means.
 */
int vfio_dmabuf_export(int device_fd, unsigned int bar,
		       const struct vfio_dmabuf_range *ranges, unsigned int nr,
		       int open_flags);

/* A BAR as VFIO_DEVICE_GET_REGION_INFO and the BAR register show it. */
struct vfio_dmabuf_bar {
	unsigned int index;
	uint64_t size;		/* 0: not implemented */
	uint64_t offset;	/* of the region in the device fd (pread, mmap) */
	uint32_t region_flags;	/* VFIO_REGION_INFO_FLAG_* */
	bool memory;		/* a memory BAR (not I/O ports) */
	bool mmap;		/* the region can be mmap()ed */
	bool mem64;		/* 64-bit: index + 1 is its upper half */
	bool prefetchable;
};

/* The BARs the library knows: 0 to 5. */
#define VFIO_DMABUF_NUM_BARS	6

int vfio_dmabuf_bar_info(int device_fd, unsigned int bar,
			 struct vfio_dmabuf_bar *info);

/*
 * Opening a device by PCI address ("0000:01:00.0") for a standalone
 * program.  VFIO_DMABUF_OPEN_LEGACY: its IOMMU group and a type1 (or
 * noiommu) container; VFIO_DMABUF_OPEN_CDEV: its VFIO device cdev bound to
 * a fresh iommufd with one IOAS; 0: the cdev where the kernel has one, else
 * the group.  Every failure leaves nothing open and a sentence naming the
 * failing step in vfio_dmabuf_last_error().
 */
#define VFIO_DMABUF_OPEN_LEGACY	0x1u
#define VFIO_DMABUF_OPEN_CDEV	0x2u

struct vfio_dmabuf_dev;

int vfio_dmabuf_open(const char *bdf, unsigned int flags,
		     struct vfio_dmabuf_dev **devp);
void vfio_dmabuf_close(struct vfio_dmabuf_dev *dev);

int vfio_dmabuf_dev_fd(const struct vfio_dmabuf_dev *dev);
/* -1 where the path opened has none of it. */
int vfio_dmabuf_dev_container_fd(const struct vfio_dmabuf_dev *dev);
int vfio_dmabuf_dev_group_fd(const struct vfio_dmabuf_dev *dev);
int vfio_dmabuf_dev_iommufd(const struct vfio_dmabuf_dev *dev);
/* The cdev path's object ids (0 on the legacy path). */
uint32_t vfio_dmabuf_dev_devid(const struct vfio_dmabuf_dev *dev);
uint32_t vfio_dmabuf_dev_ioas(const struct vfio_dmabuf_dev *dev);
/* The group is /dev/vfio/noiommu-N (vfio's unsafe noiommu mode). */
bool vfio_dmabuf_dev_noiommu(const struct vfio_dmabuf_dev *dev);

/*
 * The device fd of @bdf from a group fd somebody else set up, such as
 * DPDK's (rte_vfio_get_group_num() and rte_vfio_get_group_fd()).  The new
 * fd is close-on-exec; close it when done, the owner's fds stay as they are.
 */
int vfio_dmabuf_group_device_fd(int group_fd, const char *bdf);

/*
 * What went wrong last in this thread, as a sentence ("" if nothing did).
 * Set by vfio_dmabuf_open(), vfio_dmabuf_group_device_fd() and
 * vfio_dmabuf_p2p(); valid until the thread's next call of those.
 */
const char *vfio_dmabuf_last_error(void);

/* What an errno means, as one sentence, for the step that returned it. */
enum vfio_dmabuf_op {
	VFIO_DMABUF_OP_OPEN,	/* vfio_dmabuf_open() and group_device_fd() */
	VFIO_DMABUF_OP_PROBE,	/* vfio_dmabuf_probe() */
	VFIO_DMABUF_OP_EXPORT,	/* vfio_dmabuf_export() */
	VFIO_DMABUF_OP_IMPORT,	/* an importer's attach or map of the dma-buf,
				 * e.g. ibv_reg_dmabuf_mr() */
};

/* @err positive or negative; never NULL (an unknown errno: text valid until
 * this thread's next call). */
const char *vfio_dmabuf_explain(enum vfio_dmabuf_op op, int err);

/*
 * How an importing PCI function reaches the BARs of an exporting one, by
 * the rules vfio-pci-dmabuf applies when the importer maps a dma-buf (read
 * from sysfs, PCI config space and /proc/cpuinfo; config space beyond the
 * first 64 bytes needs root, and without it the path may be UNKNOWN).
 */
enum vfio_dmabuf_path {
	VFIO_DMABUF_PATH_UNKNOWN,	/* a fact could not be read */
	VFIO_DMABUF_PATH_NONE,		/* the map is refused (EINVAL) */
	VFIO_DMABUF_PATH_BUS_ADDR,	/* below a common switch: bus addresses */
	VFIO_DMABUF_PATH_HOST_BRIDGE,	/* through the host bridge and the
					 * importer's IOMMU mapping */
};

struct vfio_dmabuf_p2p {
	enum vfio_dmabuf_path path;
	char common[16];	/* the nearest common upstream device, or "" */
	char why[512];		/* the sentence that explains @path */
	char iommu[256];	/* the importer's DMA translation, as a sentence */
};

int vfio_dmabuf_p2p(const char *exporter_bdf, const char *importer_bdf,
		    struct vfio_dmabuf_p2p *res);
/* "none", "bus-address", "host-bridge", "unknown". */
const char *vfio_dmabuf_path_name(enum vfio_dmabuf_path path);

#ifdef __cplusplus
}
#endif

#endif /* VFIO_DMABUF_H */
