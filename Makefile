# The project's entry points. `make test` and `make demo` set up everything they need.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# checkov pins boto3, networkx and packaging to versions the SAM CLI and cfn-lint cannot use: it
# has a virtualenv of its own inside .venv (requirements-checkov.txt).
CHECKOV_VENV := $(VENV)/checkov
# The docs site's MkDocs Material (requirements-docs.txt) has a virtualenv of its own too.
DOCS_VENV ?= $(VENV)/docs
CARGO ?= cargo

.PHONY: help venv test lint unit fmt bench zips aarch64-target sam-build demo redrive sandbox specs clean-venv doctor docs

help:
	@echo "make demo     - a realistic day through the real handlers, moto and the sandbox"
	@echo "make test     - format check, clippy and every test (starts moto itself)"
	@echo "make redrive  - move dead-lettered messages back (DEAD_LETTER_QUEUE_URL, INBOUND_QUEUE_URL)"
	@echo "make sandbox  - run the local BigCommerce sandbox on 127.0.0.1:8787"
	@echo "make doctor   - check a real store: STORE_HASH=.. BC_ACCESS_TOKEN=.. (or SECRET_ID=..) [DOCTOR_ARGS=\"--write-test\"]"
	@echo "make bench    - benchmarks that print figures (cold starts, rate-limited syncs, export, handler)"
	@echo "make zips     - the deployable arm64 zips (cargo lambda build --release --arm64)"
	@echo "make sam-build - sam build, with its cargo target dir outside the code folder"
	@echo "make venv     - create .venv with the pinned Python tools (checkov in .venv/checkov)"
	@echo "make docs     - build the docs site strictly (every link and anchor checked) into target/site;"
	@echo "                preview with $(DOCS_VENV)/bin/mkdocs serve (http://127.0.0.1:8000)"
	@echo "make specs    - fetch BigCommerce's official specs (pinned, checksummed) into .specs/ when ../shared/specs is absent"

# The Python tools, pinned in requirements.txt, in a project-local virtualenv.
$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-cache-dir -r requirements.txt
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt $(VENV)/.installed
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-cache-dir -r requirements-checkov.txt
	touch $@

$(DOCS_VENV)/.installed: requirements-docs.txt
	python3 -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-cache-dir -r requirements-docs.txt
	touch $@

venv: $(VENV)/.installed $(CHECKOV_VENV)/.installed

# The docs site (mkdocs.yml): a strict build fails on any warning, a broken link or anchor
# included. Preview while editing: $(DOCS_VENV)/bin/mkdocs serve (http://127.0.0.1:8000).
docs: $(DOCS_VENV)/.installed
	NO_MKDOCS_2_WARNING=1 $(DOCS_VENV)/bin/mkdocs build --strict

fmt:
	$(CARGO) fmt --all

lint: venv docs
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS='-D warnings' $(CARGO) doc --workspace --no-deps --quiet
	# The client crate is publishable on its own: package it (and build the packaged copy).
	$(CARGO) package -p bigcommerce-b2b --allow-dirty --quiet
	AWS_DEFAULT_REGION=us-east-1 $(VENV)/bin/cfn-lint infra/template.yaml
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 $(VENV)/bin/sam validate --lint --template infra/template.yaml
	AWS_DEFAULT_REGION=us-east-1 $(PY) scripts/lint-translated.py infra/template.yaml
	# The template as a security scanner sees it: every check passes, or is skipped in the
	# template itself with its reason (Metadata.checkov.skip).
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation --file infra/template.yaml

# The function binaries first: the process-kill tests run them under a Lambda Runtime API.
unit:
	mkdir -p target
	$(CARGO) build --workspace --bins --quiet
	$(CARGO) test --workspace --no-fail-fast 2>&1 | tee target/test.log
	scripts/test-summary.sh target/test.log

test: venv
	scripts/fetch-specs.sh --if-missing
	scripts/with-moto.sh $(MAKE) --no-print-directory lint unit

# The functions run as their real binaries under cargo-lambda's emulator (from .venv); they are
# built first so the first invocations do not wait for the compiler.
demo: venv
	$(CARGO) build -p b2b-demo -p webhook-intake -p upsert-worker -p token-refresh -p order-export
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" scripts/with-moto.sh $(CARGO) run -q -p b2b-demo

redrive:
	$(CARGO) run -q -p upsert-worker --bin redrive

# The token comes from BC_ACCESS_TOKEN (never on the command line); or SECRET_ID names the store
# secret in Secrets Manager. DOCTOR_ARGS adds options (--write-test, --webhook-destination URL,
# --external-id-field NAME, --api-url/--b2b-api-url for the sandbox).
doctor:
	@if [[ -n "$${SECRET_ID:-}" ]]; then \
		$(CARGO) run -q -p b2b-doctor --bin doctor -- --secret-id "$$SECRET_ID" $(DOCTOR_ARGS); \
	else \
		[[ -n "$${STORE_HASH:-}" && -n "$${BC_ACCESS_TOKEN:-}" ]] || { echo "make doctor: set STORE_HASH and BC_ACCESS_TOKEN, or SECRET_ID" >&2; exit 2; }; \
		$(CARGO) run -q -p b2b-doctor --bin doctor -- --store-hash "$$STORE_HASH" $(DOCTOR_ARGS); \
	fi

sandbox:
	$(CARGO) run -p bc-sandbox -- --listen 127.0.0.1:8787 --seed-companies 20 --seed-orders 200

# arm64 builds need the aarch64 standard library; cargo-lambda cross-compiles with zig (.venv).
aarch64-target:
	rustup target list --installed | grep -q aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu

zips: venv aarch64-target
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" cargo-lambda lambda build --release --arm64 --output-format zip \
		--bin webhook-intake --bin upsert-worker --bin token-refresh --bin order-export --bin auth-callback

# sam copies the code folder into a scratch dir unless the target dir is outside it, so its cache
# would never hold (toolchain notes); SAM_BUILD_TARGET_DIR keeps it between builds.
SAM_BUILD_TARGET_DIR ?= $(HOME)/.cache/b2b-edition-toolkit/sam-target
sam-build: venv aarch64-target
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0 CARGO_TARGET_DIR="$(SAM_BUILD_TARGET_DIR)" \
		$(VENV)/bin/sam build --template-file infra/template.yaml

bench: venv
	scripts/with-moto.sh $(CARGO) run -q --release -p b2b-e2e --example coldstart
	$(CARGO) run -q --release -p b2b-e2e --example sync_bench | grep -v '"_aws"'
	scripts/with-moto.sh $(CARGO) run -q --release -p b2b-e2e --example stores_bench -- --window-scale 10 | grep -v '"_aws"'
	$(CARGO) run -q --release -p b2b-e2e --example fulfillment_bench -- --window-scale 10 | grep -v '"_aws"'
	$(CARGO) run --release -p bc-sandbox --example loadgen -- --requests 20000 --concurrency 32
	$(CARGO) bench -p webhook-intake --bench handler -- --warm-up-time 1 --measurement-time 3
	$(CARGO) build --release -p bc-sandbox --bin bc-sandbox
	$(CARGO) build --release -p b2b-export --example export_bench
	$(CARGO) run -q --release -p b2b-export --example export_bench -- 10000
	$(CARGO) run -q --release -p b2b-export --example export_bench -- 100000

# The tests read BigCommerce's specs from BC_SPECS_DIR, ../shared/specs/bigcommerce, or .specs/.
specs:
	scripts/fetch-specs.sh

clean-venv:
	rm -rf $(VENV)
