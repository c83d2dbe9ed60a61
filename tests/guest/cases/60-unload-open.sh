# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# unload-open: while a VFIO device fd is open (vfio-check hold), rmmod of
# the module is refused (as for vfio-pci) and the module stays; once the
# fd is closed, rmmod works. Leaves the module loaded.

T=unload-open
FIFO=/tmp/vmtest-hold.fifo
HOLD_OUT=/tmp/vmtest-hold.out

if ! out=$(modprobe "$VPD_MODULE" 2>&1); then
	fail "$T" "modprobe $VPD_MODULE: $out"
	exit 1
fi
bdf=$(bdf_of 1234:11e8)
if [ -z "$bdf" ]; then
	skip "$T" "no edu device in this VM"
	exit 0
fi
if ! bind_to "$VPD_DRIVER" "$bdf"; then
	fail "$T" "cannot bind $bdf to $VPD_DRIVER"
	unbind "$bdf"
	exit 1
fi

rm -f "$FIFO" "$HOLD_OUT"
mkfifo "$FIFO"
vfio-check hold "$bdf" < "$FIFO" > "$HOLD_OUT" 2>&1 &
holder=$!
# Read-write: opening never blocks, and closing it is the holder's EOF.
exec 3<> "$FIFO"

# release: EOF to the holder; true if it then exits with status 0.
release() {
	exec 3>&-
	wait_for -t 20 "! kill -0 $holder 2>/dev/null" || return 1
	wait "$holder"
}

if ! wait_for -t 30 "grep -q '^HELD' $HOLD_OUT"; then
	fail "$T.held" "vfio-check hold $bdf: $(tr '\n' ' ' < "$HOLD_OUT")"
	release
	unbind "$bdf"
	exit 1
fi
pass "$T.held"

# A driver that does not pin its module would have rmmod wait for the fd
# instead of refusing: bound that, and let the holder go to unblock it
# (rmmod must not inherit the fifo, or it would keep the holder waiting).
run_bounded 20 rmmod "$VPD_MODULE" 2> /dev/null 3>&-
rc=$?
if [ "$rc" = 124 ]; then
	fail "$T.refused" "rmmod blocked while a device fd was open"
elif [ "$rc" = 0 ]; then
	fail "$T.refused" "rmmod succeeded while a device fd was open"
elif ! module_loaded "$VPD_MODULE"; then
	fail "$T.refused" "rmmod failed but the module is gone"
else
	pass "$T.refused"
fi

if release; then
	pass "$T.closed"
else
	fail "$T.closed" "vfio-check hold did not exit cleanly after EOF"
fi
if [ "$rc" = 124 ]; then
	# shellcheck disable=SC2154 # set by run_bounded
	wait_for -t 30 "! kill -0 $bounded_pid 2>/dev/null"
fi

if ! module_loaded "$VPD_MODULE"; then
	skip "$T.rmmod-after-close" "module already gone"
elif run_bounded 30 rmmod "$VPD_MODULE"; then
	pass "$T.rmmod-after-close"
else
	fail "$T.rmmod-after-close" "rmmod failed after the fd was closed"
fi

unbind "$bdf"
rm -f "$FIFO" "$HOLD_OUT"
modprobe "$VPD_MODULE"
