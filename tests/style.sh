#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/checkpatch.pl --strict over every kernel source file of the
# project, with checkpatch taken from the newest kernel of the matrix.
set -euo pipefail
source "$(dirname -- "$0")/lib/kernels.sh"
source "$VPD_LIB_DIR/report.sh"

# VPD_CHECKPATCH: a checkpatch.pl to use as it is (make test: no root,
# no download).
if [[ -z ${VPD_CHECKPATCH:-} ]]; then
	need_root
	host_apt_install perl xz-utils
fi

# checkpatch.pl and the data files it reads, from linux-source-X.Y.
checkpatch_fetch() {
	local newest series dir=$VPD_CACHE/checkpatch tmp
	newest=$(kernels_list | sort -V | tail -n 1)
	series=$(kernel_kver "$newest" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
	[[ -x $dir/$series/scripts/checkpatch.pl ]] && { echo "$dir/$series"; return; }
	kapt_update
	tmp=$(mktemp -d)
	(cd "$tmp" && kapt apt-get download -q "linux-source-$series" >&2)
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-"$series"_*.deb |
		tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
		tar -xJ -C "$tmp" --strip-components=1 --wildcards \
			'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
			'*/scripts/const_structs.checkpatch'
	mkdir -p "$dir"
	rm -rf "${dir:?}/$series"
	mkdir "$dir/$series"
	mv "$tmp/scripts" "$dir/$series/"
	rm -rf "$tmp"
	echo "$dir/$series"
}

if [[ -n ${VPD_CHECKPATCH:-} ]]; then
	cp_dir=$(cd "$(dirname -- "$VPD_CHECKPATCH")/.." && pwd)
else
	cp_dir=$(checkpatch_fetch)
fi
cd "$VPD_TOP"
# Kernel code only: the userspace library and tool (src/lib, src/tools, the
# library's header) are C11 with -Wall -Wextra -Werror on two compilers
# (tests/tools.sh), not kernel style.
mapfile -t files < <(git ls-files -- 'src/*.c' 'src/*.h' 'include/*.h' 'tests/kmod/*.c' 'tests/kmod/*.h' \
	':!src/lib/' ':!src/tools/' ':!include/vfio-dmabuf.h')
((${#files[@]})) || die "no kernel sources found to check"
out=$("$cp_dir/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
	--ignore FILE_PATH_CHANGES -f "${files[@]}" 2>&1 | grep -v '^total:' || true)
if [[ -z $out ]]; then
	t_pass "style/checkpatch"
else
	t_fail "style/checkpatch" "$out"
fi

t_done
