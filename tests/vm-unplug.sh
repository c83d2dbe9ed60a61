#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# What the host does to a device under a mapped dma-buf of ivshmem's BAR,
# one boot per kernel (tests/guest/alone/dmabuf-unplug.sh says when):
#  - a fatal PCIe error: QMP injects a Data Link Protocol error into rp2,
#    the root port above ivshmem; the guest's AER recovery resets the link;
#  - surprise removal as an operator causes it: QMP device_del ivshmem; the
#    guest must hand the device back and its importer be revoked for good.
# On kernels whose vfio-pci has its own exporter, this driver's is used
# (own_dmabuf=1).
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
	qmp=$(vm_rundir "$log")/qmp.sock
	if vm_wait_console "$log" 'VMTEST: INFO aer-ready' 300; then
		reply=$(vm_qmp "$qmp" '{"execute":"human-monitor-command","arguments":{"command-line":"pcie_aer_inject_error rp2 DLP"}}') || true
		if [[ $reply != *"OK id: rp2"* ]]; then
			t_fail "$k/dmabuf.aer.qmp" "pcie_aer_inject_error rp2 DLP: ${reply:-no reply}"
		fi
	fi
	if vm_wait_console "$log" 'VMTEST: INFO unplug-ready' 300; then
		vm_qmp "$qmp" \
			'{"execute":"device_del","arguments":{"id":"ivshmem"}}' >/dev/null ||
			t_fail "$k/dmabuf.unplug.qmp" "device_del ivshmem was refused"
	fi
	wait "$boot" || true
	vm_keep_log "$log"
	vm_results "$log" "$k"
	vm_console_clean "$log" "$k"
done

t_done
