// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Opening a device by PCI address: its IOMMU group in a type1 (or noiommu)
 * container, or its VFIO device cdev bound to a fresh iommufd.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "compat-uapi.h"
#include "internal.h"

struct vfio_dmabuf_dev {
	int fd;
	int container;
	int group;
	int iommufd;
	uint32_t devid;
	uint32_t ioas;
	bool noiommu;
};

static const char *vfd_why(int err)
{
	return vfio_dmabuf_explain(VFIO_DMABUF_OP_OPEN, err);
}

/* open() of a VFIO node, failing with a sentence. */
static int vfd_open_node(const char *path, int *fdp)
{
	*fdp = open(path, O_RDWR | O_CLOEXEC);
	if (*fdp < 0)
		return vfd_fail(errno, "open %s: %s: %s", path, strerror(errno),
				vfd_why(errno));
	return 0;
}

/* An ioctl that returns 0 on success, failing with a sentence. */
static int vfd_step(int fd, unsigned long req, void *arg, const char *what)
{
	if (ioctl(fd, req, arg) < 0)
		return vfd_fail(errno, "%s: %s: %s", what, strerror(errno),
				vfd_why(errno));
	return 0;
}

static int vfd_group_node(const char *bdf, struct vfio_dmabuf_dev *d,
			  char *path, size_t len)
{
	int id = vfd_iommu_group(bdf);
	int ret;

	if (id < 0)
		return vfd_fail(-id, "%s has no IOMMU group: %s", bdf,
				id == -ENOENT ? "no IOMMU, and vfio's noiommu mode is off (or the device is not there)" :
				strerror(-id));
	/* enable_unsafe_noiommu_mode: the group is noiommu-N, no type1. */
	ret = vfd_path(path, len, "%s/dev/vfio/noiommu-%d", vfd_devfs, id);
	if (ret)
		return ret;
	d->noiommu = !access(path, F_OK);
	if (!d->noiommu)
		ret = vfd_path(path, len, "%s/dev/vfio/%d", vfd_devfs, id);
	return ret;
}

static int vfd_open_legacy(const char *bdf, struct vfio_dmabuf_dev *d)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[PATH_MAX];
	int ret;

	ret = vfd_path(path, sizeof(path), "%s/dev/vfio/vfio", vfd_devfs);
	if (!ret)
		ret = vfd_open_node(path, &d->container);
	if (ret)
		return ret;
	if (ioctl(d->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return vfd_fail(EINVAL, "%s: not VFIO API version %d", path,
				VFIO_API_VERSION);

	ret = vfd_group_node(bdf, d, path, sizeof(path));
	if (!ret)
		ret = vfd_open_node(path, &d->group);
	if (!ret)
		ret = vfd_step(d->group, VFIO_GROUP_GET_STATUS, &status,
			       "VFIO_GROUP_GET_STATUS");
	if (ret)
		return ret;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return vfd_fail(EINVAL, "%s is not viable: every device of the IOMMU group must be bound to a VFIO driver (or to none)",
				path);
	ret = vfd_step(d->group, VFIO_GROUP_SET_CONTAINER, &d->container,
		       "VFIO_GROUP_SET_CONTAINER");
	if (ret)
		return ret;
	if (ioctl(d->container, VFIO_SET_IOMMU, d->noiommu ? VFIO_NOIOMMU_IOMMU :
		  VFIO_TYPE1v2_IOMMU) < 0)
		return vfd_fail(errno, "VFIO_SET_IOMMU(%s): %s: %s",
				d->noiommu ? "NOIOMMU" : "TYPE1v2",
				strerror(errno), vfd_why(errno));
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (d->fd < 0)
		return vfd_fail(errno, "VFIO_GROUP_GET_DEVICE_FD(%s): %s: %s",
				bdf, strerror(errno), vfd_why(errno));
	return 0;
}

/* /dev/vfio/devices/vfioN of @bdf, named by sysfs's vfio-dev/vfioN. */
static int vfd_cdev_node(const char *bdf, char *path, size_t len)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *dp;
	int ret;

	ret = vfd_path(dir, sizeof(dir), "%s/sys/bus/pci/devices/%s/vfio-dev",
		       vfd_sysfs, bdf);
	if (ret)
		return ret;
	dp = opendir(dir);
	if (!dp)
		return vfd_fail(errno, "%s: %s: %s", dir, strerror(errno),
				errno == ENOENT ? "the device is not bound to a VFIO driver with a cdev" :
				vfd_why(errno));
	ret = vfd_fail(ENOENT, "%s: no vfioN entry", dir);
	while ((e = readdir(dp))) {
		if (strncmp(e->d_name, "vfio", 4))
			continue;
		ret = vfd_path(path, len, "%s/dev/vfio/devices/%s", vfd_devfs,
			       e->d_name);
		if (!ret)
			vfd_clear_error();
		break;
	}
	closedir(dp);
	return ret;
}

static int vfd_open_cdev(const char *bdf, struct vfio_dmabuf_dev *d)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
	};
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	char path[PATH_MAX];
	int ret;

	ret = vfd_cdev_node(bdf, path, sizeof(path));
	if (!ret)
		ret = vfd_open_node(path, &d->fd);
	if (!ret)
		ret = vfd_path(path, sizeof(path), "%s/dev/iommu", vfd_devfs);
	if (!ret)
		ret = vfd_open_node(path, &d->iommufd);
	if (ret)
		return ret;
	bind.iommufd = d->iommufd;
	ret = vfd_step(d->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind,
		       "VFIO_DEVICE_BIND_IOMMUFD");
	if (!ret)
		ret = vfd_step(d->iommufd, IOMMU_IOAS_ALLOC, &alloc,
			       "IOMMU_IOAS_ALLOC");
	if (ret)
		return ret;
	d->devid = bind.out_devid;
	d->ioas = alloc.out_ioas_id;
	attach.pt_id = d->ioas;
	return vfd_step(d->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach,
			"VFIO_DEVICE_ATTACH_IOMMUFD_PT");
}

/* The cdev path where the kernel and the device's driver have it. */
static bool vfd_has_cdev(const char *bdf)
{
	char path[PATH_MAX];
	struct stat sb;

	if (vfd_path(path, sizeof(path), "%s/dev/iommu", vfd_devfs) ||
	    stat(path, &sb))
		return false;
	return !vfd_path(path, sizeof(path), "%s/sys/bus/pci/devices/%s/vfio-dev",
			 vfd_sysfs, bdf) && !stat(path, &sb);
}

static void vfd_close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

void vfio_dmabuf_close(struct vfio_dmabuf_dev *d)
{
	if (!d)
		return;
	/* The device before what it is attached to. */
	vfd_close_fd(d->fd);
	vfd_close_fd(d->group);
	vfd_close_fd(d->container);
	vfd_close_fd(d->iommufd);
	free(d);
}

int vfio_dmabuf_open(const char *bdf, unsigned int flags,
		     struct vfio_dmabuf_dev **devp)
{
	struct vfio_dmabuf_dev *d;
	int ret;

	vfd_clear_error();
	if (!devp)
		return vfd_fail(EINVAL, "no place for the device");
	*devp = NULL;
	if (vfd_check_bdf(bdf))
		return vfd_fail(EINVAL, "\"%s\" is not a PCI address (DDDD:BB:DD.F)",
				bdf ? bdf : "(null)");
	if (flags & ~(VFIO_DMABUF_OPEN_LEGACY | VFIO_DMABUF_OPEN_CDEV) ||
	    flags == (VFIO_DMABUF_OPEN_LEGACY | VFIO_DMABUF_OPEN_CDEV))
		return vfd_fail(EINVAL, "open flags 0x%x: LEGACY or CDEV or 0",
				flags);
	if (!flags)
		flags = vfd_has_cdev(bdf) ? VFIO_DMABUF_OPEN_CDEV :
					    VFIO_DMABUF_OPEN_LEGACY;

	d = calloc(1, sizeof(*d));
	if (!d)
		return vfd_fail(ENOMEM, "out of memory");
	d->fd = d->container = d->group = d->iommufd = -1;
	ret = flags & VFIO_DMABUF_OPEN_CDEV ? vfd_open_cdev(bdf, d) :
					       vfd_open_legacy(bdf, d);
	if (ret) {
		vfio_dmabuf_close(d);
		return ret;
	}
	*devp = d;
	return 0;
}

int vfio_dmabuf_dev_fd(const struct vfio_dmabuf_dev *d)
{
	return d ? d->fd : -1;
}

int vfio_dmabuf_dev_container_fd(const struct vfio_dmabuf_dev *d)
{
	return d ? d->container : -1;
}

int vfio_dmabuf_dev_group_fd(const struct vfio_dmabuf_dev *d)
{
	return d ? d->group : -1;
}

int vfio_dmabuf_dev_iommufd(const struct vfio_dmabuf_dev *d)
{
	return d ? d->iommufd : -1;
}

uint32_t vfio_dmabuf_dev_devid(const struct vfio_dmabuf_dev *d)
{
	return d ? d->devid : 0;
}

uint32_t vfio_dmabuf_dev_ioas(const struct vfio_dmabuf_dev *d)
{
	return d ? d->ioas : 0;
}

bool vfio_dmabuf_dev_noiommu(const struct vfio_dmabuf_dev *d)
{
	return d && d->noiommu;
}
