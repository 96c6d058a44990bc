# Infrastructure targets, included by the root Makefile (which defines TOOLS, VENV and `tools`).

INFRA        := $(ROOT)/infra
CDK          := $(INFRA)/node_modules/.bin/cdk
STAGE       ?= dev
CDK_FLAGS   := --no-notices -c stage=$(STAGE)
CFN_LINT_VERSION := 1.58.0
CHECKOV_VERSION  := 3.3.30
INFRA_NPM_STAMP  := $(INFRA)/node_modules/.package-lock.stamp
INFRA_PIP_STAMP  := $(VENV)/.infra-lint-$(CFN_LINT_VERSION)-$(CHECKOV_VERSION)
export CDK_DISABLE_CLI_TELEMETRY := true
LAMBDA_BINS  := --bin people-get --bin people-put --bin people-list --bin people-delete

.PHONY: infra-deps infra-test synth diff deploy destroy

$(INFRA_NPM_STAMP): $(INFRA)/package-lock.json
	cd $(INFRA) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(INFRA_PIP_STAMP): $(VENV)/.stamp
	$(VENV)/bin/pip install --quiet --disable-pip-version-check cfn-lint==$(CFN_LINT_VERSION) checkov==$(CHECKOV_VERSION)
	touch $@

infra-deps: $(INFRA_NPM_STAMP) $(INFRA_PIP_STAMP)

infra-test: infra-deps ## infrastructure: tsc, template assertions + cdk-nag, cfn-lint, checkov
	cd $(INFRA) && node_modules/.bin/tsc --noEmit -p .
	cd $(INFRA) && node --import tsx --test test/*.test.ts
	rm -rf $(ROOT)/cdk.out/test
	for s in dev prod; do $(CDK) synth $(CDK_FLAGS) -c stage=$$s --quiet -o $(ROOT)/cdk.out/test/$$s || exit 1; done
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- $(ROOT)/cdk.out/test/*/people-*.template.json
	$(VENV)/bin/checkov --config-file $(INFRA)/checkov.yaml -f $(ROOT)/cdk.out/test/dev/people-dev.template.json -f $(ROOT)/cdk.out/test/prod/people-prod.template.json

synth: infra-deps ## synthesize the stack (STAGE=dev|prod) into cdk.out/
	$(CDK) synth $(CDK_FLAGS)

diff: infra-deps ## show what a deploy would change (needs AWS credentials)
	$(CDK) diff $(CDK_FLAGS)

deploy: tools infra-deps ## build the four arm64 functions and deploy (STAGE=dev|prod; needs AWS credentials)
	cargo lambda build --release --arm64 $(LAMBDA_BINS)
	$(CDK) deploy $(CDK_FLAGS) -c requireBuiltFunctions=true --require-approval broadening

destroy: infra-deps ## delete the stack (prod keeps its table, user pool, bucket and logs)
	$(CDK) destroy $(CDK_FLAGS)
