# Collectiv'Récup — the two commands a newcomer needs are `make run` and `make test`.
# Everything else (virtualenv, dependencies, local PostgreSQL) is set up on the way.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
export PYTHONPATH := platform:.
LOCAL  := $(BIN)/python -m collectivrecup.localdev
# Tools whose dependencies clash with the application's live in their own virtualenv.
TOOLS  := .venv-tools
CHECKOV_VERSION := 3.3.30

.PHONY: run test lint bench loadtest faults audit messages manage install tools browser lock clean-var screenshots

# Every install path (this one, the image, CI) installs the pinned, hashed lock files of
# requirements/, never version ranges: two machines a week apart run the same code.
$(BIN)/.installed: requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes \
		--no-deps -r requirements/dev.txt
	@touch $@

install: $(BIN)/.installed

# checkov scans terraform/ (tests/infra/test_checkov.py); about 30 s once per machine.
$(TOOLS)/.checkov-$(CHECKOV_VERSION):
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	PYTHONPATH= $(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check 'checkov==$(CHECKOV_VERSION)'
	@touch $@

tools: $(TOOLS)/.checkov-$(CHECKOV_VERSION)

# Debian's Chromium for the browser tests: installed when root, else one line and a stop.
browser:
	@infra/ensure-chromium.sh

## Start the product: local PostgreSQL (unless DATABASE_URL is set), migrations,
## demo data, then web (gunicorn) + Celery worker + beat on port $${PORT:-8000}, and a
## demo ProConnect on 127.0.0.1:8900 (unless PROCONNECT_ISSUER is set).
run: install
	$(LOCAL) run

## Lint, then the whole test suite (unit, integration and browser tests).
test: browser install lint tools
	$(LOCAL) exec -- $(BIN)/python -m pytest -m "not network" $(PYTEST_ARGS)

## Known vulnerabilities in the installed dependencies (pip-audit; needs PyPI's advisory
## data, which this workplace's machines cannot reach: run it where the network allows).
audit: install
	$(BIN)/python -m pytest -m network tests/platform_core/test_dependencies.py

## ruff, then the layers between and inside apps (import-linter, [tool.importlinter]).
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

## Benchmarks: prints a table and writes var/bench/latest.json.
bench: install
	$(LOCAL) exec -- $(BIN)/python -m tests.bench

## Load test of the served product (Locust, headless, stops by itself): agents, moderators
## and a partner over LOAD_AUTHORITIES authorities, then the feed / sign-in page throughput
## ratio. Against LOAD_URL (default http://localhost:$${PORT:-8000}, `make run`'s stack),
## started and stopped here if nothing listens. Prints a table, writes var/bench/load.json.
LOAD_USERS ?= 4
LOAD_DURATION ?= 60
LOAD_AUTHORITIES ?= 4
loadtest: install
	$(LOCAL) exec -- $(BIN)/python -m tests.load --users $(LOAD_USERS) \
		--duration $(LOAD_DURATION) --authorities $(LOAD_AUTHORITIES) $(if $(LOAD_URL),--url $(LOAD_URL))

## Faults under traffic: the load test against a stack of its own (private PostgreSQL,
## Redis, SMTP sink, S3 store, webhook receiver) while each dependency fails in turn;
## stops by itself. Prints a table, writes var/bench/faults.json (docs/operations.md).
FAULT_CASES ?= mail,s3,postgres,broker,worker
FAULT_SECONDS ?= 20
faults: install
	$(BIN)/python -m tests.faults --cases $(FAULT_CASES) --users $(LOAD_USERS) \
		--fault-seconds $(FAULT_SECONDS)

## Refresh the lock files from pyproject.toml's ranges (newest versions allowed); name the
## upgrades in CHANGELOG.md. requirements/base.txt is the image's, dev.txt everyone else's.
LOCK   := .venv-lock
PIP_TOOLS_VERSION := 7.7.0
COMPILE = PYTHONPATH= $(LOCK)/bin/pip-compile --quiet --generate-hashes --strip-extras \
	--allow-unsafe --no-emit-index-url --no-emit-find-links --upgrade
lock:
	@test -x $(LOCK)/bin/pip-compile || ($(PYTHON) -m venv $(LOCK) && \
		$(LOCK)/bin/pip install --quiet 'pip-tools==$(PIP_TOOLS_VERSION)')
	$(COMPILE) --extra release -o requirements/base.txt pyproject.toml
	$(COMPILE) --extra release --extra local --extra dev -c requirements/base.txt \
		-o requirements/dev.txt pyproject.toml

## Any management command against the local database, e.g. `make manage ARGS="shell"`.
manage: install
	$(LOCAL) exec -- $(BIN)/python manage.py $(ARGS)

## Phone screenshots of the feed and a listing for the README (docs/screenshots/).
screenshots: browser install
	$(LOCAL) exec -- $(BIN)/python -m tests.browser.screenshots

## Refresh the translation catalogues after changing user-visible strings.
messages: install
	$(LOCAL) exec -- $(BIN)/python manage.py makemessages -l fr -l en --no-location --ignore=.venv --ignore=var
	$(LOCAL) exec -- $(BIN)/python manage.py compilemessages --ignore=.venv

clean-var:
	rm -rf var/
