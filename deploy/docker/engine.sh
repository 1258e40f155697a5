#!/usr/bin/env bash
# A Docker engine for the images, Testcontainers and `make compose-check`.
#
#   deploy/docker/engine.sh <command>
#
# Commands:
#   start     use the engine that answers `docker info`; otherwise install Debian's docker.io when
#             dockerd is missing (root, apt-get), start dockerd in the background and wait for it.
#             Then print the environment (export lines) that test code needs.
#   env       print that environment without starting anything (the engine must answer)
#   status    say whether an engine answers, and whether this checkout started it; exit 1 if none
#   cleanup   remove every container (and its volumes) labelled org.accountability.test=true or
#             belonging to the compose project of `make compose-check`, and their networks. With
#             ACCOUNTABILITY_TEST_RUN set (deploy/local/test.sh), only that run's test containers and
#             networks (label org.accountability.test.run), so a parallel run in another checkout keeps its own
#   stop      cleanup, then stop dockerd, but only a dockerd this script started
#
# Only `export NAME=value` lines go to stdout; progress goes to stderr. dockerd's log and pid file
# are under <repo>/.state/docker/.
set -euo pipefail

SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
REPO=$(cd "$(dirname "$SCRIPT_PATH")/../.." && pwd -P)
STATE=$REPO/.state/docker
PID_FILE=$STATE/dockerd.pid
LOG_FILE=$STATE/dockerd.log
# dockerd is one per machine, so is the lock that serialises starting it.
LOCK_FILE=/run/lock/accountability-docker-engine.lock
READY_TIMEOUT=${ACCOUNTABILITY_DOCKER_TIMEOUT:-90}

# Containers that tests and compose-check start carry these labels; `cleanup` removes them.
TEST_LABEL=org.accountability.test=true
# Set by tests/Accountability.TestSupport/TestServers.cs to $ACCOUNTABILITY_TEST_RUN.
RUN_LABEL=org.accountability.test.run
COMPOSE_PROJECT=${ACCOUNTABILITY_COMPOSE_PROJECT:-accountability-check}

log() { printf '[engine %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf '[engine] error: %s\n' "$*" >&2; exit 1; }
usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$SCRIPT_PATH" >&2
    exit 2
}

[ $# -eq 1 ] || usage
COMMAND=$1
case $COMMAND in start|env|status|cleanup|stop) ;; -h|--help|help) usage ;; *) log "unknown command: $COMMAND"; usage ;; esac

# Prefer Debian's client when present: it speaks the engine's own API version without warnings.
if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi

engine_answers() { command -v "$DOCKER" >/dev/null 2>&1 && timeout 10 "$DOCKER" info >/dev/null 2>&1; }

# shellcheck source=../lib/process.sh
source "$REPO/deploy/lib/process.sh"

# The dockerd this checkout started, if it still runs (guarding against a recycled pid).
our_dockerd() {
    local pid
    [ -s "$PID_FILE" ] || return 0
    pid=$(tr -dc '0-9' < "$PID_FILE")
    pid_alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && echo "$pid"
    return 0
}

apt_install() {
    [ "$(id -u)" = 0 ] || die "$* missing; install as root: apt-get install -y --no-install-recommends $*"
    command -v apt-get >/dev/null 2>&1 || die "$* missing and no apt-get to install it"
    log "installing $* (apt-get)"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
        || { DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"; }
    } >&2 || die "apt-get install $* failed"
}

start_dockerd() {
    command -v dockerd >/dev/null 2>&1 || apt_install docker.io
    [ -x /usr/bin/docker ] && DOCKER=/usr/bin/docker
    [ "$(id -u)" = 0 ] || die "no Docker engine answers, and starting dockerd needs root"
    mkdir -p "$STATE"
    if [ -S /var/run/docker.sock ] && pgrep -x dockerd >/dev/null 2>&1; then
        # Someone else's dockerd that does not answer yet: wait for it rather than start a second one.
        log "a dockerd runs but does not answer yet; waiting for it"
    else
        log "starting dockerd (log: $LOG_FILE)"
        printf '\n===== %s dockerd starting =====\n' "$(date -Is)" >> "$LOG_FILE"
        # A session of its own, so Ctrl-C in the caller's terminal leaves the engine running. No systemd
        # here: dockerd starts its own containerd.
        ( exec setsid nohup dockerd </dev/null >>"$LOG_FILE" 2>&1 9>&- ) &
        echo $! > "$PID_FILE"
    fi
    local deadline=$((SECONDS + READY_TIMEOUT)) pid
    pid=$(our_dockerd)
    until engine_answers; do
        if [ -s "$PID_FILE" ] && [ -z "$(our_dockerd)" ] && [ -n "$pid" ]; then
            tail -n 20 "$LOG_FILE" >&2 || true
            die "dockerd exited at start (log: $LOG_FILE)"
        fi
        [ $SECONDS -lt $deadline ] || { tail -n 20 "$LOG_FILE" >&2 || true; die "dockerd did not answer within ${READY_TIMEOUT}s (log: $LOG_FILE)"; }
        sleep 0.5
    done
    log "dockerd ready (pid ${pid:-?}) after $((SECONDS - deadline + READY_TIMEOUT)) s"
}

print_env() {
    local api
    api=$(timeout 10 "$DOCKER" version --format '{{.Server.APIVersion}}' 2>/dev/null) || die "the engine does not answer"
    # Testcontainers 4.16 asks for API 1.44; an older engine (Debian's 20.10 speaks 1.41) refuses that,
    # so the client must be told to speak the engine's version.
    if [ "$(printf '%s\n' "$api" 1.44 | sort -V | head -n1)" != 1.44 ]; then
        echo "export DOCKER_API_VERSION=$api"
    fi
    # Ryuk's image cannot be pulled here; `cleanup` removes the labelled containers instead.
    echo "export TESTCONTAINERS_RYUK_DISABLED=true"
    # A local engine publishes ports on loopback; without this, Testcontainers sees /.dockerenv and
    # hands out the bridge gateway, which also works but is not what a reader expects.
    case ${DOCKER_HOST:-unix://} in unix://*) echo "export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1" ;; esac
    echo "export ACCOUNTABILITY_TEST_LABEL=$TEST_LABEL"
}

# Removes containers and their volumes. A test host removes its own containers as it exits, so some
# may already be going ("removal ... already in progress"): what counts is that none is left after.
remove_containers() {
    local left i
    # shellcheck disable=SC2068
    "$DOCKER" rm -f -v $@ >/dev/null 2>&1 || true
    for i in $(seq 1 30); do
        # shellcheck disable=SC2068
        left=$("$DOCKER" ps -aq --no-trunc $(printf -- '--filter id=%s ' $@) 2>/dev/null || true)
        [ -z "$left" ] && return 0
        sleep 1
    done
    log "containers still present after removal: $(tr '\n' ' ' <<<"$left")"
    return 1
}

cmd_cleanup() {
    engine_answers || { log "no engine answers: nothing to clean up"; return 0; }
    local ids nets
    if [ -n "${ACCOUNTABILITY_TEST_RUN:-}" ]; then
        ids=$("$DOCKER" ps -aq --filter "label=$TEST_LABEL" --filter "label=$RUN_LABEL=$ACCOUNTABILITY_TEST_RUN")
        if [ -n "$ids" ]; then
            log "removing $(wc -l <<<"$ids") container(s) of test run $ACCOUNTABILITY_TEST_RUN with their volumes"
            # shellcheck disable=SC2086
            remove_containers $ids || return 1
        fi
        # Networks of the run (tests/Accountability.TestSupport/RabbitMqCluster.cs), once their containers are gone.
        nets=$("$DOCKER" network ls -q --filter "label=$TEST_LABEL" --filter "label=$RUN_LABEL=$ACCOUNTABILITY_TEST_RUN")
        # shellcheck disable=SC2086
        [ -z "$nets" ] || "$DOCKER" network rm $nets >/dev/null || log "some networks of test run $ACCOUNTABILITY_TEST_RUN are still in use"
        return 0
    fi
    ids=$( { "$DOCKER" ps -aq --filter "label=$TEST_LABEL"
             "$DOCKER" ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT"; } | sort -u)
    if [ -n "$ids" ]; then
        log "removing $(wc -l <<<"$ids") container(s) with their volumes"
        # shellcheck disable=SC2086
        remove_containers $ids || return 1
    fi
    nets=$( { "$DOCKER" network ls -q --filter "label=$TEST_LABEL"
              "$DOCKER" network ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT"; } | sort -u)
    if [ -n "$nets" ]; then
        # shellcheck disable=SC2086
        "$DOCKER" network rm $nets >/dev/null || log "some networks are still in use"
    fi
    local vols
    vols=$("$DOCKER" volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT")
    # shellcheck disable=SC2086
    [ -z "$vols" ] || "$DOCKER" volume rm $vols >/dev/null || true
    return 0
}

cmd_stop() {
    local pid i
    pid=$(our_dockerd)
    if [ -z "$pid" ]; then
        log "no dockerd started by this checkout runs; leaving the engine alone"
        rm -f "$PID_FILE"
        return 0
    fi
    cmd_cleanup
    log "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    # dockerd stops its containers and its containerd first; give it time.
    for ((i = 0; i < 300; i++)); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then log "dockerd ignored TERM for 30 s; killing it"; kill -KILL "$pid" || true; fi
    rm -f "$PID_FILE"
}

case $COMMAND in
    start)
        if engine_answers; then
            log "using the running engine ($("$DOCKER" version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null))"
        else
            exec 9>>"$LOCK_FILE"
            flock -w 300 9 || die "another engine.sh holds $LOCK_FILE"
            engine_answers || start_dockerd
        fi
        print_env ;;
    env) print_env ;;
    status)
        if engine_answers; then
            pid=$(our_dockerd)
            echo "engine: answers ($("$DOCKER" version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}'))${pid:+, dockerd pid $pid started by this checkout}"
        else
            echo "engine: none answers"; exit 1
        fi ;;
    cleanup) cmd_cleanup ;;
    stop) cmd_stop ;;
esac
