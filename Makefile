# peer-ce: `make run` serves the API on a bare machine; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Python writes its bytecode caches (__pycache__/, ignored by git and Docker): the suite starts many Python
# processes (xdist workers, live servers, CLI subprocesses), and with PYTHONDONTWRITEBYTECODE set, as some
# shells have it, each compiled every source and pytest rewrote every test module again (9 s a worker).
unexport PYTHONDONTWRITEBYTECODE
# the compiled engine's sources (see install below) and the stamp of its last build attempt
COMPILED_SOURCES := $(wildcard app/rules/engine/*.py) app/compliance/courses.py app/compliance/facts.py \
	app/compliance/rows.py app/compliance/versions.py app/build.py tools/build_compiled.py
COMPILED_STAMP := $(VENV)/.compiled

.PHONY: run demo test screenshots contract install lock openapi lint format-check typecheck check clean

run: install ## set up, migrate, load shipped content and serve on PEER_CE_HOST:PEER_CE_PORT
	@echo "peer-ce: serving on http://$${PEER_CE_HOST:-127.0.0.1}:$${PEER_CE_PORT:-8000} (docs at /docs)."
	@echo "peer-ce: mint a development token with '$(BIN)/peer-ce token --role admin'."
	@echo "peer-ce: for synthetic peers, courses and ready-to-open status links, run 'make demo' (peer-ce demo) first."
	$(BIN)/peer-ce serve

demo: install ## fill the embedded database with synthetic demo data and print URLs and tokens to try
	$(BIN)/peer-ce demo $(DEMO_ARGS)

# One worker per core (pytest-xdist), each on a migrated database of its own; a module's tests stay on one
# worker (their module-scoped fixtures are built once), tests/web/ as a whole too, and the longest modules go
# out first (tests/support/schedule.py). PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= auto

test: install ## run the whole suite (SQLite; set PEER_CE_TEST_DATABASE_URL for PostgreSQL)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

screenshots: install ## the browser tests (tests/web/), saving each page's screenshots in test-artifacts/ to look at
	PEER_CE_SCREENSHOTS=1 $(BIN)/python -m pytest -q -p no:xdist tests/web $(PYTEST_ARGS)

CONTRACT_EXAMPLES ?= 20

CLIENT := frontend-contract/python

contract: install ## schemathesis against the app, then a TypeScript and a Python client from openapi/openapi.json
	PEER_CE_CONTRACT_EXAMPLES=$(CONTRACT_EXAMPLES) $(BIN)/python -m pytest -q -p no:xdist tests/test_contract.py
	cd frontend-contract && npm ci --no-audit --no-fund && npm run contract
	test -x $(CLIENT)/.venv/bin/python || $(PYTHON) -m venv $(CLIENT)/.venv
	$(CLIENT)/.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(CLIENT)/requirements.lock
	rm -rf $(CLIENT)/generated
	$(CLIENT)/.venv/bin/openapi-python-client generate --path openapi/openapi.json --meta none --fail-on-warning \
		--config $(CLIENT)/config.yaml --output-path $(CLIENT)/generated/peer_ce_client
	$(CLIENT)/.venv/bin/python $(CLIENT)/check.py

# Benchmarks (bench/README.md): each scenario against the baseline that marks its limit, in the same
# run, as ratios. They create and drop their own database (peer_ce_bench) on BENCH_SERVER_URL
# (default: PostgreSQL on 127.0.0.1:5432, user postgres) and load it with wrk (installed if missing).
.PHONY: bench bench-quick bench-deps
BENCH_ARGS ?=

bench-deps:
	@command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)

bench: install bench-deps ## full scale (1M certifications, 14M completions) on 2 cores; see bench/README.md
	$(BIN)/python -m bench.run --profile full $(BENCH_ARGS)

bench-quick: install bench-deps ## every scenario at a small scale in under 5 minutes (--compare-builds: both engine builds); last line: JSON ratios
	$(BIN)/python -m bench.run --profile quick $(BENCH_ARGS)

install: $(STAMP) $(COMPILED_STAMP)

$(STAMP): pyproject.toml requirements/dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "peer-ce needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# The engine and the compliance read model compiled with mypyc, in place (tools/build_compiled.py; the same
# command as the Dockerfile's builder stage), rebuilt when their sources change. Without a C compiler or
# Python's headers it says so and the pure-Python modules run (never an install failure); app.build also
# refuses a build older than its sources. PEER_CE_COMPILED=0 runs pure Python even when built.

$(COMPILED_STAMP): $(STAMP) $(COMPILED_SOURCES)
	@echo "peer-ce: compiling the engine with mypyc (a minute or two; pure Python if it cannot be built)"
	@$(BIN)/python tools/build_compiled.py || true
	@touch $(COMPILED_STAMP)

lock: ## re-pin dependencies after editing pyproject.toml (needs uv)
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements/dev.lock
	uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -o requirements/prod.lock
	uv pip compile pyproject.toml --extra build --generate-hashes --python-version 3.11 -c requirements/dev.lock \
		-o requirements/build.lock

openapi: install ## regenerate openapi/openapi.json from the app
	$(BIN)/peer-ce openapi

# Static checks (CI runs `make check` before the tests): lint, formatting, types (mypy's settings, files and
# strict modules are in pyproject.toml).
LINT_PATHS := app tests migrations bench tools

lint: install ## ruff's lint rules
	$(BIN)/ruff check $(LINT_PATHS)

format-check: install ## ruff's formatting, checked (never rewritten here)
	$(BIN)/ruff format --check --output-format concise $(LINT_PATHS)

typecheck: install ## mypy: strict for the rule engine and the compliance read model, standard elsewhere
	$(BIN)/mypy

check: install ## lint, formatting and types: every static check CI runs (all three run; any failure fails it)
	@status=0; \
	echo "ruff check $(LINT_PATHS)"; $(BIN)/ruff check $(LINT_PATHS) || status=1; \
	echo "ruff format --check $(LINT_PATHS)"; $(BIN)/ruff format --check --output-format concise $(LINT_PATHS) || status=1; \
	echo "mypy"; $(BIN)/mypy || status=1; \
	exit $$status

clean:
	$(PYTHON) tools/build_compiled.py --clean
	rm -rf $(VENV) var .pytest_cache build
