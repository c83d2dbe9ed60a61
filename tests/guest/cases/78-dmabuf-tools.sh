# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# tools: the vfio-dmabuf tool on the exporter's devices (built with
# libvfio-dmabuf, as the guest tools are):
#   tools.list             ivshmem is listed with its driver, IOMMU group,
#                          dma-buf export and its 64-bit BAR 2
#   tools.export-exec      export --exec: the command inherits the dma-buf
#                          (VFIO_DMABUF_FD) and edu's DMA lands in it
#   tools.export-serve     export --serve: a client of the right uid gets it
#                          over the unix socket (SCM_RIGHTS), DMA lands
#   tools.serve-refuses    a client of another uid is refused and gets no fd
#   tools.export-errors    a misaligned range and a missing BAR fail with
#                          the library's sentence, nothing is served
# shellcheck source=dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

T=tools
SOCK=/tmp/vmtest-tools.sock
OUT=/tmp/vmtest-tools

dmabuf_setup $T
dmabuf_bind $T "$DMABUF_IVSHMEM" || exit 0
dev=$DMABUF_IVSHMEM

# list: one line for the device, every column as sysfs has it.
line=$(vfio-dmabuf list | grep "^$dev ")
vfio-dmabuf list | sed 's/^/# /'
want_drv=$DMABUF_EXPORTER
[ -n "${vpd_dropin:-}" ] && want_drv="vfio-pci(ours)"
grp=$(group_of "$dev" || echo -)
# shellcheck disable=SC2086 # the columns are words
set -- $line
if [ "$2" = 1af4:1110 ] && [ "$3" = "$want_drv" ] && [ "$4" = "$grp" ] &&
   [ "$5" = yes ] && echo "$line" | grep -q ' 2:[0-9]*[KMG],64'; then
	pass $T.list
else
	fail $T.list "want $dev 1af4:1110 $want_drv group $grp, export yes, BAR 2 64-bit: got \"$line\""
fi

# export --exec: the child sees only the dma-buf.
out=$(run_bounded 120 vfio-dmabuf export "$dev" 2 0+64K --exec \
	dmabuf-test fd-peer $T.export-exec 2>&1)
echo "$out"
echo "$out" | grep -q "^VMTEST: PASS $T.export-exec" ||
	echo "$out" | grep -q "^VMTEST: FAIL $T.export-exec" ||
	fail $T.export-exec "no result from the command: $out"

# export --serve: to our uid, then a refusal of another.
rm -f "$SOCK"
vfio-dmabuf export "$dev" 2 0x10000+0x10000 --serve "$SOCK" > "$OUT.serve" 2>&1 &
srv=$!
if wait_for -t 30 "grep -q '^serving' $OUT.serve"; then
	dmabuf_run sock-peer $T.export-serve "$SOCK"
	if ! wait_for -t 30 "! kill -0 $srv 2>/dev/null"; then
		fail $T.export-serve "still serving after the client hung up"
		kill "$srv"
	fi
else
	fail $T.export-serve "never served: $(cat "$OUT.serve")"
	kill "$srv" 2> /dev/null
fi
wait "$srv" 2> /dev/null

rm -f "$SOCK"
vfio-dmabuf export "$dev" 2 --serve "$SOCK" --uid 4242 > "$OUT.uid" 2>&1 &
srv=$!
if wait_for -t 30 "grep -q '^serving' $OUT.uid"; then
	# Not a result of its own: its FAIL (no fd) is what is wanted here.
	VMTEST_RESULTS='' dmabuf-test sock-peer refused "$SOCK" > "$OUT.peer" 2>&1
	if grep -q 'no fd received' "$OUT.peer" &&
	   wait_for -t 10 "grep -q 'refused a client of uid 0' $OUT.uid"; then
		pass $T.serve-refuses
	else
		fail $T.serve-refuses "client: $(cat "$OUT.peer") | server: $(cat "$OUT.uid")"
	fi
else
	fail $T.serve-refuses "never served: $(cat "$OUT.uid")"
fi
kill "$srv" 2> /dev/null
wait "$srv" 2> /dev/null
rm -f "$SOCK"

# Bad requests: the library's sentence, no dma-buf.
e1=$(vfio-dmabuf export "$dev" 2 0x800+0x1000 --exec true 2>&1); r1=$?
e2=$(vfio-dmabuf export "$dev" 5 --exec true 2>&1); r2=$?
if [ "$r1" = 1 ] && echo "$e1" | grep -q 'not page aligned' &&
   [ "$r2" = 1 ] && echo "$e2" | grep -q 'BAR is not there'; then
	pass $T.export-errors
else
	fail $T.export-errors "misaligned ($r1): $e1 | BAR 5 ($r2): $e2"
fi
unbind "$dev"
