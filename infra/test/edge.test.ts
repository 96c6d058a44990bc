// The edge: CloudFront's /people* behaviour, the execute-api endpoint and the API's custom domain,
// and the WAF web ACL (in the stack in us-east-1, in a us-east-1 edge stack elsewhere).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Match, Template } from 'aws-cdk-lib/assertions';

import { PROD_API_DOMAIN, apiId, build, resources, synth } from './support.ts';

const dev = synth('dev');
const prod = synth('prod');
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

const distributionConfig = (template: Template) => Object.values(resources(template, 'AWS::CloudFront::Distribution'))[0].Properties.DistributionConfig;
const peopleBehavior = (template: Template) => distributionConfig(template).CacheBehaviors.find((b: any) => b.PathPattern === '/people*');
const apiOrigin = (template: Template) => distributionConfig(template).Origins.find((o: any) => o.Id === peopleBehavior(template).TargetOriginId);

describe('CloudFront /people*', () => {
  for (const [stage, { template }] of [['dev', dev], ['prod', prod]] as const) {
    it(`${stage}: CachingDisabled with AllViewerExceptHostHeader, so Authorization reaches the API`, () => {
      // CloudFront forwards the viewer's Authorization header to the origin only when the cache
      // policy includes it (which makes it part of the cache key) or, with caching disabled, through
      // the managed AllViewer / AllViewerExceptHostHeader origin request policies; an origin request
      // policy that lists Authorization itself is rejected (HTTP 400). Host must stay the origin's.
      const b = peopleBehavior(template);
      assert.equal(b.CachePolicyId, CACHING_DISABLED);
      assert.equal(b.OriginRequestPolicyId, ALL_VIEWER_EXCEPT_HOST_HEADER);
      assert.equal(b.ViewerProtocolPolicy, 'https-only');
      assert.equal(apiOrigin(template).CustomOriginConfig.OriginProtocolPolicy, 'https-only');
    });
  }
});

describe('execute-api endpoint and custom domain', () => {
  it('dev keeps the execute-api endpoint as the CloudFront origin', () => {
    const api = resources(dev.template, 'AWS::ApiGatewayV2::Api')[apiId(dev.template, 'HTTP')];
    assert.notEqual(api.Properties.DisableExecuteApiEndpoint, true);
    assert.match(JSON.stringify(apiOrigin(dev.template).DomainName), /ApiEndpoint/);
    dev.template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
  });

  it('prod disables it; CloudFront reaches the API through its custom domain, mapped to the stage', () => {
    prod.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
    assert.equal(apiOrigin(prod.template).DomainName, PROD_API_DOMAIN.apiDomainName);
    assert.doesNotMatch(JSON.stringify(distributionConfig(prod.template)), /ApiEndpoint/);
    prod.template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: PROD_API_DOMAIN.apiDomainName,
      DomainNameConfigurations: [{ CertificateArn: PROD_API_DOMAIN.apiCertificateArn, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
    });
    const httpApiId = apiId(prod.template, 'HTTP');
    const [domainId] = Object.keys(resources(prod.template, 'AWS::ApiGatewayV2::DomainName'));
    prod.template.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { ApiId: { Ref: httpApiId }, DomainName: { Ref: domainId }, Stage: '$default' });
    const outputs = prod.template.findOutputs('*');
    assert.equal(outputs.ApiUrl.Value, `https://${PROD_API_DOMAIN.apiDomainName}`);
    assert.deepEqual(outputs.ApiDomainTarget.Value, { 'Fn::GetAtt': [domainId, 'RegionalDomainName'] });
  });

  it('prod without a custom domain fails synth with a clear message, unless the endpoint stays on', () => {
    assert.throws(() => build('prod', { apiDomainName: undefined, apiCertificateArn: undefined }), /disableExecuteApiEndpoint \(on by default in prod\) needs a custom domain/);
    assert.throws(() => build('dev', { disableExecuteApiEndpoint: true }), /needs a custom domain/);
    assert.throws(() => build('prod', { apiCertificateArn: undefined }), /apiDomainName and apiCertificateArn go together/);
    const { template } = synth('prod', { apiDomainName: undefined, apiCertificateArn: undefined, disableExecuteApiEndpoint: false });
    assert.match(JSON.stringify(apiOrigin(template).DomainName), /ApiEndpoint/);
  });

  it('creates the alias record when given a hosted zone', () => {
    const { template } = synth('prod', { apiHostedZoneId: 'Z0123456789ABCDEFGHIJ', apiHostedZoneName: 'people.example.com' });
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: `${PROD_API_DOMAIN.apiDomainName}.`,
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      AliasTarget: Match.objectLike({ DNSName: Match.anyValue() }),
    });
    assert.ok(!Object.keys(template.findOutputs('*')).includes('ApiDomainTarget'));
    assert.throws(() => build('prod', { apiHostedZoneId: 'Z0123456789ABCDEFGHIJ' }), /apiHostedZoneId and apiHostedZoneName go together/);
  });
});

/** The rate-based rule of a web ACL, checked to count per client IP. */
function ratePerIp(acl: any): any {
  const rule = acl.Properties.Rules.find((r: any) => r.Statement.RateBasedStatement);
  assert.ok(rule, 'a rate-based rule');
  assert.equal(rule.Statement.RateBasedStatement.AggregateKeyType, 'IP');
  assert.deepEqual(rule.Action.Block.CustomResponse.ResponseCode, 429);
  return rule.Statement.RateBasedStatement;
}

describe('WAF in front of CloudFront', () => {
  it('prod outside us-east-1: a people-prod-edge stack in us-east-1 holds the web ACL; the distribution uses it', () => {
    assert.ok(prod.edge, 'an edge stack');
    assert.equal(prod.edge.stackName, 'people-prod-edge');
    assert.equal(prod.edge.region, 'us-east-1');
    assert.equal(prod.edge.account, '123456789012');
    const edgeTemplate = prod.edgeTemplate!;
    edgeTemplate.resourceCountIs('AWS::WAFv2::WebACL', 1);
    const [aclId, acl] = Object.entries(resources(edgeTemplate, 'AWS::WAFv2::WebACL'))[0];
    assert.equal(acl.Properties.Scope, 'CLOUDFRONT');
    assert.deepEqual(acl.Properties.DefaultAction, { Allow: {} });
    assert.deepEqual(ratePerIp(acl), { Limit: 1000, EvaluationWindowSec: 300, AggregateKeyType: 'IP' });
    assert.ok(acl.Properties.Rules.some((r: any) => r.Statement.ManagedRuleGroupStatement?.Name === 'AWSManagedRulesKnownBadInputsRuleSet'));
    prod.template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    // The distribution reads the ACL's ARN through CDK's cross-region reference (exports reader).
    const webAclId = JSON.stringify(distributionConfig(prod.template).WebACLId);
    assert.match(webAclId, /ExportsReader/);
    assert.match(webAclId, new RegExp(`FnGetAtt${aclId}Arn`));
  });

  it('prod in us-east-1: the web ACL is in the stack itself', () => {
    const { template, edge } = synth('prod', { env: { account: '123456789012', region: 'us-east-1' } });
    assert.equal(edge, undefined);
    const [aclId, acl] = Object.entries(resources(template, 'AWS::WAFv2::WebACL'))[0];
    assert.equal(acl.Properties.Scope, 'CLOUDFRONT');
    ratePerIp(acl);
    assert.deepEqual(distributionConfig(template).WebACLId, { 'Fn::GetAtt': [aclId, 'Arn'] });
    assert.equal(template.toJSON().Rules.WebAclNeedsUsEast1, undefined);
  });

  it('prod with an unknown region: the web ACL is in the stack, and a rule refuses any region but us-east-1', () => {
    const { template, edge } = synth('prod', { env: {} });
    assert.equal(edge, undefined);
    template.resourceCountIs('AWS::WAFv2::WebACL', 1);
    const rule = template.toJSON().Rules.WebAclNeedsUsEast1;
    assert.deepEqual(rule.Assertions.map((a: any) => a.Assert), [{ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] }]);
  });

  it('dev has none by default; waf=true adds it', () => {
    assert.equal(dev.edge, undefined);
    dev.template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    assert.equal(distributionConfig(dev.template).WebACLId, undefined);
    const { edgeTemplate } = synth('dev', { waf: true, wafRateLimit: 300 });
    assert.equal(ratePerIp(Object.values(resources(edgeTemplate!, 'AWS::WAFv2::WebACL'))[0]).Limit, 300);
  });

  it('uses a given web ACL instead of creating one', () => {
    const arn = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/shared/11111111-2222-3333-4444-555555555555';
    const { template, edge } = synth('prod', { webAclArn: arn });
    assert.equal(edge, undefined);
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    assert.equal(distributionConfig(template).WebACLId, arn);
  });

  it('prod can turn it off, and checks the rate limit', () => {
    const { template, edge } = synth('prod', { waf: false });
    assert.equal(edge, undefined);
    assert.equal(distributionConfig(template).WebACLId, undefined);
    assert.throws(() => build('prod', { wafRateLimit: 5 }), /wafRateLimit must be a whole number/);
  });

  it('a distribution without WAF carries checkov\'s skip with its reason; one with WAF does not', () => {
    const [devDist] = Object.values(dev.template.toJSON().Resources).filter((r: any) => r.Type === 'AWS::CloudFront::Distribution') as any[];
    assert.deepEqual(devDist.Metadata.checkov.skip.map((s: any) => s.id), ['CKV_AWS_68']);
    const [prodDist] = Object.values(prod.template.toJSON().Resources).filter((r: any) => r.Type === 'AWS::CloudFront::Distribution') as any[];
    assert.equal(prodDist.Metadata?.checkov, undefined);
  });
});
