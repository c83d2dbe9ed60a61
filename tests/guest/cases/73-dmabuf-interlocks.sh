# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# dmabuf-interlocks: every event that makes the BAR inaccessible revokes the
# importer's mapping (its revoke callback runs, and finds the exporter's
# hardware still decoding and in D0, and it unmaps); while the BAR
# stays off, mapping fails with ENODEV; once it is back, a new mapping works
# and DMA lands.  Close of the device fd revokes for good (the dma-buf fd
# stays valid and closes cleanly), and the device can be unbound while the
# dma-buf lives.  ivshmem sits behind a root port (bus reset); NVMe has FLR;
# an AF FLR request (through config space) goes to ivshmem with an emulated
# AF capability (tests/kmod/vpd-fake-af.c).
# shellcheck source=dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

T=dmabuf.interlock
dmabuf_setup $T

# interlock KIND BDF
interlock() {
	if dmabuf_bind "$T.$1" "$2"; then
		dmabuf_run interlock "$1" "$T.$1" "$2" 2
	fi
}

interlock decode "$DMABUF_IVSHMEM"
interlock d3hot "$DMABUF_NVME"
# A write of COMMAND (ivshmem) or PMCSR (the NVMe: ivshmem has no PM
# capability) whose buffer changes between two copies of it: the driver
# must not decide on one copy while vfio writes another.  "split": the
# change lands between the copies every time (userfaultfd); "race": a
# thread flips the byte, no privilege needed; "plain": the control.
cfg_write() {
	if dmabuf_bind "dmabuf.$1-write.$2" "$3"; then
		dmabuf_run cfg-write "$1" "$2" "dmabuf.$1-write.$2" "$3" 2
	fi
}
for m in split plain race; do
	cfg_write $m command "$DMABUF_IVSHMEM"
done
for m in split plain; do
	cfg_write $m pmcsr "$DMABUF_NVME"
done
# Without a dma-buf, such writes do not block: an export racing with them
# must be born revoked.
if dmabuf_bind dmabuf.export-race "$DMABUF_IVSHMEM"; then
	dmabuf_run export-race dmabuf.export-race "$DMABUF_IVSHMEM" 2
fi
interlock reset "$DMABUF_IVSHMEM"
interlock flr "$DMABUF_NVME"
# No QEMU device has an AF capability: vpd-fake-af emulates one on ivshmem
# (loaded before the bind, where the exporter looks for it).
if [ -n "$DMABUF_IVSHMEM" ]; then
	unbind "$DMABUF_IVSHMEM"
	if out=$(modprobe vpd-fake-af bdf="$DMABUF_IVSHMEM" 2>&1); then
		interlock af-flr "$DMABUF_IVSHMEM"
		unbind "$DMABUF_IVSHMEM"
		rmmod vpd-fake-af || fail $T.af-flr "rmmod vpd-fake-af failed"
	else
		fail $T.af-flr "modprobe vpd-fake-af bdf=$DMABUF_IVSHMEM: $out"
	fi
fi
interlock hot-reset "$DMABUF_IVSHMEM"
interlock sysfs-reset "$DMABUF_IVSHMEM"
interlock low-power "$DMABUF_IVSHMEM"
interlock low-power-wake "$DMABUF_IVSHMEM"
# An importer that unmaps late: the revocation waits and names it.
if dmabuf_bind dmabuf.late-unmap "$DMABUF_IVSHMEM"; then
	dmabuf_run late-unmap dmabuf.late-unmap "$DMABUF_IVSHMEM" 2
fi
# An importer whose fence signals late: the revocation waits and names it.
if dmabuf_bind dmabuf.late-fence "$DMABUF_IVSHMEM"; then
	dmabuf_run late-fence dmabuf.late-fence "$DMABUF_IVSHMEM" 2
fi
# Unbound while open: revoked before vfio waits for the fds to close.
if dmabuf_bind "$T.unbind-open" "$DMABUF_IVSHMEM"; then
	dmabuf_run unbind-open "$T.unbind-open" "$DMABUF_IVSHMEM" 2
fi
interlock close "$DMABUF_IVSHMEM"
interlock unbind "$DMABUF_IVSHMEM"
if [ -n "$DMABUF_IVSHMEM" ] && [ -n "$(driver_of "$DMABUF_IVSHMEM")" ]; then
	fail $T.unbind "$DMABUF_IVSHMEM still bound to $(driver_of "$DMABUF_IVSHMEM") after the unbind"
fi
# Rebinding proves the exporter's remove completed.
if [ -n "$DMABUF_IVSHMEM" ] && ! bind_to "$DMABUF_EXPORTER" "$DMABUF_IVSHMEM"; then
	fail $T.rebind "$DMABUF_IVSHMEM cannot be bound to $DMABUF_EXPORTER again"
fi
unbind "$DMABUF_IVSHMEM"
unbind "$DMABUF_NVME"
