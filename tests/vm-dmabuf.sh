#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The dma-buf exporter end to end: boots each kernel of the matrix in QEMU
# (q35, intel-iommu) with the module and the test importer
# (tests/kmod/vpd-edu-importer, edu as a P2P DMA initiator) and runs the
# 7x-dmabuf-* guest cases: P2P DMA into ivshmem and NVMe CMB dma-bufs,
# importer refusals, the errno table, revoke interlocks, stale IOVAs,
# 1000 dma-bufs, vfio-dmabuf doctor against the module's own path, and the
# vfio-dmabuf tool (78-dmabuf-tools: list, export --exec and --serve).
# After each boot the host checks that the marker the guest
# DMA'd into ivshmem's BAR is in the ivshmem backing file.
#
# Kernels with the in-tree exporter (7.x) boot twice: once with stock
# vfio-pci as the exporter and once with vfio-pci-dmabuf own_dmabuf=1;
# results are named KERNEL-stock/... and KERNEL-own/....  Other kernels
# boot once, with vfio-pci-dmabuf.  Usage: tests/vm-dmabuf.sh [KERNEL...]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/project.sh
source "$(dirname -- "$0")/lib/project.sh"
# shellcheck source=lib/vm.sh
source "$VPD_LIB_DIR/vm.sh"
# shellcheck source=lib/report.sh
source "$VPD_LIB_DIR/report.sh"

need_root

run=$(mktemp -d "${TMPDIR:-/tmp}/vpd-vm-dmabuf.XXXXXX")
trap 'rm -rf "$run"' EXIT

read -r -a kernels <<<"${*:-$(kernels_list | tr '\n' ' ')}"
for k in "${kernels[@]}"; do
	kernel_fetch "$k"
	if ! vpd_build "$k" "$run/$k-build.log"; then
		t_fail "$k/dmabuf" "module build failed: $(tail -n 5 "$run/$k-build.log")"
		continue
	fi
	if ! vpd_build_importer "$k" "$run/$k-importer.log"; then
		t_fail "$k/dmabuf" "importer build failed: $(tail -n 5 "$run/$k-importer.log")"
		continue
	fi
	vpd_guest_stage "$k" "$run/$k-stage"
	# Only the dma-buf cases (and what they source).
	find "$run/$k-stage/tests/cases" -name '*.sh' ! -name '7?-dmabuf-*' -delete
	vm_initramfs "$k" "$run/$k-initrd" "$run/$k-stage"

	variants=("$k vfio-pci-dmabuf")
	if vpd_has_core_exporter "$k"; then
		variants=("$k-stock vfio-pci" "$k-own vfio-pci-dmabuf own_dmabuf=1")
	fi
	for v in "${variants[@]}"; do
		read -r label exporter args <<<"$v"
		log=$run/$label-console.log
		VPD_KERNEL_ARGS="${VPD_KERNEL_ARGS:-} vpd_exporter=$exporter${args:+ vpd_exporter_args=$args}" \
			vm_boot "$k" "$run/$k-initrd" "$log" || true
		vm_results "$log" "$label"
		vm_console_clean "$log" "$label"
		vm_ivshmem_marker_check "$label" "$log"
		vm_keep_log "$log"
	done
done

t_done
