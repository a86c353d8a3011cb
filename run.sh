#!/usr/bin/env bash
# The demo: brings up RabbitMQ and PostgreSQL, starts the xcompute simulator (unless XCompute__ApiKey is set, in
# which case the worker talks to the real xcompute at XCompute__BaseUrl) and the worker, then walks one session and
# two submissions through it and prints what the services around it would receive. Stops what it started.
#
#   ./run.sh                  the caller is src/Demo (.NET, MassTransit)
#   ./run.sh --client node    the caller is examples/node (Node.js, amqplib, the envelope by hand)
#   ./run.sh --no-build       runs what the last build of Worker.sln (Release) left, as ./test.sh does
set -euo pipefail
cd "$(dirname "$0")"
LOG_PREFIX=run
client=dotnet
build=true
while [ $# -gt 0 ]; do
  case "$1" in
    --client) client=${2:?--client takes dotnet or node}; shift 2 ;;
    --no-build) build=false; shift ;;
    *) sed -n '2,9p' "$0" >&2; exit 2 ;;
  esac
done
source scripts/services.sh
dotnet_check

run_dir=.run
mkdir -p "$run_dir"
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  services_down
  exit "$status"
}
trap cleanup EXIT

wait_for_line() { # file, text, seconds, what
  for _ in $(seq 1 "$3"); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 1
  done
  log "$4 did not start; its log, $1, ends with:"
  tail -n 30 "$1" >&2
  return 1
}

services_up
rabbitmq_fresh_vhost "avatar-demo"

if $build; then
  log "building"
  dotnet build Worker.sln -c Release -nologo -v quiet >"$run_dir/build.log" 2>&1 || { cat "$run_dir/build.log" >&2; exit 1; }
fi
bin() { echo "src/$1/bin/Release/net10.0/Avatar.$1.dll"; }

if [ -z "${XCompute__ApiKey:-}" ]; then
  port=${SIMULATOR_PORT:-5080}
  XCompute__ApiKey="sim-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  # The simulator listens on plain http, which the worker accepts only with this development switch.
  export XCompute__ApiKey XCompute__BaseUrl="http://127.0.0.1:$port" XCompute__AllowInsecureHttp=true
  log "starting the xcompute simulator on port $port (log: $run_dir/simulator.log)"
  Simulator__ApiKey=$XCompute__ApiKey Simulator__ReviewDuration=00:00:05 \
    dotnet "$(bin Simulator)" --urls "http://127.0.0.1:$port" >"$run_dir/simulator.log" 2>&1 &
  pids+=($!)
  wait_for_line "$run_dir/simulator.log" "Application started" 60 "The simulator"
  simulated=true
else
  log "XCompute__ApiKey is set: using xcompute at ${XCompute__BaseUrl:-https://xcompute.us}"
  simulated=false
fi

export ConnectionStrings__Avatar="${AVATAR_DB/Database=postgres/Database=avatar}"
export RabbitMq__Host=$AVATAR_AMQP_HOST RabbitMq__Port=$AVATAR_AMQP_PORT RabbitMq__VHost=$AVATAR_AMQP_VHOST
export RabbitMq__User=$AVATAR_AMQP_USER RabbitMq__Pass=$AVATAR_AMQP_PASS

# Byted tokens are stored sealed; the demo keeps its key beside its logs (a secret file, never on a command line).
if [ -z "${Avatar__TokenEncryption__KeysFile:-}${Avatar__TokenEncryption__Keys:-}" ]; then
  [ -s "$run_dir/token-keys" ] || (umask 077 && head -c 32 /dev/urandom | base64 >"$run_dir/token-keys")
  export Avatar__TokenEncryption__KeysFile="$run_dir/token-keys"
fi

log "starting the worker (log: $run_dir/worker.log)"
dotnet "$(bin Worker)" >"$run_dir/worker.log" 2>&1 &
pids+=($!)
wait_for_line "$run_dir/worker.log" "Application started" 120 "The worker"

echo
if [ "$client" = node ]; then
  log "installing the Node.js example's packages (npm ci)"
  (cd examples/node && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  vhost=$AVATAR_AMQP_VHOST
  [ "$vhost" = / ] && vhost=%2F
  AMQP_URL="amqp://$AVATAR_AMQP_USER:$AVATAR_AMQP_PASS@$AVATAR_AMQP_HOST:$AVATAR_AMQP_PORT/$vhost" AVATAR_SIMULATED=$simulated \
    node examples/node/index.mjs
else
  dotnet "$(bin Demo)" --Demo:SimulatorPlaysThePerson=$simulated
fi

echo
log "what ops see (avatar-admin status, with the worker's settings):"
dotnet src/Admin/bin/Release/net10.0/avatar-admin.dll status
