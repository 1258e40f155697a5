#!/usr/bin/env bash
# `make test`: every test assembly against throwaway PostgreSQL + RabbitMQ, then teardown.
#
#   deploy/local/test.sh [extra dotnet test arguments, e.g. --filter "FullyQualifiedName~Intake"]
#   ACCOUNTABILITY_TEST_TARGET=tests/<project> deploy/local/test.sh   (one assembly instead of the solution)
#
# Servers (ACCOUNTABILITY_TEST_SERVERS):
#   containers (default)  each test assembly starts its own PostgreSQL and RabbitMQ containers from
#                         our images (tests/Accountability.TestSupport/TestServers.cs). This script
#                         starts a Docker engine if none answers (deploy/docker/engine.sh start), builds
#                         the images if missing or stale (deploy/images/build.sh postgres rabbitmq pg-auto-failover)
#                         and, however the run ends, removes this run's containers (engine.sh cleanup).
#   local                 one PostgreSQL and one RabbitMQ as local processes for all assemblies
#                         (deploy/local/infra.sh, profile "test"), exported to the tests, stopped at the end.
#
# The very last line is "N passed, N failed", summed over every test assembly. Exit code 0 only
# when at least one test ran and nothing failed (a build failure or a crashed test host counts
# as a failure).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd -P)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd -P)
INFRA=$SCRIPT_DIR/infra.sh
ENGINE=$REPO/deploy/docker/engine.sh
IMAGES=$REPO/deploy/images/build.sh
PROFILE="test"
SERVERS=${ACCOUNTABILITY_TEST_SERVERS:-containers}
case $SERVERS in
    containers|local) ;;
    *) printf '[test] error: ACCOUNTABILITY_TEST_SERVERS=%s: expected containers (the default) or local\n' "$SERVERS" >&2; exit 2 ;;
esac
export ACCOUNTABILITY_TEST_SERVERS=$SERVERS
export ACCOUNTABILITY_PROFILE=$PROFILE
cd "$REPO"
# shellcheck source=../lib/aiosmtpd.sh
source "$REPO/deploy/lib/aiosmtpd.sh"

log() { printf '[test] %s\n' "$*" >&2; }

infra_up=0
engine_up=0
cleaned=0
# Tests start services as processes (ServiceProcess) and pass --TestRun=<this id>: a test host that
# crashed cannot kill them, so whatever carries this run's mark is reaped here.
export ACCOUNTABILITY_TEST_RUN="run-$$-$(date +%s)"
reap_test_services() {
    if pgrep -f -- "--TestRun=$ACCOUNTABILITY_TEST_RUN" >/dev/null 2>&1; then
        log "reaping service processes left by this test run"
        pkill -KILL -f -- "--TestRun=$ACCOUNTABILITY_TEST_RUN" || true
    fi
}

containers_left=0
cleanup() {
    [ "$cleaned" = 1 ] && return 0
    cleaned=1
    reap_test_services
    if [ "$infra_up" = 1 ]; then
        log "stopping the test infrastructure"
        "$INFRA" stop --profile "$PROFILE" || log "infra.sh stop failed"
    fi
    if [ "$engine_up" = 1 ]; then
        # Test hosts remove their containers as they exit; one that crashed or was killed cannot.
        # ACCOUNTABILITY_TEST_RUN narrows the cleanup to this run's containers.
        log "removing this run's test containers"
        if ! "$ENGINE" cleanup; then
            log "engine.sh cleanup failed: containers of this run are left behind (docker ps -a --filter label=org.accountability.test.run=$ACCOUNTABILITY_TEST_RUN)"
            containers_left=1
        fi
    fi
}
on_signal() {
    trap - INT TERM HUP
    log "interrupted"
    cleanup
    exit 130
}
trap cleanup EXIT
trap on_signal INT TERM HUP

RESULTS=$REPO/.state/$PROFILE/test-results
mkdir -p "$RESULTS"
OUTPUT=$RESULTS/dotnet-test.log

infra_failed() {
    log "$1"
    cleanup
    echo "0 passed, 1 failed"
    exit 1
}
if [ "$SERVERS" = local ]; then
    # From here on the servers may be (partly) running: the traps stop them.
    infra_up=1
    # Every run starts from empty servers, as CI does (ACCOUNTABILITY_KEEP_STATE=1 keeps the old data).
    if [ "${ACCOUNTABILITY_KEEP_STATE:-0}" != 1 ]; then
        "$INFRA" reset --profile "$PROFILE" || infra_failed "infra.sh reset failed"
    fi
    env_lines=$("$INFRA" start --profile "$PROFILE") || infra_failed "infra.sh start failed: no test ran"
    eval "$env_lines"
else
    # DOCKER_API_VERSION, TESTCONTAINERS_RYUK_DISABLED, TESTCONTAINERS_HOST_OVERRIDE for Testcontainers.
    env_lines=$("$ENGINE" start) || infra_failed "no Docker engine (deploy/docker/engine.sh start failed): no test ran"
    eval "$env_lines"
    # From here on test containers may exist: the traps remove them.
    engine_up=1
    # The two server images and the failover formation's (PostgresFailoverCluster): the service images are for
    # compose-check, not the tests.
    "$IMAGES" postgres rabbitmq pg-auto-failover >/dev/null || infra_failed "deploy/images/build.sh postgres rabbitmq pg-auto-failover failed: no test ran"
    # The servers are per assembly now; names left in the environment would not be theirs.
    unset ConnectionStrings__Accountability RabbitMq__Uri RabbitMq__ManagementUri
fi

# Every test's SMTP relay is Debian's aiosmtpd (tests/Accountability.TestSupport/Smtp/smtp_relay.py).
ensure_aiosmtpd || infra_failed "no aiosmtpd for the tests' SMTP relay"

# The console's browser tests drive Debian's Chromium (Playwright never downloads a browser here).
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing chromium (apt-get) for the console's browser tests"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >&2 \
            || { DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >&2; } \
            || infra_failed "could not install chromium"
    else
        infra_failed "chromium is missing: apt-get install -y chromium (as root), or set CHROMIUM_PATH"
    fi
fi

# The console's sign-in tests run a real OpenID provider, the npm package oidc-provider, with Node.js:
# installed exactly as locked (package-lock.json), from the npm registry.
OIDC_PROVIDER_DIR=$REPO/tests/Accountability.Console.Tests/oidc-provider
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing nodejs and npm (apt-get) for the test OpenID provider"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm >&2 \
            || { DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm >&2; } \
            || infra_failed "could not install nodejs and npm"
    else
        infra_failed "Node.js is missing: apt-get install -y nodejs npm (as root)"
    fi
fi
log "npm ci in $OIDC_PROVIDER_DIR (the test OpenID provider)"
(cd "$OIDC_PROVIDER_DIR" && npm ci --no-audit --no-fund >&2) || infra_failed "npm ci failed in $OIDC_PROVIDER_DIR"
# The offline check of deploy/k8s (tests/Accountability.Platform.Tests/KubernetesManifestTests.cs runs it) needs
# kubectl for kustomize, and its own npm packages (kubernetes-models, ...), installed exactly as locked.
K8S_CHECK_DIR=$REPO/deploy/k8s/check
"$K8S_CHECK_DIR/run.sh" --install || infra_failed "npm ci failed in $K8S_CHECK_DIR"

# Plain console output (no terminal logger), so the per-assembly summaries can be read.
export MSBUILDTERMINALLOGGER=off DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# One test project instead of the solution, e.g. tests/Accountability.Fuzz.Tests: the same servers,
# set-up and cleanup for a single assembly.
TARGET=${ACCOUNTABILITY_TEST_TARGET:-Accountability.sln}
log "dotnet test $TARGET -c Release $*"
set +e
dotnet test "$TARGET" -c Release "$@" 2>&1 | tee "$OUTPUT"
rc=${PIPESTATUS[0]}
set -e

cleanup

# VSTest prints one summary per assembly:
#   Passed!  - Failed:     0, Passed:    12, Skipped:     0, Total:    12, Duration: ... - X.Tests.dll (net10.0)
#   Failed!  - Failed:     1, Passed:    11, Skipped:     0, Total:    12, ...
read -r passed failed assemblies < <(
    sed 's/\x1b\[[0-9;]*m//g' "$OUTPUT" | awk '
        /(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+/ {
            line = $0
            sub(/.*Failed: +/, "", line); f = line + 0
            line = $0
            sub(/.*Passed: +/, "", line); p = line + 0
            failed += f; passed += p; n++
        }
        END { printf "%d %d %d\n", passed, failed, n }')
# A test host that crashed or was aborted leaves no summary for its assembly: count each as a failure.
plain=$(sed 's/\x1b\[[0-9;]*m//g' "$OUTPUT")
started=$(grep -cE '^Test run for ' <<<"$plain" || true)
aborted=$(grep -cE '^Test Run Aborted' <<<"$plain" || true)
aborted2=$(grep -cE 'The active test run was aborted' <<<"$plain" || true)
[ "$aborted2" -gt "$aborted" ] && aborted=$aborted2
# (An assembly without a test matching the filter has no summary either, and that is fine.)
empty=$(grep -cE '^No test (matches the given testcase filter|is available in)' <<<"$plain" || true)
missing=$((started - assemblies - empty))
[ "$missing" -gt "$aborted" ] && aborted=$missing
if [ "$aborted" -gt 0 ]; then
    log "$aborted test run(s) aborted or ended without a summary (crashed test host?): counted as failures"
    failed=$((failed + aborted))
fi
# A build failure, or any other non-zero exit without a counted failure, is still a failure.
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    log "dotnet test exited with $rc without a failed test in its summaries (build error or crashed test host?): counting it as a failure"
    failed=1
fi
log "$assemblies of $started test assemblies reported a summary; full output in $OUTPUT"
# A run that leaves containers behind is not clean, whatever the tests said.
if [ "$containers_left" = 1 ]; then
    failed=$((failed + 1))
fi

# Name the failed tests last, just above the total, so the short tail of a CI log says what broke.
# VSTest prints "  Failed Namespace.Class.Method [12 ms]", then "  Error Message:" and its lines.
if [ "$failed" -ne 0 ]; then
    names=$(grep -E '^  Failed [^ ]' <<<"$plain" || true)
    count=$(grep -c . <<<"$names" || true)
    if [ "$count" -gt 0 ]; then
        log "failed tests ($count):"
        head -n 10 <<<"$names" | cut -c1-240 | sed 's/^/[test] /' >&2
        [ "$count" -gt 10 ] && log "  ... and $((count - 10)) more (see $OUTPUT)"
        # Each one's error, not only the first: a CI log keeps just its tail, and one failure rarely explains another.
        log "their errors (the first 6 lines of each of the first 5):"
        awk '/^  Failed [^ ]/ { n++; grab = 0; if (n <= 5) { print "--", $2 } }
             n <= 5 && /^  Error Message:/ { grab = 1; shown = 0; next }
             grab && /^  (Stack Trace|Standard Output Messages):/ { grab = 0 }
             grab && shown < 6 { print; shown++ }' <<<"$plain" | cut -c1-300 | sed 's/^/[test] /' >&2
    fi
fi

status=0
if [ "$failed" -ne 0 ]; then
    status=1
elif [ "$passed" -eq 0 ]; then
    log "no test ran"
    status=1
fi
echo "$passed passed, $failed failed"
exit $status
