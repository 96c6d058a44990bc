# The web app (web/): `make web-build` type-checks it and builds it into web/dist, which `make dev`
# builds first and its local gateway serves on the API's port (xtask/src/gateway/web.rs), and which
# the stack deploys. Included by the root Makefile (which defines ROOT and PORT). npm installs exactly
# web/package-lock.json (`npm ci`).

WEB           := $(ROOT)/web
WEB_NPM_STAMP := $(WEB)/node_modules/.package-lock.stamp

.PHONY: web-deps web-build

$(WEB_NPM_STAMP): $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web-deps: $(WEB_NPM_STAMP)

web-build: web-deps ## build the web app into web/dist (tsc, then vite build)
	cd $(WEB) && node_modules/.bin/tsc --noEmit -p . && node_modules/.bin/vite build --logLevel warn
	@echo "web: built web/dist; make dev serves it at http://127.0.0.1:$(PORT)/ (the API under /people on the same port)"

# Browser tests (web/tests, node:test + playwright-core) against the stack `make dev` runs, which each
# test file starts from the xtask binary on free ports with a fresh in-memory table: the app (AUTH=off),
# live updates through the real-time feed (AUTH=off), sign-in (AUTH=on) and the budgets
# (tests/budgets.test.ts, also `make web-audit`); first the live feed's unit tests (no browser, no stack). Screenshots go to
# target/web-screenshots/, the budgets to target/web-audit/, each stack's log to target/web-tests/.
# Debian's Chromium is the browser (playwright-core's own download does not work here).
CHROMIUM  ?= /usr/bin/chromium
export CHROMIUM
WEB_TESTS ?= tests/live.unit.test.ts tests/app.test.ts tests/live.test.ts tests/auth.test.ts tests/budgets.test.ts
WEB_NODE_TEST := node --import tsx --test --test-concurrency=1 --test-reporter=spec

.PHONY: chromium-check web-stack web-test web-audit

# Installs Debian's chromium with apt when it is missing and make runs as root (a fresh CI machine);
# otherwise says how.
chromium-check:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "web: installing Debian's chromium with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium at $(CHROMIUM): sudo apt-get install -y chromium, or CHROMIUM=/path/to/chromium"; \
	    exit 1; \
	  fi; \
	fi

# What the tests start: the xtask binary and the functions (as make dev builds them).
web-stack: tools
	$(CARGO) build $(LOCKED) --workspace --bins

web-test: web-build chromium-check web-stack ## browser tests in headless Chromium against the local stack, and the budgets
	cd $(WEB) && $(WEB_NODE_TEST) $(WEB_TESTS)
	@echo "web: screenshots in target/web-screenshots/; budgets (target/web-audit/budgets.md):"
	@cat $(ROOT)/target/web-audit/budgets.md

web-audit: web-build chromium-check web-stack ## measure the page's budgets: JS size, time to the list, Lighthouse, axe-core
	cd $(WEB) && $(WEB_NODE_TEST) tests/budgets.test.ts
	@cat $(ROOT)/target/web-audit/budgets.md
