#!/usr/bin/env bash
# Runs the five services and the web console (Release build output) in the background against the
# local infrastructure. The console (port 5100) offers the development sign-in.
#
#   deploy/local/services.sh start|stop|status [--profile up]
#   deploy/local/services.sh signing-key [--profile up]   (create the signing key if missing, print its path)
#
# Needs `dotnet build Accountability.sln -c Release` and `deploy/local/infra.sh start` first.
# Logs: .state/<profile>/logs/<name>.log, pid files: .state/<profile>/pids/<name>.pid.
# Secrets, generated once: .state/<profile>/signing-key (Auth__SigningKey, also used by `make token`)
# and .state/<profile>/privacy-key (Privacy__Keys__local, with Privacy__ActiveKeyId=local).
set -euo pipefail

SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
REPO=$(cd "$(dirname "$SCRIPT_PATH")/../.." && pwd -P)

SERVICES=(Intake Assignment Escalation Notification Audit Console)
declare -A PORTS=([Console]=5100 [Intake]=5101 [Assignment]=5102 [Escalation]=5103 [Notification]=5104 [Audit]=5105)
READY_TIMEOUT=${ACCOUNTABILITY_READY_TIMEOUT:-120}

log() { printf '[services %s] %s\n' "${PROFILE:-?}" "$*" >&2; }
die() { printf '[services %s] error: %s\n' "${PROFILE:-?}" "$*" >&2; exit 1; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$SCRIPT_PATH" >&2; exit 2; }

COMMAND=${1:-}
case $COMMAND in ""|-h|--help|help) usage ;; esac
shift
PROFILE=${ACCOUNTABILITY_PROFILE:-up}
while [ $# -gt 0 ]; do
    case $1 in
        --profile) [ $# -ge 2 ] || usage; PROFILE=$2; shift 2 ;;
        --profile=*) PROFILE=${1#--profile=}; shift ;;
        -h|--help) usage ;;
        *) log "unknown argument: $1"; usage ;;
    esac
done
case $PROFILE in up|test|bench|chaos) ;; *) die "unknown profile '$PROFILE' (use up, test, bench or chaos)" ;; esac

STATE=$REPO/.state/$PROFILE
PIDS=$STATE/pids
LOGS=$STATE/logs
KEY_FILE=$STATE/signing-key
PRIVACY_KEY_FILE=$STATE/privacy-key
PRIVACY_KEY_ID=local

# shellcheck source=../lib/process.sh
source "$REPO/deploy/lib/process.sh"
# shellcheck source=../lib/aiosmtpd.sh
source "$REPO/deploy/lib/aiosmtpd.sh"

name_of() { printf '%s' "$1" | tr '[:upper:]' '[:lower:]'; }
dll_of() { echo "$REPO/services/$1/bin/Release/net10.0/Accountability.$1.dll"; }
pid_file_of() { echo "$PIDS/$(name_of "$1").pid"; }
log_of() { echo "$LOGS/$(name_of "$1").log"; }
# How much a service yields the CPU when the machine is short of it (nice(1); 0 for the rest). Audit only records what
# already happened, in batches that catch up fast, so under a burst custody and the complainant's mail go first and the
# trail follows (docs/bench.md, fourteenth round). docker-compose.yml (cpu_shares) and deploy/k8s (CPU requests) say the
# same, and make bench starts audit the same way.
nice_of() { case $1 in Audit) echo 10 ;; *) echo 0 ;; esac; }

# The pid in the service's pid file, if that process is still running.
running_pid() {
    local f pid
    f=$(pid_file_of "$1")
    [ -s "$f" ] || return 0
    pid=$(tr -dc '0-9' < "$f")
    pid_alive "$pid" || return 0
    # Guard against a recycled pid: it must still be our dotnet process.
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$(dll_of "$1")" || return 0
    echo "$pid"
}

ensure_key() {
    mkdir -p "$STATE"
    if [ ! -s "$KEY_FILE" ]; then
        (umask 077 && head -c 48 /dev/urandom | base64 -w0 > "$KEY_FILE.tmp" && mv -f "$KEY_FILE.tmp" "$KEY_FILE")
        log "created signing key $KEY_FILE"
    fi
    chmod 600 "$KEY_FILE"
}

# AES-256 key that seals complainant contacts (Privacy__Keys__<id>): 32 random bytes, base64.
ensure_privacy_key() {
    mkdir -p "$STATE"
    if [ ! -s "$PRIVACY_KEY_FILE" ]; then
        (umask 077 && head -c 32 /dev/urandom | base64 -w0 > "$PRIVACY_KEY_FILE.tmp" && mv -f "$PRIVACY_KEY_FILE.tmp" "$PRIVACY_KEY_FILE")
        log "created contact-sealing key $PRIVACY_KEY_FILE"
    fi
    chmod 600 "$PRIVACY_KEY_FILE"
}

# HTTP status of GET http://127.0.0.1:<port><path>, or 000.
http_status() {
    local port=$1 path=$2 line
    if command -v curl >/dev/null 2>&1; then
        curl -s -o /dev/null -m 3 -w '%{http_code}' "http://127.0.0.1:$port$path" 2>/dev/null || echo 000
        return 0
    fi
    line=$(timeout 3 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n" "$2" "$1" >&3
        IFS= read -r l <&3 && printf "%s" "$l"' _ "$port" "$path" 2>/dev/null) || true
    line=${line#HTTP/* }
    line=${line:0:3}
    [[ $line =~ ^[0-9]{3}$ ]] && echo "$line" || echo 000
}

# A local SMTP relay for the notification service: Debian's aiosmtpd, printing every mail to its log
# instead of sending it anywhere, so `make up` never e-mails a real person.
SMTP_PORT=$(case $PROFILE in up) echo 55025 ;; test) echo 56025 ;; bench) echo 58025 ;; *) echo 59025 ;; esac)
SMTP_PID_FILE=$PIDS/smtp-sink.pid
WEBHOOK_SECRET_FILE=$STATE/webhook-secret

# Debian's interpreter, where python3-aiosmtpd installs (deploy/lib/aiosmtpd.sh).
SINK_PYTHON=/usr/bin/python3

ensure_smtp_sink() {
    local pid i
    pid=$(tr -dc '0-9' 2>/dev/null < "$SMTP_PID_FILE" || true)
    if [ -n "$pid" ] && pid_alive "$pid"; then return 0; fi
    ensure_aiosmtpd || die "no SMTP sink for make up"
    mkdir -p "$PIDS" "$LOGS"
    ( exec setsid nohup "$SINK_PYTHON" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Debugging \
        </dev/null >>"$LOGS/smtp-sink.log" 2>&1 ) &
    pid=$!
    echo "$pid" > "$SMTP_PID_FILE"
    # Said started only once it listens: a sink that died would make every e-mail fail quietly.
    for ((i = 0; i < 100; i++)); do
        pid_alive "$pid" || { tail -n 5 "$LOGS/smtp-sink.log" >&2; die "the SMTP sink exited at start ($SINK_PYTHON -m aiosmtpd)"; }
        (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null && break
        sleep 0.1
    done
    [ "$i" -lt 100 ] || die "the SMTP sink is not listening on 127.0.0.1:$SMTP_PORT after 10 s; see $LOGS/smtp-sink.log"
    log "started the SMTP sink (pid $pid) on 127.0.0.1:$SMTP_PORT; mails land in $LOGS/smtp-sink.log"
}

stop_smtp_sink() {
    local pid
    pid=$(tr -dc '0-9' 2>/dev/null < "$SMTP_PID_FILE" || true)
    if [ -n "$pid" ] && pid_alive "$pid"; then
        log "stopping the SMTP sink (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
    fi
    rm -f "$SMTP_PID_FILE"
}

ensure_webhook_secret() {
    if [ ! -s "$WEBHOOK_SECRET_FILE" ]; then
        (umask 077 && head -c 32 /dev/urandom | base64 -w0 > "$WEBHOOK_SECRET_FILE.tmp" && mv -f "$WEBHOOK_SECRET_FILE.tmp" "$WEBHOOK_SECRET_FILE")
        log "created webhook signing secret $WEBHOOK_SECRET_FILE"
    fi
    chmod 600 "$WEBHOOK_SECRET_FILE"
}

cmd_start() {
    [ -s "$STATE/env.sh" ] || die "$STATE/env.sh is missing: run deploy/local/infra.sh start --profile $PROFILE first"
    local s missing=()
    for s in "${SERVICES[@]}"; do [ -f "$(dll_of "$s")" ] || missing+=("$(dll_of "$s")"); done
    [ ${#missing[@]} -eq 0 ] || die "not built: ${missing[*]} (run: dotnet build Accountability.sln -c Release)"
    command -v dotnet >/dev/null 2>&1 || die "dotnet is not on PATH"
    ensure_key
    ensure_privacy_key
    ensure_webhook_secret
    mkdir -p "$PIDS" "$LOGS"
    ensure_smtp_sink

    local key privacy_key webhook_secret pid
    key=$(cat "$KEY_FILE")
    privacy_key=$(cat "$PRIVACY_KEY_FILE")
    webhook_secret=$(cat "$WEBHOOK_SECRET_FILE")
    for s in "${SERVICES[@]}"; do
        pid=$(running_pid "$s")
        if [ -n "$pid" ]; then
            if [ "$(dll_of "$s")" -nt "$(pid_file_of "$s")" ]; then
                log "$s was rebuilt since it started: restarting it"
                stop_one "$s" "$pid"
            else
                log "$s already running (pid $pid)"
                continue
            fi
        fi
        (
            cd "$REPO"
            set -a
            # shellcheck disable=SC1091
            . "$STATE/env.sh"
            set +a
            if [ "$s" != Console ]; then
                # Each service logs in as its own user (infra.sh creates them); the owner login runs its
                # migrations and grants that user the rows of its own schema only (docs/security.md).
                export ConnectionStrings__AccountabilityOwner="$ConnectionStrings__Accountability"
                export ConnectionStrings__Accountability="${ConnectionStrings__Accountability/Username=accountability;/Username=accountability_$(name_of "$s");}"
            fi
            export ASPNETCORE_ENVIRONMENT=Development
            export Auth__SigningKey="$key"
            export Privacy__ActiveKeyId="$PRIVACY_KEY_ID"
            export "Privacy__Keys__$PRIVACY_KEY_ID=$privacy_key"
            export Directory__SeedPath="$REPO/deploy/org/directory.json"
            export Notification__Smtp__Host=127.0.0.1 Notification__Smtp__Port="$SMTP_PORT"
            # The sink listens on loopback without TLS; a real relay keeps the default, StartTls.
            export Notification__Smtp__Security=None
            export Notification__Webhooks__SigningSecret="$webhook_secret"
            export Notification__PublicBaseUrl="http://127.0.0.1:${PORTS[Notification]}"
            # The complainant's e-mails link to the console's public pages, not to the services' APIs.
            export Notification__PublicStatusUrl="http://127.0.0.1:${PORTS[Console]}/public/status?code={trackingCode}"
            export Notification__PublicSatisfactionUrl="http://127.0.0.1:${PORTS[Console]}/public/satisfaction/{token}"
            export Notification__PublicOptOutUrl="http://127.0.0.1:${PORTS[Console]}/public/opt-out/{token}"
            # The console: a pick-anyone sign-in, for this local run only (it refuses outside Development).
            export Console__DevelopmentSignIn=true
            # Intake believes the console's X-Forwarded-For, so each member of the public has their own rate limit.
            export Intake__TrustedProxies__0=127.0.0.1
            # Audit's verify checks the trail against the signed heads notification witnessed.
            export Audit__WitnessUrl="http://127.0.0.1:${PORTS[Notification]}"
            export Urls="http://127.0.0.1:${PORTS[$s]}"
            export OTEL_SERVICE_NAME="${OTEL_SERVICE_NAME:-accountability-$(name_of "$s")}"
            printf '\n===== %s starting %s =====\n' "$(date -Is)" "$s" >> "$(log_of "$s")"
            # A session of its own, so Ctrl-C in the terminal that ran `make up` leaves it running.
            exec setsid nohup nice -n "$(nice_of "$s")" dotnet "$(dll_of "$s")" </dev/null >>"$(log_of "$s")" 2>&1
        ) &
        echo $! > "$(pid_file_of "$s")"
        log "started $s (pid $!) on http://127.0.0.1:${PORTS[$s]}"
    done

    local deadline=$((SECONDS + READY_TIMEOUT)) pending=("${SERVICES[@]}") still status
    while [ ${#pending[@]} -gt 0 ]; do
        still=()
        for s in "${pending[@]}"; do
            if ! pid_alive "$(tr -dc '0-9' < "$(pid_file_of "$s")")"; then
                log "$s exited; last lines of $(log_of "$s"):"
                tail -n 40 "$(log_of "$s")" >&2 || true
                die "$s did not start (the others keep running: deploy/local/services.sh stop, or make down)"
            fi
            status=$(http_status "${PORTS[$s]}" /health/ready)
            if [ "$status" = 200 ]; then
                log "$s ready"
            else
                still+=("$s")
            fi
        done
        pending=("${still[@]+"${still[@]}"}")
        [ ${#pending[@]} -eq 0 ] && break
        if [ $SECONDS -ge $deadline ]; then
            for s in "${pending[@]}"; do
                log "$s not ready after ${READY_TIMEOUT}s (GET /health/ready: $(http_status "${PORTS[$s]}" /health/ready)); last lines of $(log_of "$s"):"
                tail -n 40 "$(log_of "$s")" >&2 || true
            done
            die "not ready: ${pending[*]} (deploy/local/services.sh stop, or make down, stops them)"
        fi
        sleep 1
    done

    # The console first: it is where a person starts.
    printf '%-13s http://127.0.0.1:%s   (sign in as anyone from the sample directory)\n' Console "${PORTS[Console]}"
    for s in "${SERVICES[@]}"; do
        [ "$s" = Console ] && continue
        printf '%-13s http://127.0.0.1:%s\n' "$s" "${PORTS[$s]}"
    done
}

stop_one() {
    local s=$1 pid=$2 i
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then
        log "$s ignored TERM for 15 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$(pid_file_of "$s")"
}

cmd_stop() {
    local s pid pids=() names=() i
    for s in "${SERVICES[@]}"; do
        pid=$(running_pid "$s")
        if [ -n "$pid" ]; then
            log "stopping $s (pid $pid)"
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid"); names+=("$s")
        fi
    done
    for ((i = 0; i < 150; i++)); do
        local still_alive=0
        for pid in "${pids[@]+"${pids[@]}"}"; do pid_alive "$pid" && still_alive=1; done
        [ $still_alive = 0 ] && break
        sleep 0.1
    done
    for i in "${!pids[@]}"; do
        if pid_alive "${pids[$i]}"; then
            log "${names[$i]} ignored TERM for 15 s; killing it"
            kill -KILL "${pids[$i]}" 2>/dev/null || true
        fi
    done
    for s in "${SERVICES[@]}"; do rm -f "$(pid_file_of "$s")"; done
    stop_smtp_sink
    log "services stopped"
}

cmd_status() {
    local s pid rc=0
    for s in "${SERVICES[@]}"; do
        pid=$(running_pid "$s")
        if [ -n "$pid" ]; then
            printf '%-13s running (pid %s) http://127.0.0.1:%s ready=%s\n' "$s" "$pid" "${PORTS[$s]}" "$(http_status "${PORTS[$s]}" /health/ready)"
        else
            printf '%-13s stopped\n' "$s"; rc=1
        fi
    done
    return $rc
}

case $COMMAND in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    signing-key) ensure_key; echo "$KEY_FILE" ;;
    *) log "unknown command: $COMMAND"; usage ;;
esac
