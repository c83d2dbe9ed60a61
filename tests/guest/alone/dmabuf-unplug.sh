# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# dmabuf-unplug, run alone by tests/vm-unplug.sh, which acts from the host
# when the guest says so:
#   "aer-ready"     QMP injects a fatal error into rp2, the root port above
#                   ivshmem: the mapped dma-buf is revoked before vfio
#                   reports the error, stays revoked after the recovery's
#                   link reset while the BARs do not decode, and maps again
#                   once the command register is written back;
#   "unplug-ready"  QMP device_del ivshmem: a mapped dma-buf is revoked for
#                   good when the device goes away.
# shellcheck source=../cases/dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

T=dmabuf.unplug
dmabuf_setup $T

if dmabuf_bind $T "$DMABUF_IVSHMEM"; then
	dmabuf_run aer dmabuf.aer "$DMABUF_IVSHMEM" 2
	dmabuf_run unplug $T "$DMABUF_IVSHMEM" 2
fi
