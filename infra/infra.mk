# Infrastructure targets, included by the root Makefile (which defines TOOLS, VENV and `tools`).

INFRA        := $(ROOT)/infra
CDK          := $(INFRA)/node_modules/.bin/cdk
STAGE       ?= dev
# Extra context for synth, diff, deploy and destroy, e.g. prod's API domain:
#   make deploy STAGE=prod CDK_CONTEXT='-c apiDomainName=api.example.com -c apiCertificateArn=arn:aws:acm:...'
CDK_CONTEXT ?=
CDK_FLAGS   := --no-notices -c stage=$(STAGE) $(CDK_CONTEXT)
# Prod turns the API's execute-api endpoint off, so synthesizing it needs a custom domain: example
# values for the tests (the same as infra/test/support.ts); a real deploy passes its own.
EXAMPLE_API_DOMAIN := -c apiDomainName=api.people.example.com
EXAMPLE_API_CERT    = -c apiCertificateArn=arn:aws:acm:$(1):123456789012:certificate/00000000-0000-0000-0000-000000000000
INFRA_TEST_OUT     := $(ROOT)/cdk.out/test
INFRA_NPM_STAMP  := $(INFRA)/node_modules/.package-lock.stamp
# cfn-lint and checkov, hash-pinned with their dependencies (requirements/infra-lint.in says how to
# regenerate the file). The stamp follows the requirements file: a new pin reinstalls.
INFRA_LINT_REQUIREMENTS := $(ROOT)/requirements/infra-lint.txt
INFRA_PIP_STAMP  := $(VENV)/.infra-lint-stamp
export CDK_DISABLE_CLI_TELEMETRY := true
LAMBDA_BINS  := --bin people-get --bin people-put --bin people-list --bin people-delete \
                --bin people-ws-authorize --bin people-ws-connect --bin people-ws-disconnect \
                --bin people-ws-message --bin people-stream

.PHONY: infra-deps infra-test synth diff deploy destroy

$(INFRA_NPM_STAMP): $(INFRA)/package-lock.json
	cd $(INFRA) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(INFRA_PIP_STAMP): $(VENV)/.stamp $(INFRA_LINT_REQUIREMENTS)
	$(PIP_INSTALL) -r $(INFRA_LINT_REQUIREMENTS)
	touch $@

infra-deps: $(INFRA_NPM_STAMP) $(INFRA_PIP_STAMP)

infra-test: infra-deps ## infrastructure: tsc, template assertions + cdk-nag, cfn-lint, checkov
	cd $(INFRA) && node_modules/.bin/tsc --noEmit -p .
	cd $(INFRA) && node --import tsx --test test/*.test.ts
	rm -rf $(INFRA_TEST_OUT)
	$(CDK) synth --no-notices -c stage=dev --quiet -o $(INFRA_TEST_OUT)/dev
	@# Prod in us-east-1 holds its WAF web ACL; prod elsewhere gets a people-prod-edge stack in us-east-1 for it.
	AWS_REGION=us-east-1 $(CDK) synth --no-notices -c stage=prod $(EXAMPLE_API_DOMAIN) $(call EXAMPLE_API_CERT,us-east-1) --quiet -o $(INFRA_TEST_OUT)/prod
	AWS_REGION=eu-west-1 $(CDK) synth --no-notices -c stage=prod $(EXAMPLE_API_DOMAIN) $(call EXAMPLE_API_CERT,eu-west-1) --quiet -o $(INFRA_TEST_OUT)/prod-eu-west-1
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- $(INFRA_TEST_OUT)/*/people-*.template.json
	$(VENV)/bin/checkov --config-file $(INFRA)/checkov.yaml $$(for f in $(INFRA_TEST_OUT)/*/people-*.template.json; do printf -- ' -f %s' $$f; done)

synth: infra-deps ## synthesize the stack (STAGE=dev|prod, CDK_CONTEXT='-c key=value ...') into cdk.out/
	$(CDK) synth $(CDK_FLAGS)

diff: infra-deps ## show what a deploy would change (needs AWS credentials)
	$(CDK) diff $(CDK_FLAGS) --all

deploy: tools infra-deps web-build ## build the page and the arm64 functions and deploy (STAGE=dev|prod; needs AWS credentials)
	$(CARGO) lambda build --release $(LOCKED) --arm64 $(LAMBDA_BINS)
	$(CDK) deploy $(CDK_FLAGS) -c requireBuiltFunctions=true --require-approval broadening --all

destroy: infra-deps ## delete the stack (and its edge stack; prod keeps its table, user pool, bucket and logs)
	$(CDK) destroy $(CDK_FLAGS) --all
