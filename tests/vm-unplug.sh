#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Surprise removal as an operator causes it: with a dma-buf of ivshmem's BAR
# mapped by the test importer, the host hot-unplugs ivshmem through QMP
# device_del; the guest must hand the device back and its importer must be
# revoked for good (tests/guest/alone/dmabuf-unplug.sh).  On kernels whose vfio-pci has
# its own exporter, this driver's is used (own_dmabuf=1).
# Usage: tests/vm-unplug.sh [KERNEL...]
set -euo pipefail
source "$(dirname -- "$0")/lib/project.sh"
source "$VPD_LIB_DIR/vm.sh"
source "$VPD_LIB_DIR/report.sh"

need_root

run=$(mktemp -d "${TMPDIR:-/tmp}/vpd-vm-unplug.XXXXXX")
trap 'rm -rf "$run"' EXIT

read -r -a kernels <<<"${*:-$(kernels_list | tr '\n' ' ')}"
for k in "${kernels[@]}"; do
	args=$(vpd_alone_guest "$k" "$run" dmabuf-unplug) || continue
	log=$run/$k-console.log
	VPD_KERNEL_ARGS="${VPD_KERNEL_ARGS:-} $args" vm_boot "$k" "$run/$k-initrd" "$log" &
	boot=$!
	if vm_wait_console "$log" 'VMTEST: INFO unplug-ready' 300; then
		vm_qmp "$(vm_rundir "$log")/qmp.sock" \
			'{"execute":"device_del","arguments":{"id":"ivshmem"}}' >/dev/null ||
			t_fail "$k/dmabuf.unplug.qmp" "device_del ivshmem was refused"
	fi
	wait "$boot" || true
	vm_results "$log" "$k"
	vm_console_clean "$log" "$k"
done

t_done
