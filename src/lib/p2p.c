// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Whether an importer reaches an exporter's BARs peer-to-peer, decided from
 * sysfs by the rules the module applies at map time (src/p2p.c): devices
 * below a common upstream device with no ACS redirection on the way use
 * bus addresses; anything else crosses the host bridge, which only AMD Zen
 * CPUs and the host bridges of src/p2p-host-bridges.h forward.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "internal.h"

/* Upstream devices of a PCI function: the function, then bridge by bridge. */
#define VFD_MAX_DEPTH	32

struct vfd_chain {
	char host[32];			/* "pciDDDD:BB", its host bridge */
	unsigned int n;
	char dev[VFD_MAX_DEPTH][16];	/* [0] the function, then upward */
};

/* A fact that could not be read leaves the answer unknown. */
struct vfd_p2p_ctx {
	struct vfio_dmabuf_p2p *res;
	bool unknown;
	char unread[128];		/* what could not be read */
};

static const struct {
	unsigned int vendor, device;
	bool same_bridge_only;
} vfd_host_bridges[] = {
#define VPD_HOST_BRIDGE(v, d, same) { v, d, same },
#include "../p2p-host-bridges.h"
#undef VPD_HOST_BRIDGE
};

/* "DDDD:BB" of a host bridge's "pciDDDD:BB". */
static bool vfd_is_domain_bus(const char *s)
{
	return strlen(s) == 7 && isxdigit((unsigned char)s[0]) &&
	       isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2]) &&
	       isxdigit((unsigned char)s[3]) && s[4] == ':' &&
	       isxdigit((unsigned char)s[5]) && isxdigit((unsigned char)s[6]);
}

static int vfd_chain_of(const char *bdf, struct vfd_chain *c)
{
	char path[PATH_MAX], real[PATH_MAX], *p, *save = NULL;
	char *comp[VFD_MAX_DEPTH];
	unsigned int n = 0, i;
	int ret;

	memset(c, 0, sizeof(*c));
	ret = vfd_path(path, sizeof(path), "%s/sys/bus/pci/devices/%s",
		       vfd_sysfs, bdf);
	if (ret)
		return vfd_fail(-ret, "%s: path too long", bdf);
	if (!realpath(path, real))
		return vfd_fail(errno, "%s: %s (no such PCI device?)", path,
				strerror(errno));
	for (p = strtok_r(real, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (!c->host[0]) {
			if (!strncmp(p, "pci", 3) && vfd_is_domain_bus(p + 3))
				snprintf(c->host, sizeof(c->host), "%s", p);
			continue;
		}
		if (vfd_check_bdf(p))
			continue;
		if (n == VFD_MAX_DEPTH)
			return vfd_fail(ELOOP, "%s: deeper than %d PCI levels",
					bdf, VFD_MAX_DEPTH);
		comp[n++] = p;
	}
	if (!c->host[0] || !n || strcmp(comp[n - 1], bdf))
		return vfd_fail(ENODEV, "%s: not below a PCI host bridge in sysfs",
				bdf);
	for (i = 0; i < n; i++)
		snprintf(c->dev[i], sizeof(c->dev[i]), "%s", comp[n - 1 - i]);
	c->n = n;
	return 0;
}

static void vfd_unknown(struct vfd_p2p_ctx *x, const char *bdf,
			const char *what)
{
	if (!x->unknown)
		snprintf(x->unread, sizeof(x->unread), "%s of %s", what, bdf);
	x->unknown = true;
}

/*
 * @bdf's config space into @cfg (4096 bytes); the bytes read, or -1 with
 * the answer unknown if fewer than the device has (reads beyond 64 bytes
 * need CAP_SYS_ADMIN).
 */
static ssize_t vfd_config(struct vfd_p2p_ctx *x, const char *bdf,
			  uint8_t *cfg)
{
	char path[PATH_MAX];
	ssize_t n, size;
	int fd;

	if (vfd_path(path, sizeof(path), "%s/sys/bus/pci/devices/%s/config",
		     vfd_sysfs, bdf))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		vfd_unknown(x, bdf, "the config space");
		return -1;
	}
	size = lseek(fd, 0, SEEK_END);
	n = pread(fd, cfg, PCI_CFG_SPACE_EXP_SIZE, 0);
	close(fd);
	if (n < 0 || size <= 0 || n < size || n < PCI_STD_HEADER_SIZEOF) {
		vfd_unknown(x, bdf, "the config space (run as root)");
		return -1;
	}
	return n;
}

static uint16_t vfd_cfg16(const uint8_t *cfg, unsigned int off)
{
	return cfg[off] | cfg[off + 1] << 8;
}

static uint32_t vfd_cfg32(const uint8_t *cfg, unsigned int off)
{
	return vfd_cfg16(cfg, off) | (uint32_t)vfd_cfg16(cfg, off + 2) << 16;
}

/* Offset of extended capability @id, 0 if absent. */
static unsigned int vfd_ext_cap(const uint8_t *cfg, ssize_t len, uint16_t id)
{
	unsigned int pos = PCI_CFG_SPACE_SIZE, guard = 0;

	while (pos >= PCI_CFG_SPACE_SIZE && pos + 4 <= (size_t)len &&
	       guard++ < 480) {
		uint32_t h = vfd_cfg32(cfg, pos);

		if (!h || h == 0xffffffff)
			return 0;
		if (PCI_EXT_CAP_ID(h) == id)
			return pos;
		pos = PCI_EXT_CAP_NEXT(h);
	}
	return 0;
}

/* ACS request/completion redirect or egress control send P2P upstream. */
static bool vfd_acs_redirects(struct vfd_p2p_ctx *x, const char *bdf)
{
	uint8_t cfg[PCI_CFG_SPACE_EXP_SIZE];
	unsigned int acs;
	ssize_t n;

	n = vfd_config(x, bdf, cfg);
	if (n < 0)
		return false;
	acs = vfd_ext_cap(cfg, n, PCI_EXT_CAP_ID_ACS);
	if (!acs || acs + PCI_ACS_CTRL + 2 > (size_t)n)
		return false;
	return vfd_cfg16(cfg, acs + PCI_ACS_CTRL) &
	       (PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC);
}

/* The first device of @c from @from on that redirects, before @top. */
static const char *vfd_path_redirects(struct vfd_p2p_ctx *x,
				      const struct vfd_chain *c,
				      unsigned int top)
{
	unsigned int i;

	for (i = 0; i < top; i++)
		if (vfd_acs_redirects(x, c->dev[i]))
			return c->dev[i];
	return NULL;
}

/* Index in @a of the nearest device also in @b, or -1. */
static int vfd_common(const struct vfd_chain *a, const struct vfd_chain *b,
		      unsigned int *in_b)
{
	unsigned int i, j;

	if (strcmp(a->host, b->host))
		return -1;
	for (i = 0; i < a->n; i++)
		for (j = 0; j < b->n; j++)
			if (!strcmp(a->dev[i], b->dev[j])) {
				*in_b = j;
				return i;
			}
	return -1;
}

/* AMD Zen (family 0x17) or newer routes P2P through its root complex. */
static bool vfd_cpu_routes_p2p(struct vfd_p2p_ctx *x, char *cpu, size_t len)
{
	char path[PATH_MAX], line[256], vendor[64] = "";
	unsigned int family = 0;
	FILE *f;

	if (vfd_path(path, sizeof(path), "%s/proc/cpuinfo", vfd_procfs))
		return false;
	f = fopen(path, "re");
	if (!f) {
		vfd_unknown(x, "this host", "/proc/cpuinfo");
		return false;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!vendor[0])
			sscanf(line, "vendor_id : %63s", vendor);
		if (!family && sscanf(line, "cpu family : %u", &family) == 1)
			break;
	}
	fclose(f);
	snprintf(cpu, len, "%s family 0x%x", vendor[0] ? vendor : "unknown",
		 family);
	return !strcmp(vendor, "AuthenticAMD") && family >= 0x17;
}

static int vfd_read_hex(const char *bdf, const char *attr, unsigned int *val)
{
	char path[PATH_MAX], buf[32];
	ssize_t n;
	int fd;

	if (vfd_path(path, sizeof(path), "%s/sys/bus/pci/devices/%s/%s",
		     vfd_sysfs, bdf, attr))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	*val = strtoul(buf, NULL, 16);
	return 0;
}

static int vfd_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The device standing for @host's host bridge, as the kernel picks it: the
 * first function on its root bus, if that is devfn 0 or a root port.
 */
static int vfd_host_bridge_dev(struct vfd_p2p_ctx *x, const char *host,
			       char *bdf, size_t len)
{
	char dir[PATH_MAX], *names[256];
	unsigned int n = 0, i;
	struct dirent *e;
	uint8_t cfg[PCI_CFG_SPACE_EXP_SIZE];
	DIR *dp;
	int ret = -ENODEV;

	if (vfd_path(dir, sizeof(dir), "%s/sys/devices/%s", vfd_sysfs, host))
		return -ENAMETOOLONG;
	dp = opendir(dir);
	if (!dp)
		return -errno;
	while ((e = readdir(dp)) && n < ARRAY_SIZE(names))
		/* "DDDD:BB:" of the root bus, which is "pciDDDD:BB"'s. */
		if (!vfd_check_bdf(e->d_name) &&
		    !strncmp(e->d_name, host + 3, 7))
			names[n++] = strdup(e->d_name);
	closedir(dp);
	for (i = 0; i < n; i++)
		if (!names[i])
			goto out;
	/* Scanned, and listed by the kernel, in devfn order. */
	qsort(names, n, sizeof(names[0]), vfd_cmp_str);
	if (!n)
		goto out;
	snprintf(bdf, len, "%s", names[0]);
	ret = 0;
	if (!strcmp(names[0] + 8, "00.0"))
		goto out;
	/* Otherwise it must be a root port. */
	if (vfd_config(x, bdf, cfg) < 0)
		goto out;
	{
		unsigned int pos = cfg[PCI_CAPABILITY_LIST], guard = 0;

		ret = -ENODEV;
		while (pos >= PCI_STD_HEADER_SIZEOF && pos < 0xff && guard++ < 48) {
			pos &= ~3u;
			if (cfg[pos] == PCI_CAP_ID_EXP) {
				if (((cfg[pos + PCI_EXP_FLAGS] & PCI_EXP_FLAGS_TYPE) >> 4) ==
				    PCI_EXP_TYPE_ROOT_PORT)
					ret = 0;
				break;
			}
			pos = cfg[pos + 1];
		}
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	return ret;
}

static bool vfd_host_bridge_forwards(struct vfd_p2p_ctx *x, const char *host,
				     bool same, char *name, size_t len)
{
	unsigned int vendor, device, i;
	char bdf[16];

	snprintf(name, len, "%s (no device stands for it)", host);
	if (vfd_host_bridge_dev(x, host, bdf, sizeof(bdf)) ||
	    vfd_read_hex(bdf, "vendor", &vendor) ||
	    vfd_read_hex(bdf, "device", &device))
		return false;
	snprintf(name, len, "%s [%04x:%04x]", bdf, vendor, device);
	for (i = 0; i < ARRAY_SIZE(vfd_host_bridges); i++) {
		if (vendor != vfd_host_bridges[i].vendor ||
		    (vfd_host_bridges[i].device != VPD_ANY_DEVICE &&
		     device != vfd_host_bridges[i].device))
			continue;
		return same || !vfd_host_bridges[i].same_bridge_only;
	}
	return false;
}

static bool vfd_host_bridges_forward(struct vfd_p2p_ctx *x,
				     const struct vfd_chain *e,
				     const struct vfd_chain *i,
				     char *why, size_t len)
{
	bool same = !strcmp(e->host, i->host);
	char cpu[96], hb[64];

	if (vfd_cpu_routes_p2p(x, cpu, sizeof(cpu))) {
		snprintf(why, len, "the CPU (%s, AMD Zen or newer) forwards peer-to-peer between its root ports",
			 cpu);
		return true;
	}
	if (!vfd_host_bridge_forwards(x, e->host, same, hb, sizeof(hb))) {
		snprintf(why, len, "the host bridge %s is not known to forward peer-to-peer%s, and the CPU (%s) is not AMD Zen",
			 hb, same ? "" : " to another host bridge", cpu);
		return false;
	}
	if (!same && !vfd_host_bridge_forwards(x, i->host, false, hb, sizeof(hb))) {
		snprintf(why, len, "the importer's host bridge %s is not known to forward peer-to-peer",
			 hb);
		return false;
	}
	snprintf(why, len, "the host bridge %s forwards peer-to-peer", hb);
	return true;
}

/* How the importer's DMA is translated, for the operator. */
static void vfd_iommu_sentence(const char *imp, char *out, size_t len)
{
	char path[PATH_MAX], type[32] = "";
	const char *noiommu = "";
	FILE *f;
	int n;

	if (!vfd_path(path, sizeof(path),
		      "%s/sys/module/vfio/parameters/enable_unsafe_noiommu_mode",
		      vfd_sysfs) && (f = fopen(path, "re"))) {
		if (fgetc(f) == 'Y')
			noiommu = "; vfio is in unsafe noiommu mode";
		fclose(f);
	}
	if (vfd_iommu_group(imp) < 0) {
		snprintf(out, len, "no IOMMU translates %s's DMA: it uses physical and bus addresses%s",
			 imp, noiommu);
		return;
	}
	if (!vfd_path(path, sizeof(path),
		      "%s/sys/bus/pci/devices/%s/iommu_group/type", vfd_sysfs,
		      imp) && (f = fopen(path, "re"))) {
		if (!fgets(type, sizeof(type), f))
			type[0] = '\0';
		fclose(f);
	}
	n = strcspn(type, "\n");
	type[n] = '\0';
	if (!strcmp(type, "identity"))
		snprintf(out, len, "the IOMMU passes %s's DMA through (identity): host-bridge mappings are physical addresses%s",
			 imp, noiommu);
	else
		snprintf(out, len, "the IOMMU translates %s's DMA (domain %s): host-bridge mappings are IOVAs of its domain%s",
			 imp, type[0] ? type : "unknown", noiommu);
}

const char *vfio_dmabuf_path_name(enum vfio_dmabuf_path path)
{
	switch (path) {
	case VFIO_DMABUF_PATH_NONE:
		return "none";
	case VFIO_DMABUF_PATH_BUS_ADDR:
		return "bus-address";
	case VFIO_DMABUF_PATH_HOST_BRIDGE:
		return "host-bridge";
	default:
		return "unknown";
	}
}

static void vfd_decide(struct vfd_p2p_ctx *x, const struct vfd_chain *e,
		       const struct vfd_chain *i)
{
	struct vfio_dmabuf_p2p *r = x->res;
	const char *redirect = NULL;
	unsigned int in_i = 0;
	char hb[320], below[96];
	int c;

	c = vfd_common(e, i, &in_i);
	if (c >= 0) {
		snprintf(r->common, sizeof(r->common), "%s", e->dev[c]);
		redirect = vfd_acs_redirects(x, e->dev[c]) ? e->dev[c] : NULL;
		if (!redirect)
			redirect = vfd_path_redirects(x, e, c);
		if (!redirect)
			redirect = vfd_path_redirects(x, i, in_i);
		if (!redirect && !x->unknown) {
			r->path = VFIO_DMABUF_PATH_BUS_ADDR;
			snprintf(r->why, sizeof(r->why), "both are below %s with no ACS redirection on the way: the importer uses the BAR's bus addresses",
				 r->common);
			return;
		}
	}
	if (redirect)
		snprintf(below, sizeof(below), "ACS redirection at %s sends the traffic upstream",
			 redirect);
	else
		snprintf(below, sizeof(below), "%s",
			 c >= 0 ? "the path below the common upstream device is unreadable" :
			 "the devices have no common upstream bridge");
	if (vfd_host_bridges_forward(x, e, i, hb, sizeof(hb))) {
		r->path = VFIO_DMABUF_PATH_HOST_BRIDGE;
		snprintf(r->why, sizeof(r->why), "%s, and %s: the importer reaches the BAR through the host bridge",
			 below, hb);
	} else {
		r->path = VFIO_DMABUF_PATH_NONE;
		snprintf(r->why, sizeof(r->why), "%s, and %s: the map is refused (EINVAL)",
			 below, hb);
	}
}

int vfio_dmabuf_p2p(const char *exporter_bdf, const char *importer_bdf,
		    struct vfio_dmabuf_p2p *res)
{
	struct vfd_p2p_ctx x = { .res = res };
	struct vfd_chain e, i;
	int ret;

	vfd_clear_error();
	if (!res)
		return vfd_fail(EINVAL, "no place for the answer");
	memset(res, 0, sizeof(*res));
	if (vfd_check_bdf(exporter_bdf) || vfd_check_bdf(importer_bdf))
		return vfd_fail(EINVAL, "PCI addresses are DDDD:BB:DD.F");
	ret = vfd_chain_of(exporter_bdf, &e);
	if (!ret)
		ret = vfd_chain_of(importer_bdf, &i);
	if (ret)
		return ret;

	vfd_decide(&x, &e, &i);
	vfd_iommu_sentence(importer_bdf, res->iommu, sizeof(res->iommu));
	if (x.unknown) {
		res->path = VFIO_DMABUF_PATH_UNKNOWN;
		snprintf(res->why, sizeof(res->why), "cannot read %s", x.unread);
	}
	return 0;
}
