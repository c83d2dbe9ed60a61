#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make soak: the whole guest suite on the rig's debug kernel (lockdep,
# KASAN, the DMA-API checker, kmemleak, fault injection) with the fuzzer
# running VPD_SOAK_SECONDS (600) instead of seconds, and the stress test
# running until VPD_SOAK_CYCLES (10000) export/map/close cycles have raced
# with resets, decode and power changes (fewer within three times
# VPD_SOAK_SECONDS fail).  VPD_FUZZ_SEED=N repeats a fuzzer run's requests (the seed is
# printed in every run and named by every failure).  Not part of make check.
# Usage: tests/soak.sh [KERNEL...] (default: the built kernels)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/project.sh
source "$(dirname -- "$0")/lib/project.sh"

secs=${VPD_SOAK_SECONDS:-600}
[[ $secs =~ ^[0-9]+$ && $secs -gt 0 ]] || die "VPD_SOAK_SECONDS must be a positive number of seconds: $secs"
cycles=${VPD_SOAK_CYCLES:-10000}
[[ $cycles =~ ^[0-9]+$ && $cycles -gt 0 ]] || die "VPD_SOAK_CYCLES must be a positive number: $cycles"
args="vpd_stress_seconds=$((3 * secs)) vpd_stress_cycles=$cycles vpd_fuzz_seconds=$secs"
if [[ -n ${VPD_FUZZ_SEED:-} ]]; then
	[[ $VPD_FUZZ_SEED =~ ^[0-9]+$ ]] || die "VPD_FUZZ_SEED must be a number: $VPD_FUZZ_SEED"
	args+=" vpd_fuzz_seed=$VPD_FUZZ_SEED"
fi
# The debug kernel's own 1800 s, plus both long runs at TCG and KASAN speed.
VPD_VM_TIMEOUT=${VPD_VM_TIMEOUT:-$((1800 + 5 * secs))} \
	VPD_KERNEL_ARGS="${VPD_KERNEL_ARGS:-} $args" \
	exec "$VPD_TESTS_DIR/vm-debug.sh" "$@"
