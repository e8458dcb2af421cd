# ResShift Pipeline. `make run` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
.DEFAULT_GOAL := build
DOTNET ?= dotnet
CONFIG ?= Release
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1

.PHONY: setup build test test-dotnet test-models run bench clean publish models

setup:
	@scripts/setup.sh

build: setup
	$(DOTNET) build ResShift.Pipeline.sln -c $(CONFIG) --nologo -v q
	@mkdir -p bin
	@printf '#!/usr/bin/env bash\nexec "%s/src/Daemon/bin/$(CONFIG)/net10.0/resshift" "$$@"\n' "$(CURDIR)" > bin/resshift
	@chmod +x bin/resshift
	@echo "built bin/resshift"

test: build
	@scripts/test.sh

test-models:
	@scripts/test-models.sh --require

run: build
	@scripts/run.sh

bench: build
	bin/resshift bench --model tiny-x4 --engine cpu

# Export an official model from its checkpoints (needs the internet, or RESSHIFT_WEIGHTS=DIR with the .pth files).
models:
	@test -n "$(MODEL)" || { echo "usage: make models MODEL=<id> [RESSHIFT_WEIGHTS=DIR]"; exit 2; }
	@scripts/setup-models.sh
	engines/make_models.sh $(MODEL) $(if $(RESSHIFT_WEIGHTS),--weights $(RESSHIFT_WEIGHTS),)

clean:
	rm -rf bin out src/*/bin src/*/obj tests/*/bin tests/*/obj
