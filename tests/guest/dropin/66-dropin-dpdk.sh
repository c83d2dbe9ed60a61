# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# dpdk: Debian's dpdk-testpmd (staged by tests/vm-dropin.sh) drives the
# e1000 through VFIO.  DPDK takes a device as a VFIO device only when its
# driver is named exactly vfio-pci, which is why the drop-in exists:
#   dpdk.dropin          bound to the drop-in, testpmd probes the e1000
#                        and starts its port
#   dpdk.variant-skipped bound to vfio-pci-dmabuf, the same run probes
#                        nothing ("No probed ethernet devices")
# Leaves the e1000 unbound.

T=dpdk
E1000=$(bdf_of 8086:100e)
OUT=/tmp/vmtest-dpdk

if [ -z "$E1000" ]; then
	skip "$T" "no e1000 device in this VM"
	exit 0
fi
if ! command -v dpdk-testpmd > /dev/null; then
	fail "$T" "dpdk-testpmd is not staged"
	exit 0
fi
# DPDK's runtime directory and its memory files (--no-huge: plain pages).
mkdir -p /var/run /tmp
grep -q ' /var/run ' /proc/mounts || mount -t tmpfs none /var/run
echo quit > "$OUT.cmds"

# testpmd DRIVER: one testpmd run with the e1000 bound to DRIVER; its
# output in $OUT.DRIVER, its status returned.
testpmd() {
	local rc=0

	if ! bind_to "$1" "$E1000"; then
		echo "cannot bind $E1000 to $1 (now: $(driver_of "$E1000"))" > "$OUT.$1"
		return 1
	fi
	LD_LIBRARY_PATH=/opt/dpdk/lib run_bounded 180 sh -c \
		'exec dpdk-testpmd -l 0-1 --no-huge -m 128 --iova-mode=va \
			-d /opt/dpdk/pmds -a "$1" -- -i --total-num-mbufs=2048 \
			< "$2" > "$3" 2>&1' testpmd "$E1000" "$OUT.cmds" "$OUT.$1" ||
		rc=$?
	if [ "$rc" = 124 ]; then
		# shellcheck disable=SC2154 # set by run_bounded
		kill -KILL "$bounded_pid" 2> /dev/null
		echo "testpmd still running after 180 s" >> "$OUT.$1"
	fi
	unbind "$E1000"
	return "$rc"
}

summary() {
	grep -E 'EAL: |Port 0|probed|skipped|rror' "$1" | tail -n 4 | tr '\n' '|'
}

modprobe vfio-pci
testpmd vfio-pci
if grep -q '^Port 0: ..:..:..:..:..:..' "$OUT.vfio-pci" &&
   ! grep -q 'No probed ethernet devices' "$OUT.vfio-pci"; then
	pass "$T.dropin"
else
	fail "$T.dropin" "testpmd on the drop-in: $(summary "$OUT.vfio-pci")"
fi

modprobe vfio-pci-dmabuf
testpmd vfio-pci-dmabuf
if grep -q 'No probed ethernet devices' "$OUT.vfio-pci-dmabuf"; then
	pass "$T.variant-skipped"
else
	fail "$T.variant-skipped" "testpmd on vfio-pci-dmabuf: $(summary "$OUT.vfio-pci-dmabuf")"
fi
rmmod vfio_pci_dmabuf 2> /dev/null
grep -h 'EAL: \|Port 0' "$OUT.vfio-pci" "$OUT.vfio-pci-dmabuf" | sed 's/^/# /'
