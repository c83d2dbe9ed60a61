# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# dmabuf-bigbar, run alone by tests/vm-bigbar.sh: ivshmem with a 2 GiB BAR2
# behind rp5, and an edu with a 64-bit DMA mask on the root bus as the
# importer (the test importer told the same mask).  A dma-buf whose ranges
# need more DMA segments than the exporter's bound (2^32 + 1 of them, which
# a 32-bit count would wrap) is refused at map time with EINVAL; the whole
# 2 GiB BAR maps and takes a DMA at its end.
VPD_EDU_BDF=0000:00:06.0
# shellcheck source=../cases/dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

T=dmabuf.bigbar
BIG=0000:05:00.0

if [ "$(cat $SYSPCI/devices/$BIG/vendor 2>/dev/null):$(cat $SYSPCI/devices/$VPD_EDU_BDF/vendor 2>/dev/null)" != 0x1af4:0x1234 ]; then
	fail $T "expected ivshmem at $BIG and edu at $VPD_EDU_BDF (tests/vm-bigbar.sh's machine)"
	exit 0
fi
if ! out=$(modprobe vpd-edu-importer dma_bits=64 2>&1); then
	fail $T "modprobe vpd-edu-importer dma_bits=64: $out"
	exit 0
fi
dmabuf_setup $T
if dmabuf_bind $T $BIG; then
	dmabuf_run bigbar $T $BIG 2
fi
unbind $BIG
