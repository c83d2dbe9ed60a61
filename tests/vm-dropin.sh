#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The drop-in vfio-pci (module vfio_pci, PCI driver "vfio-pci", built from
# the same sources) in QEMU, on each kernel of the matrix whose vfio-pci it
# may replace (src/compat/dropin-check.sh; the others SKIP with its line).
# One boot per kernel, the drop-in staged in updates/ (which depmod
# prefers) beside the kernel's own vfio-pci.ko and the variant driver:
#   - the basic cases with the drop-in as the driver under test: loading,
#     binding by driver_override and ids=, refusals, unload while open,
#     and transparency against the kernel's vfio-pci (loaded by its path);
#   - 65-dropin: modprobe resolves to it, vfio-pci's parameters, which
#     reach vfio_pci_core, and the variant beside it;
#   - 66-dropin-dpdk: Debian's dpdk-testpmd probes and starts the e1000 on
#     the drop-in, and probes nothing on the variant;
#   - 67-dropin-spdk: examples/spdk-cmb-dmabuf, a DPDK process, hands a CMB
#     slice to the test importer and resets the controller under it; its
#     --ibv path on Soft-RoCE (rxe) says the provider has no dma-buf MRs;
#   - the whole dma-buf suite (7x-dmabuf-*) with the drop-in as exporter,
#     and the host-side check of the P2P marker in ivshmem's backing file.
# Results are named KERNEL-dropin/....  Usage: tests/vm-dropin.sh [KERNEL...]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/project.sh
source "$(dirname -- "$0")/lib/project.sh"
# shellcheck source=lib/vm.sh
source "$VPD_LIB_DIR/vm.sh"
# shellcheck source=lib/report.sh
source "$VPD_LIB_DIR/report.sh"

need_root
# Both modules: the variant and the drop-in.
export VPD_BUILD_DROPIN=1

run=$(mktemp -d "${TMPDIR:-/tmp}/vpd-vm-dropin.XXXXXX")
trap 'rm -rf "$run"' EXIT

read -r -a kernels <<<"${*:-$(kernels_list | tr '\n' ' ')}"
for k in "${kernels[@]}"; do
	label=$k-dropin
	kernel_fetch "$k"
	if ! vpd_build "$k" "$run/$k-build.log" ||
		! vpd_build_importer "$k" "$run/$k-importer.log"; then
		t_fail "$label/build" "build failed: $(tail -n 5 "$run/$k-"*.log)"
		continue
	fi
	refused=$(vpd_dropin_refused "$k")
	if [[ -n $refused ]]; then
		t_skip "$label" "$refused"
		continue
	fi
	if [[ ! -f $(vpd_build_dir "$k")/vfio-pci.ko ]]; then
		t_fail "$label/build" "make built no vfio-pci.ko for a kernel dropin-check.sh accepts"
		continue
	fi
	stage=$run/$k-stage
	vpd_guest_stage "$k" "$stage"
	vpd_guest_stage_dropin "$k" "$stage"
	vpd_guest_stage_dpdk "$stage"
	cp "$VPD_TESTS_DIR"/guest/dropin/*.sh "$stage/tests/cases/"
	# Soft-RoCE (rxe on a dummy netdev) for the SPDK example's --ibv.
	# rxe computes its ICRC with the kernel's crc32 shash (-ENOENT from
	# rdma link add without it).
	VPD_VM_OPTIONAL_MODULES+=(rdma_rxe ib_uverbs dummy crc32_generic)
	vm_initramfs "$k" "$run/$k-initrd" "$stage"

	log=$run/$label-console.log
	VPD_KERNEL_ARGS="${VPD_KERNEL_ARGS:-} VPD_DRIVER=vfio-pci VPD_MODULE=vfio_pci vpd_exporter=vfio-pci vpd_dropin=1" \
		vm_boot "$k" "$run/$k-initrd" "$log" || true
	vm_results "$log" "$label"
	vm_console_clean "$log" "$label"
	vm_ivshmem_marker_check "$label" "$log"
	vm_keep_log "$log"
done

t_done
