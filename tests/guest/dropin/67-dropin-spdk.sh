# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# spdk: the SPDK path from a real DPDK process.  examples/spdk-cmb-dmabuf
# (built against Debian's libdpdk-dev, staged by tests/vm-dropin.sh) starts
# EAL, which takes the NVMe controller through the drop-in vfio-pci; it
# gets its device fd through DPDK's VFIO API and libvfio-dmabuf, exports a
# slice of the CMB (BAR 2) and serves it on a unix socket to dmabuf-test
# cmb-peer, which hands it to the test importer (edu):
#   spdk.cmb.dma       edu's writes land in the CMB, as the example reads
#                      them through its own mapping of the BAR
#   spdk.cmb.reset     VFIO_DEVICE_RESET from the DPDK process revokes the
#                      importer's mapping
#   spdk.cmb.remap     the importer maps again and its writes land
#   spdk.example       the example saw every check pass and exited 0
#   spdk.ibv-rxe       --ibv on Soft-RoCE (rxe on a dummy netdev): the
#                      example says, in one sentence, that this provider
#                      cannot register dma-buf memory (EOPNOTSUPP)
# shellcheck source=../cases/dmabuf-common.inc
. "$VMTEST_DIR/cases/dmabuf-common.inc"

T=spdk
SOCK=/tmp/vmtest-spdk.sock
OUT=/tmp/vmtest-spdk

if ! command -v spdk-cmb-dmabuf > /dev/null; then
	fail $T "spdk-cmb-dmabuf is not staged"
	exit 0
fi
dmabuf_setup $T
dmabuf_bind $T "$DMABUF_NVME" || exit 0
mkdir -p /var/run
grep -q ' /var/run ' /proc/mounts || mount -t tmpfs none /var/run
rm -f "$SOCK"

# EAL's PCI bus is a plugin (-d): the example links none of it.
EAL="-l 0 --no-huge -m 64 --iova-mode=va -d /opt/dpdk/bus/librte_bus_pci.so"
# shellcheck disable=SC2086 # $EAL are words
LD_LIBRARY_PATH=/opt/dpdk/lib spdk-cmb-dmabuf $EAL \
	-a "$DMABUF_NVME" -- "$DMABUF_NVME" --bar 2 \
	--offset 0x10000 --length 0x40000 --serve "$SOCK" > "$OUT.log" 2>&1 &
ex=$!
if wait_for -t 120 "grep -q '^serving on' $OUT.log || ! kill -0 $ex 2>/dev/null"; then
	if grep -q '^serving on' "$OUT.log"; then
		dmabuf_run cmb-peer $T.cmb "$SOCK"
	else
		fail $T.cmb "the example stopped before serving"
	fi
else
	fail $T.cmb "the example is not serving after 120 s"
	kill "$ex"
fi
rc=0
if wait_for -t 60 "! kill -0 $ex 2>/dev/null"; then
	wait "$ex" || rc=$?
else
	kill -KILL "$ex"
	rc=timeout
fi
sed 's/^/# /' "$OUT.log"
if [ "$rc" = 0 ] && grep -q '^exported ' "$OUT.log" &&
   [ "$(grep -c -- '-> ok' "$OUT.log")" = 4 ]; then
	pass $T.example
else
	fail $T.example "exit $rc: $(grep -v '^EAL' "$OUT.log" | tail -n 4 | tr '\n' '|')"
fi

# --ibv: ibv_reg_dmabuf_mr() on a protection domain of rxe0.
ibv() {
	modprobe dummy numdummies=1 && ip link set dummy0 up &&
		{ modprobe crc32_generic || true; } &&
		modprobe rdma_rxe && modprobe ib_uverbs &&
		LD_LIBRARY_PATH=/opt/dpdk/lib rdma link add rxe0 type rxe netdev dummy0 &&
		wait_for -t 10 "[ -e /sys/class/infiniband/rxe0 ]"
}
if ! ibv > "$OUT.rxe" 2>&1; then
	skip $T.ibv-rxe "no Soft-RoCE device: $(tr '\n' '|' < "$OUT.rxe")"
else
	rc=0
	# shellcheck disable=SC2086 # $EAL are words
	LD_LIBRARY_PATH=/opt/dpdk/lib run_bounded 120 spdk-cmb-dmabuf $EAL \
		-a "$DMABUF_NVME" -- "$DMABUF_NVME" \
		--bar 2 --length 0x10000 --ibv rxe0 > "$OUT.ibv" 2>&1 || rc=$?
	sed 's/^/# /' "$OUT.ibv"
	if [ "$rc" = 1 ] && grep -q '^ibv_reg_dmabuf_mr on rxe0: EOPNOTSUPP: this RDMA provider cannot register dma-buf memory' "$OUT.ibv"; then
		pass $T.ibv-rxe
	else
		fail $T.ibv-rxe "exit $rc, want 1 and the EOPNOTSUPP sentence: $(grep -v '^EAL' "$OUT.ibv" | tail -n 3 | tr '\n' '|')"
	fi
	LD_LIBRARY_PATH=/opt/dpdk/lib rdma link delete rxe0
fi
unbind "$DMABUF_NVME"
