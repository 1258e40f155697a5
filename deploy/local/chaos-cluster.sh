#!/usr/bin/env bash
# `make chaos CLUSTER=1`: the chaos run against a cluster of containers (three RabbitMQ nodes with quorum
# queues, PostgreSQL with a synchronous standby under pg_auto_failover), with the cluster's faults.
#
#   deploy/local/chaos-cluster.sh [Accountability.Chaos arguments, e.g. --quick]
#
# Starts a Docker engine if none answers (deploy/docker/engine.sh start), builds the server images if missing
# or stale (deploy/images/build.sh rabbitmq pg-auto-failover), runs the harness with --cluster and, however the
# run ends, removes the run's containers (engine.sh cleanup, narrowed to this run's label). The exit status is
# the harness's: 0 pass, 1 a count above 0 or a fault not proven, 2 the harness failed. See docs/chaos.md.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd -P)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd -P)
ENGINE=$REPO/deploy/docker/engine.sh
IMAGES=$REPO/deploy/images/build.sh
CHAOS_DLL=$REPO/tests/Accountability.Chaos/bin/Release/net10.0/Accountability.Chaos.dll
cd "$REPO"

log() { printf '[chaos-cluster] %s\n' "$*" >&2; }

# The containers carry this mark (TestServers' labels), so the cleanup removes this run's and nobody else's.
export ACCOUNTABILITY_TEST_RUN="chaos-cluster-$$-$(date +%s)"
engine_up=0
cleanup() {
    if [ "$engine_up" = 1 ]; then
        log "removing this run's containers"
        "$ENGINE" cleanup || log "engine.sh cleanup failed: docker ps -a --filter label=org.accountability.test.run=$ACCOUNTABILITY_TEST_RUN"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# DOCKER_API_VERSION, TESTCONTAINERS_RYUK_DISABLED, TESTCONTAINERS_HOST_OVERRIDE for Testcontainers.
env_lines=$("$ENGINE" start) || { log "no Docker engine (deploy/docker/engine.sh start failed)"; exit 2; }
eval "$env_lines"
engine_up=1
"$IMAGES" rabbitmq pg-auto-failover >/dev/null || { log "deploy/images/build.sh rabbitmq pg-auto-failover failed"; exit 2; }
# The cluster's servers are the harness's own; names left in the environment would not be theirs.
unset ConnectionStrings__Accountability RabbitMq__Uri RabbitMq__ManagementUri

status=0
dotnet "$CHAOS_DLL" --cluster "$@" || status=$?
exit "$status"
