# Two commands: `make demo` and `make test`. Both build .venv from the repo alone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian's Chromium for the customs challenge and browser tests (no browser download
# at run time). Needs root or sudo-less apt, as on the CI machine; elsewhere install it
# yourself: browser tests are skipped without it.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  || echo "warning: could not install chromium; browser tests will be skipped"; }

demo: $(STAMP)
	$(BIN)/regwatch demo --db demo/regwatch.db

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m bench.crawl

clean:
	rm -rf $(VENV) demo .pytest_cache
