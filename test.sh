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

# Checks outside dotnet test (the Prometheus rules, the links, the Node.js caller...) add to the same count: each
# leaves its output in $results/NAME.log and its result in $results/NAME.result.
check() { # name, command...
  local name=$1
  shift
  if "$@" >"$results/$name.log" 2>&1; then
    echo passed >"$results/$name.result"
    echo "  Passed $name"
  else
    echo failed >"$results/$name.result"
    echo "  Failed $name:"
    sed 's/^/    /' "$results/$name.log"
  fi
}

# The failed tests' names and first message lines, so the end of the output says what failed.
failures() { # trx file
  awk '
    /<UnitTestResult / && /outcome="Failed"/ { failed = 1; match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11); print "  FAILED " name }
    failed && /<Message>/ { line = $0; sub(/.*<Message>/, "", line); sub(/<\/Message>.*/, "", line); print "    " substr(line, 1, 400); failed = 0 }
    /<\/UnitTestResult>/ { failed = 0 }
  ' "$1"
}

summary() {
  local extra_passed extra_failed passed failed p f
  extra_passed=$(cat "$results"/*.result 2>/dev/null | grep -c passed || true)
  extra_failed=$(cat "$results"/*.result 2>/dev/null | grep -c failed || true)
  passed=$extra_passed
  failed=$extra_failed
  for trx in "$results"/*.trx; do
    [ -e "$trx" ] || continue
    failures "$trx"
    p=$(grep -o '<Counters [^>]*' "$trx" | grep -o 'passed="[0-9]*"' | grep -o '[0-9]\+' || echo 0)
    f=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' failed="[0-9]*"' | grep -o '[0-9]\+' || echo 0)
    passed=$((passed + p))
    failed=$((failed + f))
  done
  if [ "$passed" -eq "$extra_passed" ] && [ "$failed" -eq "$extra_failed" ]; then
    failed=$((failed + 1)) # no .NET test ran: that is a failure, not a pass
  fi
  echo "$passed passed, $failed failed"
}

cleanup() {
  status=$?
  services_down
  echo "test.sh took $((SECONDS / 60)) min $((SECONDS % 60)) s"
  summary
  exit "$status"
}
trap cleanup EXIT

# The build runs while the servers start. Locked restore: exactly the packages (and content hashes) the lock files
# record, or the run fails here.
mkdir -p .run
{ dotnet restore Worker.sln --locked-mode -nologo -v quiet && dotnet build Worker.sln -c Release --no-restore -nologo -v quiet -clp:ErrorsOnly; } \
  >.run/test-build.log 2>&1 &
build=$!

# The cluster test (see ClusterTests; AVATAR_CLUSTER_TESTS=0 leaves it out) runs on the three-node RabbitMQ cluster of
# scripts/rabbitmq-cluster.sh, started here in the background (its package first, so that no two installs meet), and
# taken down again at the end.
filter=()
if [ "${AVATAR_CLUSTER_TESTS:-1}" = 0 ]; then
  filter=(--filter "Category!=Cluster")
elif ! scripts/rabbitmq-cluster.sh status; then
  command -v rabbitmq-server >/dev/null 2>&1 || apt_install rabbitmq-server
  SERVICES_STARTED+=("scripts/rabbitmq-cluster.sh down")
  scripts/rabbitmq-cluster.sh up >.run/test-cluster.log 2>&1 &
  cluster=$!
fi

harness_services_up "avatar-tests"
# The outage tests stop and start servers of their own (see OutageFixture).
outage_services_up

# The failover test (FailoverTests) starts the PostgreSQL pair of scripts/postgres-pair.sh itself and takes it down
# again; should it stop half-way, the pair goes down here.
SERVICES_STARTED+=("scripts/postgres-pair.sh down")

# The alert rules: valid, and doing what their unit tests say (promtool comes with Debian's prometheus package).
prometheus_tools
check promtool-check-rules promtool check rules deploy/prometheus/alerts.yml
check promtool-check-config promtool check config deploy/prometheus/prometheus.yml
check promtool-check-config-file-sd promtool check config deploy/prometheus/prometheus-file-sd.yml
check promtool-test-rules promtool test rules deploy/prometheus/alerts.test.yml

wait "$build" || { cat .run/test-build.log; exit 1; }
[ -z "${cluster:-}" ] || wait "$cluster" || { cat .run/test-cluster.log; exit 1; }

# The checks that need the build run beside the tests.
(
  # Every relative link in README.md and docs/ leads somewhere.
  check doc-links scripts/check-links.sh
  # The contracts package .NET callers reference: packed from that build, with its XML documentation.
  check contracts-package scripts/check-contracts-package.sh
  # The AsyncAPI document parses without errors with the AsyncAPI parser (Node.js and npm come with the machine).
  check asyncapi-parser bash -c 'cd tools/asyncapi-check && npm ci --no-audit --no-fund --loglevel=error && npm run -s check'
  # The Node.js caller (examples/node) walks a session and a submission against the worker and the simulator.
  check node-example ./run.sh --no-build --client node
) &
checks=$!

# A failed test must not end the script here (set -e): the checks beside it still have to finish and be counted.
set +e
dotnet test Worker.sln -c Release --no-build -nologo ${filter[@]+"${filter[@]}"} \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" | tee "$results/console.log"
test_status=${PIPESTATUS[0]}
set -e
# A fixture's teardown that throws (the integration suite's check that no flow got two different outcomes, see
# AvatarFixture) is printed by xUnit but counted in no .trx: count it here.
if grep -q "Test Collection Cleanup Failure\|Test Class Cleanup Failure" "$results/console.log"; then
  grep -A3 "Cleanup Failure" "$results/console.log" | head -20
  echo failed >"$results/fixture-cleanup.result"
fi
wait "$checks" || true
! grep -q failed "$results"/*.result && [ "$test_status" -eq 0 ]
