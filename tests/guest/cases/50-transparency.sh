# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# transparency: for every test device, `vfio-check report` (and, where the
# kernel has VFIO cdev + iommufd, `vfio-check report-cdev`) with the device
# bound to stock vfio-pci and then to the driver under test: the reports
# must be byte-identical. On a difference the stock report is taken again,
# to tell a report that is not deterministic from a driver that differs.
# VMTEST_VERBOSE=1 prints every report.

T=transparency
STOCK=vfio-pci
OUT=/tmp/vmtest-transparency
mkdir -p "$OUT"

for m in "$STOCK" "$VPD_MODULE"; do
	if ! out=$(modprobe "$m" 2>&1); then
		fail "$T" "modprobe $m: $out"
		exit 1
	fi
done
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

# compare NAME BDF MODE RESULT
compare() {
	local a=$OUT/$1.stock.$3 b=$OUT/$1.vpd.$3 a2=$OUT/$1.stock2.$3

	show "$1 $STOCK $3" "$a"
	show "$1 $VPD_DRIVER $3" "$b"
	if [ "$(cat "$a.rc")" != 0 ]; then
		fail "$4" "vfio-check $3 $2 with $STOCK exited $(cat "$a.rc"):" \
		     "$(tail -n 2 "$a" | tr '\n' ' ')"
		return
	fi
	grep -v "$ADDED" "$a" > "$a.cmp"
	grep -v "$ADDED" "$b" > "$b.cmp"
	a=$a.cmp
	b=$b.cmp
	if cmp -s "$a" "$b"; then
		pass "$4"
		return
	fi
	diff -U0 "$a" "$b" | head -n 40 | sed 's/^/# /'
	reports "$STOCK" "$2" "$OUT/$1.stock2"
	if [ -e "$a2" ] && ! cmp -s "$OUT/$1.stock.$3" "$a2"; then
		fail "$4" "not deterministic: two reports with $STOCK differ:" \
		     "$(first_diff "$OUT/$1.stock.$3" "$a2")"
	else
		fail "$4" "$STOCK vs $VPD_DRIVER: $(first_diff "$a" "$b")"
	fi
}

for d in $(test_devices); do
	name=${d%%=*}
	bdf=${d#*=}
	if [ -z "$bdf" ]; then
		skip "$T.$name" "no $name device in this VM"
		continue
	fi
	if ! reports "$STOCK" "$bdf" "$OUT/$name.stock"; then
		fail "$T.$name" "$bdf: cannot bind to $STOCK"
		continue
	fi
	if ! reports "$VPD_DRIVER" "$bdf" "$OUT/$name.vpd"; then
		fail "$T.$name" "$bdf: cannot bind to $VPD_DRIVER"
		continue
	fi
	compare "$name" "$bdf" report "$T.$name"
	if grep -q '^feature\.11 probe: ok ' "$OUT/$name.vpd.report"; then
		pass "$T.$name.dma-buf-feature"
	else
		fail "$T.$name.dma-buf-feature" "$VPD_DRIVER does not offer" \
		     "VFIO_DEVICE_FEATURE_DMA_BUF: $(grep "$ADDED" "$OUT/$name.vpd.report")"
	fi

	[ -z "$cdev_skip" ] || continue
	if [ "$(cat "$OUT/$name.stock.report-cdev.rc")" = 77 ]; then
		cdev_skip=$(grep -m 1 unavailable \
			"$OUT/$name.stock.report-cdev")
		continue
	fi
	compare "$name" "$bdf" report-cdev "$T.cdev.$name"
done
if [ -n "$cdev_skip" ]; then
	skip "$T.cdev" "$cdev_skip"
fi
