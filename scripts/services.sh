#!/usr/bin/env bash
# Brings up RabbitMQ and PostgreSQL for the demo and the tests, and stops what it started.
# Sourced by run.sh and test.sh:   source scripts/services.sh; services_up; ...; services_down
#
# With a Docker engine: the rabbitmq and postgres services of docker-compose.yml.
# Without one: Debian's rabbitmq-server and postgresql packages, installed if missing, started in place.
# Either way it exports AVATAR_DB (an admin-capable connection string without a database) and AVATAR_AMQP_*.

SERVICES_STARTED=()

log() { printf '[%s] %s\n' "${LOG_PREFIX:-services}" "$*" >&2; }

docker_available() {
  command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1
}

apt_install() {
  log "installing $* from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "${SERVICES_APT_UPDATED:-}" ]; then
    apt-get update -qq >/dev/null
    SERVICES_APT_UPDATED=1
  fi
  apt-get install -y -qq "$@" >/dev/null
}

# Prometheus and promtool (for the alert rules and the scrape test), from Debian's package; its service is not started.
prometheus_tools() {
  command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 && return 0
  local had_policy=false
  [ -e /usr/sbin/policy-rc.d ] && had_policy=true
  $had_policy || printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  apt_install prometheus
  $had_policy || rm -f /usr/sbin/policy-rc.d
}

postgres_cluster() {
  # Prints "version name status" of the first cluster.
  pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1, $2, $4}'
}

debian_postgres_up() {
  command -v pg_lsclusters >/dev/null 2>&1 && [ -n "$(postgres_cluster)" ] || apt_install postgresql
  read -r version name status <<<"$(postgres_cluster)"
  if [ "$status" != "online" ]; then
    log "starting PostgreSQL $version/$name"
    pg_ctlcluster "$version" "$name" start
    SERVICES_STARTED+=("pg_ctlcluster $version $name stop")
  fi
  local port
  port=$(pg_conftool -s "$version" "$name" show port 2>/dev/null || echo 5432)
  for _ in $(seq 1 30); do
    runuser -u postgres -- pg_isready -q -p "$port" && break
    sleep 1
  done
  # A login that may create the per-run test databases. Local throwaway credentials, not a secret.
  runuser -u postgres -- psql -q -p "$port" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'avatar') THEN
    CREATE ROLE avatar LOGIN CREATEDB PASSWORD 'avatar';
  END IF;
END $$;
SQL
  export AVATAR_DB="Host=127.0.0.1;Port=$port;Username=avatar;Password=avatar;Database=postgres"
  # What the outage tests and ./chaos.sh stop and start: pg_ctlcluster <version> <name> stop|start.
  export AVATAR_PG_CLUSTER="$version $name"
}

debian_rabbitmq_up() {
  command -v rabbitmq-server >/dev/null 2>&1 || apt_install rabbitmq-server
  if ! timeout 20 rabbitmqctl -q status >/dev/null 2>&1; then
    log "starting RabbitMQ"
    service rabbitmq-server start >/dev/null 2>&1 || rabbitmq-server -detached
    SERVICES_STARTED+=("service rabbitmq-server stop")
  fi
  timeout 120 rabbitmqctl -q await_startup >/dev/null
  export AVATAR_AMQP_HOST=127.0.0.1 AVATAR_AMQP_PORT=5672 AVATAR_AMQP_USER=guest AVATAR_AMQP_PASS=guest
}

# Creates (anew) a RabbitMQ virtual host, so a run never sees another run's leftover messages.
rabbitmq_fresh_vhost() {
  local vhost=$1
  if [ "${SERVICES_MODE:-}" = docker ]; then
    docker compose exec -T rabbitmq rabbitmqctl -q delete_vhost "$vhost" >/dev/null 2>&1 || true
    docker compose exec -T rabbitmq rabbitmqctl -q add_vhost "$vhost" >/dev/null
    docker compose exec -T rabbitmq rabbitmqctl -q set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null
  else
    rabbitmqctl -q delete_vhost "$vhost" >/dev/null 2>&1 || true
    rabbitmqctl -q add_vhost "$vhost" >/dev/null
    rabbitmqctl -q set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null
  fi
  export AVATAR_AMQP_VHOST=$vhost
}

services_up() {
  if docker_available && docker compose version >/dev/null 2>&1; then
    SERVICES_MODE=docker
    log "Docker engine found: starting rabbitmq and postgres from docker-compose.yml"
    docker compose up -d --wait rabbitmq postgres >&2
    SERVICES_STARTED+=("docker compose stop rabbitmq postgres")
    export AVATAR_DB="Host=127.0.0.1;Port=5432;Username=avatar;Password=avatar;Database=postgres"
    export AVATAR_AMQP_HOST=127.0.0.1 AVATAR_AMQP_PORT=5672 AVATAR_AMQP_USER=guest AVATAR_AMQP_PASS=guest
  else
    SERVICES_MODE=debian
    log "no Docker engine: using Debian's packages"
    debian_postgres_up
    debian_rabbitmq_up
  fi
}

# For the .NET harness (tests, benchmark, chaos run): with a Docker engine it starts containers itself through
# Testcontainers; otherwise the services come up here, with a fresh virtual host named $1.
harness_services_up() {
  if docker_available; then
    log "Docker engine found: the harness starts RabbitMQ and PostgreSQL through Testcontainers"
    unset AVATAR_DB
  else
    services_up
    rabbitmq_fresh_vhost "$1"
  fi
}

services_down() {
  local i
  for ((i = ${#SERVICES_STARTED[@]} - 1; i >= 0; i--)); do
    log "stopping: ${SERVICES_STARTED[$i]}"
    ${SERVICES_STARTED[$i]} >/dev/null 2>&1 || true
  done
  SERVICES_STARTED=()
}

# Ensures the .NET SDK the repository pins (global.json) is on PATH.
dotnet_check() {
  if ! command -v dotnet >/dev/null 2>&1; then
    log "the .NET 10 SDK is required (dotnet not found on PATH)"
    return 1
  fi
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}
