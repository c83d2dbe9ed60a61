# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# bind-override: every test device binds through driver_override +
# drivers_probe, its VFIO group node appears, and goes again on unbind
# (when the device is alone in its group); then one device goes through
# three unbind/rebind cycles, opened through VFIO each time.

T=bind-override

if ! out=$(modprobe "$VPD_MODULE" 2>&1); then
	fail "$T" "modprobe $VPD_MODULE: $out"
	exit 1
fi

# bind_check BDF: bind and check the group node; the reason on failure.
bind_check() {
	local g

	if ! bind_to "$VPD_DRIVER" "$1"; then
		echo "not bound after drivers_probe (driver: '$(driver_of "$1")')"
		return 1
	fi
	if ! g=$(group_of "$1"); then
		echo "no iommu_group"
		return 1
	fi
	if ! wait_for -t 10 "[ -c /dev/vfio/$g ]"; then
		echo "/dev/vfio/$g did not appear"
		return 1
	fi
}

# unbind_check BDF: unbind; the group node must go if the device was alone.
unbind_check() {
	local g

	g=$(group_of "$1")
	if ! unbind "$1"; then
		echo "still bound to '$(driver_of "$1")' after unbind"
		return 1
	fi
	[ "$(ls "/sys/kernel/iommu_groups/$g/devices" | wc -l)" -eq 1 ] ||
		return 0
	if ! wait_for -t 10 "[ ! -e /dev/vfio/$g ]"; then
		echo "/dev/vfio/$g still there after unbind"
		return 1
	fi
}

first=
for d in $(test_devices); do
	name=${d%%=*}
	bdf=${d#*=}
	if [ -z "$bdf" ]; then
		skip "$T.$name" "no $name device in this VM"
		continue
	fi
	[ -n "$first" ] || first=$bdf
	if msg=$(bind_check "$bdf") && msg=$(unbind_check "$bdf"); then
		pass "$T.$name"
	else
		fail "$T.$name" "$bdf: $msg"
		unbind "$bdf"
	fi
done

if [ -z "$first" ]; then
	skip "$T.cycles" "no test device in this VM"
	exit 0
fi
msg=
for i in 1 2 3; do
	if ! msg=$(bind_check "$first"); then
		msg="cycle $i: $msg"
		break
	fi
	if ! out=$(vfio-check hold "$first" < /dev/null 2>&1) ||
	   [ "$out" != HELD ]; then
		msg="cycle $i: vfio-check hold: $(echo "$out" | tr '\n' ' ')"
		break
	fi
	if ! msg=$(unbind_check "$first"); then
		msg="cycle $i: $msg"
		break
	fi
	msg=
done
if [ -z "$msg" ]; then
	pass "$T.cycles"
else
	fail "$T.cycles" "$first: $msg"
	unbind "$first"
fi
