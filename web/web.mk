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
