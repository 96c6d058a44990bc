import * as fs from 'node:fs';
import * as path from 'node:path';

import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';

import { REPO_ROOT, SCOPES } from './specs.ts';
import type { StageSettings } from './stage.ts';

export interface WebOptions {
  /** Folder with the built web frontend (`make web-build`: web/dist); a placeholder page when missing. */
  webDir?: string;
}

/** The stack's own Cognito sign-in, which the page uses (authorization code with PKCE). */
export interface WebSignIn {
  client: cognito.UserPoolClient;
  domain: cognito.UserPoolDomain;
}

export interface WebProps extends WebOptions {
  settings: StageSettings;
  /** The API's host for `/people*`: its custom domain, or its execute-api host. */
  apiOrigin: string;
  /** The WAF web ACL (CLOUDFRONT scope, us-east-1) in front of the distribution, if any. */
  webAclArn?: string;
  /** Sign-in for the page; none when the API is open (auth=false) or trusts an external issuer. */
  signIn?: WebSignIn;
  /** The real-time feed the page gets live updates from; none: the page works without them. */
  webSocket?: WebSocketFeed;
}

/** The real-time feed's WebSocket API, as the page connects to it (infra/lib/websocket.ts). */
export interface WebSocketFeed {
  /** The stage's URL (`wss://<api>.execute-api.<region>.amazonaws.com/<stage>`): config.json's `webSocketUrl`. */
  url: string;
  /** Its origin (`wss://<api>.execute-api.<region>.amazonaws.com`), which connect-src allows. */
  origin: string;
}

/**
 * The page's security headers, defined once in web/security-headers.json: the local gateway of
 * `make dev` sends the same file's headers.
 */
export const SECURITY_HEADERS_FILE = path.join(REPO_ROOT, 'web', 'security-headers.json');
/** Hashed files under /assets/ never change: browsers and CloudFront keep them for a year. */
export const ASSETS_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** index.html and config.json name the current assets: revalidated on every load. */
export const PAGE_CACHE_CONTROL = 'no-cache';

/**
 * The security headers of web/security-headers.json as a CloudFront response headers policy's
 * behaviours. A header the file adds that is not mapped here fails synth rather than be left out.
 * `connectSources` are added to the policy's connect-src (the Cognito domain the page redeems its
 * sign-in code at, the WebSocket API it gets live updates from).
 */
export function securityHeaders(connectSources: string[] = [], file = SECURITY_HEADERS_FILE): cloudfront.ResponseHeadersPolicyProps {
  const headers = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  const security: { -readonly [K in keyof cloudfront.ResponseSecurityHeadersBehavior]: cloudfront.ResponseSecurityHeadersBehavior[K] } = {};
  const custom: cloudfront.ResponseCustomHeader[] = [];
  for (const [name, value] of Object.entries(headers)) {
    switch (name.toLowerCase()) {
      case 'content-security-policy': {
        if (/unsafe-inline|unsafe-eval/.test(value)) throw new Error(`${file}: the content security policy must not allow unsafe-inline or unsafe-eval`);
        const csp = connectSources.length
          ? value.replace(/(^|;\s*)connect-src ([^;]*)/, (_, lead: string, sources: string) => `${lead}connect-src ${sources} ${connectSources.join(' ')}`)
          : value;
        security.contentSecurityPolicy = { contentSecurityPolicy: csp, override: true };
        break;
      }
      case 'strict-transport-security': {
        const maxAge = /max-age=(\d+)/.exec(value);
        if (!maxAge) throw new Error(`${file}: Strict-Transport-Security needs a max-age`);
        security.strictTransportSecurity = {
          accessControlMaxAge: Duration.seconds(Number(maxAge[1])),
          includeSubdomains: /includeSubDomains/i.test(value),
          preload: /preload/i.test(value),
          override: true,
        };
        break;
      }
      case 'x-content-type-options':
        if (value !== 'nosniff') throw new Error(`${file}: X-Content-Type-Options can only be nosniff`);
        security.contentTypeOptions = { override: true };
        break;
      case 'referrer-policy': {
        const policy = Object.values(cloudfront.HeadersReferrerPolicy).find((p) => p === value);
        if (!policy) throw new Error(`${file}: Referrer-Policy ${value} is not one CloudFront knows`);
        security.referrerPolicy = { referrerPolicy: policy, override: true };
        break;
      }
      case 'x-frame-options': {
        const option = Object.values(cloudfront.HeadersFrameOption).find((o) => o === value);
        if (!option) throw new Error(`${file}: X-Frame-Options ${value} is not DENY or SAMEORIGIN`);
        security.frameOptions = { frameOption: option, override: true };
        break;
      }
      case 'cross-origin-opener-policy':
      case 'permissions-policy':
        custom.push({ header: name, value, override: true });
        break;
      default:
        throw new Error(`${file}: ${name} is not mapped to CloudFront's response headers policy (infra/lib/web.ts securityHeaders)`);
    }
  }
  return {
    comment: 'people web page: the security headers of web/security-headers.json',
    securityHeadersBehavior: security,
    customHeadersBehavior: custom.length ? { customHeaders: custom } : undefined,
  };
}

/** What the page reads from /config.json at start (web/src/auth.ts): how to sign in, and where live updates come from. */
export function runtimeConfig(signIn: WebSignIn | undefined, webSocketUrl?: string): object {
  const live = webSocketUrl ? { webSocketUrl } : {};
  if (!signIn) return { signIn: null, ...live };
  return {
    signIn: {
      kind: 'cognito',
      authority: signIn.domain.baseUrl(),
      clientId: signIn.client.userPoolClientId,
      scopes: ['openid', ...Object.keys(SCOPES)],
    },
    ...live,
  };
}

/**
 * The web frontend: S3 behind CloudFront, with /people* going to the API on the same host. The page
 * gets the security headers of web/security-headers.json; its hashed assets are cached for a year,
 * index.html and /config.json (the sign-in settings and the WebSocket URL, written at deploy) are
 * revalidated on every load; connect-src allows the Cognito domain and the WebSocket API.
 * With the stack's own Cognito pool, the distribution's URL is a callback and sign-out URL of the web
 * client. Its resources live in the stack, not under this construct (see PeopleStack).
 */
export class Web extends Construct {
  readonly siteBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly headers: cloudfront.ResponseHeadersPolicy;

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
    const connectSources = [...(props.signIn ? [props.signIn.domain.baseUrl()] : []), ...(props.webSocket ? [props.webSocket.origin] : [])];
    this.headers = new cloudfront.ResponseHeadersPolicy(stack, 'WebHeaders', securityHeaders(connectSources));
    this.distribution = new cloudfront.Distribution(stack, 'Cdn', {
      comment: `${stack.stackName}: web frontend and /people API`,
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      webAclId: props.webAclArn,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.siteBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        // Honours the Cache-Control each object was uploaded with (below), within a day by default.
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.headers,
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
    const url = `https://${this.distribution.distributionDomainName}/`;
    if (props.signIn) {
      // The page at the distribution's URL signs in through the web client and comes back to it.
      const client = props.signIn.client.node.defaultChild as cognito.CfnUserPoolClient;
      client.callbackUrLs = [...(client.callbackUrLs ?? []), url];
      client.logoutUrLs = [...(client.logoutUrLs ?? []), url];
    }

    // Two uploads: first the hashed assets (kept after later deploys, so a page loaded before a deploy
    // still finds its files), then the page and its settings, which name them. Only the latter change
    // under the same name, so only they are invalidated.
    const built = props.webDir ?? path.join(REPO_ROOT, 'web', 'dist');
    const webDir = fs.existsSync(path.join(built, 'index.html')) ? built : path.join(REPO_ROOT, 'infra', 'placeholder');
    const pages = ['index.html', 'config.json'];
    let assets: s3deploy.BucketDeployment | undefined;
    if (fs.readdirSync(webDir).some((f) => !pages.includes(f))) {
      assets = new s3deploy.BucketDeployment(stack, 'DeploySiteAssets', {
        sources: [s3deploy.Source.asset(webDir, { exclude: pages })],
        destinationBucket: this.siteBucket,
        prune: false,
        cacheControl: [s3deploy.CacheControl.fromString(ASSETS_CACHE_CONTROL)],
      });
    }
    const page = new s3deploy.BucketDeployment(stack, 'DeploySite', {
      sources: [
        s3deploy.Source.asset(webDir, { exclude: ['*', '!index.html'] }),
        s3deploy.Source.jsonData('config.json', runtimeConfig(props.signIn, props.webSocket?.url)),
      ],
      destinationBucket: this.siteBucket,
      prune: false,
      cacheControl: [s3deploy.CacheControl.fromString(PAGE_CACHE_CONTROL)],
      distribution: this.distribution,
      distributionPaths: ['/', '/index.html', '/config.json'],
    });
    if (assets) page.node.addDependency(assets);

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
