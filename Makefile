# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# The interop tests' JavaScript (oauth4webapi), pinned by its lock file.
JS_DIR := tests/interop/js
JS_STAMP := $(JS_DIR)/node_modules/.installed

.PHONY: run test js serve lint format bench bench-serve fuzz clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(VENV)/bin/oauth-playground ui

serve: $(STAMP)
	$(VENV)/bin/oauth-playground serve

# npm ci again whenever package.json or the lock file changes.
$(JS_STAMP): $(JS_DIR)/package.json $(JS_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20+ and npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	cd $(JS_DIR) && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

js: $(JS_STAMP)

test: $(TEST_STAMP) $(JS_STAMP)
	$(PY) -m pytest

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(TEST_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(TEST_STAMP)
	$(PY) bench/lesson_flow.py
	$(PY) bench/ui_next.py
	$(PY) bench/ui_cold_start.py
	$(PY) bench/long_lessons.py

# serve under 12 workers for 60 s, JWT and opaque tokens (~8 minutes).
bench-serve: $(TEST_STAMP)
	$(PY) bench/serve_load.py

# The fuzz suite at 20 times its usual number of examples (a few minutes).
fuzz: $(TEST_STAMP)
	FUZZ_SCALE=20 $(PY) -m pytest tests/fuzz

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache $(JS_DIR)/node_modules
