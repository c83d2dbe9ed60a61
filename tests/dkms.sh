#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A real DKMS cycle for every kernel of the matrix, through the Makefile's
# dkms-install target: add, build, install for that kernel; the installed
# module's vermagic names that kernel; dkms-uninstall leaves nothing behind.
# Usage: tests/dkms.sh [KERNEL...]
set -euo pipefail
source "$(dirname -- "$0")/lib/project.sh"
source "$VPD_LIB_DIR/report.sh"

need_root
host_apt_install dkms make

version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$VPD_TOP/dkms.conf")


read -r -a kernels <<<"${*:-$(kernels_list | tr '\n' ' ')}"
for k in "${kernels[@]}"; do
	kver=$(kernel_kver "$k")
	kernel_headers "$k"
	log="$VPD_CACHE/build/$k-dkms.log"
	mkdir -p "${log%/*}"

	if ! kernel_in_buildenv "$k" make -C "$VPD_TOP" dkms-install \
		KVER="$kver" >"$log" 2>&1; then
		t_fail "$k/dkms-install" "$(tail -n 8 "$log")"
		kernel_in_buildenv "$k" make -C "$VPD_TOP" dkms-uninstall >>"$log" 2>&1 || true
		continue
	fi
	t_pass "$k/dkms-install"

	# shellcheck disable=SC2016 # expanded inside the build environment
	vermagic=$(kernel_in_buildenv "$k" sh -c \
		'm=$(find "/lib/modules/$1" -path "*/updates/*" -name "$2.ko*" -print -quit) &&
		 [ -n "$m" ] && modinfo -F vermagic "$m"' sh "$kver" "$VPD_MODULE" || true)
	if [[ $vermagic == "$kver "* ]]; then
		t_pass "$k/dkms-vermagic"
	else
		t_fail "$k/dkms-vermagic" "installed module's vermagic is '$vermagic', expected '$kver ...'"
	fi

	kernel_in_buildenv "$k" make -C "$VPD_TOP" dkms-uninstall >>"$log" 2>&1 || true
	# shellcheck disable=SC2016
	left=$(kernel_in_buildenv "$k" sh -c \
		'find "/lib/modules/$1" -path "*/updates/*" -name "$2.ko*";
		 ls -d "/var/lib/dkms/$3" "/usr/src/$3-$4" 2>/dev/null' \
		sh "$kver" "$VPD_MODULE" "$VPD_MODULE" "$version" || true)
	if [[ -z $left ]]; then
		t_pass "$k/dkms-uninstall"
	else
		t_fail "$k/dkms-uninstall" "left behind: $left"
	fi
done

t_done
