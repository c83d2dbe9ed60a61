# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# bind-ids: loaded with ids= (vfio-pci's syntax) holding a malformed entry,
# the module still loads, binds every edu and ivshmem, logs the bad entry,
# leaves nvme and e1000 alone; rmmod unbinds what it had bound.
# Leaves the module loaded without ids=.

T=bind-ids
IDS=1234:11e8,zzzz:bad,1af4:1110
BAD=zzzz:bad

if module_loaded "$VPD_MODULE" && ! rmmod "$VPD_MODULE"; then
	fail "$T" "cannot remove $VPD_MODULE before the test"
	exit 1
fi

want=$(bdfs_of 1234:11e8; bdfs_of 1af4:1110)
others=$(bdfs_of 1b36:0010; bdfs_of 8086:100e)

tag=$(dmesg_mark)
if ! out=$(modprobe "$VPD_MODULE" "ids=$IDS" 2>&1); then
	fail "$T.modprobe" "modprobe $VPD_MODULE ids=$IDS: $out"
	exit 1
fi
pass "$T.modprobe"

if [ -z "$want" ]; then
	skip "$T.bound" "no edu or ivshmem device in this VM"
else
	missing=
	for bdf in $want; do
		wait_for -t 10 "[ \"\$(driver_of $bdf)\" = $VPD_DRIVER ]" ||
			missing="$missing $bdf('$(driver_of "$bdf")')"
	done
	if [ -z "$missing" ]; then
		pass "$T.bound"
	else
		fail "$T.bound" "not bound to $VPD_DRIVER:$missing"
	fi
fi

line=$(dmesg_since "$tag" | grep -F "$VPD_MODULE:" | grep -F 'ids=' |
	grep -E "[\"']${BAD}[\"']" | head -n 1)
if [ -n "$line" ]; then
	pass "$T.malformed-logged"
else
	fail "$T.malformed-logged" \
	     "no kernel log line with '$VPD_MODULE:', 'ids=' and \"$BAD\"" \
	     "(log after modprobe: $(dmesg_since "$tag" | tail -n 3 |
		tr '\n' '|'))"
fi

if [ -z "$others" ]; then
	skip "$T.others-untouched" "no nvme or e1000 device in this VM"
else
	taken=
	for bdf in $others; do
		[ "$(driver_of "$bdf")" != "$VPD_DRIVER" ] ||
			taken="$taken $bdf"
	done
	if [ -z "$taken" ]; then
		pass "$T.others-untouched"
	else
		fail "$T.others-untouched" "bound although not in ids=:$taken"
	fi
fi

if ! run_bounded 30 rmmod "$VPD_MODULE"; then
	fail "$T.rmmod" "rmmod $VPD_MODULE failed or hung"
	exit 1
fi
pass "$T.rmmod"

left=
for bdf in $want; do
	[ -z "$(driver_of "$bdf")" ] || left="$left $bdf('$(driver_of "$bdf")')"
done
if [ -z "$left" ] && [ ! -e "$SYSPCI/drivers/$VPD_DRIVER" ]; then
	pass "$T.unbound-on-rmmod"
else
	fail "$T.unbound-on-rmmod" "still bound after rmmod:$left"
fi

for bdf in $want $others; do
	unbind "$bdf"
done
modprobe "$VPD_MODULE"
