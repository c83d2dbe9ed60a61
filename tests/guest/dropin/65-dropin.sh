# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# dropin: the drop-in build replaces the kernel's vfio-pci (tests/vm-dropin.sh
# stages it in updates/, and the kernel's vfio-pci.ko beside it):
#   dropin.resolves      modprobe vfio-pci loads the drop-in (the loaded
#                        vfio_pci's srcversion is the updates/ file's)
#   dropin.params        every parameter of the kernel's vfio-pci exists in
#                        the drop-in under the same name
#   dropin.idle-d3       vfio-pci's global parameters reach vfio_pci_core:
#                        a bound, unused device is runtime-suspended (D3),
#                        and with disable_idle_d3=1 it is not
#   dropin.coexist       the variant and the drop-in loaded together, each
#                        driving its own device, each serving the dma-buf
#                        feature
#   dropin.igd-notice    probing a function that looks like an Intel IGD
#                        (tests/kmod/vpd-fake-igd) logs the one line saying
#                        that vfio-pci's IGD regions are not provided, and
#                        binding it undisguised logs none (the disguised
#                        bind itself fails later, in vfio_pci_core: the VGA
#                        arbiter never saw the function as VGA, so
#                        vga_client_register() refuses it)
# Leaves the drop-in loaded, no device bound.

T=dropin
KO_DIR=/lib/modules/$(uname -r)
IVSHMEM=$(bdf_of 1af4:1110)
NVME=$(bdf_of 1b36:0010)
EDU_ROOT=0000:00:05.0
IGD_LINE="Intel IGD: the OpRegion and bridge regions"

reload() {
	local out

	if module_loaded vfio_pci && ! out=$(rmmod vfio_pci 2>&1); then
		fail "$T" "rmmod vfio_pci: $out"
		exit 1
	fi
	# shellcheck disable=SC2068 # parameters are words
	if ! out=$(modprobe vfio-pci $@ 2>&1); then
		fail "$T" "modprobe vfio-pci $*: $out"
		exit 1
	fi
}

reload
path=$(modinfo -n vfio_pci 2>&1)
want=$(modinfo -F srcversion vfio_pci 2>&1)
got=$(cat /sys/module/vfio_pci/srcversion 2>&1)
case $path in
*updates/vfio-pci.ko)
	if [ "$got" = "$want" ]; then
		pass "$T.resolves"
	else
		fail "$T.resolves" "loaded vfio_pci has srcversion $got, $path has $want"
	fi ;;
*) fail "$T.resolves" "modprobe's vfio-pci is $path, not the drop-in in updates/" ;;
esac

stock=$(find "$KO_DIR/kernel" -name 'vfio-pci.ko*' | head -n 1)
missing=
for p in $(modinfo -F parm "$stock" | cut -d: -f1); do
	modinfo -F parm vfio_pci | grep -q "^$p:" || missing="$missing $p"
done
if [ -z "$stock" ]; then
	fail "$T.params" "no kernel vfio-pci.ko to compare with"
elif [ -n "$missing" ]; then
	fail "$T.params" "parameters of the kernel's vfio-pci missing:$missing"
else
	pass "$T.params"
fi

# idle_state BDF: the runtime PM status of BDF (suspended: in D3).
idle_state() {
	cat "$SYSPCI/devices/$1/power/runtime_status" 2>/dev/null
}

if [ -z "$IVSHMEM" ]; then
	skip "$T.idle-d3" "no ivshmem device in this VM"
elif ! bind_to vfio-pci "$IVSHMEM"; then
	fail "$T.idle-d3" "cannot bind $IVSHMEM to the drop-in"
elif ! wait_for -t 10 "[ \"\$(idle_state $IVSHMEM)\" = suspended ]"; then
	fail "$T.idle-d3" "unused $IVSHMEM is '$(idle_state "$IVSHMEM")', not suspended, with the default parameters"
	unbind "$IVSHMEM"
else
	unbind "$IVSHMEM"
	reload disable_idle_d3=1
	t0=$(cut -d' ' -f1 /proc/uptime)
	bind_to vfio-pci "$IVSHMEM"
	# The default case above suspends within milliseconds of the bind
	# (vfio_pci_core drops its runtime PM reference at once): ten
	# seconds without a suspend is not a race.
	if wait_for -t 10 "[ \"\$(idle_state $IVSHMEM)\" = suspended ]"; then
		fail "$T.idle-d3" "disable_idle_d3=1 did not reach vfio_pci_core: $IVSHMEM suspended after bind at ${t0}s"
	else
		pass "$T.idle-d3"
	fi
	unbind "$IVSHMEM"
	reload
fi

if [ -z "$IVSHMEM" ] || [ -z "$NVME" ]; then
	skip "$T.coexist" "needs ivshmem and nvme in this VM"
elif ! out=$(modprobe vfio-pci-dmabuf 2>&1); then
	fail "$T.coexist" "modprobe vfio-pci-dmabuf: $out"
elif ! bind_to vfio-pci "$IVSHMEM" || ! bind_to vfio-pci-dmabuf "$NVME"; then
	fail "$T.coexist" "ivshmem on '$(driver_of "$IVSHMEM")', nvme on '$(driver_of "$NVME")'"
else
	a=$(vfio-check report "$IVSHMEM" 2>&1 | grep '^feature\.11 probe: ')
	b=$(vfio-check report "$NVME" 2>&1 | grep '^feature\.11 probe: ')
	case "$a|$b" in
	"feature.11 probe: ok"*"|feature.11 probe: ok"*)
		if [ "$(driver_of "$IVSHMEM")" = vfio-pci ] &&
		   [ "$(driver_of "$NVME")" = vfio-pci-dmabuf ]; then
			pass "$T.coexist"
		else
			fail "$T.coexist" "a device changed driver during the reports"
		fi ;;
	*) fail "$T.coexist" "dma-buf feature: drop-in: '$a', variant: '$b'" ;;
	esac
fi
unbind "$IVSHMEM"
unbind "$NVME"
rmmod vfio_pci_dmabuf 2>/dev/null

# igd_lines: how many IGD notices binding $EDU_ROOT to the drop-in logs.
igd_lines() {
	local tag

	tag=$(dmesg_mark)
	bind_to vfio-pci "$EDU_ROOT"
	dmesg_since "$tag" | grep -c "$IGD_LINE"
	unbind "$EDU_ROOT"
}

if [ ! -d "$SYSPCI/devices/$EDU_ROOT" ]; then
	skip "$T.igd-notice" "no edu at $EDU_ROOT in this VM"
elif ! out=$(modprobe vpd-fake-igd bdf="$EDU_ROOT" 2>&1); then
	fail "$T.igd-notice" "modprobe vpd-fake-igd: $out"
else
	disguised=$(igd_lines)
	rmmod vpd_fake_igd
	plain=$(igd_lines)
	if [ "$disguised" = 1 ] && [ "$plain" = 0 ]; then
		pass "$T.igd-notice"
	else
		fail "$T.igd-notice" "IGD notices: $disguised as an Intel IGD (want 1), $plain as itself (want 0)"
	fi
fi
