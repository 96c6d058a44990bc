# Benchmarks, included by the root Makefile (which defines ROOT, TOOLS, VENV and `tools`).

BENCH_NODE_STAMP := $(ROOT)/benchmarks/node/node_modules/.package-lock.stamp

.PHONY: bench

$(BENCH_NODE_STAMP): $(ROOT)/benchmarks/node/package-lock.json
	cd $(ROOT)/benchmarks/node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

bench: tools $(BENCH_NODE_STAMP) ## benchmarks side by side (dynamodel vs raw SDK vs Dynamoose, cold start, memory, sizes, scaling) → benchmarks/RESULTS.md
	python3 $(ROOT)/benchmarks/run.py
