# Accountability: local run and test entry points. See README.md.
#   make up                          build (Release), start PostgreSQL + RabbitMQ and the five services
#   make down                        stop the services and the servers
#   make test [TEST_ARGS=...]        every test against throwaway servers; last line "N passed, N failed"
#   make token ROLE=<role> [SUB=id]  a JWT accepted by the services of `make up`
#   make compose-check               docker-compose.yml for real: images, the whole system, one complaint
#   make k8s-check                   deploy/k8s offline: kustomize base and overlays, validate every object

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

DOTNET ?= dotnet
INFRA := deploy/local/infra.sh
SERVICES := deploy/local/services.sh
TEST_ARGS ?=
ROLE ?=
SUB ?=
DEVTOKEN_DLL := tools/Accountability.DevToken/bin/Release/net10.0/Accountability.DevToken.dll

.PHONY: help up down test token

help:
	@sed -n '2,7p' $(firstword $(MAKEFILE_LIST)) | sed 's/^# \{0,1\}//'

up:
	$(DOTNET) build Accountability.sln -c Release
	$(INFRA) start --profile up > /dev/null
	$(SERVICES) start --profile up

down:
	$(SERVICES) stop --profile up
	$(INFRA) stop --profile up

test:
	deploy/local/test.sh $(TEST_ARGS)

token:
	@if [ -z "$(ROLE)" ]; then echo "usage: make token ROLE=<role> [SUB=<person-id>]" >&2; exit 2; fi
	@out=$$($(DOTNET) build tools/Accountability.DevToken -c Release -nologo -v quiet 2>&1) || { printf '%s\n' "$$out" >&2; exit 1; }
	@key=$$($(SERVICES) signing-key --profile up 2>/dev/null); \
	  $(DOTNET) $(DEVTOKEN_DLL) --role "$(ROLE)" $(if $(SUB),--sub "$(SUB)") --key-file "$$key" --directory deploy/org/directory.json

# make bench [QUICK=1] [REF=<git ref> [ROUNDS=4]] [BENCH_ARGS='--cases 5000 --rate 50'] [BENCH_PROFILE=bench]
#   Release build, throwaway servers (infra.sh profile BENCH_PROFILE, which must not be in use), the five
#   services, baselines, end-to-end load, audit replay; prints a table and writes bench/results/latest.json.
QUICK ?=
BENCH_ARGS ?=
REF ?=
ROUNDS ?=
BENCH_PROFILE ?= bench
BENCH_DLL := bench/Accountability.Bench/bin/Release/net10.0/Accountability.Bench.dll
.PHONY: bench
bench:
	$(DOTNET) build bench/Accountability.Bench -c Release -nologo -v quiet -clp:ErrorsOnly
	@for p in Intake Assignment Escalation Notification; do \
	  $(DOTNET) build services/$$p -c Release --no-dependencies -nologo -v quiet -clp:ErrorsOnly || exit 1; done
	$(DOTNET) $(BENCH_DLL) --profile $(BENCH_PROFILE) $(if $(QUICK),--quick) $(if $(REF),--ref $(REF)) $(if $(ROUNDS),--rounds $(ROUNDS)) $(BENCH_ARGS)

# make chaos [QUICK=1] [CLUSTER=1] [CHAOS_ARGS='--complaints 5000 --fuzz-seed 42']
#   Release build, throwaway servers (infra.sh profile chaos, ports 59xxx),
#   the five services under a load of complaints with kill -9, RabbitMQ and PostgreSQL restarts and two
#   instances of everything; then the checker (lost, duplicated, unowned, miscounted, audit verify) and 10,000 fuzz requests.
#   CLUSTER=1: against three RabbitMQ nodes and PostgreSQL with failover, as containers (deploy/local/chaos-cluster.sh):
#   the busiest broker node killed, a 30 s partition, a rolling restart, the database primary killed, three
#   instances of everything; the same checker, no fuzzing.
#   Exit status 0 only when every count is 0 and every fault is proven. See docs/chaos.md.
CHAOS_ARGS ?=
CHAOS_DLL := tests/Accountability.Chaos/bin/Release/net10.0/Accountability.Chaos.dll
.PHONY: chaos
chaos:
	deploy/lib/aiosmtpd.sh
	$(DOTNET) build tests/Accountability.Chaos -c Release -nologo -v quiet -clp:ErrorsOnly
	$(if $(CLUSTER),deploy/local/chaos-cluster.sh,$(DOTNET) $(CHAOS_DLL)) $(if $(QUICK),--quick) $(CHAOS_ARGS)

# make compose-check
#   Starts a Docker engine if none answers (deploy/docker/engine.sh), builds the images from Debian
#   packages (deploy/images/build.sh; cached), runs docker-compose.yml as project accountability-check on
#   ports 27xxx, files a complaint and waits until it is owned by a person, mailed and audited, then
#   brings it all down. Last line "compose-check: PASS|FAIL: ...".
.PHONY: compose-check images
compose-check:
	deploy/docker/compose-check.sh

# make images: only build what is missing or changed of the images (see deploy/images/build.sh).
images:
	deploy/docker/engine.sh start > /dev/null
	deploy/images/build.sh > /dev/null

# make k8s-check: what kustomize builds from deploy/k8s (base and overlays), validated offline against the
#   Kubernetes API and operator schemas (deploy/k8s/check/run.sh; make test runs it too). Needs kubectl.
.PHONY: k8s-check
k8s-check:
	deploy/k8s/check/run.sh
