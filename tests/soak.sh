#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make soak: the long runs on the rig's debug kernel (lockdep, KASAN, the
# DMA-API checker, kmemleak, fault injection), in a guest of their own:
# the stress test until VPD_SOAK_CYCLES (10000) mapped export/map/close
# cycles have raced with resets, decode and power changes (fewer within
# three times VPD_SOAK_SECONDS fail), the fuzzer for VPD_SOAK_SECONDS
# (600), then the debug kernel's checks (DMA mappings left, lockdep,
# kmemleak).  VPD_FUZZ_SEED=N repeats a fuzzer run's requests (the seed is
# printed in every run and named by every failure).  make check runs the
# same cases for seconds (tests/vm-debug.sh).  Not part of make check.
# Usage: tests/soak.sh [KERNEL...] (default: the built kernels)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/project.sh
source "$(dirname -- "$0")/lib/project.sh"
# shellcheck source=lib/vm.sh
source "$VPD_LIB_DIR/vm.sh"
# shellcheck source=lib/report.sh
source "$VPD_LIB_DIR/report.sh"

need_root

secs=${VPD_SOAK_SECONDS:-600}
[[ $secs =~ ^[0-9]+$ && $secs -gt 0 ]] || die "VPD_SOAK_SECONDS must be a positive number of seconds: $secs"
cycles=${VPD_SOAK_CYCLES:-10000}
[[ $cycles =~ ^[0-9]+$ && $cycles -gt 0 ]] || die "VPD_SOAK_CYCLES must be a positive number: $cycles"
stress=$((3 * secs))
# Each dmabuf-test run and each case is bounded a little above its budget.
args="vpd_stress_seconds=$stress vpd_stress_cycles=$cycles vpd_fuzz_seconds=$secs"
args+=" vpd_run_seconds=$((stress + 300)) vpd_case_timeout=$((stress + 600))"
args+=" vpd_exporter=vfio-pci-dmabuf"
if [[ -n ${VPD_FUZZ_SEED:-} ]]; then
	[[ $VPD_FUZZ_SEED =~ ^[0-9]+$ ]] || die "VPD_FUZZ_SEED must be a number: $VPD_FUZZ_SEED"
	args+=" vpd_fuzz_seed=$VPD_FUZZ_SEED"
fi

run=$(mktemp -d "${TMPDIR:-/tmp}/vpd-soak.XXXXXX")
trap 'rm -rf "$run"' EXIT

read -r -a kernels <<<"${*:-$(kernels_built_list | tr '\n' ' ')}"
for k in "${kernels[@]}"; do
	kernel_fetch "$k"
	if ! vpd_build "$k" "$run/$k-build.log" ||
		! vpd_build_importer "$k" "$run/$k-importer.log"; then
		t_fail "$k/build" "build failed: $(tail -n 5 "$run/$k-"*.log)"
		continue
	fi
	stage=$run/$k-stage
	vpd_guest_stage "$k" "$stage"
	rm -f "$stage"/tests/cases/*.sh
	cp "$VPD_TESTS_DIR"/guest/cases/7[67]-dmabuf-*.sh \
		"$VPD_TESTS_DIR"/guest/debug/90-debug-checks.sh "$stage/tests/cases/"
	vm_initramfs "$k" "$run/$k-initrd" "$stage"

	log=$run/$k-console.log
	VPD_VM_TIMEOUT=${VPD_VM_TIMEOUT:-$((900 + stress + secs))} \
		VPD_KERNEL_ARGS="${VPD_KERNEL_ARGS:-} $args" \
		vm_boot "$k" "$run/$k-initrd" "$log" || true
	vm_results "$log" "$k"
	vm_console_clean "$log" "$k"
	vm_keep_log "$log"
done

t_done
