import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer, HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

import { FUNCTIONS, type FunctionName } from './functions.ts';
import type { RouteSpec, RouteTable } from './specs.ts';
import type { StageSettings } from './stage.ts';

export interface ApiOptions {
  throttleRate?: number;
  throttleBurst?: number;
  /** Protect write routes with a JWT authorizer. */
  auth?: boolean;
  /** Use this issuer (and audience) instead of a Cognito user pool created here. */
  jwtIssuer?: string;
  jwtAudience?: string[];
}

export interface PeopleApiProps extends ApiOptions {
  settings: StageSettings;
  functions: Record<FunctionName, lambda.IFunction>;
  routes: RouteTable;
  /** `*` or a comma-separated list of origins. */
  allowedOrigins: string;
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

/** A route's function and method, checked: an unknown method would otherwise silently become an ANY route. */
function resolve(route: RouteSpec) {
  const user = `route ${route.method} ${route.path}`;
  const method = apigwv2.HttpMethod[route.method];
  if (!method) throw new Error(`infra/routes.json: ${user} has a method API Gateway does not know`);
  return { route, method, fn: functionFor(route.function, user) };
}

/**
 * The HTTP API: the routes of infra/routes.json to the functions, CORS, a throttled stage with JSON
 * access logs, and the JWT authorizer on writes. Its resources live in the stack, not under this
 * construct (see PeopleStack).
 */
export class PeopleApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;

  constructor(scope: Construct, id: string, props: PeopleApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { settings, functions, routes } = props;
    // Check the whole route table first, so a bad one fails before anything is built.
    const fallback = functionFor(routes.fallback, 'the fallback');
    const resolved = routes.routes.map(resolve);
    // One integration per function, shared by its routes (the library still adds a Lambda permission per route).
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const integration = (name: FunctionName) => {
      if (!integrations.has(name)) integrations.set(name, new HttpLambdaIntegration(`${name}Integration`, functions[name]));
      return integrations.get(name)!;
    };
    const corsOrigins = props.allowedOrigins.split(',').map((o) => o.trim()).filter(Boolean);
    this.api = new apigwv2.HttpApi(stack, 'Api', {
      apiName: `${stack.stackName}-api`,
      description: 'people API',
      createDefaultStage: false,
      // Unknown routes and wrong methods reach the fallback function, which answers problem+json 404/405.
      defaultIntegration: integration(fallback),
      corsPreflight: {
        allowOrigins: corsOrigins.length ? corsOrigins : ['*'],
        allowMethods: [
          apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.HEAD, apigwv2.CorsHttpMethod.POST,
          apigwv2.CorsHttpMethod.PUT, apigwv2.CorsHttpMethod.PATCH, apigwv2.CorsHttpMethod.DELETE,
        ],
        allowHeaders: ['content-type', 'if-match', 'if-none-match', 'authorization'],
        exposeHeaders: ['etag', 'location', 'x-request-id', 'retry-after'],
        maxAge: Duration.minutes(10),
      },
    });
    const accessLogs = new logs.LogGroup(stack, 'ApiAccessLogs', { retention: settings.logRetention, removalPolicy: settings.removalPolicy });
    this.stage = new apigwv2.HttpStage(stack, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttleRate ?? (settings.prod ? 1000 : 100),
        burstLimit: props.throttleBurst ?? (settings.prod ? 2000 : 200),
      },
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
        })),
      },
    });

    const authorizer = props.auth ? this.writeAuthorizer(props) : undefined;
    for (const { route, method, fn } of resolved) {
      this.api.addRoutes({
        path: route.path,
        methods: [method],
        integration: integration(fn),
        authorizer: route.writes ? authorizer : undefined,
      });
    }
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: props.auth
        ? 'Reads (GET, HEAD) and the $default fallback, which only answers 404/405, are public by design; every write route has the JWT authorizer.'
        : 'Authorization is off for this stage (context auth=false, the dev default); prod enables the JWT authorizer on writes.',
    });
  }

  /** The external issuer's JWT authorizer, or a Cognito user pool (with admin-created users) and its authorizer. */
  private writeAuthorizer(props: PeopleApiProps): apigwv2.IHttpRouteAuthorizer {
    if (props.jwtIssuer) {
      return new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, { jwtAudience: props.jwtAudience ?? [] });
    }
    const stack = Stack.of(this);
    const pool = new cognito.UserPool(stack, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      removalPolicy: props.settings.removalPolicy,
    });
    const client = pool.addClient('WebClient', { authFlows: { userSrp: true }, generateSecret: false });
    new CfnOutput(stack, 'UserPoolId', { value: pool.userPoolId });
    new CfnOutput(stack, 'UserPoolClientId', { value: client.userPoolClientId });
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
