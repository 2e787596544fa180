# Two commands on a fresh machine: `make app` (dashboard) and `make test` (whole suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501
# The dashboard listens on this machine only; ADDRESS=0.0.0.0 opens it to the network
# (put it behind an authenticating proxy then: README, Dashboard).
ADDRESS ?= 127.0.0.1

WORKERS ?= 2

.PHONY: venv app app-dev serve-team lint test test-fast browser-deps ingest bench clean

venv: $(STAMP)

# torch is pinned to the local CPU wheel: any other request pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

app: venv
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS)

# Development: rerun on save. Polls the app's own source files; Streamlit's inotify watcher would
# watch the whole folder recursively, .venv/ included, and keep a core busy.
app-dev: venv
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.fileWatcherType poll --server.runOnSave true

# A team: WORKERS processes on 127.0.0.1:PORT… for nginx (deploy/, README « Dashboard »).
serve-team: venv
	$(BIN)/python deploy/serve.py --workers $(WORKERS) --base-port $(PORT) --nginx-conf deploy/out/crossref.conf

# The browser test drives Debian's chromium (never a downloaded browser).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver fonts-noto-color-emoji >/dev/null; }

# Lint (pyflakes, bugbear, complexity <= 12) and types (mypy) first: configured in pyproject.toml.
lint: venv
	$(BIN)/ruff check crossref
	$(BIN)/mypy crossref

test: venv browser-deps lint
	$(BIN)/python -m pytest -q

test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow and not browser"

ingest: venv
	$(BIN)/crossref ingest

bench: venv
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
