#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test of the project, on every distro kernel of
# tests/kernels.conf (or those named in VPD_KERNELS), the build alone on its
# "@headers" kernels (or VPD_HEADERS_KERNELS), and on the kernels the rig
# builds itself (its "@build" lines, or VPD_BUILT_KERNELS; empty: none),
# and the package installed in a Debian guest with two bookworm kernels
# (VPD_INSTALL_KERNELS, default "6.1 6.12"; empty: not run).
# Needs root on Debian bookworm; installs what it needs.  The last line is
# "N passed, N failed, N skipped".
set -euo pipefail
source "$(dirname -- "$0")/lib/kernels.sh"
source "$VPD_LIB_DIR/report.sh"

need_root
read -r -a kernels <<<"${VPD_KERNELS:-$(kernels_list | tr '\n' ' ')}"
read -r -a headers_only <<<"${VPD_HEADERS_KERNELS-$(kernels_headers_list | tr '\n' ' ')}"
read -r -a built <<<"${VPD_BUILT_KERNELS-$(kernels_built_list | tr '\n' ' ')}"
read -r -a install <<<"${VPD_INSTALL_KERNELS-6.1 6.12}"

status=0
run() {
	local t=$1
	shift
	log "== $t $*"
	"$VPD_TESTS_DIR/$t" "$@" || status=1
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
	(renice -n 10 -p "$BASHPID" >/dev/null && "$@") >"$logf" 2>&1 &
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

# One host apt-get update, before anything runs in parallel.
host_apt_update_once
# The install guest's image (tests/lib/image.sh: debootstrap and two
# kernels; mostly download and unpack) while the builds below compile.
if ((${#install[@]})); then
	in_background install-image "$VPD_TESTS_DIR/vm-install.sh" --image "${install[@]}"
fi

run style.sh
run build.sh "${kernels[@]}" ${headers_only[@]+"${headers_only[@]}"}
run dkms.sh "${kernels[@]}"
run packages.sh
# Built from Debian's linux-source with lockdep, KASAN and the DMA-API
# checker (tests/kernel-debug.config; about 7 minutes on 2 cores, cached),
# while the guests below run.
if ((${#built[@]})); then
	in_background debug-kernels fetch_kernels "${built[@]}"
fi
# The rig itself first: the test machine is as expected, and a failing, a
# hanging and a crashing guest are reported as failures.
run vm-smoke.sh --selftest "${kernels[@]}"
run vm-basic.sh "${kernels[@]}"
run vm-dmabuf.sh "${kernels[@]}"
run vm-dropin.sh "${kernels[@]}"
run vm-unplug.sh "${kernels[@]}"
run vm-no-route.sh "${kernels[@]}"
run vm-bigbar.sh "${kernels[@]}"
run vm-topology.sh "${kernels[@]}" ${built[@]+"${built[@]}"}
wait_background
if ((${#built[@]})); then
	run vm-debug.sh "${built[@]}"
fi
# The .deb installed in a debootstrapped Debian guest with two kernels
# (the first one's headers installed, the second one's later).
if ((${#install[@]})); then
	run vm-install.sh "${install[@]}"
fi

# A driver that died before reporting must not look green.
if ((status)); then
	t_fail "check/drivers" "a test driver exited with an error (see its output above)"
fi
t_summary
