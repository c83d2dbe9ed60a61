# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# refuse: a PCIe root port (a type-1 header, which vfio_pci_core refuses)
# overridden to the driver is not bound, the driver logs the refusal with
# the port's BDF, and the port goes back to pcieport once the override is
# cleared.

T=refuse
X=[0-9a-f]
BDF_GLOB=$X$X$X$X:$X$X:$X$X.[0-7]

if ! out=$(modprobe "$VPD_MODULE" 2>&1); then
	fail "$T" "modprobe $VPD_MODULE: $out"
	exit 1
fi

# A root port bound to pcieport; one with nothing behind it if there is one.
port=
for p in "$SYSPCI"/devices/*; do
	class=$(cat "$p/class")
	[ "${class%??}" = 0x0604 ] || continue
	[ "$(driver_of "${p##*/}")" = pcieport ] || continue
	[ "$(cat "$p/../class" 2>/dev/null)" = "" ] || continue	# on the root bus
	port=${p##*/}
	# Devices behind it (not its port services, "BDF:pcie00N").
	ls -d "$p"/$BDF_GLOB > /dev/null 2>&1 || break
done
if [ -z "$port" ]; then
	skip "$T" "no PCIe root port bound to pcieport in this VM"
	exit 0
fi

tag=$(dmesg_mark)
bind_to "$VPD_DRIVER" "$port"
drv=$(driver_of "$port")
if [ "$drv" != "$VPD_DRIVER" ]; then
	pass "$T.not-bound"
else
	fail "$T.not-bound" "$port (a root port) was bound to $VPD_DRIVER"
fi

line=$(dmesg_since "$tag" | grep -F "$port" | grep -i 'refus' | head -n 1)
if [ -n "$line" ]; then
	pass "$T.logged"
else
	fail "$T.logged" "no kernel log line with $port and 'refus'" \
	     "(log: $(dmesg_since "$tag" | tail -n 3 | tr '\n' '|'))"
fi

if [ "$drv" = "$VPD_DRIVER" ]; then
	echo "$port" > "$SYSPCI/devices/$port/driver/unbind"
fi
echo > "$SYSPCI/devices/$port/driver_override"
[ -n "$(driver_of "$port")" ] ||
	echo "$port" > "$SYSPCI/drivers_probe" 2>/dev/null
drv=$(driver_of "$port")
if [ "$drv" = pcieport ]; then
	pass "$T.port-restored"
else
	fail "$T.port-restored" "$port is bound to '$drv', not pcieport"
fi
