# The web app (web/): `make web-build` type-checks it and builds it into web/dist, which `make dev`'s
# gateway serves and the stack deploys. Included by the root Makefile (which defines ROOT).
# npm installs exactly web/package-lock.json (`npm ci`).

WEB           := $(ROOT)/web
WEB_NPM_STAMP := $(WEB)/node_modules/.package-lock.stamp

.PHONY: web-deps web-build

$(WEB_NPM_STAMP): $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web-deps: $(WEB_NPM_STAMP)

web-build: web-deps ## build the web app into web/dist (tsc, then vite build)
	cd $(WEB) && node_modules/.bin/tsc --noEmit -p . && node_modules/.bin/vite build --logLevel warn
