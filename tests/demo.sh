#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot stock Debian 6.1 in QEMU (q35, intel-iommu), bind the
# NVMe controller to vfio-pci-dmabuf, export a slice of its CMB as a
# dma-buf, have another device DMA into it peer-to-peer through the IOMMU,
# and show a reset revoking the mapping and the importer mapping again.
set -euo pipefail
source "$(dirname -- "$0")/lib/project.sh"
source "$VPD_LIB_DIR/vm.sh"

need_root
k=${VPD_DEMO_KERNEL:-6.1}
run=$(mktemp -d "${TMPDIR:-/tmp}/vpd-demo.XXXXXX")
trap 'rm -rf "$run"' EXIT

log "preparing Debian $k ($(kernel_kver "$k")): kernel, headers, module build"
kernel_fetch "$k"
vpd_build "$k" "$run/build.log" || die "module build failed: $(tail -n 5 "$run/build.log")"
vpd_build_importer "$k" "$run/importer.log" ||
	die "importer build failed: $(tail -n 5 "$run/importer.log")"
vpd_guest_stage "$k" "$run/stage"
cp "$VPD_TESTS_DIR/guest/demo" "$run/stage/tests/run"
vm_initramfs "$k" "$run/initrd" "$run/stage"

log "booting QEMU (TCG) with an NVMe controller that has a CMB"
rc=0
vm_boot "$k" "$run/initrd" "$run/console.log" || rc=$?
sed -n 's/\r$//; s/^DEMO: //p' "$run/console.log"
if ((rc)) || ! grep -q '^VMTEST-DONE' "$run/console.log" ||
	grep -q '^DEMO: FAILED' "$run/console.log"; then
	mkdir -p "$VPD_CACHE/logs"
	cp "$run/console.log" "$VPD_CACHE/logs/demo-console.log"
	die "the demo did not complete; console: $VPD_CACHE/logs/demo-console.log"
fi
