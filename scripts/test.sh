#!/usr/bin/env bash
# The whole suite: .NET tests, then the model tests where PyTorch is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p out/test-results
dotnet test ResShift.Pipeline.sln -c "${CONFIG:-Release}" --no-build --nologo \
  --logger "console;verbosity=normal" --logger "trx" --results-directory out/test-results 2>&1 | tee out/test-results/dotnet.log
scripts/test-models.sh
