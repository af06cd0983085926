# pitstop: `make demo` runs the whole loop on embedded defaults, `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages of the servers the tests start themselves (binary:package).
SERVERS := mosquitto:mosquitto influxd:influxdb victoria-metrics:victoria-metrics \
           chromium:chromium pg_ctlcluster:postgresql

.PHONY: demo test check lint format typecheck servers axe clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[demo]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-demo

demo: $(VENV)/.installed-demo
	$(BIN)/pitstop demo

servers:
	@missing=""; for pair in $(SERVERS); do \
	  bin=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$bin >/dev/null 2>&1 || [ -x /usr/sbin/$$bin ] || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing test servers:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# axe-core, the accessibility checker the page tests load into each page (from the npm
# registry, once; the tests never fetch it, and skip the check without it, or fail under CI).
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js
$(AXE):
	npm install --no-save --no-audit --no-fund --prefix $(VENV)/axe axe-core@^4

axe: $(AXE)

test: $(VENV)/.installed-dev servers $(AXE)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy pitstop cli gateway ingest jobs rules assist api sim tests bench

check: lint typecheck test

clean:
	rm -rf $(VENV) pitstop-data .pytest_cache .mypy_cache .ruff_cache
