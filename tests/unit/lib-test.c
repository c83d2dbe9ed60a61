// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of libvfio-dmabuf, no device needed: linked with the
 * static archive and -Wl,--wrap=ioctl, so every ioctl the library issues
 * lands in fake_ioctl() below, and with sysfs, /dev and /proc pointed at
 * trees built here (one per rig topology the module decides on).
 *
 *   lib-test SCRATCH_DIR    "PASS|FAIL NAME[ - MSG]" lines; exit 1 on FAIL
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <uapi/linux/vfio-pci-dmabuf.h>

#include "../../src/lib/internal.h"

static int nfail;

static void result(bool ok, const char *name, const char *fmt, ...)
{
	char msg[512] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name, ok || !*msg ? "" : " - ",
	       ok ? "" : msg);
	nfail += !ok;
}

/* ------------------------------------------------------------ fake ioctl */

static struct {
	unsigned long req;
	unsigned char arg[64 + 16 * 8];
	size_t len;		/* bytes of arg kept */
	int calls;
	int ret, err;		/* what the fake returns */
	struct vfio_region_info region;	/* GET_REGION_INFO answers */
	uint64_t cfg_offset;
	uint32_t group_flags;		/* GROUP_GET_STATUS answer */
	unsigned long iommu_type;	/* what SET_IOMMU was asked for */
	char device_name[32];		/* what GROUP_GET_DEVICE_FD was asked for */
} fk;

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	(void)fd;
	fk.calls++;
	fk.req = req;
	if (req == VFIO_DEVICE_FEATURE) {
		const struct vfio_device_feature *f = arg;

		fk.len = f->argsz < sizeof(fk.arg) ? f->argsz : sizeof(fk.arg);
		memcpy(fk.arg, arg, fk.len);
	} else if (req == VFIO_GET_API_VERSION && fk.ret >= 0) {
		return VFIO_API_VERSION;
	} else if (req == VFIO_GROUP_GET_STATUS && fk.ret >= 0) {
		((struct vfio_group_status *)arg)->flags = fk.group_flags;
		return 0;
	} else if (req == VFIO_SET_IOMMU) {
		fk.iommu_type = (unsigned long)arg;
	} else if (req == VFIO_GROUP_GET_DEVICE_FD && fk.ret >= 0) {
		snprintf(fk.device_name, sizeof(fk.device_name), "%s",
			 (const char *)arg);
		return open("/dev/null", O_RDWR | O_CLOEXEC);
	} else if (req == VFIO_DEVICE_GET_REGION_INFO) {
		struct vfio_region_info *r = arg;

		if (r->index == VFIO_PCI_CONFIG_REGION_INDEX) {
			r->size = 256;
			r->offset = fk.cfg_offset;
			return 0;
		}
		r->size = fk.region.size;
		r->offset = fk.region.offset;
		r->flags = fk.region.flags;
	}
	if (fk.ret < 0)
		errno = fk.err;
	return fk.ret;
}

static void fake_reset(int ret, int err)
{
	memset(&fk, 0, sizeof(fk));
	fk.ret = ret;
	fk.err = err;
}

/* ---------------------------------------------------------------- export */

static void test_export_refusals(void)
{
	struct vfio_dmabuf_range r = { 0, 4096 };

	fake_reset(0, 0);
	result(vfio_dmabuf_export(3, 6, &r, 1, O_CLOEXEC) == -ENODEV &&
	       !fk.calls, "export.bar-6-enodev", "no ENODEV, or an ioctl");
	result(vfio_dmabuf_export(3, 0, &r, 0, O_CLOEXEC) == -EINVAL &&
	       !fk.calls, "export.no-ranges-einval", NULL);
	result(vfio_dmabuf_export(3, 0, NULL, 1, O_CLOEXEC) == -EINVAL &&
	       !fk.calls, "export.null-ranges-einval", NULL);
	result(vfio_dmabuf_export(3, 0, &r, VFIO_DMABUF_MAX_RANGES + 1,
				  O_CLOEXEC) == -E2BIG && !fk.calls,
	       "export.too-many-e2big", NULL);
	result(vfio_dmabuf_export(3, 0, &r, ~0u, O_CLOEXEC) == -E2BIG &&
	       !fk.calls, "export.uint-max-e2big", NULL);
}

static void test_export_request(void)
{
	const struct vfio_dmabuf_range r[3] = {
		{ 0x1000, 0x2000 }, { 0x10000, 0x1000 }, { 0, 0x1000 },
	};
	const struct vfio_device_feature *f = (const void *)fk.arg;
	const struct vfio_device_feature_dma_buf *db = (const void *)f->data;
	int ret;

	fake_reset(42, 0);
	ret = vfio_dmabuf_export(3, 2, r, 3, O_CLOEXEC | O_RDWR);
	result(ret == 42 && fk.req == VFIO_DEVICE_FEATURE &&
	       f->argsz == sizeof(*f) + sizeof(*db) + 3 * sizeof(r[0]) &&
	       f->flags == (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF) &&
	       db->region_index == 2 && db->open_flags == (O_CLOEXEC | O_RDWR) &&
	       db->flags == 0 && db->nr_ranges == 3 &&
	       !memcmp(db->dma_ranges, r, sizeof(r)),
	       "export.request", "ret %d argsz %u flags 0x%x region %u nr %u",
	       ret, f->argsz, f->flags, db->region_index, db->nr_ranges);

	fake_reset(-1, EINVAL);
	result(vfio_dmabuf_export(3, 2, r, 3, O_CLOEXEC) == -EINVAL,
	       "export.errno-returned", NULL);
}

static void test_probe(void)
{
	const struct vfio_device_feature *f = (const void *)fk.arg;

	fake_reset(1, 0);
	result(!vfio_dmabuf_probe(3) && f->argsz == sizeof(*f) &&
	       f->flags == (VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			    VFIO_DEVICE_FEATURE_DMA_BUF),
	       "probe.request", "argsz %u flags 0x%x", f->argsz, f->flags);
	fake_reset(-1, ENOTTY);
	result(vfio_dmabuf_probe(3) == -ENOTTY, "probe.enotty", NULL);
}

/* A memfd stands for the device fd: pread() reads its "config space". */
static void test_bar_info(void)
{
	struct vfio_dmabuf_bar b;
	uint32_t bars[6] = {
		PCI_BASE_ADDRESS_SPACE_IO | 0xc000,
		0,
		PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH,
		0,
	};
	int fd = memfd_create("cfg", MFD_CLOEXEC);

	if (fd < 0 || pwrite(fd, bars, sizeof(bars), 0x10000 + PCI_BASE_ADDRESS_0) !=
	    sizeof(bars)) {
		result(false, "bar-info.setup", "memfd: %s", strerror(errno));
		return;
	}
	fake_reset(0, 0);
	fk.cfg_offset = 0x10000;
	fk.region.size = 1 << 20;
	fk.region.offset = 0x20000000000ULL;
	fk.region.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_MMAP;
	result(!vfio_dmabuf_bar_info(fd, 2, &b) && b.index == 2 &&
	       b.size == 1 << 20 && b.offset == 0x20000000000ULL && b.memory &&
	       b.mem64 && b.prefetchable && b.mmap, "bar-info.mem64-pref",
	       "size 0x%llx memory %d mem64 %d pref %d mmap %d",
	       (unsigned long long)b.size, b.memory, b.mem64, b.prefetchable,
	       b.mmap);
	fk.region.flags = VFIO_REGION_INFO_FLAG_READ;
	result(!vfio_dmabuf_bar_info(fd, 0, &b) && !b.memory && !b.mmap,
	       "bar-info.io-bar", "memory %d", b.memory);
	fk.region.size = 0;
	result(!vfio_dmabuf_bar_info(fd, 3, &b) && !b.size && !b.memory,
	       "bar-info.absent", NULL);
	result(vfio_dmabuf_bar_info(fd, 6, &b) == -ENODEV, "bar-info.bar-6-enodev",
	       NULL);
	close(fd);
}

/* -------------------------------------------------------------- explain */

static void test_explain(void)
{
	static const struct {
		enum vfio_dmabuf_op op;
		int err;
		const char *needle;
	} want[] = {
		{ VFIO_DMABUF_OP_EXPORT, ENOTTY, "no dma-buf export" },
		{ VFIO_DMABUF_OP_EXPORT, ENODEV, "BAR is not there" },
		{ VFIO_DMABUF_OP_EXPORT, EINVAL, "not page aligned" },
		{ VFIO_DMABUF_OP_EXPORT, EMFILE, "ulimit" },
		{ VFIO_DMABUF_OP_PROBE, ENOTTY, "before Linux 6.19" },
		{ VFIO_DMABUF_OP_IMPORT, EOPNOTSUPP, "cannot register dma-buf memory" },
		{ VFIO_DMABUF_OP_IMPORT, EOPNOTSUPP, "cannot be revoked" },
		{ VFIO_DMABUF_OP_IMPORT, EINVAL, "topology" },
		{ VFIO_DMABUF_OP_IMPORT, ENODEV, "revoked" },
		{ VFIO_DMABUF_OP_OPEN, EBUSY, "in use" },
		{ VFIO_DMABUF_OP_OPEN, EPERM, "CAP_SYS_RAWIO" },
	};
	unsigned int i;
	bool ok = true;

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		const char *pos = vfio_dmabuf_explain(want[i].op, want[i].err);
		const char *neg = vfio_dmabuf_explain(want[i].op, -want[i].err);

		if (!strstr(pos, want[i].needle) || strcmp(pos, neg)) {
			result(false, "explain.known", "op %d errno %d: \"%s\"",
			       want[i].op, want[i].err, pos);
			ok = false;
		}
	}
	if (ok)
		result(true, "explain.known", NULL);
	result(strstr(vfio_dmabuf_explain(VFIO_DMABUF_OP_EXPORT, EXDEV),
		      "unexpected error") != NULL, "explain.unknown-errno", NULL);
	result(strstr(vfio_dmabuf_explain(99, EINVAL), "unexpected") != NULL,
	       "explain.unknown-op", NULL);
}

static void test_bdf(void)
{
	static const char *const good[] = { "0000:00:00.0", "ffff:ff:1f.7",
					    "0000:0a:1F.3" };
	static const char *const bad[] = { "", "0000:00:00", "00:00.0",
					   "0000:00:20.0", "0000:00:00.8",
					   "0000:00:00.0 ", "0000-00:00.0",
					   "g000:00:00.0", "../../../..." };
	struct vfio_dmabuf_dev *d = (void *)1;
	unsigned int i;
	bool ok = true;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		ok &= !vfd_check_bdf(good[i]);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		ok &= vfd_check_bdf(bad[i]) == -EINVAL;
	result(ok, "bdf.forms", NULL);
	result(vfio_dmabuf_open("../../x", 0, &d) == -EINVAL && !d &&
	       strstr(vfio_dmabuf_last_error(), "not a PCI address"),
	       "open.bad-address", "%s", vfio_dmabuf_last_error());
	result(vfio_dmabuf_open("0000:00:00.0", 3, &d) == -EINVAL,
	       "open.bad-flags", NULL);
}

/* ------------------------------------------------------- fake sysfs trees */

/* Short enough that every path built from it fits PATH_MAX. */
static char root[1024];

static void mkdirs(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	mkdir(buf, 0755);
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror(path);
		exit(2);
	}
	close(fd);
}

/* ACS control bits of a device's ACS capability, or -1 for none. */
static void add_dev(const char *parent, const char *bdf, unsigned int vendor,
		    unsigned int device, int acs_ctrl)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], link[PATH_MAX + 32], txt[16];
	uint8_t cfg[PCI_CFG_SPACE_EXP_SIZE] = { 0 };

	snprintf(dir, sizeof(dir), "%s/sys/devices/%s/%s", root, parent, bdf);
	mkdirs(dir);
	cfg[0] = vendor;
	cfg[1] = vendor >> 8;
	cfg[2] = device;
	cfg[3] = device >> 8;
	if (acs_ctrl >= 0) {
		/* ACS at 0x100: id 0x000d, version 1, no next */
		cfg[0x100] = PCI_EXT_CAP_ID_ACS;
		cfg[0x102] = 0x01;
		cfg[0x100 + PCI_ACS_CTRL] = acs_ctrl;
	}
	snprintf(path, sizeof(path), "%s/config", dir);
	write_file(path, cfg, sizeof(cfg));
	snprintf(path, sizeof(path), "%s/vendor", dir);
	snprintf(txt, sizeof(txt), "0x%04x\n", vendor);
	write_file(path, txt, strlen(txt));
	snprintf(path, sizeof(path), "%s/device", dir);
	snprintf(txt, sizeof(txt), "0x%04x\n", device);
	write_file(path, txt, strlen(txt));
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices", root);
	mkdirs(path);
	snprintf(link, sizeof(link), "%s/sys/bus/pci/devices/%s", root, bdf);
	snprintf(path, sizeof(path), "../../../devices/%s/%s", parent, bdf);
	unlink(link);
	if (symlink(path, link)) {
		perror(link);
		exit(2);
	}
}

static void set_cpu(const char *vendor, unsigned int family)
{
	char path[PATH_MAX + 16], txt[128];

	snprintf(path, sizeof(path), "%s/proc", root);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/proc/cpuinfo", root);
	snprintf(txt, sizeof(txt), "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: 1\n",
		 vendor, family);
	write_file(path, txt, strlen(txt));
}

static void expect_path(const char *name, const char *exp, const char *imp,
			enum vfio_dmabuf_path want, const char *needle)
{
	struct vfio_dmabuf_p2p r;
	int ret = vfio_dmabuf_p2p(exp, imp, &r);

	result(!ret && r.path == want && strstr(r.why, needle), name,
	       "ret %d (%s) path %s, want %s with \"%s\": %s", ret,
	       vfio_dmabuf_last_error(), vfio_dmabuf_path_name(r.path),
	       vfio_dmabuf_path_name(want), needle, r.why);
}

/*
 * The rig's machines (tests/lib/vm.sh): q35's host bridge 8086:29c0 at
 * 00:00.0; root ports 00:1c.0 (edu 01:00.0) and 00:1c.1 (ivshmem 02:00.0);
 * a switch below root port 00:1d.0: upstream 03:00.0, downstream ports
 * 04:00.0 (ivshmem 05:00.0) and 04:01.0 (edu 06:00.0).
 */
static void build_q35(int downstream_acs)
{
	const char *h = "pci0000:00";

	add_dev(h, "0000:00:00.0", 0x8086, 0x29c0, -1);
	add_dev(h, "0000:00:1c.0", 0x1b36, 0x000c, 0);
	add_dev(h, "0000:00:1c.1", 0x1b36, 0x000c, 0);
	add_dev("pci0000:00/0000:00:1c.0", "0000:01:00.0", 0x1234, 0x11e8, -1);
	add_dev("pci0000:00/0000:00:1c.1", "0000:02:00.0", 0x1af4, 0x1110, -1);
	add_dev(h, "0000:00:1d.0", 0x1b36, 0x000c, 0);
	add_dev("pci0000:00/0000:00:1d.0", "0000:03:00.0", 0x10b5, 0x8725, -1);
	add_dev("pci0000:00/0000:00:1d.0/0000:03:00.0", "0000:04:00.0", 0x10b5,
		0x8725, downstream_acs);
	add_dev("pci0000:00/0000:00:1d.0/0000:03:00.0", "0000:04:01.0", 0x10b5,
		0x8725, 0);
	add_dev("pci0000:00/0000:00:1d.0/0000:03:00.0/0000:04:00.0",
		"0000:05:00.0", 0x1af4, 0x1110, -1);
	add_dev("pci0000:00/0000:00:1d.0/0000:03:00.0/0000:04:01.0",
		"0000:06:00.0", 0x1234, 0x11e8, -1);
}

static void test_p2p(void)
{
	char path[PATH_MAX + 64];
	struct vfio_dmabuf_p2p r;

	vfd_sysfs = root;
	vfd_procfs = root;
	vfd_devfs = root;
	build_q35(0);

	set_cpu("AuthenticAMD", 0x17);
	expect_path("p2p.root-ports.amd-zen", "0000:02:00.0", "0000:01:00.0",
		    VFIO_DMABUF_PATH_HOST_BRIDGE, "AMD Zen");
	set_cpu("AuthenticAMD", 0x15);
	expect_path("p2p.root-ports.amd-pre-zen", "0000:02:00.0", "0000:01:00.0",
		    VFIO_DMABUF_PATH_NONE, "not known to forward");
	set_cpu("GenuineIntel", 6);
	expect_path("p2p.root-ports.intel-q35", "0000:02:00.0", "0000:01:00.0",
		    VFIO_DMABUF_PATH_NONE, "no common upstream bridge");
	expect_path("p2p.switch.bus-addr", "0000:05:00.0", "0000:06:00.0",
		    VFIO_DMABUF_PATH_BUS_ADDR, "below 0000:03:00.0");
	expect_path("p2p.switch-to-root-port", "0000:05:00.0", "0000:01:00.0",
		    VFIO_DMABUF_PATH_NONE, "refused");

	build_q35(PCI_ACS_RR | PCI_ACS_CR);
	expect_path("p2p.switch.acs-redirect.intel", "0000:05:00.0", "0000:06:00.0",
		    VFIO_DMABUF_PATH_NONE, "ACS redirection at 0000:04:00.0");
	set_cpu("AuthenticAMD", 0x19);
	expect_path("p2p.switch.acs-redirect.amd", "0000:05:00.0", "0000:06:00.0",
		    VFIO_DMABUF_PATH_HOST_BRIDGE, "ACS redirection at 0000:04:00.0");
	build_q35(PCI_ACS_SV);	/* source validation does not redirect */
	expect_path("p2p.switch.acs-sv-only", "0000:05:00.0", "0000:06:00.0",
		    VFIO_DMABUF_PATH_BUS_ADDR, "no ACS redirection");

	/* Skylake-E forwards between its root ports; E5 only on one bridge. */
	set_cpu("GenuineIntel", 6);
	add_dev("pci0000:00", "0000:00:00.0", 0x8086, 0x2030, -1);
	expect_path("p2p.root-ports.intel-listed", "0000:02:00.0", "0000:01:00.0",
		    VFIO_DMABUF_PATH_HOST_BRIDGE, "8086:2030");
	add_dev("pci0000:00", "0000:00:00.0", 0x8086, 0x3c00, -1);
	expect_path("p2p.root-ports.intel-e5-same-bridge", "0000:02:00.0",
		    "0000:01:00.0", VFIO_DMABUF_PATH_HOST_BRIDGE, "8086:3c00");
	add_dev("pci0000:80", "0000:80:00.0", 0x8086, 0x3c00, -1);
	add_dev("pci0000:80", "0000:80:01.0", 0x8086, 0x3c02, 0);
	add_dev("pci0000:80/0000:80:01.0", "0000:81:00.0", 0x1234, 0x11e8, -1);
	expect_path("p2p.intel-e5-two-bridges", "0000:02:00.0", "0000:81:00.0",
		    VFIO_DMABUF_PATH_NONE, "to another host bridge");

	/* A fact that cannot be read leaves the answer unknown. */
	build_q35(0);
	snprintf(path, sizeof(path), "%s/sys/devices/pci0000:00/0000:00:1d.0/0000:03:00.0/0000:04:01.0/config",
		 root);
	unlink(path);
	mkdir(path, 0755);
	expect_path("p2p.unreadable-config", "0000:05:00.0", "0000:06:00.0",
		    VFIO_DMABUF_PATH_UNKNOWN, "cannot read the config space");
	rmdir(path);
	build_q35(0);

	result(vfio_dmabuf_p2p("0000:09:00.0", "0000:01:00.0", &r) == -ENOENT &&
	       strstr(vfio_dmabuf_last_error(), "no such PCI device"),
	       "p2p.missing-device", "%s", vfio_dmabuf_last_error());

	/* The IOMMU sentence: no group, vfio's noiommu mode. */
	snprintf(path, sizeof(path), "%s/sys/module/vfio/parameters", root);
	mkdirs(path);
	strcat(path, "/enable_unsafe_noiommu_mode");
	write_file(path, "Y\n", 2);
	result(!vfio_dmabuf_p2p("0000:05:00.0", "0000:06:00.0", &r) &&
	       strstr(r.iommu, "no IOMMU") && strstr(r.iommu, "noiommu mode"),
	       "p2p.iommu-sentence.noiommu", "%s", r.iommu);
}

/* The legacy open, from sysfs's group link to the /dev node it opens. */
static void test_open_missing_group(void)
{
	struct vfio_dmabuf_dev *d;
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/dev/vfio", root);
	mkdirs(path);
	strcat(path, "/vfio");
	write_file(path, "", 0);
	fake_reset(VFIO_API_VERSION, 0);
	result(vfio_dmabuf_open("0000:05:00.0", VFIO_DMABUF_OPEN_LEGACY, &d) == -ENOENT &&
	       strstr(vfio_dmabuf_last_error(), "no IOMMU group"),
	       "open.no-group", "%s", vfio_dmabuf_last_error());
	result(vfio_dmabuf_open("0000:05:00.0", VFIO_DMABUF_OPEN_CDEV, &d) == -ENOENT &&
	       strstr(vfio_dmabuf_last_error(), "not bound to a VFIO driver"),
	       "open.cdev-unbound", "%s", vfio_dmabuf_last_error());
}

/* The legacy open, step by step, against fake nodes and the fake ioctl. */
static void test_open_legacy(void)
{
	char path[PATH_MAX + 64];
	struct vfio_dmabuf_dev *d = NULL;
	int ret;

	snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups/7", root);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:05:00.0/iommu_group",
		 root);
	unlink(path);
	if (symlink("../../../../kernel/iommu_groups/7", path)) {
		result(false, "open.legacy.setup", "%s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/dev/vfio/7", root);
	write_file(path, "", 0);

	fake_reset(0, 0);
	fk.group_flags = VFIO_GROUP_FLAGS_VIABLE;
	ret = vfio_dmabuf_open("0000:05:00.0", VFIO_DMABUF_OPEN_LEGACY, &d);
	result(!ret && d && vfio_dmabuf_dev_fd(d) >= 0 &&
	       vfio_dmabuf_dev_group_fd(d) >= 0 &&
	       vfio_dmabuf_dev_container_fd(d) >= 0 &&
	       vfio_dmabuf_dev_iommufd(d) == -1 && !vfio_dmabuf_dev_noiommu(d) &&
	       fk.iommu_type == VFIO_TYPE1v2_IOMMU &&
	       !strcmp(fk.device_name, "0000:05:00.0"), "open.legacy.type1",
	       "ret %d (%s) iommu %lu device \"%s\"", ret,
	       vfio_dmabuf_last_error(), fk.iommu_type, fk.device_name);
	vfio_dmabuf_close(d);
	d = NULL;

	/* vfio's noiommu mode names the group noiommu-7. */
	snprintf(path, sizeof(path), "%s/dev/vfio/noiommu-7", root);
	write_file(path, "", 0);
	fake_reset(0, 0);
	fk.group_flags = VFIO_GROUP_FLAGS_VIABLE;
	ret = vfio_dmabuf_open("0000:05:00.0", 0, &d);
	result(!ret && vfio_dmabuf_dev_noiommu(d) &&
	       fk.iommu_type == VFIO_NOIOMMU_IOMMU, "open.legacy.noiommu",
	       "ret %d (%s) iommu %lu", ret, vfio_dmabuf_last_error(),
	       fk.iommu_type);
	vfio_dmabuf_close(d);
	d = NULL;
	unlink(path);

	fake_reset(0, 0);
	fk.group_flags = 0;
	ret = vfio_dmabuf_open("0000:05:00.0", 0, &d);
	result(ret == -EINVAL && !d &&
	       strstr(vfio_dmabuf_last_error(), "is not viable"),
	       "open.legacy.not-viable", "ret %d: %s", ret,
	       vfio_dmabuf_last_error());

	fake_reset(-1, EBUSY);
	result(vfio_dmabuf_group_device_fd(3, "0000:05:00.0") == -EBUSY &&
	       strstr(vfio_dmabuf_last_error(), "in use"),
	       "group-device-fd.ebusy", "%s", vfio_dmabuf_last_error());
	result(vfio_dmabuf_group_device_fd(3, "0000:05:00.0;rm") == -EINVAL,
	       "group-device-fd.bad-address", NULL);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: lib-test SCRATCH_DIR\n");
		return 2;
	}
	char *real = realpath(argv[1], NULL);

	if (!real || strlen(real) >= sizeof(root)) {
		fprintf(stderr, "lib-test: %s: %s\n", argv[1],
			real ? "path too long" : strerror(errno));
		return 2;
	}
	memcpy(root, real, strlen(real) + 1);
	free(real);
	test_export_refusals();
	test_export_request();
	test_probe();
	test_bar_info();
	test_explain();
	test_bdf();
	test_p2p();
	test_open_missing_group();
	test_open_legacy();
	return nfail ? 1 : 0;
}
