#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every guest case once more, on the rig's debug kernel (kernels.conf
# "@build" lines: Debian's linux-source built with lockdep, KASAN and the
# DMA-API checker, see tests/kernel-debug.config), followed by the checks
# only that kernel can make (tests/guest/debug/): the DMA mappings that
# map/unmap/revoke/close leave, lockdep's view of the exporter's lock and
# whether lockdep is still armed at the end.  Every console line the
# checkers print fails the console scan.  The exporter is this driver's;
# the fuzzer (77-dmabuf-fuzz) runs 120 s instead of 20.
# Results are named KERNEL/....  Usage: tests/vm-debug.sh [KERNEL...]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/project.sh
source "$(dirname -- "$0")/lib/project.sh"
# shellcheck source=lib/vm.sh
source "$VPD_LIB_DIR/vm.sh"
# shellcheck source=lib/report.sh
source "$VPD_LIB_DIR/report.sh"

need_root

run=$(mktemp -d "${TMPDIR:-/tmp}/vpd-vm-debug.XXXXXX")
trap 'rm -rf "$run"' EXIT

read -r -a kernels <<<"${*:-$(kernels_built_list | tr '\n' ' ')}"
for k in "${kernels[@]}"; do
	kernel_fetch "$k"
	if ! vpd_build "$k" "$run/$k-build.log" W=1; then
		t_fail "$k/build" "module build failed: $(tail -n 5 "$run/$k-build.log")"
		continue
	fi
	if ! vpd_build_importer "$k" "$run/$k-importer.log"; then
		t_fail "$k/build" "importer build failed: $(tail -n 5 "$run/$k-importer.log")"
		continue
	fi
	warnings=$(vpd_build_diagnostics "$run/$k-build.log")
	if [[ -n $warnings ]]; then
		t_fail "$k/build" "W=1 diagnostics: $(head -n 5 <<<"$warnings")"
	else
		t_pass "$k/build"
	fi
	vpd_guest_stage "$k" "$run/$k-stage"
	cp "$VPD_TESTS_DIR"/guest/debug/*.sh "$run/$k-stage/tests/cases/"
	vm_initramfs "$k" "$run/$k-initrd" "$run/$k-stage"

	log=$run/$k-console.log
	# KASAN and lockdep make the guest several times slower under TCG.
	# The fuzzer runs longest here, where the checkers see it (a later
	# vpd_fuzz_seconds= in VPD_KERNEL_ARGS, as make soak's, wins).
	VPD_VM_TIMEOUT=${VPD_VM_TIMEOUT:-1800} \
		VPD_KERNEL_ARGS="vpd_fuzz_seconds=120 ${VPD_KERNEL_ARGS:-} vpd_exporter=vfio-pci-dmabuf" \
		vm_boot "$k" "$run/$k-initrd" "$log" || true
	vm_results "$log" "$k"
	vm_console_clean "$log" "$k"
	vm_keep_log "$log"
done

t_done
