#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A real DKMS cycle for every kernel of the matrix, through the Makefile's
# dkms-install target: add, build, install for that kernel; the installed
# module's vermagic names that kernel; dkms-uninstall leaves nothing behind.
# Then the same for the drop-in (DROPIN=1): modprobe's vfio-pci for that
# kernel is DKMS's while it is installed and no longer after
# dkms-uninstall; on kernels dropin-check.sh refuses (7.x, whose vfio-pci
# exports dma-bufs), DKMS skips it with that line and installs nothing.
# Usage: tests/dkms.sh [KERNEL...]
set -euo pipefail
source "$(dirname -- "$0")/lib/project.sh"
source "$VPD_LIB_DIR/report.sh"

need_root
host_apt_install dkms make

version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$VPD_TOP/dkms.conf")

# modinfo_n K KVER: the file modprobe loads as vfio-pci for KVER.
modinfo_n() {
	kernel_in_buildenv "$1" modinfo -k "$2" -n vfio-pci 2>&1 || true
}

dropin_cycle() {
	local k=$1 kver=$2 log refused path left
	log="$VPD_CACHE/build/$k-dkms-dropin.log"
	refused=$(vpd_dropin_refused "$k")
	if ! kernel_in_buildenv "$k" make -C "$VPD_TOP" dkms-install DROPIN=1 \
		KVER="$kver" >"$log" 2>&1; then
		path=$(modinfo_n "$k" "$kver")
		if [[ -z $refused ]]; then
			t_fail "$k/dkms-dropin-install" "$(tail -n 8 "$log")"
		elif ! grep -q -F "$refused" "$log"; then
			t_fail "$k/dkms-dropin-refused" "no refusal line in the DKMS output: $(tail -n 5 "$log")"
		elif [[ $path == */updates/* ]]; then
			t_fail "$k/dkms-dropin-refused" "refused, but vfio-pci resolves to $path"
		else
			log "$k: $refused"
			t_pass "$k/dkms-dropin-refused"
		fi
		kernel_in_buildenv "$k" make -C "$VPD_TOP" dkms-uninstall DROPIN=1 >>"$log" 2>&1 || true
		return
	fi
	if [[ -n $refused ]]; then
		t_fail "$k/dkms-dropin-refused" "DKMS installed the drop-in where it must not: $refused"
	else
		path=$(modinfo_n "$k" "$kver")
		if [[ $path == /lib/modules/$kver/updates/dkms/vfio-pci.ko* ]]; then
			t_pass "$k/dkms-dropin-install"
		else
			t_fail "$k/dkms-dropin-install" "installed, but vfio-pci for $kver resolves to '$path'"
		fi
	fi
	kernel_in_buildenv "$k" make -C "$VPD_TOP" dkms-uninstall DROPIN=1 >>"$log" 2>&1 || true
	path=$(modinfo_n "$k" "$kver")
	# shellcheck disable=SC2016 # expanded inside the build environment
	left=$(kernel_in_buildenv "$k" sh -c \
		'find "/lib/modules/$1" -path "*/updates/*" -name "vfio-pci.ko*";
		 ls -d "/var/lib/dkms/$2" "/usr/src/$2-$3" 2>/dev/null' \
		sh "$kver" "$VPD_MODULE-dropin" "$version" || true)
	if [[ -n $left ]]; then
		t_fail "$k/dkms-dropin-uninstall" "left behind: $left"
	elif [[ $path == */updates/* ]]; then
		# (The build environment may have the kernel's headers only, and
		# no vfio-pci at all: the install guest sees the kernel's come back.)
		t_fail "$k/dkms-dropin-uninstall" "vfio-pci for $kver still resolves to '$path'"
	else
		t_pass "$k/dkms-dropin-uninstall"
	fi
}

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
	dropin_cycle "$k" "$kver"
done

t_done
