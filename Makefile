# Two commands: `make demo` and `make test`. Both build .venv from the repo alone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-timeline clean system

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian packages: Chromium for the customs challenge and browser tests (no browser
# download at run time), and a CJK font so generated PDF attachments carry Chinese text.
# Needs root (as on the CI machine); elsewhere install them yourself.
SYSTEM_PACKAGES := chromium fonts-wqy-microhei
system:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	  [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing="$$missing fonts-wqy-microhei"; \
	  if [ -n "$$missing" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) \
	    || echo "warning: could not install:$$missing (browser/PDF tests will be skipped or fail)"; \
	  fi

demo: $(STAMP) system
	$(BIN)/regwatch demo --db demo/regwatch.db

test: $(STAMP) system
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

# Every script in bench/. `make bench` runs them at full size (the 100k-catalogue ones are
# bench-timeline's); `make bench SMOKE=1` runs every one at its seconds-long --smoke size,
# as `make test` does (tests/test_bench.py).
BENCHES := $(sort $(basename $(notdir $(shell grep -l 'if __name__ == "__main__"' bench/*.py))))
ifdef SMOKE
BENCH_RUN := $(BENCHES)
BENCH_ARGS := --smoke
else
BENCH_RUN := $(filter-out synthetic timeline_bench web_bench,$(BENCHES))
BENCH_ARGS :=
endif

bench: $(STAMP) system
	@set -e; for b in $(BENCH_RUN); do echo "== python -m bench.$$b $(BENCH_ARGS)"; \
	  $(BIN)/python -m bench.$$b $(BENCH_ARGS); done

# The 100k-announcement synthetic catalogue (several minutes, ~2 GB): timeline, search, web.
bench-timeline: $(STAMP)
	$(BIN)/python -m bench.timeline_bench --build --db bench/out/synthetic.db
	$(BIN)/python -m bench.web_bench --db bench/out/synthetic.db

clean:
	rm -rf $(VENV) demo .pytest_cache
