import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer, HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

import type { FunctionName } from './functions.ts';
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
  /** `*` or a comma-separated list of origins. */
  allowedOrigins: string;
}

/**
 * The HTTP API: routes to the functions, CORS, a throttled stage with JSON access logs, and the JWT
 * authorizer on writes. Its resources live in the stack, not under this construct (see PeopleStack).
 */
export class PeopleApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;

  constructor(scope: Construct, id: string, props: PeopleApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { settings, functions } = props;
    const integration = (name: FunctionName) => new HttpLambdaIntegration(`${name}Integration`, functions[name]);
    const corsOrigins = props.allowedOrigins.split(',').map((o) => o.trim()).filter(Boolean);
    this.api = new apigwv2.HttpApi(stack, 'Api', {
      apiName: `${stack.stackName}-api`,
      description: 'people API',
      createDefaultStage: false,
      // Unknown routes and wrong methods reach the get function, which answers problem+json 404/405.
      defaultIntegration: integration('get'),
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
    const routes: [string, apigwv2.HttpMethod[], FunctionName, boolean][] = [
      ['/people', [apigwv2.HttpMethod.GET], 'list', false],
      ['/people', [apigwv2.HttpMethod.POST], 'put', true],
      ['/people/{id}', [apigwv2.HttpMethod.GET], 'get', false],
      ['/people/{id}', [apigwv2.HttpMethod.PUT, apigwv2.HttpMethod.PATCH], 'put', true],
      ['/people/{id}', [apigwv2.HttpMethod.DELETE], 'delete', true],
    ];
    for (const [routePath, methods, fn, write] of routes) {
      this.api.addRoutes({ path: routePath, methods, integration: integration(fn), authorizer: write ? authorizer : undefined });
    }
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: props.auth
        ? 'Reads (GET) and the $default fallback, which only answers 404/405, are public by design; every write route has the JWT authorizer.'
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
