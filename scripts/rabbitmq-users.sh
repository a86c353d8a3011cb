#!/usr/bin/env bash
# Per-service RabbitMQ users for the worker's virtual host, so that a stray service cannot impersonate another:
#
#   scripts/rabbitmq-users.sh worker USER [VHOST]          the worker: its own queues, every Avatar exchange
#   scripts/rabbitmq-users.sh caller USER [VHOST]          a calling service: publishes the three commands, receives its
#                                                          own flows' events into its own queues, named "USER.<anything>"
#   scripts/rabbitmq-users.sh grant USER EVENT OWNER... [--vhost VHOST]
#                                                          lets a caller receive EVENT (for example AvatarAssetsApproved)
#                                                          of the flows OWNER opened too: a pipeline serving those callers
#   scripts/rabbitmq-users.sh show [VHOST]                 the permissions now set on the virtual host
#
# The password is read from standard input (one line), never from the command line, where `ps` would show it:
#   openssl rand -base64 24 | tee /run/secrets/video-pipeline-amqp | scripts/rabbitmq-users.sh caller video-pipeline avatar
# Running it again for an existing user sets the password and the permissions anew (and takes back its grants; grant
# them again). VHOST defaults to "/". RABBITMQCTL names the rabbitmqctl to use (default: rabbitmqctl), for example
#   RABBITMQCTL="docker compose exec -T rabbitmq rabbitmqctl" or RABBITMQCTL="scripts/rabbitmq-cluster.sh ctl".
#
# What each may do (RabbitMQ's configure / write / read permissions, by regular expression on the resource name):
# - worker: its queues and their _error and _skipped queues, the same-named exchanges MassTransit binds to them,
#   every Avatar.Contracts and Avatar.Worker message exchange, MassTransit's fault exchanges, its own bus queue; and
#   publishing to the default exchange, through which it answers a request to the requester's reply-to.
# - caller: declare (configure) the command, request and event exchanges; publish (write) only to the three command
#   exchanges and the request exchange (GetAvatarStatus, answered to its reply-to);
#   bind (read) only from the event exchanges, and there (topic permissions: each event exchange is a topic exchange
#   whose routing key is the flow's owner) only with its own name as the binding key; everything on its own "USER."
#   queues and exchanges, MassTransit's bus queue included (name it so: OverrideDefaultBusEndpointQueueName). It cannot
#   publish an event, so it cannot end another service's command; it cannot see another caller's events, nor read the
#   worker's queues or another caller's. A queue of its own that refuses messages (x-overflow=reject-publish) receives
#   only its own events, so it refuses only those (and the worker gives them up after Messaging:RefusalPatience).
#   Left open by RabbitMQ's model: configure on an exchange also allows deleting it (a nuisance the worker repairs when
#   it reconnects, not an impersonation).
set -euo pipefail

read -r -a CTL <<<"${RABBITMQCTL:-rabbitmqctl}"
ctl() { "${CTL[@]}" -q "$@"; }

COMMANDS='CreateAvatarSession|AvatarAuthCompleted|SubmitAvatarAssets'
# Requests the worker answers to the AMQP reply-to (RabbitMQ's direct reply-to, through the default exchange).
REQUESTS='GetAvatarStatus'
EVENTS='AvatarSessionCreated|AvatarSessionFailed|AvatarAuthVerified|AvatarAuthFailed|AvatarAssetsApproved|AvatarAssetsRejected|AvatarCommandRefused'
# As Avatar.Admin.Queues.WorkerQueues lists them; BrokerPermissionsTests fails when the two drift apart.
WORKER_QUEUES='create-avatar-session|avatar-auth-completed|submit-avatar-assets|get-avatar-status|poll-session|poll-submission'
# MassTransit's own temporary queue and exchange per bus instance: {host}_{process}_bus_{id}.
BUS='[^:]*_bus_[^:]*'

usage() { sed -n '2,13p' "$0" >&2; exit 2; }

# A JSON string holding $1.
json() {
  local text=${1//\\/\\\\}
  printf '"%s"' "${text//\"/\\\"}"
}

# A topic permission on one event exchange, as a definitions entry: no publishing, binding only with the keys given
# (owners' names).
topic() { # user vhost event keys...
  local user=$1 vhost=$2 event=$3 keys
  shift 3
  keys=$(IFS='|'; echo "$*")
  printf '{"user":%s,"vhost":%s,"exchange":%s,"write":"^$","read":%s}' \
    "$(json "$user")" "$(json "$vhost")" "$(json "Avatar.Contracts:$event")" "$(json "^($keys)\$")"
}

# The user with the password on standard input (its tags kept), its permissions and its topic permissions, in one
# rabbitmqctl call (each call starts an Erlang VM, about a second): a definitions document, piped from printf (a
# shell builtin), so the password is on no command line and in no file.
set_user() { # user vhost configure write read [topic permission entries, comma-separated]
  local user=$1 vhost=$2 configure=$3 write=$4 read=$5 topics=${6:-} password tags
  IFS= read -r password || true
  if [ -z "$password" ]; then
    echo "no password on standard input for $user" >&2
    exit 2
  fi

  tags=$(ctl list_users | awk -F'\t' -v user="$user" '$1 == user { gsub(/[][ ]/, "", $2); print $2 }')
  printf '{"users":[{"name":%s,"password":%s,"tags":%s}],"permissions":[{"user":%s,"vhost":%s,"configure":%s,"write":%s,"read":%s}],"topic_permissions":[%s]}' \
    "$(json "$user")" "$(json "$password")" "$(json "$tags")" "$(json "$user")" "$(json "$vhost")" \
    "$(json "$configure")" "$(json "$write")" "$(json "$read")" "$topics" | ctl import_definitions --format json >/dev/null
  echo "$user on $vhost: configure '$configure' write '$write' read '$read'"
}

case "${1:-}" in
  worker)
    [ $# -ge 2 ] || usage
    own="($WORKER_QUEUES)(_error|_skipped)?|Avatar\\.Contracts:.*|Avatar\\.Worker\\.[A-Za-z.]*:.*|MassTransit:.*|$BUS"
    # Answers to requests go to the requester's reply-to through the default exchange.
    set_user "$2" "${3:-/}" "^($own)\$" "^($own|amq\\.default)\$" "^($own)\$"
    ;;
  caller)
    [ $# -ge 2 ] || usage
    user=$2
    if ! [[ $user =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
      echo "a caller's name is lowercase letters, digits and '-' (it prefixes its queues): $user" >&2
      exit 2
    fi
    queues="$user\\.[^:]*"
    # Without a topic permission on an exchange RabbitMQ allows every binding key, so each event exchange gets one.
    topics=""
    for event in ${EVENTS//|/ }; do
      topics+="${topics:+,}$(topic "$user" "${3:-/}" "$event" "$user")"
    done
    set_user "$user" "${3:-/}" \
      "^($queues|Avatar\\.Contracts:($COMMANDS|$REQUESTS|$EVENTS)|MassTransit:Fault--.*)\$" \
      "^($queues|Avatar\\.Contracts:($COMMANDS|$REQUESTS)|MassTransit:Fault--.*)\$" \
      "^($queues|Avatar\\.Contracts:($EVENTS))\$" \
      "$topics"
    echo "$user on ${3:-/}: binds the event exchanges with the key '$user' only"
    ;;
  grant)
    [ $# -ge 4 ] || usage
    user=$2 event=$3
    shift 3
    vhost=/ owners=("$user")
    while [ $# -gt 0 ]; do
      case $1 in
        --vhost) vhost=$2; shift 2 ;;
        *) owners+=("$1"); shift ;;
      esac
    done
    if ! [[ "|$EVENTS|" == *"|$event|"* ]]; then
      echo "not an event: $event (one of ${EVENTS//|/, })" >&2
      exit 2
    fi
    for owner in "${owners[@]}"; do
      if ! [[ $owner =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
        echo "not a caller's name: $owner" >&2
        exit 2
      fi
    done
    printf '{"topic_permissions":[%s]}' "$(topic "$user" "$vhost" "$event" "${owners[@]}")" | ctl import_definitions --format json >/dev/null
    echo "$user on $vhost: binds $event with the keys ${owners[*]}"
    ;;
  show)
    ctl list_permissions -p "${2:-/}"
    ctl list_topic_permissions -p "${2:-/}"
    ;;
  *)
    usage
    ;;
esac
