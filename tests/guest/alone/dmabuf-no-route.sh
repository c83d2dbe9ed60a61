# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# dmabuf-no-route, run alone by tests/vm-no-route.sh on a machine whose CPU
# model makes the host bridge unfit for peer-to-peer (an Intel model on
# q35): the exporter refuses the map with EINVAL and says why, once; and
# vfio-dmabuf doctor says so too (dmabuf.no-route.doctor).
# shellcheck source=../cases/dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

T=dmabuf.no-route
dmabuf_setup $T

if dmabuf_bind $T "$DMABUF_IVSHMEM"; then
	tag=$(dmesg_mark)
	dmabuf_run no-route $T "$DMABUF_IVSHMEM" 2
	if dmesg_since "$tag" | grep -q "cannot reach $DMABUF_IVSHMEM BAR 2 peer-to-peer"; then
		pass $T.logged
	else
		fail $T.logged "no kernel log line saying why the map was refused"
	fi
	dmabuf_doctor $T.doctor "$DMABUF_IVSHMEM" 2
fi
