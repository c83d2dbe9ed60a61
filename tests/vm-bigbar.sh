#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Sizes no small test device has: ivshmem with a 2 GiB BAR (a sparse file
# on the host) behind the empty root port rp5, and an edu whose DMA mask is
# 64 bits (as a real RDMA NIC's) on the root bus.  A map that would need
# more DMA segments than the exporter's bound is refused with EINVAL (a
# 32-bit count wrapped and the map oopsed before), and the whole BAR maps
# (tests/guest/alone/dmabuf-bigbar.sh).  On kernels whose vfio-pci has its
# own exporter, this driver's is used (own_dmabuf=1).
# Usage: tests/vm-bigbar.sh [KERNEL...]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/project.sh
source "$(dirname -- "$0")/lib/project.sh"
# shellcheck source=lib/vm.sh
source "$VPD_LIB_DIR/vm.sh"
# shellcheck source=lib/report.sh
source "$VPD_LIB_DIR/report.sh"

need_root

run=$(mktemp -d "${TMPDIR:-/tmp}/vpd-vm-bigbar.XXXXXX")
trap 'rm -rf "$run"' EXIT

# shellcheck disable=SC2054 # commas are QEMU option syntax
big=(
	-object "memory-backend-file,id=bigmem,share=on,mem-path=$run/bigbar.bin,size=2G"
	-device ivshmem-plain,id=ivbig,memdev=bigmem,bus=rp5,addr=00.0
	-device edu,id=edu64,bus=pcie.0,addr=06.0,dma_mask=0xffffffffffffffff
)

read -r -a kernels <<<"${*:-$(kernels_list | tr '\n' ' ')}"
for k in "${kernels[@]}"; do
	args=$(vpd_alone_guest "$k" "$run" dmabuf-bigbar) || continue
	log=$run/$k-console.log
	VPD_KERNEL_ARGS="${VPD_KERNEL_ARGS:-} $args" \
		vm_boot "$k" "$run/$k-initrd" "$log" "${big[@]}" || true
	vm_results "$log" "$k"
	vm_console_clean "$log" "$k"
	rm -f -- "$run/bigbar.bin"
done

t_done
