# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# debug-checks, staged only by tests/vm-debug.sh, after every other case, on
# the rig's debug kernel (tests/kernel-debug.config: lockdep, KASAN, the
# DMA-API checker):
#   debug.kernel            this is that kernel (the checkers are there)
#   debug.dma-api           map, unmap, revoke and close add and remove
#                           exactly the exporter's DMA mappings, and the
#                           DMA-API checker finds nothing wrong
#   debug.importer-release  unbinding the importer leaves no DMA mapping
#                           behind (the checker reports leaks at unbind)
#   debug.lockdep-tracked   lockdep saw the exporter's lock, nested as
#                           src/vpd.h documents (exp.lock -> dma_resv)
#   debug.kmemleak          kmemleak finds no leak allocated through the
#                           exporter, dma-buf or vfio
#   debug.lockdep-armed     lockdep is still on after all the cases: it
#                           switches itself off at its first report
# KASAN, lockdep and DMA-API reports on the console fail the host's scan.
# shellcheck source=../cases/dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

T=debug
DMA_API=/sys/kernel/debug/dma-api

if [ ! -r /proc/lockdep_stats ] || [ ! -d $DMA_API ]; then
	fail $T.kernel "$(uname -r) has no /proc/lockdep_stats or $DMA_API: not the debug kernel of tests/kernel-debug.config"
	exit 0
fi
pass $T.kernel

dmabuf_setup $T.dma-api
if dmabuf_bind $T.dma-api "$DMABUF_IVSHMEM"; then
	dmabuf_run dma-debug $T.dma-api "$DMABUF_IVSHMEM" 2
	unbind "$DMABUF_IVSHMEM"
fi

errs0=$(cat $DMA_API/error_count)
unbind "$DMABUF_EDU"
errs1=$(cat $DMA_API/error_count)
if [ -n "$(driver_of "$DMABUF_EDU")" ]; then
	fail $T.importer-release "$DMABUF_EDU still bound to $(driver_of "$DMABUF_EDU")"
elif [ "$errs0" != "$errs1" ]; then
	fail $T.importer-release "DMA-API errors $errs0 -> $errs1 when the importer let go of $DMABUF_EDU (leaked mappings?)"
else
	pass $T.importer-release
fi

# /proc/lockdep: a class line "ADDR FD: n BD: n ....: NAME", then one
# " -> [ADDR] NAME" line per lock taken while it is held.
deps=$(awk '/^[0-9a-f]+ / { cls = $NF; next }
	cls == "&exp->lock" && / -> / { print $NF }' /proc/lockdep)
if [ -z "$(grep ' &exp->lock$' /proc/lockdep)" ]; then
	fail $T.lockdep-tracked "no &exp->lock class in /proc/lockdep: lockdep never saw the exporter lock"
elif ! echo "$deps" | grep -q '^reservation_ww_class_mutex$'; then
	fail $T.lockdep-tracked "&exp->lock was never held while taking a dma_resv lock (held before: $(echo "$deps" | tr '\n' ' '))"
else
	pass $T.lockdep-tracked
fi

# kmemleak: two scans (an object must stay unreferenced across them); a
# leak whose allocation trace runs through the exporter, dma-buf or vfio
# fails, others are listed.
KMEMLEAK=/sys/kernel/debug/kmemleak
if [ ! -w $KMEMLEAK ]; then
	fail $T.kmemleak "no $KMEMLEAK: kmemleak is off (disabled itself at boot?)"
else
	echo scan > $KMEMLEAK
	echo scan > $KMEMLEAK
	cat $KMEMLEAK > /tmp/kmemleak.txt
	n=$(grep -c '^unreferenced object' /tmp/kmemleak.txt)
	if grep -Eq 'vpd_|vfio|dma_buf|dmabuf' /tmp/kmemleak.txt; then
		sed 's/^/# /' /tmp/kmemleak.txt | head -n 60
		fail $T.kmemleak "$n unreferenced object(s), allocated through the exporter, dma-buf or vfio (see above)"
	else
		[ "$n" = 0 ] || sed 's/^/# /' /tmp/kmemleak.txt | head -n 30
		pass $T.kmemleak
	fi
fi

if grep -Eq '^ *debug_locks: +1$' /proc/lockdep_stats; then
	pass $T.lockdep-armed
else
	fail $T.lockdep-armed "lockdep switched itself off ($(grep debug_locks /proc/lockdep_stats | tr -s ' ')): it reported a problem, see the console"
fi
