# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# dmabuf-fuzz: dmabuf-test's seeded fuzzer on ivshmem for a bounded time
# (DMABUF_FUZZ_SECONDS, 20; vpd_fuzz_seconds= on the kernel command line),
# hostile VFIO_DEVICE_FEATURE_DMA_BUF requests and random importer steps
# racing with resets, hot resets, decode, power and config writes, and the
# device closed, unbound and rebound under its dma-bufs.  The seed is vpd_fuzz_seed= from
# the kernel command line, else the time; it is printed, and a failure
# names it: `make soak VPD_FUZZ_SEED=N` repeats its requests.
# shellcheck source=dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

T=dmabuf.fuzz
dmabuf_setup $T

seed=$(cmdline_arg vpd_fuzz_seed)
secs=$(cmdline_arg vpd_fuzz_seconds)
seed=${seed:-$(date +%s)}
secs=${secs:-${DMABUF_FUZZ_SECONDS:-20}}
if dmabuf_bind $T "$DMABUF_IVSHMEM"; then
	dmabuf_run fuzz $T "$DMABUF_IVSHMEM" 2 "$seed" "$secs"
	unbind "$DMABUF_IVSHMEM"
fi
