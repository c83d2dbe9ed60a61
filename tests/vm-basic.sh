#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boots each kernel of the matrix in QEMU (q35, intel-iommu) with the module
# and runs the guest cases of tests/guest/cases/: loading, binding through
# driver_override and ids=, refusals, unload while open, and transparency
# against stock vfio-pci.  Usage: tests/vm-basic.sh [KERNEL...]
set -euo pipefail
source "$(dirname -- "$0")/lib/project.sh"
source "$VPD_LIB_DIR/vm.sh"
source "$VPD_LIB_DIR/report.sh"

need_root

run=$(mktemp -d "${TMPDIR:-/tmp}/vpd-vm.XXXXXX")
trap 'rm -rf "$run"' EXIT

read -r -a kernels <<<"${*:-$(kernels_list | tr '\n' ' ')}"
for k in "${kernels[@]}"; do
	kernel_fetch "$k"
	if ! vpd_build "$k" "$run/$k-build.log"; then
		t_fail "$k/vm" "module build failed: $(tail -n 5 "$run/$k-build.log")"
		continue
	fi
	vpd_guest_stage "$k" "$run/$k-stage"
	# The dma-buf cases need the importer and an exporter choice: vm-dmabuf.sh.
	rm -f "$run/$k-stage"/tests/cases/7?-dmabuf-*.sh
	vm_initramfs "$k" "$run/$k-initrd" "$run/$k-stage"
	vm_boot "$k" "$run/$k-initrd" "$run/$k-console.log" || true
	vm_results "$k" "$run/$k-console.log"
	vm_console_clean "$k" "$run/$k-console.log"
	vm_keep_log "$run/$k-console.log"
done

t_done
