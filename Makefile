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

.DEFAULT_GOAL := help
.PHONY: help install lint format test dev token bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned requirements

lint: $(STAMP) ## ruff, ruff format --check and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint ## Lint, then the whole suite against real servers (started on free ports)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

dev: $(STAMP) ## Run the whole stack without Docker: Inlet (nginx in front of the API) on $PORT, Flower on $FLOWER_PORT
	PORT=$(PORT) FLOWER_PORT=$(FLOWER_PORT) $(BIN)/python -m devstack

token: $(STAMP) ## Print an admin token for the running make dev (NAME=dev, TTL=48h by default)
	@$(BIN)/python -m devstack.token --name $(NAME) --ttl $(TTL)

bench: $(STAMP) ## Benchmarks against their floors; writes bench/results/
	$(BIN)/python -m bench

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .dev
