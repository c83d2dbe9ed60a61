// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-dmabuf - list VFIO devices and their dma-buf export, tell whether an
 * importer reaches a BAR peer-to-peer, and export BAR ranges to a command
 * or to another process.  See vfio-dmabuf(1).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "vfio-dmabuf.h"

#define SYSPCI		"/sys/bus/pci/devices"
#define MAX_RANGES	64
/* sysfs resource flags (include/linux/ioport.h) */
#define RES_IO		0x00000100UL
#define RES_MEM		0x00000200UL
#define RES_PREFETCH	0x00002000UL
#define RES_MEM_64	0x00100000UL

static const char usage_text[] =
"usage: vfio-dmabuf list\n"
"       vfio-dmabuf doctor [--brief] EXPORTER [IMPORTER]\n"
"       vfio-dmabuf export [--legacy|--cdev] DEVICE BAR [RANGE...]\n"
"                   (--exec COMMAND [ARG...] | --serve SOCKET [--uid UID])\n"
"\n"
"  list     devices bound to vfio-pci, its drop-in or vfio-pci-dmabuf: IOMMU\n"
"           group, whether dma-buf export is there, memory BARs\n"
"  doctor   whether IMPORTER (default: every network, display and\n"
"           accelerator device) reaches EXPORTER's BARs peer-to-peer, and why\n"
"  export   RANGEs (OFFSET+LENGTH, default the whole BAR) of BAR of DEVICE as\n"
"           one dma-buf, for COMMAND (fd in $VFIO_DMABUF_FD) or for one\n"
"           client of the unix SOCKET (SCM_RIGHTS) whose uid is UID (default\n"
"           ours); the device stays open until COMMAND exits or the client\n"
"           hangs up\n"
"\n"
"DEVICE, EXPORTER, IMPORTER: PCI addresses (0000:01:00.0).  See vfio-dmabuf(1).\n";

static int usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	return status;
}

/* ------------------------------------------------------------ sysfs */

static int read_attr(const char *bdf, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYSPCI "/%s/%s", bdf, attr);
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

static unsigned long attr_hex(const char *bdf, const char *attr)
{
	char buf[32];

	return read_attr(bdf, attr, buf, sizeof(buf)) ? 0 :
	       strtoul(buf, NULL, 16);
}

/* @src into @buf, cut to fit. */
static void copy_str(char *buf, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(buf, src, n);
	buf[n] = '\0';
}

/* The basename of a link under the device, or "" (e.g. "driver"). */
static void link_name(const char *bdf, const char *what, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	ssize_t n;

	buf[0] = '\0';
	snprintf(path, sizeof(path), SYSPCI "/%s/%s", bdf, what);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return;
	link[n] = '\0';
	base = strrchr(link, '/');
	copy_str(buf, len, base ? base + 1 : link);
}

static bool file_exists(const char *path)
{
	return !access(path, F_OK);
}

/* Whether /proc/kallsyms names @sym (names are visible to every user). */
static bool kernel_has_symbol(const char *sym)
{
	char line[512], name[256];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %255s", name) == 1 &&
			!strcmp(name, sym);
	fclose(f);
	return found;
}

enum vfio_driver { DRV_NONE, DRV_VARIANT, DRV_DROPIN, DRV_STOCK };

static enum vfio_driver driver_of(const char *bdf, char *name, size_t len)
{
	link_name(bdf, "driver", name, len);
	if (!strcmp(name, "vfio-pci-dmabuf"))
		return DRV_VARIANT;
	if (strcmp(name, "vfio-pci"))
		return DRV_NONE;
	/* The drop-in carries a module version; the kernel's vfio_pci none. */
	return file_exists("/sys/module/vfio_pci/version") ? DRV_DROPIN :
							     DRV_STOCK;
}

/* Whether the device's driver serves the feature, as a short answer. */
static const char *export_answer(enum vfio_driver drv, const char **why)
{
	switch (drv) {
	case DRV_VARIANT:
		*why = "bound to vfio-pci-dmabuf, the variant driver: dma-buf export is there";
		return "yes";
	case DRV_DROPIN:
		*why = "bound to vfio-pci-dmabuf's drop-in vfio-pci: dma-buf export is there";
		return "yes";
	case DRV_STOCK:
		/* vfio_pci_core's own exporter (Linux 6.19+). */
		if (kernel_has_symbol("vfio_pci_core_get_dmabuf_phys")) {
			*why = "bound to the kernel's vfio-pci, which exports dma-bufs itself";
			return "yes";
		}
		*why = "bound to the kernel's vfio-pci, which has no dma-buf export here (ENOTTY): bind vfio-pci-dmabuf, or install its drop-in";
		return "no";
	default:
		*why = "not bound to a VFIO driver: bind vfio-pci-dmabuf (driverctl set-override DEVICE vfio-pci-dmabuf)";
		return "no";
	}
}

static void group_of(const char *bdf, char *buf, size_t len)
{
	char name[64], path[PATH_MAX];

	link_name(bdf, "iommu_group", name, sizeof(name));
	if (!name[0]) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(path, sizeof(path), "/dev/vfio/noiommu-%s", name);
	snprintf(buf, len, "%s%s", file_exists(path) ? "noiommu-" : "", name);
}

static void size_text(unsigned long long size, char *buf, size_t len)
{
	static const char unit[] = "KMGT";
	int u = -1;

	while (size >= 1024 && !(size % 1024) && u < 3) {
		size /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", size);
	else
		snprintf(buf, len, "%llu%c", size, unit[u]);
}

/* "2:1M,64,pref 4:16K" from sysfs's resource file (no device is opened). */
static void memory_bars(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], line[128];
	size_t used = 0;
	unsigned int i;
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), SYSPCI "/%s/resource", bdf);
	f = fopen(path, "re");
	if (!f)
		return;
	for (i = 0; i < VFIO_DMABUF_NUM_BARS && fgets(line, sizeof(line), f); i++) {
		unsigned long long start, end, flags;
		char sz[24];

		if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3 ||
		    !(flags & RES_MEM) || end <= start)
			continue;
		size_text(end - start + 1, sz, sizeof(sz));
		used += snprintf(buf + used, used < len ? len - used : 0,
				 "%s%u:%s%s%s", used ? " " : "", i, sz,
				 flags & RES_MEM_64 ? ",64" : "",
				 flags & RES_PREFETCH ? ",pref" : "");
	}
	fclose(f);
	if (!buf[0])
		snprintf(buf, len, "none");
}

static int for_each_pci(int (*fn)(const char *bdf, void *arg), void *arg)
{
	struct dirent **names;
	int n, i, ret = 0;

	n = scandir(SYSPCI, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "vfio-dmabuf: %s: %s\n", SYSPCI, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && !ret)
			ret = fn(names[i]->d_name, arg);
		free(names[i]);
	}
	free(names);
	return ret;
}

/* ------------------------------------------------------------- list */

static int list_one(const char *bdf, void *arg)
{
	char drv[64], grp[80], bars[160];
	enum vfio_driver d = driver_of(bdf, drv, sizeof(drv));
	const char *why;
	int *count = arg;

	if (d == DRV_NONE)
		return 0;
	group_of(bdf, grp, sizeof(grp));
	memory_bars(bdf, bars, sizeof(bars));
	printf("%-12s  %04lx:%04lx  %-15s  %-9s  %-7s  %s\n", bdf,
	       attr_hex(bdf, "vendor"), attr_hex(bdf, "device"),
	       d == DRV_DROPIN ? "vfio-pci(ours)" : drv, grp,
	       export_answer(d, &why), bars);
	(*count)++;
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	int count = 0;

	(void)argv;
	if (argc != 1)
		return usage(2);
	printf("%-12s  %-9s  %-15s  %-9s  %-7s  %s\n", "DEVICE", "ID", "DRIVER",
	       "GROUP", "DMA-BUF", "MEMORY BARS (index:size)");
	if (for_each_pci(list_one, &count))
		return 1;
	if (!count)
		printf("(no device is bound to vfio-pci or vfio-pci-dmabuf)\n");
	return 0;
}

/* ----------------------------------------------------------- doctor */

struct doctor {
	const char *exporter;
	bool brief;
	int reachable, unreachable, unknown;
};

static int doctor_pair(struct doctor *doc, const char *importer)
{
	struct vfio_dmabuf_p2p p2p;
	int ret;

	ret = vfio_dmabuf_p2p(doc->exporter, importer, &p2p);
	if (ret) {
		fprintf(stderr, "vfio-dmabuf: %s\n", vfio_dmabuf_last_error());
		doc->unknown++;
		return 0;
	}
	if (p2p.path == VFIO_DMABUF_PATH_NONE)
		doc->unreachable++;
	else if (p2p.path == VFIO_DMABUF_PATH_UNKNOWN)
		doc->unknown++;
	else
		doc->reachable++;
	if (doc->brief) {
		printf("%s\n", vfio_dmabuf_path_name(p2p.path));
		return 0;
	}
	printf("importer %s [%04lx:%04lx]: %s\n  %s\n  %s\n", importer,
	       attr_hex(importer, "vendor"), attr_hex(importer, "device"),
	       vfio_dmabuf_path_name(p2p.path), p2p.why, p2p.iommu);
	return 0;
}

/* Network (0x02), display (0x03) and accelerators (0x12): importers. */
static int doctor_any(const char *bdf, void *arg)
{
	struct doctor *doc = arg;
	unsigned long class = attr_hex(bdf, "class") >> 16;

	if (strcmp(bdf, doc->exporter) &&
	    (class == 0x02 || class == 0x03 || class == 0x12))
		doctor_pair(doc, bdf);
	return 0;
}

static int cmd_doctor(int argc, char **argv)
{
	struct doctor doc = { 0 };
	char drv[64], grp[80], bars[160], path[PATH_MAX];
	const char *why;
	int i = 1;

	if (i < argc && !strcmp(argv[i], "--brief")) {
		doc.brief = true;
		i++;
	}
	if (argc - i < 1 || argc - i > 2)
		return usage(2);
	doc.exporter = argv[i];
	snprintf(path, sizeof(path), SYSPCI "/%s", doc.exporter);
	if (!file_exists(path)) {
		fprintf(stderr, "vfio-dmabuf: no PCI device %s\n", doc.exporter);
		return 2;
	}
	if (!doc.brief) {
		export_answer(driver_of(doc.exporter, drv, sizeof(drv)), &why);
		group_of(doc.exporter, grp, sizeof(grp));
		memory_bars(doc.exporter, bars, sizeof(bars));
		printf("exporter %s [%04lx:%04lx]: %s\n  IOMMU group %s; memory BARs (index:size) %s\n",
		       doc.exporter, attr_hex(doc.exporter, "vendor"),
		       attr_hex(doc.exporter, "device"), why, grp, bars);
	}
	if (argc - i == 2)
		doctor_pair(&doc, argv[i + 1]);
	else if (for_each_pci(doctor_any, &doc))
		return 1;
	if (!doc.brief && !doc.reachable && !doc.unreachable && !doc.unknown)
		printf("no importer (network, display or accelerator device) on this host\n");
	/* 0 every importer asked about reaches the BARs, 1 one does not, 3 unknown */
	return doc.unknown ? 3 : doc.unreachable ? 1 : 0;
}

/* ----------------------------------------------------------- export */

/* A size or offset: decimal or 0x hex, with an optional K, M or G. */
static int parse_size(const char *s, unsigned long long *val)
{
	unsigned long long v, mul = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'K': mul = 1ULL << 10; end++; break;
	case 'M': mul = 1ULL << 20; end++; break;
	case 'G': mul = 1ULL << 30; end++; break;
	}
	if (*end || v > ~0ULL / mul)
		return -1;
	*val = v * mul;
	return 0;
}

static int parse_range(const char *s, struct vfio_dmabuf_range *r)
{
	char buf[64], *plus;
	unsigned long long off, len;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -1;
	plus = strchr(buf, '+');
	if (!plus)
		return -1;
	*plus = '\0';
	if (parse_size(buf, &off) || parse_size(plus + 1, &len))
		return -1;
	r->offset = off;
	r->length = len;
	return 0;
}

struct export {
	const char *bdf;
	unsigned int bar, nr, open_flags;
	struct vfio_dmabuf_range ranges[MAX_RANGES];
	char **exec;
	const char *serve;
	uid_t uid;
	unsigned long long size;
};

static int export_exec(struct export *e, int dbfd)
{
	char num[16];
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "vfio-dmabuf: fork: %s\n", strerror(errno));
		return 1;
	}
	if (!pid) {
		/* Only the dma-buf is inherited, not the device's fds. */
		if (fcntl(dbfd, F_SETFD, 0) < 0)
			_exit(126);
		snprintf(num, sizeof(num), "%d", dbfd);
		setenv("VFIO_DMABUF_FD", num, 1);
		execvp(e->exec[0], e->exec);
		fprintf(stderr, "vfio-dmabuf: %s: %s\n", e->exec[0], strerror(errno));
		_exit(127);
	}
	close(dbfd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int send_fd(int sock, int fd, const char *msg)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { (void *)msg, strlen(msg) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* Serve the dma-buf to the first client whose uid is e->uid. */
static int export_serve(struct export *e, int dbfd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char msg[128], buf[64];
	int ls, cs, ret = 1;
	ssize_t n;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", e->serve) >=
	    (int)sizeof(sa.sun_path)) {
		fprintf(stderr, "vfio-dmabuf: socket path too long: %s\n", e->serve);
		return 2;
	}
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(ls, 1) < 0) {
		fprintf(stderr, "vfio-dmabuf: %s: %s\n", e->serve, strerror(errno));
		goto out;
	}
	printf("serving %s BAR %u (%llu bytes) on %s\n", e->bdf, e->bar,
	       e->size, e->serve);
	fflush(stdout);
	for (;;) {
		cs = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		if (cs < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "vfio-dmabuf: accept: %s\n", strerror(errno));
			goto out;
		}
		if (!getsockopt(cs, SOL_SOCKET, SO_PEERCRED, &cred, &clen) &&
		    cred.uid == e->uid)
			break;
		fprintf(stderr, "vfio-dmabuf: refused a client of uid %u (pid %d): only uid %u may have the dma-buf\n",
			cred.uid, cred.pid, e->uid);
		close(cs);
	}
	snprintf(msg, sizeof(msg), "vfio-dmabuf %s %u %llu\n", e->bdf, e->bar,
		 e->size);
	ret = send_fd(cs, dbfd, msg);
	if (ret) {
		fprintf(stderr, "vfio-dmabuf: sending the dma-buf: %s\n",
			strerror(-ret));
		ret = 1;
	} else {
		printf("sent to pid %d; the device stays open until it hangs up\n",
		       cred.pid);
		fflush(stdout);
		close(dbfd);
		dbfd = -1;
		do
			n = read(cs, buf, sizeof(buf));
		while (n > 0 || (n < 0 && errno == EINTR));
	}
	close(cs);
out:
	if (dbfd >= 0)
		close(dbfd);
	if (ls >= 0)
		close(ls);
	unlink(e->serve);
	return ret;
}

static int export_parse(struct export *e, int argc, char **argv, unsigned int *flags)
{
	unsigned long long bar;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--legacy"))
			*flags = VFIO_DMABUF_OPEN_LEGACY;
		else if (!strcmp(argv[i], "--cdev"))
			*flags = VFIO_DMABUF_OPEN_CDEV;
		else
			return -1;
	}
	if (argc - i < 2 || parse_size(argv[i + 1], &bar) ||
	    bar >= VFIO_DMABUF_NUM_BARS)
		return -1;
	e->bdf = argv[i];
	e->bar = bar;
	for (i += 2; i < argc; i++) {
		if (!strcmp(argv[i], "--exec")) {
			if (i + 1 >= argc)
				return -1;
			e->exec = argv + i + 1;
			break;
		}
		if (!strcmp(argv[i], "--serve") && i + 1 < argc) {
			e->serve = argv[++i];
		} else if (!strcmp(argv[i], "--uid") && i + 1 < argc) {
			unsigned long long uid;

			if (parse_size(argv[++i], &uid) || uid > UINT32_MAX - 1)
				return -1;
			e->uid = uid;
		} else if (e->nr < MAX_RANGES &&
			   !parse_range(argv[i], &e->ranges[e->nr])) {
			e->nr++;
		} else {
			return -1;
		}
	}
	return !e->exec == !e->serve ? -1 : 0;
}

static int cmd_export(int argc, char **argv)
{
	struct export e = { .uid = getuid() };
	struct vfio_dmabuf_dev *dev;
	struct vfio_dmabuf_bar bar;
	unsigned int flags = 0, i;
	int ret, fd, dbfd;

	if (export_parse(&e, argc, argv, &flags))
		return usage(2);
	ret = vfio_dmabuf_open(e.bdf, flags, &dev);
	if (ret) {
		fprintf(stderr, "vfio-dmabuf: %s\n", vfio_dmabuf_last_error());
		return 1;
	}
	fd = vfio_dmabuf_dev_fd(dev);
	ret = vfio_dmabuf_bar_info(fd, e.bar, &bar);
	if (!ret && !e.nr) {
		e.ranges[0].length = bar.size;
		e.nr = 1;
	}
	if (!ret && !bar.memory)
		ret = -ENODEV;
	if (ret) {
		fprintf(stderr, "vfio-dmabuf: %s BAR %u: %s\n", e.bdf, e.bar,
			vfio_dmabuf_explain(VFIO_DMABUF_OP_EXPORT, ret));
		vfio_dmabuf_close(dev);
		return 1;
	}
	for (i = 0; i < e.nr; i++)
		e.size += e.ranges[i].length;
	dbfd = vfio_dmabuf_export(fd, e.bar, e.ranges, e.nr, O_RDWR | O_CLOEXEC);
	if (dbfd < 0) {
		fprintf(stderr, "vfio-dmabuf: export of %s BAR %u: %s: %s\n",
			e.bdf, e.bar, strerror(-dbfd),
			vfio_dmabuf_explain(VFIO_DMABUF_OP_EXPORT, dbfd));
		vfio_dmabuf_close(dev);
		return 1;
	}
	/* The dma-buf lives on its own; the device stays open for it. */
	ret = e.exec ? export_exec(&e, dbfd) : export_serve(&e, dbfd);
	vfio_dmabuf_close(dev);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(2);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help"))
		return usage(0);
	if (!strcmp(argv[1], "--version")) {
		printf("vfio-dmabuf %s\n", VFD_VERSION);
		return 0;
	}
	/* A client that hangs up must not kill us before the cleanup. */
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(argv[1], "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "doctor"))
		return cmd_doctor(argc - 1, argv + 1);
	if (!strcmp(argv[1], "export"))
		return cmd_export(argc - 1, argv + 1);
	return usage(2);
}
