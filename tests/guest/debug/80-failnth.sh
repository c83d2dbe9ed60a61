# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# debug.failnth, staged only by tests/vm-debug.sh (its kernel has
# CONFIG_FAULT_INJECTION, failslab, fail_page_alloc and fail_usercopy):
# every fault point of an export, an importer's attach and its map is made
# to fail in turn; each failure must come back as an errno, the device
# must work afterwards, and the console must stay clean (kmemleak's verdict
# comes in 90-debug-checks.sh).
# shellcheck source=../cases/dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

T=debug.failnth
dmabuf_setup $T

if dmabuf_bind $T "$DMABUF_IVSHMEM"; then
	dmabuf_run failnth $T "$DMABUF_IVSHMEM" 2
	unbind "$DMABUF_IVSHMEM"
fi
