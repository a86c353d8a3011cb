#!/usr/bin/env bash
# A three-node RabbitMQ cluster on one machine, from Debian's rabbitmq-server package (as RabbitMQ's Clustering Guide
# describes for several nodes on one host): for ./chaos.sh --cluster and the cluster test in ./test.sh.
#
#   scripts/rabbitmq-cluster.sh up              start the three nodes (installing the package if missing) and join them
#   scripts/rabbitmq-cluster.sh down            stop them and delete their data
#   scripts/rabbitmq-cluster.sh status          exit 0 if all three nodes are running
#   scripts/rabbitmq-cluster.sh stop-node N     kill node N (1-3) at once (SIGKILL), as if its machine were lost
#   scripts/rabbitmq-cluster.sh start-node N    start node N again; it rejoins the cluster
#   scripts/rabbitmq-cluster.sh vhost NAME      create virtual host NAME anew (guest may use it)
#   scripts/rabbitmq-cluster.sh leader QUEUE [VHOST]   the number of the node that leads quorum queue QUEUE
#   scripts/rabbitmq-cluster.sh ctl ARGS...     rabbitmqctl against the cluster (node 1, or the first one running)
#   scripts/rabbitmq-cluster.sh lone up|down|status|ctl ARGS...   node 0, outside the cluster: a broker of their own for the
#                                               outage tests, which stop it while the other tests use the system's
#
# Node N is avatarN@localhost (0 to 3): AMQP on 5680+N, Erlang distribution on 25680+N, management on 15680+N, Prometheus
# metrics on 15690+N; data and logs under $AVATAR_CLUSTER_DIR (default .run/rabbitmq-cluster), one Erlang cookie for
# them all, distinct from the system node's. It leaves the system RabbitMQ (rabbit@$HOSTNAME, port 5672) alone.
# `up` prints the node list for RabbitMq__Nodes on its last line: nodes 127.0.0.1:5681,127.0.0.1:5682,127.0.0.1:5683
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_PREFIX=${LOG_PREFIX:-cluster}
source scripts/services.sh

NODES=(1 2 3)
DIR=${AVATAR_CLUSTER_DIR:-$PWD/.run/rabbitmq-cluster}
RABBIT_BIN=/usr/lib/rabbitmq/bin

node_name() { echo "avatar$1@localhost"; }
amqp_port() { echo $((5680 + $1)); }

# The environment one node runs in; rabbitmqctl gets the same, so it finds the node and its cookie.
node_env() {
  local n=$1 home=$DIR/node$1
  echo HOME="$DIR" \
    RABBITMQ_NODENAME="$(node_name "$n")" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$(amqp_port "$n")" \
    RABBITMQ_DIST_PORT=$((25680 + n)) \
    RABBITMQ_CONFIG_FILE="$home/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$home/advanced.config" \
    RABBITMQ_CONF_ENV_FILE="$home/rabbitmq-env.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$home/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$home/mnesia" \
    RABBITMQ_LOG_BASE="$home/log" \
    RABBITMQ_PID_FILE="$home/rabbit.pid" \
    ERL_CRASH_DUMP="$DIR/erl_crash.dump"
}

on_node() { # n, command...
  local n=$1
  shift
  env $(node_env "$n") "$@"
}

ctl() { # n, rabbitmqctl arguments...
  local n=$1
  shift
  on_node "$n" timeout 60 "$RABBIT_BIN/rabbitmqctl" -n "$(node_name "$n")" "$@"
}

running() { ctl "$1" -q ping >/dev/null 2>&1; }

# Writes the configuration of the nodes given (the cluster's by default), so that the lone node and the cluster can be
# brought up side by side.
prepare() { # [node...]
  command -v rabbitmq-server >/dev/null 2>&1 || apt_install rabbitmq-server
  mkdir -p "$DIR"
  if [ ! -s "$DIR/.erlang.cookie" ]; then
    # A local test cluster's cookie: random per machine, never committed. Written whole, once: of two writers at once,
    # the second finds the first's (noclobber).
    local cookie
    cookie=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)
    (set -C; printf '%s' "$cookie" >"$DIR/.erlang.cookie") 2>/dev/null || true
  fi
  chmod 400 "$DIR/.erlang.cookie"
  local n home nodes=("$@")
  [ ${#nodes[@]} -gt 0 ] || nodes=("${NODES[@]}")
  for n in "${nodes[@]}"; do
    home=$DIR/node$n
    mkdir -p "$home/mnesia" "$home/log"
    : >"$home/rabbitmq-env.conf"
    # The lone node has no plugins, so it starts sooner.
    if [ "$n" = 0 ]; then echo "[]."; else echo "[rabbitmq_management,rabbitmq_prometheus]."; fi >"$home/enabled_plugins"
    cat >"$home/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$(amqp_port "$n")
management.tcp.port = $((15680 + n))
management.tcp.ip = 127.0.0.1
prometheus.tcp.port = $((15690 + n))
prometheus.tcp.ip = 127.0.0.1
EOF
    [ "$n" = 0 ] || cat >>"$home/rabbitmq.conf" <<EOF
cluster_formation.peer_discovery_backend = classic_config
cluster_formation.classic_config.nodes.1 = $(node_name 1)
cluster_formation.classic_config.nodes.2 = $(node_name 2)
cluster_formation.classic_config.nodes.3 = $(node_name 3)
EOF
  done
}

start_node() {
  local n=$1
  if running "$n"; then
    return 0
  fi
  log "starting $(node_name "$n") (AMQP $(amqp_port "$n"))"
  on_node "$n" nohup "$RABBIT_BIN/rabbitmq-server" >>"$DIR/node$n/log/console.log" 2>&1 &
  local pid=$! _
  # The node registers with epmd a moment after it starts; only then can rabbitmqctl wait for its boot to finish.
  for _ in $(seq 1 60); do
    running "$n" && break
    kill -0 "$pid" 2>/dev/null || { log "$(node_name "$n") did not start; see $DIR/node$n/log"; tail -5 "$DIR/node$n/log/console.log" >&2; return 1; }
    sleep 1
  done
  ctl "$n" -q await_startup >/dev/null
}

# A lost machine does not shut down gracefully: no connection is closed and no queue leader hands over; the other nodes
# notice the node gone and elect new leaders, clients notice their connection gone and move to another node. (A
# graceful stop instead keeps the leaders on the stopping node answering, and refusing publishes, while it winds down.)
kill_node() {
  local n=$1 pid
  pid=$(cat "$DIR/node$n/rabbit.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    log "killing $(node_name "$n") (pid $pid)"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
}

up() {
  prepare
  # Node 1 first; then 2 and 3 side by side, which find it through the peer list in their configuration and join it
  # on their first boot. A node that did not (it had booted alone before) is joined by hand.
  start_node 1
  local n pids=()
  for n in 2 3; do
    start_node "$n" &
    pids+=($!)
  done
  for n in "${pids[@]}"; do wait "$n"; done
  for n in 2 3; do
    if ! ctl 1 -q cluster_status --formatter json 2>/dev/null | grep -q "\"$(node_name "$n")\""; then
      log "joining $(node_name "$n") to $(node_name 1)"
      {
        ctl "$n" -q stop_app && ctl "$n" -q reset && ctl "$n" -q join_cluster "$(node_name 1)" && ctl "$n" -q start_app
      } >>"$DIR/node$n/log/join.log" 2>&1 || { log "could not join; see $DIR/node$n/log/join.log"; return 1; }
    fi
  done
  local nodes=()
  for n in "${NODES[@]}"; do nodes+=("127.0.0.1:$(amqp_port "$n")"); done
  echo "nodes $(IFS=,; echo "${nodes[*]}")"
}

# Its data goes too, so there is nothing to shut down gracefully.
down() {
  local n
  for n in 3 2 1 0; do
    [ -d "$DIR/node$n" ] && kill_node "$n"
  done
  rm -rf "$DIR"
}

# The first running node, to ask about the cluster.
any_node() {
  local n
  for n in "${NODES[@]}"; do
    running "$n" && { echo "$n"; return 0; }
  done
  log "no node of the cluster is running"
  return 1
}

vhost() {
  local name=$1 n
  n=$(any_node)
  ctl "$n" -q delete_vhost "$name" >/dev/null 2>&1 || true
  ctl "$n" -q add_vhost "$name" >/dev/null
  ctl "$n" -q set_permissions -p "$name" guest '.*' '.*' '.*' >/dev/null
}

leader() {
  local queue=$1 vhost=${2:-/} name
  name=$(ctl "$(any_node)" -q list_queues -p "$vhost" name leader --formatter json | tr -d '\n' |
    grep -o "{\"name\":\"$queue\",\"leader\":\"[^\"]*\"}" | grep -o 'avatar[0-9]*@localhost' || true)
  [ -n "$name" ] || { log "no quorum queue $queue with a leader"; return 1; }
  echo "${name//[!0-9]/}"
}

node_number() {
  [[ "${1:-}" =~ ^[123]$ ]] || { log "a node number, 1 to 3, is required"; exit 2; }
}

# Node 0 alone: started if not running; down kills it and deletes its data.
lone() {
  case "${1:-}" in
    up) prepare 0; start_node 0; echo "nodes 127.0.0.1:$(amqp_port 0)" ;;
    down) [ -d "$DIR/node0" ] && kill_node 0; rm -rf "$DIR/node0" ;;
    status) running 0 ;;
    ctl) shift; ctl 0 "$@" ;;
    *) log "lone up|down|status|ctl ARGS..."; exit 2 ;;
  esac
}

case "${1:-}" in
  up) up ;;
  lone) shift; lone "$@" ;;
  down) down ;;
  status) for n in "${NODES[@]}"; do running "$n" || exit 1; done ;;
  stop-node) node_number "${2:-}"; kill_node "$2" ;;
  start-node) node_number "${2:-}"; prepare "$2"; start_node "$2" ;;
  vhost) vhost "${2:?a virtual host name is required}" ;;
  leader) leader "${2:?a queue name is required}" "${3:-/}" ;;
  ctl) shift; ctl "$(any_node)" "$@" ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
