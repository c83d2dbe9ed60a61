#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the control path's cost as ratios, each comparison made in
# one boot with the compared drivers interleaved (tests/guest/bench/
# bench.sh runs tests/guest/vpd-bench.c in rounds):
#
#   7.x (vfio_pci_core exports dma-bufs): the variant with the kernel's
#     exporter ("in-tree") against its own (own_dmabuf=1, "own"): export
#     of 1 and 64 ranges, attach+map+unmap+detach, map of 1000 ranges;
#     goal own <= 1.05 x in-tree.  Revoke cost with N live mappings (reset
#     and decode-off), slope per mapping; goal own <= in-tree.
#   6.x: the kernel's vfio-pci ("stock"), the variant and the drop-in:
#     config dword read/write, BAR dword read/write, GET_REGION_INFO,
#     VFIO_DEVICE_RESET, SET_IRQS on/off; goal <= 1.02 x stock.  The
#     variant's and the drop-in's revoke slopes.
#   Every exporter: invalidations caused by config writes that leave the
#     BAR usable (SPURIOUS), and the scatterlist shape for an importer with
#     a 64 KiB and with a 2 GiB segment limit (SGSHAPE).
#
# Prints a table, then one "RATIO NAME MEASURED goal <=GOAL ok|missed" line
# per goal, and the paths of a Markdown report and gnuplot plots under
# $VPD_CACHE/bench/.  Not part of make check (which runs the program once:
# guest case 79-dmabuf-bench).
#
# The guest's clock counts instructions (VPD_BENCH_CLOCK=icount, the
# default: QEMU's -icount shift=0, one nanosecond per guest instruction,
# one vCPU): under TCG the host's time of the same code varies from one
# process to the next by up to 1.7 times, at random, and with the host's
# load; instructions repeat to the last one.  Where the guest idles (a
# reset's sleeps) the clock jumps to the next timer (sleep=off), so a
# sleep lasts exactly as long as it asks, and other work on the host
# changes nothing.  A ratio is thus one of guest instructions executed
# (the device model's work is free); VPD_BENCH_CLOCK=host measures host
# time instead (-smp 2, no icount).
#
# Usage: tests/bench.sh [KERNEL...]   (default: 7.3 6.1 6.12)
# VPD_BENCH_ROUNDS (5), VPD_BENCH_REPS (40), VPD_BENCH_NS (0,1,10,100,1000),
# VPD_BENCH_CLOCK (icount, above), VPD_BENCH_PROCS (processes per round of
# the quick steps, see tests/guest/bench/bench.sh: 1 with icount, else 5).
set -euo pipefail
source "$(dirname -- "$0")/lib/project.sh"
source "$VPD_LIB_DIR/vm.sh"
source "$VPD_LIB_DIR/report.sh"

need_root
export VPD_BUILD_DROPIN=1
rounds=${VPD_BENCH_ROUNDS:-5}
reps=${VPD_BENCH_REPS:-40}
ns=${VPD_BENCH_NS:-0,1,10,100,1000}
clock=${VPD_BENCH_CLOCK:-icount}
procs=${VPD_BENCH_PROCS:-$([[ $clock == icount ]] && echo 1 || echo 5)}
[[ $rounds =~ ^[1-9][0-9]?$ && $reps =~ ^[1-9][0-9]{0,3}$ && $ns =~ ^[0-9,]+$ &&
	$procs =~ ^[1-9]$ && $clock =~ ^(icount|host)$ ]] ||
	die "VPD_BENCH_ROUNDS (1-99), VPD_BENCH_REPS (1-9999), VPD_BENCH_NS (N,N,...), VPD_BENCH_PROCS (1-9), VPD_BENCH_CLOCK (icount|host)"
# (A later -smp overrides vm_boot's; with two vCPUs, icount hangs at boot.)
qemu_clock=()
# shellcheck disable=SC2054 # commas are QEMU option syntax
[[ $clock == host ]] || qemu_clock=(-icount shift=0,sleep=off -smp 1)
host_apt_install gnuplot-nox

mkdir -p "$VPD_CACHE/bench"
out=$(mktemp -d "$VPD_CACHE/bench/$(date -u +%Y%m%dT%H%M%SZ).XXXX")
chmod 755 "$out"
run=$(mktemp -d "${TMPDIR:-/tmp}/vpd-bench.XXXXXX")
trap 'rm -rf "$run"' EXIT

read -r -a kernels <<<"${*:-7.3 6.1 6.12}"
for k in "${kernels[@]}"; do
	kernel_fetch "$k"
	if ! vpd_build "$k" "$run/$k-build.log" ||
		! vpd_build_importer "$k" "$run/$k-importer.log"; then
		t_fail "bench/$k/build" "build failed: $(tail -n 5 "$run/$k-"*.log)"
		continue
	fi
	stage=$run/$k-stage
	vpd_guest_stage "$k" "$stage"
	rm -f "$stage"/tests/cases/*.sh
	cp "$VPD_TESTS_DIR/guest/bench/bench.sh" "$stage/tests/cases/80-bench.sh"
	if vpd_has_core_exporter "$k"; then
		mode=core
	elif [[ -n $(vpd_dropin_refused "$k") ]]; then
		t_fail "bench/$k" "neither vfio_pci_core's exporter nor the drop-in: $(vpd_dropin_refused "$k")"
		continue
	else
		mode=stock
		vpd_guest_stage_dropin "$k" "$stage"
	fi
	vm_initramfs "$k" "$run/$k-initrd" "$stage"
	log=$run/bench-$k-console.log
	VPD_VM_TIMEOUT=${VPD_VM_TIMEOUT:-7200} VPD_IVSHMEM_SIZE=8M \
		VPD_KERNEL_ARGS="${VPD_KERNEL_ARGS:-} vpd_bench=$mode vpd_bench_rounds=$rounds vpd_bench_reps=$reps vpd_bench_ns=$ns vpd_bench_procs=$procs vpd_bench_clock=$clock vpd_case_timeout=7000" \
		vm_boot "$k" "$run/$k-initrd" "$log" ${qemu_clock[@]+"${qemu_clock[@]}"} || true
	vm_results "$log" "bench/$k"
	vm_console_clean "$log" "bench/$k"
	cp -- "$log" "$out/$k-console.log"
	tr -d '\r' <"$log" | grep -E '^(BENCH|BENCHNA|BENCHROUND|SPURIOUS|SGSHAPE|BENCHCONF) ' |
		sed "s/^/$k /" >>"$out/results.txt" || true
done

if [[ -s $out/results.txt ]]; then
	awk -v out="$out" -f "$VPD_TESTS_DIR/lib/bench-report.awk" "$out/results.txt" |
		tee "$out/summary.txt"
	(cd "$out" && gnuplot "$out/plots.gp") >"$out/gnuplot.log" 2>&1 ||
		log "gnuplot failed: $(tail -n 3 "$out/gnuplot.log")"
	echo "report: $out/report.md"
	for p in "$out"/*.png; do
		[[ -e $p ]] && echo "plot: $p"
	done
else
	t_fail bench/results "no benchmark lines on any console (consoles: $out)"
fi
t_done
