#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test of the project, on every distro kernel of
# tests/kernels.conf (or those named in VPD_KERNELS), the build alone on its
# "@headers" kernels (or VPD_HEADERS_KERNELS), and on the kernels the rig
# builds itself (its "@build" lines, or VPD_BUILT_KERNELS; empty: none).
# Needs root on Debian bookworm; installs what it needs.  The last line is
# "N passed, N failed, N skipped".
set -euo pipefail
source "$(dirname -- "$0")/lib/kernels.sh"
source "$VPD_LIB_DIR/report.sh"

need_root
read -r -a kernels <<<"${VPD_KERNELS:-$(kernels_list | tr '\n' ' ')}"

status=0
run() {
	local t=$1
	shift
	log "== $t $*"
	"$VPD_TESTS_DIR/$t" "$@" || status=1
}

run style.sh
read -r -a headers_only <<<"${VPD_HEADERS_KERNELS-$(kernels_headers_list | tr '\n' ' ')}"
run build.sh "${kernels[@]}" ${headers_only[@]+"${headers_only[@]}"}
run dkms.sh "${kernels[@]}"
run packages.sh
# The rig itself first: the test machine is as expected, and a failing, a
# hanging and a crashing guest are reported as failures.
run vm-smoke.sh --selftest "${kernels[@]}"
run vm-basic.sh "${kernels[@]}"
run vm-dmabuf.sh "${kernels[@]}"
run vm-unplug.sh "${kernels[@]}"
run vm-no-route.sh "${kernels[@]}"
# Built from Debian's linux-source with lockdep, KASAN and the DMA-API
# checker (tests/kernel-debug.config; about 7 minutes on 2 cores, cached).
read -r -a built <<<"${VPD_BUILT_KERNELS-$(kernels_built_list | tr '\n' ' ')}"
run vm-topology.sh "${kernels[@]}" ${built[@]+"${built[@]}"}
if ((${#built[@]})); then
	run vm-debug.sh "${built[@]}"
fi

# A driver that died before reporting must not look green.
if ((status)); then
	t_fail "check/drivers" "a test driver exited with an error (see its output above)"
fi
t_summary
