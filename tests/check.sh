#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test of the project, on every distro kernel of
# tests/kernels.conf (or those named in VPD_KERNELS), the build alone on its
# "@headers" kernels (or VPD_HEADERS_KERNELS), and on the kernels the rig
# builds itself (its "@build" lines, or VPD_BUILT_KERNELS; empty: none),
# and the package installed in a Debian guest with two bookworm kernels
# (VPD_INSTALL_KERNELS, default "6.1 6.12"; empty: not run) and in a
# trixie guest with its own kernel and 7.3 (VPD_INSTALL_TRIXIE_KERNELS,
# default "6.12-trixie 7.3"; empty: not run), beside the other guests.
# Needs root on Debian bookworm; installs what it needs.  The last line is
# "N passed, N failed, N skipped".
#
# VPD_SUITES (make check SUITES="dmabuf unplug"): only these stages, by
# name: style build dkms packages tools (host) and smoke basic dmabuf
# dropin unplug no-route bigbar topology debug install (guests), and only
# what they need: the debug kernel for "debug", the install guests'
# images for "install", the headers-only kernels for "build".  With
# VPD_KERNELS (make check KERNELS=6.1) the named kernels run every suite,
# the once-only ones included.
set -euo pipefail
source "$(dirname -- "$0")/lib/kernels.sh"
source "$VPD_LIB_DIR/report.sh"

need_root
all_suites="style build dkms packages tools smoke basic dmabuf dropin unplug no-route bigbar topology debug install"
read -r -a suites <<<"${VPD_SUITES:-}"
for s in ${suites[@]+"${suites[@]}"}; do
	[[ " $all_suites " == *" $s "* ]] || die "VPD_SUITES: no suite named $s (suites: $all_suites)"
done
# suite_wanted NAME: NAME runs (every suite does without VPD_SUITES).
suite_wanted() {
	((${#suites[@]} == 0)) || [[ " ${suites[*]} " == *" $1 "* ]]
}
read -r -a kernels <<<"${VPD_KERNELS:-$(kernels_list | tr '\n' ' ')}"
read -r -a headers_only <<<"${VPD_HEADERS_KERNELS-$(kernels_headers_list | tr '\n' ' ')}"
read -r -a built <<<"${VPD_BUILT_KERNELS-$(kernels_built_list | tr '\n' ' ')}"
read -r -a install <<<"${VPD_INSTALL_KERNELS-6.1 6.12}"
read -r -a install_trixie <<<"${VPD_INSTALL_TRIXIE_KERNELS-6.12-trixie 7.3}"
suite_wanted build || headers_only=()
suite_wanted debug || built=()
suite_wanted install || { install=(); install_trixie=(); }
# Cut repetition, not coverage (the time budget is 60 minutes on 2 cores):
# bookworm-backports' 6.12 and trixie's own 6.12 are one upstream series
# built by two compilers.  The module's own code, where a compiler shows,
# runs on both: build, DKMS, the rig's selftest, basic and transparency,
# the whole dma-buf suite (interlocks, stress, fuzzer) and unplug.  The
# suites about kernel paths the two share (module replacement by the
# drop-in, IOMMU topology, noiommu routing, a large BAR) run on trixie's
# only.  VPD_ONCE_SKIP names the kernels they leave out.
once_default=6.12
[[ -z ${VPD_KERNELS:-} ]] || once_default=
read -r -a once_skip <<<"${VPD_ONCE_SKIP-$once_default}"
once=()
for k in "${kernels[@]}"; do
	[[ " ${once_skip[*]} " == *" $k "* ]] || once+=("$k")
done

status=0
run() {
	local t=$1 name=${1%.sh}
	shift
	suite_wanted "${name#vm-}" || return 0
	log "== $t $*"
	t_stage "$t" "$VPD_TESTS_DIR/$t" "$@" || status=1
}

# Preparations that need no QEMU run niced in the background: the guests
# run single-threaded TCG and leave a core to them.  Whatever needs their
# result waits for it on its cache lock, and makes it itself if the
# background job failed (whose log is then shown).
bg_pids=()
bg_logs=()
in_background() {
	local name=$1 logf
	shift
	logf=$(mktemp "${TMPDIR:-/tmp}/vpd-check-$name.XXXXXX")
	log "in the background: $name (log: $logf)"
	(renice -n 10 -p "$BASHPID" >/dev/null && t_stage "$name" "$@") >"$logf" 2>&1 &
	bg_pids+=("$!")
	bg_logs+=("$logf")
}

wait_background() {
	local i
	for i in "${!bg_pids[@]}"; do
		if ! wait "${bg_pids[$i]}"; then
			log "a background preparation failed ($(basename -- "${bg_logs[$i]}")):"
			tail -n 30 "${bg_logs[$i]}" >&2
		fi
		rm -f -- "${bg_logs[$i]}"
	done
	bg_pids=()
	bg_logs=()
}

fetch_kernels() {
	local k
	for k; do
		kernel_fetch "$k"
	done
}

# The host as it was: kernel packages and header trees live in the build
# chroots and guest images only (check/host-untouched, at the end).
host_kernel_state() {
	dpkg-query -W -f='${db:Status-Status} ${Package}\n' 2>/dev/null |
		awk '$1 == "installed" && $2 ~ /^(linux-(headers|image|kbuild|compiler|base-|binary-|modules-)|vpd-)/ { print $2 }'
	# (A container may have no /lib/modules at all.)
	find /usr/src /lib/modules -mindepth 1 -maxdepth 1 2>/dev/null || true
}
host_before=$(host_kernel_state | sort)

# One host apt-get update, before anything runs in parallel.
host_apt_update_once
# The install guest's image (tests/lib/image.sh: debootstrap and two
# kernels; mostly download and unpack) while the builds below compile.
if ((${#install[@]})); then
	in_background install-image "$VPD_TESTS_DIR/vm-install.sh" --image "${install[@]}"
fi
if ((${#install_trixie[@]})); then
	in_background install-image-trixie "$VPD_TESTS_DIR/vm-install.sh" --image "${install_trixie[@]}"
fi

# Built from Debian's linux-source with lockdep, KASAN and the DMA-API
# checker (tests/kernel-debug.config; about 20 CPU minutes, cached), from
# the start: the stages below leave part of a core, and so do the guests
# after them (one thread each).
if ((${#built[@]})); then
	in_background debug-kernels fetch_kernels "${built[@]}"
fi

run style.sh
run build.sh "${kernels[@]}" ${headers_only[@]+"${headers_only[@]}"}
run dkms.sh "${kernels[@]}"
run packages.sh
run tools.sh

# The package installed in Debian guests (vm-install.sh: with two
# bookworm kernels, the first one's headers installed, the second one's
# later; then Debian 13, its own kernel and 7.3: the kernel's exporter,
# own_dmabuf=1, the drop-in refused, DKMS's module signature) is the
# longest suite and the one least bound to time (DKMS builds, apt,
# initramfs; no interlock waits).  It runs beside the other guests, from
# here on, at the lowest priority: its two vCPU threads take what the
# other guests (one thread each, not niced: their timeouts assume a core)
# and the debug kernel's build (niced less, vm-debug waits for it) leave,
# and both cores once those are done.  Its own QEMU lock, build directory
# and deadline per boot.  Its output is shown when it ends; its results
# are in the same report.
install_lane() {
	local rc=0
	if ((${#install[@]})); then
		log "== vm-install.sh ${install[*]}"
		t_stage vm-install.sh:bookworm "$VPD_TESTS_DIR/vm-install.sh" "${install[@]}" || rc=1
	fi
	if ((${#install_trixie[@]})); then
		log "== vm-install.sh ${install_trixie[*]}"
		t_stage vm-install.sh:trixie "$VPD_TESTS_DIR/vm-install.sh" "${install_trixie[@]}" || rc=1
	fi
	return "$rc"
}
lane_pid=
if ((${#install[@]} + ${#install_trixie[@]})); then
	lane_log=$(mktemp "${TMPDIR:-/tmp}/vpd-check-install.XXXXXX")
	lane_lock=${VPD_VM_LOCK-/run/lock/vfio-pci-dmabuf-qemu.lock}
	[[ -z $lane_lock ]] || lane_lock+=.install
	log "beside the other guests: vm-install.sh (log: $lane_log)"
	(renice -n 19 -p "$BASHPID" >/dev/null &&
		VPD_VM_TIMEOUT=2700 VPD_VM_LOCK=$lane_lock \
		VPD_BUILD_ROOT=$VPD_CACHE/build/install install_lane) >"$lane_log" 2>&1 &
	lane_pid=$!
fi
# The rig itself first: the test machine is as expected, and a failing, a
# hanging and a crashing guest are reported as failures.
run vm-smoke.sh --selftest "${kernels[@]}"
run vm-basic.sh "${kernels[@]}"
run vm-dmabuf.sh "${kernels[@]}"
((${#once[@]} == 0)) || run vm-dropin.sh "${once[@]}"
run vm-unplug.sh "${kernels[@]}"
((${#once[@]} == 0)) || run vm-no-route.sh "${once[@]}"
((${#once[@]} == 0)) || run vm-bigbar.sh "${once[@]}"
if ((${#once[@]} + ${#built[@]})); then
	run vm-topology.sh ${once[@]+"${once[@]}"} ${built[@]+"${built[@]}"}
fi
wait_background
if ((${#built[@]})); then
	run vm-debug.sh "${built[@]}"
fi
if [[ -n $lane_pid ]]; then
	wait "$lane_pid" || status=1
	cat -- "$lane_log"
	rm -f -- "$lane_log"
fi

added=$(comm -13 <(echo "$host_before") <(host_kernel_state | sort) | tr '\n' ' ')
if [[ -n $added ]]; then
	t_fail check/host-untouched "the run left kernel packages or trees on the host: $added"
else
	t_pass check/host-untouched
fi

# A driver that died before reporting must not look green.
if ((status)); then
	t_fail "check/drivers" "a test driver exited with an error (see its output above)"
fi
# Where the time went, for CI's log; then the summary, the last line.
t_stage_table
t_summary
