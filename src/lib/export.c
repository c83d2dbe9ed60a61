// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The device-fd half of the library: the feature probe, the export, BAR
 * information and a device fd from somebody else's group.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

/* Upstream's struct where linux/vfio.h predates it (the project's uAPI). */
#include <uapi/linux/vfio-pci-dmabuf.h>

#include "internal.h"

_Static_assert(sizeof(struct vfio_dmabuf_range) ==
	       sizeof(struct vfio_region_dma_range),
	       "struct vfio_dmabuf_range is the kernel's range");
_Static_assert(VFIO_DMABUF_FEATURE == VFIO_DEVICE_FEATURE_DMA_BUF,
	       "the feature number is the kernel's");

static int vfd_ioctl(int fd, unsigned long req, void *arg)
{
	int ret = ioctl(fd, req, arg);

	return ret < 0 ? -errno : ret;
}

int vfio_dmabuf_probe(int device_fd)
{
	struct vfio_device_feature probe = {
		.argsz = sizeof(probe),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			 VFIO_DEVICE_FEATURE_DMA_BUF,
	};
	int ret = vfd_ioctl(device_fd, VFIO_DEVICE_FEATURE, &probe);

	return ret < 0 ? ret : 0;
}

/* The request's size, or 0 if @nr ranges make it too big for argsz. */
static size_t vfd_export_argsz(unsigned int nr)
{
	size_t head = sizeof(struct vfio_device_feature) +
		      sizeof(struct vfio_device_feature_dma_buf);

	if (nr > VFIO_DMABUF_MAX_RANGES)
		return 0;
	/* 32 + 262144 * 16 bytes: far below argsz's 32 bits. */
	return head + (size_t)nr * sizeof(struct vfio_region_dma_range);
}

int vfio_dmabuf_export(int device_fd, unsigned int bar,
		       const struct vfio_dmabuf_range *ranges, unsigned int nr,
		       int open_flags)
{
	struct vfio_device_feature_dma_buf *req;
	struct vfio_device_feature *hdr;
	size_t argsz;
	int ret;

	/* The kernel's errnos for the kernel's checks, before any syscall. */
	if (bar >= VFIO_DMABUF_NUM_BARS)
		return -ENODEV;
	if (!nr || !ranges)
		return -EINVAL;
	argsz = vfd_export_argsz(nr);
	if (!argsz)
		return -E2BIG;

	hdr = calloc(1, argsz);
	if (!hdr)
		return -ENOMEM;
	hdr->argsz = argsz;
	hdr->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	req = (struct vfio_device_feature_dma_buf *)hdr->data;
	req->region_index = bar;
	req->open_flags = open_flags;
	req->nr_ranges = nr;
	memcpy(req->dma_ranges, ranges, (size_t)nr * sizeof(*ranges));

	ret = vfd_ioctl(device_fd, VFIO_DEVICE_FEATURE, hdr);
	free(hdr);
	return ret;
}

/* The BAR register as vfio shows it (its low bits say what the BAR is). */
static int vfd_bar_register(int device_fd, unsigned int bar, uint32_t *val)
{
	struct vfio_region_info cfg = {
		.argsz = sizeof(cfg),
		.index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	ssize_t n;
	int ret;

	ret = vfd_ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, &cfg);
	if (ret < 0)
		return ret;
	n = pread(device_fd, val, sizeof(*val),
		  cfg.offset + PCI_BASE_ADDRESS_0 + 4 * bar);
	if (n < 0)
		return -errno;
	return n == sizeof(*val) ? 0 : -EIO;
}

int vfio_dmabuf_bar_info(int device_fd, unsigned int bar,
			 struct vfio_dmabuf_bar *info)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg), .index = bar };
	uint32_t val = 0;
	int ret;

	if (!info)
		return -EINVAL;
	if (bar >= VFIO_DMABUF_NUM_BARS)
		return -ENODEV;
	memset(info, 0, sizeof(*info));
	info->index = bar;
	ret = vfd_ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, &reg);
	if (ret < 0)
		return ret;
	info->size = reg.size;
	info->offset = reg.offset;
	info->region_flags = reg.flags;
	info->mmap = reg.flags & VFIO_REGION_INFO_FLAG_MMAP;
	if (!reg.size)
		return 0;

	ret = vfd_bar_register(device_fd, bar, &val);
	if (ret < 0)
		return ret;
	info->memory = !(val & PCI_BASE_ADDRESS_SPACE_IO);
	if (info->memory) {
		info->mem64 = (val & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
			      PCI_BASE_ADDRESS_MEM_TYPE_64;
		info->prefetchable = val & PCI_BASE_ADDRESS_MEM_PREFETCH;
	}
	return 0;
}

int vfio_dmabuf_group_device_fd(int group_fd, const char *bdf)
{
	int ret;

	vfd_clear_error();
	ret = vfd_check_bdf(bdf);
	if (ret)
		return vfd_fail(-ret, "\"%s\" is not a PCI address (DDDD:BB:DD.F)",
				bdf ? bdf : "(null)");
	ret = vfd_ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, (void *)bdf);
	if (ret < 0)
		return vfd_fail(-ret, "VFIO_GROUP_GET_DEVICE_FD(%s): %s", bdf,
				vfio_dmabuf_explain(VFIO_DMABUF_OP_OPEN, ret));
	return ret;
}
