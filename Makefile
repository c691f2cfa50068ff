# The two commands of the README's quick start, and what they need.
#   make run   installs the app into .venv and serves it on http://127.0.0.1:5000 (SQLite, seeds loaded)
#   make test  installs the app with its test tools, runs the static checks (ruff, mypy), then the whole suite
#              (browser tests included)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test check serve-team browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/flask --app webapp run --host $(HOST) --port $(PORT)

browser:
	@scripts/ensure-chromium

# Static checks (configured in pyproject.toml): lint, then types.
check: $(VENV)/.installed
	$(BIN)/ruff check webapp tests scripts
	$(BIN)/mypy

test: $(VENV)/.installed browser check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Production-style server (set DATABASE_URL and SECRET_KEY first; see README "Running for a team").
serve-team: $(VENV)/.installed
	$(BIN)/flask --app webapp db upgrade
	$(BIN)/gunicorn --workers 4 --bind $(HOST):$(PORT) 'webapp:create_app()'

clean:
	rm -rf $(VENV) instance .pytest_cache
