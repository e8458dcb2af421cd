#!/usr/bin/env bash
# The whole suite: .NET tests, then the model tests where PyTorch is installed.
# Ends with one line "total: N passed, M failed" counted over both.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p out/test-results
rm -f out/test-results/*.trx
# A private RabbitMQ for the queue tests (they fail, not skip, without it); always stopped on the way out.
scripts/rabbitmq-test-server.sh start || echo "test.sh: the test broker did not start; the RabbitMQ tests will fail" >&2
trap 'scripts/rabbitmq-test-server.sh stop' EXIT
dotnet test ResShift.Pipeline.sln -c "${CONFIG:-Release}" --no-build --nologo \
  --logger "console;verbosity=normal" --logger "trx" --results-directory out/test-results 2>&1 | tee out/test-results/dotnet.log
dotnet_rc=${PIPESTATUS[0]}
scripts/test-models.sh 2>&1 | tee out/test-results/models.log
models_rc=${PIPESTATUS[0]}

passed=$(grep -hE '^\s+Passed:\s+[0-9]+' out/test-results/dotnet.log | awk '{s+=$2} END {print s+0}')
failed=$(grep -hE '^\s+Failed:\s+[0-9]+' out/test-results/dotnet.log | awk '{s+=$2} END {print s+0}')
if line=$(grep -hE '^models: [0-9]+ passed, [0-9]+ failed' out/test-results/models.log | tail -1); then
  passed=$((passed + $(sed -E 's/^models: ([0-9]+) passed.*/\1/' <<<"$line")))
  failed=$((failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
fi
if [ "$dotnet_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi  # a build or runner crash counts as a failure
echo "total: $passed passed, $failed failed"
[ "$dotnet_rc" -eq 0 ] && [ "$models_rc" -eq 0 ] && [ "$failed" -eq 0 ]
