# Inlet: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
FLOWER_PORT ?= 5555
TTL ?= 48h
NAME ?= dev
BASE_URL ?= http://127.0.0.1:$(PORT)
UV ?= $(BIN)/uv
# Compiles for every platform and Python >= 3.11 (the image runs 3.12), hashing every file.
UV_COMPILE := $(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make requirements" $(foreach p,$(UPGRADE),--upgrade-package $(p))

.DEFAULT_GOAL := help
.PHONY: help install requirements lint format test dev token smoke bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes \
		-r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the hash-pinned requirements

requirements: ## Compile requirements*.in into the hash-pinned *.txt (UPGRADE="pkg ..." moves those)
	@test -x $(UV) || { echo "$(UV) is missing: run make install first" >&2; exit 1; }
	$(UV_COMPILE) requirements.in -o requirements.txt
	$(UV_COMPILE) requirements-dev.in -o requirements-dev.txt

lint: $(STAMP) ## ruff, ruff format --check, mypy and actionlint (the workflows)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/actionlint -shellcheck $(BIN)/shellcheck $(wildcard .github/workflows/*.yml)

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint ## Lint, then the whole suite against real servers (started on free ports)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

dev: $(STAMP) ## Run the whole stack without Docker: Inlet (nginx in front of the API) on $PORT, Flower on $FLOWER_PORT
	PORT=$(PORT) FLOWER_PORT=$(FLOWER_PORT) $(BIN)/python -m devstack

token: $(STAMP) ## Print an admin token for the running make dev (NAME=dev, TTL=48h by default)
	@$(BIN)/python -m devstack.token --name $(NAME) --ttl $(TTL)

smoke: $(STAMP) ## The README's walk-through against a running stack (BASE_URL=http://127.0.0.1:$PORT)
	$(BIN)/python -m devstack.smoke $(BASE_URL)

bench: $(STAMP) ## Benchmarks against their floors; writes bench/results/
	$(BIN)/python -m bench

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .dev
