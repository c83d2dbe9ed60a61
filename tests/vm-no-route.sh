#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# An importer with no peer-to-peer route to the BAR is refused at map time
# with EINVAL and one kernel log line saying why: the guest runs with an
# Intel CPU model, so q35's host bridge is not known to forward P2P
# (tests/guest/alone/dmabuf-no-route.sh).  On kernels whose vfio-pci has
# its own exporter, this driver's is used (own_dmabuf=1).
# Usage: tests/vm-no-route.sh [KERNEL...]
set -euo pipefail
source "$(dirname -- "$0")/lib/project.sh"
source "$VPD_LIB_DIR/vm.sh"
source "$VPD_LIB_DIR/report.sh"

need_root

run=$(mktemp -d "${TMPDIR:-/tmp}/vpd-vm-no-route.XXXXXX")
trap 'rm -rf "$run"' EXIT

read -r -a kernels <<<"${*:-$(kernels_list | tr '\n' ' ')}"
for k in "${kernels[@]}"; do
	args=$(vpd_alone_guest "$k" "$run" dmabuf-no-route) || continue
	log=$run/$k-console.log
	# The last -cpu wins over the rig's EPYC.
	VPD_KERNEL_ARGS="${VPD_KERNEL_ARGS:-} $args" \
		vm_boot "$k" "$run/$k-initrd" "$log" -cpu Skylake-Client || true
	vm_results "$log" "$k"
	vm_console_clean "$log" "$k"
done

t_done
