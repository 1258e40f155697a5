#!/usr/bin/env bash
# Builds the project's container images from Debian packages, since no registry can be pulled from.
#
#   deploy/images/build.sh [--force] [target ...]
#   deploy/images/build.sh --list
#
# Targets (default: all of them, each with what it needs first):
#   base        accountability/base:bookworm               debootstrap --variant=minbase, docker import
#   postgres    accountability/postgres:15                 PostgreSQL 15, the official image's POSTGRES_* variables
#   rabbitmq    accountability/rabbitmq:3.10-management    RabbitMQ 3.10 + management, RABBITMQ_DEFAULT_*
#   pg-auto-failover  accountability/pg-auto-failover:15   the postgres image + pg_auto_failover (monitor and
#               data nodes of a failover formation, tests/Accountability.TestSupport/PostgresFailoverCluster.cs)
#   smtp-sink   accountability/smtp-sink:local             aiosmtpd printing every mail (compose-check)
#   dotnet      accountability/dotnet-runtime:<version>    the host SDK's ASP.NET Core runtime
#   services    accountability/{intake,assignment,escalation,notification,audit,console}:local
#               from `dotnet publish` of the working tree (framework-dependent, on the dotnet image)
#
# Every image carries the label org.accountability.recipe=<sha256 of its recipe>: the files under
# deploy/images/<target>/, the image it is built on and, for the services, the sources. An image whose
# tag exists with the same hash is kept; otherwise it is rebuilt (--force rebuilds the named targets).
# Two runs at once are serialised by a machine-wide lock. Needs a Docker engine (deploy/docker/engine.sh
# start) and root for debootstrap. Logs: .state/images/logs/<target>.log. The image names are printed
# as `export NAME=value` lines on stdout (see deploy/images/local.env); progress goes to stderr.
set -euo pipefail

SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
HERE=$(dirname "$SCRIPT_PATH")
REPO=$(cd "$HERE/../.." && pwd -P)
WORK=$REPO/.state/images
LOGS=$WORK/logs
# Images are machine-wide, so is the lock.
LOCK_FILE=/run/lock/accountability-images.lock
LABEL=org.accountability.recipe

SUITE=bookworm
VARIANT=minbase
BASE_IMAGE=accountability/base:$SUITE
POSTGRES_IMAGE=accountability/postgres:15
RABBITMQ_IMAGE=accountability/rabbitmq:3.10-management
PGAF_IMAGE=accountability/pg-auto-failover:15
SMTP_IMAGE=accountability/smtp-sink:local
SERVICES=(Intake Assignment Escalation Notification Audit Console)
SERVICE_TAG=local
ALL_TARGETS=(base postgres rabbitmq pg-auto-failover smtp-sink dotnet services)
DOTNET_HOME=$(dirname "$(readlink -f "$(command -v dotnet 2>/dev/null || echo /usr/share/dotnet/dotnet)")")

log() { printf '[images %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf '[images] error: %s\n' "$*" >&2; exit 1; }
usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$SCRIPT_PATH" >&2
    exit 2
}

FORCE=0
TARGETS=()
while [ $# -gt 0 ]; do
    case $1 in
        --force) FORCE=1 ;;
        --list) printf '%s\n' "${ALL_TARGETS[@]}"; exit 0 ;;
        -h|--help) usage ;;
        -*) log "unknown option: $1"; usage ;;
        *)
            case " ${ALL_TARGETS[*]} " in *" $1 "*) TARGETS+=("$1") ;; *) log "unknown target: $1"; usage ;; esac ;;
    esac
    shift
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL_TARGETS[@]}")

# Debian's client matches Debian's engine; the newer client on PATH warns that buildx is missing.
if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
command -v "$DOCKER" >/dev/null 2>&1 || die "no docker client; run deploy/docker/engine.sh start first"
timeout 10 "$DOCKER" info >/dev/null 2>&1 || die "no Docker engine answers; run deploy/docker/engine.sh start first"

# ---------------------------------------------------------------- helpers

sha() { sha256sum | cut -c1-64; }

# Hash of files (names and contents), in a stable order.
hash_files() {
    local f
    for f in "$@"; do
        printf '%s\n' "${f#"$REPO"/}"
        sha256sum < "$f"
    done | sha
}

image_id() { "$DOCKER" image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
image_recipe() { "$DOCKER" image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$1" 2>/dev/null || true; }

# Is image $1 present with recipe hash $2 (and not forced)?
cached() {
    [ "$FORCE" = 0 ] || return 1
    [ "$(image_recipe "$1")" = "$2" ]
}

# docker build with the recipe label; output to the target's log, its tail on failure.
docker_build() {
    local name=$1 hash=$2 ctx=$3 logf=$4
    shift 4
    local t0=$SECONDS
    if ! "$DOCKER" build --label "$LABEL=$hash" -t "$name" "$@" "$ctx" >>"$logf" 2>&1; then
        tail -n 30 "$logf" >&2
        die "docker build of $name failed (log: $logf)"
    fi
    log "built $name in $((SECONDS - t0)) s"
}

# The first URI that serves suite $1 (deb822 .sources, then one-line .list files).
apt_uri() {
    local suite=$1 f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        uri=$(awk -v suite="$suite" '
            function flush() { if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && enabled != "no" && uris != "" && !found) { split(uris, u, " "); print u[1]; found = 1 } types = suites = uris = ""; enabled = "" }
            /^[ \t]*$/ { flush(); next }
            /^[ \t]*#/ { next }
            tolower($1) == "types:" { $1 = ""; types = $0 }
            tolower($1) == "suites:" { $1 = ""; suites = $0 }
            tolower($1) == "uris:" { $1 = ""; uris = $0 }
            tolower($1) == "enabled:" { enabled = tolower($2) }
            END { flush() }' "$f")
        [ -n "$uri" ] && { echo "$uri"; return 0; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        uri=$(sed -E 's/\[[^]]*\]//' "$f" | awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2; exit }')
        [ -n "$uri" ] && { echo "$uri"; return 0; }
    done
    return 0
}

# ---------------------------------------------------------------- base

MIRROR=${DEBIAN_MIRROR:-$(apt_uri "$SUITE")}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-$(apt_uri "$SUITE-security")}

base_hash() {
    { echo "suite=$SUITE variant=$VARIANT mirror=$MIRROR security=$SECURITY_MIRROR"
      hash_files "$HERE"/base/*; } | sha
}

build_base() {
    local hash logf=$LOGS/base.log rootfs=$WORK/base/rootfs t0=$SECONDS
    hash=$(base_hash)
    if cached "$BASE_IMAGE" "$hash"; then log "$BASE_IMAGE is up to date"; return 0; fi
    [ -n "$MIRROR" ] || die "no Debian mirror for $SUITE in /etc/apt/sources.list*; set DEBIAN_MIRROR"
    [ "$(id -u)" = 0 ] || die "debootstrap needs root"
    if ! command -v debootstrap >/dev/null 2>&1; then
        log "installing debootstrap (apt-get)"
        { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap \
            || { DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap; }
        } >>"$logf" 2>&1 || die "apt-get install debootstrap failed (log: $logf)"
    fi
    remove_rootfs "$rootfs"
    mkdir -p "$(dirname "$rootfs")"
    log "debootstrap --variant=$VARIANT $SUITE from $MIRROR (about 90 s)"
    if ! debootstrap --variant="$VARIANT" "$SUITE" "$rootfs" "$MIRROR" >>"$logf" 2>&1; then
        tail -n 20 "$logf" >&2
        remove_rootfs "$rootfs"
        die "debootstrap failed (log: $logf)"
    fi
    # Inside containers apt fetches from the same archive as this machine.
    {
        echo "deb $MIRROR $SUITE main"
        echo "deb $MIRROR $SUITE-updates main"
        [ -z "$SECURITY_MIRROR" ] || echo "deb $SECURITY_MIRROR $SUITE-security main"
    } > "$rootfs/etc/apt/sources.list"
    install -m 644 "$HERE/base/apt.conf" "$rootfs/etc/apt/apt.conf.d/90accountability"
    install -m 644 "$HERE/base/dpkg-nodoc" "$rootfs/etc/dpkg/dpkg.cfg.d/90accountability-nodoc"
    install -m 755 "$HERE/base/policy-rc.d" "$rootfs/usr/sbin/policy-rc.d"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"
    log "docker import $BASE_IMAGE"
    tar --numeric-owner -C "$rootfs" -c . \
        | "$DOCKER" import --change "LABEL $LABEL=$hash" --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >>"$logf" 2>&1 \
        || die "docker import failed (log: $logf)"
    remove_rootfs "$rootfs"
    log "built $BASE_IMAGE in $((SECONDS - t0)) s"
}

# debootstrap mounts /proc and /sys inside; never delete through a mount.
remove_rootfs() {
    local m
    [ -e "$1" ] || return 0
    for m in $(awk -v root="$1" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r); do
        umount -l "$m" || die "cannot unmount $m"
    done
    rm -rf --one-file-system "$1"
}

# ---------------------------------------------------------------- images FROM base

# Builds deploy/images/<dir> as <name> on the base image.
build_from_base() {
    local dir=$1 name=$2 hash base_id
    base_id=$(image_id "$BASE_IMAGE")
    [ -n "$base_id" ] || die "$BASE_IMAGE is missing"
    hash=$({ echo "from=$base_id"; hash_files "$HERE/$dir"/*; } | sha)
    if cached "$name" "$hash"; then log "$name is up to date"; return 0; fi
    log "building $name (apt-get inside docker build)"
    docker_build "$name" "$hash" "$HERE/$dir" "$LOGS/$dir.log" --build-arg "BASE_IMAGE=$BASE_IMAGE"
}

# Builds deploy/images/<dir> as <name> on the postgres image (which must exist).
build_from_postgres() {
    local dir=$1 name=$2 hash from_id
    from_id=$(image_id "$POSTGRES_IMAGE")
    [ -n "$from_id" ] || die "$POSTGRES_IMAGE is missing"
    hash=$({ echo "from=$from_id"; hash_files "$HERE/$dir"/*; } | sha)
    if cached "$name" "$hash"; then log "$name is up to date"; return 0; fi
    log "building $name (apt-get inside docker build)"
    docker_build "$name" "$hash" "$HERE/$dir" "$LOGS/$dir.log" --build-arg "POSTGRES_IMAGE=$POSTGRES_IMAGE"
}

# ---------------------------------------------------------------- dotnet runtime

# Versions of the host's shared runtimes, e.g. "10.0.12": the services target net10.0.
runtime_version() {
    local v
    v=$(ls "$DOTNET_HOME/shared/Microsoft.AspNetCore.App" 2>/dev/null | grep -E '^10\.' | sort -V | tail -n1)
    [ -n "$v" ] || die "no ASP.NET Core 10 runtime under $DOTNET_HOME/shared/Microsoft.AspNetCore.App"
    [ -d "$DOTNET_HOME/shared/Microsoft.NETCore.App/$v" ] || die "no Microsoft.NETCore.App $v under $DOTNET_HOME/shared"
    echo "$v"
}

dotnet_image() { echo "accountability/dotnet-runtime:$(runtime_version)"; }

build_dotnet() {
    local v name hash base_id ctx=$WORK/dotnet/ctx fxr
    v=$(runtime_version)
    name=$(dotnet_image)
    base_id=$(image_id "$BASE_IMAGE")
    [ -n "$base_id" ] || die "$BASE_IMAGE is missing"
    fxr=$(ls "$DOTNET_HOME/host/fxr" | sort -V | tail -n1)
    hash=$({ echo "from=$base_id runtime=$v fxr=$fxr"; sha256sum < "$DOTNET_HOME/dotnet"; hash_files "$HERE"/dotnet/*; } | sha)
    if cached "$name" "$hash"; then log "$name is up to date"; return 0; fi
    rm -rf "$ctx"
    mkdir -p "$ctx/dotnet/host/fxr" "$ctx/dotnet/shared/Microsoft.NETCore.App" "$ctx/dotnet/shared/Microsoft.AspNetCore.App"
    cp "$HERE/dotnet/Dockerfile" "$ctx/"
    cp -a "$DOTNET_HOME/dotnet" "$DOTNET_HOME/LICENSE.txt" "$DOTNET_HOME/ThirdPartyNotices.txt" "$ctx/dotnet/" 2>/dev/null \
        || cp -a "$DOTNET_HOME/dotnet" "$ctx/dotnet/"
    cp -a "$DOTNET_HOME/host/fxr/$fxr" "$ctx/dotnet/host/fxr/"
    cp -a "$DOTNET_HOME/shared/Microsoft.NETCore.App/$v" "$ctx/dotnet/shared/Microsoft.NETCore.App/"
    cp -a "$DOTNET_HOME/shared/Microsoft.AspNetCore.App/$v" "$ctx/dotnet/shared/Microsoft.AspNetCore.App/"
    log "building $name from the runtime in $DOTNET_HOME"
    docker_build "$name" "$hash" "$ctx" "$LOGS/dotnet.log" --build-arg "BASE_IMAGE=$BASE_IMAGE"
    rm -rf "$ctx"
}

# ---------------------------------------------------------------- services

service_image() { echo "accountability/$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]'):$SERVICE_TAG"; }

# Everything that goes into a service's publish output: tracked and untracked (not ignored) files.
sources_hash() {
    (cd "$REPO" && git ls-files -z --cached --others --exclude-standard -- \
        services contracts Directory.Build.props Directory.Packages.props global.json 'NuGet.config' 'nuget.config' \
        deploy/org deploy/escalation \
        | sort -z | xargs -0 -r sha256sum -- | sha)
}

build_services() {
    local runtime runtime_id src s name hash todo=() ctx logf=$LOGS/services.log t0=$SECONDS
    runtime=$(dotnet_image)
    runtime_id=$(image_id "$runtime")
    [ -n "$runtime_id" ] || die "$runtime is missing"
    src=$(sources_hash)
    declare -A hashes=()
    for s in "${SERVICES[@]}"; do
        name=$(service_image "$s")
        hashes[$s]=$({ echo "from=$runtime_id service=$s sources=$src"; hash_files "$HERE"/service/*; } | sha)
        if cached "$name" "${hashes[$s]}"; then log "$name is up to date"; else todo+=("$s"); fi
    done
    [ ${#todo[@]} -gt 0 ] || return 0
    command -v dotnet >/dev/null 2>&1 || die "dotnet is not on PATH (the services are published on this machine)"
    # One MSBuild run publishes them all, so the projects they share are built once. Its obj/ and bin/
    # are under .state/images/artifacts, so a publish never races a `make test` build in the tree.
    # Each host publishes to its default artifacts/publish/<project>/release, copied below: a PublishDir per host
    # would be a global property, passed down to the projects they share, so MSBuild would build each shared
    # project once per host, in parallel, into one bin/ (a race that once failed on a shared deps.json).
    local proj=$WORK/publish-all.proj
    rm -rf "$WORK/services" "$WORK/artifacts/publish"
    {
        echo '<Project>'
        echo '  <!-- Written by deploy/images/build.sh: publishes the hosts whose images are missing or stale. -->'
        echo '  <ItemGroup>'
        for s in "${todo[@]}"; do
            echo "    <Host Include=\"$REPO/services/$s/Accountability.$s.csproj\" />"
        done
        echo '  </ItemGroup>'
        echo '  <Target Name="Restore"><MSBuild Projects="@(Host)" Targets="Restore" /></Target>'
        echo '  <Target Name="Publish"><MSBuild Projects="@(Host)" Targets="Publish" BuildInParallel="true" /></Target>'
        echo '</Project>'
    } > "$proj"
    export MSBUILDTERMINALLOGGER=off DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
    log "dotnet publish ${todo[*]} (Release, framework-dependent)"
    if ! dotnet msbuild "$proj" -restore -t:Publish -m -p:Configuration=Release -p:ArtifactsPath="$WORK/artifacts" \
            -p:UseAppHost=false -p:DebugType=none -nologo -v:q -clp:ErrorsOnly >>"$logf" 2>&1; then
        tail -n 30 "$logf" >&2
        die "dotnet publish failed (log: $logf)"
    fi
    log "published in $((SECONDS - t0)) s"
    for s in "${todo[@]}"; do
        name=$(service_image "$s")
        ctx=$WORK/services/$s
        mkdir -p "$ctx"
        cp -a "$WORK/artifacts/publish/Accountability.$s/release" "$ctx/app" 2>/dev/null || true
        [ -f "$ctx/app/Accountability.$s.dll" ] || die "no $ctx/app/Accountability.$s.dll after the publish (log: $logf)"
        mkdir -p "$ctx/deploy"
        cp -a "$REPO/deploy/org" "$REPO/deploy/escalation" "$ctx/deploy/"
        cp "$HERE/service/Dockerfile" "$ctx/"
        docker_build "$name" "${hashes[$s]}" "$ctx" "$logf" --build-arg "RUNTIME_IMAGE=$runtime" --build-arg "SERVICE=$s"
        rm -rf "$ctx"
    done
    log "services done in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------- main

mkdir -p "$WORK" "$LOGS"
exec 9>>"$LOCK_FILE"
if ! flock -n 9; then
    log "another build.sh is running; waiting for it (lock $LOCK_FILE)"
    flock -w 1800 9 || die "gave up waiting for $LOCK_FILE after 30 minutes"
fi

want() { case " ${TARGETS[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
t_start=$SECONDS
# What a target is built on must exist first; it is only rebuilt when asked for or missing.
if want base || [ -z "$(image_id "$BASE_IMAGE")" ]; then build_base; fi
# The images on the base spend most of their time waiting for Debian's archive: build them side by side.
pids=() names=()
start() { names+=("$1"); shift; ( "$@" ) & pids+=($!); }
if want postgres; then start postgres build_from_base postgres "$POSTGRES_IMAGE"; fi
if want rabbitmq; then start rabbitmq build_from_base rabbitmq "$RABBITMQ_IMAGE"; fi
if want smtp-sink; then start smtp-sink build_from_base smtp-sink "$SMTP_IMAGE"; fi
if want dotnet || { want services && [ -z "$(image_id "$(dotnet_image)")" ]; }; then start dotnet build_dotnet; fi
failed=()
for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed+=("${names[$i]}"); done
[ ${#failed[@]} -eq 0 ] || die "failed: ${failed[*]} (logs: $LOGS/)"
# On the postgres image, built (or kept) above.
if want pg-auto-failover; then
    [ -n "$(image_id "$POSTGRES_IMAGE")" ] || build_from_base postgres "$POSTGRES_IMAGE"
    build_from_postgres pg-auto-failover "$PGAF_IMAGE"
fi
if want services; then build_services; fi
log "images ready in $((SECONDS - t_start)) s"

# What docker-compose.yml and the tests read (deploy/images/local.env holds the same names).
cat <<EOF
export POSTGRES_IMAGE=$POSTGRES_IMAGE
export RABBITMQ_IMAGE=$RABBITMQ_IMAGE
export PGAF_IMAGE=$PGAF_IMAGE
export SMTP_IMAGE=$SMTP_IMAGE
export ACCOUNTABILITY_IMAGE_PREFIX=accountability
export ACCOUNTABILITY_IMAGE_TAG=$SERVICE_TAG
EOF
