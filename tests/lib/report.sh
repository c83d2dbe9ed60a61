# shellcheck shell=bash
# tests/lib/report.sh - host-side test reporting.
#
#   t_init                  pick the per-run report dir: env VPD_REPORT_DIR, or
#                           ${TMPDIR:-/tmp}/vpd-report.$$ (exported). Runs when
#                           report.sh is sourced, so scripts a driver starts
#                           afterwards share the driver's report.
#   t_pass NAME             prints "PASS NAME"
#   t_fail NAME MSG...      prints "FAIL NAME: MSG"
#   t_skip NAME REASON...   prints "SKIP NAME: REASON"
#   t_done                  end of a test script: t_summary if this process
#                           owns the report, nothing under a driver
#   t_summary               prints "N passed, N failed, N skipped" (whole run,
#                           i.e. everything recorded in VPD_REPORT_DIR) as the
#                           last line; returns 1 if anything failed.
#   t_stage NAME CMD...     runs CMD as the stage NAME: its wall time goes
#                           into the stage table, and while it runs it is
#                           listed as running (t_stages_running)
#   t_guest_time SUITE KERNEL SECONDS
#                           one boot's time in QEMU (tests/lib/vm.sh)
#   t_stage_table           the stage table: every stage's wall time, then
#                           the guest time of every suite and kernel
#   t_stages_running        the stages still running, with their age
#
# Results are appended to $VPD_REPORT_DIR/results, one line each, so counts
# survive subshells and several scripts started by one driver (which exports
# VPD_REPORT_DIR) add up to one summary. A report dir created by t_init is
# removed again by the t_summary of the same process.

[[ -n ${_VPD_REPORT_SH:-} ]] && return 0
_VPD_REPORT_SH=1

t_init() {
	if [[ -z ${VPD_REPORT_DIR:-} ]]; then
		# Named after $$, which subshells share; exported at once so child
		# scripts started later add to the same report. Created lazily, on
		# the first result, so scripts that report nothing leave nothing.
		VPD_REPORT_DIR=${TMPDIR:-/tmp}/vpd-report.$$
		_VPD_REPORT_OWNER=$$
	fi
	export VPD_REPORT_DIR
}

_t_dir_ready() {
	t_init
	local d=$VPD_REPORT_DIR
	if [[ ! -d $d ]]; then
		mkdir -p -- "${d%/*}" && mkdir -m 700 -- "$d" 2>/dev/null || [[ -d $d ]] ||
			{ echo "vpd: error: cannot create report dir $d" >&2; exit 1; }
	fi
	if [[ $d == "${TMPDIR:-/tmp}"/vpd-report.* ]] && [[ -L $d || ! -O $d ]]; then
		echo "vpd: error: report dir $d is not ours" >&2
		exit 1
	fi
	: >>"$d/results"
}

# _t_record KIND NAME [TEXT] - one line on stdout, one line in the results file.
_t_record() {
	local kind=$1 name=$2 text=${3-} line
	_t_dir_ready
	# One line each: fold newlines/CRs/tabs of messages into " | ".
	name=${name//[$'\r\n\t']/ }
	text=${text//$'\r'/}
	text=${text//$'\n'/ | }
	text=${text//$'\t'/ }
	if [[ -n $text ]]; then
		line="$kind $name: $text"
	else
		line="$kind $name"
	fi
	printf '%s\n' "$line"
	# A single short write with O_APPEND: safe for concurrent writers.
	printf '%s\n' "$kind $name" >>"$VPD_REPORT_DIR/results"
}

t_pass() {
	[[ $# -ge 1 ]] || { echo "vpd: error: usage: t_pass NAME" >&2; return 2; }
	_t_record PASS "$1"
}

t_fail() {
	[[ $# -ge 1 ]] || { echo "vpd: error: usage: t_fail NAME MSG" >&2; return 2; }
	local name=$1
	shift
	_t_record FAIL "$name" "${*:-failed}"
}

t_skip() {
	[[ $# -ge 1 ]] || { echo "vpd: error: usage: t_skip NAME REASON" >&2; return 2; }
	local name=$1
	shift
	_t_record SKIP "$name" "${*:-skipped}"
}

# t_results PREFIX: record the "PASS NAME", "FAIL NAME - WHY" and "SKIP
# NAME - WHY" lines on stdin (a unit test program's) as PREFIX/NAME; other
# lines are ignored.  Fails when there was none of them.
t_results() {
	local prefix=$1 kind name rest n=0
	while read -r kind name rest; do
		case $kind in
		PASS) t_pass "$prefix/$name" ;;
		FAIL) t_fail "$prefix/$name" "${rest#- }" ;;
		SKIP) t_skip "$prefix/$name" "${rest#- }" ;;
		*) continue ;;
		esac
		n=$((n + 1))
	done
	((n))
}

# t_unit PREFIX CMD...: run CMD, a unit test program (tests/unit/), and
# record its lines as t_results does; a FAIL named PREFIX when it printed
# none, with the start of what it did print.
t_unit() {
	local prefix=$1 what out
	shift
	what=$1
	[[ $what != sh ]] || what=$2
	out=$(mktemp "${TMPDIR:-/tmp}/vpd-unit.XXXXXX")
	"$@" >"$out" 2>&1 || true
	t_results "$prefix" <"$out" ||
		t_fail "$prefix" "${what##*/} reported nothing: $(head -n 5 "$out")"
	rm -f -- "$out"
}

# Stage times live beside the results: "STAGE NAME SECONDS" and "GUEST
# SUITE KERNEL SECONDS" lines in $VPD_REPORT_DIR/times, and one file per
# running stage in $VPD_REPORT_DIR/running (its start, in epoch seconds).
# Stages may run side by side (background preparations, the install lane).
t_stage() {
	local name=$1 start rc=0 f
	shift
	_t_dir_ready
	mkdir -p -- "$VPD_REPORT_DIR/running"
	f=$VPD_REPORT_DIR/running/${name//\//_}
	start=$(date +%s)
	echo "$start $name" >"$f"
	"$@" || rc=$?
	printf 'STAGE %s %d\n' "$name" $(($(date +%s) - start)) >>"$VPD_REPORT_DIR/times"
	rm -f -- "$f"
	return "$rc"
}

t_guest_time() {
	_t_dir_ready
	printf 'GUEST %s %s %d\n' "$1" "$2" "$3" >>"$VPD_REPORT_DIR/times"
}

t_stage_table() {
	t_init
	local f=$VPD_REPORT_DIR/times
	[[ -s $f ]] || return 0
	echo "stage times (wall clock, seconds; stages may overlap):"
	awk '$1 == "STAGE" { printf "  %-44s %6d\n", $2, $3 }' "$f"
	if grep -q '^GUEST ' "$f"; then
		echo "guest time (QEMU, seconds) per suite and kernel:"
		awk '$1 == "GUEST" { t[$2 " " $3] += $4; if (!(($2 " " $3) in o)) o[$2 " " $3] = n++ }
		     END { for (k in t) printf "%d %s %d\n", o[k], k, t[k] }' "$f" |
			sort -n | awk '{ printf "  %-44s %6d\n", $2 " " $3, $4 }'
	fi
}

t_stages_running() {
	t_init
	local f now start name
	now=$(date +%s)
	for f in "$VPD_REPORT_DIR"/running/*; do
		[[ -f $f ]] || continue
		read -r start name <"$f" || continue
		printf '  %s (running for %d s)\n' "$name" $((now - start))
	done
}

# t_counts: prints "PASSED FAILED SKIPPED"
t_counts() {
	t_init
	local kind _ p=0 f=0 s=0
	[[ -f $VPD_REPORT_DIR/results ]] || { echo "0 0 0"; return 0; }
	while read -r kind _; do
		case $kind in
		PASS) p=$((p + 1)) ;;
		FAIL) f=$((f + 1)) ;;
		SKIP) s=$((s + 1)) ;;
		esac
	done <"$VPD_REPORT_DIR/results"
	echo "$p $f $s"
}

# t_done: the end of a test script.  Run on its own, it prints the summary
# (and fails like t_summary); run by a driver that owns the report, it
# leaves the summary to the driver.
t_done() {
	if [[ ${_VPD_REPORT_OWNER:-} == "$$" ]]; then
		t_summary
	fi
}

t_summary() {
	local p f s
	read -r p f s < <(t_counts)
	if [[ ${_VPD_REPORT_OWNER:-} == "$$" ]]; then
		rm -rf -- "$VPD_REPORT_DIR"
		unset VPD_REPORT_DIR _VPD_REPORT_OWNER
	fi
	printf '%d passed, %d failed, %d skipped\n' "$p" "$f" "$s"
	((f == 0))
}

# A dir left by an earlier process with our PID holds someone else's results.
if [[ -z ${VPD_REPORT_DIR:-} && -d ${TMPDIR:-/tmp}/vpd-report.$$ && -O ${TMPDIR:-/tmp}/vpd-report.$$ ]]; then
	rm -rf -- "${TMPDIR:-/tmp}/vpd-report.$$"
fi
t_init
