# cogest: `make run` starts the app with demo data; `make test` runs the whole test suite.
# Needs only Python 3.11+. With DATABASE_URL / REDIS_URL set, PostgreSQL and Redis are used.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test install lint format assets messages clean

$(BIN)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo
	@echo "  cogest is starting at http://$(HOST):$(PORT)/  (partner portal: /partner/, API docs: /api/docs/)"
	@echo "  Demo users (password cogest-demo): admin, ana, ivan, marta (internal);"
	@echo "  pablo, lucia (Acme MSP); sam (Shadow Partners); rita (requester). Ctrl-C stops everything."
	@echo
	$(BIN)/honcho --procfile Procfile.dev start

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Refresh the vendored front-end packages from npm (needs Node.js; the result is committed).
assets:
	./scripts/vendor-assets.sh

# Refresh the Spanish catalogue after changing UI strings (needs gettext), then translate the new
# entries in cogest/locale/es/LC_MESSAGES/django.po and run `make messages` again to compile.
# One catalogue for everything: templates/ and every app write to LOCALE_PATHS (cogest/locale).
MESSAGES_IGNORE := --ignore ".venv/*" --ignore "node_modules/*" --ignore "var/*" --ignore "tests/*" \
	--ignore "bench/*" --ignore "docs/*" --ignore "scripts/*"
messages: install
	$(BIN)/python manage.py makemessages -l es --no-obsolete $(MESSAGES_IGNORE)
	$(BIN)/python manage.py makemessages -d djangojs -l es --no-obsolete $(MESSAGES_IGNORE) --ignore "cogest/static/vendor/*"
	$(BIN)/python manage.py compilemessages --ignore ".venv/*" --ignore "node_modules/*"

clean:
	rm -rf var/celery var/static
