# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# dmabuf-unplug, run alone by tests/vm-unplug.sh (the host hot-unplugs the
# device with QMP device_del once the guest says "unplug-ready"): a mapped
# dma-buf of ivshmem's BAR2 is revoked for good when the device goes away.
# shellcheck source=../cases/dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

T=dmabuf.unplug
dmabuf_setup $T

if dmabuf_bind $T "$DMABUF_IVSHMEM"; then
	dmabuf_run unplug $T "$DMABUF_IVSHMEM" 2
fi
