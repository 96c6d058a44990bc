import * as fs from 'node:fs';
import * as path from 'node:path';

import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';

import { REPO_ROOT } from './specs.ts';
import type { StageSettings } from './stage.ts';

export interface WebOptions {
  /** Folder with the built web frontend; a placeholder page when missing. */
  webDir?: string;
}

export interface WebProps extends WebOptions {
  settings: StageSettings;
  /** The API's host for `/people*`: its custom domain, or its execute-api host. */
  apiOrigin: string;
  /** The WAF web ACL (CLOUDFRONT scope, us-east-1) in front of the distribution, if any. */
  webAclArn?: string;
}

/**
 * The web frontend: S3 behind CloudFront, with /people* going to the API. Its resources live in the
 * stack, not under this construct (see PeopleStack).
 */
export class Web extends Construct {
  readonly siteBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: WebProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.siteBucket = new s3.Bucket(stack, 'Site', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      removalPolicy: props.settings.removalPolicy,
      autoDeleteObjects: !props.settings.prod,
    });
    Validations.of(this.siteBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Static site content only; requests are recorded by CloudFront and the API access log.',
    });
    this.distribution = new cloudfront.Distribution(stack, 'Cdn', {
      comment: `${stack.stackName}: web frontend and /people API`,
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      webAclId: props.webAclArn,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.siteBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      additionalBehaviors: {
        '/people*': {
          origin: new origins.HttpOrigin(props.apiOrigin, { protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          // The API's answers are per caller: nothing is cached. With caching disabled, the managed
          // AllViewer* origin request policies forward the viewer's Authorization header to the origin
          // (an origin request policy cannot list Authorization itself; CloudFront rejects that). The
          // Host header stays the origin's, which API Gateway needs to find the API.
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
    const findings: [string, string][] = [
      ['AwsSolutions-CFR1', 'The people API and page are served worldwide; no country is restricted.'],
      ['AwsSolutions-CFR3', 'CloudFront standard logs need an ACL-enabled bucket; API requests are logged by the API access log.'],
      ['AwsSolutions-CFR4', 'The default *.cloudfront.net certificate does not allow choosing the TLS policy; TLSv1.2_2021 applies once a custom domain is attached.'],
    ];
    if (!props.webAclArn) {
      const reason = 'WAF is off in this stack (context waf=false, the dev default; prod has it): a web ACL costs $5 a month plus rules and requests. API Gateway stage throttling still bounds abuse.';
      findings.push(['AwsSolutions-CFR2', reason]);
      (this.distribution.node.defaultChild as cloudfront.CfnDistribution).addMetadata('checkov', { skip: [{ id: 'CKV_AWS_68', comment: reason }] });
    }
    for (const [id, reason] of findings) Validations.of(this.distribution).acknowledge({ id, reason });
    const webDir = props.webDir ?? path.join(REPO_ROOT, 'web', 'dist');
    new s3deploy.BucketDeployment(stack, 'DeploySite', {
      sources: [s3deploy.Source.asset(fs.existsSync(webDir) ? webDir : path.join(REPO_ROOT, 'infra', 'placeholder'))],
      destinationBucket: this.siteBucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
    });

    // Constructs from aws-cdk-lib whose Lambda-backed custom resources we do not write. Their
    // providers are singletons at the stack's level, so the acknowledgements go on the stack.
    for (const id of ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', 'AwsSolutions-L1']) {
      Validations.of(stack).acknowledge({
        id,
        reason: 'Custom-resource functions that aws-cdk-lib provides (bucket deployment, auto-delete objects); their runtime and role are set by the library.',
      });
    }
    // The bucket deployment's role (written by aws-cdk-lib) copies the web assets from the CDK assets
    // bucket into the site bucket and invalidates the distribution.
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const siteArn = stack.getLogicalId(this.siteBucket.node.defaultChild as s3.CfnBucket);
    for (const finding of [
      'Action::s3:GetBucket*', 'Action::s3:GetObject*', 'Action::s3:List*', 'Action::s3:Abort*', 'Action::s3:DeleteObject*',
      `Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${account}-${region}/*`,
      `Resource::arn:aws:s3:::cdk-hnb659fds-assets-${account}-${region}/*`,
      `Resource::<${siteArn}.Arn>/*`,
      'Resource::*',
    ]) {
      Validations.of(stack).acknowledge({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason: 'BucketDeployment (aws-cdk-lib) copies web assets from the CDK assets bucket into the site bucket and invalidates CloudFront (no resource-level permission for CreateInvalidation).',
      });
    }
  }
}
