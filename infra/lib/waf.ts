import { Aws, CfnRule, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';

export interface WafOptions {
  /** A WAF web ACL in front of CloudFront (default: on in prod, off in dev). */
  waf?: boolean;
  /** Requests a client IP may make in 5 minutes before WAF answers 429 (default 1000). */
  wafRateLimit?: number;
  /** Use this existing web ACL (CLOUDFRONT scope, so in us-east-1) instead of creating one; it is used whatever `waf` says. */
  webAclArn?: string;
}

/** A web ACL for CloudFront must be created in us-east-1, whatever the region of the distribution's stack. */
export const WAF_REGION = 'us-east-1';
export const DEFAULT_WAF_RATE_LIMIT = 1000;

/**
 * A CLOUDFRONT-scope web ACL: a rate-based rule per client IP (WAF at the edge sees the viewer's
 * address), then AWS's Known Bad Inputs rule group (Log4j and other exploit patterns; few false
 * positives for a JSON API). Everything else is allowed. Created with `stack` as scope.
 */
export function createWebAcl(stack: Stack, name: string, rateLimit = DEFAULT_WAF_RATE_LIMIT): wafv2.CfnWebACL {
  if (!Number.isInteger(rateLimit) || rateLimit < 10 || rateLimit > 2_000_000_000) {
    throw new Error(`wafRateLimit must be a whole number of requests per 5 minutes between 10 and 2,000,000,000, not ${rateLimit}`);
  }
  const visibility = (metric: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `${name}-${metric}` });
  return new wafv2.CfnWebACL(stack, 'WebAcl', {
    name: `${name}-cdn`,
    description: `${name}: rate limit per client IP and known bad inputs, in front of CloudFront`,
    scope: 'CLOUDFRONT',
    defaultAction: { allow: {} },
    visibilityConfig: visibility('web-acl'),
    customResponseBodies: {
      'too-many-requests': {
        contentType: 'APPLICATION_JSON',
        content: JSON.stringify({ title: 'Too Many Requests', status: 429, detail: 'Too many requests from this address; try again in a few minutes.' }),
      },
    },
    rules: [
      {
        name: 'rate-per-ip',
        priority: 0,
        statement: { rateBasedStatement: { limit: rateLimit, evaluationWindowSec: 300, aggregateKeyType: 'IP' } },
        action: { block: { customResponse: { responseCode: 429, customResponseBodyKey: 'too-many-requests' } } },
        visibilityConfig: visibility('rate-per-ip'),
      },
      {
        name: 'known-bad-inputs',
        priority: 1,
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' } },
        overrideAction: { none: {} },
        visibilityConfig: visibility('known-bad-inputs'),
      },
    ],
  });
}

/**
 * In a stack whose region is unknown at synth (env-agnostic), a web ACL created in it can only work if
 * the stack is deployed to us-east-1: a CloudFormation rule makes any other region fail before
 * anything is created, with a clear message.
 */
export function requireWafRegion(stack: Stack): void {
  new CfnRule(stack, 'WebAclNeedsUsEast1', {
    assertions: [{
      assert: Fn.conditionEquals(Aws.REGION, WAF_REGION),
      assertDescription: 'This template creates a CloudFront web ACL, which only exists in us-east-1: synthesize with the target region set (CDK_DEFAULT_REGION/AWS_REGION) so that a separate us-east-1 edge stack holds it, or pass -c webAclArn=... or -c waf=false.',
    }],
  });
}

export interface EdgeStackProps extends StackProps {
  /** The people stack this web ACL protects (names the ACL and its metrics). */
  peopleStackName: string;
  rateLimit?: number;
}

/**
 * The web ACL in us-east-1, for a people stack in another region. The people stack reads its ARN
 * through CDK's cross-region references (an SSM parameter written into the people stack's region).
 */
export class EdgeStack extends Stack {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, { ...props, env: { account: props.env?.account, region: WAF_REGION }, crossRegionReferences: true });
    this.webAcl = createWebAcl(this, props.peopleStackName, props.rateLimit);
  }
}
