#!/usr/bin/env bash
# The whole suite: .NET tests and, beside them, the model tests (PyTorch). Counted from the runners' result files by
# scripts/test-summary.py, which lists every skipped test with its reason and ends with one line
# "total: N passed, M failed, K skipped" over both.
#
# Hang guards: a .NET test still running after RESSHIFT_TEST_HANG (10m; the slowest takes about 2 min on a
# busy 2-core machine) gets a mini dump and its test host is killed (the summary names the test); the .NET
# run as a whole is killed after RESSHIFT_TEST_TIMEOUT (40m) and the model tests after RESSHIFT_MODELS_TIMEOUT
# (20m), so a hang fails with a clear line instead of eating CI's 90 minutes.
#
# usage: scripts/test.sh [dotnet test options, e.g. --filter EXPR]   (RESSHIFT_MODELS_ARGS="-k NAME" narrows the
# model tests): a narrowed run is counted and summarised the same way.
set -uo pipefail
cd "$(dirname "$0")/.."
results=out/test-results
rm -rf "$results"
mkdir -p "$results"

# PyTorch and ONNX for the model tests (Debian packages, a minute or two once); without them those tests
# are reported as skipped, with the reason, not as passed.
scripts/setup-models.sh || echo "test.sh: could not install python3-torch / python3-onnx; the model tests will be skipped" >&2

# A private RabbitMQ for the queue tests (they fail, not skip, without it); always stopped on the way out.
scripts/rabbitmq-test-server.sh start || echo "test.sh: the test broker did not start; the RabbitMQ tests will fail" >&2
trap 'scripts/rabbitmq-test-server.sh stop' EXIT

# The model tests run beside the .NET tests (niced): those spend much of their time waiting on daemons, brokers
# and settle timers, so the PyTorch work fills otherwise idle cores (about the model tests' 5 minutes off the
# wall time on 2 cores). RESSHIFT_TEST_SERIAL=1 runs them one after the other, as before.
models_rc_file="$results/models.rc"
run_models() {
  # shellcheck disable=SC2086 # RESSHIFT_MODELS_ARGS is a list of runner arguments
  timeout --kill-after=30s "${RESSHIFT_MODELS_TIMEOUT:-20m}" nice -n 10 scripts/test-models.sh ${RESSHIFT_MODELS_ARGS:-} >"$results/models.log" 2>&1
  echo $? >"$models_rc_file"
}
models_pid=""
if [ "${RESSHIFT_TEST_SERIAL:-0}" != 1 ]; then
  run_models &
  models_pid=$!
fi

# timeout signals its whole process group: the test hosts and any daemon a test started go with it.
timeout --kill-after=30s "${RESSHIFT_TEST_TIMEOUT:-40m}" \
  dotnet test ResShift.Pipeline.sln -c "${CONFIG:-Release}" --no-build --nologo \
    --blame-hang-timeout "${RESSHIFT_TEST_HANG:-10m}" --blame-hang-dump-type mini \
    --logger "console;verbosity=normal" --logger "trx" --results-directory "$results" "$@" 2>&1 | tee "$results/dotnet.log"
dotnet_rc=${PIPESTATUS[0]}
if [ "$dotnet_rc" -eq 124 ] || [ "$dotnet_rc" -eq 137 ]; then
  echo "test.sh: the .NET tests did not finish within ${RESSHIFT_TEST_TIMEOUT:-40m} and were killed (exit $dotnet_rc); see $results" | tee -a "$results/dotnet.log"
fi

if [ -n "$models_pid" ]; then wait "$models_pid"; else run_models; fi
cat "$results/models.log"
models_rc=$(cat "$models_rc_file" 2>/dev/null || echo 1)
rm -f "$models_rc_file"
if [ "$models_rc" -eq 124 ] || [ "$models_rc" -eq 137 ]; then
  echo "test.sh: the model tests did not finish within ${RESSHIFT_MODELS_TIMEOUT:-20m} and were killed (exit $models_rc)"
fi

find "$results" -mindepth 1 -type d -empty -delete # the blame collector's folders when nothing hung
scripts/rabbitmq-test-server.sh stop >>"$results/rabbitmq.log" 2>&1; trap - EXIT # before the closing line, which stays last
echo
# One closing line over both; a runner that exited with an error but left no failed test behind (a build
# error, a crash, a timeout) is counted as a failure there.
exec python3 scripts/test-summary.py "$results" "$results/models.log" --exit "dotnet test=$dotnet_rc" --exit "model tests=$models_rc"
