# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# dmabuf-stress: exports with importer maps and DMAs, memory-decode toggles,
# VFIO_DEVICE_RESET and low-power cycles race on the NVMe CMB for a bounded
# time (vpd_stress_seconds=, 10), or, with vpd_stress_cycles= (make soak),
# until that many export/map/close cycles are done within it.  Every thread must stop by itself, the device must be usable again
# (a new dma-buf maps and takes a DMA), nothing may leak; the host's console
# scan fails the run on any WARN, BUG, lockdep report or hung task.
# shellcheck source=dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

T=dmabuf.stress
dmabuf_setup $T

if dmabuf_bind $T "$DMABUF_NVME"; then
	secs=$(cmdline_arg vpd_stress_seconds)
	cycles=$(cmdline_arg vpd_stress_cycles)
	# shellcheck disable=SC2086 # no cycles: no argument
	dmabuf_run stress $T "$DMABUF_NVME" 2 "${secs:-${DMABUF_STRESS_SECONDS:-10}}" $cycles
	unbind "$DMABUF_NVME"
fi
