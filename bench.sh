#!/usr/bin/env bash
# The benchmark: submissions through worker processes against the simulator, on real RabbitMQ and PostgreSQL.
# Prints throughput, time to outcome, polls per review, overlapping polls (must be 1) and worker peak memory.
#   ./bench.sh [--submissions 200] [--workers 2] [--review-seconds 10] [--latency-ms 20] [--concurrency 8]
#   ./bench.sh --workers 1,2,4 --latency-ms 200   scale-out: one run per worker count (1,500 submissions each and
#                                                 2 messages at once per queue per worker by default), then throughput
#                                                 per count side by side
#   ./bench.sh --baseline                         one worker beside the same three hops on bare MassTransit
#   ./bench.sh --compare-polling                  one workload of realistic reviews under each kind of estimated_time
#                                                 (--estimates) and each polling strategy (--strategies)
#   ./bench.sh --stack-floor                      the memory the fixed libraries hold once started, layer by layer
#   ./bench.sh --claim-rows 10000                 the dispatcher's claim statement with that many open rows
set -euo pipefail
cd "$(dirname "$0")"
LOG_PREFIX=bench
source scripts/services.sh
dotnet_check
trap services_down EXIT

harness_services_up "avatar-bench"

mkdir -p .run
dotnet build Worker.sln -c Release -nologo -v quiet >.run/build.log 2>&1 || { cat .run/build.log >&2; exit 1; }
dotnet perf/Avatar.Benchmarks/bin/Release/net10.0/Avatar.Benchmarks.dll "$@"
