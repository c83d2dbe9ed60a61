#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The userspace half on the host, no guest: libvfio-dmabuf, the vfio-dmabuf
# tool, their man pages and the DPDK example, as make tools builds them in
# a copy of the tree; and the host unit tests of the module's pieces that
# compile outside a kernel.
#   conftest/NAME          src/compat/conftest.sh on made-up probes
#                          (tests/unit/conftest-test.sh): each probe is on
#                          exactly when it compiles, compiled together; the
#                          fallback; broken flags fail
#   cfg-watch/NAME         src/cfg-watch.h's vpd_cfg_watch_covers() against
#                          the plain definition, under ASan where the
#                          compiler has it (tests/unit/cfg-watch-test.sh)
#   tools/build-gcc12      make tools with -Werror on bookworm's compiler
#   tools/build-gcc14      the same in the trixie build chroot
#   tools/unit/NAME        tests/unit/lib-test.c: the library against a fake
#                          ioctl and fake sysfs trees (the rig's topologies)
#   tools/unit-sabotage    lib-test fails when the library ignores ACS
#   tools/bench-report/NAME  tests/unit/bench-report-test.sh: make bench's
#                          report (ratios paired by round, n/a reasons)
#   tools/ci-run/NAME      tests/unit/ci-run-test.sh: .ci/run stops a late
#                          make check and reports it (stage table, running
#                          stage, a failing summary)
#   tools/abi-soname       SONAME libvfio-dmabuf.so.0, the .so.0 link
#   tools/abi-symbols      exported: exactly libvfio-dmabuf.map's names, each
#                          at version VFIO_DMABUF_0.1; the archive has them
#   tools/pkg-config       a program built from make install-tools's tree
#                          with pkg-config alone links and runs
#   tools/man-pages        both pages render without a groff warning and
#                          carry the tool's help and the header's functions
#   tools/help             --help fits 80 columns and exits 0; a usage
#                          error exits 2 with the help on stderr
#   tools/example-dpdk     examples/spdk-cmb-dmabuf builds with -Werror
#                          against Debian's libdpdk-dev and libibverbs-dev
#                          (bookworm chroot), linking rte_vfio and ibverbs
# With --host (make test): no root, no chroot; what needs one (gcc-14,
# the DPDK example) says SKIP, and the tools must be installed already.
# Usage: tests/tools.sh [--host]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/project.sh
source "$(dirname -- "$0")/lib/project.sh"
# shellcheck source=lib/report.sh
source "$VPD_LIB_DIR/report.sh"

host_only=
[[ ${1:-} != --host ]] || host_only=1
if [[ -n $host_only ]]; then
	need_cmd gcc make readelf pkg-config awk
	work=$(mktemp -d "${TMPDIR:-/tmp}/vpd-tools.XXXXXX")
else
	need_root
	host_apt_install gcc make binutils pkg-config man-db groff-base
	mkdir -p "$VPD_CACHE/build"
	work=$(mktemp -d "$VPD_CACHE/build/tools.XXXXXX")
fi
trap 'rm -rf -- "$work"' EXIT
tree=$work/tree
vpd_tree_copy "$tree"
werror=(CFLAGS="-O2 -g -Werror")

# conftest.sh itself, with the host's gcc and made-up probes; the
# config-write filter of src/cfg-watch.h, as written there, with the
# host's cc.
t_unit conftest sh "$VPD_TESTS_DIR/unit/conftest-test.sh" \
	"$VPD_TOP/src/compat/conftest.sh" "$work/conftest"
t_unit cfg-watch sh "$VPD_TESTS_DIR/unit/cfg-watch-test.sh" "$VPD_TOP/src/cfg-watch.h" \
	"$work/cfg-watch"

# build NAME LOG CMD...: one make tools, PASS or FAIL NAME.
build() {
	local name=$1 log=$2
	shift 2
	if ! "$@" >"$log" 2>&1; then
		t_fail "$name" "$(tail -n 8 "$log")"
		return 1
	fi
	t_pass "$name"
}

if build tools/build-gcc12 "$work/gcc12.log" make -C "$tree" tools "${werror[@]}"; then
	# lib-test: the archive, every ioctl diverted to its fake.
	(cd "$tree" && gcc -std=gnu11 -Wall -Wextra -Werror -Iinclude \
		-Wl,--wrap=ioctl -o build/lib-test tests/unit/lib-test.c \
		build/lib/libvfio-dmabuf.a) >"$work/unit-build.log" 2>&1 ||
		t_fail tools/unit "lib-test does not build: $(tail -n 5 "$work/unit-build.log")"
fi

if [[ -x $tree/build/lib-test ]]; then
	mkdir "$work/unit"
	t_unit tools/unit "$tree/build/lib-test" "$work/unit"

	# The unit tests can fail: the same tests against a library whose
	# ACS check is gone must report the redirecting switch wrongly.
	sab=$work/sabotage
	vpd_tree_copy "$sab"
	sed -i 's/return vfd_cfg16(cfg, acs + PCI_ACS_CTRL) &/return 0 \&\& vfd_cfg16(cfg, acs + PCI_ACS_CTRL) \&/' \
		"$sab/src/lib/p2p.c"
	rm -rf "$work/unit-sab" && mkdir "$work/unit-sab"
	if grep -q 'return 0 && vfd_cfg16' "$sab/src/lib/p2p.c" &&
		make -C "$sab" build/lib/libvfio-dmabuf.a >/dev/null 2>&1 &&
		(cd "$sab" && gcc -std=gnu11 -Iinclude -Wl,--wrap=ioctl \
			-o build/lib-test tests/unit/lib-test.c build/lib/libvfio-dmabuf.a) &&
		! "$sab/build/lib-test" "$work/unit-sab" >"$work/unit-sab.out" 2>&1 &&
		grep -q '^FAIL p2p.switch.acs-redirect' "$work/unit-sab.out"; then
		t_pass tools/unit-sabotage
	else
		t_fail tools/unit-sabotage "lib-test did not notice a library that ignores ACS: $(grep -c '^PASS' "$work/unit-sab.out" 2>/dev/null) passed"
	fi
fi

# make bench's report, on made-up console lines.
t_unit tools/bench-report sh "$tree/tests/unit/bench-report-test.sh" \
	"$tree/tests/lib/bench-report.awk" "$work/bench-report"
# .ci/run's deadline and stage table, on made-up make check runs (.ci/run
# gives them a report dir of their own).
t_unit tools/ci-run sh "$VPD_TOP/tests/unit/ci-run-test.sh" \
	"$VPD_TOP" "$work/ci-run"

so=$tree/build/lib/libvfio-dmabuf.so.0.1.0
if [[ -f $so ]]; then
	soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	if [[ $soname == libvfio-dmabuf.so.0 &&
		$(readlink "$tree/build/lib/libvfio-dmabuf.so.0") == libvfio-dmabuf.so.0.1.0 ]]; then
		t_pass tools/abi-soname
	else
		t_fail tools/abi-soname "SONAME \"$soname\", link $(readlink "$tree/build/lib/libvfio-dmabuf.so.0")"
	fi
	want=$(sed -n 's/^\t\(vfio_dmabuf_[a-z0-9_]*\);$/\1/p' "$tree/src/lib/libvfio-dmabuf.map" | sort)
	# Defined, exported functions with their version.
	# objdump -T: ADDR g DF .text SIZE VERSION NAME (and the version node).
	got=$(objdump -T "$so" | awk '$2 == "g" && $(NF-1) == "VFIO_DMABUF_0.1" &&
		$NF != "VFIO_DMABUF_0.1" { print $NF }' | sort)
	other=$(objdump -T "$so" | awk '$2 == "g" && $(NF-1) != "VFIO_DMABUF_0.1" { print $NF }')
	in_ar=$(nm -g --defined-only "$tree/build/lib/libvfio-dmabuf.a" 2>/dev/null |
		awk '$2 == "T" { print $3 }' | grep '^vfio_dmabuf_' | sort)
	hdr=$(grep -oE '^(int|void|bool|uint32_t|const char \*) ?\*?vfio_dmabuf_[a-z0-9_]*\(' \
		"$tree/include/vfio-dmabuf.h" | grep -o 'vfio_dmabuf_[a-z0-9_]*' | sort)
	if [[ -n $want && $got == "$want" && -z $other && $in_ar == "$want" && $hdr == "$want" ]]; then
		t_pass tools/abi-symbols
	else
		t_fail tools/abi-symbols "map: $(echo $want) | exported: $(echo $got) | other: $(echo $other) | archive: $(echo $in_ar) | header: $(echo $hdr)"
	fi
fi

# A consumer with nothing but pkg-config, against the installed tree.
dest=$work/dest
if make -C "$tree" install-tools DESTDIR="$dest" PREFIX=/usr >"$work/install.log" 2>&1; then
	cat >"$work/consumer.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <vfio-dmabuf.h>

int main(void)
{
	struct vfio_dmabuf_range r = { 0, 4096 };

	printf("%d %s\n", vfio_dmabuf_export(-1, 0, &r, 1, 0),
	       vfio_dmabuf_explain(VFIO_DMABUF_OP_EXPORT, ENOTTY));
	return 0;
}
EOF
	export PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_LIBDIR=$dest/usr/lib/pkgconfig
	# shellcheck disable=SC2086 # $flags are words
	if flags=$(pkg-config --cflags --libs libvfio-dmabuf) &&
		gcc -Wall -Wextra -Werror -o "$work/consumer" "$work/consumer.c" $flags \
			>"$work/consumer.log" 2>&1 &&
		out=$(LD_LIBRARY_PATH=$dest/usr/lib "$work/consumer") &&
		[[ $out == "-9 "*"no dma-buf export"* ]] &&
		[[ $(readelf -d "$work/consumer" | grep NEEDED) == *libvfio-dmabuf.so.0* ]]; then
		t_pass tools/pkg-config
	else
		t_fail tools/pkg-config "flags \"${flags:-}\": $(cat "$work/consumer.log" 2>/dev/null) ${out:-}"
	fi
	unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR
else
	t_fail tools/pkg-config "make install-tools: $(tail -n 5 "$work/install.log")"
fi

# Man pages: no groff warning, and what they take from the code (make
# test: where man is installed).
man_ok=1 man_msg=
for page in "$tree/build/man/vfio-dmabuf.1" "$tree/build/man/libvfio-dmabuf.3"; do
	if [[ ! -f $page ]]; then
		man_ok=0 man_msg+="${page##*/} not built; "
		continue
	fi
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=all -E UTF-8 -l "$page" 2>&1 >/dev/null || true)
	[[ -z $warn ]] || { man_ok=0; man_msg+="${page##*/}: $warn; "; }
done
if ((man_ok)); then
	text1=$(LC_ALL=C.UTF-8 MANWIDTH=100 man -l "$tree/build/man/vfio-dmabuf.1" 2>/dev/null)
	text3=$(LC_ALL=C.UTF-8 MANWIDTH=100 man -l "$tree/build/man/libvfio-dmabuf.3" 2>/dev/null)
	grep -q 'vfio-dmabuf doctor \[--brief\] EXPORTER \[IMPORTER\]' <<<"$text1" ||
		{ man_ok=0; man_msg+="vfio-dmabuf(1) lacks the help's synopsis; "; }
	for f in $(sed -n 's/^\t\(vfio_dmabuf_[a-z0-9_]*\);$/\1/p' "$tree/src/lib/libvfio-dmabuf.map"); do
		grep -q "$f(" <<<"$text3" || { man_ok=0; man_msg+="libvfio-dmabuf(3) lacks $f; "; }
	done
fi
if [[ -n $host_only ]] && ! command -v man >/dev/null; then
	t_skip tools/man-pages "man is not installed (man-db)"
elif ((man_ok)); then
	t_pass tools/man-pages
else
	t_fail tools/man-pages "$man_msg"
fi

tool=$tree/build/vfio-dmabuf
if [[ -x $tool ]]; then
	help=$("$tool" --help) && rc=0 || rc=$?
	long=$(awk 'length > 80' <<<"$help")
	"$tool" frobnicate >/dev/null 2>"$work/usage.err" && urc=0 || urc=$?
	if ((rc == 0)) && [[ -z $long && $help == usage:* ]] && ((urc == 2)) &&
		grep -q '^usage: vfio-dmabuf list' "$work/usage.err"; then
		t_pass tools/help
	else
		t_fail tools/help "--help exit $rc, lines over 80: \"$long\", usage error exit $urc"
	fi
fi

if [[ -n $host_only ]]; then
	t_skip tools/example-dpdk "make test: no chroot (make check builds it against bookworm's libdpdk-dev)"
	t_skip tools/build-gcc14 "make test: no chroot (make check builds with trixie's gcc-14)"
	t_done
	exit 0
fi

# The example as a user builds it: make tools where libdpdk-dev is.
root=$(kernel_chroot bookworm)
if ex=$(vpd_build_example "$root" 2>"$work/example.log"); then
	needed=$(readelf -d "$root$ex/build/examples/spdk-cmb-dmabuf" | grep NEEDED)
	rm -rf -- "${root:?}$ex"
	if [[ $needed == *librte_eal* && $needed == *libibverbs* ]]; then
		t_pass tools/example-dpdk
	else
		t_fail tools/example-dpdk "links $(echo "$needed" | grep -o '\[.*\]' | tr '\n' ' ')"
	fi
else
	t_fail tools/example-dpdk "$(tail -n 8 "$work/example.log")"
fi

# Trixie's compiler (gcc-14), in its build chroot.
troot=$(kernel_chroot trixie)
rm -rf -- "$troot/tmp/vpd-tools"
vpd_tree_copy "$troot/tmp/vpd-tools"
build tools/build-gcc14 "$work/gcc14.log" \
	chroot "$troot" make -C /tmp/vpd-tools tools "${werror[@]}" || true
rm -rf -- "$troot/tmp/vpd-tools"

t_done
