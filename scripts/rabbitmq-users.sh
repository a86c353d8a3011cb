#!/usr/bin/env bash
# Per-service RabbitMQ users for the worker's virtual host, so that a stray service cannot impersonate another:
#
#   scripts/rabbitmq-users.sh worker USER [VHOST]          the worker: its own queues, every Avatar exchange
#   scripts/rabbitmq-users.sh caller USER [VHOST]          a calling service: publishes the three commands, reads the
#                                                          events into its own queues, named "USER.<anything>"
#   scripts/rabbitmq-users.sh show [VHOST]                 the permissions now set on the virtual host
#
# The password is read from standard input (one line), never from the command line, where `ps` would show it:
#   openssl rand -base64 24 | tee /run/secrets/video-pipeline-amqp | scripts/rabbitmq-users.sh caller video-pipeline avatar
# Running it again for an existing user sets the password and the permissions anew. VHOST defaults to "/".
# RABBITMQCTL names the rabbitmqctl to use (default: rabbitmqctl), for example
#   RABBITMQCTL="docker compose exec -T rabbitmq rabbitmqctl" or RABBITMQCTL="scripts/rabbitmq-cluster.sh ctl".
#
# What each may do (RabbitMQ's configure / write / read permissions, by regular expression on the resource name):
# - worker: its queues and their _error and _skipped queues, the same-named exchanges MassTransit binds to them,
#   every Avatar.Contracts and Avatar.Worker message exchange, MassTransit's fault exchanges, its own bus queue.
# - caller: declare (configure) the command and event exchanges; publish (write) only to the three command exchanges;
#   bind (read) only from the event exchanges; everything on its own "USER." queues and its own bus queue. It cannot
#   publish an event, so it cannot end another service's command; it cannot read the worker's queues or another
#   caller's. Left open by RabbitMQ's model: configure on an exchange also allows deleting it (a nuisance the worker
#   repairs when it reconnects, not an impersonation).
set -euo pipefail

read -r -a CTL <<<"${RABBITMQCTL:-rabbitmqctl}"
ctl() { "${CTL[@]}" -q "$@"; }

COMMANDS='CreateAvatarSession|AvatarAuthCompleted|SubmitAvatarAssets'
EVENTS='AvatarSessionCreated|AvatarSessionFailed|AvatarAuthVerified|AvatarAuthFailed|AvatarAssetsApproved|AvatarAssetsRejected|AvatarCommandRefused'
# As Avatar.Admin.Queues.WorkerQueues lists them; BrokerPermissionsTests fails when the two drift apart.
WORKER_QUEUES='create-avatar-session|avatar-auth-completed|submit-avatar-assets|poll-session|poll-submission'
# MassTransit's own temporary queue and exchange per bus instance: {host}_{process}_bus_{id}.
BUS='[^:]*_bus_[^:]*'

usage() { sed -n '2,9p' "$0" >&2; exit 2; }

set_user() {
  local user=$1 vhost=$2 configure=$3 write=$4 read=$5 password
  IFS= read -r password || true
  if [ -z "$password" ]; then
    echo "no password on standard input for $user" >&2
    exit 2
  fi

  if ctl list_users | awk '{print $1}' | grep -qxF -- "$user"; then
    printf '%s\n' "$password" | ctl change_password "$user" >/dev/null
  else
    printf '%s\n' "$password" | ctl add_user "$user" >/dev/null
  fi
  ctl set_permissions -p "$vhost" "$user" "$configure" "$write" "$read" >/dev/null
  echo "$user on $vhost: configure '$configure' write '$write' read '$read'"
}

case "${1:-}" in
  worker)
    [ $# -ge 2 ] || usage
    own="^(($WORKER_QUEUES)(_error|_skipped)?|Avatar\\.Contracts:.*|Avatar\\.Worker\\.[A-Za-z.]*:.*|MassTransit:.*|$BUS)\$"
    set_user "$2" "${3:-/}" "$own" "$own" "$own"
    ;;
  caller)
    [ $# -ge 2 ] || usage
    user=$2
    if ! [[ $user =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
      echo "a caller's name is lowercase letters, digits and '-' (it prefixes its queues): $user" >&2
      exit 2
    fi
    queues="$user\\.[^:]*"
    set_user "$user" "${3:-/}" \
      "^($queues|$BUS|Avatar\\.Contracts:($COMMANDS|$EVENTS)|MassTransit:Fault--.*)\$" \
      "^($queues|$BUS|Avatar\\.Contracts:($COMMANDS)|MassTransit:Fault--.*)\$" \
      "^($queues|$BUS|Avatar\\.Contracts:($EVENTS))\$"
    ;;
  show)
    ctl list_permissions -p "${2:-/}"
    ;;
  *)
    usage
    ;;
esac
