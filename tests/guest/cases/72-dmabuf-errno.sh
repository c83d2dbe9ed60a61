# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# dmabuf-errno: malformed VFIO_DEVICE_FEATURE_DMA_BUF requests and the errno
# each gets, against a table derived from upstream (Linux 6.19+
# drivers/vfio/pci/vfio_pci_dmabuf.c vfio_pci_core_feature_dma_buf(),
# validate_dmabuf_input(), vfio_pci_core_fill_phys_vec(); vfio_check_feature()
# in include/linux/vfio.h; vfio_ioctl_device_feature() in vfio_main.c).  The
# table is the same on every kernel and for every exporter.  Then a valid
# request's open_flags must show on the dma-buf fd (dmabuf.fdflags.*).
# shellcheck source=dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

T=dmabuf.errno
dmabuf_setup $T

# INPUT ERRNAME, in the order dmabuf-test prints them; "ok" is a dma-buf fd.
cat > /tmp/dmabuf-errno.want <<'TABLE'
valid ok
probe ok
probe-get ok
probe-set EINVAL
set EINVAL
no-get-set-probe EINVAL
region-6-rom ENODEV
region-7-config ENODEV
region-100 ENODEV
unimplemented-bar ENODEV
nr-ranges-0 EINVAL
flags-1 EINVAL
flags-0x80000000 EINVAL
offset-unaligned EINVAL
length-unaligned EINVAL
length-0 EINVAL
second-length-0 EINVAL
past-bar-end EINVAL
at-bar-end EINVAL
whole-bar ok
offset-overflow EOVERFLOW
offset-plus-length-overflow EOVERFLOW
length-2^64-4k EINVAL
sum-of-lengths-overflow EINVAL
same-range-twice ok
ranges-unreadable EFAULT
header-unreadable EFAULT
argsz-short-of-header EINVAL
argsz-without-ranges ok
io-port-bar EINVAL
TABLE

if dmabuf_bind $T "$DMABUF_IVSHMEM" && dmabuf_bind $T "$DMABUF_E1000"; then
	dmabuf_run errno "$DMABUF_IVSHMEM" 2 "$DMABUF_E1000" 1 > /tmp/dmabuf-errno.out 2>&1
	rc=$?
	sed 's/^/# /' /tmp/dmabuf-errno.out
	grep -v '^#' /tmp/dmabuf-errno.out > /tmp/dmabuf-errno.got
	if [ "$rc" != 0 ]; then
		fail $T "dmabuf-test errno exited $rc: $(tail -n 1 /tmp/dmabuf-errno.out)"
	elif cmp -s /tmp/dmabuf-errno.want /tmp/dmabuf-errno.got; then
		pass $T
	else
		fail $T "want | got: $(first_diff /tmp/dmabuf-errno.want /tmp/dmabuf-errno.got)"
	fi
	# A valid request's open_flags reach the fd: O_CLOEXEC, access mode.
	dmabuf_run fdflags dmabuf.fdflags "$DMABUF_IVSHMEM" 2
	# Hostile sizes: nr_ranges across the allocators' limits, no fd left.
	dmabuf_run sizes dmabuf.sizes "$DMABUF_IVSHMEM" 2
fi
unbind "$DMABUF_IVSHMEM"
unbind "$DMABUF_E1000"
