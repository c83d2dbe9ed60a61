# shellcheck shell=bash
# tests/lib/project.sh - what the test drivers need of this project itself.
#
#   vpd_build_dir NAME            where the module is built for kernel NAME
#   vpd_build NAME LOG [ARGS...]  build the module for NAME (make ARGS, e.g.
#                                 W=1 C=2), full output to LOG; returns make's
#                                 status; the module is $(vpd_build_dir NAME)/vfio-pci-dmabuf.ko
#                                 (with VPD_BUILD_DROPIN=1 also vfio-pci.ko,
#                                 where the kernel allows the drop-in: Kbuild's
#                                 default; the guests of the variant skip it)
#   vpd_build_diagnostics LOG     print the compiler/sparse diagnostics in LOG
#   vpd_build_importer NAME LOG [ARGS...]
#                                 build the test dma-buf importer (tests/kmod)
#                                 for NAME, full output to LOG; the module is
#                                 $(vpd_importer_dir NAME)/vpd-edu-importer.ko
#   vpd_guest_stage_alone NAME STAGE CASE
#                                 the same, but the guest runs only CASE
#                                 (a file of tests/guest/alone/)
#   vpd_has_core_exporter NAME    true if NAME's vfio_pci_core exports dma-bufs
#                                 itself (probe answer of the importer build)
#   vpd_alone_guest NAME RUN CASE  fetch NAME, build the module and the
#                                 importer, and make RUN/NAME-initrd for a
#                                 guest that runs only CASE with this
#                                 driver's exporter; prints the kernel
#                                 arguments that choose it; 1 if a build failed
#   vpd_tree_copy DIR             a clean copy of the source tree in DIR (for
#                                 builds that write into it: packaging)
#   vpd_guest_stage NAME STAGE    fill STAGE with what a guest test run needs:
#                                 the module (and the test modules of
#                                 tests/kmod, if built),
#                                 the guest runner, cases and tools
#   vpd_dropin_refused NAME       dropin-check.sh's line for NAME (empty: the
#                                 drop-in vfio-pci.ko was built beside the variant)
#   vpd_guest_stage_dropin NAME STAGE
#                                 add the drop-in vfio-pci.ko to STAGE, in
#                                 updates/ (which depmod prefers to the
#                                 kernel's vfio-pci, still staged by path)
#   vpd_guest_stage_dpdk STAGE    Debian's dpdk-testpmd (package dpdk-dev),
#                                 its ldd closure in /opt/dpdk/lib and the
#                                 PMDs the rig's e1000 needs in /opt/dpdk/pmds

[[ -n ${_VPD_PROJECT_SH:-} ]] && return 0
_VPD_PROJECT_SH=1

# shellcheck source=kernels.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/kernels.sh"

VPD_MODULE=vfio-pci-dmabuf
# Where the module and the importer are built; another directory under
# $VPD_CACHE/build (which the build chroots see) keeps a run apart from a
# concurrent one of another tree.
: "${VPD_BUILD_ROOT:=$VPD_CACHE/build}"

vpd_build_dir() {
	echo "$VPD_BUILD_ROOT/$(kernel_kver "$1")/$VPD_MODULE"
}

vpd_build() {
	local name=$1 log=$2 modules=vfio-pci-dmabuf
	shift 2
	[[ -z ${VPD_BUILD_DROPIN:-} ]] || modules="vfio-pci-dmabuf vfio-pci"
	kernel_headers "$name"
	kernel_build_module "$name" "$VPD_TOP" "$(vpd_build_dir "$name")" \
		"VPD_MODULES=$modules" "$@" >"$log" 2>&1
}

# The importer's Kbuild finds the project's probes and wrappers at
# ../../src, so it is built in a scratch tree of the repository's shape:
# DIR/src (a copy) and DIR/tests/kmod (kernel_build_module's copy).
VPD_IMPORTER=vpd-edu-importer

vpd_importer_dir() {
	echo "$VPD_BUILD_ROOT/$(kernel_kver "$1")/$VPD_IMPORTER/tests/kmod"
}

vpd_build_importer() {
	local name=$1 log=$2 out root
	shift 2
	out=$(vpd_importer_dir "$name")
	root=${out%/tests/kmod}
	kernel_headers "$name"
	rm -rf -- "$root/src"
	mkdir -p -- "$root" "$out"
	cp -a -- "$VPD_TOP/src" "$root/src"
	kernel_build_module "$name" "$VPD_TESTS_DIR/kmod" "$out" "$@" >"$log" 2>&1
}

vpd_tree_copy() {
	local dir=$1
	mkdir -p -- "$dir"
	tar -C "$VPD_TOP" --exclude=./.git --exclude=./dist -cf - . | tar -C "$dir" -xf -
	make -C "$dir" clean KDIR=/nonexistent >/dev/null 2>&1 || true
}

# Compiler warnings and errors, and everything sparse says, look like
# "file:line:col: warning|error: ...".
vpd_build_diagnostics() {
	grep -E ':[0-9]+(:[0-9]+)?: (warning|error):' "$1" || true
}

# Static so that the busybox guest needs no libc; libvfio-dmabuf compiled
# in (its sources, as the archive holds them).
vpd_guest_tools() {
	local out=$1 lib=("$VPD_TOP"/src/lib/*.c)
	mkdir -p "$out"
	gcc -O2 -Wall -Wextra -Werror -static -I"$VPD_TOP/include" \
		-o "$out/vfio-check" "$VPD_TESTS_DIR/guest/vfio-check.c" "${lib[@]}"
	gcc -O2 -Wall -Wextra -Werror -static -pthread -I"$VPD_TOP/include" \
		-I"$VPD_TESTS_DIR/kmod" \
		-o "$out/dmabuf-test" "$VPD_TESTS_DIR/guest/dmabuf-test.c" "${lib[@]}"
	gcc -O2 -Wall -Wextra -Werror -static -I"$VPD_TOP/include" \
		-I"$VPD_TESTS_DIR/kmod" \
		-o "$out/vpd-bench" "$VPD_TESTS_DIR/guest/vpd-bench.c" "${lib[@]}"
	gcc -O2 -Wall -Wextra -Werror -static -I"$VPD_TOP/include" \
		-DVFD_VERSION='"test"' \
		-o "$out/vfio-dmabuf" "$VPD_TOP/src/tools/vfio-dmabuf.c" "${lib[@]}"
}

vpd_guest_stage() {
	local name=$1 stage=$2 kver
	kver=$(kernel_kver "$name")
	mkdir -p "$stage/lib/modules/$kver/extra" "$stage/tests"
	cp "$(vpd_build_dir "$name")/$VPD_MODULE.ko" "$stage/lib/modules/$kver/extra/"
	local m
	for m in "$VPD_IMPORTER" vpd-fake-af vpd-fake-igd; do
		if [[ -f $(vpd_importer_dir "$name")/$m.ko ]]; then
			cp "$(vpd_importer_dir "$name")/$m.ko" "$stage/lib/modules/$kver/extra/"
		fi
	done
	cp -r "$VPD_TESTS_DIR/guest/run" "$VPD_TESTS_DIR/guest/lib.sh" \
		"$VPD_TESTS_DIR/guest/cases" "$stage/tests/"
	vpd_guest_tools "$stage/tests/bin"
}

vpd_guest_stage_alone() {
	local name=$1 stage=$2 case=$3
	vpd_guest_stage "$name" "$stage"
	rm -f "$stage"/tests/cases/*.sh
	cp "$VPD_TESTS_DIR/guest/alone/$case.sh" "$stage/tests/cases/80-$case.sh"
}

vpd_has_core_exporter() {
	grep -q '^#define HAVE_VFIO_PCI_CORE_DMABUF 1' \
		"$(vpd_importer_dir "$1")/vpd_config.h"
}

# Its stdout is the kernel arguments only: everything else goes to stderr.
vpd_alone_guest() {
	local name=$1 run=$2 case=$3 args="vpd_exporter=vfio-pci-dmabuf"
	{
		kernel_fetch "$name"
		if ! vpd_build "$name" "$run/$name-build.log" ||
			! vpd_build_importer "$name" "$run/$name-importer.log"; then
			t_fail "$name/$case" "build failed: $(tail -n 5 "$run/$name-"*.log)"
			return 1
		fi
		vpd_guest_stage_alone "$name" "$run/$name-stage" "$case"
		vm_initramfs "$name" "$run/$name-initrd" "$run/$name-stage"
	} >&2
	vpd_has_core_exporter "$name" && args+=" vpd_exporter_args=own_dmabuf=1"
	echo "$args"
}

vpd_dropin_refused() {
	kernel_in_buildenv "$1" sh "$VPD_TOP/src/compat/dropin-check.sh" "$(kernel_kdir "$1")"
}

vpd_guest_stage_dropin() {
	local kver
	kver=$(kernel_kver "$1")
	mkdir -p "$2/lib/modules/$kver/updates"
	cp "$(vpd_build_dir "$1")/vfio-pci.ko" "$2/lib/modules/$kver/updates/"
}

# The PMDs dpdk-testpmd needs for the e1000 beyond those it links (the PCI
# bus driver: loading it again with -d registers its tailq twice and EAL
# aborts); EAL loads them with -d DIR.
VPD_DPDK_PMDS=(librte_net_e1000 librte_mempool_ring)

# _vpd_chroot_cp ROOT PATH DEST: copy ROOT's PATH, its links followed in ROOT.
_vpd_chroot_cp() {
	cp -- "$1$(chroot "$1" readlink -f "$2")" "$3"
}

# vpd_build_example ROOT: make tools in a fresh copy of the tree under
# ROOT's /tmp (a build chroot with libdpdk-dev), as a user would build the
# example; prints that copy's path inside ROOT (the caller removes it).
vpd_build_example() {
	local root=$1 dir
	chroot_apt_install "$root" libdpdk-dev libibverbs-dev pkg-config
	dir=$(mktemp -d "$root/tmp/vpd-example.XXXXXX")
	vpd_tree_copy "$dir"
	if ! chroot "$root" make -C "${dir#"$root"}" tools CFLAGS="-O2 -g -Werror" \
		>"$dir.log" 2>&1; then
		cat "$dir.log" >&2
		rm -rf -- "$dir" "$dir.log"
		die "make tools against libdpdk-dev failed in $root"
	fi
	rm -f -- "$dir.log"
	echo "${dir#"$root"}"
}

vpd_guest_stage_dpdk() {
	local stage=$1 root pmddir m lib ex
	# bookworm's DPDK 22.11 (ABI 23), taken from the bookworm build
	# chroot (nothing is installed on the host), with its ldd closure.
	root=$(kernel_chroot bookworm)
	chroot_apt_install "$root" dpdk-dev librte-net-e1000-23 librte-mempool-ring23 librte-bus-pci23 \
		ibverbs-providers iproute2
	pmddir=$(chroot "$root" sh -c 'dirname "$(readlink -f /usr/lib/x86_64-linux-gnu/dpdk/pmds-*/librte_bus_pci.so)"')
	mkdir -p "$stage/opt/dpdk/lib" "$stage/opt/dpdk/pmds" "$stage/lib64" "$stage/tests/bin"
	cp "$root/usr/bin/dpdk-testpmd" "$stage/tests/bin/"
	# examples/spdk-cmb-dmabuf, built there against Debian's libdpdk-dev
	# (and libibverbs-dev, for --ibv) as a user would: make tools.
	ex=$(vpd_build_example "$root")
	cp "$root$ex/build/examples/spdk-cmb-dmabuf" "$stage/tests/bin/"
	# Soft-RoCE for the example's --ibv: iproute2's rdma (rdma link add)
	# and libibverbs' rxe provider, which it finds by its own paths.
	cp "$root/usr/bin/rdma" "$stage/tests/bin/"
	mkdir -p "$stage/etc/libibverbs.d" "$stage/usr/lib/x86_64-linux-gnu/libibverbs"
	cp "$root/etc/libibverbs.d/rxe.driver" "$stage/etc/libibverbs.d/"
	_vpd_chroot_cp "$root" /usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav34.so \
		"$stage/usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav34.so"
	for m in "${VPD_DPDK_PMDS[@]}"; do
		_vpd_chroot_cp "$root" "$pmddir/$m.so" "$stage/opt/dpdk/pmds/$m.so"
	done
	# The example links no bus: EAL loads the PCI bus with -d.
	mkdir -p "$stage/opt/dpdk/bus"
	_vpd_chroot_cp "$root" "$pmddir/librte_bus_pci.so" "$stage/opt/dpdk/bus/librte_bus_pci.so"
	# ldd and links resolved inside the chroot (its absolute links would
	# otherwise reach the host's files).
	while read -r lib; do
		_vpd_chroot_cp "$root" "$lib" "$stage/opt/dpdk/lib/${lib##*/}"
	done < <(for f in /usr/bin/dpdk-testpmd "$ex/build/examples/spdk-cmb-dmabuf" /usr/bin/rdma \
			/usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav34.so "${VPD_DPDK_PMDS[@]/%/.so}"; do
			[[ $f == /* ]] || f=$pmddir/$f
			chroot "$root" ldd "$f"
		done | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u)
	# dlopen()ed by glibc (thread cancellation), not in any ldd closure.
	_vpd_chroot_cp "$root" /lib/x86_64-linux-gnu/libgcc_s.so.1 "$stage/opt/dpdk/lib/libgcc_s.so.1"
	_vpd_chroot_cp "$root" /lib64/ld-linux-x86-64.so.2 "$stage/lib64/ld-linux-x86-64.so.2"
	rm -rf -- "${root:?}$ex"
}
