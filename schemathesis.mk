# The API contract: `make openapi` regenerates openapi.json from the code; `make contract-test` runs
# schemathesis (PyPI) against the local stack with it. Included by the root Makefile (which defines
# ROOT, TOOLS, VENV and `tools`).

SCHEMATHESIS_REQUIREMENTS := $(ROOT)/requirements/schemathesis.txt
# The stamp follows the requirements file: a new pin reinstalls.
SCHEMATHESIS_STAMP := $(VENV)/.schemathesis-stamp
CONTRACT_DIR       := $(ROOT)/target/contract
CONTRACT_TARGET    := $(or $(CARGO_TARGET_DIR),$(ROOT)/target)
XTASK_BIN          := $(CONTRACT_TARGET)/debug/xtask

# Test cases per operation and phase (schemathesis' --max-examples). The document has 8 operations;
# with the examples, coverage, fuzzing and stateful phases, 150 generate about 1700 cases in under a
# minute on 2 cores (the contract asks for at least 1000, and the count is checked below).
CONTRACT_MAX_EXAMPLES ?= 150
# A fixed seed makes a run reproducible: the same seed against the same code sends the same requests.
# Override it to explore (`make contract-test CONTRACT_SEED=$$RANDOM`).
CONTRACT_SEED ?= 20261125
# Fewest generated cases a run must reach.
CONTRACT_MIN_CASES ?= 1000

.PHONY: openapi contract-test

openapi: ## regenerate openapi.json (the API's OpenAPI 3.1 document) from the Rust code
	$(CARGO) run $(LOCKED) --quiet -p xtask -- openapi > $(ROOT)/openapi.json

$(SCHEMATHESIS_STAMP): $(SCHEMATHESIS_REQUIREMENTS) $(VENV)/.stamp
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r $(SCHEMATHESIS_REQUIREMENTS)
	touch $@

# schemathesis' configuration, written to $(CONTRACT_DIR)/schemathesis.toml for each run. Why each
# setting is what it is:
#
# - [checks.positive_data_acceptance] expected-statuses: a request the document calls valid must
#   succeed, except for the documented business rules no schema can know beforehand: 404 (a generated
#   id names nobody), 409 (the email is another person's, or a concurrent write won), 412 (an
#   `If-Match` that is not the stored ETag), 422 (schemathesis draws the same `Idempotency-Key` for
#   different requests, which the API must refuse). schemathesis' default list also has 401, 403 and
#   429 (the run sends a valid token with every scope it needs, and nothing throttles here) and 5xx
#   (not_a_server_error fails those anyway); they are left out so that any of them fails the run.
# - [checks.negative_data_rejection] expected-statuses: an invalid request must be refused with a
#   4xx the document lists for refusals: 400; 401 (negative cases also drop or corrupt the
#   `Authorization` header); 404 (an invalid id can name nobody); 409, 412 and 422 (rules checked only
#   on requests that get that far); 413; 415. 403 is out (the token has every scope), and a 5xx is no
#   rejection.
# - [auth.openapi.bearerAuth]: the stack runs with AUTH=on and a token with people/write, the scope
#   that may do everything, so `ignored_auth` meets the 401 of a request without a valid token.
# - [phases.stateful.inference] location-headers: besides the document's links (by `id`, `ETag` and
#   `next_cursor`), schemathesis follows `Location` from 201s to the operations on that URL.
# - generation.database = "none" and cache.enabled = false: nothing from earlier runs changes what a
#   run sends (the seed does), and nothing is left in the work tree (schemathesis' cache would be
#   .schemathesis/). Hypothesis still keeps its Unicode tables and the constants it finds in the hooks
#   in a storage directory, `.hypothesis/` in the working directory unless HYPOTHESIS_STORAGE_DIRECTORY
#   says otherwise: the run puts it in $(CONTRACT_DIR) (see contract-test).
# - request-timeout = 60: longer than the local gateway ever waits for a function it has warmed
#   (30 s, then a 504), so a slow function is a 504 in the report, never a client timeout.
# - hooks: the two rules OpenAPI cannot state, applied to the requests schemathesis means to be valid
#   (see CONTRACT_HOOKS).
define CONTRACT_CONFIG
seed = $(CONTRACT_SEED)
workers = 1
request-timeout = 60
hooks = "$(CONTRACT_DIR)/hooks.py"

[generation]
max-examples = $(CONTRACT_MAX_EXAMPLES)
database = "none"

[cache]
enabled = false

[checks.positive_data_acceptance]
expected-statuses = [200, 201, 204, 304, 404, 409, 412, 422]

[checks.negative_data_rejection]
expected-statuses = [400, 401, 404, 409, 412, 413, 415, 422]

[auth.openapi.bearerAuth]
bearer = "$${CONTRACT_TOKEN}"

[phases.stateful.inference]
algorithms = ["location-headers"]
endef
export CONTRACT_CONFIG

# schemathesis hooks for what a schema cannot say, only on requests generated as valid (an invalid
# request keeps whatever it was generated with):
# - a list `cursor` is valid only if the API issued it (it is opaque, and drawn strings are not);
#   the stateful phase still sends real ones through the NextPage link;
# - PUT refuses `If-Match` together with `If-None-Match` (400); OpenAPI has no way to make two header
#   parameters exclusive, so a valid request keeps only `If-Match`.
define CONTRACT_HOOKS
import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    method = case.method.upper()
    if case.path == "/people" and method in ("GET", "HEAD") and case.query and "cursor" in case.query:
        drawn = not any(getattr(draw, "parameter", None) == "cursor" for draw in getattr(meta, "pool_draws", ()))
        if drawn:
            case.query = {k: v for k, v in case.query.items() if k != "cursor"}
    if case.path == "/people/{id}" and method == "PUT" and case.headers:
        names = {name.lower(): name for name in case.headers}
        if "if-match" in names and "if-none-match" in names:
            case.headers = {k: v for k, v in case.headers.items() if k != names["if-none-match"]}
endef
export CONTRACT_HOOKS

# The stack runs on free ports with its own in-memory table, started from the xtask binary (not
# `cargo run`, so SIGINT reaches it) and stopped by the trap whatever schemathesis answers. The served
# /openapi.json must be the committed file. `xtask dev` invokes each of the four functions once before
# it reports ready (so `cargo lambda watch` has built and started every one before the clock runs), and
# exits if one does not answer. RELOAD=off: watch does not restart the functions when a file in the
# work tree changes during the run (an editor, another build, a tool's cache), since it never answers
# an invocation whose function it stops; and Hypothesis keeps its storage in $(CONTRACT_DIR), not in a
# new .hypothesis/ at the root (on a fresh clone, its first write there restarted every function in
# the middle of the run, and the request in flight never got an answer). The report (JUnit, NDJSON
# events), the configuration and the stack's log are in target/contract/.
contract-test: tools $(SCHEMATHESIS_STAMP) ## schemathesis against the local stack: every check, >= 1000 generated cases, stateful links
	$(CARGO) build $(LOCKED) --quiet -p xtask --bins
	@rm -rf $(CONTRACT_DIR) && mkdir -p $(CONTRACT_DIR)
	@printf '%s\n' "$$CONTRACT_CONFIG" > $(CONTRACT_DIR)/schemathesis.toml
	@printf '%s\n' "$$CONTRACT_HOOKS" > $(CONTRACT_DIR)/hooks.py
	@set -euo pipefail; \
	free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }; \
	api=$$(free_port); db=$$(free_port); base=http://127.0.0.1:$$api; \
	AUTH=on RELOAD=off PORT=$$api DYNAMODB_PORT=$$db TABLE_NAME=people-contract RUST_LOG=warn PERSIST= \
	  $(XTASK_BIN) dev > $(CONTRACT_DIR)/dev.log 2>&1 & dev=$$!; \
	trap 'kill -INT $$dev 2>/dev/null; wait $$dev 2>/dev/null || true' EXIT; \
	for _ in $$(seq 1 900); do grep -q 'Ctrl-C stops' $(CONTRACT_DIR)/dev.log && break; \
	  kill -0 $$dev 2>/dev/null || { cat $(CONTRACT_DIR)/dev.log; exit 1; }; sleep 1; done; \
	grep -q 'Ctrl-C stops' $(CONTRACT_DIR)/dev.log || { cat $(CONTRACT_DIR)/dev.log; echo 'the stack did not start'; exit 1; }; \
	grep ' ready (' $(CONTRACT_DIR)/dev.log; \
	curl -sSf --max-time 10 $$base/openapi.json | cmp -s - $(ROOT)/openapi.json || { echo "$$base/openapi.json is not openapi.json"; exit 1; }; \
	export CONTRACT_TOKEN=$$($(XTASK_BIN) token --sub contract-test --scopes people/write --ttl 3600); \
	echo "contract: schemathesis against $$base (seed $(CONTRACT_SEED), $(CONTRACT_MAX_EXAMPLES) examples per operation and phase)"; \
	started=$$(date +%s); \
	HYPOTHESIS_STORAGE_DIRECTORY=$(CONTRACT_DIR)/hypothesis \
	$(VENV)/bin/schemathesis --config-file $(CONTRACT_DIR)/schemathesis.toml run $(ROOT)/openapi.json \
	  --url $$base --checks all --phases examples,coverage,fuzzing,stateful \
	  --report junit,ndjson --report-dir $(CONTRACT_DIR)/report --no-color \
	  | tee $(CONTRACT_DIR)/schemathesis.txt; \
	echo "contract: schemathesis took $$(( $$(date +%s) - started )) s"; \
	cases=$$(grep -oE '[0-9]+ generated,' $(CONTRACT_DIR)/schemathesis.txt | tail -1 | grep -oE '^[0-9]+' || echo 0); \
	if [ "$$cases" -lt $(CONTRACT_MIN_CASES) ]; then echo "contract: $$cases generated cases, fewer than $(CONTRACT_MIN_CASES)"; exit 1; fi; \
	echo "contract: $$cases generated cases, no failures"
