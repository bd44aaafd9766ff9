# ctrlpanel: `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The tests' PostgreSQL and Redis: POSTGRES_URL and REDIS_URL when given, else throwaway ones (tests/services.py).
SERVICES := $(PY) -m tests.services
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help run system-packages bench-packages test test-postgres test-sqlite lint bench bench-peer migrate clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/base.txt requirements/dev.txt requirements/clients-octodns3.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	# octodns-mythicbeasts 3.x conflicts with the 1.0.0 above: its own directory, run by the tests with PYTHONPATH
	$(PY) -m pip install --quiet --upgrade --target $(VENV)/clients/octodns3 -r requirements/clients-octodns3.txt
	touch $@

.env:
	@echo "SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	@echo "SECURE_COOKIES=0" >> .env
	@echo "created .env with a fresh SECRET_KEY, cookies allowed over plain HTTP (see .env.example)"

run: $(VENV)/.installed .env ## set up and serve the product on http://127.0.0.1:$(PORT) (SQLite unless DATABASE_URL is set)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py demo_setup
# waitress, not gunicorn: it buffers each request before a thread sees it, so slow clients hold no thread
	$(PY) -m panel.serve --port $(PORT)

system-packages: ## install the Debian packages of requirements/apt.txt that are missing (sudo unless root)
	@bash requirements/apt-install.sh requirements/apt.txt

# One PostgreSQL and one Redis for both runs; test-postgres and test-sqlite use them (or start their own when alone).
test: system-packages $(VENV)/.installed ## the whole suite on PostgreSQL, then on SQLite (POSTGRES_URL, REDIS_URL or its own)
	$(SERVICES) --postgres --redis -- $(MAKE) --no-print-directory test-postgres test-sqlite

test-postgres: system-packages $(VENV)/.installed ## the suite on PostgreSQL (POSTGRES_URL or its own)
	$(SERVICES) --postgres --redis -- $(PY) -m pytest -n 2 -q $(PYTEST_ARGS)

test-sqlite: system-packages $(VENV)/.installed ## the suite on SQLite
	DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 $(SERVICES) --redis -- $(PY) -m pytest -n 2 -q -m "not postgres" $(PYTEST_ARGS)

lint: $(VENV)/.installed ## ruff, mypy, the import contracts (layers, no cycle) and the migration check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

bench-packages: ## install the Debian packages of requirements/apt-bench.txt that are missing (PowerDNS, the peer)
	@bash requirements/apt-install.sh requirements/apt-bench.txt

# The peer benchmark first, then every other script in bench/ (modules without a __main__, such as harness.py, are
# skipped); `make bench PEER_ARGS=--quick` keeps the peer to one short round (bench/peer_pdns.py --help for the rest).
# bench/scale.py runs at BENCH_SCALE: 1/50 of issue 15's provider by default (a load of minutes at BENCH_SCALE=1).
PEER := bench/peer_pdns.py
BENCH_SCALE ?= 0.02
bench: system-packages bench-packages $(VENV)/.installed bench-peer ## run the benchmarks in bench/ (each prints its table and command)
	@for script in $(filter-out $(PEER),$(sort $(wildcard bench/*.py))); do \
		grep -q '^if __name__ == "__main__":' $$script || continue; \
		args=$$([ $$script = bench/scale.py ] && echo "--scale $(BENCH_SCALE)"); \
		echo "== $$script $$args"; $(PY) $$script $$args || exit 1; \
	done

bench-peer: bench-packages $(VENV)/.installed ## PowerDNS and ctrlpanel side by side, issue 14's table (PEER_ARGS=--quick: one short round)
	@echo "== $(PEER) $(PEER_ARGS)"
	@$(PY) $(PEER) $(PEER_ARGS)

clean: ## remove the virtualenv, caches and the SQLite database
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache var db.sqlite3*
