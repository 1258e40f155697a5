#!/usr/bin/env bash
# The offline check of deploy/k8s (validate.mjs): installs its npm packages exactly as locked when they are
# missing or stale, then validates what kustomize builds from the base and every overlay, or from the
# directories given as arguments. Needs Node.js 20+ with npm, and kubectl (its built-in kustomize).
#   deploy/k8s/check/run.sh [kustomization dir...]   validate (default: base and every overlay)
#   deploy/k8s/check/run.sh --install                 only install the npm packages (npm ci) when stale
# Last line: "k8s-check: N objects from M kustomization(s), K invalid"; exit status 0 only when K is 0.
set -euo pipefail
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd -P)
cd "$HERE"
install_only=0
[ "${1:-}" = --install ] && install_only=1
tools="node npm kubectl"
[ "$install_only" = 1 ] && tools="node npm"
for tool in $tools; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "k8s-check: $tool is missing (Node.js and npm: apt-get install nodejs npm; kubectl brings kustomize)" >&2
        exit 2
    fi
done
# npm ci only when the lock changed since the last install (it wipes node_modules, which takes a while).
stamp=node_modules/.accountability-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    npm ci --no-audit --no-fund --loglevel=error >&2
    echo "$want" > "$stamp"
fi
[ "$install_only" = 1 ] && exit 0
exec node validate.mjs "$@"
