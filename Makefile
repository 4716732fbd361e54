# MedSync — `make run` starts the whole service here; `make test` sets up and runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed
PORT ?= 8000
CHROMIUM := /usr/bin/chromium
WRK := /usr/bin/wrk
TRANSLATIONS := medsync/translations
CATALOGS := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)
# The gettext calls to extract: Flask-Babel's lazy ones too (texts defined at import); translators' comments kept.
EXTRACT := $(VENV)/bin/pybabel -q extract -F babel.cfg --no-location --sort-output --project MedSync \
	--add-comments=Translators: -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test bench bench-patients bench-scale setup services db migrate seed worker beat web lint clean translations extract results-key

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP) $(COMPILED) $(CHROMIUM)  ## the virtualenv with the pinned dependencies, the compiled catalogs; Chromium for the browser tests

# A catalog's compiled form, rebuilt whenever its .po changes (the .mo files are not committed).
$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(STAMP)
	$(VENV)/bin/pybabel -q compile -d $(TRANSLATIONS) -l $* --statistics

# Debian's Chromium drives the Mini App's browser tests and benchmark (Playwright never downloads its own).
$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive apt-get install -y chromium || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

# wrk drives the HTTP benchmarks (Debian's package, installed like Chromium when missing).
$(WRK):
	DEBIAN_FRONTEND=noninteractive apt-get install -y wrk || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk)

services:  ## start local PostgreSQL, Redis and RabbitMQ if they are down
	@./scripts/ensure-services

# Result files are encrypted with RESULTS_KEY and nothing starts without one: for development, a key of its own is
# written into .env (an empty RESULTS_KEY= line filled in, else one added) unless the environment or .env has one.
results-key: setup
	@if [ -z "$$RESULTS_KEY" ] && ! grep -qs '^RESULTS_KEY=.' .env; then \
	  key="$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"; \
	  if grep -qs '^RESULTS_KEY=$$' .env; then sed -i "s|^RESULTS_KEY=$$|RESULTS_KEY=$$key|" .env; \
	  else { [ ! -s .env ] || [ -z "$$(tail -c1 .env)" ] || echo; echo "RESULTS_KEY=$$key"; } >> .env; fi; \
	  echo "No RESULTS_KEY was set: created a development key in .env (result files are encrypted with it; keep it with var/results)."; \
	fi

db: setup services results-key  ## create the database, apply migrations, seed the demo catalog when empty
	$(FLASK) medsync create-db
	$(FLASK) db upgrade
	$(FLASK) medsync seed-if-empty

run: db  ## web (gunicorn), Celery worker and beat together
	@# The Mini App's URL as the app computes it; every process gets it (honcho gives each process its own PORT).
	@# Every process reads .env itself, as the `flask` commands do (python-dotenv: a variable already set wins);
	@# honcho's own reading (--env) is off, since it would let .env override what is set here and in the shell.
	@url="$$(PORT=$(PORT) $(FLASK) medsync webapp-url)"; \
	echo "MedSync API on http://127.0.0.1:$(PORT)  (health: /healthz, readiness: /readyz, OpenAPI: /api/v1/openapi.json)"; \
	echo "Mini App: $$url/  (open it in a browser; book from Telegram)"; \
	if [ "$$(id -u)" = 0 ]; then echo "Running as root: the Celery worker warns about it (SecurityWarning; README, Quick start)."; fi; \
	PORT=$(PORT) WEBAPP_URL="$$url" $(VENV)/bin/honcho start -f Procfile --env /dev/null

test: setup services  ## every test, against real PostgreSQL and Redis
	$(PY) -m pytest -q -n 2  # two workers: each its own database and Redis database (tests/conftest.py)

bench: setup services $(WRK)  ## every issue-10 scenario beside /healthz in one table (BENCH_ARGS="--seconds 10"), then the patient search
	$(PY) -m bench $(BENCH_ARGS)
	$(PY) -m bench.patient_search $(BENCH_PATIENTS_ARGS)

bench-patients: setup services  ## issue 19: the front desk's patient search on 100,000 patients (BENCH_PATIENTS_ARGS="--reuse")
	$(PY) -m bench.patient_search $(BENCH_PATIENTS_ARGS)

bench-scale: setup services $(WRK)  ## issue 21: demo database beside a generated clinic network (BENCH_ARGS="--scale-factor 0.1")
	$(PY) -m bench --scale $(BENCH_ARGS)

migrate: setup  ## apply migrations to DATABASE_URL
	$(FLASK) db upgrade

seed: setup  ## load (or refresh) the demo catalog
	$(FLASK) medsync seed-demo

translations: $(STAMP)  ## re-extract every text of the service, update every catalog, compile them
	$(MAKE) -s extract POT=$(TRANSLATIONS)/messages.pot
	$(VENV)/bin/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching --ignore-obsolete
	$(VENV)/bin/pybabel -q compile -d $(TRANSLATIONS) --statistics

extract:  ## the message template of the current sources, written to POT (tests compare it with the committed one)
	$(EXTRACT) -o $(POT) .

clean:
	rm -rf $(VENV) var .pytest_cache
