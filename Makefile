# SpendScore: `make run` starts the whole stack locally, `make test` checks everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON_PREFERENCE := only-system
PYTHON ?= python3
# uv from PATH, else a private copy installed from PyPI into .tools/ by `make uv`.
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen
PACKAGES := services/common/src services/auth/src services/customers/src services/inference/src \
	ui/src ui/app_pages ui/router.py ui/streamlit_app.py testkit scripts benchmarks loadtest

.PHONY: help uv sync run status backup restore train test lint typecheck members pytest browser bench load compose-secrets up down test-containers test-chaos test-replicas clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

uv: ## Install uv from PyPI into .tools/ when it is not on PATH
	@command -v $(UV) >/dev/null 2>&1 || { \
		echo "uv not found: installing it into .tools/ from PyPI"; \
		$(PYTHON) -m venv .tools && .tools/bin/pip install --quiet uv; }

sync: uv ## Install the locked dependencies of every package into .venv/
	$(UV) sync --quiet --frozen --all-packages

run: sync ## Start database, auth, customers, inference and the UI, restarted if they exit; Ctrl-C stops all
	$(RUN) python -m scripts.local_stack

status: ## Each process of `make run` and its state (RUNNING, BACKOFF, ...)
	@$(RUN) python -m scripts.local_stack status

# COMPOSE=1: the Compose stack's database (docker compose exec postgres) instead of `make run`'s.
BACKUP_SOURCE = $(if $(COMPOSE),--compose)

backup: sync ## Dump both databases into one archive (DIR=folder, default .data/backups; COMPOSE=1 for Compose)
	$(RUN) python -m scripts.database_backup $(BACKUP_SOURCE) backup $(if $(DIR),--dir "$(DIR)")

restore: sync ## Bring both databases back to a backup: make restore FILE=.data/backups/spendscore-backup-...tar
	@test -n "$(FILE)" || { echo "usage: make restore FILE=path/to/spendscore-backup-....tar" >&2; exit 2; }
	$(RUN) python -m scripts.database_backup $(BACKUP_SOURCE) restore "$(FILE)"

train: sync ## Train the model and write its card (docs/model-card.md)
	$(RUN) python -m inference_service.training

lint: sync
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: sync
	$(RUN) mypy $(PACKAGES)

# Each member synced alone, without dev tools, into its own environment: an undeclared import fails here.
MEMBERS := spendscore-common:spendscore_common spendscore-auth:auth_service \
	spendscore-customers:customers_service spendscore-inference:inference_service spendscore-ui:spendscore_ui
members: uv
	@for member in $(MEMBERS); do \
		env=.tools/members/$${member%%:*}; \
		UV_PROJECT_ENVIRONMENT=$$env $(UV) sync --quiet --frozen --no-dev --all-extras --package $${member%%:*} && \
		$$env/bin/python scripts/import_all.py $${member##*:} || exit 1; \
	done

browser: ## Make sure Debian's Chromium is there for the browser test
	@bash scripts/ensure_debian_command.sh chromium

pytest: sync browser
	$(RUN) pytest -m "not slow"

test: lint typecheck members pytest ## Lint, type-check, check each package alone, run every test

bench: sync ## Run every benchmark (installs Debian's wrk if missing) and write docs/benchmarks.md
	@bash scripts/ensure_debian_command.sh wrk
	$(RUN) python -m benchmarks

load: sync ## 50 simulated store owners for 60 s against a local stack; LOAD_MODE=chaos: kills under load
	$(RUN) python -m loadtest

compose-secrets: sync ## Write .env's secrets as the files docker-compose.yml mounts (`make up` does it first)
	$(RUN) python -m scripts.compose_secrets

up: compose-secrets ## docker compose up, waiting until every container is healthy (needs .env, see README)
	docker compose up --build --detach --wait
	@echo "SpendScore is up (docker compose ps: every container healthy):"
	@echo "  UI         http://localhost:8501"
	@echo "  auth       http://localhost:8001/docs   (with APP_ENV=production: DOCS_ENABLED=true in .env)"
	@echo "  customers  http://localhost:8002/docs"
	@echo "  logs       docker compose logs -f;  stop: make down (the data stays in the postgres-data volume)"

down:
	docker compose down

test-containers: sync ## Build the images, run docker-compose.yml on a real engine, check it end to end (slow)
	$(RUN) python -m scripts.container_test

test-chaos: sync ## kill -9 of each service and of PostgreSQL under writes, under make run's supervisor (slow)
	$(RUN) pytest -m slow tests/test_chaos.py

test-replicas: sync browser ## 2 replicas of every service behind HAProxy (installs Debian's haproxy): the replica checks
	@bash scripts/ensure_debian_command.sh haproxy
	$(RUN) pytest infra/replicas -s

clean: ## Remove caches (keeps .data/)
	rm -rf .pytest_cache .mypy_cache .ruff_cache
