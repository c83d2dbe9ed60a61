#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# src/compat/conftest.sh against the host's gcc and made-up probes: which
# probes it turns on when they are compiled together, and when the
# combined compile names no culprit.  Prints "PASS NAME" or
# "FAIL NAME - why" per case (tests/build.sh reports them).
# Usage: tests/unit/conftest-test.sh CONFTEST.SH SCRATCH-DIR
set -u

conftest=$1
dir=$2
mkdir -p "$dir/p" "$dir/inc"

# probe NAME MACRO BODY: a probe file in the house style.
probe() {
	printf '/*\n * %s: %s\n */\n%s\n' "$2" "made up" "$3" >"$dir/p/$1.c"
}

# run CASE CC PROBE...: conftest.sh's header in $dir/CASE.h, its trace in
# $dir/CASE.err; the HAVE_* it defines on stdout, sorted.
run() {
	c=$1 cc=$2
	shift 2
	# shellcheck disable=SC2046 # the paths have no blanks
	set -- $(for p; do echo "$dir/p/$p.c"; done)
	VPD_CONFTEST_TRACE=1 sh "$conftest" test "$cc" "$dir/$c.logs" "$@" \
		>"$dir/$c.h" 2>"$dir/$c.err"
	echo $? >"$dir/$c.rc"
	sed -n 's/^#define \(HAVE_[A-Z0-9_]*\) 1$/\1/p' "$dir/$c.h" | sort | tr '\n' ' '
}

verdict() {
	if [ "$2" = "$3" ]; then
		echo "PASS $1"
	else
		echo "FAIL $1 - $4: got '$2', want '$3'"
	fi
}

# Two probes that both define conftest and conftest_ops, a missing
# function, a missing header (a fatal error stops that compile), a
# warning under -Werror, an unknown member.
probe good1 HAVE_GOOD1 '#include <stddef.h>
static const struct conftest { int a; } conftest_ops __attribute__((unused)) = { 1 };
int conftest(void);
int conftest(void) { return conftest_ops.a; }'
probe good2 HAVE_GOOD2 '#include <stddef.h>
static const struct conftest { int a; } conftest_ops __attribute__((unused)) = { 2 };
int conftest(void);
int conftest(void) { return conftest_ops.a + (int)sizeof(size_t); }'
probe nofunc HAVE_NOFUNC 'int conftest(void);
int conftest(void) { return no_such_function(); }'
probe noheader HAVE_NOHEADER '#include <no/such/header.h>'
probe warns HAVE_WARNS 'int conftest(int x);
int conftest(int x) { int unused; return x; }'
probe nomember HAVE_NOMEMBER '#include <stddef.h>
struct conftest { int a; };
size_t conftest_off(void);
size_t conftest_off(void) { return offsetof(struct conftest, b); }'

cc="gcc -Wall"
got=$(run mixed "$cc" good1 noheader nofunc good2 warns nomember)
verdict attribution "$got" "HAVE_GOOD1 HAVE_GOOD2 " "$(tr '\n' '|' <"$dir/mixed.err")"
grep -q 'no_such_function' "$dir/mixed.logs/nofunc.log"
verdict probe-log "$?" 0 "nofunc.log does not show its error"
n=$(grep -c '^conftest pass ' "$dir/mixed.err")
if grep -q '^conftest one by one' "$dir/mixed.err" || [ "$n" -lt 1 ] || [ "$n" -gt 3 ]; then
	echo "FAIL combined - want 1 to 3 combined compiles: $(tr '\n' '|' <"$dir/mixed.err")"
else
	echo "PASS combined"
fi

# A compiler that fails every combined compile without a word about any
# probe: each probe is then decided by a compile of its own.
cat >"$dir/cc-no-combined" <<'CC'
#!/bin/sh
for a; do
	case $a in */all*.c) echo "internal compiler trouble" >&2; exit 1 ;; esac
done
exec gcc "$@"
CC
chmod +x "$dir/cc-no-combined"
got=$(run fallback "$dir/cc-no-combined -Wall" good1 nofunc good2)
verdict fallback "$got" "HAVE_GOOD1 HAVE_GOOD2 " "$(tr '\n' '|' <"$dir/fallback.err")"

# Flags that break everything: the build fails loudly, not with every
# feature off.
: >"$dir/inc/broken.h"
echo '#error broken flags' >"$dir/inc/broken.h"
run broken "gcc -include $dir/inc/broken.h" good1 nofunc >/dev/null
if [ "$(cat "$dir/broken.rc")" != 0 ] &&
   grep -q 'cannot compile a trivial module source' "$dir/broken.err"; then
	echo "PASS broken-flags"
else
	echo "FAIL broken-flags - exit $(cat "$dir/broken.rc"): $(tr '\n' '|' <"$dir/broken.err")"
fi
