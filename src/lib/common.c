// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The thread's last error, PCI addresses and paths, and the sentence for
 * every errno a step can return.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

const char *vfd_sysfs = "";
const char *vfd_devfs = "";
const char *vfd_procfs = "";

static __thread char vfd_error[512];

int vfd_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vfd_error, sizeof(vfd_error), fmt, ap);
	va_end(ap);
	return -err;
}

void vfd_clear_error(void)
{
	vfd_error[0] = '\0';
}

const char *vfio_dmabuf_last_error(void)
{
	return vfd_error;
}

int vfd_check_bdf(const char *bdf)
{
	static const char form[] = "hhhh:hh:hh.o";
	size_t i;

	if (!bdf || strlen(bdf) != sizeof(form) - 1)
		return -EINVAL;
	for (i = 0; form[i]; i++) {
		unsigned char c = bdf[i];

		if (form[i] == 'h' ? !isxdigit(c) :
		    form[i] == 'o' ? c < '0' || c > '7' : c != form[i])
			return -EINVAL;
	}
	/* Device numbers stop at 0x1f. */
	return strtoul(bdf + 8, NULL, 16) > 0x1f ? -EINVAL : 0;
}

int vfd_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int vfd_iommu_group(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	char *end;
	ssize_t n;
	long id;
	int ret;

	ret = vfd_path(path, sizeof(path), "%s/sys/bus/pci/devices/%s/iommu_group",
		       vfd_sysfs, bdf);
	if (ret)
		return ret;
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	errno = 0;
	id = strtol(base, &end, 10);
	if (errno || end == base || *end || id < 0 || id > INT_MAX)
		return -EINVAL;
	return id;
}

/* ------------------------------------------------------------ explain */

struct vfd_reason {
	int err;
	const char *text;
};

static const struct vfd_reason vfd_open_reasons[] = {
	{ ENOENT, "the device is not there, has no IOMMU group (no IOMMU and vfio's noiommu mode off), or its VFIO node is missing (load vfio-pci-dmabuf or vfio-pci and bind the device)" },
	{ ENODEV, "the device is not bound to a VFIO driver, or has gone" },
	{ EACCES, "no permission on the VFIO node: give the user the group's /dev/vfio/N (or the device's /dev/vfio/devices/vfioN), e.g. with a udev rule" },
	{ EPERM, "not permitted: noiommu groups need CAP_SYS_RAWIO, and the group must belong to this user" },
	{ EBUSY, "the group or device is in use: another process (QEMU, DPDK, another container) holds it" },
	{ EINVAL, "the group is not viable (a device of the same IOMMU group is bound to a host driver), or the PCI address is malformed" },
	{ ENOTTY, "the file is not a VFIO node of the kind asked for" },
	{ ENOSPC, "the kernel ran out of IOMMU address space or descriptors" },
	{ EMFILE, "the process has no file descriptor left (ulimit -n)" },
	{ ENAMETOOLONG, "a path built from the address is too long" },
	{}
};

static const struct vfd_reason vfd_probe_reasons[] = {
	{ ENOTTY, "the driver has no dma-buf export: stock vfio-pci before Linux 6.19 (bind vfio-pci-dmabuf, or install its drop-in vfio-pci), or the fd is not a VFIO device" },
	{ EINVAL, "the driver does not take the probe as asked (feature flags)" },
	{ EBADF, "the fd is not open" },
	{}
};

static const struct vfd_reason vfd_export_reasons[] = {
	{ ENOTTY, "the driver has no dma-buf export: stock vfio-pci before Linux 6.19 (bind vfio-pci-dmabuf, or install its drop-in vfio-pci), or the fd is not a VFIO device" },
	{ ENODEV, "the BAR is not there: the index is not 0 to 5, the BAR is not implemented or not assigned, or its resources are claimed elsewhere" },
	{ EINVAL, "the ranges are empty, not page aligned, outside the BAR, or add up to more than the address space; or the BAR is an I/O port BAR; or flags were set" },
	{ EOVERFLOW, "a range's offset and length overflow the BAR's physical address" },
	{ E2BIG, "more ranges than one request carries (VFIO_DMABUF_MAX_RANGES)" },
	{ ENOMEM, "out of memory, or more ranges than the kernel copies in one allocation" },
	{ EFAULT, "the request is not readable memory" },
	{ EMFILE, "the process has no file descriptor left for the dma-buf (ulimit -n)" },
	{ ENFILE, "the system has no file left for the dma-buf" },
	{ EBADF, "the device fd is not open" },
	{}
};

static const struct vfd_reason vfd_import_reasons[] = {
	{ EOPNOTSUPP, "the importer cannot take this dma-buf: it cannot be revoked (no move_notify, or it pins the pages), it did not ask for peer-to-peer, or (ibv_reg_dmabuf_mr) this RDMA provider cannot register dma-buf memory" },
	{ EINVAL, "peer-to-peer is impossible on this topology (no common switch without ACS redirection, and a host bridge not known to forward it: see vfio-dmabuf doctor), or the importer's DMA segment limit is below a page or the mapping needs too many segments" },
	{ ENODEV, "the dma-buf is revoked: for now while the BAR is unsafe (decode off, low power, a reset), and for good once the device is closed, unbound or unplugged (export a new one after reopening)" },
	{ ENOMEM, "out of memory or of IOMMU address space for the mapping" },
	{ EBADF, "the fd is not a dma-buf" },
	{ EFAULT, "the importer passed unreadable memory" },
	{ EPERM, "the importer refused the caller (permissions)" },
	{}
};

static const struct vfd_reason *const vfd_reasons[] = {
	[VFIO_DMABUF_OP_OPEN] = vfd_open_reasons,
	[VFIO_DMABUF_OP_PROBE] = vfd_probe_reasons,
	[VFIO_DMABUF_OP_EXPORT] = vfd_export_reasons,
	[VFIO_DMABUF_OP_IMPORT] = vfd_import_reasons,
};

const char *vfio_dmabuf_explain(enum vfio_dmabuf_op op, int err)
{
	static __thread char other[128];
	const struct vfd_reason *r;

	if (err < 0)
		err = -err;
	if (!err)
		return "success";
	if ((unsigned int)op < ARRAY_SIZE(vfd_reasons))
		for (r = vfd_reasons[op]; r->err; r++)
			if (r->err == err)
				return r->text;
	snprintf(other, sizeof(other), "unexpected error %d (%s)", err,
		 strerror(err));
	return other;
}
