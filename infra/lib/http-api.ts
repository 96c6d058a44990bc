import { CfnOutput, Duration, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer, HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

import { FUNCTIONS, type FunctionName } from './functions.ts';
import { ScopeTrigger } from './scope-trigger.ts';
import { RESOURCE_SERVER, type RouteSpec, type RouteTable, SCOPES, type Scope, checkScopes, routeKey } from './specs.ts';
import type { StageSettings } from './stage.ts';
import type { WebSignIn } from './web.ts';

export interface ApiOptions {
  /** Stage-wide requests per second and burst (defaults per stage, see stageSettings). */
  throttleRate?: number;
  throttleBurst?: number;
  /** The list route's requests per second and burst; must not exceed the stage's. */
  listThrottleRate?: number;
  listThrottleBurst?: number;
  /**
   * The JWT authorizer on every route, `$default` included, with the scopes infra/routes.json gives
   * each route (default true). false is for throwaway stacks: no authorizer, the functions get
   * `AUTH=off`, and synth warns.
   */
  auth?: boolean;
  /**
   * Use this issuer instead of a Cognito user pool created here; `jwtAudience` is then required. The
   * issuer must assign the `people/*` scopes per user itself: the groups and scope trigger exist only
   * in the pool the stack creates.
   */
  jwtIssuer?: string;
  jwtAudience?: string[];
  /** Where the Cognito hosted sign-in may redirect after the authorization code flow (default http://localhost:9000/). */
  callbackUrls?: string[];
  /** The Cognito hosted domain prefix (default `<stack name>-<account>`). */
  authDomainPrefix?: string;
  /** Turn off the execute-api endpoint (default: on in prod); needs `apiDomainName`, which CloudFront then uses as origin. */
  disableExecuteApiEndpoint?: boolean;
  /** A custom domain for the API (with a regional ACM certificate in the stack's region). */
  apiDomainName?: string;
  apiCertificateArn?: string;
  /** A Route 53 hosted zone in which to create the API domain's alias record; without it, create the DNS record yourself. */
  apiHostedZoneId?: string;
  apiHostedZoneName?: string;
}

export interface PeopleApiProps extends ApiOptions {
  settings: StageSettings;
  functions: Record<FunctionName, lambda.IFunction>;
  routes: RouteTable;
  auth: boolean;
  /** Exact origins allowed cross-origin (`*` only outside prod); empty: same-origin only, no CORS. */
  allowedOrigins: string[];
}

/** The Cognito default for local development: HTTPS is required except for http://localhost. */
export const DEFAULT_CALLBACK_URLS = ['http://localhost:9000/'];

/**
 * Parses `allowedOrigins`: exact origins (`https://app.example.com`, `http://localhost:5173`), or
 * `*` outside prod. Unset or empty means no cross-origin caller: the page is served by the stack's
 * own CloudFront distribution, the same origin as `/people*`.
 */
export function parseAllowedOrigins(value: string | undefined, prod: boolean): string[] {
  const origins = (value ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  for (const o of origins) {
    if (o === '*') {
      if (prod) throw new Error('allowedOrigins: `*` is not allowed in prod; list the exact origins that may call the API cross-origin');
      if (origins.length > 1) throw new Error('allowedOrigins: `*` cannot be combined with other origins');
      continue;
    }
    let url: URL | undefined;
    try {
      url = new URL(o);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== o) {
      throw new Error(`allowedOrigins: ${o} is not an exact origin such as https://app.example.com (scheme, host and port only, no path or trailing slash)`);
    }
  }
  return origins;
}

/** Cognito's rules for redirect URLs: absolute, no fragment, HTTPS except http://localhost. */
function checkCallbackUrls(urls: string[]): string[] {
  if (urls.length === 0) throw new Error('callbackUrls: at least one URL is needed for the authorization code flow');
  for (const u of urls) {
    let url: URL | undefined;
    try {
      url = new URL(u);
    } catch {
      url = undefined;
    }
    const ok = url && !u.includes('#') && (url.protocol === 'https:' || (url.protocol === 'http:' && url.hostname === 'localhost'));
    if (!ok) throw new Error(`callbackUrls: ${u} must be an absolute https:// URL (or http://localhost) without a fragment`);
  }
  return urls;
}

/** The FUNCTIONS entry built from `binary`; routes.json names functions by binary. */
function functionFor(binary: string, user: string): FunctionName {
  const name = (Object.keys(FUNCTIONS) as FunctionName[]).find((n) => FUNCTIONS[n].binary === binary);
  if (!name) {
    const known = Object.values(FUNCTIONS).map((f) => f.binary).join(', ');
    throw new Error(`infra/routes.json: ${user} names function ${binary}, which FUNCTIONS (infra/lib/functions.ts) does not define (it has ${known})`);
  }
  return name;
}

/** A route's function, method and scopes, checked: an unknown method would otherwise silently become an ANY route. */
function resolve(route: RouteSpec) {
  const user = `route ${routeKey(route)}`;
  const method = apigwv2.HttpMethod[route.method];
  if (!method) throw new Error(`infra/routes.json: ${user} has a method API Gateway does not know`);
  return { route, method, fn: functionFor(route.function, user), scopes: checkScopes(route.scopes, user) };
}

/** A positive whole number, or a clear error naming the context key. */
function positive(value: number, key: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${key} must be a positive whole number, not ${value}`);
  return value;
}

/**
 * The HTTP API: the routes of infra/routes.json to the functions, each with the JWT authorizer and
 * the scopes the route table gives it; CORS for configured origins only; a throttled stage (the list
 * route lower) with JSON access logs; an optional custom domain. Its resources live in the stack,
 * not under this construct (see PeopleStack).
 */
export class PeopleApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  /** The host CloudFront sends `/people*` to: the custom domain when there is one, else the execute-api host. */
  readonly originDomain: string;
  /** The API's public URL, for the `ApiUrl` output. */
  readonly url: string;
  /** The stack's own Cognito sign-in (web client and hosted domain), when it has one: the web page signs in through it. */
  signIn?: WebSignIn;

  constructor(scope: Construct, id: string, props: PeopleApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { settings, functions, routes } = props;
    // Check the whole route table and the settings first, so a bad one fails before anything is built.
    const fallback = functionFor(routes.fallback, 'the fallback');
    const fallbackScopes = checkScopes(routes.fallback_scopes, 'the fallback ($default)');
    const resolved = routes.routes.map(resolve);
    const throttle = {
      rate: positive(props.throttleRate ?? settings.throttle.rate, 'throttleRate'),
      burst: positive(props.throttleBurst ?? settings.throttle.burst, 'throttleBurst'),
    };
    const listThrottle = {
      rate: positive(props.listThrottleRate ?? settings.listThrottle.rate, 'listThrottleRate'),
      burst: positive(props.listThrottleBurst ?? settings.listThrottle.burst, 'listThrottleBurst'),
    };
    if (listThrottle.rate > throttle.rate || listThrottle.burst > throttle.burst) {
      throw new Error(`listThrottleRate/listThrottleBurst (${listThrottle.rate}/${listThrottle.burst}) must not exceed the stage's throttleRate/throttleBurst (${throttle.rate}/${throttle.burst})`);
    }
    if (props.jwtIssuer !== undefined) {
      if (!/^https:\/\/\S+$/.test(props.jwtIssuer)) throw new Error(`jwtIssuer must be an https:// URL, not ${JSON.stringify(props.jwtIssuer)}`);
      if (!(props.jwtAudience ?? []).some((a) => a.trim())) {
        throw new Error('jwtAudience is required with jwtIssuer: without an audience the authorizer would accept any token that issuer signs for any application (-c jwtAudience=<client id>[,<client id>])');
      }
    }
    const disableExecuteApi = props.disableExecuteApiEndpoint ?? settings.disableExecuteApiEndpoint;
    if (Boolean(props.apiDomainName) !== Boolean(props.apiCertificateArn)) {
      throw new Error('apiDomainName and apiCertificateArn go together: the custom domain needs an ACM certificate for it in the stack\'s region');
    }
    if (disableExecuteApi && !props.apiDomainName) {
      throw new Error(
        'disableExecuteApiEndpoint (on by default in prod) needs a custom domain for the API, which CloudFront then uses as its /people* origin: '
        + 'pass -c apiDomainName=api.example.com -c apiCertificateArn=arn:aws:acm:<region>:<account>:certificate/<id> (optionally -c apiHostedZoneId=... -c apiHostedZoneName=... for the DNS record), '
        + 'or -c disableExecuteApiEndpoint=false to keep the execute-api endpoint as origin',
      );
    }
    if (Boolean(props.apiHostedZoneId) !== Boolean(props.apiHostedZoneName)) throw new Error('apiHostedZoneId and apiHostedZoneName go together');
    if (props.apiHostedZoneId && !props.apiDomainName) throw new Error('apiHostedZoneId is for the record of apiDomainName, which is not set');

    // The authorizer is built before the API, whose $default route takes it as its default.
    const authorizer = props.auth ? this.authorizer(props) : undefined;
    // One integration per function, shared by its routes (the library still adds a Lambda permission per route).
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const integration = (name: FunctionName) => {
      if (!integrations.has(name)) integrations.set(name, new HttpLambdaIntegration(`${name}Integration`, functions[name]));
      return integrations.get(name)!;
    };
    this.api = new apigwv2.HttpApi(stack, 'Api', {
      apiName: `${stack.stackName}-api`,
      description: 'people API',
      createDefaultStage: false,
      disableExecuteApiEndpoint: disableExecuteApi,
      // Unknown routes and wrong methods reach the fallback function, which answers problem+json 404/405.
      defaultIntegration: integration(fallback),
      defaultAuthorizer: authorizer,
      defaultAuthorizationScopes: authorizer ? fallbackScopes : undefined,
      // Only for configured cross-origin callers: the page behind the same CloudFront distribution is
      // same-origin and needs no CORS. API Gateway answers these origins' preflights itself.
      corsPreflight: props.allowedOrigins.length === 0 ? undefined : {
        allowOrigins: props.allowedOrigins,
        allowMethods: [
          apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.HEAD, apigwv2.CorsHttpMethod.POST,
          apigwv2.CorsHttpMethod.PUT, apigwv2.CorsHttpMethod.PATCH, apigwv2.CorsHttpMethod.DELETE,
        ],
        allowHeaders: ['content-type', 'if-match', 'if-none-match', 'authorization', 'idempotency-key'],
        exposeHeaders: ['etag', 'location', 'x-request-id', 'retry-after', 'idempotent-replayed'],
        maxAge: Duration.minutes(10),
      },
    });

    let domain: apigwv2.DomainName | undefined;
    if (props.apiDomainName && props.apiCertificateArn) {
      domain = new apigwv2.DomainName(stack, 'ApiDomain', {
        domainName: props.apiDomainName,
        certificate: acm.Certificate.fromCertificateArn(stack, 'ApiCertificate', props.apiCertificateArn),
        endpointType: apigwv2.EndpointType.REGIONAL,
        securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
      });
      if (props.apiHostedZoneId && props.apiHostedZoneName) {
        new route53.ARecord(stack, 'ApiDomainRecord', {
          zone: route53.HostedZone.fromHostedZoneAttributes(stack, 'ApiZone', { hostedZoneId: props.apiHostedZoneId, zoneName: props.apiHostedZoneName }),
          recordName: props.apiDomainName,
          target: route53.RecordTarget.fromAlias(new targets.ApiGatewayv2DomainProperties(domain.regionalDomainName, domain.regionalHostedZoneId)),
        });
      } else {
        new CfnOutput(stack, 'ApiDomainTarget', {
          value: domain.regionalDomainName,
          description: `Point a CNAME (or Route 53 alias) for ${props.apiDomainName} at this name`,
        });
      }
    }
    this.originDomain = domain ? props.apiDomainName! : Fn.select(2, Fn.split('/', this.api.apiEndpoint));
    this.url = domain ? `https://${props.apiDomainName}` : this.api.apiEndpoint;

    const accessLogs = new logs.LogGroup(stack, 'ApiAccessLogs', { retention: settings.logRetention, removalPolicy: settings.removalPolicy });
    this.stage = new apigwv2.HttpStage(stack, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: throttle.rate, burstLimit: throttle.burst },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigw.AccessLogFormat.custom(JSON.stringify({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          requestTime: '$context.requestTime',
          method: '$context.httpMethod',
          routeKey: '$context.routeKey',
          status: '$context.status',
          protocol: '$context.protocol',
          responseLength: '$context.responseLength',
          integrationLatency: '$context.integrationLatency',
          responseLatency: '$context.responseLatency',
          integrationError: '$context.integrationErrorMessage',
          authorizerError: '$context.authorizer.error',
        })),
      },
    });

    if (domain) new apigwv2.ApiMapping(stack, 'ApiMapping', { api: this.api, domainName: domain, stage: this.stage });

    // The list route gets its own, lower throttle: each page is a DynamoDB Query.
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    const cfnStage = this.stage.node.defaultChild as apigwv2.CfnStage;
    for (const { route, method, fn, scopes } of resolved) {
      const [added] = this.api.addRoutes({
        path: route.path,
        methods: [method],
        integration: integration(fn),
        authorizer,
        authorizationScopes: authorizer ? scopes : undefined,
      });
      if (route.action === 'list') {
        routeSettings[routeKey(route)] = { ThrottlingRateLimit: listThrottle.rate, ThrottlingBurstLimit: listThrottle.burst };
        // Route settings name routes by key; CloudFormation rejects a key whose route does not exist yet.
        cfnStage.node.addDependency(added.node.defaultChild as apigwv2.CfnRoute);
      }
    }
    if (Object.keys(routeSettings).length) cfnStage.routeSettings = routeSettings;

    if (!props.auth) {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: 'Authorization is off in this stack by explicit configuration (context auth=false), for throwaway stacks only; synth warns about it.',
      });
    }
  }

  /**
   * The external issuer's JWT authorizer (which must assign scopes per user itself), or a Cognito
   * user pool (admin-created users) with the people resource server, the groups and trigger that
   * assign scopes per user, the web client's OAuth settings, a hosted domain, and its authorizer.
   */
  private authorizer(props: PeopleApiProps): apigwv2.IHttpRouteAuthorizer {
    if (props.jwtIssuer) {
      return new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, { jwtAudience: props.jwtAudience!.map((a) => a.trim()).filter(Boolean) });
    }
    const stack = Stack.of(this);
    const callbackUrls = checkCallbackUrls(props.callbackUrls ?? DEFAULT_CALLBACK_URLS);
    const domainPrefix = props.authDomainPrefix ?? `${stack.stackName}-${stack.account}`;
    if (!Token.isUnresolved(domainPrefix)
      && (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(domainPrefix) || /aws|amazon|cognito/.test(domainPrefix))) {
      throw new Error(`authDomainPrefix ${domainPrefix}: lowercase letters, digits and hyphens, at most 63, not containing aws, amazon or cognito`);
    }
    const pool = new cognito.UserPool(stack, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // Set explicitly: the scope trigger's V2_0 event (access token customization) needs Essentials or
      // Plus; Lite has no access token customization. See infra/README.md for the cost.
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      removalPolicy: props.settings.removalPolicy,
    });
    // Scopes per user: people/write for the people-writers group, people/read for people-readers and
    // people-writers, people/self for everyone; a pre token generation trigger removes the rest.
    new ScopeTrigger(this, 'ScopeTrigger', { pool, settings: props.settings });
    // people/read, people/write, people/self: the scopes routes.json refers to.
    const scopes = new Map<Scope, cognito.ResourceServerScope>();
    for (const [full, description] of Object.entries(SCOPES) as [Scope, string][]) {
      const [, scopeName] = full.split('/');
      scopes.set(full, new cognito.ResourceServerScope({ scopeName, scopeDescription: description }));
    }
    const server = pool.addResourceServer('PeopleScopes', { identifier: RESOURCE_SERVER, userPoolResourceServerName: 'people API', scopes: [...scopes.values()] });
    const client = pool.addClient('WebClient', {
      authFlows: { userSrp: true },
      generateSecret: false,
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      oAuth: {
        // The authorization code grant (with PKCE, from a public client); no implicit grant.
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false },
        scopes: [
          cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL,
          ...[...scopes.values()].map((s) => cognito.OAuthScope.resourceServer(server, s)),
        ],
        callbackUrls,
        logoutUrls: callbackUrls,
      },
      preventUserExistenceErrors: true,
    });
    const domain = pool.addDomain('HostedDomain', { cognitoDomain: { domainPrefix } });
    this.signIn = { client, domain };
    new CfnOutput(stack, 'UserPoolId', { value: pool.userPoolId });
    new CfnOutput(stack, 'UserPoolClientId', { value: client.userPoolClientId });
    new CfnOutput(stack, 'AuthDomainUrl', { value: domain.baseUrl(), description: 'Cognito hosted sign-in (authorization code flow)' });
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason: 'MFA is optional (TOTP) for API writers; enforcing it is an account decision per deployment.',
    });
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason: 'The Plus feature plan is a per-user cost; sign-up is disabled and users are created by admins.',
    });
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions-COG3',
      reason: 'Threat protection needs the Plus feature plan (per-user cost); sign-up is disabled and users are created by admins.',
    });
    return new HttpUserPoolAuthorizer('UserPoolAuthorizer', pool, { userPoolClients: [client] });
  }
}
