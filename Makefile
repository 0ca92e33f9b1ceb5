.PHONY: dev test lint

dev:  ## run the whole app locally (offline model, DynamoDB Local); opens the browser
	scripts/dev

test:  ## run every test (installs what it needs first)
	scripts/test

lint:  ## ruff, formatting and mypy
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy
