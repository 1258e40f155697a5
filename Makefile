# Accountability: local run and test entry points. See README.md.
#   make up                          build (Release), start PostgreSQL + RabbitMQ and the five services
#   make down                        stop the services and the servers
#   make test [TEST_ARGS=...]        every test against throwaway servers; last line "N passed, N failed"
#   make token ROLE=<role> [SUB=id]  a JWT accepted by the services of `make up`

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
	@sed -n '2,5p' $(firstword $(MAKEFILE_LIST)) | sed 's/^# \{0,1\}//'

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
