# Recourse: `make run` serves the demo, `make test` runs every check.
# Only python3, make and git are needed; uv is bootstrapped into .tools/ if missing.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
HOST ?= 127.0.0.1
PORT ?= 8000
BENCH_SCALE ?= quick

.PHONY: run test install browser-tools lint messages bench worker beat clean fuzz faults access

$(TOOLS)/bin/uv:
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet uv

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python python3.11
	touch $@

install: $(VENV)/.installed

# axe-core, which the browser tests inject into every borrower page, from the committed lock.
# Without npm the accessibility tests skip locally (and fail under CI=true).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --ignore-scripts && touch $@; \
	else echo "npm not found: the axe-core accessibility checks will not run"; fi

browser-tools: node_modules/.installed

# Links the demo prints and sends (SITE_URL) point at the address it serves, unless set.
run: export SITE_URL := $(or $(SITE_URL),http://$(HOST):$(PORT))
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

test: lint browser-tools
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Parts of `make test` on their own (docs/security.md).
fuzz: install
	$(VENV)/bin/pytest tests/api/test_schema_fuzz.py $(PYTEST_ARGS)

faults: install
	$(VENV)/bin/pytest tests/faults $(PYTEST_ARGS)

access: install
	$(VENV)/bin/pytest tests/test_access_matrix.py $(PYTEST_ARGS)

# Regenerate the translation catalogues after adding strings (needs GNU gettext).
messages: install
	$(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore=.venv --ignore=.tools --ignore=staticfiles --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv --ignore=.tools

bench: install
	$(PY) -m bench --scale $(BENCH_SCALE)

worker: install
	$(VENV)/bin/celery -A config worker -l info

beat: install
	$(VENV)/bin/celery -A config beat -l info

clean:
	rm -rf $(VENV) $(TOOLS) staticfiles var db.sqlite3 node_modules
