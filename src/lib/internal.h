/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the library's files share and do not export (libvfio-dmabuf.map
 * names the public symbols; everything else is hidden).
 */
#ifndef VFIO_DMABUF_INTERNAL_H
#define VFIO_DMABUF_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include "vfio-dmabuf.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Where sysfs, /dev and /proc are: "" on a real system; the unit tests
 * point them at a tree of their own.
 */
extern const char *vfd_sysfs;
extern const char *vfd_devfs;
extern const char *vfd_procfs;

/* Sets the thread's last error; returns -err, for "return vfd_fail(...)". */
int vfd_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vfd_clear_error(void);

/* A PCI address "DDDD:BB:DD.F", in exactly that form (0 if it is one). */
int vfd_check_bdf(const char *bdf);

/* snprintf() into @buf that must fit: -ENAMETOOLONG if it did not. */
int vfd_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The IOMMU group number of @bdf, or -errno. */
int vfd_iommu_group(const char *bdf);

#endif /* VFIO_DMABUF_INTERNAL_H */
