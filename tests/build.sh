#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The module builds for every kernel of the matrix with W=1 without a single
# diagnostic, and sparse (C=2) has nothing to say about it; the drop-in
# vfio-pci.ko is built beside it wherever dropin-check.sh allows it.
# Usage: tests/build.sh [KERNEL...]
set -euo pipefail
source "$(dirname -- "$0")/lib/project.sh"
source "$VPD_LIB_DIR/report.sh"

need_root
# Both modules: the variant and the drop-in.
export VPD_BUILD_DROPIN=1
host_apt_install gcc make sparse

# check NAME KERNEL MAKE-ARGS...: one build, one result.
check() {
	local what=$1 k=$2 log diag
	shift 2
	log="$VPD_CACHE/build/$k-$what.log"
	mkdir -p "${log%/*}"
	if ! vpd_build "$k" "$log" "$@"; then
		t_fail "$k/$what" "make $* failed: $(tail -n 5 "$log")"
		return
	fi
	# Kbuild turns C= off, with a warning, when the checker is too old for
	# the kernel (7.x headers need a sparse that knows __typeof_unqual__).
	if grep -q 'is not available or not up to date' "$log"; then
		t_skip "$k/$what" "this kernel refuses the distribution's sparse ($(kernel_in_buildenv "$k" sparse --version 2>&1))"
		return
	fi
	diag=$(vpd_build_diagnostics "$log")
	if [[ -n $diag ]]; then
		t_fail "$k/$what" "make $*: $(head -n 5 <<<"$diag")"
	else
		t_pass "$k/$what"
	fi
}

read -r -a kernels <<<"${*:-$(kernels_list | tr '\n' ' ')}"
for k in "${kernels[@]}"; do
	kernel_headers "$k"
	kernel_in_buildenv "$k" sh -c 'command -v sparse >/dev/null ||
		{ apt-get update -q && apt-get install -y -q sparse; }' >&2
	check build-w1 "$k" W=1
	# make builds the drop-in vfio-pci.ko beside the variant, except
	# where dropin-check.sh refuses it.
	refused=$(vpd_dropin_refused "$k")
	if [[ -z $refused && ! -f $(vpd_build_dir "$k")/vfio-pci.ko ]]; then
		t_fail "$k/build-dropin" "no vfio-pci.ko beside $VPD_MODULE.ko"
	elif [[ -n $refused && -f $(vpd_build_dir "$k")/vfio-pci.ko ]]; then
		t_fail "$k/build-dropin" "vfio-pci.ko built although refused: $refused"
	else
		t_pass "$k/build-dropin"
	fi
	check sparse "$k" C=2
	log="$VPD_CACHE/build/$k-importer.log"
	if ! vpd_build_importer "$k" "$log" W=1; then
		t_fail "$k/importer-build-w1" "$(tail -n 5 "$log")"
	elif diag=$(vpd_build_diagnostics "$log") && [[ -n $diag ]]; then
		t_fail "$k/importer-build-w1" "$(head -n 5 <<<"$diag")"
	else
		t_pass "$k/importer-build-w1"
	fi
done

t_done
