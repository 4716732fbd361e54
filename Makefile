# MedSync — `make run` starts the whole service here; `make test` sets up and runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed
PORT ?= 8000

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test bench setup services db migrate seed worker beat web lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)  ## create the virtualenv with the pinned dependencies

services:  ## start local PostgreSQL and Redis if they are down
	@./scripts/ensure-services

db: setup services  ## create the database, apply migrations, seed the demo catalog when empty
	$(FLASK) medsync create-db
	$(FLASK) db upgrade
	$(FLASK) medsync seed-if-empty

run: db  ## web (gunicorn), Celery worker and beat together
	@echo "MedSync API on http://127.0.0.1:$(PORT)  (health: /healthz, readiness: /readyz, OpenAPI: /api/v1/openapi.json)"
	PORT=$(PORT) $(VENV)/bin/honcho start -f Procfile

test: setup services  ## every test, against real PostgreSQL and Redis
	$(PY) -m pytest -q

bench: setup services  ## benchmarks: API, webhook, delivery (each on its own database)
	$(PY) -m bench.api
	$(PY) -m bench.webhook
	$(PY) -m bench.delivery

migrate: setup  ## apply migrations to DATABASE_URL
	$(FLASK) db upgrade

seed: setup  ## load (or refresh) the demo catalog
	$(FLASK) medsync seed-demo

clean:
	rm -rf $(VENV) var .pytest_cache
