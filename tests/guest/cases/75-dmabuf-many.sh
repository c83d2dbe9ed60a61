# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# dmabuf-many: 1000 live dma-bufs of one device, closed in three orders
# (dma-bufs then device, device then dma-bufs, interleaved); nothing may
# leak (fds, debugfs dma_buf objects), and the exporter module can be
# removed afterwards.
# shellcheck source=dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

T=dmabuf.many
dmabuf_setup $T

if dmabuf_bind $T "$DMABUF_IVSHMEM"; then
	dmabuf_run many $T "$DMABUF_IVSHMEM" 2 1000
	unbind "$DMABUF_IVSHMEM"
	m=$(dmabuf_module_of "$DMABUF_EXPORTER")
	for bdf in $(bdfs_of 1af4:1110) $(bdfs_of 1b36:0010) $(bdfs_of 8086:100e); do
		[ "$(driver_of "$bdf")" = "$DMABUF_EXPORTER" ] && unbind "$bdf"
	done
	# rmmod: busybox modprobe -r also fails when a dependency stays in use
	out=$(rmmod "$m" 2>&1)
	if ! module_loaded "$m"; then
		pass $T.unload
		# shellcheck disable=SC2086 # ARGS are words
		modprobe "$m" $DMABUF_EXPORTER_ARGS
	else
		fail $T.unload "rmmod $m: $out ($(grep "^$m " /proc/modules))"
	fi
fi
