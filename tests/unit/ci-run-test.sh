#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# .ci/run's deadline and stage table, on made-up make check runs
# (VPD_CI_CHECK) in a copy of the tree:
#  - late: a run that outlives VPD_CI_DEADLINE (3 s) is stopped with the
#    process it started; .ci/run prints the stage table so far, the stage
#    still running and a failing summary (one more failure), exit 1;
#  - on-time: a run that ends prints its own table and summary, which
#    .ci/run repeats as the last line, with the run's exit status.
# Prints "PASS NAME" or "FAIL NAME - why" (tests/tools.sh reports them).
# Usage: tests/unit/ci-run-test.sh TREE SCRATCH-DIR
set -u

tree=$1
dir=$2
mkdir -p "$dir"

cat >"$dir/late.sh" <<'EOT'
source tests/lib/report.sh
t_stage style.sh true
t_pass fake/one
t_guest_time vm-dmabuf.sh 6.1 78
sleep 600 &
echo $! >"$VPD_CI_TEST_DIR/child"
t_stage vm-dmabuf.sh sleep 600
EOT
cat >"$dir/ontime.sh" <<'EOT'
source tests/lib/report.sh
t_stage style.sh true
t_fail fake/two "made up"
t_stage_table
t_summary
EOT

(cd "$tree" && VPD_CI_TEST_DIR=$dir VPD_CI_DEADLINE=3 \
	VPD_CI_CHECK="bash $dir/late.sh" bash .ci/run) >"$dir/late.out" 2>&1
rc=$?
child=$(cat "$dir/child" 2>/dev/null)
if [ "$rc" != 1 ]; then
	echo "FAIL late - exit $rc, want 1: $(tr '\n' '|' <"$dir/late.out" | cut -c1-300)"
elif [ "$(tail -n 1 "$dir/late.out")" != "1 passed, 1 failed, 0 skipped" ]; then
	echo "FAIL late - last line: $(tail -n 1 "$dir/late.out")"
elif ! grep -q '^FAIL ci/deadline: ' "$dir/late.out" ||
	! grep -q '^  style.sh  *0$' "$dir/late.out" ||
	! grep -q '^  vm-dmabuf.sh 6.1  *78$' "$dir/late.out" ||
	! grep -q '^  vm-dmabuf.sh (running for [0-9]* s)$' "$dir/late.out"; then
	echo "FAIL late - no deadline failure, stage table or running stage: $(tr '\n' '|' <"$dir/late.out" | cut -c1-400)"
elif [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
	kill "$child"
	echo "FAIL late - the run's background process $child outlived it"
else
	echo "PASS late"
fi

(cd "$tree" && VPD_CI_DEADLINE=60 VPD_CI_CHECK="bash $dir/ontime.sh" \
	bash .ci/run) >"$dir/ontime.out" 2>&1
rc=$?
if [ "$rc" != 1 ]; then
	echo "FAIL on-time - exit $rc, want the run's 1"
elif [ "$(tail -n 2 "$dir/ontime.out" | uniq)" != "0 passed, 1 failed, 0 skipped" ] ||
	grep -q 'ci/deadline' "$dir/ontime.out" ||
	! grep -q '^  style.sh  *0$' "$dir/ontime.out"; then
	echo "FAIL on-time - $(tr '\n' '|' <"$dir/ontime.out" | cut -c1-300)"
else
	echo "PASS on-time"
fi
