#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make test: the fast loop while editing.  No root, no QEMU, no chroot:
#   - tests/tools.sh --host: the host unit tests (conftest.sh, the
#     config-write filter, make bench's report, .ci/run's deadline), the
#     library and tool with -Werror on this machine's compiler, lib-test,
#     the ABI, pkg-config, the man pages and --help;
#   - style/checkpatch with the checkpatch.pl that make check cached, or
#     VPD_CHECKPATCH (SKIP without one);
#   - module/build: the module against the running kernel's headers, if
#     this machine has them, with W=1 and no diagnostic (SKIP otherwise:
#     make check builds every kernel of the matrix in its chroot).
# make check does all of this and the rest.  The last line is
# "N passed, N failed, N skipped".
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/project.sh
source "$(dirname -- "$0")/lib/project.sh"
# shellcheck source=lib/report.sh
source "$VPD_LIB_DIR/report.sh"

status=0
"$VPD_TESTS_DIR/tools.sh" --host || status=1

cp=${VPD_CHECKPATCH:-}
if [[ -z $cp && -d $VPD_CACHE/checkpatch ]]; then
	cp=$(find "$VPD_CACHE/checkpatch" -path '*/scripts/checkpatch.pl' | sort -V | tail -n 1)
fi
if [[ -n $cp && -f $cp ]]; then
	VPD_CHECKPATCH=$cp "$VPD_TESTS_DIR/style.sh" || status=1
else
	t_skip style/checkpatch "no checkpatch.pl: make check caches one under $VPD_CACHE/checkpatch, or set VPD_CHECKPATCH"
fi

kdir=/lib/modules/$(uname -r)/build
if [[ -f $kdir/Makefile ]]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/vpd-test.XXXXXX")
	vpd_tree_copy "$work/tree"
	if make -C "$work/tree" modules KDIR="$kdir" W=1 >"$work/build.log" 2>&1 &&
		[[ -z $(vpd_build_diagnostics "$work/build.log") ]]; then
		t_pass module/build
	else
		t_fail module/build "$(vpd_build_diagnostics "$work/build.log" | head -n 5; tail -n 5 "$work/build.log")"
	fi
	rm -rf -- "$work"
else
	t_skip module/build "no headers of the running kernel ($kdir): make check builds in chroots"
fi

((status == 0)) || t_fail test/drivers "a test script exited with an error (see above)"
t_summary
