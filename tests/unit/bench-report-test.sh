#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/lib/bench-report.awk (make bench's report) on made-up console
# lines: the ratios are paired by round, a missing measurement is n/a with
# the exporter's reason, the slopes and their fit, the RATIO lines last,
# report.md and plots.gp written.  Prints "PASS NAME" or "FAIL NAME - why"
# per case (tests/tools.sh reports them).
# Usage: tests/unit/bench-report-test.sh BENCH-REPORT.AWK SCRATCH-DIR
set -u

awkf=$1
dir=$2
mkdir -p "$dir"

# check NAME PATTERN FILE WHY: PASS if an extended regex matches a line.
check() {
	if grep -Eq -- "$2" "$3"; then
		echo "PASS $1"
	else
		echo "FAIL $1 - $4: $(tr '\n' '|' <"$3" | cut -c1-400)"
	fi
}

# In-tree and own export-1 over three rounds whose host load drifts: one
# round's own minimum is an outlier.  Paired, the quotients of the
# minimums are 3.2, 1.04, 1.04 (ratio 1.04, ok; round 2 ran own in two
# processes, the first slow); unpaired, the minimums 1976/900 would say
# 2.2, the medians 2900/2000 1.45.
cat >"$dir/in" <<'EOF'
7.3 BENCHCONF mode=core rounds=3 reps=4 rreps=2 ns=0,1,10 kernel=made-up
7.3 BENCHROUND 1
7.3 BENCH in-tree export-1 n=0 reps=4 min_ns=900 med_ns=1000
7.3 BENCH own export-1 n=0 reps=4 min_ns=2880 med_ns=2900
7.3 BENCHNA in-tree map-1000 the exporter cannot map 1000 one-page ranges for the importer: Address already in use
7.3 BENCH own map-1000 n=0 reps=4 min_ns=5000 med_ns=6000
7.3 BENCH own revoke-reset n=0 reps=2 min_ns=1000000 med_ns=1000000
7.3 BENCH own revoke-reset n=1 reps=2 min_ns=1100000 med_ns=1100000
7.3 BENCH own revoke-reset n=10 reps=2 min_ns=2000000 med_ns=2000000
7.3 BENCH in-tree revoke-reset n=0 reps=2 min_ns=1000000 med_ns=1000000
7.3 BENCH in-tree revoke-reset n=1 reps=2 min_ns=1200000 med_ns=1200000
7.3 BENCH in-tree revoke-reset n=10 reps=2 min_ns=3000000 med_ns=3000000
7.3 BENCH own reset-unmapped n=1 reps=2 min_ns=2000 med_ns=2000
7.3 BENCH own reset-unmapped n=10 reps=2 min_ns=11000 med_ns=11000
7.3 BENCH own reset-unmapped n=100 reps=2 min_ns=101000 med_ns=101000
7.3 BENCH in-tree reset-unmapped n=1 reps=2 min_ns=2500 med_ns=2500
7.3 BENCH in-tree reset-unmapped n=10 reps=2 min_ns=16000 med_ns=16000
7.3 BENCH in-tree reset-unmapped n=100 reps=2 min_ns=151000 med_ns=151000
7.3 BENCHROUND 2
7.3 BENCH own export-1 n=0 reps=4 min_ns=3300 med_ns=3400
7.3 BENCH own export-1 n=0 reps=4 min_ns=1976 med_ns=2080
7.3 BENCH in-tree export-1 n=0 reps=4 min_ns=1900 med_ns=2000
7.3 BENCHROUND 3
7.3 BENCH in-tree export-1 n=0 reps=4 min_ns=2900 med_ns=3000
7.3 BENCH own export-1 n=0 reps=4 min_ns=3016 med_ns=3120
6.1 BENCHROUND 1
6.1 BENCH stock cfg-write n=0 reps=4 min_ns=10000 med_ns=12000
6.1 BENCH variant cfg-write n=0 reps=4 min_ns=10500 med_ns=10500
6.1 BENCH stock cfg-write-cmd n=0 reps=4 min_ns=20000 med_ns=20000
6.1 BENCH variant cfg-write-cmd n=0 reps=4 min_ns=20200 med_ns=20300
6.1 SPURIOUS variant cmd-intx-toggle writes=4 invalidations=0 med_ns=20000
6.1 SGSHAPE variant size=8388608 nents=128 max_seg=65536
EOF
awk -v out="$dir" -f "$awkf" "$dir/in" >"$dir/out" 2>"$dir/err"
rc=$?
if [ "$rc" = 0 ] && [ ! -s "$dir/err" ]; then
	echo "PASS runs"
else
	echo "FAIL runs - awk exited $rc: $(tr '\n' '|' <"$dir/err")"
fi
check paired '^RATIO export-1@7\.3 1\.040 goal <=1\.05 ok$' "$dir/out" \
	"export-1 not the median of the per-round quotients of the minimums"
check na-reason '^RATIO map-1000@7\.3 n/a goal <=1\.05 missed \(in-tree: the exporter cannot map 1000 one-page ranges for the importer: Address already in use\)$' \
	"$dir/out" "map-1000 without the in-tree exporter's reason"
check stock '^RATIO cfg-write@6\.1:variant 1\.050 goal <=1\.02 missed$' "$dir/out" \
	"variant/stock cfg-write verdict"
check watched-op '^RATIO cfg-write-cmd@6\.1:variant 1\.010 goal <=1\.02 ok$' "$dir/out" \
	"variant/stock verdict of a watched register's write"
# The whole reset: own 1.1 ms + 0.1 ms per mapping exactly, fitted and
# shown, not judged; judged: to the last unmap, own 1000 ns per mapping
# (+1000), in-tree 1500 (+1000).
check slope '^SLOPE 7\.3 own revoke-reset 100000 ns/mapping r2=1\.000 linear$' "$dir/out" \
	"own's whole-reset slope"
check slope-ratio '^RATIO reset-unmapped-slope@7\.3 0\.667 goal <=1\.00 ok$' "$dir/out" \
	"own/in-tree slope ratio"
if grep -q '^RATIO revoke-reset-slope' "$dir/out"; then
	echo "FAIL reset-not-judged - the whole reset's slope has a verdict"
else
	echo "PASS reset-not-judged"
fi
check spurious '^SPURIOUS 6\.1 variant cmd-intx-toggle writes=4 invalidations=0 med_us=20\.0$' \
	"$dir/out" "spurious row"
check sgshape '^SGSHAPE 6\.1 variant size=8388608 nents=128 max_seg=65536$' "$dir/out" \
	"sgshape row"
# The verdicts are the last lines, for scripts.
tail -n 1 "$dir/out" >"$dir/last"
check ratio-last '^RATIO ' "$dir/last" "the output does not end with the RATIO lines"
check report-md '^\| export-1@7\.3 \| 1\.040 \| <= 1\.05 \| ok \|$' "$dir/report.md" \
	"report.md has no ratio table"
check plots '^set output .revoke-reset\.png.$' "$dir/plots.gp" "plots.gp plots no revoke time"
