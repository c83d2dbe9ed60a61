// SPDX-License-Identifier: MIT
/*
 * spdk-cmb-dmabuf - what an SPDK application does to hand an NVMe
 * controller memory buffer (CMB) to a peer-to-peer importer, from a DPDK
 * process.  Copy from it freely (MIT).
 *
 *   spdk-cmb-dmabuf [EAL options] -- BDF [--bar N] [--offset OFF]
 *                   [--length LEN] (--serve SOCKET [--uid UID] | --ibv DEV)
 *
 * 1. EAL starts and takes the controller through its VFIO layer
 *    (rte_vfio_setup_device(): EAL's group and container, as EAL's PCI
 *    probe does for SPDK's NVMe driver).  The controller must be bound to
 *    a driver named vfio-pci: vfio-pci-dmabuf's drop-in, on kernels whose
 *    own vfio-pci has no dma-buf export.
 * 2. The device fd, through DPDK's public VFIO API and libvfio-dmabuf:
 *    rte_vfio_get_group_num(), rte_vfio_get_group_fd(), then
 *    vfio_dmabuf_group_device_fd().
 * 3. A dma-buf of the CMB slice (BAR 2 by default, the whole BAR by
 *    default).
 * 4. The peer:
 *    --serve SOCKET  one client of the unix socket whose uid is UID
 *                    (default ours) receives the dma-buf (SCM_RIGHTS) and
 *                    then sends lines: "check SEED OFF LEN" (the example
 *                    compares the slice through its own mmap of the BAR
 *                    with the pattern SEED at OFF, and answers "ok" or
 *                    "bad ..."), "reset" (VFIO_DEVICE_RESET on this
 *                    process's device fd, which revokes the peer's
 *                    mapping; "ok" once it returned).  EOF ends the run.
 *    --ibv DEV       ibv_reg_dmabuf_mr() of the whole dma-buf on a
 *                    protection domain of RDMA device DEV (built where
 *                    libibverbs-dev is installed).
 *
 * Exit status: 0 success, 1 failure, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/vfio.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_vfio.h>

#ifdef HAVE_IBVERBS
#include <infiniband/verbs.h>
#endif

#include <vfio-dmabuf.h>

#define SYSFS_PCI	"/sys/bus/pci/devices"

struct opts {
	const char *bdf;
	unsigned int bar;
	uint64_t offset, length;
	const char *serve;
	uid_t uid;
	const char *ibv;
};

struct cmb {
	int fd;			/* this process's device fd */
	uint8_t *map;		/* the BAR, mapped through it */
	uint64_t map_len;
	uint64_t offset, length;	/* the exported slice */
};

static int usage(void)
{
	fprintf(stderr,
		"usage: spdk-cmb-dmabuf [EAL options] -- BDF [--bar N] [--offset OFF]\n"
		"                       [--length LEN] (--serve SOCKET [--uid UID] | --ibv DEV)\n");
	return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "bar", required_argument, NULL, 'b' },
		{ "offset", required_argument, NULL, 'o' },
		{ "length", required_argument, NULL, 'l' },
		{ "serve", required_argument, NULL, 's' },
		{ "uid", required_argument, NULL, 'u' },
		{ "ibv", required_argument, NULL, 'i' },
		{}
	};
	int c;

	o->bar = 2;
	o->uid = getuid();
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'b': o->bar = strtoul(optarg, NULL, 0); break;
		case 'o': o->offset = strtoull(optarg, NULL, 0); break;
		case 'l': o->length = strtoull(optarg, NULL, 0); break;
		case 's': o->serve = optarg; break;
		case 'u': o->uid = strtoul(optarg, NULL, 0); break;
		case 'i': o->ibv = optarg; break;
		default: return -1;
		}
	}
	if (optind != argc - 1 || !o->serve == !o->ibv)
		return -1;
	o->bdf = argv[optind];
	return 0;
}

/* Steps 1 and 2: EAL owns the device; we get our own fd from its group. */
static int take_device(const char *bdf)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int eal_fd, group, group_fd, fd;

	if (rte_vfio_setup_device(SYSFS_PCI, bdf, &eal_fd, &info)) {
		fprintf(stderr, "EAL could not set up %s through VFIO (is it bound to vfio-pci?)\n",
			bdf);
		return -1;
	}
	if (rte_vfio_get_group_num(SYSFS_PCI, bdf, &group) != 1) {
		fprintf(stderr, "%s: no IOMMU group known to EAL\n", bdf);
		return -1;
	}
	group_fd = rte_vfio_get_group_fd(group);
	if (group_fd < 0) {
		fprintf(stderr, "%s: EAL has no fd for group %d\n", bdf, group);
		return -1;
	}
	fd = vfio_dmabuf_group_device_fd(group_fd, bdf);
	if (fd < 0)
		fprintf(stderr, "%s\n", vfio_dmabuf_last_error());
	return fd;
}

/* Step 3: the CMB slice as a dma-buf, and our own view of the BAR. */
static int export_cmb(struct cmb *c, const struct opts *o)
{
	struct vfio_dmabuf_range r;
	struct vfio_dmabuf_bar bar;
	int ret;

	ret = vfio_dmabuf_probe(c->fd);
	if (ret) {
		fprintf(stderr, "%s: %s\n", o->bdf,
			vfio_dmabuf_explain(VFIO_DMABUF_OP_PROBE, ret));
		return ret;
	}
	ret = vfio_dmabuf_bar_info(c->fd, o->bar, &bar);
	if (!ret && (!bar.memory || !bar.mmap))
		ret = -ENODEV;
	if (ret) {
		fprintf(stderr, "%s BAR %u: %s\n", o->bdf, o->bar,
			vfio_dmabuf_explain(VFIO_DMABUF_OP_EXPORT, ret));
		return ret;
	}
	c->map_len = bar.size;
	c->map = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      c->fd, bar.offset);
	if (c->map == MAP_FAILED) {
		fprintf(stderr, "mmap of BAR %u: %s\n", o->bar, strerror(errno));
		return -errno;
	}
	r.offset = o->offset;
	r.length = o->length ? o->length : bar.size - o->offset;
	c->offset = r.offset;
	c->length = r.length;
	ret = vfio_dmabuf_export(c->fd, o->bar, &r, 1, O_RDWR | O_CLOEXEC);
	if (ret < 0)
		fprintf(stderr, "export of %s BAR %u 0x%llx+0x%llx: %s\n",
			o->bdf, o->bar, (unsigned long long)r.offset,
			(unsigned long long)r.length,
			vfio_dmabuf_explain(VFIO_DMABUF_OP_EXPORT, ret));
	else
		printf("exported %s BAR %u 0x%llx+0x%llx as dma-buf fd %d\n",
		       o->bdf, o->bar, (unsigned long long)r.offset,
		       (unsigned long long)r.length, ret);
	return ret;
}

/* The peer's pattern: byte i of a write with SEED at dma-buf offset OFF. */
static uint8_t pattern(unsigned int seed, uint64_t pos)
{
	return (uint8_t)(seed * 131 + pos * 7 + (pos >> 8));
}

static void check(struct cmb *c, unsigned int seed, uint64_t off,
		  uint64_t len, char *reply, size_t rlen)
{
	uint64_t i;

	if (off > c->length || len > c->length - off) {
		snprintf(reply, rlen, "bad range 0x%llx+0x%llx\n",
			 (unsigned long long)off, (unsigned long long)len);
		return;
	}
	for (i = 0; i < len; i++) {
		/* MMIO: one volatile byte at a time. */
		uint8_t got = ((volatile uint8_t *)c->map)[c->offset + off + i];

		if (got != pattern(seed, off + i)) {
			snprintf(reply, rlen, "bad at 0x%llx: 0x%02x, want 0x%02x\n",
				 (unsigned long long)(off + i), got,
				 pattern(seed, off + i));
			return;
		}
	}
	snprintf(reply, rlen, "ok\n");
}

static int send_fd(int sock, int fd, const char *msg)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { (void *)msg, strlen(msg) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static int accept_peer(const struct opts *o)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int ls, cs;

	if (strlen(o->serve) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, o->serve);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(ls, 1)) {
		fprintf(stderr, "%s: %s\n", o->serve, strerror(errno));
		return -1;
	}
	printf("serving on %s\n", o->serve);
	fflush(stdout);
	for (;;) {
		cs = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		if (cs < 0 && errno == EINTR)
			continue;
		if (cs < 0)
			break;
		if (!getsockopt(cs, SOL_SOCKET, SO_PEERCRED, &cred, &clen) &&
		    cred.uid == o->uid)
			break;
		fprintf(stderr, "refused a peer of uid %u\n", cred.uid);
		close(cs);
	}
	close(ls);
	unlink(o->serve);
	return cs;
}

/* Step 4, in the guest: the test importer, driven by its process. */
static int serve(struct cmb *c, const struct opts *o, int dbfd)
{
	char line[128], reply[128], hello[96];
	unsigned long long off, len;
	unsigned int seed;
	int sock, ret = 0;
	FILE *in;

	sock = accept_peer(o);
	if (sock < 0)
		return 1;
	snprintf(hello, sizeof(hello), "cmb %s %u %llu\n", o->bdf, o->bar,
		 (unsigned long long)c->length);
	if (send_fd(sock, dbfd, hello)) {
		fprintf(stderr, "sending the dma-buf: %s\n", strerror(errno));
		close(sock);
		return 1;
	}
	in = fdopen(dup(sock), "r");
	while (in && fgets(line, sizeof(line), in)) {
		if (sscanf(line, "check %u %llx %llx", &seed, &off, &len) == 3) {
			check(c, seed, off, len, reply, sizeof(reply));
		} else if (!strcmp(line, "reset\n")) {
			/* The exporter revokes the peer before the reset. */
			if (ioctl(c->fd, VFIO_DEVICE_RESET))
				snprintf(reply, sizeof(reply), "bad reset: %s\n",
					 strerror(errno));
			else
				snprintf(reply, sizeof(reply), "ok\n");
		} else {
			snprintf(reply, sizeof(reply), "bad request\n");
		}
		if (strncmp(reply, "ok", 2))
			ret = 1;
		printf("peer: %s  -> %s", strtok(line, "\n"), reply);
		fflush(stdout);
		if (send(sock, reply, strlen(reply), MSG_NOSIGNAL) < 0)
			break;
	}
	if (in)
		fclose(in);
	close(sock);
	return ret;
}

/* Step 4, on a host with an RDMA NIC. */
static int register_mr(const struct opts *o, const struct cmb *c, int dbfd)
{
#ifdef HAVE_IBVERBS
	struct ibv_device **list, *dev = NULL;
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd = NULL;
	struct ibv_mr *mr;
	int n, i, ret = 1;

	list = ibv_get_device_list(&n);
	for (i = 0; list && i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), o->ibv))
			dev = list[i];
	if (!dev) {
		fprintf(stderr, "no RDMA device %s\n", o->ibv);
		goto out;
	}
	ctx = ibv_open_device(dev);
	pd = ctx ? ibv_alloc_pd(ctx) : NULL;
	if (!pd) {
		fprintf(stderr, "%s: no protection domain: %s\n", o->ibv,
			strerror(errno));
		goto out;
	}
	mr = ibv_reg_dmabuf_mr(pd, 0, c->length, 0, dbfd,
			       IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |
			       IBV_ACCESS_REMOTE_WRITE);
	if (!mr) {
		int err = errno;

		if (err == EOPNOTSUPP)
			printf("ibv_reg_dmabuf_mr on %s: EOPNOTSUPP: this RDMA provider cannot register dma-buf memory (NICs with dma-buf memory regions, such as mlx5, efa, irdma, bnxt_re, mana and ionic, can)\n",
			       o->ibv);
		else
			printf("ibv_reg_dmabuf_mr on %s: %s: %s\n", o->ibv,
			       strerror(err),
			       vfio_dmabuf_explain(VFIO_DMABUF_OP_IMPORT, err));
		goto out;
	}
	printf("registered the CMB slice on %s: lkey 0x%x rkey 0x%x, %llu bytes\n",
	       o->ibv, mr->lkey, mr->rkey, (unsigned long long)c->length);
	ibv_dereg_mr(mr);
	ret = 0;
out:
	if (pd)
		ibv_dealloc_pd(pd);
	if (ctx)
		ibv_close_device(ctx);
	if (list)
		ibv_free_device_list(list);
	return ret;
#else
	(void)c;
	(void)dbfd;
	fprintf(stderr, "--ibv %s: built without libibverbs (install libibverbs-dev)\n",
		o->ibv);
	return 1;
#endif
}

int main(int argc, char **argv)
{
	struct cmb c = { .fd = -1 };
	struct opts o = { 0 };
	int n, dbfd, ret = 1;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (parse(argc - n, argv + n, &o)) {
		rte_eal_cleanup();
		return usage();
	}
	c.fd = take_device(o.bdf);
	if (c.fd < 0)
		goto out;
	dbfd = export_cmb(&c, &o);
	if (dbfd < 0)
		goto out;
	ret = o.serve ? serve(&c, &o, dbfd) : register_mr(&o, &c, dbfd);
	close(dbfd);
out:
	if (c.map && c.map != MAP_FAILED)
		munmap(c.map, c.map_len);
	if (c.fd >= 0)
		close(c.fd);
	rte_eal_cleanup();
	return ret;
}
