# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# make bench's guest (tests/bench.sh stages it as the only case): rounds
# of vpd-bench (tests/guest/vpd-bench.c), the exporters or drivers under
# comparison interleaved in each round (A B, then B A, ...), on one boot.  The
# host reads the BENCH, SPURIOUS and SGSHAPE lines off the console and
# makes the ratios; this script only checks that every step ran (one
# PASS/FAIL per driver and step kind).  Kernel command line:
#
#   vpd_bench=core     the kernel has vfio_pci_core's exporter (7.x): the
#                      variant with it ("in-tree") and with own_dmabuf=1
#                      ("own"), the module reloaded between them
#   vpd_bench=stock    6.x: the kernel's vfio-pci ("stock"), the variant
#                      ("variant") and the drop-in ("dropin", staged in
#                      updates/; the kernel's vfio-pci.ko loaded by path)
#   vpd_bench_rounds=R, vpd_bench_reps=N, vpd_bench_ns=N,N,...
#                      rounds, repetitions per timed operation, and the
#                      numbers of live mappings for the revoke steps
#   vpd_bench_procs=P  processes per round for the quick steps (export,
#                      map, passthru): timed by the host's clock, one
#                      process runs all its syscalls up to 1.7 times slower
#                      than the next, at random, so the host takes the
#                      minimum of P (the instruction clock, vpd_bench_clock=
#                      icount, gives every process the same times: P=1)
#
# Devices: ivshmem's BAR 2 (8 MiB here) for the dma-buf steps, the NVMe
# (MSI-X, FLR, a PM capability) for the pass-through ones and for PMCSR
# in the spurious step (label DRIVER-nvme); edu behind a root port is the
# importer.

T=bench
MODE=$(cmdline_arg vpd_bench)
ROUNDS=$(cmdline_arg vpd_bench_rounds)
REPS=$(cmdline_arg vpd_bench_reps)
NS=$(cmdline_arg vpd_bench_ns)
PROCS=$(cmdline_arg vpd_bench_procs)
ROUNDS=${ROUNDS:-3}
REPS=${REPS:-20}
PROCS=${PROCS:-3}
NS=$(echo "${NS:-0,1,10,100,1000}" | tr , ' ')
# Resets and decode writes with N mappings are slower: fewer repetitions.
RREPS=$((REPS / 4))
[ "$RREPS" -ge 2 ] || RREPS=2
IVSHMEM=$(bdf_of 1af4:1110)
NVME=$(bdf_of 1b36:0010)
EDU=0000:01:00.0
MAXSEG=/sys/module/vpd_edu_importer/parameters/max_seg
STOCK_KO=$(find "/lib/modules/$(uname -r)/kernel" -name 'vfio-pci.ko*' | head -n 1)

# step LABEL NAME ARGS...: vpd-bench ARGS with LABEL; FAIL once per
# LABEL/NAME on a failure, SKIP where the exporter cannot do what is
# timed (status 3, its BENCHNA line says why), PASS on the last round's
# success.
step() {
	local l="$1" n="$2" rc=0

	shift 2
	VPD_BENCH_LABEL=$l run_bounded 1800 vpd-bench "$@" || rc=$?
	if [ "$rc" = 3 ]; then
		[ "$round" != "$ROUNDS" ] ||
			skip "$T.$l.$n" "vpd-bench $*: see its BENCHNA line"
	elif [ "$rc" != 0 ]; then
		fail "$T.$l.$n" "vpd-bench $* exited $rc"
	elif [ "$round" = "$ROUNDS" ]; then
		pass "$T.$l.$n"
	fi
}

# steps LABEL NAME ARGS...: step, $PROCS times (the quick steps).
steps() {
	local p=1

	while [ "$p" -le "$PROCS" ]; do
		step "$@"
		p=$((p + 1))
	done
}

# The compared drivers in round order: as given in odd rounds, reversed
# in even ones, so that none is always first after a module load.
in_round_order() {
	if [ $((round % 2)) = 1 ]; then
		echo "$@"
	else
		echo "$@" | tr ' ' '\n' | sed -n '1!G;h;$p' | tr '\n' ' '
	fi
}

# load core|own|stock|variant|dropin: that driver's module loaded (and
# nothing bound to the others').
load() {
	local out=

	for b in "$IVSHMEM" "$NVME"; do
		unbind "$b"
	done
	case $1 in
	in-tree | own)
		module_loaded vfio_pci_dmabuf && out=$(rmmod vfio_pci_dmabuf 2>&1)
		if [ "$1" = own ]; then
			out=$out$(modprobe vfio-pci-dmabuf own_dmabuf=1 2>&1)
		else
			out=$out$(modprobe vfio-pci-dmabuf 2>&1)
		fi
		DRV=vfio-pci-dmabuf
		;;
	stock | dropin)
		module_loaded vfio_pci && out=$(rmmod vfio_pci 2>&1)
		if [ "$1" = stock ]; then
			out=$out$(modprobe vfio-pci-core 2>&1 && insmod "$STOCK_KO" 2>&1)
		else
			out=$out$(modprobe vfio-pci 2>&1)
		fi
		DRV=vfio-pci
		;;
	variant)
		out=$(modprobe vfio-pci-dmabuf 2>&1)
		DRV=vfio-pci-dmabuf
		;;
	esac
	[ -z "$out" ] || echo "bench: loading $1: $out"
}

dmabuf_steps() {
	local l="$1" n

	bind_to $DRV "$IVSHMEM" || { fail "$T.$l.bind" "$IVSHMEM to $DRV"; return; }
	steps "$l" export export "$IVSHMEM" 2 "$REPS"
	steps "$l" map map "$IVSHMEM" 2 "$REPS"
	for n in $NS; do
		step "$l" revoke revoke "$IVSHMEM" 2 "$n" "$RREPS"
	done
	step "$l" spurious spurious "$IVSHMEM" 2 "$RREPS"
	if [ "$round" = 1 ]; then
		# edu's own limit (the PCI default), then a 2 GiB one; the
		# parameter applies from the next attach on.
		echo 65536 > $MAXSEG
		step "$l" sgshape sgshape "$IVSHMEM" 2
		echo 2147483648 > $MAXSEG
		VPD_BENCH_LABEL=$l-bigseg run_bounded 300 vpd-bench sgshape "$IVSHMEM" 2
		echo 65536 > $MAXSEG
	fi
	unbind "$IVSHMEM"
}

# The NVMe's CMB BAR: its PM capability gives the PMCSR row (ivshmem has
# none).
spurious_nvme_steps() {
	bind_to $DRV "$NVME" || { fail "$T.$1.bind" "$NVME to $DRV"; return; }
	step "$1-nvme" spurious spurious "$NVME" 2 "$RREPS"
	unbind "$NVME"
}

passthru_steps() {
	bind_to $DRV "$NVME" || { fail "$T.$1.bind" "$NVME to $DRV"; return; }
	steps "$1" passthru passthru "$NVME" 0 "$REPS"
	unbind "$NVME"
}

if [ -z "$MODE" ]; then
	skip $T "run by tests/bench.sh (no vpd_bench= on the kernel command line)"
	exit 0
fi
modprobe vpd-edu-importer && bind_to vpd-edu-importer $EDU &&
	wait_for -t 10 "[ -c /dev/vpd-edu-importer ]" ||
	{ fail $T "cannot bind edu $EDU to the test importer"; exit 0; }

echo "BENCHCONF mode=$MODE rounds=$ROUNDS reps=$REPS rreps=$RREPS procs=$PROCS ns=$(echo $NS | tr ' ' ,) clock=$(cmdline_arg vpd_bench_clock) cpus=$(grep -c ^processor /proc/cpuinfo) kernel=$(uname -r)"
round=1
while [ "$round" -le "$ROUNDS" ]; do
	echo "BENCHROUND $round"
	if [ "$MODE" = core ]; then
		for l in $(in_round_order in-tree own); do
			load $l
			dmabuf_steps $l
			spurious_nvme_steps $l
		done
	else
		for l in $(in_round_order stock variant dropin); do
			load $l
			passthru_steps $l
			[ $l = stock ] || { dmabuf_steps $l; spurious_nvme_steps $l; }
		done
	fi
	round=$((round + 1))
done
echo "BENCHDONE"
