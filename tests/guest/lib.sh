# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# tests/guest/lib.sh - helpers for the guest test cases (busybox ash).
#
# Results (one line each on stdout, the only lines the host parses):
#   pass NAME                  VMTEST: PASS NAME
#   fail NAME MSG...           VMTEST: FAIL NAME - MSG
#   skip NAME REASON...        VMTEST: SKIP NAME - REASON
#
# Devices:
#   bdf_of VENDOR:DEVICE [N]   the Nth (from 1) such device, in sysfs order
#   bdfs_of VENDOR:DEVICE      all of them, one a line
#   driver_of BDF              name of the bound driver, empty if none
#   group_of BDF               IOMMU group number
#   bind_to DRIVER BDF         driver_override, unbind from the current
#                              driver, drivers_probe; true if DRIVER has it
#   unbind BDF                 unbind and clear driver_override
#   test_devices               "NAME.N=BDF" for every instance of every
#                              test device, "NAME=" for a missing kind
#   module_loaded MODULE       true if MODULE is in /proc/modules
#   cmdline_arg NAME           the value of NAME= on the kernel command line
#
# Waiting (polls; the deadline only bounds a failure):
#   wait_for [-t SECS] COND... true as soon as the shell code COND succeeds,
#                              false if it still fails after SECS (default
#                              $VMTEST_WAIT, 20)
#   run_bounded SECS CMD...    run CMD; its exit status if it ends within
#                              SECS, else 124 with CMD left running as
#                              $bounded_pid (for a call that may hang)
#
# Kernel log:
#   tag=$(dmesg_mark)          write a unique marker line into the log
#   dmesg_since TAG            the log lines after that marker
#
# Reports:
#   first_diff A B             the first differing lines of two files, on one
#                              line, for a FAIL message
#
# The driver and module under test; the variables exist so that each case
# can be seen to fail against a wrong name.
VPD_DRIVER=${VPD_DRIVER:-vfio-pci-dmabuf}
VPD_MODULE=${VPD_MODULE:-vfio_pci_dmabuf}
# The rig's test devices: NAME:VENDOR:DEVICE
VPD_TEST_DEVICES=${VPD_TEST_DEVICES:-"edu:1234:11e8 ivshmem:1af4:1110 nvme:1b36:0010 e1000:8086:100e"}
VMTEST_WAIT=${VMTEST_WAIT:-20}
SYSPCI=/sys/bus/pci

# $VMTEST_RESULTS, when set (by the runner), collects the result lines so
# the runner can tell a case that printed nothing.
_result() {
	echo "VMTEST: $*"
	if [ -n "${VMTEST_RESULTS:-}" ]; then
		echo "$*" >> "$VMTEST_RESULTS"
	fi
}

pass() {
	_result "PASS $1"
}

fail() {
	local n="$1"

	shift
	_result "FAIL $n - $*"
}

skip() {
	local n="$1"

	shift
	_result "SKIP $n - $*"
}

# Hundredths of a second since boot.
_now_cs() {
	local up rest

	read -r up rest < /proc/uptime
	echo "${up%.*}${up#*.}"
}

wait_for() {
	local t="$VMTEST_WAIT" end

	if [ "$1" = -t ]; then
		t=$2
		shift 2
	fi
	end=$(($(_now_cs) + t * 100))
	while ! eval "$*"; do
		[ "$(_now_cs)" -lt "$end" ] || return 1
		sleep 0.05
	done
	return 0
}

run_bounded() {
	local t="$1"

	shift
	"$@" &
	bounded_pid=$!
	wait_for -t "$t" "! kill -0 $bounded_pid 2>/dev/null" || return 124
	wait "$bounded_pid"
}

bdfs_of() {
	local v="0x${1%%:*}" d="0x${1#*:}" p

	for p in "$SYSPCI"/devices/*; do
		[ "$(cat "$p/vendor")" = "$v" ] &&
			[ "$(cat "$p/device")" = "$d" ] &&
			echo "${p##*/}"
	done
	return 0
}

bdf_of() {
	bdfs_of "$1" | sed -n "${2:-1}p"
}

driver_of() {
	local l

	l=$(readlink "$SYSPCI/devices/$1/driver" 2>/dev/null) || return 0
	echo "${l##*/}"
}

group_of() {
	local l

	l=$(readlink "$SYSPCI/devices/$1/iommu_group") || return 1
	echo "${l##*/}"
}

bind_to() {
	local dev="$SYSPCI/devices/$2" cur

	[ -d "$dev" ] || return 1
	echo "$1" > "$dev/driver_override" || return 1
	cur=$(driver_of "$2")
	[ "$cur" = "$1" ] && return 0
	if [ -n "$cur" ]; then
		echo "$2" > "$dev/driver/unbind" || return 1
	fi
	# A refused probe is not an error of the write; the check below is.
	echo "$2" > "$SYSPCI/drivers_probe" 2>/dev/null
	[ "$(driver_of "$2")" = "$1" ]
}

unbind() {
	local dev="$SYSPCI/devices/$1"

	[ -d "$dev" ] || return 1
	if [ -e "$dev/driver" ]; then
		echo "$1" > "$dev/driver/unbind" || return 1
	fi
	# A lone newline clears driver_override.
	echo > "$dev/driver_override" || return 1
	[ -z "$(driver_of "$1")" ]
}

test_devices() {
	local e name n bdf

	for e in $VPD_TEST_DEVICES; do
		name=${e%%:*}
		n=0
		for bdf in $(bdfs_of "${e#*:}"); do
			n=$((n + 1))
			echo "$name.$n=$bdf"
		done
		[ "$n" -gt 0 ] || echo "$name="
	done
}

# cmdline_arg NAME: the value of NAME= on the kernel command line, if any.
cmdline_arg() {
	sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" /proc/cmdline
}

module_loaded() {
	grep -q "^$1 " /proc/modules
}

dmesg_mark() {
	local tag

	tag=vmtest-mark-$(cat /proc/sys/kernel/random/uuid)
	echo "<6>$tag" > /dev/kmsg
	echo "$tag"
}

dmesg_since() {
	dmesg | sed -n "/$1/,\$p" | sed 1d
}

first_diff() {
	diff -U0 "$1" "$2" | sed -e '/^---/d' -e '/^+++/d' | head -n 7 |
		tr '\n' '|' | sed 's/|$//; s/|/ | /g'
}
