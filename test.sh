#!/usr/bin/env bash
# The whole test suite, on real RabbitMQ and PostgreSQL and the xcompute simulator over HTTP.
# With a Docker engine the tests start both through Testcontainers; without one this script installs (if missing)
# and starts Debian's rabbitmq-server and postgresql, and stops again whatever it started.
# Last line of output: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"
LOG_PREFIX=test
source scripts/services.sh
dotnet_check

results=.artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

summary() {
  local passed=0 failed=0 p f
  for trx in "$results"/*.trx; do
    [ -e "$trx" ] || continue
    p=$(grep -o '<Counters [^>]*' "$trx" | grep -o 'passed="[0-9]*"' | grep -o '[0-9]\+' || echo 0)
    f=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' failed="[0-9]*"' | grep -o '[0-9]\+' || echo 0)
    passed=$((passed + p))
    failed=$((failed + f))
  done
  if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    failed=1 # nothing ran: that is a failure, not a pass
  fi
  echo "$passed passed, $failed failed"
}

cleanup() {
  status=$?
  services_down
  summary
  exit "$status"
}
trap cleanup EXIT

harness_services_up "avatar-tests"

dotnet build Worker.sln -c Release -nologo -v quiet -clp:ErrorsOnly
dotnet test Worker.sln -c Release --no-build -nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results"
