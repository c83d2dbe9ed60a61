#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Topologies the standard machine does not have, on a machine with a PCIe
# switch (x3130 upstream port behind the empty root port rp5, two xio3130
# downstream ports):
#
#   07:00.0 ivshmem (function 0)   \ one slot behind downstream port 1:
#   07:00.1 edu     (function 1)   / one IOMMU group, one vfio dev_set
#   08:00.0 edu                      behind downstream port 2; it DMAs
#                                    to 32-bit addresses (edu's default
#                                    28-bit mask would clamp bus addresses)
#
# 1. With the vIOMMU: a hot reset issued through the sibling function
#    revokes the exporter's importer (tests/guest/alone/dmabuf-sibling.sh).
# 2. Without an IOMMU (intel_iommu=off, vfio noiommu; kernels with
#    CONFIG_VFIO_NOIOMMU only, Debian's lack it) and with an Intel CPU
#    model: importer and BAR below the switch get PCI bus addresses and DMA
#    lands; an importer behind a root port is refused with EINVAL
#    (tests/guest/alone/dmabuf-switch.sh).
# On kernels whose vfio-pci has its own exporter, this driver's is used
# (own_dmabuf=1).  Usage: tests/vm-topology.sh [KERNEL...] (default: the
# matrix and the built kernels)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/project.sh
source "$(dirname -- "$0")/lib/project.sh"
# shellcheck source=lib/vm.sh
source "$VPD_LIB_DIR/vm.sh"
# shellcheck source=lib/report.sh
source "$VPD_LIB_DIR/report.sh"

need_root

run=$(mktemp -d "${TMPDIR:-/tmp}/vpd-vm-topology.XXXXXX")
trap 'rm -rf "$run"' EXIT

# shellcheck disable=SC2054 # commas are QEMU option syntax
switch=(
	-device x3130-upstream,id=up1,bus=rp5,addr=00.0
	-device xio3130-downstream,id=dn1,bus=up1,addr=00.0,chassis=11,slot=0
	-device xio3130-downstream,id=dn2,bus=up1,addr=01.0,chassis=12,slot=1
	-object memory-backend-ram,id=ivmem2,size=2M,share=on
	-device ivshmem-plain,id=ivshmem2,memdev=ivmem2,bus=dn1,addr=00.0,multifunction=on
	-device edu,id=edu-sibling,bus=dn1,addr=00.1
	-device edu,id=edu3,bus=dn2,addr=00.0,dma_mask=0xffffffff
)

read -r -a kernels <<<"${*:-$(kernels_list | tr '\n' ' ') $(kernels_built_list | tr '\n' ' ')}"
for k in "${kernels[@]}"; do
	kernel_fetch "$k"
	for c in sibling switch; do
		if [[ $c == switch ]] && ! grep -qx 'CONFIG_VFIO_NOIOMMU=y' "$(kernel_config "$k")"; then
			t_skip "$k/dmabuf.switch" "$k is built without CONFIG_VFIO_NOIOMMU: vfio binds nothing without an IOMMU, so no user of this kernel reaches the bus-address path (the debug kernel covers it)"
			continue
		fi
		mkdir -p "$run/$c"
		args=$(vpd_alone_guest "$k" "$run/$c" "dmabuf-$c") || continue
		extra=()
		if [[ $c == switch ]]; then
			# The last intel_iommu= and -cpu win over the rig's.
			args+=" intel_iommu=off"
			extra=(-cpu Skylake-Client)
		fi
		log=$run/$c/$k-console.log
		VPD_KERNEL_ARGS="${VPD_KERNEL_ARGS:-} $args" \
			vm_boot "$k" "$run/$c/$k-initrd" "$log" "${switch[@]}" "${extra[@]}" || true
		vm_results "$log" "$k"
		vm_console_clean "$log" "$k"
		vm_keep_log "$log" "$c-${log##*/}"
	done
done

t_done
