// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-test - drives VFIO_DEVICE_FEATURE_DMA_BUF end to end: exports
 * dma-bufs of a PCI BAR through VFIO (legacy group + type1 container),
 * hands them to the test importer (/dev/vpd-edu-importer, QEMU's edu as a
 * peer-to-peer DMA initiator) and checks what lands in the BAR through a
 * VFIO mmap of the same BAR.
 *
 *   dmabuf-test p2p NAME BDF BAR [marker|nvme]
 *                      whole BAR + a 3-range slice: DMA write/read at
 *                      several offsets; "marker" also writes a marker the
 *                      host checks in the ivshmem backing file; "nvme"
 *                      enables the controller memory buffer first
 *   dmabuf-test interlock KIND NAME BDF BAR
 *                      KIND: decode d3hot reset flr af-flr hot-reset
 *                      sysfs-reset low-power low-power-wake close unbind;
 *                      no revoke callback may find the BAR unreachable
 *   dmabuf-test cfg-write split|plain|race command|pmcsr NAME BDF BAR
 *                      a write of COMMAND or PMCSR whose buffer changes
 *                      between two copies (split: userfaultfd; race: a
 *                      thread flipping it), and the plain control
 *   dmabuf-test export-race NAME BDF BAR
 *                      exports racing with decode-off writes on a device
 *                      with no dma-buf: none may be mapped while off
 *   dmabuf-test stale NAME BDF BAR
 *                      DMA to a revoked IOVA must not reach the BAR
 *   dmabuf-test refusals NAME BDF BAR
 *                      static, no-p2p and pinned importers are refused
 *   dmabuf-test errno BDF BAR IO_BDF IO_BAR
 *                      one "INPUT ERRNAME" line per malformed request
 *   dmabuf-test many NAME BDF BAR [COUNT]
 *                      COUNT (1000) live dma-bufs, closed in three orders
 *   dmabuf-test fdflags NAME BDF BAR
 *                      open_flags reach the dma-buf fd (O_CLOEXEC, mode)
 *   dmabuf-test dma-debug NAME BDF BAR
 *                      with CONFIG_DMA_API_DEBUG: map, unmap, revoke and
 *                      close add and remove exactly one mapping per range
 *   dmabuf-test unplug NAME BDF BAR
 *                      a mapped dma-buf, then "VMTEST: INFO unplug-ready":
 *                      the host hot-unplugs the device; on the device
 *                      request the fd is closed, and the importer must be
 *                      revoked for good while its dma-buf fd lives on
 *   dmabuf-test aer NAME BDF BAR
 *                      a mapped dma-buf, then "VMTEST: INFO aer-ready":
 *                      the host injects a fatal error above the device;
 *                      revoked before vfio reports it, still revoked after
 *                      the recovery while the BARs do not decode, usable
 *                      once the command register is written back
 *   dmabuf-test no-route NAME BDF BAR
 *                      run on a machine whose host bridge does not forward
 *                      peer-to-peer: export and attach work, map is EINVAL
 *   dmabuf-test sibling-reset NAME BDF BAR SIBLING_BDF
 *                      a hot reset issued through another function of the
 *                      same slot (same group) revokes, then maps again
 *   dmabuf-test bus-addr NAME BDF BAR
 *                      importer and BAR under one switch, no IOMMU: the
 *                      mapping holds bus addresses and DMA lands
 *   dmabuf-test stress NAME BDF BAR [SECONDS [CYCLES]]
 *                      exports, importer maps and DMAs, decode toggles,
 *                      resets and low-power cycles race for SECONDS (10),
 *                      or until CYCLES export/map/close cycles are done
 *                      (SECONDS then bounds them: fewer fail); then every
 *                      thread must have stopped, a new dma-buf must map
 *                      and take a DMA, and nothing may leak
 *   dmabuf-test unbind-open NAME BDF BAR
 *                      unbind while the device is open: revoked when vfio
 *                      asks for the device back, before the fds close
 *   dmabuf-test sizes NAME BDF BAR
 *                      nr_ranges swept across the allocators' limits: a
 *                      dma-buf or ENOMEM, never a kernel warning; EMFILE
 *                      when the fd cannot be installed, and no leak
 *   dmabuf-test bigbar NAME BDF BAR
 *                      a 2 GiB BAR, an importer with a 64-bit mask: a map
 *                      of more segments than the bound is EINVAL; the
 *                      whole BAR maps and DMA lands at its end
 *   dmabuf-test late-unmap NAME BDF BAR
 *                      an importer that unmaps 3 s after the revoke: the
 *                      reset still waits for it, and the log names it
 *   dmabuf-test late-fence NAME BDF BAR
 *                      an importer fence signalled 3 s after the revoke:
 *                      the reset waits for it, and the log names the
 *                      dma-buf
 *   dmabuf-test orphan NAME BDF BAR SIBLING_BDF
 *                      a dma-buf outlives its unbound device: vfio refuses
 *                      the sibling's hot reset as without the dma-buf
 *   dmabuf-test fuzz NAME BDF BAR SEED SECONDS
 *                      seeded hostile requests and importer steps race
 *                      with resets and low-power cycles (see cmd_fuzz)
 *   dmabuf-test failnth NAME BDF BAR
 *                      every fault point of export, attach and map made
 *                      to fail in turn (/proc/thread-self/fail-nth)
 *
 * Results are "VMTEST: PASS|FAIL|SKIP NAME[ - MSG]" lines (also appended to
 * $VMTEST_RESULTS, as tests/guest/lib.sh does); the exit status is 1 if
 * anything failed, 2 on a usage error.  DMABUF_TEST_SABOTAGE=skip-revoke
 * leaves out the event under test (stale: DMAs to the live mapping
 * instead), =skip-dma leaves out the DMA writes, to see each check fail.
 * DMABUF_TEST_EXPORTER=vfio-pci turns the known upstream behaviours of the
 * in-tree exporter into SKIPs that say so (the drop-in vfio-pci is this
 * project's exporter: vfio-pci-dmabuf).  DMABUF_TEST_MODULE names the
 * exporter's module (default vfio_pci_dmabuf) for its parameters.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/netlink.h>
#include <linux/pci_regs.h>
#include <linux/types.h>
#include <linux/userfaultfd.h>
#include <linux/vfio.h>

/* The project's uAPI header: what a user of the driver includes. */
#include <uapi/linux/vfio-pci-dmabuf.h>

#include "vpd-edu-importer.h"
#include "vfio-dmabuf.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PCI_SLOT(devfn)	(((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)	((devfn) & 0x07)
#define PMCSR_D0	0
#define PMCSR_D3HOT	3
#define PAGE		4096ULL
#define MAX_RANGES	4
#define WAIT_MS		10000	/* bounds a hang, never a delay */

/* ---------------------------------------------------------------- results */

static int nfail;
static const char *sabotage = "";
/*
 * The exporter is stock vfio-pci (the in-tree exporter of Linux 6.19+):
 * its known upstream behaviours that differ from what this project
 * requires are reported as SKIP with the reason, everything else as usual.
 */
static bool stock;

static void result(const char *kind, const char *name, const char *fmt, ...)
{
	const char *path = getenv("VMTEST_RESULTS");
	char msg[512] = "";
	va_list ap;
	FILE *f;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	if (!strcmp(kind, "FAIL"))
		nfail++;
	printf("VMTEST: %s %s%s%s\n", kind, name, *msg ? " - " : "", msg);
	fflush(stdout);
	if (path && (f = fopen(path, "a"))) {
		fprintf(f, "%s %s%s%s\n", kind, name, *msg ? " - " : "", msg);
		fclose(f);
	}
}

#define PASS(name)		result("PASS", name, NULL)
#define FAIL(name, ...)		result("FAIL", name, __VA_ARGS__)
#define SKIP(name, ...)		result("SKIP", name, __VA_ARGS__)

static const char *errname(int err)
{
	static char buf[16];
	const char *n;

	if (!err)
		return "ok";
	n = strerrorname_np(err);
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

static const char *tname(const char *base, const char *sub)
{
	static char buf[4][160];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s.%s", base, sub);
	return buf[i];
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/* ---------------------------------------------------------------- VFIO */

struct vdev {
	char bdf[32];
	int container, group, fd;
	bool noiommu;		/* the group is /dev/vfio/noiommu-N */
	struct vfio_region_info reg[VFIO_PCI_NUM_REGIONS];
	void *map;		/* mmap of the test BAR */
	unsigned int map_bar;
	uint64_t map_len;
};

/* The library's fd, as a copy of the test's own (-1 and errno on failure). */
static int vdev_dup(int fd)
{
	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

/*
 * 0, or -1 with the failing step in msg.  libvfio-dmabuf opens the group
 * (noiommu-N in vfio's noiommu mode) and its container; the tests close
 * these fds one by one, so they keep copies and the library's handle goes.
 */
static int vdev_open(struct vdev *d, const char *bdf, char *msg, size_t len)
{
	struct vfio_dmabuf_dev *h;
	unsigned int i;
	int ret;

	memset(d, 0, sizeof(*d));
	d->container = d->group = d->fd = -1;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	ret = vfio_dmabuf_open(bdf, VFIO_DMABUF_OPEN_LEGACY, &h);
	if (ret) {
		snprintf(msg, len, "%s", vfio_dmabuf_last_error());
		return -1;
	}
	d->container = vdev_dup(vfio_dmabuf_dev_container_fd(h));
	d->group = vdev_dup(vfio_dmabuf_dev_group_fd(h));
	d->fd = vdev_dup(vfio_dmabuf_dev_fd(h));
	d->noiommu = vfio_dmabuf_dev_noiommu(h);
	vfio_dmabuf_close(h);
	if (d->container < 0 || d->group < 0 || d->fd < 0) {
		snprintf(msg, len, "F_DUPFD_CLOEXEC: %s", errname(errno));
		return -1;
	}
	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		d->reg[i].argsz = sizeof(d->reg[i]);
		d->reg[i].index = i;
		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &d->reg[i]) < 0)
			d->reg[i].size = 0;
	}
	return 0;
}

static void vdev_unmap(struct vdev *d)
{
	if (d->map)
		munmap(d->map, d->map_len);
	d->map = NULL;
}

static void vdev_close_fds(struct vdev *d)
{
	vdev_unmap(d);
	if (d->fd >= 0)
		close(d->fd);
	if (d->group >= 0)
		close(d->group);
	if (d->container >= 0)
		close(d->container);
	d->fd = d->group = d->container = -1;
}

/* The whole BAR, mapped through VFIO. */
static int vdev_map_bar(struct vdev *d, unsigned int bar, char *msg,
			size_t len)
{
	const struct vfio_region_info *r = &d->reg[bar];

	if (!r->size || !(r->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		snprintf(msg, len, "BAR%u: size 0x%llx flags 0x%x: no mmap",
			 bar, (unsigned long long)r->size, r->flags);
		return -1;
	}
	d->map = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      d->fd, r->offset);
	if (d->map == MAP_FAILED) {
		d->map = NULL;
		snprintf(msg, len, "mmap BAR%u: %s", bar, errname(errno));
		return -1;
	}
	d->map_bar = bar;
	d->map_len = r->size;
	return 0;
}

static int region_rw(struct vdev *d, unsigned int idx, uint64_t off,
		     void *buf, size_t len, bool write)
{
	off_t pos = d->reg[idx].offset + off;
	ssize_t n;

	n = write ? pwrite(d->fd, buf, len, pos) : pread(d->fd, buf, len, pos);
	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? -errno : -EIO;
}

static int cfg_rd(struct vdev *d, unsigned int off, void *v, size_t len)
{
	return region_rw(d, VFIO_PCI_CONFIG_REGION_INDEX, off, v, len, false);
}

static int cfg_wr(struct vdev *d, unsigned int off, const void *v, size_t len)
{
	return region_rw(d, VFIO_PCI_CONFIG_REGION_INDEX, off, (void *)v, len,
			 true);
}

/* Offset of capability id in config space, 0 if absent. */
static unsigned int cfg_find_cap(struct vdev *d, uint8_t cap)
{
	uint8_t pos = 0, id = 0, guard = 0;
	uint16_t status = 0;

	if (cfg_rd(d, PCI_STATUS, &status, 2) || !(status & PCI_STATUS_CAP_LIST))
		return 0;
	if (cfg_rd(d, PCI_CAPABILITY_LIST, &pos, 1))
		return 0;
	while (pos >= 0x40 && guard++ < 48) {
		pos &= ~3;
		if (cfg_rd(d, pos + PCI_CAP_LIST_ID, &id, 1))
			return 0;
		if (id == cap)
			return pos;
		if (cfg_rd(d, pos + PCI_CAP_LIST_NEXT, &pos, 1))
			return 0;
	}
	return 0;
}

/*
 * VFIO_DEVICE_FEATURE_DMA_BUF with everything under the caller's control.
 * Returns the dma-buf fd, or -errno.
 */
static int dmabuf_req_of(int fd, uint32_t flags, uint32_t region,
			 uint32_t dflags, uint32_t oflags, uint32_t nr_ranges,
			 const struct vfio_region_dma_range *r,
			 uint32_t nr_copy)
{
	union {
		struct vfio_device_feature hdr;
		uint8_t raw[sizeof(struct vfio_device_feature) +
			    sizeof(struct vfio_device_feature_dma_buf) +
			    MAX_RANGES * sizeof(struct vfio_region_dma_range)];
	} u;
	struct vfio_device_feature_dma_buf *db = (void *)u.hdr.data;
	int ret;

	memset(&u, 0, sizeof(u));
	if (nr_copy > MAX_RANGES)
		nr_copy = MAX_RANGES;
	u.hdr.argsz = sizeof(u.hdr) + sizeof(*db) + nr_copy * sizeof(*r);
	u.hdr.flags = flags | VFIO_DEVICE_FEATURE_DMA_BUF;
	db->region_index = region;
	db->open_flags = oflags;
	db->flags = dflags;
	db->nr_ranges = nr_ranges;
	if (nr_copy)
		memcpy(db->dma_ranges, r, nr_copy * sizeof(*r));
	ret = ioctl(fd, VFIO_DEVICE_FEATURE, &u);
	return ret < 0 ? -errno : ret;
}

static int dmabuf_req(int fd, uint32_t flags, uint32_t region,
		      uint32_t dflags, uint32_t nr_ranges,
		      const struct vfio_region_dma_range *r, uint32_t nr_copy)
{
	return dmabuf_req_of(fd, flags, region, dflags, O_CLOEXEC | O_RDWR,
			     nr_ranges, r, nr_copy);
}

/* A well-formed export goes through the library, as a user's would. */
static int dmabuf_get(struct vdev *d, uint32_t region,
		      const struct vfio_region_dma_range *r, uint32_t n)
{
	return vfio_dmabuf_export(d->fd, region,
				  (const struct vfio_dmabuf_range *)r, n,
				  O_CLOEXEC | O_RDWR);
}

/*
 * VFIO_DEVICE_FEATURE_DMA_BUF of nr ranges from a heap buffer holding
 * nr_copy of them: each {off, len}, the last {off, last_len}.  Returns the
 * dma-buf fd or -errno.
 */
static int dmabuf_get_many(int fd, uint32_t region, uint32_t nr,
			   uint32_t nr_copy, uint64_t off, uint64_t len,
			   uint64_t last_len)
{
	struct vfio_device_feature *hdr;
	struct vfio_device_feature_dma_buf *db;
	size_t sz = sizeof(*hdr) + sizeof(*db) +
		    (size_t)nr_copy * sizeof(db->dma_ranges[0]);
	uint32_t i;
	int ret;

	hdr = calloc(1, sz);
	if (!hdr)
		return -ENOMEM;
	hdr->argsz = sz;
	hdr->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db = (void *)hdr->data;
	db->region_index = region;
	db->open_flags = O_CLOEXEC | O_RDWR;
	db->nr_ranges = nr;
	for (i = 0; i < nr_copy; i++) {
		db->dma_ranges[i].offset = off;
		db->dma_ranges[i].length = i + 1 == nr_copy ? last_len : len;
	}
	ret = ioctl(fd, VFIO_DEVICE_FEATURE, hdr);
	if (ret < 0)
		ret = -errno;
	free(hdr);
	return ret;
}

/* ---------------------------------------------------------------- importer */

static int imp_fd = -1;

static int imp(unsigned long req, void *arg)
{
	return ioctl(imp_fd, req, arg) < 0 ? -errno : 0;
}

static int imp_open(char *msg, size_t len)
{
	imp_fd = open(VPD_IMP_DEVICE, O_RDWR | O_CLOEXEC);
	if (imp_fd < 0) {
		snprintf(msg, len, "open %s: %s", VPD_IMP_DEVICE,
			 errname(errno));
		return -1;
	}
	return 0;
}

static int imp_attach(int dbfd, uint32_t mode)
{
	struct vpd_imp_attach a = { .fd = dbfd, .mode = mode };

	return imp(VPD_IMP_ATTACH, &a);
}

static int imp_map(struct vpd_imp_map *m)
{
	struct vpd_imp_map dummy;

	return imp(VPD_IMP_MAP, m ? m : &dummy);
}

/* The importer holds a mapping: a new one, or the one it still had. */
static int imp_mapped(void)
{
	int ret = imp_map(NULL);

	return ret == -EALREADY ? 0 : ret;
}

static int imp_status(struct vpd_imp_status *s)
{
	memset(s, 0, sizeof(*s));
	return imp(VPD_IMP_STATUS, s);
}

/*
 * Have the importer read the exporter's hardware COMMAND and PMCSR at each
 * revoke callback that finds a mapping (vpd_imp_status.late).
 */
static int imp_watch(const char *bdf)
{
	unsigned int dom, bus, dev, fn;
	struct vpd_imp_watch w = { 0 };

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return -EINVAL;
	w.domain = dom;
	w.bus = bus;
	w.devfn = (dev << 3) | fn;
	return imp(VPD_IMP_WATCH, &w);
}

/*
 * No importer was revoked while its mapping already pointed at a BAR that
 * did not decode: 0, or -1 and why in @msg.
 */
static int late_check(const struct vpd_imp_status *s, char *msg, size_t len)
{
	if (!s->late)
		return 0;
	snprintf(msg, len, "%llu of %llu revoke callbacks with a mapping came after the BAR became unreachable (the first saw COMMAND 0x%04x, PMCSR 0x%04x)",
		 (unsigned long long)s->late, (unsigned long long)s->watched,
		 s->late_command, s->late_pmcsr);
	return -1;
}

static int imp_dma(uint32_t dir, uint64_t off, void *buf, uint64_t len)
{
	struct vpd_imp_dma a = {
		.dir = dir, .offset = off, .length = len,
		.user_ptr = (uintptr_t)buf,
	};

	return imp(VPD_IMP_DMA, &a);
}

/* ---------------------------------------------------------------- checks */

struct slice {
	uint32_t nr;
	struct vfio_region_dma_range r[MAX_RANGES];
};

/* BAR offset of dma-buf offset off; *room: bytes left in that range. */
static uint64_t slice_bar_off(const struct slice *s, uint64_t off,
			      uint64_t *room)
{
	uint32_t i;

	for (i = 0; i < s->nr; i++) {
		if (off < s->r[i].length) {
			*room = s->r[i].length - off;
			return s->r[i].offset + off;
		}
		off -= s->r[i].length;
	}
	*room = 0;
	return UINT64_MAX;
}

static void mmio_read(const void *map, uint64_t off, uint8_t *buf, size_t len)
{
	const volatile uint8_t *p = (const volatile uint8_t *)map + off;
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = p[i];
}

static unsigned int seed_ctr;

static void pattern(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 37 + i * 7 + (i >> 8) + 1);
}

#define GUARD 256	/* bytes checked on each side of a transfer */

struct extent {
	uint64_t bar_off, len, src;	/* src: offset into the pattern */
	uint64_t w_off, w_len;		/* checked window */
	uint8_t *before;
};

/*
 * DMA-write len bytes at dma-buf offset off, then check through the BAR
 * mapping that exactly those bytes (at their BAR offsets) changed, and
 * DMA-read them back.  Returns 0 or -1 with the reason in msg.
 */
static int write_check(struct vdev *d, const struct slice *s, uint64_t off,
		       uint64_t len, char *msg, size_t mlen)
{
	struct extent ext[MAX_RANGES + 1];
	uint8_t pat[VPD_IMP_DMA_MAX], back[VPD_IMP_DMA_MAX];
	uint8_t *after = NULL;
	unsigned int n = 0, i;
	uint64_t done = 0, room, j;
	int ret = -1, err;

	pattern(pat, len, ++seed_ctr + (unsigned int)getpid());
	memset(ext, 0, sizeof(ext));
	while (done < len && n < ARRAY_SIZE(ext)) {
		struct extent *e = &ext[n++];

		e->bar_off = slice_bar_off(s, off + done, &room);
		if (e->bar_off == UINT64_MAX) {
			snprintf(msg, mlen, "offset 0x%llx outside the slice",
				 (unsigned long long)(off + done));
			goto out;
		}
		e->len = room < len - done ? room : len - done;
		e->src = done;
		e->w_off = e->bar_off > GUARD ? e->bar_off - GUARD : 0;
		e->w_len = e->bar_off + e->len + GUARD - e->w_off;
		if (e->w_off + e->w_len > d->map_len)
			e->w_len = d->map_len - e->w_off;
		e->before = malloc(e->w_len);
		if (!e->before) {
			snprintf(msg, mlen, "out of memory");
			goto out;
		}
		mmio_read(d->map, e->w_off, e->before, e->w_len);
		done += e->len;
	}
	err = strcmp(sabotage, "skip-dma") ?
	      imp_dma(VPD_IMP_DMA_WRITE, off, pat, len) : 0;
	if (err) {
		snprintf(msg, mlen, "DMA write 0x%llx+0x%llx: %s",
			 (unsigned long long)off, (unsigned long long)len,
			 errname(-err));
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct extent *e = &ext[i];

		after = realloc(after, e->w_len);
		if (!after) {
			snprintf(msg, mlen, "out of memory");
			goto out;
		}
		mmio_read(d->map, e->w_off, after, e->w_len);
		for (j = 0; j < e->w_len; j++) {
			uint64_t b = e->w_off + j;
			bool in = b >= e->bar_off && b < e->bar_off + e->len;
			uint8_t want = in ? pat[e->src + b - e->bar_off] :
					    e->before[j];

			if (after[j] != want) {
				snprintf(msg, mlen,
					 "BAR byte 0x%llx is 0x%02x, want 0x%02x (%s; was 0x%02x) after a DMA write of 0x%llx+0x%llx",
					 (unsigned long long)b, after[j], want,
					 in ? "written" : "untouched",
					 e->before[j],
					 (unsigned long long)off,
					 (unsigned long long)len);
				goto out;
			}
		}
	}
	memset(back, 0, sizeof(back));
	err = imp_dma(VPD_IMP_DMA_READ, off, back, len);
	if (err) {
		snprintf(msg, mlen, "DMA read 0x%llx+0x%llx: %s",
			 (unsigned long long)off, (unsigned long long)len,
			 errname(-err));
		goto out;
	}
	if (memcmp(back, pat, len)) {
		snprintf(msg, mlen, "DMA read 0x%llx+0x%llx differs from what was written",
			 (unsigned long long)off, (unsigned long long)len);
		goto out;
	}
	ret = 0;
out:
	for (i = 0; i < n; i++)
		free(ext[i].before);
	free(after);
	return ret;
}

/* A slice of the BAR as the test setup: open, mmap, export, attach, map. */
struct setup {
	struct vdev d;
	struct slice s;
	int dbfd;
};

static int setup(struct setup *t, const char *bdf, unsigned int bar,
		 const struct slice *s, bool map, char *msg, size_t len)
{
	int ret;

	t->dbfd = -1;
	t->s = *s;
	if (vdev_open(&t->d, bdf, msg, len) ||
	    vdev_map_bar(&t->d, bar, msg, len))
		return -1;
	t->dbfd = dmabuf_get(&t->d, bar, s->r, s->nr);
	if (t->dbfd < 0) {
		snprintf(msg, len, "VFIO_DEVICE_FEATURE_DMA_BUF: %s",
			 errname(-t->dbfd));
		return -1;
	}
	ret = imp_attach(t->dbfd, VPD_IMP_DYNAMIC);
	if (ret) {
		snprintf(msg, len, "attach: %s", errname(-ret));
		return -1;
	}
	if (!map)
		return 0;
	ret = imp_map(NULL);
	if (ret) {
		snprintf(msg, len, "map: %s", errname(-ret));
		return -1;
	}
	return 0;
}

/*
 * setup() with a mapping, and a first DMA that must land: FAIL(name) with
 * the reason and -1 if anything is off.
 */
static int setup_written(struct setup *t, const char *name, const char *bdf,
			 unsigned int bar, const struct slice *s)
{
	char msg[400] = "";

	if (setup(t, bdf, bar, s, true, msg, sizeof(msg)) ||
	    write_check(&t->d, &t->s, 0, 0x400, msg, sizeof(msg))) {
		FAIL(name, "before: %s", msg);
		return -1;
	}
	return 0;
}

static void teardown(struct setup *t)
{
	imp(VPD_IMP_DETACH, NULL);
	if (t->dbfd >= 0)
		close(t->dbfd);
	t->dbfd = -1;
	vdev_close_fds(&t->d);
}

static uint64_t slice_size(const struct slice *s)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < s->nr; i++)
		n += s->r[i].length;
	return n;
}

/* ---------------------------------------------------------------- p2p */

static void print_map(const char *what, const struct vpd_imp_map *m)
{
	uint32_t i;

	printf("# %s: nents %u length 0x%llx size 0x%llx max_seg 0x%x", what,
	       m->nents, (unsigned long long)m->length,
	       (unsigned long long)m->dmabuf_size, m->max_seg_size);
	for (i = 0; i < m->nents && i < VPD_IMP_MAX_SEGS; i++)
		printf(" [0x%llx+0x%llx]", (unsigned long long)m->segs[i].addr,
		       (unsigned long long)m->segs[i].len);
	printf("\n");
}

/* Every segment (of those copied out) fits the importer's max_seg_size. */
static void seg_check(const char *name, const struct vpd_imp_map *m)
{
	uint32_t i;

	for (i = 0; i < m->nents && i < VPD_IMP_MAX_SEGS; i++) {
		if (m->segs[i].len <= m->max_seg_size)
			continue;
		if (stock)
			SKIP(name, "in-tree exporter ignores the importer's max_seg_size: segment %u has 0x%llx bytes, edu takes 0x%x",
			     i, (unsigned long long)m->segs[i].len,
			     m->max_seg_size);
		else
			FAIL(name, "segment %u has 0x%llx bytes, more than the importer's max_seg_size 0x%x",
			     i, (unsigned long long)m->segs[i].len,
			     m->max_seg_size);
		return;
	}
	PASS(name);
}

/* Run the transfers of offs[] (dma-buf offset, length) on one slice. */
static void p2p_slice(const char *name, struct vdev *d, unsigned int bar,
		      const struct slice *s, const uint64_t (*offs)[2],
		      unsigned int nr, bool marker)
{
	struct vpd_imp_map m;
	char msg[400];
	unsigned int i;
	int fd, ret;

	fd = dmabuf_get(d, bar, s->r, s->nr);
	if (fd < 0) {
		FAIL(name, "VFIO_DEVICE_FEATURE_DMA_BUF: %s", errname(-fd));
		return;
	}
	ret = imp_attach(fd, VPD_IMP_DYNAMIC);
	if (ret) {
		FAIL(name, "attach: %s", errname(-ret));
		goto out_close;
	}
	memset(&m, 0, sizeof(m));
	ret = imp_map(&m);
	if (ret == -EADDRINUSE && stock && s->nr > 1) {
		SKIP(name, "in-tree exporter: map of a %u-range dma-buf fails with EADDRINUSE (Linux 7.3 dma_buf_phys_vec_to_sgt() links every range at IOVA offset 0)",
		     s->nr);
		goto out_detach;
	}
	if (ret) {
		FAIL(name, "map: %s", errname(-ret));
		goto out_detach;
	}
	print_map(name, &m);
	seg_check(tname(name, "max-seg"), &m);
	if (m.length != slice_size(s) || m.dmabuf_size != slice_size(s)) {
		FAIL(name, "mapping covers 0x%llx bytes of a 0x%llx-byte dma-buf of 0x%llx bytes of ranges",
		     (unsigned long long)m.length,
		     (unsigned long long)m.dmabuf_size,
		     (unsigned long long)slice_size(s));
		goto out_detach;
	}
	for (i = 0; i < nr; i++) {
		if (write_check(d, s, offs[i][0], offs[i][1], msg,
				sizeof(msg))) {
			/* A transfer across segments is refused, not split. */
			if (m.nents > 1 && strstr(msg, "EINVAL"))
				printf("# %s: 0x%llx+0x%llx spans %u segments: EINVAL as documented\n",
				       name, (unsigned long long)offs[i][0],
				       (unsigned long long)offs[i][1], m.nents);
			else {
				FAIL(name, "%s", msg);
				goto out_detach;
			}
		}
	}
	if (marker) {
		/* The host finds these bytes in the ivshmem backing file. */
		uint8_t mk[32];
		uint64_t off = 0x1f0100, room;
		int rnd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

		if (rnd < 0 || read(rnd, mk, sizeof(mk)) != sizeof(mk)) {
			FAIL(name, "/dev/urandom: %s", errname(errno));
			goto out_detach;
		}
		close(rnd);
		ret = imp_dma(VPD_IMP_DMA_WRITE, off, mk, sizeof(mk));
		if (ret) {
			FAIL(name, "marker DMA: %s", errname(-ret));
			goto out_detach;
		}
		printf("DMABUF-MARKER bar%u+0x%llx ", bar,
		       (unsigned long long)slice_bar_off(s, off, &room));
		for (i = 0; i < sizeof(mk); i++)
			printf("%02x", mk[i]);
		printf("\n");
	}
	PASS(name);
out_detach:
	imp(VPD_IMP_DETACH, NULL);
out_close:
	close(fd);
}

/* NVMe: CMBMSC.CRE makes CMBLOC/CMBSZ visible (QEMU serves BAR2 anyway). */
static void nvme_cmb_info(const char *name, struct vdev *d, unsigned int bar)
{
	uint32_t cap_hi = 0, cmbmsc = 1, loc = 0, sz = 0;

	region_rw(d, 0, 0x4, &cap_hi, 4, false);
	region_rw(d, 0, 0x50, &cmbmsc, 4, true);
	region_rw(d, 0, 0x38, &loc, 4, false);
	region_rw(d, 0, 0x3c, &sz, 4, false);
	printf("# %s: CAP.CMBS %u, after CMBMSC.CRE=1: CMBLOC 0x%x (BIR %u) CMBSZ 0x%x\n",
	       name, (cap_hi >> 25) & 1, loc, loc & 7, sz);
	if (!((cap_hi >> 25) & 1) || !sz || (loc & 7) != bar)
		printf("# %s: the controller does not advertise a CMB in BAR%u (CAP.CMBS/CMBSZ/CMBLOC above); BAR%u is exported as plain MMIO\n",
		       name, bar, bar);
}

static int cmd_p2p(const char *name, const char *bdf, unsigned int bar,
		   const char *opt)
{
	struct vdev d;
	struct slice whole = { 1, { { 0, 0 } } }, multi = {
		3, { { 0x1000, 0x1000 }, { 0x10000, 0x2000 },
		     { 0x40000, 0x1000 } } };
	uint64_t size, woffs[5][2], moffs[6][2] = {
		{ 0, 0x800 },		/* start of range 1 */
		{ 0x1000, 0x800 },	/* start of range 2 */
		{ 0x2f00, 0x100 },	/* end of range 2 */
		{ 0x3000, 0x800 },	/* start of range 3 */
		{ 0x3f00, 0x100 },	/* end of the dma-buf */
		{ 0xf80, 0x100 },	/* across ranges 1 and 2 */
	};
	char msg[256];

	if (vdev_open(&d, bdf, msg, sizeof(msg)) ||
	    vdev_map_bar(&d, bar, msg, sizeof(msg))) {
		FAIL(name, "%s", msg);
		return 1;
	}
	if (opt && !strcmp(opt, "nvme"))
		nvme_cmb_info(name, &d, bar);
	size = d.reg[bar].size;
	whole.r[0].length = size;
	woffs[0][0] = 0;		woffs[0][1] = 0x800;
	woffs[1][0] = 0xf80;		woffs[1][1] = 0x100;
	woffs[2][0] = size / 2;		woffs[2][1] = 0x200;
	woffs[3][0] = size - 0x800;	woffs[3][1] = 0x800;
	woffs[4][0] = 0x1234;		woffs[4][1] = 0x1;
	p2p_slice(tname(name, "whole"), &d, bar, &whole, woffs, 5,
		  opt && !strcmp(opt, "marker") && size > 0x1f0200);
	if (size < 0x41000)
		SKIP(tname(name, "slice"), "BAR%u has 0x%llx bytes", bar,
		     (unsigned long long)size);
	else
		p2p_slice(tname(name, "slice"), &d, bar, &multi, moffs, 6,
			  false);
	vdev_close_fds(&d);
	return 0;
}

/* ---------------------------------------------------------------- interlocks */

static uint64_t dmar_faults(void)
{
	char line[1024];
	uint64_t sum = 0;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;

		if (!strstr(line, "DMAR") && !strstr(line, "dmar"))
			continue;
		p = strchr(line, ':');
		if (!p)
			continue;
		for (p++;; p = end) {
			unsigned long long v = strtoull(p, &end, 10);

			if (end == p)
				break;
			sum += v;
		}
	}
	fclose(f);
	return sum;
}

static int set_decode(struct vdev *d, bool on)
{
	uint16_t cmd;
	int ret = cfg_rd(d, PCI_COMMAND, &cmd, 2);

	if (ret)
		return ret;
	cmd = on ? cmd | PCI_COMMAND_MEMORY : cmd & ~PCI_COMMAND_MEMORY;
	return cfg_wr(d, PCI_COMMAND, &cmd, 2);
}

static int set_pm(struct vdev *d, unsigned int pm, uint16_t state)
{
	uint16_t v;
	int ret = cfg_rd(d, pm + PCI_PM_CTRL, &v, 2);

	if (ret)
		return ret;
	v = (v & ~PCI_PM_CTRL_STATE_MASK) | state;
	return cfg_wr(d, pm + PCI_PM_CTRL, &v, 2);
}

static int hot_reset(struct vdev *d, char *msg, size_t len)
{
	struct vfio_pci_hot_reset_info *info;
	struct vfio_pci_hot_reset *rst;
	uint32_t i;
	int ret;

	info = calloc(1, sizeof(*info) + 16 * sizeof(info->devices[0]));
	rst = calloc(1, sizeof(*rst) + sizeof(int32_t));
	if (!info || !rst) {
		free(info);
		free(rst);
		return -ENOMEM;
	}
	info->argsz = sizeof(*info) + 16 * sizeof(info->devices[0]);
	ret = ioctl(d->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info) < 0 ?
	      -errno : 0;
	if (ret) {
		snprintf(msg, len, "GET_PCI_HOT_RESET_INFO: %s", errname(-ret));
		goto out;
	}
	for (i = 0; i < info->count && i < 16; i++)
		printf("# hot reset affects %04x:%02x:%02x.%x group %u\n",
		       info->devices[i].segment, info->devices[i].bus,
		       PCI_SLOT(info->devices[i].devfn),
		       PCI_FUNC(info->devices[i].devfn),
		       info->devices[i].group_id);
	rst->argsz = sizeof(*rst) + sizeof(int32_t);
	rst->count = 1;
	rst->group_fds[0] = d->group;
	ret = ioctl(d->fd, VFIO_DEVICE_PCI_HOT_RESET, rst) < 0 ? -errno : 0;
	if (ret)
		snprintf(msg, len, "VFIO_DEVICE_PCI_HOT_RESET: %s",
			 errname(-ret));
out:
	free(info);
	free(rst);
	return ret;
}

static int low_power(struct vdev *d, bool enter)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_SET |
			 (enter ? VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY :
				  VFIO_DEVICE_FEATURE_LOW_POWER_EXIT),
	};

	return ioctl(d->fd, VFIO_DEVICE_FEATURE, &f) < 0 ? -errno : 0;
}

/* Write the unbind file from a child: its pid, or -errno. */
static pid_t unbind_start(const char *bdf)
{
	char path[PATH_MAX];
	pid_t pid;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind",
		 bdf);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		/*
		 * Our copy of a device fd would keep the unbind waiting (so
		 * would a BAR mapping: the caller drops those first).
		 */
		closefrom(3);
		_exit(-write_file(path, bdf));
	}
	return pid;
}

/* Wait for unbind_start()'s child: 0, -ETIMEDOUT (*pidp kept) or -errno. */
static int unbind_wait(pid_t *pidp)
{
	long end = now_ms() + WAIT_MS;
	int st;

	while (now_ms() < end) {
		pid_t r = waitpid(*pidp, &st, WNOHANG);

		if (r == *pidp) {
			*pidp = 0;
			return WIFEXITED(st) ? -WEXITSTATUS(st) : -EINTR;
		}
		nap_ms(20);	/* polling with a bounded deadline */
	}
	return -ETIMEDOUT;
}

/* Write the unbind file from a child, bounded: 0, -ETIMEDOUT or -errno. */
static int unbind_bounded(const char *bdf, pid_t *pidp)
{
	pid_t pid = unbind_start(bdf);

	if (pid < 0)
		return pid;
	*pidp = pid;
	return unbind_wait(pidp);
}

static int expect_revoked(const char *what, char *msg, size_t len);

/* Whether the first line of @path reads @want within @ms (polled). */
static bool wait_file_is(const char *path, const char *want, long ms)
{
	long end = now_ms() + ms;
	char buf[64];

	do {
		FILE *f = fopen(path, "re");
		bool same = false;

		if (f) {
			if (fgets(buf, sizeof(buf), f)) {
				buf[strcspn(buf, "\n")] = '\0';
				same = !strcmp(buf, want);
			}
			fclose(f);
		}
		if (same)
			return true;
		nap_ms(10);	/* polling with a bounded deadline */
	} while (now_ms() < end);
	return false;
}

/*
 * Enter low power (with the wake-up eventfd @efd if it is >= 0; not at all
 * with @skip_ev) and check that the importer is revoked there: 0, or 1 once
 * a result was reported (and low power left again).
 */
static int low_power_revoked(struct setup *t, int efd, bool skip_ev,
			     struct vpd_imp_status *s1, const char *name)
{
	struct {
		struct vfio_device_feature hdr;
		struct vfio_device_low_power_entry_with_wakeup w;
	} f = {
		.hdr.argsz = efd >= 0 ? sizeof(f) : sizeof(f.hdr),
		.hdr.flags = VFIO_DEVICE_FEATURE_SET |
			     (efd >= 0 ? VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP :
					 VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY),
		.w.wakeup_eventfd = efd,
	};
	const char *what = efd >= 0 ? "LOW_POWER_ENTRY_WITH_WAKEUP" :
				      "LOW_POWER_ENTRY";
	char msg[256];
	int ret;

	ret = skip_ev ? 0 : (ioctl(t->d.fd, VFIO_DEVICE_FEATURE, &f) < 0 ?
			     -errno : 0);
	if (ret == -ENOTTY || ret == -EOPNOTSUPP) {
		SKIP(name, "%s: %s", what, errname(-ret));
		return 1;
	}
	if (ret) {
		FAIL(name, "%s: %s", what, errname(-ret));
		return 1;
	}
	imp_status(s1);
	if (!skip_ev && expect_revoked("in low power", msg, sizeof(msg))) {
		low_power(&t->d, false);
		FAIL(name, "%s", msg);
		return 1;
	}
	return 0;
}

/*
 * Low power with a wake-up eventfd, left from outside VFIO: a runtime-PM
 * resume through sysfs wakes the device (vfio signals the eventfd and ends
 * low power on its own), then any VFIO ioctl.  The exporter hears of none
 * of this directly; the importer must be able to map all the same.
 * 0 or -errno for the caller's checks, 1 if a result was reported.
 */
static int low_power_wake(struct setup *t, const char *bdf, bool skip_ev,
			  struct vpd_imp_status *s1, const char *name)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct pollfd pfd = { .events = POLLIN };
	char path[PATH_MAX];
	int ret;

	pfd.fd = eventfd(0, EFD_CLOEXEC);
	if (pfd.fd < 0)
		return -errno;
	if (low_power_revoked(t, pfd.fd, skip_ev, s1, name))
		goto reported;
	/* The suspend runs asynchronously: wake only a suspended device. */
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/power/runtime_status", bdf);
	if (access(path, F_OK)) {
		low_power(&t->d, false);
		SKIP(name, "no %s: a kernel without runtime PM (CONFIG_PM) never wakes a device", path);
		goto reported;
	}
	if (!wait_file_is(path, "suspended", WAIT_MS)) {
		low_power(&t->d, false);
		FAIL(name, "%s did not runtime-suspend within %d ms in low power (%s)",
		     bdf, WAIT_MS, path);
		goto reported;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/power/control",
		 bdf);
	ret = write_file(path, "on");
	if (!ret && poll(&pfd, 1, WAIT_MS) != 1)
		ret = -ETIMEDOUT;
	write_file(path, "auto");
	if (ret) {
		low_power(&t->d, false);
		FAIL(name, "no wake-up signal after a runtime resume (%s): %s",
		     path, errname(-ret));
		goto reported;
	}
	ret = ioctl(t->d.fd, VFIO_DEVICE_GET_INFO, &info) < 0 ? -errno : 0;
	if (!ret && stock && imp_map(NULL) == -ENODEV) {
		SKIP(name, "the in-tree exporter stays revoked after a wake-up until LOW_POWER_EXIT");
		goto reported;
	}
	if (stock)
		imp(VPD_IMP_UNMAP, NULL);
	close(pfd.fd);
	return ret;
reported:
	close(pfd.fd);
	return 1;
}

/* MAP must fail with ENODEV (the exporter holds the dma-buf revoked). */
static int expect_revoked(const char *what, char *msg, size_t len)
{
	int ret = imp_map(NULL);

	if (ret == -ENODEV)
		return 0;
	snprintf(msg, len, "MAP %s: %s, want ENODEV", what, errname(-ret));
	if (!ret)
		imp(VPD_IMP_UNMAP, NULL);
	return -1;
}

/*
 * The event @what revoked the importer (s0: status before, s1: after) and
 * the BAR is usable again: a new mapping works and DMA lands.  One result.
 */
static void revoked_then_usable(const char *name, const char *what,
				struct setup *t, const struct vpd_imp_status *s0,
				const struct vpd_imp_status *s1)
{
	char msg[400] = "";
	int ret;

	if (late_check(s1, msg, sizeof(msg))) {
		FAIL(name, "%s: %s", what, msg);
		return;
	}
	if (s1->invalidations <= s0->invalidations || s1->mapped) {
		FAIL(name, "importer not revoked by %s: %llu revoke callbacks (%llu before), mapped %u",
		     what, (unsigned long long)s1->invalidations,
		     (unsigned long long)s0->invalidations, s1->mapped);
		return;
	}
	ret = imp_map(NULL);
	if (ret) {
		FAIL(name, "MAP after %s: %s", what, errname(-ret));
		return;
	}
	if (write_check(&t->d, &t->s, 0x1000, 0x400, msg, sizeof(msg))) {
		FAIL(name, "after %s: %s", what, msg);
		return;
	}
	printf("# %s: revoke callbacks %llu -> %llu\n", name,
	       (unsigned long long)s0->invalidations,
	       (unsigned long long)s1->invalidations);
	PASS(name);
}

static int cmd_interlock(const char *kind, const char *name, const char *bdf,
			 unsigned int bar)
{
	const struct slice s = { 1, { { 0x80000, 0x2000 } } };
	bool skip_ev = !strcmp(sabotage, "skip-revoke");
	struct vpd_imp_status s0, s1;
	struct setup t;
	char msg[400] = "";
	unsigned int cap;
	pid_t upid = 0;
	int ret;

	if (setup_written(&t, name, bdf, bar, &s))
		goto out;
	ret = imp_watch(bdf);
	if (ret) {
		FAIL(name, "VPD_IMP_WATCH %s: %s", bdf, errname(-ret));
		goto out;
	}
	imp_status(&s0);

	/* The event; each leaves the exporter accessible again, except close. */
	if (!strcmp(kind, "decode")) {
		ret = skip_ev ? 0 : set_decode(&t.d, false);
		if (ret) {
			FAIL(name, "PCI_COMMAND write: %s", errname(-ret));
			goto out;
		}
		imp_status(&s1);
		if (!skip_ev && expect_revoked("with memory decode off", msg,
					       sizeof(msg))) {
			set_decode(&t.d, true);
			FAIL(name, "%s", msg);
			goto out;
		}
		ret = set_decode(&t.d, true);
	} else if (!strcmp(kind, "d3hot")) {
		cap = cfg_find_cap(&t.d, PCI_CAP_ID_PM);
		if (!cap) {
			SKIP(name, "%s has no PCI PM capability", bdf);
			goto out;
		}
		ret = skip_ev ? 0 : set_pm(&t.d, cap, PMCSR_D3HOT);
		if (ret) {
			FAIL(name, "PMCSR write: %s", errname(-ret));
			goto out;
		}
		imp_status(&s1);
		if (!skip_ev && expect_revoked("in D3hot", msg, sizeof(msg))) {
			set_pm(&t.d, cap, PMCSR_D0);
			FAIL(name, "%s", msg);
			goto out;
		}
		ret = set_pm(&t.d, cap, PMCSR_D0);
	} else if (!strcmp(kind, "low-power")) {
		if (low_power_revoked(&t, -1, skip_ev, &s1, name))
			goto out;
		ret = skip_ev ? 0 : low_power(&t.d, false);
	} else if (!strcmp(kind, "low-power-wake")) {
		ret = low_power_wake(&t, bdf, skip_ev, &s1, name);
		if (ret == 1)
			goto out;
	} else if (!strcmp(kind, "reset")) {
		ret = skip_ev ? 0 : (ioctl(t.d.fd, VFIO_DEVICE_RESET) < 0 ?
				     -errno : 0);
		imp_status(&s1);
	} else if (!strcmp(kind, "flr")) {
		uint32_t devcap = 0;
		uint16_t ctl = 0;

		cap = cfg_find_cap(&t.d, PCI_CAP_ID_EXP);
		if (cap)
			cfg_rd(&t.d, cap + PCI_EXP_DEVCAP, &devcap, 4);
		if (!(devcap & PCI_EXP_DEVCAP_FLR)) {
			SKIP(name, "%s: no PCIe FLR capability", bdf);
			goto out;
		}
		ret = cfg_rd(&t.d, cap + PCI_EXP_DEVCTL, &ctl, 2);
		ctl |= PCI_EXP_DEVCTL_BCR_FLR;
		if (!ret && !skip_ev)
			ret = cfg_wr(&t.d, cap + PCI_EXP_DEVCTL, &ctl, 2);
		imp_status(&s1);
	} else if (!strcmp(kind, "af-flr")) {
		uint8_t afcap = 0, ctl = PCI_AF_CTRL_FLR;

		cap = cfg_find_cap(&t.d, PCI_CAP_ID_AF);
		if (cap)
			cfg_rd(&t.d, cap + PCI_AF_CAP, &afcap, 1);
		if ((afcap & (PCI_AF_CAP_FLR | PCI_AF_CAP_TP)) !=
		    (PCI_AF_CAP_FLR | PCI_AF_CAP_TP)) {
			FAIL(name, "%s: no AF capability with FLR and TP (cap at 0x%x, AF_CAP 0x%x)",
			     bdf, cap, afcap);
			goto out;
		}
		ret = skip_ev ? 0 : cfg_wr(&t.d, cap + PCI_AF_CTRL, &ctl, 1);
		imp_status(&s1);
	} else if (!strcmp(kind, "hot-reset")) {
		ret = skip_ev ? 0 : hot_reset(&t.d, msg, sizeof(msg));
		if (ret) {
			FAIL(name, "%s", msg);
			goto out;
		}
		imp_status(&s1);
	} else if (!strcmp(kind, "sysfs-reset")) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset",
			 bdf);
		ret = skip_ev ? 0 : write_file(path, "1");
		imp_status(&s1);
	} else if (!strcmp(kind, "close") || !strcmp(kind, "unbind")) {
		struct vdev again;
		struct stat sb;
		int i;

		/* The BAR mmap holds the device open: drop it first. */
		vdev_unmap(&t.d);
		if (!skip_ev) {
			close(t.d.fd);
			t.d.fd = -1;
		}
		imp_status(&s1);
		if (late_check(&s1, msg, sizeof(msg))) {
			FAIL(name, "%s: %s", kind, msg);
			goto out;
		}
		if (s1.invalidations <= s0.invalidations || s1.mapped) {
			FAIL(name, "after closing the device: %llu revoke callbacks (%llu before), mapped %u",
			     (unsigned long long)s1.invalidations,
			     (unsigned long long)s0.invalidations, s1.mapped);
			goto out;
		}
		for (i = 0; i < 3; i++)
			if (expect_revoked("after close", msg, sizeof(msg))) {
				FAIL(name, "%s", msg);
				goto out;
			}
		/* Permanent: a new open of the device does not bring it back. */
		vdev_close_fds(&t.d);
		if (vdev_open(&again, bdf, msg, sizeof(msg))) {
			FAIL(name, "reopen: %s", msg);
			goto out;
		}
		ret = expect_revoked("after close and reopen", msg,
				     sizeof(msg));
		vdev_close_fds(&again);
		if (ret) {
			FAIL(name, "%s", msg);
			goto out;
		}
		if (fstat(t.dbfd, &sb)) {
			FAIL(name, "dma-buf fd after close: %s",
			     errname(errno));
			goto out;
		}
		if (!strcmp(kind, "unbind")) {
			ret = unbind_bounded(bdf, &upid);
			if (ret) {
				FAIL(name, "unbind with a live dma-buf: %s%s",
				     errname(-ret), ret == -ETIMEDOUT ?
				     " (blocked; dropping the dma-buf)" : "");
				goto out;
			}
			if (expect_revoked("after unbind", msg, sizeof(msg))) {
				FAIL(name, "%s", msg);
				goto out;
			}
		}
		ret = imp(VPD_IMP_DETACH, NULL);
		if (ret) {
			FAIL(name, "detach: %s", errname(-ret));
			goto out;
		}
		if (close(t.dbfd)) {
			FAIL(name, "close dma-buf: %s", errname(errno));
			t.dbfd = -1;
			goto out;
		}
		t.dbfd = -1;
		PASS(name);
		goto out;
	} else {
		fprintf(stderr, "unknown interlock %s\n", kind);
		return 2;
	}

	if (ret) {
		FAIL(name, "%s: %s", kind, errname(-ret));
		goto out;
	}
	if (stock && !strcmp(kind, "sysfs-reset") &&
	    s1.invalidations == s0.invalidations) {
		SKIP(name, "in-tree vfio-pci has no reset_prepare/reset_done: a reset through sysfs does not revoke (importer still mapped: %u)",
		     s1.mapped);
		goto out;
	}
	revoked_then_usable(name, kind, &t, &s0, &s1);
out:
	if (upid) {
		/* unbind blocked: let it finish without our dma-buf */
		imp(VPD_IMP_DETACH, NULL);
		if (t.dbfd >= 0)
			close(t.dbfd);
		t.dbfd = -1;
		if (unbind_bounded(bdf, &upid) == -ETIMEDOUT)
			printf("# %s: unbind still blocked after the dma-buf was closed\n",
			       name);
	}
	teardown(&t);
	return 0;
}

/* ---------------------------------------------------------- split write */

/*
 * A 2-byte config write whose first byte is the last byte of one page and
 * whose second byte lies on a page that is missing under userfaultfd: the
 * first copy_from_user() of the buffer has read the first byte when it
 * faults, and the handler changes that byte before it supplies the page,
 * so every later copy reads the new value.  An exporter that judges one
 * copy while vfio_pci_core writes another decides on bytes never written.
 */
struct split {
	int uffd;
	uint8_t *pages;		/* two; the write starts at pages[PAGE - 1] */
	uint8_t first_now;	/* the first byte, as the handler leaves it */
	uint8_t second;		/* the second byte, on the supplied page */
	int faults;
};

static void *split_handler(void *arg)
{
	static uint8_t src[PAGE] __attribute__((aligned(PAGE)));
	struct split *sp = arg;
	struct pollfd pfd = { .fd = sp->uffd, .events = POLLIN };
	struct uffdio_copy cp = { 0 };
	struct uffd_msg m;

	if (poll(&pfd, 1, WAIT_MS) != 1 ||
	    read(sp->uffd, &m, sizeof(m)) != (ssize_t)sizeof(m) ||
	    m.event != UFFD_EVENT_PAGEFAULT)
		return NULL;
	sp->pages[PAGE - 1] = sp->first_now;
	memset(src, 0, sizeof(src));
	src[0] = sp->second;
	cp.dst = (uintptr_t)(sp->pages + PAGE);
	cp.src = (uintptr_t)src;
	cp.len = PAGE;
	if (!ioctl(sp->uffd, UFFDIO_COPY, &cp))
		sp->faults++;
	return NULL;
}

/* The two pages, the second one registered missing; 1: no userfaultfd. */
static int split_prepare(struct split *sp, char *msg, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };

	sp->faults = 0;
	sp->pages = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sp->pages == MAP_FAILED) {
		snprintf(msg, len, "mmap: %s", errname(errno));
		return -1;
	}
	sp->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (sp->uffd < 0) {
		snprintf(msg, len, "userfaultfd: %s", errname(errno));
		munmap(sp->pages, 2 * PAGE);
		return 1;
	}
	reg.range.start = (uintptr_t)(sp->pages + PAGE);
	reg.range.len = PAGE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(sp->uffd, UFFDIO_API, &api) ||
	    ioctl(sp->uffd, UFFDIO_REGISTER, &reg)) {
		snprintf(msg, len, "userfaultfd setup: %s", errname(errno));
		close(sp->uffd);
		munmap(sp->pages, 2 * PAGE);
		return -1;
	}
	return 0;
}

/*
 * The register a config-write test aims at, a 16-bit one whose low byte
 * decides whether the BAR is reachable: COMMAND (Memory Space Enable) or
 * PMCSR (the power state).  @keep and @lose differ in that byte only.
 */
struct cfg_target {
	const char *what;
	unsigned int off;
	uint16_t keep;		/* the BAR stays reachable */
	uint16_t lose;		/* it does not: decode off, or D3hot */
};

/* 0; 1 when @d has no such register (no PM capability); -errno. */
static int cfg_target_of(struct vdev *d, bool pmcsr, struct cfg_target *c)
{
	unsigned int cap;
	uint16_t v;
	int ret;

	c->what = pmcsr ? "PMCSR" : "COMMAND";
	c->off = PCI_COMMAND;
	if (pmcsr) {
		cap = cfg_find_cap(d, PCI_CAP_ID_PM);
		if (!cap)
			return 1;
		c->off = cap + PCI_PM_CTRL;
	}
	ret = cfg_rd(d, c->off, &v, 2);
	if (ret)
		return ret;
	if (pmcsr) {
		/* PME_Status is write-1-to-clear: leave it alone. */
		v &= ~(PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_STATUS);
		c->keep = v | PMCSR_D0;
		c->lose = v | PMCSR_D3HOT;
	} else {
		c->keep = v | PCI_COMMAND_MEMORY;
		c->lose = v & ~PCI_COMMAND_MEMORY;
	}
	return 0;
}

static bool cfg_target_reachable(const struct cfg_target *c, uint16_t v)
{
	if (c->off == PCI_COMMAND)
		return v & PCI_COMMAND_MEMORY;
	return !(v & PCI_PM_CTRL_STATE_MASK);
}

/*
 * @c's register written with @c->keep by one pwrite() whose low byte
 * turns into @c->lose's once the first copy of the buffer has read it.
 */
static int split_write(struct vdev *d, struct split *sp,
		       const struct cfg_target *c, char *msg, size_t len)
{
	pthread_t th;
	int ret;

	sp->pages[PAGE - 1] = c->keep & 0xff;
	sp->first_now = c->lose & 0xff;
	sp->second = c->keep >> 8;
	if (pthread_create(&th, NULL, split_handler, sp)) {
		snprintf(msg, len, "pthread_create failed");
		return -1;
	}
	ret = region_rw(d, VFIO_PCI_CONFIG_REGION_INDEX, c->off,
			sp->pages + PAGE - 1, 2, true);
	pthread_join(th, NULL);
	if (ret) {
		snprintf(msg, len, "split %s write: %s", c->what, errname(-ret));
		return -1;
	}
	if (sp->faults != 1) {
		snprintf(msg, len, "the write took %d userfaults, want 1",
			 sp->faults);
		return -1;
	}
	return 0;
}

/*
 * After a write to @c's register with the importer mapped before it: no
 * revoke callback came after the BAR became unreachable; if the write left
 * it unreachable, the importer is revoked until @c->keep is written back,
 * and usable after that.  One result.
 */
static void cfg_write_judged(const char *name, struct setup *t,
			     const struct cfg_target *c,
			     const struct vpd_imp_status *s0)
{
	struct vpd_imp_status s1;
	char msg[400] = "";
	uint16_t now = 0;
	int ret;

	imp_status(&s1);
	cfg_rd(&t->d, c->off, &now, 2);
	printf("# %s: %s 0x%04x now; revoke callbacks %llu -> %llu, watched %llu\n",
	       name, c->what, now, (unsigned long long)s0->invalidations,
	       (unsigned long long)s1.invalidations,
	       (unsigned long long)s1.watched);
	if (late_check(&s1, msg, sizeof(msg))) {
		cfg_wr(&t->d, c->off, &c->keep, 2);
		FAIL(name, "%s", msg);
		return;
	}
	if (!cfg_target_reachable(c, now)) {
		ret = expect_revoked(c->off == PCI_COMMAND ?
				     "with memory decode off" : "in D3hot",
				     msg, sizeof(msg));
		if (cfg_wr(&t->d, c->off, &c->keep, 2) || ret) {
			FAIL(name, "%s", ret ? msg : "write back failed");
			return;
		}
		revoked_then_usable(name, c->what, t, s0, &s1);
		return;
	}
	/*
	 * The BAR stayed reachable: the importer may map again at once, or
	 * is still mapped (the kernel's exporter revokes by value, on the one
	 * copy that reached the device).
	 */
	ret = imp_mapped();
	if (!ret && !write_check(&t->d, &t->s, 0x800, 0x400, msg, sizeof(msg)))
		PASS(name);
	else
		FAIL(name, "after the write: %s", ret ? errname(-ret) : msg);
}

/* The racing writer's buffer and its flipper (race_write()). */
struct race {
	volatile uint8_t buf[2];
	uint8_t keep, lose;
	volatile bool stop;
	volatile unsigned long flips;
};

static void *race_flipper(void *arg)
{
	struct race *r = arg;
	volatile unsigned int spin;
	uint32_t x = 2463534242u;
	bool lose = false;

	/*
	 * Each value held for a random while: the flipper is preempted when
	 * the writer wakes up, and under TCG that comes at nearly the same
	 * point of a fixed-length loop every time.
	 */
	while (!r->stop) {
		lose = !lose;
		r->buf[0] = lose ? r->lose : r->keep;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		for (spin = x % 1024; spin; spin--)
			;
		r->flips++;
	}
	return NULL;
}

#define RACE_WRITES	400
#define RACE_MS		8000

/*
 * dmabuf.race-write.REG: no userfaultfd, no privilege: one thread flips
 * the low byte of a 2-byte buffer between @c->keep's and @c->lose's while
 * this one writes the buffer to @c's register again and again (at most
 * RACE_WRITES writes, RACE_MS ms), mapping the importer before each.  No
 * revoke callback may come after the BAR became unreachable, whichever
 * value each write took.  Whether a race was won is chance: the count of
 * each outcome is printed.
 */
static void race_write(const char *name, struct setup *t,
		       const struct cfg_target *c)
{
	struct race r = { .keep = c->keep & 0xff, .lose = c->lose & 0xff };
	struct vpd_imp_status s0, s1;
	unsigned int n, lost = 0, kept = 0;
	long end = now_ms() + RACE_MS;
	char msg[400] = "";
	pthread_t th;
	uint16_t now;
	int ret = 0;

	r.buf[0] = r.keep;
	r.buf[1] = c->keep >> 8;
	imp_status(&s0);
	if (pthread_create(&th, NULL, race_flipper, &r)) {
		FAIL(name, "pthread_create failed");
		return;
	}
	for (n = 0; n < RACE_WRITES && now_ms() < end; n++) {
		/*
		 * Not a wait for anything: this vCPU idles, so that
		 * single-threaded TCG (the rig's) runs the flipper's vCPU,
		 * which it otherwise does only in rare long slices.
		 */
		usleep(200);
		ret = imp_mapped();
		if (!ret)
			ret = region_rw(&t->d, VFIO_PCI_CONFIG_REGION_INDEX,
					c->off, (void *)r.buf, 2, true);
		if (!ret)
			ret = cfg_rd(&t->d, c->off, &now, 2);
		if (ret)
			break;
		if (cfg_target_reachable(c, now)) {
			kept++;
			continue;
		}
		lost++;
		ret = cfg_wr(&t->d, c->off, &c->keep, 2);
		if (ret)
			break;
	}
	r.stop = true;
	pthread_join(th, NULL);
	imp_status(&s1);
	printf("# %s: %u writes (%lu flips), %u left the BAR reachable, %u did not; revoke callbacks %llu -> %llu, watched %llu\n",
	       name, n, r.flips, kept, lost,
	       (unsigned long long)s0.invalidations,
	       (unsigned long long)s1.invalidations,
	       (unsigned long long)s1.watched);
	cfg_wr(&t->d, c->off, &c->keep, 2);
	if (ret)
		FAIL(name, "after %u writes: %s", n, errname(-ret));
	else if (late_check(&s1, msg, sizeof(msg)))
		FAIL(name, "%s", msg);
	else if (!lost || !kept)
		FAIL(name, "%u of %u writes took the flipped value: the race did not run both ways",
		     lost, n);
	else
		PASS(name);
}

/*
 * dmabuf.split-write.REG (userfaultfd) and its controls: a write of @reg
 * ("command" or "pmcsr") with a mapped importer.  "split": the split
 * write above, its low byte read as @keep and then changed to @lose;
 * "plain": a plain write of @lose; "race": race_write().  Whatever ends
 * up in the device, no importer may be revoked after its BAR became
 * unreachable, and while it is unreachable the importer stays revoked.
 */
static int cmd_cfg_write(const char *mode, const char *reg, const char *name,
			 const char *bdf, unsigned int bar)
{
	const struct slice s = { 1, { { 0x90000, 0x2000 } } };
	struct split sp = { .uffd = -1 };
	struct vpd_imp_status s0;
	struct cfg_target c;
	char msg[400] = "";
	struct setup t;
	int ret;

	if (!strcmp(mode, "split")) {
		ret = split_prepare(&sp, msg, sizeof(msg));
		if (ret) {
			if (ret > 0)
				SKIP(name, "%s", msg);
			else
				FAIL(name, "%s", msg);
			return 0;
		}
	}
	if (setup_written(&t, name, bdf, bar, &s))
		goto out;
	ret = cfg_target_of(&t.d, !strcmp(reg, "pmcsr"), &c);
	if (ret == 1) {
		SKIP(name, "%s has no PCI PM capability", bdf);
		goto out;
	}
	if (!ret)
		ret = imp_watch(bdf);
	if (!ret)
		ret = cfg_wr(&t.d, c.off, &c.keep, 2);
	/* That write may have revoked (this driver decides by offset). */
	if (!ret)
		ret = imp_mapped();
	if (ret) {
		FAIL(name, "before: %s", errname(-ret));
		goto out;
	}
	if (!strcmp(mode, "race")) {
		race_write(name, &t, &c);
		goto out;
	}
	imp_status(&s0);
	if (!s0.mapped) {
		FAIL(name, "the importer's mapping is gone before the write");
		goto out;
	}
	if (sp.uffd >= 0) {
		ret = split_write(&t.d, &sp, &c, msg, sizeof(msg));
	} else {
		ret = cfg_wr(&t.d, c.off, &c.lose, 2);
		if (ret)
			snprintf(msg, sizeof(msg), "plain %s write: %s",
				 c.what, errname(-ret));
	}
	if (ret) {
		FAIL(name, "%s", msg);
		goto out;
	}
	cfg_write_judged(name, &t, &c, &s0);
out:
	teardown(&t);
	if (sp.uffd >= 0) {
		close(sp.uffd);
		munmap(sp.pages, 2 * PAGE);
	}
	return 0;
}

/* --------------------------------------------------------- export race */

/* cmd_export_race()'s other thread: plain COMMAND writes, decode off/on. */
struct decode_flipper {
	struct vdev *d;
	uint16_t keep, lose;
	volatile bool stop;
	unsigned int writes;
	int err;
};

#define EXPORT_RACE_ROUNDS	300
#define EXPORT_RACE_MS		8000

static void *decode_flipper(void *arg)
{
	struct decode_flipper *f = arg;

	while (!f->stop && f->writes < 4 * EXPORT_RACE_ROUNDS) {
		uint16_t v = f->writes & 1 ? f->keep : f->lose;
		int ret = cfg_wr(f->d, PCI_COMMAND, &v, 2);

		if (ret) {
			f->err = ret;
			break;
		}
		f->writes++;
		/* Not a wait for anything: see race_write(). */
		usleep(200);
	}
	return NULL;
}

/*
 * dmabuf.export-race: a device with no dma-buf does not block its config
 * writes (vpd_unblocked_write_begin()), so an export racing with a write
 * that turns decode off must be born revoked.  One thread turns decode off
 * and on with plain COMMAND writes while this one exports, attaches, maps
 * and, once mapped, holds the mapping until it is revoked (at most 2 s)
 * before it detaches and closes the dma-buf: at most EXPORT_RACE_ROUNDS
 * rounds, EXPORT_RACE_MS ms.  No revoke callback may find decode off.
 */
static int cmd_export_race(const char *name, const char *bdf, unsigned int bar)
{
	const struct slice s = { 1, { { 0x90000, 0x2000 } } };
	struct decode_flipper f = { 0 };
	unsigned int n, maps = 0, refused = 0;
	long end = now_ms() + EXPORT_RACE_MS, hold;
	struct vpd_imp_status st;
	struct cfg_target c;
	char msg[400] = "";
	struct setup t = { .dbfd = -1 };
	pthread_t th;
	int ret;

	if (vdev_open(&t.d, bdf, msg, sizeof(msg))) {
		FAIL(name, "%s", msg);
		return 0;
	}
	ret = cfg_target_of(&t.d, false, &c);
	if (!ret)
		ret = imp_watch(bdf);
	if (ret) {
		FAIL(name, "before: %s", errname(-ret));
		goto out;
	}
	f.d = &t.d;
	f.keep = c.keep;
	f.lose = c.lose;
	if (pthread_create(&th, NULL, decode_flipper, &f)) {
		FAIL(name, "pthread_create failed");
		goto out;
	}
	for (n = 0; n < EXPORT_RACE_ROUNDS && now_ms() < end && !f.err; n++) {
		t.dbfd = dmabuf_get(&t.d, bar, s.r, s.nr);
		if (t.dbfd < 0) {
			ret = t.dbfd;
			snprintf(msg, sizeof(msg), "export: %s", errname(-ret));
			break;
		}
		ret = imp_attach(t.dbfd, VPD_IMP_DYNAMIC);
		if (!ret)
			ret = imp_map(NULL);
		if (!ret) {
			maps++;
			for (hold = now_ms() + 2000; now_ms() < hold; nap_ms(1))
				if (!imp_status(&st) && !st.mapped)
					break;	/* polled, bounded above */
		} else if (ret == -ENODEV) {
			refused++;
			ret = 0;
		} else {
			snprintf(msg, sizeof(msg), "attach/map: %s",
				 errname(-ret));
		}
		imp(VPD_IMP_DETACH, NULL);
		close(t.dbfd);
		t.dbfd = -1;
		if (ret)
			break;
	}
	f.stop = true;
	pthread_join(th, NULL);
	cfg_wr(&t.d, PCI_COMMAND, &c.keep, 2);
	imp_status(&st);
	printf("# %s: %u rounds, %u mapped, %u refused (ENODEV), %u COMMAND writes; revoke callbacks with a mapping %llu\n",
	       name, n, maps, refused, f.writes,
	       (unsigned long long)st.watched);
	if (ret)
		FAIL(name, "round %u: %s", n, msg);
	else if (f.err)
		FAIL(name, "COMMAND write %u: %s", f.writes, errname(-f.err));
	else if (late_check(&st, msg, sizeof(msg)))
		FAIL(name, "%s", msg);
	else if (!maps || !f.writes)
		FAIL(name, "%u maps, %u writes: the race did not run", maps,
		     f.writes);
	else
		PASS(name);
out:
	teardown(&t);
	return 0;
}

/* ---------------------------------------------------------------- stale */

static int cmd_stale(const char *name, const char *bdf, unsigned int bar)
{
	const struct slice s = { 1, { { 0xa0000, 0x1000 } } };
	bool skip_ev = !strcmp(sabotage, "skip-revoke");
	struct vpd_imp_stale st = { .offset = 0x100, .length = 0x100,
				    .pattern = 0x5a };
	struct vpd_imp_status s0;
	uint8_t before[0x100], after[0x100];
	uint64_t faults;
	long limit;
	struct setup t;
	char msg[400];
	int ret;

	if (setup(&t, bdf, bar, &s, true, msg, sizeof(msg)) ||
	    write_check(&t.d, &t.s, 0x100, 0x100, msg, sizeof(msg))) {
		FAIL(name, "before: %s", msg);
		goto out;
	}
	/* Revoke (memory decode off and on), without mapping again. */
	if (!skip_ev) {
		ret = set_decode(&t.d, false);
		if (!ret)
			ret = set_decode(&t.d, true);
		if (ret) {
			FAIL(name, "PCI_COMMAND write: %s", errname(-ret));
			goto out;
		}
	}
	imp_status(&s0);
	if (!s0.stale_nents && !skip_ev) {
		FAIL(name, "the importer saw no revoke (%llu callbacks)",
		     (unsigned long long)s0.invalidations);
		goto out;
	}
	mmio_read(t.d.map, 0xa0100, before, sizeof(before));
	faults = dmar_faults();
	if (skip_ev) {
		/* the same DMA to the live mapping: must be caught below */
		memset(after, 0x5a, sizeof(after));
		ret = imp_dma(VPD_IMP_DMA_WRITE, 0x100, after, sizeof(after));
	} else {
		ret = imp(VPD_IMP_DMA_STALE, &st);
	}
	if (ret) {
		FAIL(name, "DMA_STALE: %s", errname(-ret));
		goto out;
	}
	mmio_read(t.d.map, 0xa0100, after, sizeof(after));
	if (memcmp(before, after, sizeof(after))) {
		FAIL(name, "a DMA to the revoked IOVA 0x%llx reached the BAR",
		     (unsigned long long)s0.stale_addr);
		goto out;
	}
	/*
	 * It did not land because the IOMMU refused it, not by chance.  The
	 * fault interrupt may trail the DMA's completion: wait, bounded.
	 */
	limit = now_ms() + WAIT_MS;
	while (dmar_faults() <= faults && now_ms() < limit)
		nap_ms(10);
	printf("# %s: stale IOVA 0x%llx: BAR unchanged, DMAR interrupts %llu -> %llu\n",
	       name, (unsigned long long)s0.stale_addr,
	       (unsigned long long)faults,
	       (unsigned long long)dmar_faults());
	if (dmar_faults() <= faults) {
		FAIL(name, "no DMAR fault interrupt for the DMA to the revoked IOVA 0x%llx",
		     (unsigned long long)s0.stale_addr);
		goto out;
	}
	/* And a fresh mapping reaches it again. */
	ret = imp_map(NULL);
	if (ret || write_check(&t.d, &t.s, 0x100, 0x100, msg, sizeof(msg))) {
		FAIL(name, "after the revoke: %s", ret ? errname(-ret) : msg);
		goto out;
	}
	PASS(name);
out:
	teardown(&t);
	return 0;
}

/* ---------------------------------------------------------------- refusals */

/* errors the DMA-API checker reported so far, -1 without it */
static long dma_api_errors(void);
static bool dma_api_disabled(void);

/*
 * Ranges may overlap (the uAPI allows it): such a dma-buf maps, DMA lands
 * through either alias, and the DMA-API checker (where there is one) has
 * nothing to say about the mapping.  Both ranges start at one address: the
 * checker tracks a mapping by its first cache line.
 */
static void map_overlapping(const char *name, struct vdev *d, unsigned int bar)
{
	const struct slice s = { 2, { { 0x10000, 2 * PAGE },
				      { 0x10000, PAGE } } };
	long errs = dma_api_errors();
	char msg[400] = "";
	int fd, ret;

	if (vdev_map_bar(d, bar, msg, sizeof(msg))) {
		FAIL(name, "%s", msg);
		return;
	}
	fd = dmabuf_get(d, bar, s.r, s.nr);
	if (fd < 0) {
		FAIL(name, "VFIO_DEVICE_FEATURE_DMA_BUF: %s", errname(-fd));
		goto out;
	}
	ret = imp_attach(fd, VPD_IMP_DYNAMIC);
	if (!ret)
		ret = imp_map(NULL);
	if (ret == -EADDRINUSE && stock)
		SKIP(name, "in-tree exporter: map of a 2-range dma-buf fails with EADDRINUSE (Linux 7.3 dma_buf_phys_vec_to_sgt() links every range at IOVA offset 0)");
	else if (ret)
		FAIL(name, "attach and map: %s", errname(-ret));
	else if (write_check(d, &s, PAGE, 0x400, msg, sizeof(msg)) ||
		 write_check(d, &s, 2 * PAGE, 0x400, msg, sizeof(msg)))
		FAIL(name, "%s", msg);
	else if (errs >= 0 && dma_api_errors() != errs)
		FAIL(name, "the DMA-API checker reported %ld error(s) mapping overlapping ranges: see the console",
		     dma_api_errors() - errs);
	else
		PASS(name);
	imp(VPD_IMP_DETACH, NULL);
	close(fd);
out:
	vdev_unmap(d);
}

/* An importer that maps, then pins: the pin is refused where it happens. */
static void refuse_late_pin(const char *name, struct vdev *d,
			    unsigned int bar, const struct slice *s)
{
	int fd = dmabuf_get(d, bar, s->r, s->nr), ret;

	if (fd < 0) {
		FAIL(name, "VFIO_DEVICE_FEATURE_DMA_BUF: %s", errname(-fd));
		return;
	}
	ret = imp_attach(fd, VPD_IMP_DYNAMIC);
	if (!ret)
		ret = imp_map(NULL);
	if (ret) {
		FAIL(name, "attach and map: %s", errname(-ret));
	} else {
		ret = imp(VPD_IMP_PIN, NULL);
		printf("# %s: pin of a mapped attachment: %s\n", name,
		       errname(-ret));
		if (ret == -EOPNOTSUPP)
			PASS(name);
		else if (stock && !ret)
			SKIP(name, "in-tree exporter has no pin op: dma_buf_pin() succeeds");
		else
			FAIL(name, "pin of a mapped attachment: %s, want EOPNOTSUPP",
			     errname(-ret));
	}
	imp(VPD_IMP_DETACH, NULL);
	close(fd);
}

/* An importer whose DMA segments must stay below a page cannot map. */
static void refuse_small_segs(const char *name, struct vdev *d,
			      unsigned int bar, const struct slice *s)
{
	static const char seg_p[] =
		"/sys/module/vpd_edu_importer/parameters/max_seg";
	int fd = dmabuf_get(d, bar, s->r, s->nr), ret;
	struct vpd_imp_map m;

	if (fd < 0) {
		FAIL(name, "VFIO_DEVICE_FEATURE_DMA_BUF: %s", errname(-fd));
		return;
	}
	if (write_file(seg_p, "2048")) {
		FAIL(name, "cannot write %s", seg_p);
		close(fd);
		return;
	}
	ret = imp_attach(fd, VPD_IMP_DYNAMIC);
	if (!ret)
		ret = imp_map(&m);
	printf("# %s: map with 2048-byte segments: %s\n", name, errname(-ret));
	if (ret == -EINVAL)
		PASS(name);
	else if (stock && !ret)
		SKIP(name, "in-tree exporter ignores the importer's max_seg_size (%u-byte segment for a %u-byte limit)",
		     m.nents ? (unsigned int)m.segs[0].len : 0, m.max_seg_size);
	else
		FAIL(name, "map: %s, want EINVAL", errname(-ret));
	imp(VPD_IMP_DETACH, NULL);
	/* Back to the PCI default, applied by the next attach. */
	write_file(seg_p, "65536");
	if (!imp_attach(fd, VPD_IMP_DYNAMIC))
		imp(VPD_IMP_DETACH, NULL);
	write_file(seg_p, "0");
	close(fd);
}

/*
 * More IOVA space than the importer has (edu's 28-bit mask: 256 MiB): the
 * whole BAR, over and over, 512 MiB in all.  dma_map_resource() fails part
 * way, the map is ENOMEM and the ranges mapped by then are unmapped again:
 * a leak would leave too little IOVA space for a map of an eighth of it.
 * Not with DMA-API debug: it WARNs at more than 7 overlapping mappings of
 * a cache line, and 6.12's records the failed dma_map_resource() as a
 * mapping that is never unmapped.
 */
static void map_iova_exhausted(const char *name, struct vdev *d,
			       unsigned int bar, const struct slice *small)
{
	uint64_t size = d->reg[bar].size;
	uint32_t nr = size ? (1ULL << 29) / size + 1 : 0;
	char msg[400] = "";
	int fd, ret;

	if (!dma_api_disabled()) {
		SKIP(name, "DMA-API debug WARNs at 257 overlapping mappings and (6.12) keeps the failed one");
		return;
	}
	if (!size || nr > 4096) {
		SKIP(name, "BAR %u is too small to exhaust the importer's IOVA space", bar);
		return;
	}
	fd = dmabuf_get_many(d->fd, bar, nr, nr, 0, size, size);
	if (fd < 0) {
		FAIL(name, "VFIO_DEVICE_FEATURE_DMA_BUF of %u whole-BAR ranges: %s",
		     nr, errname(-fd));
		return;
	}
	ret = imp_attach(fd, VPD_IMP_DYNAMIC);
	if (!ret)
		ret = imp_map(NULL);
	imp(VPD_IMP_DETACH, NULL);
	close(fd);
	printf("# %s: map of %u x %llu bytes: %s\n", name, nr,
	       (unsigned long long)size, errname(-ret));
	if (ret != -ENOMEM) {
		if (stock)
			SKIP(name, "in-tree exporter: map of %u whole-BAR ranges: %s",
			     nr, errname(-ret));
		else
			FAIL(name, "map of %u whole-BAR ranges: %s, want ENOMEM",
			     nr, errname(-ret));
		return;
	}
	fd = dmabuf_get_many(d->fd, bar, nr / 8, nr / 8, 0, size, size);
	ret = fd < 0 ? fd : imp_attach(fd, VPD_IMP_DYNAMIC);
	if (!ret)
		ret = imp_map(NULL);
	imp(VPD_IMP_DETACH, NULL);
	if (fd >= 0)
		close(fd);
	if (ret == -EADDRINUSE && stock) {
		SKIP(name, "in-tree exporter: map of a %u-range dma-buf fails with EADDRINUSE (Linux 7.3 dma_buf_phys_vec_to_sgt() links every range at IOVA offset 0)",
		     nr / 8);
		return;
	}
	if (ret) {
		FAIL(name, "a map of %u whole-BAR ranges after the failed one: %s (IOVA space leaked?)",
		     nr / 8, errname(-ret));
		return;
	}
	if (vdev_map_bar(d, bar, msg, sizeof(msg)) ||
	    (fd = dmabuf_get(d, bar, small->r, small->nr)) < 0) {
		FAIL(name, "after: %s", *msg ? msg : errname(-fd));
		vdev_unmap(d);
		return;
	}
	ret = imp_attach(fd, VPD_IMP_DYNAMIC);
	if (!ret)
		ret = imp_map(NULL);
	if (ret)
		FAIL(name, "a one-page map after the failed one: %s", errname(-ret));
	else if (write_check(d, small, 0, 0x400, msg, sizeof(msg)))
		FAIL(name, "after: %s", msg);
	else
		PASS(name);
	imp(VPD_IMP_DETACH, NULL);
	close(fd);
	vdev_unmap(d);
}

static int cmd_refusals(const char *name, const char *bdf, unsigned int bar)
{
	static const struct {
		const char *name;
		uint32_t mode;
		int want;	/* errno; 0: attach and map succeed */
	} modes[] = {
		{ "static", VPD_IMP_STATIC, EOPNOTSUPP },
		{ "no-p2p", VPD_IMP_NO_P2P, EOPNOTSUPP },
		{ "pinned", VPD_IMP_PINNED, EOPNOTSUPP },
		{ "dynamic", VPD_IMP_DYNAMIC, 0 },
	};
	const struct slice s = { 1, { { 0xc0000, 0x1000 } } };
	struct vdev d;
	char msg[256];
	unsigned int i;

	if (vdev_open(&d, bdf, msg, sizeof(msg))) {
		FAIL(name, "%s", msg);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		const char *n = tname(name, modes[i].name);
		int fd = dmabuf_get(&d, bar, s.r, s.nr), a, m = 0, got;

		if (fd < 0) {
			FAIL(n, "VFIO_DEVICE_FEATURE_DMA_BUF: %s", errname(-fd));
			continue;
		}
		a = imp_attach(fd, modes[i].mode);
		if (!a)
			m = imp_map(NULL);
		got = a ? -a : -m;
		printf("# %s: attach %s, map %s\n", n, errname(-a),
		       a ? "-" : errname(-m));
		if (got == modes[i].want)
			PASS(n);
		else if (stock && modes[i].mode == VPD_IMP_PINNED && !got)
			SKIP(n, "in-tree exporter has no pin op: dma_buf_pin() succeeds and the pinned importer maps");
		else
			FAIL(n, "attach %s, map %s; want %s", errname(-a),
			     a ? "not tried" : errname(-m),
			     modes[i].want ? errname(modes[i].want) :
					     "both to succeed");
		imp(VPD_IMP_DETACH, NULL);
		close(fd);
	}
	refuse_late_pin(tname(name, "pin-after-map"), &d, bar, &s);
	map_overlapping(tname(name, "overlap-maps"), &d, bar);
	refuse_small_segs(tname(name, "seg-below-page"), &d, bar, &s);
	map_iova_exhausted(tname(name, "iova-exhausted"), &d, bar, &s);
	vdev_close_fds(&d);
	return 0;
}

/* ---------------------------------------------------------------- errno */

static void errno_line(const char *input, int ret)
{
	if (ret >= 0) {
		close(ret);
		ret = 0;
	}
	printf("%s %s\n", input, errname(-ret));
}

static int cmd_errno(const char *bdf, unsigned int bar, const char *io_bdf,
		     unsigned int io_bar)
{
	const uint32_t G = VFIO_DEVICE_FEATURE_GET;
	struct vfio_region_dma_range r[2] = { { 0, PAGE } };
	struct vfio_device_feature *hdr;
	struct vfio_device_feature_dma_buf *db;
	uint64_t size;
	unsigned int b;
	struct vdev d, io;
	char msg[256];
	uint8_t *pg;
	int fd;

	if (vdev_open(&d, bdf, msg, sizeof(msg))) {
		printf("open %s\n", msg);
		return 1;
	}
	fd = d.fd;
	size = d.reg[bar].size;

	errno_line("valid", dmabuf_req(fd, G, bar, 0, 1, r, 1));
	errno_line("probe", dmabuf_req(fd, VFIO_DEVICE_FEATURE_PROBE, bar, 0,
				       1, r, 1));
	errno_line("probe-get", dmabuf_req(fd, VFIO_DEVICE_FEATURE_PROBE | G,
					   bar, 0, 1, r, 1));
	errno_line("probe-set", dmabuf_req(fd, VFIO_DEVICE_FEATURE_PROBE |
					   VFIO_DEVICE_FEATURE_SET, bar, 0, 1,
					   r, 1));
	errno_line("set", dmabuf_req(fd, VFIO_DEVICE_FEATURE_SET, bar, 0, 1,
				     r, 1));
	errno_line("no-get-set-probe", dmabuf_req(fd, 0, bar, 0, 1, r, 1));
	errno_line("region-6-rom", dmabuf_req(fd, G, 6, 0, 1, r, 1));
	errno_line("region-7-config", dmabuf_req(fd, G, 7, 0, 1, r, 1));
	errno_line("region-100", dmabuf_req(fd, G, 100, 0, 1, r, 1));
	for (b = 0; b < 6 && d.reg[b].size; b++)
		;
	if (b < 6) {
		snprintf(msg, sizeof(msg), "unimplemented-bar");
		printf("# BAR%u of %s has size 0\n", b, bdf);
		errno_line(msg, dmabuf_req(fd, G, b, 0, 1, r, 1));
	}
	errno_line("nr-ranges-0", dmabuf_req(fd, G, bar, 0, 0, r, 1));
	errno_line("flags-1", dmabuf_req(fd, G, bar, 1, 1, r, 1));
	errno_line("flags-0x80000000", dmabuf_req(fd, G, bar, 0x80000000u, 1,
						  r, 1));
	r[0] = (struct vfio_region_dma_range){ 0x800, PAGE };
	errno_line("offset-unaligned", dmabuf_req(fd, G, bar, 0, 1, r, 1));
	r[0] = (struct vfio_region_dma_range){ 0, 0x800 };
	errno_line("length-unaligned", dmabuf_req(fd, G, bar, 0, 1, r, 1));
	r[0] = (struct vfio_region_dma_range){ 0, 0 };
	errno_line("length-0", dmabuf_req(fd, G, bar, 0, 1, r, 1));
	r[0] = (struct vfio_region_dma_range){ 0, PAGE };
	r[1] = (struct vfio_region_dma_range){ PAGE, 0 };
	errno_line("second-length-0", dmabuf_req(fd, G, bar, 0, 2, r, 2));
	r[0] = (struct vfio_region_dma_range){ size - PAGE, 2 * PAGE };
	errno_line("past-bar-end", dmabuf_req(fd, G, bar, 0, 1, r, 1));
	r[0] = (struct vfio_region_dma_range){ size, PAGE };
	errno_line("at-bar-end", dmabuf_req(fd, G, bar, 0, 1, r, 1));
	r[0] = (struct vfio_region_dma_range){ 0, size };
	errno_line("whole-bar", dmabuf_req(fd, G, bar, 0, 1, r, 1));
	r[0] = (struct vfio_region_dma_range){ -PAGE, PAGE };
	errno_line("offset-overflow", dmabuf_req(fd, G, bar, 0, 1, r, 1));
	r[0] = (struct vfio_region_dma_range){ 1ULL << 63, (1ULL << 63) - PAGE };
	errno_line("offset-plus-length-overflow",
		   dmabuf_req(fd, G, bar, 0, 1, r, 1));
	r[0] = (struct vfio_region_dma_range){ PAGE, -PAGE };
	errno_line("length-2^64-4k", dmabuf_req(fd, G, bar, 0, 1, r, 1));
	r[0] = (struct vfio_region_dma_range){ 0, 1ULL << 63 };
	r[1] = (struct vfio_region_dma_range){ 0, 1ULL << 63 };
	errno_line("sum-of-lengths-overflow",
		   dmabuf_req(fd, G, bar, 0, 2, r, 2));
	r[0] = (struct vfio_region_dma_range){ 0, PAGE };
	r[1] = (struct vfio_region_dma_range){ 0, PAGE };
	errno_line("same-range-twice", dmabuf_req(fd, G, bar, 0, 2, r, 2));

	/* argsz and unreadable memory, built by hand */
	pg = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pg == MAP_FAILED || mprotect(pg + PAGE, PAGE, PROT_NONE)) {
		printf("mmap %s\n", errname(errno));
		return 1;
	}
	/* header and dma_buf struct end at the unreadable page */
	hdr = (void *)(pg + PAGE - sizeof(*hdr) - sizeof(*db));
	db = (void *)hdr->data;
	hdr->argsz = sizeof(*hdr) + sizeof(*db) + sizeof(r[0]);
	hdr->flags = G | VFIO_DEVICE_FEATURE_DMA_BUF;
	db->region_index = bar;
	db->open_flags = O_CLOEXEC;
	db->flags = 0;
	db->nr_ranges = 1;
	fd = ioctl(d.fd, VFIO_DEVICE_FEATURE, hdr);
	errno_line("ranges-unreadable", fd < 0 ? -errno : fd);
	/* the header itself only partly readable */
	hdr = (void *)(pg + PAGE - sizeof(*hdr) - 8);
	hdr->argsz = sizeof(*hdr) + sizeof(*db) + sizeof(r[0]);
	hdr->flags = G | VFIO_DEVICE_FEATURE_DMA_BUF;
	fd = ioctl(d.fd, VFIO_DEVICE_FEATURE, hdr);
	errno_line("header-unreadable", fd < 0 ? -errno : fd);
	/* argsz shorter than the dma_buf header */
	hdr = (void *)pg;
	db = (void *)hdr->data;
	memset(pg, 0, PAGE);
	hdr->flags = G | VFIO_DEVICE_FEATURE_DMA_BUF;
	db->region_index = bar;
	db->open_flags = O_CLOEXEC;
	db->nr_ranges = 1;
	db->dma_ranges[0].length = PAGE;
	hdr->argsz = sizeof(*hdr) + sizeof(*db) - 1;
	fd = ioctl(d.fd, VFIO_DEVICE_FEATURE, hdr);
	errno_line("argsz-short-of-header", fd < 0 ? -errno : fd);
	/* argsz covering the header but not the ranges (read anyway) */
	hdr->argsz = sizeof(*hdr) + sizeof(*db);
	fd = ioctl(d.fd, VFIO_DEVICE_FEATURE, hdr);
	errno_line("argsz-without-ranges", fd < 0 ? -errno : fd);
	munmap(pg, 2 * PAGE);
	vdev_close_fds(&d);

	if (io_bdf) {
		if (vdev_open(&io, io_bdf, msg, sizeof(msg))) {
			printf("io-port-bar open-failed\n# %s\n", msg);
			return 1;
		}
		printf("# %s BAR%u: flags 0x%x size 0x%llx\n", io_bdf, io_bar,
		       io.reg[io_bar].flags,
		       (unsigned long long)io.reg[io_bar].size);
		r[0] = (struct vfio_region_dma_range){ 0, PAGE };
		errno_line("io-port-bar", dmabuf_req(io.fd, G, io_bar, 0, 1, r,
						     1));
		vdev_close_fds(&io);
	}
	return 0;
}

/* ---------------------------------------------------------------- fd flags */

/* open_flags reach the dma-buf fd: O_CLOEXEC as FD_CLOEXEC, the access mode. */
static int cmd_fdflags(const char *name, const char *bdf, unsigned int bar)
{
	static const struct {
		const char *name;
		uint32_t oflags;
	} cases[] = {
		{ "cloexec-rdwr", O_CLOEXEC | O_RDWR },
		{ "rdwr", O_RDWR },
		{ "cloexec-rdonly", O_CLOEXEC | O_RDONLY },
	};
	const struct vfio_region_dma_range r = { 0, PAGE };
	struct vdev d;
	char msg[256];
	unsigned int i;

	if (vdev_open(&d, bdf, msg, sizeof(msg))) {
		FAIL(name, "%s", msg);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *n = tname(name, cases[i].name);
		uint32_t of = cases[i].oflags;
		int fd, fdfl, fl;
		bool want_cloexec = of & O_CLOEXEC;

		fd = dmabuf_req_of(d.fd, VFIO_DEVICE_FEATURE_GET, bar, 0, of,
				   1, &r, 1);
		if (fd < 0) {
			FAIL(n, "VFIO_DEVICE_FEATURE_DMA_BUF: %s", errname(-fd));
			continue;
		}
		fdfl = fcntl(fd, F_GETFD);
		fl = fcntl(fd, F_GETFL);
		printf("# %s: open_flags 0%o: F_GETFD 0x%x F_GETFL 0%o\n", n,
		       of, fdfl, fl);
		if (fdfl < 0 || fl < 0)
			FAIL(n, "fcntl: %s", errname(errno));
		else if (!!(fdfl & FD_CLOEXEC) != want_cloexec)
			FAIL(n, "FD_CLOEXEC is %s, open_flags asked for it %s",
			     fdfl & FD_CLOEXEC ? "set" : "clear",
			     want_cloexec ? "set" : "clear");
		else if ((fl & O_ACCMODE) != (int)(of & O_ACCMODE))
			FAIL(n, "access mode 0%o, open_flags asked for 0%o",
			     fl & O_ACCMODE, of & O_ACCMODE);
		else
			PASS(n);
		close(fd);
	}
	vdev_close_fds(&d);
	return 0;
}

/* ---------------------------------------------------------------- dma-debug */

#define DMA_API_DIR	"/sys/kernel/debug/dma-api"

/* The BAR's CPU physical range, from sysfs; 0 or -errno. */
static int bar_phys(const char *bdf, unsigned int bar, uint64_t *start,
		    uint64_t *end)
{
	char path[PATH_MAX];
	unsigned long long a, b, f;
	unsigned int i;
	int ret = -ENOENT;
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	fp = fopen(path, "re");
	if (!fp)
		return -errno;
	for (i = 0; fscanf(fp, "%llx %llx %llx", &a, &b, &f) == 3; i++) {
		if (i == bar) {
			*start = a;
			*end = b;
			ret = a || b ? 0 : -ENOENT;
			break;
		}
	}
	fclose(fp);
	return ret;
}

/*
 * Live DMA-API debug entries of type "resource" (dma_map_resource()) whose
 * physical address lies in [start, end]: the exporter's mappings of the
 * BAR for the importer.  -errno if the dump cannot be read.
 */
static long bar_mappings(uint64_t start, uint64_t end)
{
	char line[512], type[32];
	unsigned long long p;
	long n = 0;
	FILE *fp = fopen(DMA_API_DIR "/dump", "re");

	if (!fp)
		return -errno;
	while (fgets(line, sizeof(line), fp)) {
		const char *pp = strstr(line, " P=");

		if (sscanf(line, "%*s %*s %31s", type) != 1 || !pp ||
		    sscanf(pp, " P=%llx", &p) != 1)
			continue;
		if (!strcmp(type, "resource") && p >= start && p <= end)
			n++;
	}
	fclose(fp);
	return n;
}

static long read_u32_file(const char *path)
{
	unsigned long v;
	FILE *fp = fopen(path, "re");
	int ok;

	if (!fp)
		return -errno;
	ok = fscanf(fp, "%lu", &v) == 1;
	fclose(fp);
	return ok ? (long)v : -EINVAL;
}

/* debugfs bool "disabled": Y once the checker gave up (out of entries). */
static long dma_api_errors(void)
{
	return read_u32_file(DMA_API_DIR "/error_count");
}

static bool dma_api_disabled(void)
{
	FILE *fp = fopen(DMA_API_DIR "/disabled", "re");
	int c = fp ? fgetc(fp) : EOF;

	if (fp)
		fclose(fp);
	return c != 'N';
}

/* Expect @want live mappings of the BAR (-1: at least one); 0 or -1. */
static int expect_mappings(const char *what, uint64_t start, uint64_t end,
			   long want, char *msg, size_t len)
{
	long n = bar_mappings(start, end);

	printf("# %s: %ld DMA-API resource mapping(s) of the BAR\n", what, n);
	if (n < 0) {
		snprintf(msg, len, "%s: reading " DMA_API_DIR "/dump: %s", what,
			 errname(-n));
		return -1;
	}
	if (want < 0 ? n > 0 : n == want)
		return 0;
	snprintf(msg, len, "%s: %ld live mapping(s) of the BAR, want %s%ld",
		 what, n, want < 0 ? "at least " : "", want < 0 ? 1 : want);
	return -1;
}

/*
 * With CONFIG_DMA_API_DEBUG: every map creates exactly one dma_map_resource
 * entry per range for the importer's device, and unmap, revoke and close
 * remove exactly those; the DMA-API checker finds no error (an unmap of a
 * different size, direction or address than the map would be one).
 */
static int cmd_dma_debug(const char *name, const char *bdf, unsigned int bar)
{
	const struct slice s = { 3, { { 0x1000, 0x1000 }, { 0x10000, 0x2000 },
				      { 0x40000, 0x1000 } } };
	uint64_t start = 0, end = 0;
	long err0, err1;
	struct setup t;
	char msg[400] = "";
	int ret;

	if (access(DMA_API_DIR "/dump", R_OK)) {
		SKIP(name, "no " DMA_API_DIR "/dump: kernel without CONFIG_DMA_API_DEBUG");
		return 0;
	}
	if (dma_api_disabled()) {
		FAIL(name, "the DMA-API checker disabled itself (out of entries?)");
		return 0;
	}
	ret = bar_phys(bdf, bar, &start, &end);
	if (ret) {
		FAIL(name, "%s BAR%u resource: %s", bdf, bar, errname(-ret));
		return 0;
	}
	err0 = read_u32_file(DMA_API_DIR "/error_count");
	if (expect_mappings("before", start, end, 0, msg, sizeof(msg)) ||
	    setup(&t, bdf, bar, &s, true, msg, sizeof(msg)) ||
	    expect_mappings("mapped", start, end, s.nr, msg, sizeof(msg)))
		goto fail;
	ret = imp(VPD_IMP_UNMAP, NULL);
	if (ret) {
		snprintf(msg, sizeof(msg), "unmap: %s", errname(-ret));
		goto fail;
	}
	if (expect_mappings("unmapped", start, end, 0, msg, sizeof(msg)))
		goto fail;
	ret = imp_map(NULL);
	if (ret) {
		snprintf(msg, sizeof(msg), "map again: %s", errname(-ret));
		goto fail;
	}
	if (expect_mappings("mapped again", start, end, s.nr, msg,
			    sizeof(msg)))
		goto fail;
	ret = set_decode(&t.d, false);
	if (ret) {
		snprintf(msg, sizeof(msg), "decode off: %s", errname(-ret));
		goto fail;
	}
	ret = expect_mappings("revoked by decode off", start, end, 0, msg,
			      sizeof(msg));
	if (set_decode(&t.d, true) || ret)
		goto fail;
	ret = imp_map(NULL);
	if (ret) {
		snprintf(msg, sizeof(msg), "map after decode on: %s",
			 errname(-ret));
		goto fail;
	}
	if (expect_mappings("mapped after decode on", start, end, s.nr, msg,
			    sizeof(msg)))
		goto fail;
	vdev_unmap(&t.d);
	close(t.d.fd);
	t.d.fd = -1;
	if (expect_mappings("device closed", start, end, 0, msg, sizeof(msg)))
		goto fail;
	teardown(&t);
	err1 = read_u32_file(DMA_API_DIR "/error_count");
	if (err1 != err0)
		FAIL(name, "DMA-API error_count %ld -> %ld (see the kernel log)",
		     err0, err1);
	else
		PASS(name);
	return 0;
fail:
	FAIL(name, "%s", msg);
	teardown(&t);
	return 0;
}

/* ---------------------------------------------------------------- many */

static int count_fds(void)
{
	DIR *dp = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!dp)
		return -1;
	while ((e = readdir(dp)))
		if (e->d_name[0] != '.')
			n++;
	closedir(dp);
	return n - 1;	/* the directory's own fd */
}

/* "Total N objects" of debugfs' dma_buf/bufinfo, -1 if unreadable. */
static long dmabuf_objects(void)
{
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	char line[512];
	long n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		sscanf(line, "Total %ld objects", &n);
	fclose(f);
	return n;
}

static int cmd_many(const char *name, const char *bdf, unsigned int bar,
		    unsigned int count)
{
	static const char *const orders[] = {
		"dmabufs-first", "device-first", "interleaved",
	};
	struct rlimit rl = { count + 256, count + 256 };
	int base = count_fds(), *fds;
	long objs = dmabuf_objects();
	unsigned int o, i, made;
	struct vdev d;
	char msg[256];

	setrlimit(RLIMIT_NOFILE, &rl);
	fds = calloc(count, sizeof(*fds));
	if (!fds)
		return 1;
	for (o = 0; o < ARRAY_SIZE(orders); o++) {
		const char *n = tname(name, orders[o]);
		uint64_t pages;
		long objs_live;
		int left;

		if (vdev_open(&d, bdf, msg, sizeof(msg))) {
			FAIL(n, "%s", msg);
			continue;
		}
		pages = d.reg[bar].size / PAGE;
		for (made = 0; made < count; made++) {
			struct vfio_region_dma_range r = {
				(made % pages) * PAGE, PAGE
			};

			fds[made] = dmabuf_get(&d, bar, &r, 1);
			if (fds[made] < 0)
				break;
		}
		objs_live = dmabuf_objects();
		if (made < count) {
			FAIL(n, "dma-buf %u of %u: %s", made + 1, count,
			     errname(-fds[made]));
		}
		switch (o) {
		case 0:
			for (i = 0; i < made; i++)
				close(fds[i]);
			vdev_close_fds(&d);
			break;
		case 1:
			vdev_close_fds(&d);
			for (i = 0; i < made; i++)
				close(fds[i]);
			break;
		default:
			for (i = 0; i < made; i += 2)
				close(fds[i]);
			vdev_close_fds(&d);
			for (i = 1; i < made; i += 2)
				close(fds[i]);
			break;
		}
		left = count_fds();
		printf("# %s: %u dma-bufs; fds %d before, %d after; bufinfo objects %ld before, %ld live, %ld after\n",
		       n, made, base, left, objs, objs_live, dmabuf_objects());
		if (made < count)
			continue;
		if (left != base)
			FAIL(n, "%d fds open after closing everything, %d before",
			     left, base);
		else if (objs >= 0 && dmabuf_objects() != objs)
			FAIL(n, "debugfs dma_buf/bufinfo counts %ld dma-bufs after closing everything, %ld before",
			     dmabuf_objects(), objs);
		else
			PASS(n);
	}
	free(fds);
	return 0;
}

/* ---------------------------------------------------------------- unplug */

/* An eventfd signalled when the kernel asks for the device back. */
static int req_eventfd(struct vdev *d)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} irq = {
		.set = {
			.argsz = sizeof(irq),
			.flags = VFIO_IRQ_SET_DATA_EVENTFD |
				 VFIO_IRQ_SET_ACTION_TRIGGER,
			.index = VFIO_PCI_REQ_IRQ_INDEX,
			.count = 1,
		},
	};

	irq.fd = eventfd(0, EFD_CLOEXEC);
	if (irq.fd < 0)
		return -errno;
	if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, &irq) < 0) {
		int err = -errno;

		close(irq.fd);
		return err;
	}
	return irq.fd;
}

/*
 * vfio asks for the device back (its request eventfd fired): removal has
 * begun, so the importer must be revoked already, before userspace lets go.
 */
static void request_revoked(const char *name, const char *what)
{
	struct vpd_imp_status st;

	imp_status(&st);
	if (!st.mapped && st.invalidations)
		PASS(name);
	else if (stock)
		SKIP(name, "the in-tree exporter revokes when the device is closed, not when %s begins (importer mapped: %u)",
		     what, st.mapped);
	else
		FAIL(name, "importer still mapped when vfio asked for the device back for %s (%llu revoke callbacks)",
		     what, (unsigned long long)st.invalidations);
}

static bool device_gone(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	return access(path, F_OK) < 0;
}

static int cmd_unplug(const char *name, const char *bdf, unsigned int bar)
{
	const struct slice s = { 1, { { 0, PAGE } } };
	struct vpd_imp_status st;
	struct pollfd pfd;
	struct setup t;
	char msg[256];
	long limit;
	int ret;

	if (setup(&t, bdf, bar, &s, true, msg, sizeof(msg))) {
		FAIL(name, "%s", msg);
		teardown(&t);
		return 1;
	}
	pfd.fd = req_eventfd(&t.d);
	pfd.events = POLLIN;
	if (pfd.fd < 0) {
		FAIL(name, "request eventfd: %s", errname(-pfd.fd));
		teardown(&t);
		return 1;
	}
	printf("VMTEST: INFO unplug-ready\n");
	fflush(stdout);

	/* The host's device_del reaches the guest as a hotplug event. */
	if (poll(&pfd, 1, 120 * 1000) != 1) {
		FAIL(name, "no device request within 120 s of unplug-ready");
		teardown(&t);
		return 1;
	}
	request_revoked(tname(name, "before-close"), "the unplug");
	/* Give the device back, keep the dma-buf. */
	vdev_close_fds(&t.d);
	close(pfd.fd);

	limit = now_ms() + 60 * 1000;
	while (!device_gone(bdf) && now_ms() < limit)
		nap_ms(50);
	if (!device_gone(bdf)) {
		FAIL(name, "%s still present 60 s after its fd was closed", bdf);
		teardown(&t);
		return 1;
	}

	ret = imp_map(NULL);
	imp_status(&st);
	if (st.mapped || st.invalidations < 1)
		FAIL(name, "importer not revoked by the unplug (mapped %u, %llu invalidations)",
		     st.mapped, (unsigned long long)st.invalidations);
	else if (ret != -ENODEV)
		FAIL(name, "map after unplug: %s, expected ENODEV",
		     errname(-ret));
	else
		PASS(name);
	teardown(&t);
	return 0;
}

/* ---------------------------------------------------------------- aer */

/* The physical command register, as the PCI core reads it (sysfs). */
static int phys_command(const char *bdf, uint16_t *cmd)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, cmd, sizeof(*cmd), PCI_COMMAND) != sizeof(*cmd))
		ret = -EIO;
	close(fd);
	return ret;
}

/* A socket for the kernel's uevents. */
static int uevent_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
		    NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* The PCI core's error-recovery uevents of a device (ERROR_EVENT=...). */
enum ers_event { ERS_NONE, ERS_BEGIN, ERS_RECOVERED, ERS_FAILED };

static enum ers_event ers_event_of(const char *buf, size_t n, const char *dev)
{
	enum ers_event ev = ERS_NONE;
	bool ours = false;
	const char *p;

	/* "ACTION@DEVPATH\0KEY=VALUE\0...": one string at a time. */
	for (p = buf; p < buf + n; p += strlen(p) + 1) {
		size_t l = strlen(p);

		if (!strncmp(p, "DEVPATH=", 8) && l >= strlen(dev) &&
		    !strcmp(p + l - strlen(dev), dev))
			ours = true;
		else if (!strcmp(p, "ERROR_EVENT=BEGIN_RECOVERY"))
			ev = ERS_BEGIN;
		else if (!strcmp(p, "ERROR_EVENT=SUCCESSFUL_RECOVERY"))
			ev = ERS_RECOVERED;
		else if (!strcmp(p, "ERROR_EVENT=FAILED_RECOVERY"))
			ev = ERS_FAILED;
	}
	return ours ? ev : ERS_NONE;
}

/* The next recovery uevent of @bdf within @ms; ERS_NONE on timeout. */
static enum ers_event wait_ers_event(int ufd, const char *bdf, long ms)
{
	long limit = now_ms() + ms;
	char buf[4096], dev[64];

	snprintf(dev, sizeof(dev), "/%s", bdf);
	while (now_ms() < limit) {
		struct pollfd pfd = { .fd = ufd, .events = POLLIN };
		enum ers_event ev;
		ssize_t n;

		if (poll(&pfd, 1, limit - now_ms()) != 1)
			break;
		n = recv(ufd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		ev = ers_event_of(buf, n, dev);
		if (ev != ERS_NONE)
			return ev;
	}
	return ERS_NONE;
}

/*
 * The PCI core has called the driver's error_detected (it says so with a
 * uevent right after): the importer must be revoked already, before the
 * link reset.  It stays revoked through the recovery while the function
 * does not decode its BARs, and it is usable again once userspace writes
 * the command register (vfio restores the BARs on that write).
 */
static void aer_after_detected(const char *name, struct setup *t,
			       const char *bdf, int ufd,
			       const struct vpd_imp_status *s0)
{
	struct vpd_imp_status s1;
	char msg[400] = "";
	uint16_t cmd, phys;
	enum ers_event ev;
	int ret;

	imp_status(&s1);
	if (!s1.mapped && s1.invalidations > s0->invalidations)
		PASS(tname(name, "revoked-at-detection"));
	else if (stock)
		SKIP(tname(name, "revoked-at-detection"),
		     "the in-tree exporter does not revoke on errors (importer mapped: %u)",
		     s1.mapped);
	else
		FAIL(tname(name, "revoked-at-detection"),
		     "importer still mapped after error_detected (%llu revoke callbacks)",
		     (unsigned long long)s1.invalidations);

	ev = wait_ers_event(ufd, bdf, 60 * 1000);
	if (ev != ERS_RECOVERED) {
		FAIL(name, "%s", ev == ERS_NONE ? "no end of recovery within 60 s" :
				 "the PCI core could not recover the link");
		return;
	}
	ret = phys_command(bdf, &phys);
	if (ret) {
		FAIL(name, "reading the command register: %s", errname(-ret));
		return;
	}
	if (phys & PCI_COMMAND_MEMORY)
		SKIP(tname(name, "recovered-no-decode"),
		     "the recovery left memory decode on (command %#x): nothing to keep revoked",
		     phys);
	else if (expect_revoked("after the recovery, decode off", msg, sizeof(msg)))
		FAIL(tname(name, "recovered-no-decode"), "%s", msg);
	else
		PASS(tname(name, "recovered-no-decode"));

	/* What a VMM does after the error: write the command register back. */
	if (cfg_rd(&t->d, PCI_COMMAND, &cmd, sizeof(cmd))) {
		FAIL(name, "reading the command register through VFIO");
		return;
	}
	cmd |= PCI_COMMAND_MEMORY;
	if (cfg_wr(&t->d, PCI_COMMAND, &cmd, sizeof(cmd)) ||
	    phys_command(bdf, &phys) || !(phys & PCI_COMMAND_MEMORY)) {
		FAIL(name, "restoring the command register: decode still off");
		return;
	}
	revoked_then_usable(tname(name, "restored"), "the error", t, s0, &s1);
}

/*
 * The host injects an uncorrectable (fatal) error into the root port above
 * the device once the guest says "aer-ready"; the PCI core's recovery then
 * resets the link behind vfio's back.  (vfio's error eventfd exists for
 * PCIe functions only: the uevents serve every function.)
 */
static int cmd_aer(const char *name, const char *bdf, unsigned int bar)
{
	const struct slice s = { 1, { { 0, 4 * PAGE } } };
	struct vpd_imp_status s0;
	struct setup t;
	enum ers_event ev;
	int ufd;

	if (setup_written(&t, name, bdf, bar, &s)) {
		teardown(&t);
		return 1;
	}
	ufd = uevent_socket();
	if (ufd < 0) {
		FAIL(name, "uevent socket: %s", errname(-ufd));
		teardown(&t);
		return 1;
	}
	imp_status(&s0);
	printf("VMTEST: INFO aer-ready\n");
	fflush(stdout);

	ev = wait_ers_event(ufd, bdf, 120 * 1000);
	if (ev == ERS_BEGIN)
		aer_after_detected(name, &t, bdf, ufd, &s0);
	else
		FAIL(name, "%s", ev == ERS_NONE ?
		     "no error recovery began within 120 s of aer-ready" :
		     "recovery ended before it began");
	close(ufd);
	teardown(&t);
	return 0;
}

/* ---------------------------------------------------------------- no route */

static int cmd_no_route(const char *name, const char *bdf, unsigned int bar)
{
	const struct slice s = { 1, { { 0, PAGE } } };
	struct setup t;
	char msg[256];
	int ret;

	if (setup(&t, bdf, bar, &s, false, msg, sizeof(msg))) {
		FAIL(name, "%s", msg);
		teardown(&t);
		return 0;
	}
	ret = imp_map(NULL);
	printf("# %s: map %s\n", name, errname(-ret));
	if (ret == -EINVAL)
		PASS(name);
	else
		FAIL(name, "map %s, want EINVAL: no P2P route to the BAR",
		     errname(-ret));
	teardown(&t);
	return 0;
}

/*
 * Unbind while the device is still open: the exporter's remove must revoke
 * before vfio waits for userspace, and the unbind completes once the fds
 * are closed.
 */
static int cmd_unbind_open(const char *name, const char *bdf,
			   unsigned int bar)
{
	const struct slice s = { 1, { { 0x80000, 0x2000 } } };
	struct pollfd pfd = { .fd = -1, .events = POLLIN };
	struct setup t;
	char msg[400] = "";
	pid_t upid = 0;
	int ret;

	if (setup_written(&t, name, bdf, bar, &s))
		goto out;
	pfd.fd = req_eventfd(&t.d);
	if (pfd.fd < 0) {
		FAIL(name, "request eventfd: %s", errname(-pfd.fd));
		goto out;
	}
	/* A child's copy of the BAR mapping would hold the device open too. */
	vdev_unmap(&t.d);
	upid = unbind_start(bdf);
	if (upid < 0) {
		FAIL(name, "fork: %s", errname(-upid));
		upid = 0;
		goto out;
	}
	if (poll(&pfd, 1, WAIT_MS) != 1) {
		FAIL(name, "no device request within %d ms of the unbind",
		     WAIT_MS);
		goto out;
	}
	request_revoked(tname(name, "before-close"), "the unbind");
	vdev_close_fds(&t.d);
	ret = unbind_wait(&upid);
	if (ret) {
		FAIL(name, "unbind after the fds were closed: %s",
		     errname(-ret));
		goto out;
	}
	if (expect_revoked("after unbind", msg, sizeof(msg))) {
		FAIL(name, "%s", msg);
		goto out;
	}
	PASS(name);
out:
	if (pfd.fd >= 0)
		close(pfd.fd);
	teardown(&t);
	if (upid > 0 && unbind_wait(&upid))
		printf("# %s: unbind still blocked after everything was closed\n",
		       name);
	return 0;
}

/* ---------------------------------------------------------------- hostile sizes */

#define TAINT_WARN	(1L << 9)	/* "W": the kernel warned */

static long tainted(void)
{
	return read_u32_file("/proc/sys/kernel/tainted");
}

/* The dma-buf fd cannot be installed: EMFILE, and no dma-buf is left. */
static void sizes_emfile(const char *name, struct vdev *d, unsigned int bar)
{
	const struct vfio_region_dma_range r = { 0, PAGE };
	struct rlimit old, lim;
	long before = dmabuf_objects(), after;
	int low = dup(0), fd;

	if (low < 0 || getrlimit(RLIMIT_NOFILE, &old)) {
		FAIL(name, "dup/getrlimit: %s", errname(errno));
		return;
	}
	close(low);
	lim = old;
	lim.rlim_cur = low;	/* no free fd below the limit */
	if (setrlimit(RLIMIT_NOFILE, &lim)) {
		FAIL(name, "setrlimit: %s", errname(errno));
		return;
	}
	fd = dmabuf_get(d, bar, &r, 1);
	setrlimit(RLIMIT_NOFILE, &old);
	after = dmabuf_objects();
	if (fd >= 0) {
		close(fd);
		FAIL(name, "a dma-buf fd (%d) above RLIMIT_NOFILE %d", fd, low);
	} else if (fd != -EMFILE) {
		FAIL(name, "%s, want EMFILE", errname(-fd));
	} else if (before >= 0 && after != before) {
		FAIL(name, "dma-buf objects %ld before, %ld after the refused export",
		     before, after);
	} else {
		PASS(name);
	}
}

/*
 * nr_ranges around the allocators' limits (4 MiB of ranges for kmalloc):
 * each request gets a dma-buf or ENOMEM, and the kernel never warns.
 */
static int cmd_sizes(const char *name, const char *bdf, unsigned int bar)
{
	static const uint32_t nrs[] = {
		1, 174762, 174763, 262138, 262139, 262140, 262143, 262144,
		262145, 300000, 1U << 20, UINT32_MAX,
	};
	const uint32_t max_copy = 262146;
	struct vdev d;
	char msg[256];
	long t0, t1;
	unsigned int i;
	bool bad = false;

	if (vdev_open(&d, bdf, msg, sizeof(msg))) {
		FAIL(name, "%s", msg);
		return 0;
	}
	t0 = tainted();
	for (i = 0; i < ARRAY_SIZE(nrs); i++) {
		uint32_t copy = nrs[i] < max_copy ? nrs[i] : max_copy;
		int fd = dmabuf_get_many(d.fd, bar, nrs[i], copy, 0, PAGE,
					 PAGE);

		printf("# %s: nr_ranges %u: %s\n", name, nrs[i],
		       fd >= 0 ? "a dma-buf" : errname(-fd));
		if (fd >= 0) {
			close(fd);
		} else if (fd != -ENOMEM) {
			FAIL(tname(name, "nr-ranges"), "nr_ranges %u: %s, want a dma-buf or ENOMEM",
			     nrs[i], errname(-fd));
			bad = true;
		}
	}
	if (!bad)
		PASS(tname(name, "nr-ranges"));
	t1 = tainted();
	if (t0 < 0 || t1 < 0)
		FAIL(tname(name, "no-warn"), "cannot read /proc/sys/kernel/tainted");
	else if (t0 & TAINT_WARN)
		SKIP(tname(name, "no-warn"), "the kernel had warned before the sweep (taint %ld): see the console", t0);
	else if (t1 & TAINT_WARN)
		FAIL(tname(name, "no-warn"), "the kernel warned during the sweep (taint %ld -> %ld): see the console",
		     t0, t1);
	else
		PASS(tname(name, "no-warn"));
	sizes_emfile(tname(name, "emfile"), &d, bar);
	vdev_close_fds(&d);
	return 0;
}

/*
 * A BAR of 2 GiB and an importer with a 64-bit DMA mask: 131072 ranges
 * covering the whole BAR plus one of 64 KiB need 2^32 + 1 segments of
 * 64 KiB; the map must be refused cleanly.  The whole BAR as one range
 * (32768 segments) maps, and DMA lands at its end.
 */
static int cmd_bigbar(const char *name, const char *bdf, unsigned int bar)
{
	const char *n_many = tname(name, "too-many-segments");
	const char *n_whole = tname(name, "whole-bar");
	struct vpd_imp_map m;
	struct slice s = { 1, { { 0, 0 } } };
	struct setup t = { .dbfd = -1, .d = { .fd = -1, .group = -1, .container = -1 } };
	struct vdev d;
	char msg[400] = "";
	uint64_t size;
	int fd, a, ret;

	if (vdev_open(&d, bdf, msg, sizeof(msg))) {
		FAIL(name, "%s", msg);
		return 0;
	}
	size = d.reg[bar].size;
	if (size < (1ULL << 31)) {
		FAIL(name, "BAR%u is 0x%llx bytes: this test needs a 2 GiB BAR",
		     bar, (unsigned long long)size);
		vdev_close_fds(&d);
		return 0;
	}
	fd = dmabuf_get_many(d.fd, bar, 131073, 131073, 0, size, 0x10000);
	if (fd < 0) {
		FAIL(n_many, "export of 131073 ranges: %s", errname(-fd));
	} else {
		a = imp_attach(fd, VPD_IMP_DYNAMIC);
		ret = a ? 0 : imp_map(&m);
		printf("# %s: attach %s, map %s\n", n_many, errname(-a),
		       a ? "-" : errname(-ret));
		if (a)
			FAIL(n_many, "attach: %s", errname(-a));
		else if (ret == -EINVAL)
			PASS(n_many);
		else
			FAIL(n_many, "map %s (%u segments), want EINVAL: more segments than the exporter's bound",
			     errname(-ret), ret ? 0 : m.nents);
		imp(VPD_IMP_DETACH, NULL);
		close(fd);
	}
	vdev_close_fds(&d);

	s.r[0].length = size;
	if (setup(&t, bdf, bar, &s, false, msg, sizeof(msg))) {
		FAIL(n_whole, "%s", msg);
		goto out;
	}
	ret = imp_map(&m);
	if (ret) {
		FAIL(n_whole, "map of the whole BAR: %s", errname(-ret));
		goto out;
	}
	printf("# %s: %u segments, at most %u bytes each\n", n_whole, m.nents,
	       m.max_seg_size);
	if (write_check(&t.d, &t.s, size - 0x1000, 0x400, msg, sizeof(msg)))
		FAIL(n_whole, "%s", msg);
	else
		PASS(n_whole);
out:
	teardown(&t);
	return 0;
}

/*
 * A late importer: it unmaps unmap_delay_ms after the revoke callback.
 * The revocation (here: of a VFIO_DEVICE_RESET) still returns only once the
 * importer has unmapped, and while it waits the kernel log names the
 * importer that is late.
 */
/* /dev/kmsg, read from the next record on (kmsg_has()): an fd or -errno. */
static int kmsg_from_now(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static bool kmsg_has(int kfd, const char *a, const char *b)
{
	char rec[1024];
	bool seen = false;
	ssize_t n;

	while ((n = read(kfd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = '\0';
		if (strstr(rec, a) && strstr(rec, b))
			seen = true;
	}
	return seen;
}

/* The exporter's revoke_warn_sec, in the module DMABUF_TEST_MODULE names. */
static const char *revoke_warn_param(void)
{
	static char path[128];
	const char *mod = getenv("DMABUF_TEST_MODULE");

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/revoke_warn_sec",
		 mod && *mod ? mod : "vfio_pci_dmabuf");
	return path;
}

static int cmd_late_unmap(const char *name, const char *bdf, unsigned int bar)
{
	const char *warn_p = revoke_warn_param();
	static const char delay_p[] =
		"/sys/module/vpd_edu_importer/parameters/unmap_delay_ms";
	const struct slice s = { 1, { { 0x80000, 0x2000 } } };
	struct vpd_imp_status s0, s1;
	struct setup t;
	char msg[400] = "";
	long t0, took;
	int kfd = -1, ret;

	if (stock) {
		SKIP(name, "the in-tree exporter has no revoke_warn_sec: it waits for a late importer without naming it");
		return 0;
	}
	if (setup(&t, bdf, bar, &s, true, msg, sizeof(msg))) {
		FAIL(name, "before: %s", msg);
		goto out;
	}
	kfd = kmsg_from_now();
	if (kfd < 0) {
		FAIL(name, "/dev/kmsg: %s", errname(-kfd));
		goto out;
	}
	if (write_file(warn_p, "1") || write_file(delay_p, "3000")) {
		FAIL(name, "cannot set %s and %s", warn_p, delay_p);
		goto out;
	}
	imp_status(&s0);
	t0 = now_ms();
	ret = ioctl(t.d.fd, VFIO_DEVICE_RESET) < 0 ? -errno : 0;
	took = now_ms() - t0;
	imp_status(&s1);
	write_file(delay_p, "0");
	write_file(warn_p, "10");
	printf("# %s: reset took %ld ms, unmaps %llu -> %llu\n", name, took,
	       (unsigned long long)s0.unmaps, (unsigned long long)s1.unmaps);
	if (ret) {
		FAIL(name, "VFIO_DEVICE_RESET: %s", errname(-ret));
	} else if (s1.mapped || s1.unmaps <= s0.unmaps) {
		FAIL(name, "the reset returned before the late importer unmapped (mapped %u)",
		     s1.mapped);
	} else if (!kmsg_has(kfd, "vpd-edu-importer", "still has not unmapped")) {
		FAIL(name, "no log line named the late importer during the %ld ms wait",
		     took);
	} else if ((ret = imp_map(NULL)) ||
		   write_check(&t.d, &t.s, 0x1000, 0x400, msg, sizeof(msg))) {
		FAIL(name, "after the reset: %s", ret ? errname(-ret) : msg);
	} else {
		PASS(name);
	}
out:
	if (kfd >= 0)
		close(kfd);
	teardown(&t);
	return 0;
}

/*
 * An importer whose queued work (a fence on the dma-buf, signalled 3 s
 * later) is still running when the BAR goes away: the reset must return
 * only after the fence signalled, and the log names the dma-buf meanwhile.
 */
static int cmd_late_fence(const char *name, const char *bdf, unsigned int bar)
{
	const char *warn_p = revoke_warn_param();
	const struct vpd_imp_fence_req fence = { .delay_ms = 3000 };
	const struct slice s = { 1, { { 0x80000, 0x2000 } } };
	struct vpd_imp_status st;
	struct setup t;
	char msg[400] = "", want[64];
	long t0, took;
	int kfd = -1, ret;

	if (setup(&t, bdf, bar, &s, true, msg, sizeof(msg))) {
		FAIL(name, "before: %s", msg);
		goto out;
	}
	kfd = kmsg_from_now();
	if (kfd < 0) {
		FAIL(name, "/dev/kmsg: %s", errname(-kfd));
		goto out;
	}
	if (!stock && write_file(warn_p, "1")) {
		FAIL(name, "cannot set %s", warn_p);
		goto out;
	}
	ret = imp(VPD_IMP_FENCE, (void *)&fence);
	if (ret) {
		FAIL(name, "VPD_IMP_FENCE: %s", errname(-ret));
		goto out;
	}
	t0 = now_ms();
	ret = ioctl(t.d.fd, VFIO_DEVICE_RESET) < 0 ? -errno : 0;
	took = now_ms() - t0;
	imp_status(&st);
	if (!stock)
		write_file(warn_p, "10");
	printf("# %s: reset took %ld ms, fences pending after it: %u\n", name,
	       took, st.fences_pending);
	snprintf(want, sizeof(want), "vfio-pci-dmabuf:%s", bdf);
	if (ret) {
		FAIL(name, "VFIO_DEVICE_RESET: %s", errname(-ret));
	} else if (st.fences_pending) {
		FAIL(name, "the reset returned before the importer's fence signalled");
	} else if (!stock && !kmsg_has(kfd, want, "for importers' fences")) {
		FAIL(name, "no log line named %s during the %ld ms wait", want,
		     took);
	} else if ((ret = imp_map(NULL)) ||
		   write_check(&t.d, &t.s, 0x1000, 0x400, msg, sizeof(msg))) {
		FAIL(name, "after the reset: %s", ret ? errname(-ret) : msg);
	} else if (stock) {
		SKIP(name, "the in-tree exporter waited for the fence, but it has no revoke_warn_sec to name it");
	} else {
		PASS(name);
	}
out:
	if (kfd >= 0)
		close(kfd);
	teardown(&t);
	return 0;
}

/* ---------------------------------------------------------------- topology */

/*
 * A bus reset that reaches the exporter through a sibling: SIB_BDF, a
 * function of the same slot bound to another vfio driver (same IOMMU group,
 * same dev_set), is hot-reset through its own device fd.  The PCI core
 * calls the exporter's reset_prepare/reset_done around it: the importer
 * must be revoked, and may map again afterwards.
 */
static int cmd_sibling_reset(const char *name, const char *bdf,
			     unsigned int bar, const char *sib_bdf)
{
	const struct slice s = { 1, { { 0x80000, 0x2000 } } };
	bool skip_ev = !strcmp(sabotage, "skip-revoke");
	struct vpd_imp_status s0, s1;
	struct vdev sib = { .fd = -1 };
	struct setup t;
	char msg[400] = "";
	int ret;

	if (setup_written(&t, name, bdf, bar, &s))
		goto out;
	/* The sibling shares the group: its fd comes from the same group fd. */
	snprintf(sib.bdf, sizeof(sib.bdf), "%s", sib_bdf);
	sib.group = t.d.group;
	sib.fd = ioctl(t.d.group, VFIO_GROUP_GET_DEVICE_FD, sib_bdf);
	if (sib.fd < 0) {
		FAIL(name, "VFIO_GROUP_GET_DEVICE_FD(%s) on %s's group: %s",
		     sib_bdf, bdf, errname(errno));
		goto out;
	}
	imp_status(&s0);
	ret = skip_ev ? 0 : hot_reset(&sib, msg, sizeof(msg));
	if (ret) {
		FAIL(name, "hot reset through %s: %s", sib_bdf, msg);
		goto out;
	}
	imp_status(&s1);
	snprintf(msg, sizeof(msg), "the hot reset of sibling %s", sib_bdf);
	revoked_then_usable(name, msg, &t, &s0, &s1);
out:
	if (sib.fd >= 0)
		close(sib.fd);
	teardown(&t);
	return 0;
}

/*
 * A dma-buf that outlives its device: export and map, close every VFIO fd
 * but keep the dma-buf, unbind the function and leave it without a driver.
 * vfio must forget it as without a dma-buf: a hot reset through the
 * sibling (which would reset the unowned function too) is refused with
 * EINVAL.  The dma-buf stays revoked and releases cleanly.
 */
/* A sysfs attribute of @bdf into @buf (newline stripped); -errno. */
static int read_dev_attr(const char *bdf, const char *attr, char *buf,
			 size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * Bind @bdf to pci-stub, a host driver that the IOMMU core lets in beside
 * VFIO (it does no DMA), remembering its driver_override in @old: 0 once
 * bound, -ENOENT without pci-stub, else -errno.
 */
static int bind_pci_stub(const char *bdf, char *old, size_t len)
{
	char path[PATH_MAX];

	if (access("/sys/bus/pci/drivers/pci-stub", F_OK))
		return -ENOENT;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	if (read_dev_attr(bdf, "driver_override", old, len) ||
	    write_file(path, "pci-stub"))
		return -EIO;
	/* drivers_probe succeeds whether or not a driver took the device. */
	write_file("/sys/bus/pci/drivers_probe", bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	return access(path, F_OK) ? -ENODEV : 0;
}

static void unbind_pci_stub(const char *bdf, const char *old)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/pci-stub/unbind");
	write_file(path, bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	write_file(path, strcmp(old, "(null)") ? old : "\n");
}

/*
 * The function, unbound under its dma-buf, now belongs to a host driver:
 * the sibling's hot reset must still be refused, so the reset never
 * reaches a function another driver owns.
 */
static void host_driver_not_reset(const char *name, const char *bdf,
				  struct vdev *sib)
{
	char old[64] = "", msg[400] = "";
	int ret = bind_pci_stub(bdf, old, sizeof(old));

	if (ret == -ENOENT) {
		SKIP(name, "pci-stub is not loaded");
		return;
	}
	if (ret) {
		FAIL(name, "binding %s to pci-stub: %s", bdf, errname(-ret));
	} else {
		ret = hot_reset(sib, msg, sizeof(msg));
		if (ret == -EINVAL)
			PASS(name);
		else
			FAIL(name, "hot reset through %s with %s bound to pci-stub: %s; want EINVAL",
			     sib->bdf, bdf, ret ? msg : "done");
	}
	unbind_pci_stub(bdf, old);
}

static int cmd_orphan(const char *name, const char *bdf, unsigned int bar,
		      const char *sib_bdf)
{
	const struct slice s = { 1, { { 0x80000, 0x2000 } } };
	const char *n_reset = tname(name, "sibling-hot-reset");
	struct vdev sib = { .fd = -1, .group = -1, .container = -1 };
	struct setup t;
	char msg[400] = "";
	pid_t upid = 0;
	int ret;

	if (setup_written(&t, name, bdf, bar, &s))
		goto out;
	vdev_close_fds(&t.d);
	if (expect_revoked("after close", msg, sizeof(msg))) {
		FAIL(name, "%s", msg);
		goto out;
	}
	ret = unbind_bounded(bdf, &upid);
	if (ret) {
		FAIL(name, "unbind %s with only its dma-buf open: %s", bdf,
		     errname(-ret));
		goto out;
	}
	if (vdev_open(&sib, sib_bdf, msg, sizeof(msg))) {
		FAIL(n_reset, "open %s: %s", sib_bdf, msg);
	} else {
		ret = hot_reset(&sib, msg, sizeof(msg));
		if (ret == -EINVAL)
			PASS(n_reset);
		else
			FAIL(n_reset, "hot reset through %s with %s unbound: %s; want EINVAL (a function VFIO does not own would be reset)",
			     sib_bdf, bdf, ret ? msg : "done");
		host_driver_not_reset(tname(name, "host-driver-not-reset"), bdf,
				      &sib);
	}
	vdev_close_fds(&sib);
	if (expect_revoked("after unbind", msg, sizeof(msg))) {
		FAIL(tname(name, "release"), "%s", msg);
		goto out;
	}
	ret = imp(VPD_IMP_DETACH, NULL);
	if (ret || close(t.dbfd))
		FAIL(tname(name, "release"), "detach %s, close %s",
		     errname(-ret), errname(errno));
	else
		PASS(tname(name, "release"));
	t.dbfd = -1;
out:
	teardown(&t);
	if (upid > 0 && unbind_wait(&upid))
		printf("# %s: unbind still blocked\n", name);
	return 0;
}

/*
 * The importer and the BAR below one switch with no ACS redirection, no
 * IOMMU: the mapping must hold the BAR's PCI bus addresses (on x86 the
 * CPU physical ones sysfs shows), and DMA to them must land in the BAR.
 */
static int cmd_bus_addr(const char *name, const char *bdf, unsigned int bar)
{
	const struct slice s = { 2, { { 0x3000, 0x1000 }, { 0x20000, 0x2000 } } };
	struct vpd_imp_map m;
	uint64_t start = 0, end = 0, want, room;
	struct setup t;
	char msg[400] = "";
	uint32_t i;
	int ret;

	ret = bar_phys(bdf, bar, &start, &end);
	if (ret) {
		FAIL(name, "%s BAR%u resource: %s", bdf, bar, errname(-ret));
		return 0;
	}
	if (setup(&t, bdf, bar, &s, false, msg, sizeof(msg))) {
		FAIL(name, "%s", msg);
		goto out;
	}
	memset(&m, 0, sizeof(m));
	ret = imp_map(&m);
	if (ret) {
		FAIL(name, "map: %s", errname(-ret));
		goto out;
	}
	print_map(name, &m);
	printf("# %s: BAR%u at 0x%llx-0x%llx\n", name, bar,
	       (unsigned long long)start, (unsigned long long)end);
	for (i = 0; i < m.nents && i < VPD_IMP_MAX_SEGS; i++) {
		uint64_t off = 0, j;

		for (j = 0; j < i; j++)
			off += m.segs[j].len;
		want = start + slice_bar_off(&s, off, &room);
		if (m.segs[i].addr != want) {
			FAIL(name, "segment %u at 0x%llx, want the bus address 0x%llx (BAR%u + 0x%llx)",
			     i, (unsigned long long)m.segs[i].addr,
			     (unsigned long long)want, bar,
			     (unsigned long long)(want - start));
			goto out;
		}
	}
	if (write_check(&t.d, &t.s, 0, 0x800, msg, sizeof(msg)) ||
	    write_check(&t.d, &t.s, 0x1800, 0x400, msg, sizeof(msg))) {
		FAIL(name, "%s", msg);
		goto out;
	}
	PASS(name);
out:
	teardown(&t);
	return 0;
}

/* ------------------------------------------------------ the module's path */

/*
 * dmabuf-test path: how the module let the importer reach the BAR, from
 * what the map gives: EINVAL (none), the BAR's bus addresses (bus-address:
 * x86 bus and CPU addresses are the same), or anything else (host-bridge:
 * IOVAs of the importer's IOMMU domain).  One line "VPD-PATH: WORD", for
 * the guest case to compare with vfio-dmabuf doctor's verdict.  Without an
 * IOMMU a host-bridge mapping holds bus addresses too: there only a host
 * bridge that does not forward (the rig's Intel model) tells them apart.
 */
static int cmd_path(const char *name, const char *bdf, unsigned int bar)
{
	const struct slice s = { 1, { { 0, PAGE } } };
	struct vpd_imp_map m;
	uint64_t start = 0, end = 0;
	struct setup t;
	char msg[400] = "";
	const char *path;
	int ret;

	ret = bar_phys(bdf, bar, &start, &end);
	if (ret) {
		FAIL(name, "%s BAR%u resource: %s", bdf, bar, errname(-ret));
		return 0;
	}
	if (setup(&t, bdf, bar, &s, false, msg, sizeof(msg))) {
		FAIL(name, "%s", msg);
		goto out;
	}
	memset(&m, 0, sizeof(m));
	ret = imp_map(&m);
	if (ret == -EINVAL)
		path = "none";
	else if (ret)
		path = NULL;
	else if (m.nents && m.segs[0].addr == start)
		path = "bus-address";
	else
		path = "host-bridge";
	if (!path) {
		FAIL(name, "map: %s (neither a mapping nor EINVAL)", errname(-ret));
		goto out;
	}
	if (!ret)
		print_map(name, &m);
	printf("VPD-PATH: %s\n", path);
	PASS(name);
out:
	teardown(&t);
	return 0;
}

/* -------------------------------------------------- a dma-buf from elsewhere */

/* The pattern examples/spdk-cmb-dmabuf.c checks: byte at dma-buf offset pos. */
static uint8_t peer_pattern(unsigned int seed, uint64_t pos)
{
	return (uint8_t)(seed * 131 + pos * 7 + (pos >> 8));
}

/* DMA-write the pattern into the mapped dma-buf at off (len <= 2048). */
static int peer_write(unsigned int seed, uint64_t off, uint64_t len)
{
	uint8_t buf[VPD_IMP_DMA_MAX];
	uint64_t i;

	for (i = 0; i < len; i++)
		buf[i] = peer_pattern(seed, off + i);
	return imp_dma(VPD_IMP_DMA_WRITE, off, buf, len);
}

/* Write, then read back through the importer: the bytes must agree. */
static int peer_roundtrip(unsigned int seed, uint64_t off, uint64_t len,
			  char *msg, size_t mlen)
{
	uint8_t back[VPD_IMP_DMA_MAX];
	uint64_t i;
	int ret;

	ret = peer_write(seed, off, len);
	if (!ret)
		ret = imp_dma(VPD_IMP_DMA_READ, off, back, len);
	if (ret) {
		snprintf(msg, mlen, "DMA at 0x%llx: %s", (unsigned long long)off,
			 errname(-ret));
		return -1;
	}
	for (i = 0; i < len; i++)
		if (back[i] != peer_pattern(seed, off + i)) {
			snprintf(msg, mlen, "read back 0x%02x at 0x%llx, wrote 0x%02x",
				 back[i], (unsigned long long)(off + i),
				 peer_pattern(seed, off + i));
			return -1;
		}
	return 0;
}

/* Attach and map a dma-buf somebody else exported; its size is len. */
static int peer_import(int dbfd, char *msg, size_t mlen)
{
	int ret = imp_attach(dbfd, VPD_IMP_DYNAMIC);

	if (!ret)
		ret = imp_map(NULL);
	if (ret)
		snprintf(msg, mlen, "attach and map: %s: %s", errname(-ret),
			 vfio_dmabuf_explain(VFIO_DMABUF_OP_IMPORT, ret));
	return ret;
}

/* Connect to a unix socket and receive one fd and the line sent with it. */
static int peer_connect(const char *path, int *dbfd, char *hello, size_t hlen,
			char *msg, size_t mlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { hello, hlen - 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *c;
	long deadline = now_ms() + WAIT_MS;
	ssize_t n;
	int sock;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* The server may still be starting: bounded retries. */
	while (sock >= 0 && connect(sock, (struct sockaddr *)&sa, sizeof(sa))) {
		if ((errno != ENOENT && errno != ECONNREFUSED) ||
		    now_ms() > deadline) {
			snprintf(msg, mlen, "connect %s: %s", path, errname(errno));
			close(sock);
			return -1;
		}
		nap_ms(20);
	}
	if (sock < 0) {
		snprintf(msg, mlen, "socket: %s", errname(errno));
		return -1;
	}
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (!c || c->cmsg_type != SCM_RIGHTS) {
		snprintf(msg, mlen, "no fd received from %s (%zd bytes)", path, n);
		close(sock);
		return -1;
	}
	memcpy(dbfd, CMSG_DATA(c), sizeof(int));
	hello[n] = '\0';
	hello[strcspn(hello, "\n")] = '\0';
	return sock;
}

/* One request line to examples/spdk-cmb-dmabuf, its answer in reply. */
static int peer_ask(int sock, const char *req, char *reply, size_t rlen)
{
	size_t got = 0;
	ssize_t n;

	if (send(sock, req, strlen(req), MSG_NOSIGNAL) < 0)
		return -errno;
	while (got < rlen - 1) {
		n = recv(sock, reply + got, 1, 0);
		if (n <= 0)
			return n ? -errno : -EPIPE;
		if (reply[got++] == '\n')
			break;
	}
	reply[got] = '\0';
	return strncmp(reply, "ok", 2) ? -EIO : 0;
}

/*
 * dmabuf-test cmb-peer NAME SOCKET: the importer side of the SPDK path.
 * The DPDK process (examples/spdk-cmb-dmabuf --serve) sends the CMB
 * dma-buf; edu DMA-writes patterns that the example checks through its own
 * mmap of the BAR; the example's VFIO_DEVICE_RESET must revoke the
 * mapping, and a new mapping must take DMA that the example sees.
 *   NAME.dma         the first writes land in the BAR
 *   NAME.reset       the reset revoked the importer
 *   NAME.remap       mapped again after the reset, DMA lands again
 */
static int cmd_cmb_peer(const char *name, const char *path)
{
	struct vpd_imp_status s0, s1;
	char msg[400] = "", hello[128] = "", req[96], reply[160];
	unsigned long long len = 0;
	int sock, dbfd = -1, ret;
	unsigned int bar;

	sock = peer_connect(path, &dbfd, hello, sizeof(hello), msg, sizeof(msg));
	if (sock < 0) {
		FAIL(tname(name, "dma"), "%s", msg);
		return 0;
	}
	printf("# %s: received \"%s\"\n", name, hello);
	if (sscanf(hello, "cmb %*s %u %llu", &bar, &len) != 2 || len < 0x2000) {
		FAIL(tname(name, "dma"), "unexpected greeting \"%s\"", hello);
		goto out;
	}
	if (peer_import(dbfd, msg, sizeof(msg)) ||
	    peer_roundtrip(1, 0, 0x800, msg, sizeof(msg)) ||
	    peer_roundtrip(1, len - 0x400, 0x400, msg, sizeof(msg))) {
		FAIL(tname(name, "dma"), "%s", msg);
		goto out;
	}
	snprintf(req, sizeof(req), "check 1 0 800\n");
	ret = peer_ask(sock, req, reply, sizeof(reply));
	if (!ret) {
		snprintf(req, sizeof(req), "check 1 %llx 400\n", len - 0x400);
		ret = peer_ask(sock, req, reply, sizeof(reply));
	}
	if (ret) {
		FAIL(tname(name, "dma"), "%s -> %s", strtok(req, "\n"),
		     ret == -EIO ? reply : errname(-ret));
		goto out;
	}
	PASS(tname(name, "dma"));

	imp_status(&s0);
	ret = peer_ask(sock, "reset\n", reply, sizeof(reply));
	imp_status(&s1);
	if (ret || s1.invalidations <= s0.invalidations || s1.mapped) {
		FAIL(tname(name, "reset"), "reset: %s; revoke callbacks %llu -> %llu, mapped %u",
		     ret == -EIO ? reply : ret ? errname(-ret) : "ok",
		     (unsigned long long)s0.invalidations,
		     (unsigned long long)s1.invalidations, s1.mapped);
		goto out;
	}
	PASS(tname(name, "reset"));

	ret = imp_map(NULL);
	if (ret || peer_write(2, 0x1000, 0x800)) {
		FAIL(tname(name, "remap"), "map after the reset: %s",
		     errname(-ret));
		goto out;
	}
	ret = peer_ask(sock, "check 2 1000 800\n", reply, sizeof(reply));
	if (ret)
		FAIL(tname(name, "remap"), "check 2 1000 800 -> %s",
		     ret == -EIO ? reply : errname(-ret));
	else
		PASS(tname(name, "remap"));
out:
	imp(VPD_IMP_DETACH, NULL);
	if (dbfd >= 0)
		close(dbfd);
	close(sock);
	return 0;
}

/*
 * dmabuf-test sock-peer NAME SOCKET / fd-peer NAME: a dma-buf from
 * vfio-dmabuf export (--serve SOCKET, or --exec with $VFIO_DMABUF_FD)
 * takes DMA that reads back the same through the importer.
 */
static void peer_check(const char *name, int dbfd)
{
	struct stat sb;
	char msg[400] = "";
	off_t size;

	size = lseek(dbfd, 0, SEEK_END);
	if (fstat(dbfd, &sb) || size < 0x1000) {
		FAIL(name, "fd %d is no dma-buf of a page or more (size %lld)",
		     dbfd, (long long)size);
		return;
	}
	if (peer_import(dbfd, msg, sizeof(msg)) ||
	    peer_roundtrip(3, 0, 0x800, msg, sizeof(msg)) ||
	    peer_roundtrip(3, size - 0x400, 0x400, msg, sizeof(msg)))
		FAIL(name, "%s", msg);
	else
		PASS(name);
	imp(VPD_IMP_DETACH, NULL);
}

static int cmd_sock_peer(const char *name, const char *path)
{
	char msg[400] = "", hello[128] = "";
	int sock, dbfd = -1;

	sock = peer_connect(path, &dbfd, hello, sizeof(hello), msg, sizeof(msg));
	if (sock < 0) {
		FAIL(name, "%s", msg);
		return 0;
	}
	printf("# %s: received \"%s\"\n", name, hello);
	if (strncmp(hello, "vfio-dmabuf ", 12))
		FAIL(name, "unexpected greeting \"%s\"", hello);
	else
		peer_check(name, dbfd);
	close(dbfd);
	close(sock);
	return 0;
}

static int cmd_fd_peer(const char *name)
{
	const char *env = getenv("VFIO_DMABUF_FD");
	int fd = env ? atoi(env) : -1;

	if (!env || fcntl(fd, F_GETFD) < 0)
		FAIL(name, "no inherited dma-buf: VFIO_DMABUF_FD=%s", env ? env : "(unset)");
	else
		peer_check(name, fd);
	return 0;
}

/* ---------------------------------------------------------------- stress */

struct stress {
	struct vdev *d;
	unsigned int bar;
	long deadline;
	/* Stop after this many mapped cycles (0: at the deadline only). */
	unsigned long cycles;
	unsigned long mapped;		/* cycles whose map succeeded */
	unsigned long ops[4];
	int done[4];
};

static bool stress_running(const struct stress *st)
{
	return now_ms() < st->deadline &&
	       (!st->cycles ||
		__atomic_load_n(&st->mapped, __ATOMIC_RELAXED) < st->cycles);
}

/* Export, attach, map, DMA, unmap, detach, close: errors are expected. */
static void *stress_importer(void *arg)
{
	struct stress *st = arg;
	struct vfio_region_dma_range r = { 0, PAGE };
	uint8_t buf[256];

	while (stress_running(st)) {
		int fd = dmabuf_get(st->d, st->bar, &r, 1);

		if (fd >= 0) {
			if (!imp_attach(fd, VPD_IMP_DYNAMIC)) {
				/* A DMA takes edu 100 ms: every 16th. */
				if (!imp_map(NULL) &&
				    !(__atomic_fetch_add(&st->mapped, 1,
							 __ATOMIC_RELAXED) % 16))
					imp_dma(VPD_IMP_DMA_WRITE, 0, buf,
						sizeof(buf));
				imp(VPD_IMP_UNMAP, NULL);
				imp(VPD_IMP_DETACH, NULL);
			}
			close(fd);
		}
		st->ops[0]++;
	}
	__atomic_store_n(&st->done[0], 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Between two events of a thread that makes the BAR unsafe: 0..@max-1 ms,
 * so that the importer gets mappings through (spacing, not
 * synchronisation).
 */
static void stress_pause(unsigned int *seed, unsigned int max)
{
	nap_ms(rand_r(seed) % max);
}

static void *stress_decode(void *arg)
{
	struct stress *st = arg;
	unsigned int seed = 1;

	while (stress_running(st)) {
		set_decode(st->d, false);
		set_decode(st->d, true);
		st->ops[1]++;
		stress_pause(&seed, 8);
	}
	__atomic_store_n(&st->done[1], 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *stress_reset(void *arg)
{
	struct stress *st = arg;
	unsigned int seed = 2;

	while (stress_running(st)) {
		ioctl(st->d->fd, VFIO_DEVICE_RESET);
		st->ops[2]++;
		/* An FLR keeps the BAR away for 100 ms: longer pauses. */
		stress_pause(&seed, 128);
	}
	__atomic_store_n(&st->done[2], 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *stress_low_power(void *arg)
{
	struct stress *st = arg;
	unsigned int seed = 3;

	while (stress_running(st)) {
		low_power(st->d, true);
		low_power(st->d, false);
		st->ops[3]++;
		stress_pause(&seed, 8);
	}
	__atomic_store_n(&st->done[3], 1, __ATOMIC_RELEASE);
	return NULL;
}

/* After the storm the device must be usable again: map and DMA. */
static void stress_after(const char *name, const char *bdf, unsigned int bar)
{
	const struct slice s = { 1, { { 0, PAGE } } };
	struct setup t;
	char msg[256];

	if (setup(&t, bdf, bar, &s, true, msg, sizeof(msg)) ||
	    write_check(&t.d, &s, 0, 256, msg, sizeof(msg)))
		FAIL(tname(name, "usable-after"), "%s", msg);
	else
		PASS(tname(name, "usable-after"));
	teardown(&t);
}

static int cmd_stress(const char *name, const char *bdf, unsigned int bar,
		      unsigned int seconds, unsigned long cycles)
{
	void *(*const fn[])(void *) = {
		stress_importer, stress_decode, stress_reset, stress_low_power,
	};
	int base = count_fds();
	long objs = dmabuf_objects();
	struct stress st = { .bar = bar, .cycles = cycles };
	pthread_t th[ARRAY_SIZE(fn)];
	struct vdev d;
	char msg[256];
	unsigned int i;
	long limit;
	bool stuck = false;

	if (vdev_open(&d, bdf, msg, sizeof(msg))) {
		FAIL(name, "%s", msg);
		return 1;
	}
	st.d = &d;
	st.deadline = now_ms() + seconds * 1000L;
	for (i = 0; i < ARRAY_SIZE(fn); i++)
		pthread_create(&th[i], NULL, fn[i], &st);

	/* Every thread must stop by itself soon after the deadline. */
	limit = st.deadline + WAIT_MS;
	for (i = 0; i < ARRAY_SIZE(fn); i++) {
		while (!__atomic_load_n(&st.done[i], __ATOMIC_ACQUIRE) &&
		       now_ms() < limit)
			nap_ms(10);
		if (!__atomic_load_n(&st.done[i], __ATOMIC_ACQUIRE))
			stuck = true;
	}
	printf("# %s: %lu export attempts, %lu mapped, %lu decode cycles, %lu resets, %lu low-power cycles\n",
	       name, st.ops[0], st.mapped, st.ops[1], st.ops[2], st.ops[3]);
	if (stuck) {
		FAIL(tname(name, "no-hang"),
		     "a thread is stuck %d ms after the deadline", WAIT_MS);
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(fn); i++)
		pthread_join(th[i], NULL);
	PASS(tname(name, "no-hang"));
	vdev_close_fds(&d);
	if (cycles && st.mapped < cycles)
		FAIL(tname(name, "cycles"), "%lu of %lu export/map/close cycles within %u s",
		     st.mapped, cycles, seconds);
	else if (cycles)
		PASS(tname(name, "cycles"));

	stress_after(name, bdf, bar);

	if (count_fds() != base)
		FAIL(tname(name, "no-leak"), "%d fds open, %d before",
		     count_fds(), base);
	else if (objs >= 0 && dmabuf_objects() != objs)
		FAIL(tname(name, "no-leak"), "%ld dma-bufs alive, %ld before",
		     dmabuf_objects(), objs);
	else
		PASS(tname(name, "no-leak"));
	return 0;
}

/* ---------------------------------------------------------------- fuzz */

/*
 * A seeded fuzzer: a thread that makes the BAR unsafe (fuzz_chaos: resets,
 * hot resets with hostile group lists, decode toggles, low-power cycles,
 * random writes to the config registers that control decode, power and
 * FLR, closing and reopening the device, unbinding and rebinding it) races
 * with one that sends hostile VFIO_DEVICE_FEATURE requests (argsz, flags,
 * region, open_flags, nr_ranges and ranges drawn from boundary values) and
 * an importer thread that attaches, maps, pins, DMAs, unmaps, detaches and
 * closes dma-bufs in a random order.  Each thread draws from its own
 * generator seeded from SEED, so a seed repeats every request; the
 * interleaving is the scheduler's.  Checked as it goes: every errno is one
 * the interface documents; a successful map is seen mapped until a revoke
 * callback comes; a DMA written and read back with no revoke in between
 * landed (a mapping the exporter leaves usable while the BAR does not
 * decode fails this).  Checked at the end: every thread stopped, no fd or
 * dma-buf left, no IOMMU fault (no DMA reached a mapping after its
 * revoke), no DMA mapping of the BAR left (DMA-API debug), and the device
 * still exports, maps and takes a DMA.
 */
#define FUZZ_POOL	8
#define FUZZ_RANGES	512

struct fuzz {
	struct stress st;
	/* Readers use st.d->fd; the writer closes and reopens the device. */
	pthread_rwlock_t dev_lock;
	const char *bdf;
	bool dev_lost;			/* reopen failed: nothing to use */
	unsigned int pm_cap, exp_cap, af_cap;
	unsigned long reopens, rebinds, hot_resets, cfg_writes, dma_checks;
	uint64_t seed;
	uint64_t bar_size;
	pthread_mutex_t lock;		/* pool */
	int pool[FUZZ_POOL];		/* live dma-buf fds, -1 if free */
	unsigned long exports, maps, bad;
	char bad_msg[320];
	uint8_t *req;			/* ends at a PROT_NONE page */
	size_t req_room;
};

static uint64_t rng_next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t *x, uint64_t n)
{
	return n ? rng_next(x) % n : 0;
}

static void fuzz_bad(struct fuzz *f, const char *what, int err)
{
	pthread_mutex_lock(&f->lock);
	if (!f->bad++)
		snprintf(f->bad_msg, sizeof(f->bad_msg), "%s%s%s", what,
			 err ? ": " : "", err ? errname(err) : "");
	pthread_mutex_unlock(&f->lock);
}

static uint64_t fuzz_u64(struct fuzz *f, uint64_t *x)
{
	const uint64_t v[] = {
		0, PAGE, 2 * PAGE, f->bar_size - PAGE, f->bar_size,
		f->bar_size + PAGE, 1ULL << 32, 1ULL << 63, ~0ULL,
		~0ULL - PAGE + 1, 1, PAGE - 1, PAGE + 1,
	};

	if (rng_below(x, 4))
		return v[rng_below(x, ARRAY_SIZE(v))];
	return rng_next(x) & (rng_below(x, 2) ? ~(PAGE - 1) : ~0ULL) &
	       (rng_below(x, 2) ? f->bar_size * 2 - 1 : ~0ULL);
}

static void fuzz_pool_put(struct fuzz *f, uint64_t *x, int fd)
{
	unsigned int i = rng_below(x, FUZZ_POOL);

	pthread_mutex_lock(&f->lock);
	if (f->pool[i] >= 0)
		close(f->pool[i]);
	f->pool[i] = fd;
	pthread_mutex_unlock(&f->lock);
}

/* A duplicate of a pool entry (ours to close), or -1. */
static int fuzz_pool_get(struct fuzz *f, uint64_t *x)
{
	unsigned int i = rng_below(x, FUZZ_POOL);
	int fd;

	pthread_mutex_lock(&f->lock);
	fd = f->pool[i] >= 0 ? fcntl(f->pool[i], F_DUPFD_CLOEXEC, 0) : -1;
	pthread_mutex_unlock(&f->lock);
	return fd;
}

static void fuzz_request(struct fuzz *f, uint64_t *x)
{
	const uint32_t flag_sets[] = {
		VFIO_DEVICE_FEATURE_GET, VFIO_DEVICE_FEATURE_PROBE,
		VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PROBE,
		VFIO_DEVICE_FEATURE_SET, 0,
		VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET,
	};
	const uint32_t oflags[] = {
		O_CLOEXEC | O_RDWR, O_RDWR, O_RDONLY, O_WRONLY, O_CLOEXEC,
		O_NONBLOCK | O_RDWR, 3, (uint32_t)rng_next(x),
	};
	const uint32_t nrs[] = {
		0, 1, 2, 3, FUZZ_RANGES, FUZZ_RANGES + 1, 262144, 262145,
		UINT32_MAX, (uint32_t)rng_next(x),
	};
	struct vfio_device_feature *hdr;
	struct vfio_device_feature_dma_buf *db;
	size_t full, argsz;
	uint32_t nr, i, copy;
	int ret;

	nr = rng_below(x, 3) ? 1 + rng_below(x, 4) : nrs[rng_below(x, ARRAY_SIZE(nrs))];
	copy = nr < FUZZ_RANGES ? nr : FUZZ_RANGES;
	full = sizeof(*hdr) + sizeof(*db) + copy * sizeof(db->dma_ranges[0]);
	/* The request ends right at an inaccessible page: reads past fault. */
	hdr = (void *)(f->req + f->req_room - full);
	db = (void *)hdr->data;
	memset(hdr, 0, full);
	switch (rng_below(x, 8)) {
	case 0:
		argsz = rng_below(x, full + 1);
		break;
	case 1:
		argsz = rng_next(x) & 0xffffffff;
		break;
	default:
		argsz = full;
		break;
	}
	hdr->argsz = argsz;
	hdr->flags = VFIO_DEVICE_FEATURE_DMA_BUF |
		     (rng_below(x, 4) ? VFIO_DEVICE_FEATURE_GET :
		      flag_sets[rng_below(x, ARRAY_SIZE(flag_sets))]);
	if (!rng_below(x, 16))
		hdr->flags |= (uint32_t)rng_next(x) & ~VFIO_DEVICE_FEATURE_MASK;
	db->region_index = rng_below(x, 4) ? f->st.bar : rng_below(x, 12);
	db->open_flags = rng_below(x, 2) ? O_CLOEXEC | O_RDWR :
			 oflags[rng_below(x, ARRAY_SIZE(oflags))];
	db->flags = rng_below(x, 16) ? 0 : (uint32_t)rng_next(x);
	db->nr_ranges = nr;
	for (i = 0; i < copy; i++) {
		if (rng_below(x, 2)) {
			uint64_t len = PAGE * (1 + rng_below(x, 4));

			db->dma_ranges[i].offset =
				rng_below(x, f->bar_size / PAGE) * PAGE;
			db->dma_ranges[i].length = len;
		} else {
			db->dma_ranges[i].offset = fuzz_u64(f, x);
			db->dma_ranges[i].length = fuzz_u64(f, x);
		}
	}
	pthread_rwlock_rdlock(&f->dev_lock);
	ret = f->dev_lost ? -ENODEV :
	      ioctl(f->st.d->fd, VFIO_DEVICE_FEATURE, hdr);
	if (ret == -1)
		ret = -errno;
	pthread_rwlock_unlock(&f->dev_lock);
	if (ret >= 0 && (hdr->flags & VFIO_DEVICE_FEATURE_PROBE))
		return;
	if (ret >= 0) {
		f->exports++;
		fuzz_pool_put(f, x, ret);
		return;
	}
	switch (-ret) {
	case EINVAL: case ENODEV: case EFAULT: case EOVERFLOW: case ENOMEM:
	case ENOTTY: case EMFILE: case EOPNOTSUPP:
		break;
	default:
		fuzz_bad(f, "VFIO_DEVICE_FEATURE_DMA_BUF", -ret);
	}
}

/*
 * The only BAR bytes the fuzzer writes: two pages at 256 KiB, clear of
 * what other cases leave in the BAR for the host to check (the p2p
 * marker near its end).
 */
#define FUZZ_SCRATCH	0x40000ULL

/*
 * A DMA write and its read back through a dma-buf of the scratch pages,
 * attached and mapped for the purpose (the importer's attachment is
 * replaced).  The importer DMAs under the dma-buf's reservation lock and
 * unmaps on every revoke, and only this thread maps: if both succeed they
 * went through one mapping that the exporter called usable all along, so
 * the bytes must have landed in the BAR (a write to a BAR that does not
 * decode is dropped).
 */
static void fuzz_dma_lands(struct fuzz *f, uint64_t *x)
{
	const struct vfio_region_dma_range r = { FUZZ_SCRATCH, 2 * PAGE };
	uint64_t off = PAGE * rng_below(x, 2) + 8 * rng_below(x, 64);
	uint8_t out[256], in[256];
	int fd;

	if (f->bar_size < FUZZ_SCRATCH + 2 * PAGE)
		return;
	pthread_rwlock_rdlock(&f->dev_lock);
	fd = f->dev_lost ? -ENODEV : dmabuf_get(f->st.d, f->st.bar, &r, 1);
	pthread_rwlock_unlock(&f->dev_lock);
	if (fd < 0)
		return;
	imp(VPD_IMP_DETACH, NULL);
	pattern(out, sizeof(out), (unsigned int)rng_next(x));
	memset(in, 0, sizeof(in));
	if (!imp_attach(fd, VPD_IMP_DYNAMIC) && !imp_map(NULL) &&
	    !imp_dma(VPD_IMP_DMA_WRITE, off, out, sizeof(out)) &&
	    !imp_dma(VPD_IMP_DMA_READ, off, in, sizeof(in))) {
		f->dma_checks++;
		if (memcmp(out, in, sizeof(out)))
			fuzz_bad(f, "a DMA through a mapping with no revoke did not land", 0);
	}
	imp(VPD_IMP_DETACH, NULL);
	close(fd);
}

/* One random importer step; the attachment is the importer's state. */
static void fuzz_import(struct fuzz *f, uint64_t *x)
{
	struct vpd_imp_status s0, s1;
	int fd, ret;

	switch (rng_below(x, 8)) {
	case 0:
	case 1:
		fd = fuzz_pool_get(f, x);
		if (fd < 0)
			return;
		ret = imp_attach(fd, rng_below(x, 8) ? VPD_IMP_DYNAMIC :
				 rng_below(x, VPD_IMP_NO_P2P + 1));
		close(fd);
		if (ret && ret != -EBUSY && ret != -ENODEV &&
		    ret != -EOPNOTSUPP)
			fuzz_bad(f, "importer attach", -ret);
		break;
	case 2:
	case 3:
		imp_status(&s0);
		ret = imp_map(NULL);
		imp_status(&s1);
		if (!ret) {
			f->maps++;
			/* Mapped now, unless a revoke came in between. */
			if (!s1.mapped && s1.invalidations == s0.invalidations)
				fuzz_bad(f, "a successful map is not mapped", 0);
		} else if (ret != -ENOTCONN && ret != -EALREADY &&
			   ret != -ENODEV && ret != -EOPNOTSUPP &&
			   ret != -EINVAL &&
			   /* Linux 7.3's multi-range IOVA bug (see p2p_slice) */
			   !(stock && ret == -EADDRINUSE)) {
			fuzz_bad(f, "importer map", -ret);
		}
		break;
	case 4:
		/* Reads only through the pool's dma-bufs: they cover any byte. */
		if (rng_below(x, 4)) {
			uint8_t buf[256];

			imp_dma(VPD_IMP_DMA_READ, PAGE * rng_below(x, 2), buf,
				sizeof(buf));
		} else {
			fuzz_dma_lands(f, x);
		}
		break;
	case 5:
		imp(VPD_IMP_UNMAP, NULL);
		break;
	case 6:
		if (!rng_below(x, 4))
			imp(VPD_IMP_PIN, NULL);
		else
			imp(VPD_IMP_DETACH, NULL);
		break;
	default:
		fuzz_pool_put(f, x, -1);
		break;
	}
}

/*
 * A hot reset with a group list drawn from the device's group, other fds
 * and nonsense; the kernel must refuse every list but the right one.
 */
static void fuzz_hot_reset(struct fuzz *f, uint64_t *x)
{
	const uint32_t counts[] = { 0, 1, 1, 1, 2, 64, UINT32_MAX };
	struct {
		struct vfio_pci_hot_reset h;
		int32_t fds[4];
	} r = { .h.argsz = sizeof(r.h) + sizeof(int32_t) };
	const int32_t fds[] = { f->st.d->group, f->st.d->group, f->st.d->fd,
				f->st.d->container, -1, 1 << 20 };
	unsigned int i;

	r.h.count = counts[rng_below(x, ARRAY_SIZE(counts))];
	if (r.h.count <= ARRAY_SIZE(r.fds))
		r.h.argsz += (r.h.count ? r.h.count - 1 : 0) * sizeof(int32_t);
	if (!rng_below(x, 8))
		r.h.argsz = rng_below(x, sizeof(r) + 1);
	/* r.fds is where the header's group_fds[] lies. */
	for (i = 0; i < ARRAY_SIZE(r.fds); i++)
		r.fds[i] = fds[rng_below(x, ARRAY_SIZE(fds))];
	if (ioctl(f->st.d->fd, VFIO_DEVICE_PCI_HOT_RESET, &r) < 0 &&
	    errno != EINVAL && errno != EBADF && errno != EPERM &&
	    errno != EBUSY && errno != EAGAIN && errno != ENOMEM &&
	    errno != EFAULT && errno != ENOTTY)
		fuzz_bad(f, "VFIO_DEVICE_PCI_HOT_RESET", errno);
	f->hot_resets++;
}

/*
 * A random value written to a config register that controls decode, power
 * or FLR (or to any dword of the header), then the old value back.
 */
static void fuzz_cfg_write(struct fuzz *f, uint64_t *x)
{
	const unsigned int regs[] = {
		PCI_COMMAND,
		f->pm_cap ? f->pm_cap + PCI_PM_CTRL : PCI_COMMAND,
		f->exp_cap ? f->exp_cap + PCI_EXP_DEVCTL : PCI_COMMAND,
		f->af_cap ? f->af_cap + PCI_AF_CTRL : PCI_COMMAND,
		(unsigned int)rng_below(x, 64) * 4,
	};
	unsigned int off = regs[rng_below(x, ARRAY_SIZE(regs))];
	uint16_t old, val = (uint16_t)rng_next(x);

	if (cfg_rd(f->st.d, off, &old, sizeof(old)))
		return;
	cfg_wr(f->st.d, off, &val, sizeof(val));
	cfg_wr(f->st.d, off, &old, sizeof(old));
	f->cfg_writes++;
}

/*
 * Close the device (its dma-bufs are revoked for good and live on in the
 * pool), maybe unbind and rebind it, and open it again.  Writer of
 * dev_lock: nothing else uses the device meanwhile.
 */
static void fuzz_reopen(struct fuzz *f, uint64_t *x)
{
	bool rebind = !rng_below(x, 4);
	char msg[256];
	pid_t pid = 0;
	int ret;

	pthread_rwlock_wrlock(&f->dev_lock);
	if (f->dev_lost)
		goto out;
	vdev_close_fds(f->st.d);
	if (rebind) {
		ret = unbind_bounded(f->bdf, &pid);
		if (!ret)	/* driver_override still names the driver */
			ret = write_file("/sys/bus/pci/drivers_probe", f->bdf);
		if (ret) {
			fuzz_bad(f, "unbind and rebind", -ret);
			f->dev_lost = true;
			goto out;
		}
		f->rebinds++;
	}
	if (vdev_open(f->st.d, f->bdf, msg, sizeof(msg))) {
		fuzz_bad(f, msg, 0);
		f->dev_lost = true;
		goto out;
	}
	f->reopens++;
out:
	pthread_rwlock_unlock(&f->dev_lock);
}

/*
 * Make the BAR unsafe now and then, else a millisecond's pause so that the
 * importer gets mappings through between the events.
 */
static void fuzz_chaos(struct fuzz *f, uint64_t *x)
{
	unsigned int op = rng_below(x, 24);

	if (op == 0) {
		fuzz_reopen(f, x);
		return;
	}
	pthread_rwlock_rdlock(&f->dev_lock);
	if (f->dev_lost)
		op = ~0U;
	switch (op) {
	case 1:
	case 2:
		ioctl(f->st.d->fd, VFIO_DEVICE_RESET);
		f->st.ops[2]++;
		break;
	case 3:
	case 4:
		/* Held a while: an importer DMA may come meanwhile (spacing). */
		set_decode(f->st.d, false);
		nap_ms(rng_below(x, 256));
		set_decode(f->st.d, true);
		f->st.ops[1]++;
		break;
	case 5:
	case 6:
		low_power(f->st.d, true);
		nap_ms(rng_below(x, 256));
		low_power(f->st.d, false);
		f->st.ops[3]++;
		break;
	case 7:
		fuzz_hot_reset(f, x);
		break;
	case 8:
	case 9:
		fuzz_cfg_write(f, x);
		break;
	default:
		nap_ms(1);	/* spacing, not synchronisation */
		break;
	}
	pthread_rwlock_unlock(&f->dev_lock);
}

/* Thread i runs step i until the deadline, from generator SEED * 4 + i. */
static void (*const fuzz_steps[])(struct fuzz *, uint64_t *) = {
	fuzz_request, fuzz_import, fuzz_chaos,
};

struct fuzz_thread {
	struct fuzz *f;
	unsigned int i;
};

static void *fuzz_thread(void *arg)
{
	const struct fuzz_thread *t = arg;
	uint64_t x = t->f->seed * 4 + t->i;

	while (stress_running(&t->f->st))
		fuzz_steps[t->i](t->f, &x);
	__atomic_store_n(&t->f->st.done[t->i], 1, __ATOMIC_RELEASE);
	return NULL;
}

static int cmd_fuzz(const char *name, const char *bdf, unsigned int bar,
		    uint64_t seed, unsigned int seconds)
{
	struct fuzz_thread ft[ARRAY_SIZE(fuzz_steps)];
	struct fuzz *f = calloc(1, sizeof(*f));
	int base = count_fds();
	long objs = dmabuf_objects(), maps;
	uint64_t start = 0, end = 0, faults;
	pthread_t th[ARRAY_SIZE(fuzz_steps)];
	struct vdev d;
	char msg[256];
	unsigned int i;
	long limit;
	bool stuck = false;

	printf("# %s: seed %llu, %u s\n", name, (unsigned long long)seed,
	       seconds);
	if (!f || vdev_open(&d, bdf, msg, sizeof(msg))) {
		FAIL(name, "%s", f ? msg : "out of memory");
		free(f);
		return 1;
	}
	f->req_room = 64 * PAGE;
	f->req = mmap(NULL, f->req_room + PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->req == MAP_FAILED ||
	    mprotect(f->req + f->req_room, PAGE, PROT_NONE)) {
		FAIL(name, "request buffer: %s", errname(errno));
		free(f);
		return 1;
	}
	pthread_mutex_init(&f->lock, NULL);
	pthread_rwlock_init(&f->dev_lock, NULL);
	for (i = 0; i < FUZZ_POOL; i++)
		f->pool[i] = -1;
	f->bdf = bdf;
	f->pm_cap = cfg_find_cap(&d, PCI_CAP_ID_PM);
	f->exp_cap = cfg_find_cap(&d, PCI_CAP_ID_EXP);
	f->af_cap = cfg_find_cap(&d, PCI_CAP_ID_AF);
	faults = dmar_faults();
	f->seed = seed;
	f->bar_size = d.reg[bar].size;
	f->st.d = &d;
	f->st.bar = bar;
	f->st.deadline = now_ms() + seconds * 1000L;
	for (i = 0; i < ARRAY_SIZE(fuzz_steps); i++) {
		ft[i] = (struct fuzz_thread){ f, i };
		pthread_create(&th[i], NULL, fuzz_thread, &ft[i]);
	}

	limit = f->st.deadline + WAIT_MS;
	for (i = 0; i < ARRAY_SIZE(fuzz_steps); i++) {
		while (!__atomic_load_n(&f->st.done[i], __ATOMIC_ACQUIRE) &&
		       now_ms() < limit)
			nap_ms(10);	/* polling with a bounded deadline */
		if (!__atomic_load_n(&f->st.done[i], __ATOMIC_ACQUIRE))
			stuck = true;
	}
	printf("# %s: %lu exports, %lu maps, %lu DMAs checked, %lu resets, %lu hot resets, %lu decode and %lu low-power cycles, %lu config writes, %lu reopens (%lu rebinds)\n",
	       name, f->exports, f->maps, f->dma_checks, f->st.ops[2],
	       f->hot_resets, f->st.ops[1], f->st.ops[3], f->cfg_writes,
	       f->reopens, f->rebinds);
	if (stuck) {
		FAIL(tname(name, "no-hang"),
		     "a thread is stuck %d ms after the deadline (seed %llu)",
		     WAIT_MS, (unsigned long long)seed);
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(fuzz_steps); i++)
		pthread_join(th[i], NULL);
	PASS(tname(name, "no-hang"));
	if (f->bad)
		FAIL(tname(name, "errnos"), "%lu unexpected answers, first: %s (seed %llu)",
		     f->bad, f->bad_msg, (unsigned long long)seed);
	else
		PASS(tname(name, "errnos"));

	imp(VPD_IMP_DETACH, NULL);
	for (i = 0; i < FUZZ_POOL; i++)
		if (f->pool[i] >= 0)
			close(f->pool[i]);
	vdev_close_fds(&d);
	munmap(f->req, f->req_room + PAGE);

	if (dmar_faults() != faults)
		FAIL(tname(name, "no-stale-dma"), "%llu IOMMU faults during the run (seed %llu)",
		     (unsigned long long)(dmar_faults() - faults),
		     (unsigned long long)seed);
	else
		PASS(tname(name, "no-stale-dma"));
	stress_after(name, bdf, bar);
	if (count_fds() != base)
		FAIL(tname(name, "no-leak"), "%d fds open, %d before (seed %llu)",
		     count_fds(), base, (unsigned long long)seed);
	else if (objs >= 0 && dmabuf_objects() != objs)
		FAIL(tname(name, "no-leak"), "%ld dma-bufs alive, %ld before (seed %llu)",
		     dmabuf_objects(), objs, (unsigned long long)seed);
	else
		PASS(tname(name, "no-leak"));
	if (dma_api_disabled() || bar_phys(bdf, bar, &start, &end)) {
		SKIP(tname(name, "no-mapping-left"), "no DMA-API debug on this kernel");
	} else if ((maps = bar_mappings(start, end)) != 0) {
		FAIL(tname(name, "no-mapping-left"), "%ld DMA mappings of the BAR left (seed %llu)",
		     maps, (unsigned long long)seed);
	} else {
		PASS(tname(name, "no-mapping-left"));
	}
	pthread_rwlock_destroy(&f->dev_lock);
	pthread_mutex_destroy(&f->lock);
	free(f);
	return 0;
}

/* ---------------------------------------------------------------- fail-nth */

/*
 * Fault injection (CONFIG_FAULT_INJECTION, failslab, fail_page_alloc,
 * fail_usercopy): each step below runs with the Nth fault point of this
 * task made to fail, N = 1, 2, ... until the step completes without
 * reaching it.  Every injected failure must come back as an errno, and the
 * step must work again right after.  Leaks are kmemleak's to find.
 */
static const char *const fail_knobs[][2] = {
	{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
	{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
	{ "/sys/kernel/debug/fail_page_alloc/min-order", "0" },
	/* No stack dump per injected fault: the console scan reads those. */
	{ "/sys/kernel/debug/failslab/verbose", "0" },
	{ "/sys/kernel/debug/fail_page_alloc/verbose", "0" },
	{ "/sys/kernel/debug/fail_usercopy/verbose", "0" },
};

/* Arm the Nth fault point of this thread; false if there is no fail-nth. */
static bool fail_nth_arm(int fd, unsigned int n)
{
	char v[16];
	int len = snprintf(v, sizeof(v), "%u", n);

	return pwrite(fd, v, len, 0) == len;
}

/* Whether the armed fault point was reached (the counter ran out). */
static bool fail_nth_fired(int fd)
{
	char v[16] = "";

	if (pread(fd, v, sizeof(v) - 1, 0) <= 0)
		return false;
	if (atoi(v) == 0)
		return true;
	fail_nth_arm(fd, 0);
	return false;
}

enum fail_step { FAIL_EXPORT, FAIL_ATTACH, FAIL_MAP, FAIL_STEPS };

static const char *const fail_step_name[] = { "export", "attach", "map" };

static int fail_step(enum fail_step step, struct vdev *d, unsigned int bar,
		     const struct slice *s, int *dbfd)
{
	switch (step) {
	case FAIL_EXPORT:
		*dbfd = dmabuf_get(d, bar, s->r, s->nr);
		return *dbfd < 0 ? *dbfd : 0;
	case FAIL_ATTACH:
		return imp_attach(*dbfd, VPD_IMP_DYNAMIC);
	default:
		return imp_map(NULL);
	}
}

/*
 * A step that failed may still have done its work in the importer (the
 * fault hit the ioctl's copy back to userspace): undo that too.
 */
static void fail_undo_partial(enum fail_step step)
{
	struct vpd_imp_status st;

	imp_status(&st);
	if ((step == FAIL_MAP && st.mapped) ||
	    (step == FAIL_ATTACH && st.attached))
		imp(step == FAIL_MAP ? VPD_IMP_UNMAP : VPD_IMP_DETACH, NULL);
}

/* Undo what a successful step did, so that it can run again. */
static void fail_undo(enum fail_step step, int *dbfd)
{
	switch (step) {
	case FAIL_EXPORT:
		close(*dbfd);
		*dbfd = -1;
		break;
	case FAIL_ATTACH:
		imp(VPD_IMP_DETACH, NULL);
		break;
	default:
		imp(VPD_IMP_UNMAP, NULL);
		break;
	}
}

static int cmd_failnth(const char *name, const char *bdf, unsigned int bar)
{
	const struct slice s = { 3, { { 0, PAGE }, { 4 * PAGE, 2 * PAGE },
				      { 0x80000, PAGE } } };
	char path[64], msg[256];
	unsigned int i, n, injected[FAIL_STEPS] = { 0 };
	struct vdev d;
	int fd, dbfd = -1, ret;
	bool bad = false;

	snprintf(path, sizeof(path), "/proc/thread-self/fail-nth");
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		SKIP(name, "no %s: a kernel without CONFIG_FAULT_INJECTION",
		     path);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(fail_knobs); i++)
		if (write_file(fail_knobs[i][0], fail_knobs[i][1])) {
			FAIL(name, "cannot write %s", fail_knobs[i][0]);
			close(fd);
			return 0;
		}
	if (vdev_open(&d, bdf, msg, sizeof(msg))) {
		FAIL(name, "%s", msg);
		close(fd);
		return 0;
	}
	for (i = 0; i < FAIL_STEPS && !bad; i++) {
		for (n = 1; n < 10000; n++) {
			bool fired;

			fail_nth_arm(fd, n);
			ret = fail_step(i, &d, bar, &s, &dbfd);
			fired = fail_nth_fired(fd);
			if (!fired) {
				/* Ran to the end without reaching fault N. */
				if (ret) {
					FAIL(name, "%s failed with %s without an injected fault",
					     fail_step_name[i], errname(-ret));
					bad = true;
				}
				break;
			}
			injected[i]++;
			if (!ret) {
				/* The fault was absorbed (a retry, a fallback). */
				fail_undo(i, &dbfd);
				continue;
			}
			if (ret > 0) {
				FAIL(name, "%s with fault %u: returned %d",
				     fail_step_name[i], n, ret);
				bad = true;
				break;
			}
			fail_undo_partial(i);
		}
		printf("# %s: %s: %u fault points\n", name, fail_step_name[i],
		       injected[i]);
		/* Leave the step done for the next one. */
	}
	fail_nth_arm(fd, 0);
	close(fd);
	if (!bad) {
		if (injected[FAIL_EXPORT] && injected[FAIL_ATTACH] &&
		    injected[FAIL_MAP])
			PASS(name);
		else
			FAIL(name, "a step reached no fault point (export %u, attach %u, map %u)",
			     injected[FAIL_EXPORT], injected[FAIL_ATTACH],
			     injected[FAIL_MAP]);
	}
	/* Still usable: the last step left a mapping; DMA through it. */
	if (!bad) {
		if (vdev_map_bar(&d, bar, msg, sizeof(msg)) ||
		    write_check(&d, &s, 0, 0x100, msg, sizeof(msg)))
			FAIL(tname(name, "usable-after"), "%s", msg);
		else
			PASS(tname(name, "usable-after"));
	}
	imp(VPD_IMP_DETACH, NULL);
	if (dbfd >= 0)
		close(dbfd);
	vdev_close_fds(&d);
	return 0;
}

/* ---------------------------------------------------------------- main */

static int usage(void)
{
	fprintf(stderr,
		"usage: dmabuf-test p2p NAME BDF BAR [marker|nvme]\n"
		"       dmabuf-test interlock KIND NAME BDF BAR\n"
		"       dmabuf-test cfg-write split|plain|race command|pmcsr NAME BDF BAR\n"
		"       dmabuf-test export-race NAME BDF BAR\n"
		"       dmabuf-test stale NAME BDF BAR\n"
		"       dmabuf-test refusals NAME BDF BAR\n"
		"       dmabuf-test errno BDF BAR [IO_BDF IO_BAR]\n"
		"       dmabuf-test many NAME BDF BAR [COUNT]\n"
		"       dmabuf-test fdflags NAME BDF BAR\n"
		"       dmabuf-test dma-debug NAME BDF BAR\n"
		"       dmabuf-test unplug NAME BDF BAR\n"
		"       dmabuf-test aer NAME BDF BAR\n"
		"       dmabuf-test no-route NAME BDF BAR\n"
		"       dmabuf-test sibling-reset NAME BDF BAR SIBLING_BDF\n"
		"       dmabuf-test bus-addr NAME BDF BAR\n"
		"       dmabuf-test stress NAME BDF BAR [SECONDS [CYCLES]]\n"
		"       dmabuf-test unbind-open NAME BDF BAR\n"
		"       dmabuf-test sizes NAME BDF BAR\n"
		"       dmabuf-test bigbar NAME BDF BAR\n"
		"       dmabuf-test late-unmap NAME BDF BAR\n"
		"       dmabuf-test late-fence NAME BDF BAR\n"
		"       dmabuf-test orphan NAME BDF BAR SIBLING_BDF\n"
		"       dmabuf-test fuzz NAME BDF BAR SEED SECONDS\n"
		"       dmabuf-test failnth NAME BDF BAR\n"
		"       dmabuf-test path NAME BDF BAR\n"
		"       dmabuf-test cmb-peer NAME SOCKET\n"
		"       dmabuf-test sock-peer NAME SOCKET\n"
		"       dmabuf-test fd-peer NAME\n");
	return 2;
}

static bool needs_importer(const char *cmd)
{
	return strcmp(cmd, "errno") && strcmp(cmd, "many") &&
	       strcmp(cmd, "fdflags") && strcmp(cmd, "sizes");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	char msg[256];
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	stock = getenv("DMABUF_TEST_EXPORTER") &&
		!strcmp(getenv("DMABUF_TEST_EXPORTER"), "vfio-pci");
	if (getenv("DMABUF_TEST_SABOTAGE"))
		sabotage = getenv("DMABUF_TEST_SABOTAGE");
	if (argc < 3)
		return usage();
	if (needs_importer(cmd) && imp_open(msg, sizeof(msg))) {
		FAIL(argc > 3 && !strcmp(cmd, "interlock") ? argv[3] : argv[2],
		     "%s", msg);
		return 1;
	}
	if (!strcmp(cmd, "p2p") && argc >= 5)
		ret = cmd_p2p(argv[2], argv[3], atoi(argv[4]),
			      argc > 5 ? argv[5] : NULL);
	else if (!strcmp(cmd, "interlock") && argc == 6)
		ret = cmd_interlock(argv[2], argv[3], argv[4], atoi(argv[5]));
	else if (!strcmp(cmd, "cfg-write") && argc == 7 &&
		 (!strcmp(argv[2], "split") || !strcmp(argv[2], "plain") ||
		  !strcmp(argv[2], "race")) &&
		 (!strcmp(argv[3], "command") || !strcmp(argv[3], "pmcsr")))
		ret = cmd_cfg_write(argv[2], argv[3], argv[4], argv[5],
				    atoi(argv[6]));
	else if (!strcmp(cmd, "export-race") && argc == 5)
		ret = cmd_export_race(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(cmd, "stale") && argc == 5)
		ret = cmd_stale(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(cmd, "refusals") && argc == 5)
		ret = cmd_refusals(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(cmd, "errno") && (argc == 4 || argc == 6))
		ret = cmd_errno(argv[2], atoi(argv[3]),
				argc == 6 ? argv[4] : NULL,
				argc == 6 ? atoi(argv[5]) : 0);
	else if (!strcmp(cmd, "many") && (argc == 5 || argc == 6))
		ret = cmd_many(argv[2], argv[3], atoi(argv[4]),
			       argc == 6 ? atoi(argv[5]) : 1000);
	else if (!strcmp(cmd, "fdflags") && argc == 5)
		ret = cmd_fdflags(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(cmd, "dma-debug") && argc == 5)
		ret = cmd_dma_debug(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(cmd, "unplug") && argc == 5)
		ret = cmd_unplug(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(cmd, "aer") && argc == 5)
		ret = cmd_aer(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(cmd, "sibling-reset") && argc == 6)
		ret = cmd_sibling_reset(argv[2], argv[3], atoi(argv[4]),
					argv[5]);
	else if (!strcmp(cmd, "bus-addr") && argc == 5)
		ret = cmd_bus_addr(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(cmd, "no-route") && argc == 5)
		ret = cmd_no_route(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(cmd, "unbind-open") && argc == 5)
		ret = cmd_unbind_open(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(cmd, "sizes") && argc == 5)
		ret = cmd_sizes(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(cmd, "bigbar") && argc == 5)
		ret = cmd_bigbar(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(cmd, "late-unmap") && argc == 5)
		ret = cmd_late_unmap(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(cmd, "late-fence") && argc == 5)
		ret = cmd_late_fence(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(cmd, "orphan") && argc == 6)
		ret = cmd_orphan(argv[2], argv[3], atoi(argv[4]), argv[5]);
	else if (!strcmp(cmd, "fuzz") && argc == 7)
		ret = cmd_fuzz(argv[2], argv[3], atoi(argv[4]),
			       strtoull(argv[5], NULL, 0), atoi(argv[6]));
	else if (!strcmp(cmd, "path") && argc == 5)
		ret = cmd_path(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(cmd, "cmb-peer") && argc == 4)
		ret = cmd_cmb_peer(argv[2], argv[3]);
	else if (!strcmp(cmd, "sock-peer") && argc == 4)
		ret = cmd_sock_peer(argv[2], argv[3]);
	else if (!strcmp(cmd, "fd-peer") && argc == 3)
		ret = cmd_fd_peer(argv[2]);
	else if (!strcmp(cmd, "failnth") && argc == 5)
		ret = cmd_failnth(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(cmd, "stress") && argc >= 5 && argc <= 7)
		ret = cmd_stress(argv[2], argv[3], atoi(argv[4]),
				 argc >= 6 ? atoi(argv[5]) : 10,
				 argc == 7 ? strtoul(argv[6], NULL, 0) : 0);
	else
		return usage();
	return ret ? ret : nfail ? 1 : 0;
}
