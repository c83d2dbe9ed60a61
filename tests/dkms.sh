#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A real DKMS cycle for every kernel of the matrix, through the Makefile's
# dkms-install target: add, build, install for that kernel; the installed
# module's vermagic names that kernel and it is signed with DKMS's MOK key
# (dkms-signed, for Secure Boot); dkms-uninstall leaves nothing behind.
# Then the same for the drop-in (DROPIN=1): modprobe's vfio-pci for that
# kernel is DKMS's while it is installed and the kernel's own again after
# dkms-uninstall (the kernel's modules are put into its build chroot for
# this, as its image package would); on kernels dropin-check.sh refuses (7.x, whose vfio-pci
# exports dma-bufs), DKMS skips it with that line and installs nothing.
# Usage: tests/dkms.sh [KERNEL...]
set -euo pipefail
source "$(dirname -- "$0")/lib/project.sh"
source "$VPD_LIB_DIR/report.sh"

need_root
host_apt_install make

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
		t_fail "$k/dkms-dropin-uninstall" "vfio-pci for $kver still resolves to '$path'"
	elif [[ $path != "/lib/modules/$kver/kernel/"* ]]; then
		t_fail "$k/dkms-dropin-uninstall" "vfio-pci for $kver resolves to '$path', not the kernel's own"
	else
		t_pass "$k/dkms-dropin-uninstall"
	fi
}

# install_kernel_modules K KVER: K's own modules in its build chroot, as
# its image package would have put them there (hard links into the fetched
# kernel), so that the chroot looks like a machine running K: DKMS runs
# depmod (trixie's dkms 3.2 skips it where modules.dep is missing) and
# modprobe sees the kernel's vfio-pci beside DKMS's.  Removed at exit.
staged=()
install_kernel_modules() {
	local from to
	from=$(kernel_moddir "$1")
	to=$(kernel_chroot_of "$1")/lib/modules/$2
	remove_kernel_modules "$to"
	staged+=("$to")
	cp -al -- "$from/kernel" "$to/kernel" 2>/dev/null || cp -a -- "$from/kernel" "$to/kernel"
	cp -a -- "$from"/modules.* "$to/"
}

# remove_kernel_modules DIR: what install_kernel_modules and depmod put
# there (the headers package's build and source links stay).
remove_kernel_modules() {
	rm -rf -- "${1:?}/kernel" "$1"/modules.*
}

cleanup() {
	local d
	for d in ${staged[@]+"${staged[@]}"}; do
		remove_kernel_modules "$d"
	done
}
trap cleanup EXIT

read -r -a kernels <<<"${*:-$(kernels_list | tr '\n' ' ')}"
for k in "${kernels[@]}"; do
	kver=$(kernel_kver "$k")
	kernel_headers "$k"
	kernel_fetch "$k"
	install_kernel_modules "$k" "$kver"
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

	# Secure Boot: DKMS signs what it builds with its MOK key (made on
	# first use where openssl is there, as on a stock Debian install);
	# the module must carry that signature, or shim-booted hosts refuse
	# it ("Key was rejected by service").
	# shellcheck disable=SC2016 # expanded inside the build environment
	sig=$(kernel_in_buildenv "$k" sh -c \
		'm=$(find "/lib/modules/$1" -path "*/updates/*" -name "$2.ko*" -print -quit) &&
		 echo "$(modinfo -F signer "$m")|$(openssl x509 -inform DER -in /var/lib/dkms/mok.pub \
			-noout -subject -nameopt multiline | sed -n "s/^ *commonName *= //p")"' \
		sh "$kver" "$VPD_MODULE" 2>&1 || true)
	if [[ -n ${sig%%|*} && ${sig%%|*} == "${sig#*|}" ]]; then
		t_pass "$k/dkms-signed"
	else
		t_fail "$k/dkms-signed" "signer|MOK key subject: '$sig' (want the same, not empty)"
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
