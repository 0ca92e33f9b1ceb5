.PHONY: dev test lint deploy destroy

dev:  ## run the whole app locally (offline model, DynamoDB Local); opens the browser
	scripts/dev

test:  ## run every test (installs what it needs first)
	scripts/test

lint:  ## ruff, formatting and mypy
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy

deploy:  ## build and deploy to AWS (guided the first time), upload the app, print its URL
	.venv/bin/python scripts/deploy.py deploy

destroy:  ## empty the app bucket and delete the stack (asks first)
	.venv/bin/python scripts/deploy.py destroy
