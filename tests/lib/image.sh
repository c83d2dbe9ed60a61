# shellcheck shell=bash source-path=SCRIPTDIR
# tests/lib/image.sh - a real Debian guest for installing the packages the
# way an operator does (tests/vm-install.sh): a debootstrapped Debian disk
# image (bookworm or trixie: the kernels' release) with systemd, DKMS,
# openssl, a compiler and driverctl, two distro kernels of the matrix, and
# the headers of the first only.  The second kernel's headers and whatever
# they need beyond the image wait as .debs in /opt/vpd/second-headers, so
# that the guest can install them offline and
# see DKMS build for a kernel that gained headers.
#
#   image_build NAME SECOND build (once; cached in $VPD_CACHE/images/) the
#                           image for kernels NAME and SECOND of kernels.conf
#   image_dir NAME SECOND   its directory: disk.img (raw ext4, the root),
#                           initrd.img-KVER of both kernels (the guest's own)
#   image_payload DIR OUT   an ext4 image of DIR, the guest's /vpd
#
# In the guest, vpd-guest.service mounts the payload disk (/dev/vdb) on
# /vpd, runs /vpd/run with the console as its output and powers off.  The
# root disk is meant to be used through a qcow2 overlay, which keeps state
# from one boot to the next.

[[ -n ${_VPD_IMAGE_SH:-} ]] && return 0
_VPD_IMAGE_SH=1

# shellcheck source=kernels.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/kernels.sh"

# openssl: DKMS makes its module signing key with it (Secure Boot);
# libdpdk-dev, pkg-config: the example is built against the installed
# libvfio-dmabuf-dev (tests/guest/install/run).
VPD_IMAGE_PKGS=(systemd-sysv udev kmod dkms gcc make libc6-dev driverctl
	apt ca-certificates util-linux openssl libdpdk-dev pkg-config)

# image_suite NAME SECOND: the Debian release of the image (bookworm or
# trixie): that of both kernels' suites.
image_suite() {
	local a b
	a=$(kernel_chroot_suite "$1") || exit 1
	b=$(kernel_chroot_suite "$2") || exit 1
	[[ $a == "$b" && $a != sid ]] ||
		die "image: $1 ($a) and $2 ($b) must be kernels of one stable release"
	echo "$a"
}

# The recipe (this file) is part of the name: changing it makes a new image.
image_dir() {
	local a b recipe suite
	suite=$(image_suite "$1" "$2") || exit 1
	a=$(kernel_kver "$1") || exit 1
	b=$(kernel_kver "$2") || exit 1
	recipe=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-8)
	echo "$VPD_CACHE/images/$suite-$a+$b-$recipe"
}

_image_guest_files() {
	local root=$1
	cat >"$root/usr/local/sbin/vpd-guest-run" <<-'EOS'
		#!/bin/sh
		# vpd-guest.service: run the test payload (/dev/vdb), power off.
		exec >/dev/ttyS0 2>&1
		echo "VMTEST: BOOTED $(uname -r)"
		mkdir -p /vpd
		if mount -o ro /dev/vdb /vpd && [ -f /vpd/run ]; then
			sh /vpd/run
			echo "VMTEST: INFO payload exited with status $?"
		else
			echo "VMTEST: FAIL guest-payload - no payload disk with a run script"
		fi
		sync
		echo "VMTEST-DONE"
		systemctl poweroff --force
	EOS
	chmod 755 "$root/usr/local/sbin/vpd-guest-run"
	cat >"$root/etc/systemd/system/vpd-guest.service" <<-'EOS'
		[Unit]
		Description=vfio-pci-dmabuf test payload
		After=multi-user.target
		[Service]
		Type=oneshot
		ExecStart=/usr/local/sbin/vpd-guest-run
		[Install]
		WantedBy=multi-user.target
	EOS
	ln -sf /etc/systemd/system/vpd-guest.service \
		"$root/etc/systemd/system/multi-user.target.wants/vpd-guest.service"
	# The console is the payload's: no login prompt on it.
	ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
	ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"
	echo '/dev/vda / ext4 defaults 0 1' >"$root/etc/fstab"
	echo vpd-guest >"$root/etc/hostname"
}

# _image_install ROOT LOG SCRIPT ARGS...: run SCRIPT (sh) in the image being
# built, with apt non-interactive and services kept from starting.
_image_install() {
	local root=$1 logf=$2
	shift 2
	_vpd_chroot_exec "$root" / 0 env DEBIAN_FRONTEND=noninteractive \
		sh -ec "$@" >>"$logf" 2>&1
}

image_build() {
	[[ $# -eq 2 ]] || die "usage: image_build NAME SECOND"
	local kver kver2 suite suite2 dir tmp logf root rel
	local k="signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"
	kver=$(kernel_kver "$1") || exit 1
	kver2=$(kernel_kver "$2") || exit 1
	suite=$(kernel_suite "$1") || exit 1
	suite2=$(kernel_suite "$2") || exit 1
	rel=$(image_suite "$1" "$2") || exit 1
	dir=$(image_dir "$1" "$2")
	[[ -f $dir/complete ]] && return 0
	need_root "building the guest image"
	host_apt_install debootstrap debian-archive-keyring e2fsprogs
	mkdir -p "$VPD_CACHE/images"
	vpd_lock "image-$rel"
	if [[ -f $dir/complete ]]; then
		vpd_unlock "image-$rel"
		return 0
	fi
	# One image at a time: those of other kernels or recipes go.
	rm -rf -- "$VPD_CACHE/images/$rel"-*
	tmp=$(mktemp -d "$dir.tmp.XXXXXX")
	root=$tmp/root
	logf=$tmp.log
	log "building the $rel guest image with $kver and $kver2 (a few minutes), log: $logf"
	if ! debootstrap --variant=minbase --include="$(IFS=,; echo "${VPD_IMAGE_PKGS[*]}")" \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		"$rel" "$root" "$VPD_DEBIAN_MIRROR" >"$logf" 2>&1; then
		tail -n 20 "$logf" >&2
		rm -rf -- "$tmp"
		die "debootstrap failed (log: $logf)"
	fi
	cat >"$root/etc/apt/sources.list" <<-EOS
		deb [$k] $VPD_DEBIAN_MIRROR $rel main
		deb [$k] $VPD_DEBIAN_SECURITY_MIRROR $rel-security main
		deb [$k] $VPD_DEBIAN_MIRROR $rel-backports main
	EOS
	# As Debian's container images do: dpkg skips its per-file fsync,
	# which costs a journal commit per file in the guest under TCG (the
	# header packages it installs hold some 20000 files).
	echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/vpd-unsafe-io"
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	# Both kernels, the first one's headers; the second one's headers
	# and what they need that is not installed yet, downloaded only.
	# shellcheck disable=SC2016 # expanded by the image's sh
	if ! _image_install "$root" "$logf" '
		apt-get -q update
		apt-get -q install -y --no-install-recommends -t "$1" \
			"linux-image-$2" "linux-headers-$2"
		apt-get -q install -y --no-install-recommends -t "$3" "linux-image-$4"
		apt-get clean
		apt-get -q install -y --no-install-recommends -t "$3" --download-only \
			"linux-headers-$4"
		mkdir -p /opt/vpd/second-headers
		mv /var/cache/apt/archives/*.deb /opt/vpd/second-headers/
		apt-get clean
	' sh "$suite" "$kver" "$suite2" "$kver2"; then
		tail -n 20 "$logf" >&2
		rm -rf -- "$tmp"
		die "installing the kernels in the guest image failed (log: $logf)"
	fi
	rm -f "$root/usr/sbin/policy-rc.d"
	_image_guest_files "$root"
	cp "$root/boot/initrd.img-$kver" "$root/boot/initrd.img-$kver2" "$tmp/"
	truncate -s 6G "$tmp/disk.img"
	if ! mkfs.ext4 -q -F -L vpd-root -d "$root" "$tmp/disk.img" >>"$logf" 2>&1; then
		rm -rf -- "$tmp"
		die "mkfs.ext4 of the guest image failed (log: $logf)"
	fi
	rm -rf -- "$root"
	date -u +%FT%TZ >"$tmp/complete"
	mv -T -- "$tmp" "$dir"
	rm -f -- "$logf"
	vpd_unlock "image-$rel"
	log "guest image ready: $dir"
}

image_payload() {
	local src=$1 out=$2
	truncate -s 0 "$out"
	truncate -s 256M "$out"
	mkfs.ext4 -q -F -L vpd-payload -d "$src" "$out" ||
		die "mkfs.ext4 of the payload $src failed"
}
