#!/usr/bin/env bash
# `make test`: throwaway PostgreSQL + RabbitMQ (profile "test"), every test assembly, then teardown.
#
#   deploy/local/test.sh [extra dotnet test arguments, e.g. --filter "FullyQualifiedName~Intake"]
#
# The very last line is "N passed, N failed", summed over every test assembly. Exit code 0 only
# when at least one test ran and nothing failed (a build failure or a crashed test host counts
# as a failure).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd -P)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd -P)
INFRA=$SCRIPT_DIR/infra.sh
PROFILE="test"
export ACCOUNTABILITY_PROFILE=$PROFILE
cd "$REPO"

log() { printf '[test] %s\n' "$*" >&2; }

infra_up=0
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

cleanup() {
    [ "$cleaned" = 1 ] && return 0
    cleaned=1
    reap_test_services
    if [ "$infra_up" = 1 ]; then
        log "stopping the test infrastructure"
        "$INFRA" stop --profile "$PROFILE" || log "infra.sh stop failed"
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

# From here on the servers may be (partly) running: the traps stop them.
infra_up=1
# Every run starts from empty servers, as CI does (ACCOUNTABILITY_KEEP_STATE=1 keeps the old data).
infra_failed() {
    log "$1"
    cleanup
    echo "0 passed, 1 failed"
    exit 1
}
if [ "${ACCOUNTABILITY_KEEP_STATE:-0}" != 1 ]; then
    "$INFRA" reset --profile "$PROFILE" || infra_failed "infra.sh reset failed"
fi
env_lines=$("$INFRA" start --profile "$PROFILE") || infra_failed "infra.sh start failed: no test ran"
eval "$env_lines"

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

# Plain console output (no terminal logger), so the per-assembly summaries can be read.
export MSBUILDTERMINALLOGGER=off DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log "dotnet test Accountability.sln -c Release $*"
set +e
dotnet test Accountability.sln -c Release "$@" 2>&1 | tee "$OUTPUT"
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

# Name the failed tests last, just above the total, so the short tail of a CI log says what broke.
# VSTest prints "  Failed Namespace.Class.Method [12 ms]", then "  Error Message:" and its lines.
if [ "$failed" -ne 0 ]; then
    names=$(grep -E '^  Failed [^ ]' <<<"$plain" || true)
    count=$(grep -c . <<<"$names" || true)
    if [ "$count" -gt 0 ]; then
        log "failed tests ($count):"
        head -n 10 <<<"$names" | cut -c1-240 | sed 's/^/[test] /' >&2
        [ "$count" -gt 10 ] && log "  ... and $((count - 10)) more (see $OUTPUT)"
        log "the first one's error:"
        awk '/^  Failed [^ ]/ { n++ } n == 1 && /^  Error Message:/ { grab = 1; next }
             grab && /^  (Stack Trace|Standard Output Messages):/ { exit }
             grab { print }' <<<"$plain" | head -n 4 | cut -c1-240 | sed 's/^/[test] /' >&2
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
