// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-check - what a VFIO user sees of one PCI device, as a report.
 *
 *   vfio-check report BDF       legacy group/container path (type1 IOMMU)
 *   vfio-check report-cdev BDF  VFIO device cdev + iommufd (exit 77 if absent)
 *   vfio-check hold BDF         open the device, print HELD, wait for EOF on
 *                               stdin, close everything
 *
 * The report is meant to be compared byte for byte between two drivers bound
 * to the same device (stock vfio-pci and a variant driver), so it prints only
 * what the device and the VFIO uAPI show: no pointers, fds, timings, or
 * numbers the kernel allocates per binding. Every failing call is printed
 * as its errno name and the report goes on.
 *
 * Exit status: 0 report produced (or hold done), 1 the device could not be
 * opened, 2 usage error, 77 report-cdev on a kernel without cdev/iommufd.
 *
 * Built on bookworm against 6.1 uAPI headers; newer uAPI is defined below.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/pci_regs.h>
#include <linux/types.h>
#include <linux/vfio.h>

#include "vfio-dmabuf.h"

/* iommufd (6.2) DMA mapping; bookworm's linux-libc-dev has no linux/iommufd.h */
#ifndef IOMMUFD_TYPE
#define IOMMUFD_TYPE			(';')
#define IOMMUFD_CMD_IOAS_MAP		0x85
#define IOMMUFD_CMD_IOAS_UNMAP		0x86
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP_FIXED_IOVA	(1 << 0)
#define IOMMU_IOAS_MAP_WRITEABLE	(1 << 1)
#define IOMMU_IOAS_MAP_READABLE		(1 << 2)
#define IOMMU_IOAS_MAP		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)
#endif

/* Newer than 6.1, named in the report only */
#ifndef VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP
#define VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP	5
struct vfio_device_info_cap_pci_atomic_comp {
	struct vfio_info_cap_header header;
	__u32 flags;
	__u32 reserved;
};
#endif
#ifndef VFIO_DEVICE_FLAGS_CDX
#define VFIO_DEVICE_FLAGS_CDX			(1 << 8)
#endif
#ifndef VFIO_PCI_HOT_RESET_FLAG_DEV_ID
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID		(1 << 0)
#endif
#ifndef VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED	(1 << 1)
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define MAX_SPARSE	8
#define MAX_CAPS	8
#define FEATURE_MAX	15	/* VFIO_DEVICE_FEATURE indexes probed: 0..15 */
#define IRQ_TIMEOUT_MS	5000
#define DMA_TIMEOUT_MS	5000
/* Device addresses for the DMA test: low enough for edu's 28-bit mask. */
#define DMA_IOVA	0x100000ULL

struct region {
	bool valid;			/* GET_REGION_INFO succeeded */
	struct vfio_region_info info;
	unsigned int nr_caps;
	unsigned int cap_ids[MAX_CAPS];
	bool typed;			/* has a type capability */
	uint32_t type, subtype;
	bool sparse;			/* has a sparse-mmap capability */
	unsigned int nr_areas;
	struct vfio_region_sparse_mmap_area areas[MAX_SPARSE];
};

struct dev;

/* How the device's IOMMU address space is reached. */
struct dma_ops {
	int (*map)(struct dev *d, void *va, uint64_t len, uint64_t iova);
	int (*unmap)(struct dev *d, uint64_t iova, uint64_t len);
};

struct known_dev;

struct dev {
	const char *bdf;
	struct vfio_dmabuf_dev *h;	/* libvfio-dmabuf's handle */
	int container;			/* legacy path */
	int group;
	int iommufd;			/* cdev path */
	uint32_t ioas_id;
	int fd;				/* device fd */
	const struct dma_ops *dma;
	struct vfio_device_info info;
	struct region reg[VFIO_PCI_NUM_REGIONS];
	struct vfio_irq_info irq[VFIO_PCI_NUM_IRQS];
	uint8_t cfg[PCI_CFG_SPACE_EXP_SIZE];
	size_t cfg_len;			/* bytes of cfg[] read */
	const struct known_dev *known;
};

/* ---------------------------------------------------------------- output */

static const char *errname(int err)
{
	static char buf[16];
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

/* "ok" for ret >= 0, else the name of errno */
static const char *st(long ret)
{
	return ret < 0 ? errname(errno) : "ok";
}

struct flag_name {
	uint32_t bit;
	const char *name;
};

static void print_flags(uint32_t flags, const struct flag_name *names,
			size_t nr)
{
	const char *sep = "";
	size_t i;

	printf("0x%x (", flags);
	for (i = 0; i < nr; i++) {
		if (!(flags & names[i].bit))
			continue;
		printf("%s%s", sep, names[i].name);
		sep = ",";
		flags &= ~names[i].bit;
	}
	if (flags)
		printf("%s0x%x", sep, flags);
	printf(")");
}

#define FLAGS(f, names)	print_flags((f), (names), ARRAY_SIZE(names))

static const struct flag_name dev_flag_names[] = {
	{ VFIO_DEVICE_FLAGS_RESET, "RESET" },
	{ VFIO_DEVICE_FLAGS_PCI, "PCI" },
	{ VFIO_DEVICE_FLAGS_PLATFORM, "PLATFORM" },
	{ VFIO_DEVICE_FLAGS_AMBA, "AMBA" },
	{ VFIO_DEVICE_FLAGS_CCW, "CCW" },
	{ VFIO_DEVICE_FLAGS_AP, "AP" },
	{ VFIO_DEVICE_FLAGS_FSL_MC, "FSL_MC" },
	{ VFIO_DEVICE_FLAGS_CAPS, "CAPS" },
	{ VFIO_DEVICE_FLAGS_CDX, "CDX" },
};

static const struct flag_name region_flag_names[] = {
	{ VFIO_REGION_INFO_FLAG_READ, "READ" },
	{ VFIO_REGION_INFO_FLAG_WRITE, "WRITE" },
	{ VFIO_REGION_INFO_FLAG_MMAP, "MMAP" },
	{ VFIO_REGION_INFO_FLAG_CAPS, "CAPS" },
};

static const struct flag_name irq_flag_names[] = {
	{ VFIO_IRQ_INFO_EVENTFD, "EVENTFD" },
	{ VFIO_IRQ_INFO_MASKABLE, "MASKABLE" },
	{ VFIO_IRQ_INFO_AUTOMASKED, "AUTOMASKED" },
	{ VFIO_IRQ_INFO_NORESIZE, "NORESIZE" },
};

static const struct flag_name hot_reset_flag_names[] = {
	{ VFIO_PCI_HOT_RESET_FLAG_DEV_ID, "DEV_ID" },
	{ VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED, "DEV_ID_OWNED" },
};

static const char *const region_names[VFIO_PCI_NUM_REGIONS] = {
	"bar0", "bar1", "bar2", "bar3", "bar4", "bar5", "rom", "config", "vga",
};

static const char *const irq_names[VFIO_PCI_NUM_IRQS] = {
	"intx", "msi", "msix", "err", "req",
};

/* ---------------------------------------------------------- small helpers */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Walk a VFIO capability chain (vfio_info_cap_header, offsets from the start
 * of the info buffer) and call fn for each entry. Stops at a malformed link.
 */
static void walk_caps(const void *buf, size_t len, uint32_t first,
		      void (*fn)(const struct vfio_info_cap_header *, void *),
		      void *arg)
{
	uint32_t off = first;
	unsigned int guard = 0;

	while (off && off + sizeof(struct vfio_info_cap_header) <= len &&
	       guard++ < 64) {
		const struct vfio_info_cap_header *h =
			(const void *)((const char *)buf + off);

		fn(h, arg);
		if (h->next && h->next <= off)
			break;
		off = h->next;
	}
}

/*
 * An info ioctl whose argsz may grow for capabilities: call with *bufp of
 * minsz bytes, and again with the size the kernel asked for. Returns the
 * ioctl's result; *bufp is reallocated as needed (caller frees).
 */
static int ioctl_grow(int fd, unsigned long req, void **bufp, size_t minsz)
{
	uint32_t want;
	void *p;
	int ret;

	ret = ioctl(fd, req, *bufp);
	if (ret < 0)
		return ret;
	want = *(uint32_t *)*bufp;	/* argsz, first in every info struct */
	if (want <= minsz)
		return ret;
	p = realloc(*bufp, want);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	memset((char *)p + minsz, 0, want - minsz);
	*bufp = p;
	return ioctl(fd, req, p);
}

/* ------------------------------------------------------- region access */

static int region_rw(struct dev *d, int idx, uint64_t off, void *buf,
		     size_t len, bool write)
{
	off_t pos = d->reg[idx].info.offset + off;
	ssize_t n;

	n = write ? pwrite(d->fd, buf, len, pos) : pread(d->fd, buf, len, pos);
	if (n == (ssize_t)len)
		return 0;
	if (n >= 0)
		errno = EIO;	/* short transfer */
	return -1;
}

static int rd32(struct dev *d, int idx, uint64_t off, uint32_t *val)
{
	return region_rw(d, idx, off, val, sizeof(*val), false);
}

static int wr32(struct dev *d, int idx, uint64_t off, uint32_t val)
{
	return region_rw(d, idx, off, &val, sizeof(val), true);
}

static int cfg_rd16(struct dev *d, unsigned int off, uint16_t *val)
{
	return region_rw(d, VFIO_PCI_CONFIG_REGION_INDEX, off, val,
			 sizeof(*val), false);
}

static int cfg_wr16(struct dev *d, unsigned int off, uint16_t val)
{
	return region_rw(d, VFIO_PCI_CONFIG_REGION_INDEX, off, &val,
			 sizeof(val), true);
}

/* Is [off, off + len) of region idx covered by one mmap-able area? */
static bool mmap_covers(const struct region *r, uint64_t off, uint64_t len)
{
	unsigned int i;

	if (!(r->info.flags & VFIO_REGION_INFO_FLAG_MMAP))
		return false;
	if (!r->sparse)
		return off + len <= r->info.size;
	for (i = 0; i < r->nr_areas; i++)
		if (off >= r->areas[i].offset &&
		    off + len <= r->areas[i].offset + r->areas[i].size)
			return true;
	return false;
}

/* Map the page of region idx holding region offset off; NULL on failure. */
static void *map_page(struct dev *d, int idx, uint64_t off)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p;

	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
		 d->reg[idx].info.offset + (off & ~(uint64_t)(pg - 1)));
	return p == MAP_FAILED ? NULL : p;
}

static void unmap_page(void *p)
{
	munmap(p, sysconf(_SC_PAGESIZE));
}

static uint8_t *page_at(void *page, uint64_t off)
{
	return (uint8_t *)page + (off & (sysconf(_SC_PAGESIZE) - 1));
}

/* Device memory through an mmap: each access done once, as written. */
static uint32_t mmio_rd32(const void *p)
{
	return *(const volatile uint32_t *)p;
}

static uint8_t mmio_rd8(const void *p)
{
	return *(const volatile uint8_t *)p;
}

static void mmio_wr8(void *p, uint8_t v)
{
	*(volatile uint8_t *)p = v;
}

/* ------------------------------------------------------------- IRQ helpers */

static int irq_set(struct dev *d, unsigned int index, uint32_t flags,
		   uint32_t count, const int32_t *fd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *s = (void *)buf;

	memset(buf, 0, sizeof(buf));
	s->argsz = sizeof(*s) + (fd ? sizeof(*fd) : 0);
	s->flags = flags;
	s->index = index;
	s->start = 0;
	s->count = count;
	if (fd)
		memcpy(s->data, fd, sizeof(*fd));
	return ioctl(d->fd, VFIO_DEVICE_SET_IRQS, s);
}

static int irq_arm(struct dev *d, unsigned int index, int efd)
{
	int32_t fd = efd;

	return irq_set(d, index, VFIO_IRQ_SET_DATA_EVENTFD |
		       VFIO_IRQ_SET_ACTION_TRIGGER, 1, &fd);
}

/* DATA_NONE with count 1: the kernel signals the armed trigger itself. */
static int irq_loopback(struct dev *d, unsigned int index)
{
	return irq_set(d, index, VFIO_IRQ_SET_DATA_NONE |
		       VFIO_IRQ_SET_ACTION_TRIGGER, 1, NULL);
}

static int irq_unmask(struct dev *d, unsigned int index)
{
	return irq_set(d, index, VFIO_IRQ_SET_DATA_NONE |
		       VFIO_IRQ_SET_ACTION_UNMASK, 1, NULL);
}

static int irq_disarm(struct dev *d, unsigned int index)
{
	return irq_set(d, index, VFIO_IRQ_SET_DATA_NONE |
		       VFIO_IRQ_SET_ACTION_TRIGGER, 0, NULL);
}

/* Wait for an eventfd to fire: "signalled", "timeout" or an errno name. */
static const char *wait_eventfd(int efd, int timeout_ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t cnt;
	int ret;

	do
		ret = poll(&pfd, 1, timeout_ms);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return errname(errno);
	if (ret == 0)
		return "timeout";
	if (read(efd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return errname(errno);
	return "signalled";
}

/* ------------------------------------------------------------ opening */

static const char *const ext_names[] = {
	[VFIO_TYPE1_IOMMU] = "TYPE1",
	[VFIO_SPAPR_TCE_IOMMU] = "SPAPR_TCE",
	[VFIO_TYPE1v2_IOMMU] = "TYPE1v2",
	[VFIO_DMA_CC_IOMMU] = "DMA_CC",
	[VFIO_EEH] = "EEH",
	[VFIO_TYPE1_NESTING_IOMMU] = "TYPE1_NESTING",
	[VFIO_SPAPR_TCE_v2_IOMMU] = "SPAPR_TCE_v2",
	[VFIO_NOIOMMU_IOMMU] = "NOIOMMU",
	[VFIO_UNMAP_ALL] = "UNMAP_ALL",
	[VFIO_UPDATE_VADDR] = "UPDATE_VADDR",
};

static void report_extensions(int container, const char *when)
{
	unsigned int i;
	int ret;

	for (i = 1; i < ARRAY_SIZE(ext_names); i++) {
		ret = ioctl(container, VFIO_CHECK_EXTENSION, i);
		if (ret < 0)
			printf("container.%s.ext.%s: %s\n", when, ext_names[i],
			       errname(errno));
		else
			printf("container.%s.ext.%s: %d\n", when, ext_names[i],
			       ret);
	}
}

static void print_type1_cap(const struct vfio_info_cap_header *h, void *arg)
{
	(void)arg;
	printf("container.iommu.cap: id=%u version=%u", h->id, h->version);
	if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
		const struct vfio_iommu_type1_info_cap_iova_range *c =
			(const void *)h;
		uint32_t i;

		printf(" iova_ranges=%u", c->nr_iovas);
		for (i = 0; i < c->nr_iovas && i < 16; i++)
			printf(" 0x%llx-0x%llx",
			       (unsigned long long)c->iova_ranges[i].start,
			       (unsigned long long)c->iova_ranges[i].end);
	} else if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION) {
		const struct vfio_iommu_type1_info_cap_migration *c =
			(const void *)h;

		printf(" flags=0x%x pgsize_bitmap=0x%llx max_dirty=0x%llx",
		       c->flags, (unsigned long long)c->pgsize_bitmap,
		       (unsigned long long)c->max_dirty_bitmap_size);
	} else if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
		const struct vfio_iommu_type1_info_dma_avail *c =
			(const void *)h;

		printf(" avail=%u", c->avail);
	}
	printf("\n");
}

static void report_type1_info(int container)
{
	struct vfio_iommu_type1_info *info = calloc(1, sizeof(*info));
	int ret;

	if (!info)
		return;
	info->argsz = sizeof(*info);
	ret = ioctl_grow(container, VFIO_IOMMU_GET_INFO, (void **)&info,
			 sizeof(*info));
	printf("container.iommu.info: %s", st(ret));
	if (ret >= 0) {
		printf(" flags=0x%x iova_pgsizes=0x%llx\n", info->flags,
		       (unsigned long long)info->iova_pgsizes);
		if (info->flags & VFIO_IOMMU_INFO_CAPS)
			walk_caps(info, info->argsz, info->cap_offset,
				  print_type1_cap, NULL);
	} else {
		printf("\n");
	}
	free(info);
}

static int type1_map(struct dev *d, void *va, uint64_t len, uint64_t iova)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = len,
	};

	return ioctl(d->container, VFIO_IOMMU_MAP_DMA, &map);
}

static int type1_unmap(struct dev *d, uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = len,
	};
	int ret;

	ret = ioctl(d->container, VFIO_IOMMU_UNMAP_DMA, &unmap);
	if (ret >= 0 && unmap.size != len) {
		errno = EIO;	/* unmapped less than was mapped */
		return -1;
	}
	return ret;
}

static const struct dma_ops type1_ops = {
	.map = type1_map,
	.unmap = type1_unmap,
};

/*
 * What a fresh container reports before a group joins it: the same answers
 * as the device's container gave before VFIO_SET_IOMMU.
 */
static int report_unset_container(void)
{
	int c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC), ret;

	if (c < 0) {
		fprintf(stderr, "open /dev/vfio/vfio: %s\n", errname(errno));
		return -1;
	}
	ret = ioctl(c, VFIO_GET_API_VERSION);
	if (ret < 0)
		printf("container.api_version: %s\n", errname(errno));
	else
		printf("container.api_version: %d\n", ret);
	report_extensions(c, "unset");
	close(c);
	return 0;
}

/*
 * The legacy path, opened by libvfio-dmabuf. With verbose, prints the
 * container part of the report. On failure prints the failing step to
 * stderr and returns -1.
 */
static int open_legacy(struct dev *d, bool verbose)
{
	if (verbose && report_unset_container())
		return -1;
	if (vfio_dmabuf_open(d->bdf, VFIO_DMABUF_OPEN_LEGACY, &d->h)) {
		fprintf(stderr, "%s\n", vfio_dmabuf_last_error());
		return -1;
	}
	d->container = vfio_dmabuf_dev_container_fd(d->h);
	d->group = vfio_dmabuf_dev_group_fd(d->h);
	d->fd = vfio_dmabuf_dev_fd(d->h);
	if (verbose) {
		report_extensions(d->container, "set");
		report_type1_info(d->container);
	}
	d->dma = &type1_ops;
	return 0;
}

static int iommufd_map(struct dev *d, void *va, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = d->ioas_id,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return ioctl(d->iommufd, IOMMU_IOAS_MAP, &map);
}

static int iommufd_unmap(struct dev *d, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = d->ioas_id,
		.iova = iova,
		.length = len,
	};
	int ret;

	ret = ioctl(d->iommufd, IOMMU_IOAS_UNMAP, &unmap);
	if (ret >= 0 && unmap.length != len) {
		errno = EIO;
		return -1;
	}
	return ret;
}

static const struct dma_ops iommufd_ops = {
	.map = iommufd_map,
	.unmap = iommufd_unmap,
};

/*
 * Where the cdev path is missing, say why and return 77 (the automake
 * "skipped" status); the caller exits with it.
 */
static int cdev_unavailable(void)
{
	struct stat sb;

	if (stat("/dev/vfio/devices", &sb) < 0) {
		printf("report-cdev unavailable: /dev/vfio/devices: %s (kernel without CONFIG_VFIO_DEVICE_CDEV?)\n",
		       errname(errno));
		return 77;
	}
	if (stat("/dev/iommu", &sb) < 0) {
		printf("report-cdev unavailable: /dev/iommu: %s (kernel without CONFIG_IOMMUFD?)\n",
		       errname(errno));
		return 77;
	}
	return 0;
}

/* The cdev path, bound to a fresh iommufd and IOAS by libvfio-dmabuf. */
static int open_cdev(struct dev *d, bool verbose)
{
	int ret = cdev_unavailable();

	if (ret)
		return ret;
	if (vfio_dmabuf_open(d->bdf, VFIO_DMABUF_OPEN_CDEV, &d->h)) {
		fprintf(stderr, "%s\n", vfio_dmabuf_last_error());
		return 1;
	}
	d->fd = vfio_dmabuf_dev_fd(d->h);
	d->iommufd = vfio_dmabuf_dev_iommufd(d->h);
	d->ioas_id = vfio_dmabuf_dev_ioas(d->h);
	/* Object ids come from a fresh iommufd context: deterministic. */
	if (verbose)
		printf("iommufd: bind ok devid=%u ioas=%u attach ok pt=%u\n",
		       vfio_dmabuf_dev_devid(d->h), d->ioas_id, d->ioas_id);
	d->dma = &iommufd_ops;
	return 0;
}

/* Every fd is the library's. */
static void close_dev(struct dev *d)
{
	vfio_dmabuf_close(d->h);
	d->h = NULL;
}

/* ----------------------------------------------------- device information */

static void print_dev_cap(const struct vfio_info_cap_header *h, void *arg)
{
	(void)arg;
	printf(" %u.v%u", h->id, h->version);
	if (h->id == VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP)
		printf("(flags=0x%x)",
		       ((const struct vfio_device_info_cap_pci_atomic_comp *)
			h)->flags);
}

static void report_device_info(struct dev *d)
{
	struct vfio_device_info *info = calloc(1, sizeof(*info));
	int ret;

	if (!info)
		return;
	info->argsz = sizeof(*info);
	ret = ioctl_grow(d->fd, VFIO_DEVICE_GET_INFO, (void **)&info,
			 sizeof(*info));
	printf("device.info: %s\n", st(ret));
	if (ret >= 0) {
		printf("device.flags: ");
		FLAGS(info->flags, dev_flag_names);
		printf("\ndevice.num_regions: %u\ndevice.num_irqs: %u\n",
		       info->num_regions, info->num_irqs);
		printf("device.caps:");
		if (info->flags & VFIO_DEVICE_FLAGS_CAPS)
			walk_caps(info, info->argsz, info->cap_offset,
				  print_dev_cap, NULL);
		printf("\n");
		d->info = *info;
	}
	free(info);
}

static void collect_region_cap(const struct vfio_info_cap_header *h,
			       void *arg)
{
	struct region *r = arg;

	if (r->nr_caps < MAX_CAPS)
		r->cap_ids[r->nr_caps++] = h->id;
	if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
		const struct vfio_region_info_cap_sparse_mmap *s =
			(const void *)h;
		uint32_t i;

		r->sparse = true;
		for (i = 0; i < s->nr_areas && i < MAX_SPARSE; i++)
			r->areas[r->nr_areas++] = s->areas[i];
	} else if (h->id == VFIO_REGION_INFO_CAP_TYPE) {
		const struct vfio_region_info_cap_type *t = (const void *)h;

		r->typed = true;
		r->type = t->type;
		r->subtype = t->subtype;
	}
}

static void report_region(struct dev *d, unsigned int idx,
			  struct region *r)
{
	struct vfio_region_info *info = calloc(1, sizeof(*info));
	const char *name = idx < VFIO_PCI_NUM_REGIONS ?
			   region_names[idx] : "device-specific";
	unsigned int i;
	int ret;

	if (!info)
		return;
	info->argsz = sizeof(*info);
	info->index = idx;
	ret = ioctl_grow(d->fd, VFIO_DEVICE_GET_REGION_INFO, (void **)&info,
			 sizeof(*info));
	printf("region.%u (%s): %s", idx, name, st(ret));
	if (ret < 0) {
		printf("\n");
		goto out;
	}
	printf(" flags=");
	FLAGS(info->flags, region_flag_names);
	printf(" size=0x%llx offset=0x%llx\n", (unsigned long long)info->size,
	       (unsigned long long)info->offset);
	memset(r, 0, sizeof(*r));
	if (info->flags & VFIO_REGION_INFO_FLAG_CAPS)
		walk_caps(info, info->argsz, info->cap_offset,
			  collect_region_cap, r);
	r->valid = true;
	r->info = *info;
	if (r->nr_caps) {
		printf("region.%u caps:", idx);
		for (i = 0; i < r->nr_caps; i++)
			printf(" %u", r->cap_ids[i]);
		printf("\n");
	}
	if (r->typed)
		printf("region.%u type: 0x%x subtype: 0x%x\n", idx, r->type,
		       r->subtype);
	for (i = 0; i < r->nr_areas; i++)
		printf("region.%u sparse-mmap: offset=0x%llx size=0x%llx\n",
		       idx, (unsigned long long)r->areas[i].offset,
		       (unsigned long long)r->areas[i].size);
out:
	free(info);
}

static void report_regions(struct dev *d)
{
	struct region scratch;
	unsigned int i;

	for (i = 0; i < d->info.num_regions; i++)
		report_region(d, i, i < VFIO_PCI_NUM_REGIONS ? &d->reg[i] :
			      &scratch);
}

/* ------------------------------------------------------------ config space */

/*
 * The whole config region, 16 bytes a line; runs of identical lines are
 * shown as "*" (as hexdump does). Nothing is masked: every byte read
 * through vfio must be the same between drivers and between opens. (Seen
 * so on QEMU 7.2 with the 6.1 kernel for edu, ivshmem, nvme and e1000,
 * across opens and rebinds, including the MSI address/data that an earlier
 * open programmed into a device that has no reset.)
 */
static void report_config(struct dev *d)
{
	struct region *r = &d->reg[VFIO_PCI_CONFIG_REGION_INDEX];
	size_t len = r->info.size, off, i;
	bool starred = false;

	if (!r->valid || !len) {
		printf("config: no config region\n");
		return;
	}
	if (len > sizeof(d->cfg))
		len = sizeof(d->cfg);
	if (region_rw(d, VFIO_PCI_CONFIG_REGION_INDEX, 0, d->cfg, len,
		      false) < 0) {
		printf("config.read: %s\n", errname(errno));
		return;
	}
	d->cfg_len = len;
	printf("config.read: ok size=0x%zx\n", len);
	for (off = 0; off < len; off += 16) {
		if (off && off + 16 < len &&
		    !memcmp(d->cfg + off, d->cfg + off - 16, 16)) {
			if (!starred)
				printf("config *\n");
			starred = true;
			continue;
		}
		starred = false;
		printf("config %03zx:", off);
		for (i = 0; i < 16 && off + i < len; i++)
			printf(" %02x", d->cfg[off + i]);
		printf("\n");
	}
}

static uint16_t cfg16(const struct dev *d, unsigned int off)
{
	return d->cfg[off] | d->cfg[off + 1] << 8;
}

static uint32_t cfg32(const struct dev *d, unsigned int off)
{
	return cfg16(d, off) | (uint32_t)cfg16(d, off + 2) << 16;
}

/* Set bits in the command register through vfio; prints the result. */
static int cfg_enable(struct dev *d, uint16_t bits, const char *what)
{
	uint16_t cmd;
	int ret;

	ret = cfg_rd16(d, PCI_COMMAND, &cmd);
	if (ret >= 0)
		ret = cfg_wr16(d, PCI_COMMAND, cmd | bits);
	if (ret >= 0)
		ret = cfg_rd16(d, PCI_COMMAND, &cmd);
	printf("%s: %s", what, st(ret));
	if (ret >= 0)
		printf(" command=0x%04x", cmd);
	printf("\n");
	return ret;
}

/* ------------------------------------------------------------------ BARs */

/*
 * First dword of every BAR (and the ROM) through pread; for mmap-able BARs
 * the same dword through an mmap of its first page.
 */
static void report_bar(struct dev *d, unsigned int idx)
{
	const struct region *r = &d->reg[idx];
	uint32_t v, m;
	void *p;

	if (!r->valid || !r->info.size)
		return;
	printf("%s", region_names[idx]);
	if (idx <= VFIO_PCI_BAR5_REGION_INDEX && d->cfg_len)
		printf(" (%s)", cfg32(d, PCI_BASE_ADDRESS_0 + 4 * idx) &
		       PCI_BASE_ADDRESS_SPACE_IO ? "io" : "mem");
	if (rd32(d, idx, 0, &v) < 0) {
		printf(" pread[0]: %s\n", errname(errno));
		return;
	}
	printf(" pread[0]: 0x%08x\n", v);
	if (!(r->info.flags & VFIO_REGION_INFO_FLAG_MMAP))
		return;
	if (!mmap_covers(r, 0, 4)) {
		printf("%s mmap[0]: not in an mmap area\n", region_names[idx]);
		return;
	}
	p = map_page(d, idx, 0);
	if (!p) {
		printf("%s mmap: %s\n", region_names[idx], errname(errno));
		return;
	}
	m = mmio_rd32(p);
	printf("%s mmap[0]: 0x%08x %s\n", region_names[idx], m,
	       m == v ? "same as pread" : "DIFFERS from pread");
	unmap_page(p);
}

static void report_bars(struct dev *d)
{
	unsigned int i;

	for (i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_ROM_REGION_INDEX;
	     i++)
		report_bar(d, i);
}

/* ------------------------------------------------------------------ IRQs */

/*
 * Every IRQ index: its info, then (where it has vectors) arm one eventfd
 * trigger, ask the kernel to signal it (loopback), and disarm.
 */
static void report_irq(struct dev *d, unsigned int idx)
{
	struct vfio_irq_info *info = &d->irq[idx];
	const char *name = idx < VFIO_PCI_NUM_IRQS ? irq_names[idx] : "other";
	int efd, ret;

	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = idx;
	ret = ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, info);
	printf("irq.%u (%s) info: %s", idx, name, st(ret));
	if (ret < 0) {
		info->count = 0;
		printf("\n");
		return;
	}
	printf(" flags=");
	FLAGS(info->flags, irq_flag_names);
	printf(" count=%u\n", info->count);
	if (!info->count || !(info->flags & VFIO_IRQ_INFO_EVENTFD))
		return;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0) {
		printf("irq.%u eventfd: %s\n", idx, errname(errno));
		return;
	}
	ret = irq_arm(d, idx, efd);
	printf("irq.%u arm: %s\n", idx, st(ret));
	if (ret >= 0) {
		ret = irq_loopback(d, idx);
		printf("irq.%u loopback: %s", idx, st(ret));
		if (ret >= 0)
			printf(" %s", wait_eventfd(efd, IRQ_TIMEOUT_MS));
		printf("\n");
		printf("irq.%u disarm: %s\n", idx, st(irq_disarm(d, idx)));
	}
	close(efd);
}

static void report_irqs(struct dev *d)
{
	unsigned int i;

	for (i = 0; i < d->info.num_irqs; i++)
		if (i < VFIO_PCI_NUM_IRQS)
			report_irq(d, i);
}

/* ----------------------------------------------- features, resets */

static int feature_probe(struct dev *d, uint32_t feature, uint32_t ops)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = feature | VFIO_DEVICE_FEATURE_PROBE | ops,
	};

	return ioctl(d->fd, VFIO_DEVICE_FEATURE, &f);
}

static void report_features(struct dev *d)
{
	uint32_t i;

	for (i = 0; i <= FEATURE_MAX; i++) {
		printf("feature.%u probe: %s", i, st(feature_probe(d, i, 0)));
		printf(" get: %s",
		       st(feature_probe(d, i, VFIO_DEVICE_FEATURE_GET)));
		printf(" set: %s\n",
		       st(feature_probe(d, i, VFIO_DEVICE_FEATURE_SET)));
	}
}

static void report_hot_reset_info(struct dev *d)
{
	struct vfio_pci_hot_reset_info *hr;
	size_t sz = sizeof(*hr);
	uint32_t i;
	int ret;

	hr = calloc(1, sz);
	if (!hr)
		return;
	hr->argsz = sz;
	ret = ioctl(d->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, hr);
	if (ret < 0 && errno == ENOSPC && hr->count) {
		/* The first call only told how many devices are affected. */
		sz += hr->count * sizeof(hr->devices[0]);
		free(hr);
		hr = calloc(1, sz);
		if (!hr)
			return;
		hr->argsz = sz;
		ret = ioctl(d->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, hr);
	}
	printf("hot_reset_info: %s", st(ret));
	if (ret >= 0) {
		printf(" flags=");
		FLAGS(hr->flags, hot_reset_flag_names);
		printf(" count=%u\n", hr->count);
		for (i = 0; i < hr->count; i++)
			printf("hot_reset_info.dev: %04x:%02x:%02x.%u group_id/devid=%u\n",
			       hr->devices[i].segment, hr->devices[i].bus,
			       hr->devices[i].devfn >> 3,
			       hr->devices[i].devfn & 7,
			       hr->devices[i].group_id);
	} else {
		printf("\n");
	}
	free(hr);
}

static void report_reset(struct dev *d)
{
	printf("device.reset: %s\n", st(ioctl(d->fd, VFIO_DEVICE_RESET)));
}

/* --------------------------------------------------------- known devices */

/* QEMU's edu device (hw/misc/edu.c) */
#define EDU_ID			0x00
#define EDU_LIVENESS		0x04
#define EDU_IRQ_STATUS		0x24
#define EDU_IRQ_RAISE		0x60
#define EDU_IRQ_ACK		0x64
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_COUNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_DMA_RUN		0x1
#define EDU_DMA_TO_RAM		0x2	/* direction: edu buffer -> RAM */
#define EDU_DMA_BUF		0x40000	/* edu's buffer, device address */
#define EDU_DMA_LEN		1024	/* QEMU 7.2 aborts on 4096 */
#define EDU_BAR			VFIO_PCI_BAR0_REGION_INDEX

static void edu_liveness(struct dev *d)
{
	uint32_t v = 0;
	int ret;

	ret = wr32(d, EDU_BAR, EDU_LIVENESS, 0x12345678);
	if (ret >= 0)
		ret = rd32(d, EDU_BAR, EDU_LIVENESS, &v);
	printf("edu.liveness: %s", st(ret));
	if (ret >= 0)
		printf(" %s", v == ~0x12345678u ? "inverted" : "WRONG");
	printf("\n");
}

/*
 * Raise edu's interrupt (0x60) with the eventfd of index armed, wait for it,
 * acknowledge it (0x64) and, for INTx, unmask. poll() returns as soon as the
 * interrupt arrives; the timeout only bounds a lost interrupt.
 */
static void edu_irq(struct dev *d, unsigned int idx)
{
	const char *name = irq_names[idx];
	uint32_t status = 0;
	int efd, ret;

	if (!d->irq[idx].count) {
		printf("edu.irq.%s: no vectors\n", name);
		return;
	}
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0) {
		printf("edu.irq.%s eventfd: %s\n", name, errname(errno));
		return;
	}
	ret = irq_arm(d, idx, efd);
	printf("edu.irq.%s arm: %s\n", name, st(ret));
	if (ret < 0)
		goto out;
	ret = wr32(d, EDU_BAR, EDU_IRQ_RAISE, 1);
	printf("edu.irq.%s raise: %s", name, st(ret));
	if (ret >= 0)
		printf(" %s", wait_eventfd(efd, IRQ_TIMEOUT_MS));
	printf("\n");
	ret = rd32(d, EDU_BAR, EDU_IRQ_STATUS, &status);
	printf("edu.irq.%s status: %s 0x%x\n", name, st(ret), status);
	ret = wr32(d, EDU_BAR, EDU_IRQ_ACK, status);
	printf("edu.irq.%s ack: %s\n", name, st(ret));
	if (idx == VFIO_PCI_INTX_IRQ_INDEX)
		printf("edu.irq.%s unmask: %s\n", name,
		       st(irq_unmask(d, idx)));
	status = 0;
	ret = rd32(d, EDU_BAR, EDU_IRQ_STATUS, &status);
	printf("edu.irq.%s status after ack: %s 0x%x\n", name, st(ret),
	       status);
	printf("edu.irq.%s disarm: %s\n", name, st(irq_disarm(d, idx)));
out:
	close(efd);
}

/* One edu DMA; returns 0, or -1 with errno (ETIMEDOUT if it never ends). */
static int edu_dma(struct dev *d, uint32_t src, uint32_t dst, uint32_t cmd)
{
	long deadline = now_ms() + DMA_TIMEOUT_MS;
	uint32_t v;

	/* 32-bit writes: edu takes the low half of its 64-bit registers. */
	if (wr32(d, EDU_BAR, EDU_DMA_SRC, src) < 0 ||
	    wr32(d, EDU_BAR, EDU_DMA_DST, dst) < 0 ||
	    wr32(d, EDU_BAR, EDU_DMA_COUNT, EDU_DMA_LEN) < 0 ||
	    wr32(d, EDU_BAR, EDU_DMA_CMD, cmd | EDU_DMA_RUN) < 0)
		return -1;
	for (;;) {
		if (rd32(d, EDU_BAR, EDU_DMA_CMD, &v) < 0)
			return -1;
		if (!(v & EDU_DMA_RUN))
			return 0;
		if (now_ms() > deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		sleep_ms(1);
	}
}

/* Host buffer -> edu -> another host buffer, through the IOMMU mapping. */
static void edu_dma_check(struct dev *d)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *buf, *src, *dst;
	int i, ret;

	buf = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		printf("edu.dma buffer: %s\n", errname(errno));
		return;
	}
	src = buf;
	dst = buf + pg;
	for (i = 0; i < EDU_DMA_LEN; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	memset(dst, 0, pg);

	ret = d->dma->map(d, buf, 2 * pg, DMA_IOVA);
	printf("edu.dma map: %s\n", st(ret));
	if (ret < 0)
		goto out;
	ret = edu_dma(d, DMA_IOVA, EDU_DMA_BUF, 0);
	printf("edu.dma ram-to-edu: %s\n", st(ret));
	if (ret >= 0) {
		ret = edu_dma(d, EDU_DMA_BUF, DMA_IOVA + pg, EDU_DMA_TO_RAM);
		printf("edu.dma edu-to-ram: %s\n", st(ret));
	}
	if (ret >= 0) {
		for (i = 0; i < EDU_DMA_LEN && src[i] == dst[i]; i++)
			;
		if (i == EDU_DMA_LEN)
			printf("edu.dma compare: ok\n");
		else
			printf("edu.dma compare: MISMATCH at byte %d\n", i);
	}
	printf("edu.dma unmap: %s\n",
	       st(d->dma->unmap(d, DMA_IOVA, 2 * pg)));
out:
	munmap(buf, 2 * pg);
}

static void edu_check(struct dev *d)
{
	edu_liveness(d);
	/* MSI writes and DMA both need bus mastering. */
	cfg_enable(d, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
		   "edu.bus-master");
	edu_irq(d, VFIO_PCI_MSI_IRQ_INDEX);
	edu_irq(d, VFIO_PCI_INTX_IRQ_INDEX);
	edu_dma_check(d);
}

/* ivshmem-plain: BAR2 is shared RAM (a host file). */
#define IVSHMEM_BAR		VFIO_PCI_BAR2_REGION_INDEX
#define IVSHMEM_TEST_OFF	0x1000	/* away from offset 0 read above */
#define IVSHMEM_TEST_LEN	64

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

static bool mmap_equals(void *page, uint64_t off, const uint8_t *p,
			size_t len)
{
	uint8_t *m = page_at(page, off);
	size_t i;

	for (i = 0; i < len; i++)
		if (mmio_rd8(m + i) != p[i])
			return false;
	return true;
}

/* A read-back: the errno name if the calls failed, else whether it matched. */
static const char *verdict(int ret, bool eq)
{
	if (ret < 0)
		return errname(errno);
	return eq ? "ok" : "MISMATCH";
}

static void ivshmem_check(struct dev *d)
{
	struct region *r = &d->reg[IVSHMEM_BAR];
	uint8_t saved[IVSHMEM_TEST_LEN], a[IVSHMEM_TEST_LEN];
	uint8_t b[IVSHMEM_TEST_LEN], back[IVSHMEM_TEST_LEN];
	const uint64_t off = IVSHMEM_TEST_OFF;
	uint8_t *m;
	void *page;
	size_t i;
	int ret;

	if (region_rw(d, IVSHMEM_BAR, off, saved, sizeof(saved), false) < 0) {
		printf("ivshmem.ram save: %s\n", errname(errno));
		return;
	}
	fill(a, sizeof(a), 0x5a);
	fill(b, sizeof(b), 0xa5);

	ret = region_rw(d, IVSHMEM_BAR, off, a, sizeof(a), true);
	if (ret >= 0)
		ret = region_rw(d, IVSHMEM_BAR, off, back, sizeof(back),
				false);
	printf("ivshmem.ram pwrite, pread: %s\n",
	       verdict(ret, !memcmp(a, back, sizeof(a))));

	if (!mmap_covers(r, off, sizeof(a))) {
		printf("ivshmem.ram mmap: not mmap-able\n");
		goto restore;
	}
	page = map_page(d, IVSHMEM_BAR, off);
	if (!page) {
		printf("ivshmem.ram mmap: %s\n", errname(errno));
		goto restore;
	}
	printf("ivshmem.ram pwrite, mmap read: %s\n",
	       verdict(0, mmap_equals(page, off, a, sizeof(a))));
	m = page_at(page, off);
	for (i = 0; i < sizeof(b); i++)
		mmio_wr8(m + i, b[i]);
	ret = region_rw(d, IVSHMEM_BAR, off, back, sizeof(back), false);
	printf("ivshmem.ram mmap write, pread: %s\n",
	       verdict(ret, !memcmp(b, back, sizeof(b))));
	unmap_page(page);
restore:
	/* Leave the shared memory as it was, so the next report reads it. */
	ret = region_rw(d, IVSHMEM_BAR, off, saved, sizeof(saved), true);
	printf("ivshmem.ram restore: %s\n", st(ret));
}

struct known_dev {
	uint16_t vendor;
	uint16_t device;
	const char *name;
	void (*check)(struct dev *d);	/* device-specific checks, or NULL */
};

/* The test rig's devices. The generic BAR reads cover e1000's I/O BAR. */
static const struct known_dev known_devs[] = {
	{ 0x1234, 0x11e8, "edu", edu_check },
	{ 0x1af4, 0x1110, "ivshmem", ivshmem_check },
	{ 0x1b36, 0x0010, "nvme", NULL },
	{ 0x8086, 0x100e, "e1000", NULL },
};

static const struct known_dev *find_known(uint16_t vendor, uint16_t device)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known_devs); i++)
		if (known_devs[i].vendor == vendor &&
		    known_devs[i].device == device)
			return &known_devs[i];
	return NULL;
}

/* ------------------------------------------------------------ the report */

static void report(struct dev *d)
{
	report_device_info(d);
	report_regions(d);
	report_config(d);
	if (d->cfg_len >= PCI_STD_HEADER_SIZEOF)
		d->known = find_known(cfg16(d, PCI_VENDOR_ID),
				      cfg16(d, PCI_DEVICE_ID));
	printf("known device: %s\n", d->known ? d->known->name : "none");
	report_bars(d);
	report_irqs(d);
	if (d->known && d->known->check)
		d->known->check(d);
	report_features(d);
	report_hot_reset_info(d);
	/* Last: a reset undoes what the checks above set up. */
	report_reset(d);
}

static int hold(void)
{
	char buf[256];
	ssize_t n;

	printf("HELD\n");
	fflush(stdout);
	do
		n = read(STDIN_FILENO, buf, sizeof(buf));
	while (n > 0 || (n < 0 && errno == EINTR));
	return 0;
}

static int bad_usage(void)
{
	fprintf(stderr,
		"usage: vfio-check report BDF\n"
		"       vfio-check report-cdev BDF\n"
		"       vfio-check hold BDF\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct dev d = {
		.container = -1, .group = -1, .iommufd = -1, .fd = -1,
	};
	bool cdev = false, do_hold = false;
	int ret;

	if (argc != 3)
		return bad_usage();
	if (!strcmp(argv[1], "report-cdev"))
		cdev = true;
	else if (!strcmp(argv[1], "hold"))
		do_hold = true;
	else if (strcmp(argv[1], "report"))
		return bad_usage();
	d.bdf = argv[2];

	/* Keep the report in order with anything the kernel makes us wait on. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!do_hold)
		printf("vfio-check %s %s\n", argv[1], d.bdf);
	ret = cdev ? open_cdev(&d, !do_hold) : open_legacy(&d, !do_hold);
	if (ret) {
		close_dev(&d);
		return ret < 0 ? 1 : ret;
	}
	if (do_hold)
		ret = hold();
	else
		report(&d);
	close_dev(&d);
	return ret;
}
