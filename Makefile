# fupin: `make run` to use it, `make test` to prove it. Nothing else is needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run dev test bench bench-http loadtest lint format services stop clean backup restore

$(INSTALLED): requirements.txt requirements-dev.txt build-constraints.txt fupin/vendor_assets.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --build-constraint build-constraints.txt -r requirements-dev.txt
	$(PY) -m fupin.vendor_assets
	touch $(INSTALLED)

## Embedded PostgreSQL + Redis (unless DATABASE_URL / REDIS_URL are set), migrate,
## demo province, collectstatic, gunicorn on 127.0.0.1:8000 (DEBUG off, like production),
## Celery worker and beat; ready when /health/ answers. Ctrl-C stops all.
run: $(INSTALLED)
	$(PY) -m fupin.embedded run

## Development only: the same with Django's debug server (DEBUG=1: tracebacks in the browser).
dev: $(INSTALLED)
	$(PY) -m fupin.embedded dev

## The whole suite on the embedded services (or DATABASE_URL / REDIS_URL when set).
test: $(INSTALLED)
	FUPIN_FAST_PG=1 $(PY) -m fupin.embedded exec -- $(PY) -m pytest $(PYTEST_ARGS)

## Province-scale timings into bench/results/latest.json (BENCH_HOUSEHOLDS=2000000).
bench: $(INSTALLED)
	FUPIN_FAST_PG=1 $(PY) -m fupin.embedded exec -- $(PY) -m bench.run

## 200 concurrent GETs of the household list as demo_clerk against a running `make run`: p50/p95.
bench-http: $(INSTALLED)
	$(PY) -m bench.concurrency --url http://127.0.0.1:8000 --requests 200

## Locust: 200 simulated clerks, reviewers and province staff (bench/locustfile.py) for 2 minutes
## against gunicorn on loopback, on the bench database (LOADTEST_USERS, LOADTEST_SECONDS, BENCH_HOUSEHOLDS).
loadtest: $(INSTALLED)
	FUPIN_FAST_PG=1 $(PY) -m fupin.embedded exec -- $(PY) -m bench.loadtest

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(INSTALLED)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

services: $(INSTALLED)
	$(PY) -m fupin.embedded start

stop: $(INSTALLED)
	$(PY) -m fupin.embedded stop

## The database (pg_dump custom format) and the keys it needs, into var/backups (BACKUP_DIR=…).
backup: $(INSTALLED)
	$(PY) -m fupin.embedded exec -- $(PY) manage.py backup $(if $(BACKUP_DIR),--dir $(BACKUP_DIR))

## Replace the database with BACKUP=var/backups/fupin-….dump; its .keys.env must be beside it
## and its keys in force (README, Backups).
restore: $(INSTALLED)
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=var/backups/fupin-YYYYmmdd-HHMMSS.dump" >&2; exit 2; }
	$(PY) -m fupin.embedded exec -- $(PY) manage.py restore $(BACKUP)

clean: stop
	rm -rf var
