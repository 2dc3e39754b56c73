# Podium: `make run` serves it, `make test` proves it. Both work on a fresh
# machine with only Python 3.11 and make.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

# Development conveniences that production never gets: see README "Configuration".
export PODIUM_DEV_SECRET ?= 1

.PHONY: run superuser test test-reliability lint migrate serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

migrate: $(VENV)/.installed-run
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

## run: install, migrate, load the demo data (once), serve HTTP and websockets on $(HOST):$(PORT)
run: migrate
	$(BIN)/python manage.py seed_demo
	PODIUM_WELCOME=1 HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) deploy/serve-single

## superuser: create an operator account for /admin/ (asks for a username, email and password)
superuser: migrate
	$(BIN)/python manage.py createsuperuser $(SUPERUSER_ARGS)

## serve: the production layout on one host (nginx, WSGI workers, ASGI for websockets); see README
serve: migrate
	deploy/serve

## test: install, lint, check migrations, run the whole suite
test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/pytest -m "not reliability"

## test-reliability: fault injection (Redis and PostgreSQL outages, killed workers, racing retries); prints a table
test-reliability: $(VENV)/.installed-dev
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/pytest -m reliability tests/reliability

$(VENV)/.installed-bench: requirements.txt requirements-bench.txt | $(BIN)/python
	$(BIN)/pip install -r requirements-bench.txt
	touch $@ $(VENV)/.installed-run

# Debian packages the bench drives: wrk (load), nginx (deploy/serve), redis-server (its private Redis).
BENCH_APT := $(if $(shell command -v wrk),,wrk) \
	$(if $(shell command -v nginx || test -x /usr/sbin/nginx && echo y),,nginx) \
	$(if $(shell command -v redis-server),,redis-server)
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

## bench: load the bench data set (once), run every scenario, print the tables, write bench/results/latest.*
##        needs PostgreSQL on 127.0.0.1:5432; BENCH_ARGS="--quick" for a smoke run, "--reseed" to reload
bench: $(VENV)/.installed-bench
ifneq ($(strip $(BENCH_APT)),)
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(strip $(BENCH_APT))
endif
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
