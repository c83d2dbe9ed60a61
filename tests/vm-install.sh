#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The package installed the way an operator installs it, in a real Debian
# guest (tests/lib/image.sh: debootstrapped bookworm with systemd, DKMS,
# driverctl, the bookworm kernel with its headers and the bookworm-backports
# kernel without them), on the rig's standard machine (q35, intel-iommu,
# edu, ivshmem, NVMe).  One disk, two boots of the first kernel
# (tests/guest/install/run):
#
#   boot 1, bookworm's 6.1: apt install ./vfio-pci-dmabuf-dkms_*.deb builds
#     the module through DKMS; modprobe; driverctl set-override (persistent)
#     on the NVMe; binding ivshmem the way SPDK's setup.sh does with
#     DRIVER_OVERRIDE; a P2P dma-buf DMA with the DKMS-built module; the
#     drop-in turned on: vfio-pci added to the initramfs, apt install
#     ./vfio-pci-dmabuf-dropin-dkms_*.deb, modinfo -n vfio-pci and the
#     rebuilt initramfs name DKMS's module, ivshmem bound the way SPDK's
#     setup.sh binds with no DRIVER_OVERRIDE (it picks vfio-pci), a P2P
#     DMA through the drop-in; /etc/modprobe.d ids= (the variant's and
#     vfio-pci's own) and modules-load.d written for boot 2.
#   boot 2, the same kernel: ivshmem bound at boot through ids=, the
#     root-bus edu to the drop-in through "options vfio-pci ids=", the NVMe
#     through driverctl's saved override; unset-override; a P2P DMA again;
#     the drop-in turned off (apt remove): modinfo -n vfio-pci and the
#     initramfs are the distribution's again; apt purge of both leaves no
#     module and no DKMS tree.
# Each DKMS build under TCG takes minutes: the second (backports) kernel
# is neither booted (every guest suite boots it) nor built for here; the
# trixie flow below proves DKMS's header hook, and boots its result.
#
# With trixie's kernels (tests/vm-install.sh 6.12-trixie 7.3): a trixie
# image, its own 6.12 with headers, 7.3 from trixie-backports without:
#   boot 1, 6.12: apt install builds through DKMS, the module carries
#     DKMS's MOK signature (Secure Boot), modprobe, binding, a P2P DMA; 7.3's
#     headers installed: DKMS builds for 7.3.
#   boot 2, 7.3: the variant defers to the kernel's own exporter and a P2P
#     DMA goes through it; reloaded with own_dmabuf=1, through the project's;
#     the drop-in's package refused for 7.3 with its line (configured, no
#     module); apt purge leaves nothing.
# Results are named install/KERNEL-bootN/....
# Usage: tests/vm-install.sh [--image] [FIRST SECOND]
# (kernels of kernels.conf of one release; default 6.1 6.12).  --image only builds the
# guest image (make check does that in the background, early on).
set -euo pipefail
# The DKMS builds are most of this test's time, and make -j2 wants both
# vCPUs on their own host threads.  (vm.sh defaults to one thread because
# of early crashes seen with 7.3 guests only; these are 6.x.)  make check
# runs it niced, beside the other guests.
: "${VPD_TCG_THREAD:=multi}"
# shellcheck source-path=SCRIPTDIR source=lib/project.sh
source "$(dirname -- "$0")/lib/project.sh"
# shellcheck source=lib/vm.sh
source "$VPD_LIB_DIR/vm.sh"
# shellcheck source=lib/image.sh
source "$VPD_LIB_DIR/image.sh"
# shellcheck source=lib/report.sh
source "$VPD_LIB_DIR/report.sh"

need_root

image_only=
if [[ ${1:-} == --image ]]; then
	image_only=1
	shift
fi
first=${1:-6.1}
second=${2:-6.12}
if [[ -n $image_only ]]; then
	image_build "$first" "$second"
	exit 0
fi

host_apt_install dpkg-dev debhelper dh-dkms fakeroot qemu-utils e2fsprogs
run=$(mktemp -d "${TMPDIR:-/tmp}/vpd-vm-install.XXXXXX")
trap 'rm -rf "$run"' EXIT

# The .deb, built by the Makefile in a copy of the tree.
build_deb() {
	local tree=$run/tree
	vpd_tree_copy "$tree"
	make -C "$tree" deb >"$run/deb.log" 2>&1 || return 1
	cp "$tree"/dist/vfio-pci-dmabuf-dkms_*_all.deb \
		"$tree"/dist/vfio-pci-dmabuf-dropin-dkms_*_all.deb \
		"$tree"/dist/libvfio-dmabuf0_*.deb "$tree"/dist/libvfio-dmabuf-dev_*.deb \
		"$tree"/dist/vfio-dmabuf_*.deb "$run/payload/"
	rm -f "$run"/payload/*-dbgsym_*.deb
}

mkdir -p "$run/payload/bin"
if ! build_deb; then
	t_fail install/deb "make deb failed: $(tail -n 5 "$run/deb.log")"
	t_done
	exit 0
fi
# Which boots: bookworm's image boots its first kernel twice; trixie's
# boots its own 6.12, then 7.3 (vpd_flow=trixie, tests/guest/install/run).
flow=$(image_suite "$first" "$second")
boots=("$first" "$first")
[[ $flow == bookworm ]] || boots=("$first" "$second")
# The test importer for the booted kernels, the guest tools, the guest's
# scripts.
for k in $(printf '%s\n' "${boots[@]}" | sort -u); do
	kernel_fetch "$k"
	if ! vpd_build_importer "$k" "$run/$k-importer.log"; then
		t_fail "install/$k-importer" "importer build failed: $(tail -n 5 "$run/$k-importer.log")"
		t_done
		exit 0
	fi
	mkdir -p "$run/payload/kmod/$(kernel_kver "$k")"
	cp "$(vpd_importer_dir "$k")/$VPD_IMPORTER.ko" "$run/payload/kmod/$(kernel_kver "$k")/"
done
vpd_guest_tools "$run/tools"
cp "$run/tools/dmabuf-test" "$run/payload/bin/"
cp "$VPD_TESTS_DIR/guest/install/run" "$VPD_TESTS_DIR/guest/lib.sh" "$run/payload/"
image_payload "$run/payload" "$run/payload.img"

image_build "$first" "$second"
img=$(image_dir "$first" "$second")
qemu-img create -q -f qcow2 -F raw -b "$img/disk.img" "$run/root.qcow2"

# boot_install NAME PHASE: boot the image's kernel NAME from the overlay.
boot_install() {
	local name=$1 phase=$2 kver log tag
	kver=$(kernel_kver "$name")
	tag=$name-boot$phase
	log=$run/$tag-console.log
	# Two DKMS builds (variant and drop-in) and two initramfs rebuilds
	# under TCG in the first boot: about 11 minutes.
	# The overlay is thrown away after the run: no need to honour the
	# guest's flushes.
	# The one boot without DKMS builds (trixie's second, on 7.3) runs
	# single-threaded TCG: the default for 7.x guests (vm.sh).
	local thread=$VPD_TCG_THREAD
	[[ $flow$phase != trixie2 ]] || thread=single
	VPD_TCG_THREAD=$thread VPD_VM_TIMEOUT=${VPD_VM_TIMEOUT:-1800} \
		VPD_KERNEL_ARGS="${VPD_KERNEL_ARGS:-} root=/dev/vda rw systemd.show_status=0 vpd_phase=$phase vpd_flow=$flow" \
		vm_boot "$name" "$img/initrd.img-$kver" "$log" \
		-drive "file=$run/root.qcow2,if=none,id=root,format=qcow2,cache=unsafe" \
		-device virtio-blk-pci,drive=root,bus=pcie.0,addr=06.0 \
		-drive "file=$run/payload.img,if=none,id=payload,format=raw,readonly=on" \
		-device virtio-blk-pci,drive=payload,bus=pcie.0,addr=07.0 || true
	vm_results "$log" "install/$tag"
	vm_console_clean "$log" "install/$tag"
	vm_keep_log "$log" "install-$tag-console.log"
}

boot_install "${boots[0]}" 1
boot_install "${boots[1]}" 2

t_done
