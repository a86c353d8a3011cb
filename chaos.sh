#!/usr/bin/env bash
# The chaos run: 1,000 submissions and 100 sessions through 3 worker processes against the simulator (faults on task
# reads), while workers are SIGKILLed and restarted, PostgreSQL is stopped for 120 s as commands keep arriving, and
# RabbitMQ is stopped for 60 s. Services come up as for ./test.sh. Ends with one line:
#   chaos: N/N terminal, D duplicate, C conflicting, U submit_outcome_unknown, E in _error, S secrets in logs,
#          X worker exits, L log lines per flow
# and exits non-zero unless every flow ended, none conflicting, nothing in _error, no secret in the logs, no worker left
# by itself (X counts the exits the run did not cause), fewer than 1 % of submissions of unknown outcome, and L under 5.
#   ./chaos.sh [--submissions 1000] [--sessions 100] [--workers 3] [--db-outage-seconds 120] [--broker-outage-seconds 60]
#   ./chaos.sh --cluster [...]   the same on the three-node cluster of scripts/rabbitmq-cluster.sh (quorum queues, the
#                                workers connected to all three); instead of stopping RabbitMQ it stops the node that
#                                leads the worker's queues for --broker-outage-seconds while callers keep publishing.
set -euo pipefail
cd "$(dirname "$0")"
LOG_PREFIX=chaos
source scripts/services.sh
dotnet_check
trap services_down EXIT

harness_services_up "avatar-chaos"
if [[ " $* " == *" --cluster "* ]] && ! scripts/rabbitmq-cluster.sh status; then
  scripts/rabbitmq-cluster.sh up >/dev/null
  SERVICES_STARTED+=("scripts/rabbitmq-cluster.sh down")
fi

if [[ " $* " == *" --db-failover "* ]]; then
  SERVICES_STARTED+=("scripts/postgres-pair.sh down") # the run starts the pair afresh
fi

mkdir -p .run/chaos
dotnet build Worker.sln -c Release -nologo -v quiet >.run/build.log 2>&1 || { cat .run/build.log >&2; exit 1; }
dotnet perf/Avatar.Chaos/bin/Release/net10.0/Avatar.Chaos.dll --log-directory .run/chaos "$@"
