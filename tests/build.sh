#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The module builds for every kernel of the matrix with W=1 without a single
# diagnostic, and sparse (C=2) has nothing to say about it; the drop-in
# vfio-pci.ko is built beside it wherever dropin-check.sh allows it (the
# host unit tests of conftest.sh and of src/cfg-watch.h are tests/tools.sh's).
# Per kernel, also:
#   KERNEL/probes-pinned   vpd_config.h defines exactly the HAVE_* set that
#                          tests/probes.conf pins for KERNEL (a probe broken
#                          for an unrelated reason must not switch a feature
#                          off); a mismatch names the probe and shows its
#                          compiler output (compat-probes/NAME.log)
#   KERNEL/probes-combined the probes were compiled together (conftest.sh:
#                          at most 3 compiles, no one-by-one fallback): a
#                          probe that stops naming its failures costs every
#                          DKMS build its probes' time again
#   KERNEL/kbuild-clean    make -C KDIR M=DIR clean (dkms.conf's CLEAN)
#                          succeeds and removes what the build made
#   KERNEL/readme-table    the README's kernel table gives KERNEL's compiler
#                          and the design's kernel options as its .config has
#                          them (the "newest" row: existence only, the values
#                          are logged: they follow sid)
# Usage: tests/build.sh [KERNEL...]
set -euo pipefail
source "$(dirname -- "$0")/lib/project.sh"
source "$VPD_LIB_DIR/report.sh"

need_root
# Both modules: the variant and the drop-in.
export VPD_BUILD_DROPIN=1
host_apt_install gcc make

# check NAME KERNEL MAKE-ARGS...: one build, one result.
check() {
	local what=$1 k=$2 log diag
	shift 2
	log="$VPD_CACHE/build/$k-$what.log"
	mkdir -p "${log%/*}"
	if ! vpd_build "$k" "$log" "$@"; then
		t_fail "$k/$what" "make $* failed: $(tail -n 5 "$log")"
		return
	fi
	# Kbuild turns C= off, with a warning, when the checker is too old for
	# the kernel (7.x headers need a sparse that knows __typeof_unqual__).
	if grep -q 'is not available or not up to date' "$log"; then
		t_skip "$k/$what" "this kernel refuses the distribution's sparse ($(kernel_in_buildenv "$k" sparse --version 2>&1))"
		return
	fi
	diag=$(vpd_build_diagnostics "$log")
	if [[ -n $diag ]]; then
		t_fail "$k/$what" "make $*: $(head -n 5 <<<"$diag")"
	else
		t_pass "$k/$what"
	fi
}

# The kernel options of the README's table, in its column order.
table_opts=(PCI_P2PDMA DMABUF_MOVE_NOTIFY IOMMUFD VFIO_PCI)

# probe_of MACRO: the probe file that names MACRO.
probe_of() {
	grep -l -- "^ \* $1: " "$VPD_TOP"/src/compat/probes/*.c | head -n 1
}

check_probes() {
	local k=$1 dir want got m diff=() msg=
	dir=$(vpd_build_dir "$k")
	want=$(awk -v k="$k" '$1 == k { for (i = 2; i <= NF; i++) print $i }' \
		"$VPD_TESTS_DIR/probes.conf" | sort)
	if ! grep -q "^${k}[[:space:]]" "$VPD_TESTS_DIR/probes.conf"; then
		t_fail "$k/probes-pinned" "tests/probes.conf pins nothing for $k; this build defines: $(sed -n 's/^#define \(HAVE_[A-Z0-9_]*\) 1$/\1/p' "$dir/vpd_config.h" | tr '\n' ' ')"
		return
	fi
	got=$(sed -n 's/^#define \(HAVE_[A-Z0-9_]*\) 1$/\1/p' "$dir/vpd_config.h" | sort)
	mapfile -t diff < <(comm -3 <(echo "$want") <(echo "$got") | tr -d '\t' | sed '/^$/d')
	if ((${#diff[@]} == 0)); then
		t_pass "$k/probes-pinned"
		return
	fi
	for m in "${diff[@]}"; do
		local probe name state=off
		probe=$(probe_of "$m")
		name=$(basename -- "${probe:-unknown}" .c)
		grep -qx -- "$m" <<<"$got" && state=on
		msg+="$m is $state (pinned: $([[ $state == on ]] && echo off || echo on)), probe src/compat/probes/$name.c; its compiler said: $(head -c 1500 "$dir/compat-probes/$name.log" 2>/dev/null | tr '\n' '|'); "
	done
	t_fail "$k/probes-pinned" "$msg"
}

# The W=1 build's trace of conftest.sh's compiles.
check_probes_combined() {
	local k=$1 log="$VPD_CACHE/build/$1-build-w1.log" n
	n=$(grep -c '^conftest pass ' "$log" || true)
	if grep -q '^conftest one by one' "$log"; then
		t_fail "$k/probes-combined" "conftest.sh compiled probes one by one: $(grep '^conftest one by one' "$log" | sed 's|[^ ]*/||g')"
	elif ((n < 1 || n > 3)); then
		t_fail "$k/probes-combined" "$n combined compiles (want 1 to 3): $(grep '^conftest pass ' "$log" | sed 's|[^ ]*/||g' | tr '\n' '|')"
	else
		t_pass "$k/probes-combined"
	fi
}

# make -C KDIR M=DIR clean, as dkms.conf's CLEAN runs it before every
# DKMS build: it succeeds (the Kbuild's configuration checks do not
# fire without a .config) and leaves no module, object or probe answer.
check_clean() {
	local k=$1 dir log="$VPD_CACHE/build/$1-clean.log" left
	dir=$(vpd_build_dir "$k")
	if ! (cd "$dir" && kernel_in_buildenv "$k" make -C "$(kernel_kdir "$k")" \
		M="$dir" clean) >"$log" 2>&1; then
		t_fail "$k/kbuild-clean" "make clean failed: $(tail -n 3 "$log" | tr '\n' '|')"
		return
	fi
	left=$(find "$dir" \( -name '*.ko' -o -name '*.o' -o -name vpd_config.h \) -printf '%P ')
	if [[ -n $left ]]; then
		t_fail "$k/kbuild-clean" "make clean left: $left"
	else
		t_pass "$k/kbuild-clean"
	fi
}

# config_val CONFIG OPT: y, m or n (unset or unknown to that kernel).
config_val() {
	local v
	v=$(sed -n "s/^CONFIG_$2=\(.*\)$/\1/p" "$1")
	echo "${v:-n}"
}

# The compiler as the table names it (gcc-14): from CONFIG_CC_VERSION_TEXT.
config_cc() {
	local t
	t=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$1")
	if [[ $t =~ gcc-([0-9]+) ]]; then
		echo "gcc-${BASH_REMATCH[1]}"
	elif [[ $t =~ ^gcc\ .*\ ([0-9]+)\.[0-9.]+$ ]]; then
		echo "gcc-${BASH_REMATCH[1]}"
	else
		echo "$t"
	fi
}

check_table() {
	local k=$1 config row want i
	local -a cells
	config=$(kernel_chroot_of "$k")/usr/src/linux-headers-$(kernel_kver "$k")/.config
	want="$(config_cc "$config")"
	for i in "${table_opts[@]}"; do
		want+=" $(config_val "$config" "$i")"
	done
	row=$(awk -F'|' -v k="$k" '/^\|/ { c = $2; gsub(/[ `]/, "", c); if (c == k) { print; exit } }' \
		"$VPD_TOP/README.md")
	if [[ -z $row ]]; then
		t_fail "$k/readme-table" "README.md's kernel table has no row for $k (it has: $want)"
		return
	fi
	if [[ $k == newest ]]; then
		log "newest kernel ($(kernel_kver "$k"), $(kernel_suite "$k")): compiler and ${table_opts[*]}: $want"
		t_pass "$k/readme-table"
		return
	fi
	# | NAME | suite | compiler | P2PDMA | MOVE_NOTIFY | IOMMUFD | VFIO_PCI | ...
	IFS='|' read -r -a cells <<<"$row"
	local got=""
	for i in 3 4 5 6 7; do
		got+="${got:+ }$(xargs <<<"${cells[$i]:-}")"
	done
	if [[ $got == "$want" ]]; then
		t_pass "$k/readme-table"
	else
		t_fail "$k/readme-table" "README.md says '$got' (compiler ${table_opts[*]}), $(kernel_kver "$k")'s .config says '$want'"
	fi
}

read -r -a kernels <<<"${*:-$(kernels_list | tr '\n' ' ')}"
for k in "${kernels[@]}"; do
	kernel_headers "$k"
	kernel_in_buildenv "$k" sh -c 'command -v sparse >/dev/null ||
		{ apt-get update -q && apt-get install -y -q sparse; }' >&2
	VPD_CONFTEST_TRACE=1 check build-w1 "$k" W=1
	check_probes "$k"
	check_probes_combined "$k"
	check_table "$k"
	# make builds the drop-in vfio-pci.ko beside the variant, except
	# where dropin-check.sh refuses it.
	refused=$(vpd_dropin_refused "$k")
	if [[ -z $refused && ! -f $(vpd_build_dir "$k")/vfio-pci.ko ]]; then
		t_fail "$k/build-dropin" "no vfio-pci.ko beside $VPD_MODULE.ko"
	elif [[ -n $refused && -f $(vpd_build_dir "$k")/vfio-pci.ko ]]; then
		t_fail "$k/build-dropin" "vfio-pci.ko built although refused: $refused"
	else
		t_pass "$k/build-dropin"
	fi
	check sparse "$k" C=2
	log="$VPD_CACHE/build/$k-importer.log"
	if ! vpd_build_importer "$k" "$log" W=1; then
		t_fail "$k/importer-build-w1" "$(tail -n 5 "$log")"
	elif diag=$(vpd_build_diagnostics "$log") && [[ -n $diag ]]; then
		t_fail "$k/importer-build-w1" "$(head -n 5 <<<"$diag")"
	else
		t_pass "$k/importer-build-w1"
	fi
	check_clean "$k"
done

t_done
