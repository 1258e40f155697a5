#!/usr/bin/env bash
# `make compose-check`: docker-compose.yml, run for real with the images built here.
#
#   deploy/docker/compose-check.sh
#
# Starts a Docker engine if none answers (engine.sh), builds what is missing of the images (build.sh),
# brings up PostgreSQL, RabbitMQ, the mail sink, the five services and the console as compose project
# "accountability-check" on ports 27xxx (never those of `make up`, `make test`, `make bench` or
# `make chaos`, and below Linux's ephemeral range), files a complaint through intake's API, and waits until the case is owned by a person,
# the complainant's receipt has reached the mail sink and the case is in the audit trail. Then it brings
# everything down (`down -v`), whatever happened. The last line says PASS or FAIL; exit status 0 on PASS.
# Files: .state/compose-check/ (keys, and compose.log with every container's output after a failure).
set -euo pipefail

SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
REPO=$(cd "$(dirname "$SCRIPT_PATH")/../.." && pwd -P)
STATE=$REPO/.state/compose-check
PROJECT=${ACCOUNTABILITY_COMPOSE_PROJECT:-accountability-check}
READY_TIMEOUT=${ACCOUNTABILITY_READY_TIMEOUT:-240}
FLOW_TIMEOUT=${ACCOUNTABILITY_FLOW_TIMEOUT:-120}

log() { printf '[compose-check %s] %s\n' "$(date +%T)" "$*" >&2; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$SCRIPT_PATH" >&2; exit 2; }
case ${1:-} in
    "") ;;
    -h|--help) usage ;;
    *) log "unknown argument: $1 (this script takes none)"; usage ;;
esac

FAILURE=
T0=$SECONDS
fail() { FAILURE=$*; exit 1; }
COMPOSE_STARTED=0
RESULT=

# ---------------------------------------------------------------- teardown, whatever happened

teardown() {
    local rc=$?
    trap - EXIT INT TERM HUP
    set +e
    if [ -n "$FAILURE" ] || [ "$rc" -ne 0 ]; then
        [ -n "$FAILURE" ] || FAILURE="exit status $rc"
        if [ "${COMPOSE_STARTED:-0}" = 1 ]; then
            "${COMPOSE[@]}" ps >&2
            "${COMPOSE[@]}" logs --no-color > "$STATE/compose.log" 2>&1
            log "last lines of every container (all of them: $STATE/compose.log):"
            "${COMPOSE[@]}" logs --no-color --tail 15 >&2 2>&1
        fi
    fi
    if [ "${COMPOSE_STARTED:-0}" = 1 ]; then
        log "bringing everything down (down -v)"
        "${COMPOSE[@]}" down -v --remove-orphans -t 10 >&2 2>&1 || log "compose down failed; deploy/docker/engine.sh cleanup removes what is left"
    fi
    if [ -z "$FAILURE" ]; then
        echo "compose-check: PASS: $RESULT ($((SECONDS - T0)) s)"
        exit 0
    fi
    echo "compose-check: FAIL: $FAILURE ($((SECONDS - T0)) s)"
    exit 1
}
trap teardown EXIT
trap 'FAILURE=interrupted; exit 130' INT TERM HUP


# Ports of their own: make up uses 55xxx and 5100-5105, make test 56xxx, bench 58xxx, chaos 29xxx.
# Below Linux's ephemeral range (32768-60999): on 57xxx an outgoing connection was once given 57672 just
# before `up`, and docker-proxy's bind failed ("address already in use"), also over the TIME-WAIT it left.
export CONSOLE_PORT=27100 INTAKE_PORT=27101 ASSIGNMENT_PORT=27102 ESCALATION_PORT=27103 \
    NOTIFICATION_PORT=27104 AUDIT_PORT=27105 POSTGRES_PORT=27432 RABBITMQ_PORT=27672 \
    RABBITMQ_MANAGEMENT_PORT=27673 MAIL_UI_PORT=27025
declare -A PORTS=([console]=$CONSOLE_PORT [intake]=$INTAKE_PORT [assignment]=$ASSIGNMENT_PORT
    [escalation]=$ESCALATION_PORT [notification]=$NOTIFICATION_PORT [audit]=$AUDIT_PORT)
HOSTS=(intake assignment escalation notification audit console)
# No Jaeger here (it cannot be built without a registry): the exporter stays off.
export ACCOUNTABILITY_OTLP_ENDPOINT=

mkdir -p "$STATE"
cd "$REPO"

# ---------------------------------------------------------------- engine, images, compose

env_lines=$(deploy/docker/engine.sh start) || fail "no Docker engine (deploy/docker/engine.sh start failed)"
eval "$env_lines"
if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
image_lines=$(deploy/images/build.sh) || fail "the images did not build (deploy/images/build.sh)"
eval "$image_lines"

# `docker compose` (v2) when the client has it, else Debian's docker-compose (v1), installed if missing.
if "$DOCKER" compose version >/dev/null 2>&1; then
    COMPOSE=("$DOCKER" compose)
else
    if ! command -v docker-compose >/dev/null 2>&1; then
        [ "$(id -u)" = 0 ] || fail "neither docker compose nor docker-compose is installed (apt-get install docker-compose, as root)"
        log "installing docker-compose (apt-get)"
        { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker-compose \
            || { DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker-compose; }
        } >&2 || fail "apt-get install docker-compose failed"
    fi
    COMPOSE=(docker-compose)
fi
COMPOSE+=(-p "$PROJECT" -f "$REPO/docker-compose.yml")
log "compose: ${COMPOSE[*]}"

# Tokens come from the project's own tool, built beside the images (never in the tree's bin/ and obj/),
# while the containers start.
log "building tools/Accountability.DevToken (in the background)"
export MSBUILDTERMINALLOGGER=off DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build tools/Accountability.DevToken -c Release --artifacts-path "$REPO/.state/images/artifacts" \
    -nologo -v quiet -clp:ErrorsOnly >"$STATE/devtoken-build.log" 2>&1 &
DEVTOKEN_BUILD=$!
DEVTOKEN=$REPO/.state/images/artifacts/bin/Accountability.DevToken/release/Accountability.DevToken.dll

# Fresh secrets for every run.
(umask 077 && head -c 48 /dev/urandom | base64 -w0 > "$STATE/signing-key")
ACCOUNTABILITY_SIGNING_KEY=$(cat "$STATE/signing-key")
ACCOUNTABILITY_PRIVACY_KEY=$(head -c 32 /dev/urandom | base64 -w0)
export ACCOUNTABILITY_SIGNING_KEY ACCOUNTABILITY_PRIVACY_KEY

token() { dotnet "$DEVTOKEN" --role "$1" --key-file "$STATE/signing-key" --directory deploy/org/directory.json 2>/dev/null; }

# Left over from a run that was killed: start clean.
COMPOSE_STARTED=1
"${COMPOSE[@]}" down -v --remove-orphans -t 5 >/dev/null 2>&1 || true

# ---------------------------------------------------------------- up

log "up: postgres ($POSTGRES_IMAGE), rabbitmq ($RABBITMQ_IMAGE), mail ($SMTP_IMAGE), the five services and the console"
# A host port can still be held by another program's socket, or by a connection that closed and waits out
# TIME-WAIT (up to 60 s), which docker-proxy's bind refuses too. Waited for before `up` and again before a retry.
# $1 = except-listeners after a failed `up`: the containers it started publish some of the ports by then.
# shellcheck source=../lib/process.sh
source "$REPO/deploy/lib/process.sh"
ports_busy() {
    local port busy=()
    for port in "${PORTS[@]}" $POSTGRES_PORT $RABBITMQ_PORT $RABBITMQ_MANAGEMENT_PORT $MAIL_UI_PORT; do
        port_in_use "$port" "${1:-}" && busy+=("$port")
    done
    [ ${#busy[@]} -gt 0 ] && echo "${busy[*]}"
}
await_free_ports() {
    local busy port_deadline=$((SECONDS + 120))
    while busy=$(ports_busy "$@"); do
        [ $SECONDS -ge $port_deadline ] && fail "host ports still in use after 120 s: $busy"
        log "host ports in use by another socket (or in TIME-WAIT): $busy; waiting for them"
        sleep 2
    done
}
await_free_ports
# `up -d` starts whatever is not running yet, so it can be repeated. A failed start on a busy machine (a
# dependency's health check, a port the engine still frees) is retried twice; its reason is logged each
# time and, if it persists, ends the FAIL line, which is all a CI log's tail may show.
for attempt in 1 2 3; do
    if "${COMPOSE[@]}" up -d --no-build 2>&1 | tee "$STATE/up.log" >&2; then break; fi
    reason=$(grep -i -m 3 'error' "$STATE/up.log" | tr -s ' \n' ' ' | cut -c1-400)
    [ "$attempt" -lt 3 ] || fail "compose up failed 3 times; the last said: ${reason:-nothing (see $STATE/up.log)}"
    log "compose up failed (attempt $attempt of 3): ${reason:-see $STATE/up.log}; trying again in 5 s"
    sleep 5
    await_free_ports except-listeners
done

http_code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$@" 2>/dev/null || true; }

deadline=$((SECONDS + READY_TIMEOUT))
pending=("${HOSTS[@]}")
while [ ${#pending[@]} -gt 0 ]; do
    still=()
    for h in "${pending[@]}"; do
        if [ "$(http_code "http://127.0.0.1:${PORTS[$h]}/health/ready")" = 200 ]; then
            log "$h ready (http://127.0.0.1:${PORTS[$h]})"
        else
            still+=("$h")
        fi
    done
    pending=("${still[@]+"${still[@]}"}")
    [ ${#pending[@]} -eq 0 ] && break
    [ $SECONDS -lt $deadline ] || fail "not ready after ${READY_TIMEOUT}s: ${pending[*]}"
    sleep 2
done

# ---------------------------------------------------------------- one complaint, end to end

wait "$DEVTOKEN_BUILD" || { tail -n 20 "$STATE/devtoken-build.log" >&2; fail "building tools/Accountability.DevToken failed"; }
[ -f "$DEVTOKEN" ] || fail "no $DEVTOKEN after the build"

CLERK=$(token intake-clerk) || fail "could not issue an intake-clerk token"
AUDITOR=$(token auditor) || fail "could not issue an auditor token"
ADMIN=$(token admin) || fail "could not issue an admin token"

RUN_ID=$(cat /proc/sys/kernel/random/uuid)
EMAIL="compose-check-${RUN_ID:0:8}@example.org"
body=$(cat <<EOF
{"category":"force","narrative":"compose-check $RUN_ID: pushed to the ground outside the library.",
 "channel":"phone","district":"2","complainant":{"name":"Casey Check","email":"$EMAIL"}}
EOF
)
log "filing a complaint through intake (POST /api/complaints)"
# The first request of a cold system can be slow on a small machine; a retry with the same
# Idempotency-Key files the same complaint, never a second one.
for attempt in 1 2 3; do
    response=$(curl -s -m 30 -w '\n%{http_code}' "http://127.0.0.1:$INTAKE_PORT/api/complaints" \
        -H "Authorization: Bearer $CLERK" -H 'Content-Type: application/json' -H "Idempotency-Key: $RUN_ID" -d "$body") && break
    [ "$attempt" -lt 3 ] || fail "intake did not answer POST /api/complaints (3 attempts of 30 s)"
    log "no answer from intake within 30 s; retrying with the same Idempotency-Key"
done
status=${response##*$'\n'}
response=${response%$'\n'*}
[ "$status" = 201 ] || fail "POST /api/complaints answered $status: $response"
json() { python3 -c 'import json, sys; v = json.load(sys.stdin)
for k in sys.argv[1:]: v = v[k] if isinstance(v, dict) else None
print("" if v is None else v)' "$@"; }
CASE_ID=$(json caseId <<<"$response")
TRACKING=$(json trackingCode <<<"$response")
[ -n "$CASE_ID" ] || fail "no caseId in $response"
log "case $CASE_ID filed (tracking code $TRACKING)"

deadline=$((SECONDS + FLOW_TIMEOUT))
owned= mailed= audited=
while :; do
    if [ -z "$owned" ]; then
        # An admin sees every case's board view: the owner, without the complaint itself.
        case_json=$(curl -s -m 5 "http://127.0.0.1:$ASSIGNMENT_PORT/api/cases/$CASE_ID" -H "Authorization: Bearer $ADMIN" || true)
        if [ "$(json owner kind <<<"$case_json" 2>/dev/null)" = person ]; then
            owned="$(json owner name <<<"$case_json") ($(json owner id <<<"$case_json"))"
            CASE_NUMBER=$(json caseNumber <<<"$case_json")
            log "owned by a person: $owned, case $CASE_NUMBER"
        fi
    fi
    if [ -z "$mailed" ]; then
        # Sent, says the delivery log; and the mail really reached the sink, which prints it.
        sent=$(curl -s -m 5 "http://127.0.0.1:$NOTIFICATION_PORT/api/notifications?caseId=$CASE_ID" -H "Authorization: Bearer $ADMIN" \
            | python3 -c 'import json, sys
print(sum(1 for d in json.load(sys.stdin) if d.get("recipientRole") == "complainant" and d.get("status") == "sent"))' 2>/dev/null || echo 0)
        if [ "${sent:-0}" -gt 0 ] && "${COMPOSE[@]}" logs --no-color mail 2>/dev/null | grep -qiF "$EMAIL"; then
            mailed=yes
            log "the complainant's receipt was sent, and the mail sink received it for $EMAIL"
        fi
    fi
    if [ -z "$audited" ]; then
        trail=$(curl -s -m 5 "http://127.0.0.1:$AUDIT_PORT/api/audit/cases/$CASE_ID/trail" -H "Authorization: Bearer $AUDITOR" || true)
        if grep -q ComplaintReceived <<<"$trail" && grep -q CustodyTransferred <<<"$trail"; then
            audited=$(grep -o '"type":"[A-Za-z]*"' <<<"$trail" | sort -u | sed 's/"type":"//; s/"$//' | paste -sd, -)
            log "in the audit trail: $audited"
        fi
    fi
    [ -n "$owned" ] && [ -n "$mailed" ] && [ -n "$audited" ] && break
    if [ $SECONDS -ge $deadline ]; then
        missing=()
        [ -n "$owned" ] || missing+=("owned by a person")
        [ -n "$mailed" ] || missing+=("mailed")
        [ -n "$audited" ] || missing+=("in the audit trail")
        fail "case $CASE_ID not ${missing[*]} after ${FLOW_TIMEOUT}s"
    fi
    sleep 2
done

RESULT="case ${CASE_NUMBER:-$CASE_ID} owned by $owned, mailed to $EMAIL, audited ($audited); the system ran as containers of ${POSTGRES_IMAGE}, ${RABBITMQ_IMAGE} and accountability/*:${ACCOUNTABILITY_IMAGE_TAG}"
