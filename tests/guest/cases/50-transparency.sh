# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# transparency: for every test device, `vfio-check report` (and, where the
# kernel has VFIO cdev + iommufd, `vfio-check report-cdev`: a FAIL, not a
# SKIP, where the host says that the .config has both, vpd_cdev=1) with the device
# bound to stock vfio-pci and then to the driver under test: the reports
# must be byte-identical. On a difference the stock report is taken again,
# to tell a report that is not deterministic from a driver that differs.
# The driver under test may be the drop-in, module vfio_pci like the stock
# one: then the kernel's vfio-pci.ko is loaded by its path for the stock
# reports and replaced by the drop-in (modprobe's vfio-pci) for the others.
# VMTEST_VERBOSE=1 prints every report.

T=transparency
STOCK=vfio-pci
OUT=/tmp/vmtest-transparency
mkdir -p "$OUT"

# The kernel's own vfio-pci module file, for the drop-in case.
STOCK_KO=
if [ "$VPD_MODULE" = vfio_pci ]; then
	STOCK_KO=$(find "/lib/modules/$(uname -r)/kernel" -name 'vfio-pci.ko*' | head -n 1)
	if [ -z "$STOCK_KO" ]; then
		fail "$T" "no kernel vfio-pci.ko to compare the drop-in with"
		exit 1
	fi
fi

# use stock|tested: make the stock driver's or the tested driver's module
# the loaded one (both stay loaded when their module names differ).
use() {
	local out

	if [ -z "$STOCK_KO" ]; then
		out=$(modprobe "$STOCK" 2>&1 && modprobe "$VPD_MODULE" 2>&1) && return 0
	else
		if module_loaded vfio_pci && ! out=$(rmmod vfio_pci 2>&1); then
			fail "$T" "rmmod vfio_pci: $out"
			exit 1
		fi
		if [ "$1" = stock ]; then
			out=$(modprobe vfio-pci-core 2>&1 && insmod "$STOCK_KO" 2>&1) && return 0
		else
			out=$(modprobe vfio-pci 2>&1) && return 0
		fi
	fi
	fail "$T" "loading the $1 module: $out"
	exit 1
}

use stock
# Only for report-cdev; a kernel without iommufd has nothing to load.
modprobe iommufd 2> /dev/null

cdev_skip=

# reports DRIVER BDF PREFIX: PREFIX.legacy and PREFIX.cdev (and .rc files)
# from one binding to DRIVER. A failed bind leaves no report.
reports() {
	local mode

	rm -f "$3".*
	if ! bind_to "$1" "$2"; then
		unbind "$2"
		return 1
	fi
	for mode in report report-cdev; do
		[ "$mode" = report-cdev ] && [ -n "$cdev_skip" ] && continue
		vfio-check "$mode" "$2" > "$3.$mode" 2>&1
		echo $? > "$3.$mode.rc"
	done
	unbind "$2"
}

show() {
	[ "${VMTEST_VERBOSE:-0}" = 1 ] || return 0
	sed "s|^|$1: |" "$2"
}

# The one thing the driver adds to vfio-pci is VFIO_DEVICE_FEATURE_DMA_BUF
# (feature 11): reports are compared without it, and it is checked apart.
ADDED='^feature\.11 '

# compare NAME MODE RESULT: pass RESULT, or note it in $OUT/differ for
# a second stock report (false).
compare() {
	local a=$OUT/$1.stock.$2 b=$OUT/$1.vpd.$2

	show "$1 $STOCK $2" "$a"
	show "$1 $VPD_DRIVER $2" "$b"
	if [ "$(cat "$a.rc")" != 0 ]; then
		fail "$3" "vfio-check $2 with $STOCK exited $(cat "$a.rc"):" \
		     "$(tail -n 2 "$a" | tr '\n' ' ')"
		return 0
	fi
	grep -v "$ADDED" "$a" > "$a.cmp"
	grep -v "$ADDED" "$b" > "$b.cmp"
	if cmp -s "$a.cmp" "$b.cmp"; then
		pass "$3"
		return 0
	fi
	diff -U0 "$a.cmp" "$b.cmp" | head -n 40 | sed 's/^/# /'
	echo "$1 $2 $3" >> "$OUT/differ"
	return 1
}

# verdict NAME BDF MODE RESULT: after the second stock report.
verdict() {
	local a=$OUT/$1.stock.$3 a2=$OUT/$1.stock2.$3

	if [ -e "$a2" ] && ! cmp -s "$a" "$a2"; then
		fail "$4" "not deterministic: two reports with $STOCK differ:" \
		     "$(first_diff "$a" "$a2")"
	else
		fail "$4" "$STOCK vs $VPD_DRIVER: $(first_diff "$a.cmp" "$OUT/$1.vpd.$3.cmp")"
	fi
}

# Stock reports first, for every device; then the driver under test.
rm -f "$OUT/differ" "$OUT/devices"
for d in $(test_devices); do
	name=${d%%=*}
	bdf=${d#*=}
	if [ -z "$bdf" ]; then
		skip "$T.$name" "no $name device in this VM"
	elif ! reports "$STOCK" "$bdf" "$OUT/$name.stock"; then
		fail "$T.$name" "$bdf: cannot bind to $STOCK"
	else
		echo "$name $bdf" >> "$OUT/devices"
	fi
	if [ -z "$cdev_skip" ] && [ -e "$OUT/$name.stock.report-cdev.rc" ] &&
	   [ "$(cat "$OUT/$name.stock.report-cdev.rc")" = 77 ]; then
		cdev_skip=$(grep -m 1 unavailable "$OUT/$name.stock.report-cdev")
	fi
done
[ -s "$OUT/devices" ] || exit 0

use tested
while read -r name bdf; do
	if ! reports "$VPD_DRIVER" "$bdf" "$OUT/$name.vpd"; then
		fail "$T.$name" "$bdf: cannot bind to $VPD_DRIVER"
		continue
	fi
	compare "$name" report "$T.$name"
	if grep -q '^feature\.11 probe: ok ' "$OUT/$name.vpd.report"; then
		pass "$T.$name.dma-buf-feature"
	else
		fail "$T.$name.dma-buf-feature" "$VPD_DRIVER does not offer" \
		     "VFIO_DEVICE_FEATURE_DMA_BUF: $(grep "$ADDED" "$OUT/$name.vpd.report")"
	fi
	[ -z "$cdev_skip" ] && compare "$name" report-cdev "$T.cdev.$name"
done < "$OUT/devices"
if [ -n "$cdev_skip" ] && grep -qw vpd_cdev=1 /proc/cmdline; then
	fail "$T.cdev" "the kernel's .config has VFIO's device cdev and iommufd, yet: $cdev_skip"
elif [ -n "$cdev_skip" ]; then
	skip "$T.cdev" "$cdev_skip"
fi

# A difference: a second stock report tells a driver that differs from a
# report that is not deterministic.  The driver under test stays loaded.
[ -s "$OUT/differ" ] || exit 0
use stock
while read -r name mode result; do
	bdf=$(sed -n "s/^$name //p" "$OUT/devices")
	reports "$STOCK" "$bdf" "$OUT/$name.stock2"
	verdict "$name" "$bdf" "$mode" "$result"
done < "$OUT/differ"
use tested
