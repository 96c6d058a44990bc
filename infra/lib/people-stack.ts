import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  Annotations,
  CfnOutput,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  Token,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer, HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (infra/lib → ../..). */
export const REPO_ROOT = path.resolve(here, '..', '..');

/** The table definition exported from the Rust model (`make table-spec`). */
export interface KeyAttribute {
  name: string;
  type: 'S' | 'N' | 'B';
}
export interface IndexSpec {
  name: string;
  partition_key: KeyAttribute;
  sort_key: KeyAttribute | null;
  projection: 'ALL';
}
export interface TableSpec {
  partition_key: KeyAttribute;
  sort_key: KeyAttribute | null;
  global_secondary_indexes: IndexSpec[];
  local_secondary_indexes: IndexSpec[];
  ttl_attribute: string | null;
  billing_mode: 'PAY_PER_REQUEST';
}

export function loadTableSpec(file = path.join(REPO_ROOT, 'infra', 'table-spec.json')): TableSpec {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as TableSpec;
}

/** The four functions, their routes and exactly the DynamoDB actions each needs. */
export const FUNCTIONS = {
  get: {
    binary: 'people-get',
    // Reads one person.
    actions: ['dynamodb:GetItem'],
    index: false,
  },
  list: {
    binary: 'people-list',
    // Lists through the gsi1 index; the email filter queries the email claim on the table.
    actions: ['dynamodb:Query'],
    index: true,
  },
  put: {
    binary: 'people-put',
    // Create, replace and patch read the current person, then write the person and its email claim in
    // one transaction (Put, Update, Delete of the old claim, ConditionCheck); transactions are
    // authorised per item action, there is no TransactWriteItems IAM action.
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
    index: false,
  },
  delete: {
    binary: 'people-delete',
    // Reads the person to find its email claim, then deletes both in one transaction.
    actions: ['dynamodb:GetItem', 'dynamodb:DeleteItem'],
    index: false,
  },
} as const;
export type FunctionName = keyof typeof FUNCTIONS;

export interface PeopleStackProps extends StackProps {
  stage: 'dev' | 'prod';
  tableSpec: TableSpec;
  /** Folder holding `<binary>/bootstrap`; missing or non-arm64 binaries are replaced by a placeholder unless `requireBuiltFunctions`. */
  functionsDir?: string;
  requireBuiltFunctions?: boolean;
  memorySize?: number;
  timeoutSeconds?: number;
  /** `*` or a comma-separated list of origins. */
  allowedOrigins?: string;
  throttleRate?: number;
  throttleBurst?: number;
  /** Protect write routes with a JWT authorizer. */
  auth?: boolean;
  /** Use this issuer (and audience) instead of a Cognito user pool created here. */
  jwtIssuer?: string;
  jwtAudience?: string[];
  /** Folder with the built web frontend; a placeholder page when missing. */
  webDir?: string;
}

/** True when the file is an ELF executable for aarch64. */
function isArm64Elf(file: string): boolean {
  try {
    const header = Buffer.alloc(20);
    const fd = fs.openSync(file, 'r');
    fs.readSync(fd, header, 0, 20, 0);
    fs.closeSync(fd);
    return header.readUInt32BE(0) === 0x7f454c46 && header.readUInt16LE(18) === 183;
  } catch {
    return false;
  }
}

let placeholderDir: string | undefined;
/** A stand-in bootstrap, so synth and tests run without building the Rust functions. */
function placeholderAsset(): string {
  if (!placeholderDir) {
    placeholderDir = fs.mkdtempSync(path.join(os.tmpdir(), 'people-placeholder-'));
    fs.writeFileSync(path.join(placeholderDir, 'bootstrap'), '#!/bin/sh\necho "placeholder: run make deploy" >&2\nexit 1\n', { mode: 0o755 });
  }
  return placeholderDir;
}

export class PeopleStack extends Stack {
  readonly table: dynamodb.Table;
  readonly functions: Record<FunctionName, lambda.Function>;
  readonly api: apigwv2.HttpApi;
  readonly distribution: cloudfront.Distribution;
  readonly siteBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: PeopleStackProps) {
    super(scope, id, props);
    const prod = props.stage === 'prod';
    const spec = props.tableSpec;
    const retain = prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const retention = prod ? logs.RetentionDays.THREE_MONTHS : logs.RetentionDays.ONE_WEEK;

    // --- DynamoDB, from the model's definition ------------------------------------------------
    const attr = (k: KeyAttribute) => ({ name: k.name, type: k.type as dynamodb.AttributeType });
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: attr(spec.partition_key),
      sortKey: spec.sort_key ? attr(spec.sort_key) : undefined,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: prod,
      removalPolicy: retain,
      timeToLiveAttribute: spec.ttl_attribute ?? undefined,
    });
    for (const ix of spec.global_secondary_indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: ix.name,
        partitionKey: attr(ix.partition_key),
        sortKey: ix.sort_key ? attr(ix.sort_key) : undefined,
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    for (const ix of spec.local_secondary_indexes) {
      if (!ix.sort_key) throw new Error(`local index ${ix.name} needs a sort key`);
      this.table.addLocalSecondaryIndex({ indexName: ix.name, sortKey: attr(ix.sort_key), projectionType: dynamodb.ProjectionType.ALL });
    }
    Validations.of(this.table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason: 'Point-in-time recovery is enabled through pointInTimeRecoverySpecification.',
    });

    // --- Functions, one least-privilege role each ----------------------------------------------
    const allowedOrigins = props.allowedOrigins ?? '*';
    const functionsDir = props.functionsDir ?? path.join(REPO_ROOT, 'target', 'lambda');
    const functions = {} as Record<FunctionName, lambda.Function>;
    for (const [name, def] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      const built = path.join(functionsDir, def.binary);
      const ready = isArm64Elf(path.join(built, 'bootstrap'));
      if (!ready && props.requireBuiltFunctions) {
        throw new Error(`${built}/bootstrap is missing or not arm64: run \`cargo lambda build --release --arm64\` (make deploy does)`);
      }
      const logGroup = new logs.LogGroup(this, `${name}Logs`, {
        logGroupName: `/aws/lambda/${this.stackName}-${def.binary}`,
        retention,
        removalPolicy: retain,
      });
      const role = new iam.Role(this, `${name}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `${def.binary}: logs to its own log group, X-Ray, and ${def.actions.join(', ')} on the people table`,
      });
      role.addToPolicy(new iam.PolicyStatement({
        sid: 'OwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }));
      role.addToPolicy(new iam.PolicyStatement({
        sid: 'PeopleTable',
        actions: [...def.actions],
        resources: def.index ? [this.table.tableArn, `${this.table.tableArn}/index/gsi1`] : [this.table.tableArn],
      }));
      const fn = new lambda.Function(this, `${name}Function`, {
        functionName: `${this.stackName}-${def.binary}`,
        description: `people API: ${name} (${def.binary})`,
        runtime: lambda.Runtime.PROVIDED_AL2023,
        architecture: lambda.Architecture.ARM_64,
        handler: 'bootstrap',
        code: lambda.Code.fromAsset(ready ? built : placeholderAsset()),
        memorySize: props.memorySize ?? 128,
        timeout: Duration.seconds(props.timeoutSeconds ?? 10),
        role,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        tracing: lambda.Tracing.ACTIVE,
        environment: {
          TABLE_NAME: this.table.tableName,
          ALLOWED_ORIGINS: allowedOrigins,
          RUST_LOG: 'info',
        },
      });
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords (added by active tracing) support no resource-level permissions.',
      });
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(logGroup.node.defaultChild as logs.CfnLogGroup)}.Arn>:*]`,
        reason: 'Log streams of this function\'s own log group only; stream names are chosen by Lambda.',
      });
      functions[name] = fn;
    }
    this.functions = functions;
    if (!isArm64Elf(path.join(functionsDir, FUNCTIONS.get.binary, 'bootstrap'))) {
      Annotations.of(this).addInfo('Functions use a placeholder bootstrap: run `make deploy` to build and deploy the real ones.');
    }

    // --- HTTP API -------------------------------------------------------------------------------
    const integration = (name: FunctionName) => new HttpLambdaIntegration(`${name}Integration`, functions[name]);
    const corsOrigins = allowedOrigins.split(',').map((o) => o.trim()).filter(Boolean);
    this.api = new apigwv2.HttpApi(this, 'Api', {
      apiName: `${this.stackName}-api`,
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
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention, removalPolicy: retain });
    const stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRate ?? (prod ? 1000 : 100), burstLimit: props.throttleBurst ?? (prod ? 2000 : 200) },
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

    let authorizer: apigwv2.IHttpRouteAuthorizer | undefined;
    if (props.auth) {
      if (props.jwtIssuer) {
        authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, { jwtAudience: props.jwtAudience ?? [] });
      } else {
        const pool = new cognito.UserPool(this, 'Users', {
          selfSignUpEnabled: false,
          signInAliases: { email: true },
          passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
          mfa: cognito.Mfa.OPTIONAL,
          mfaSecondFactor: { otp: true, sms: false },
          accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
          removalPolicy: retain,
        });
        const client = pool.addClient('WebClient', { authFlows: { userSrp: true }, generateSecret: false });
        authorizer = new HttpUserPoolAuthorizer('UserPoolAuthorizer', pool, { userPoolClients: [client] });
        new CfnOutput(this, 'UserPoolId', { value: pool.userPoolId });
        new CfnOutput(this, 'UserPoolClientId', { value: client.userPoolClientId });
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
      }
    }
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

    // --- Web frontend: S3 behind CloudFront, with /people* going to the API -----------------------
    this.siteBucket = new s3.Bucket(this, 'Site', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      removalPolicy: retain,
      autoDeleteObjects: !prod,
    });
    Validations.of(this.siteBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Static site content only; requests are recorded by CloudFront and the API access log.',
    });
    const apiDomain = Fn.select(2, Fn.split('/', this.api.apiEndpoint));
    this.distribution = new cloudfront.Distribution(this, 'Cdn', {
      comment: `${this.stackName}: web frontend and /people API`,
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.siteBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      additionalBehaviors: {
        '/people*': {
          origin: new origins.HttpOrigin(apiDomain, { protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
    for (const [id, reason] of [
      ['AwsSolutions-CFR1', 'The people API and page are served worldwide; no country is restricted.'],
      ['AwsSolutions-CFR2', 'WAF is priced per web ACL and request; API Gateway stage throttling bounds abuse. Attach a web ACL per deployment if needed.'],
      ['AwsSolutions-CFR3', 'CloudFront standard logs need an ACL-enabled bucket; API requests are logged by the API access log.'],
      ['AwsSolutions-CFR4', 'The default *.cloudfront.net certificate does not allow choosing the TLS policy; TLSv1.2_2021 applies once a custom domain is attached.'],
    ] as const) {
      Validations.of(this.distribution).acknowledge({ id, reason });
    }
    const webDir = props.webDir ?? path.join(REPO_ROOT, 'web', 'dist');
    new s3deploy.BucketDeployment(this, 'DeploySite', {
      sources: [s3deploy.Source.asset(fs.existsSync(webDir) ? webDir : path.join(REPO_ROOT, 'infra', 'placeholder'))],
      destinationBucket: this.siteBucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
    });

    // Constructs from aws-cdk-lib whose Lambda-backed custom resources we do not write.
    for (const id of ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', 'AwsSolutions-L1']) {
      Validations.of(this).acknowledge({
        id,
        reason: 'Custom-resource functions that aws-cdk-lib provides (bucket deployment, auto-delete objects); their runtime and role are set by the library.',
      });
    }
    // The bucket deployment's role (written by aws-cdk-lib) copies the web assets from the CDK assets
    // bucket into the site bucket and invalidates the distribution.
    const region = Token.isUnresolved(this.region) ? '<AWS::Region>' : this.region;
    const account = Token.isUnresolved(this.account) ? '<AWS::AccountId>' : this.account;
    const siteArn = this.getLogicalId(this.siteBucket.node.defaultChild as s3.CfnBucket);
    for (const finding of [
      'Action::s3:GetBucket*', 'Action::s3:GetObject*', 'Action::s3:List*', 'Action::s3:Abort*', 'Action::s3:DeleteObject*',
      `Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${account}-${region}/*`,
      `Resource::arn:aws:s3:::cdk-hnb659fds-assets-${account}-${region}/*`,
      `Resource::<${siteArn}.Arn>/*`,
      'Resource::*',
    ]) {
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason: 'BucketDeployment (aws-cdk-lib) copies web assets from the CDK assets bucket into the site bucket and invalidates CloudFront (no resource-level permission for CreateInvalidation).',
      });
    }

    // --- Monitoring -----------------------------------------------------------------------------
    const period = Duration.minutes(5);
    const apiRequests = new cloudwatch.Metric({ namespace: 'AWS/ApiGateway', metricName: 'Count', dimensionsMap: { ApiId: this.api.apiId, Stage: stage.stageName }, statistic: 'Sum', period });
    const api5xx = new cloudwatch.Metric({ namespace: 'AWS/ApiGateway', metricName: '5xx', dimensionsMap: { ApiId: this.api.apiId, Stage: stage.stageName }, statistic: 'Sum', period });
    const api5xxRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { errors: api5xx, requests: apiRequests },
      label: 'API 5xx rate (%)',
      period,
    });
    new cloudwatch.Alarm(this, 'Api5xxRate', {
      alarmDescription: 'More than 1% of API requests answered 5xx over 5 minutes',
      metric: api5xxRate,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const widgets: cloudwatch.IWidget[] = [
      new cloudwatch.GraphWidget({ title: 'API requests and 5xx rate', left: [apiRequests], right: [api5xxRate], width: 12 }),
    ];
    for (const [name, fn] of Object.entries(functions)) {
      new cloudwatch.Alarm(this, `${name}Errors`, {
        alarmDescription: `${fn.node.id}: invocation errors`,
        metric: fn.metricErrors({ period }),
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      new cloudwatch.Alarm(this, `${name}Throttles`, {
        alarmDescription: `${fn.node.id}: throttled invocations`,
        metric: fn.metricThrottles({ period }),
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      widgets.push(new cloudwatch.GraphWidget({
        title: `${name}: duration p50/p99, errors, throttles`,
        left: [fn.metricDuration({ statistic: 'p50', period }), fn.metricDuration({ statistic: 'p99', period })],
        right: [fn.metricErrors({ period }), fn.metricThrottles({ period })],
        width: 12,
      }));
    }
    const ddbThrottles = this.table.metricThrottledRequestsForOperations({
      operations: [
        dynamodb.Operation.GET_ITEM, dynamodb.Operation.PUT_ITEM, dynamodb.Operation.UPDATE_ITEM,
        dynamodb.Operation.DELETE_ITEM, dynamodb.Operation.QUERY, dynamodb.Operation.TRANSACT_WRITE_ITEMS,
      ],
      period,
    });
    new cloudwatch.Alarm(this, 'TableThrottles', {
      alarmDescription: 'DynamoDB throttled requests on the people table',
      metric: ddbThrottles,
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    widgets.push(new cloudwatch.GraphWidget({ title: 'DynamoDB throttled requests', left: [ddbThrottles], width: 12 }));
    new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `${this.stackName}`, widgets: [widgets] });

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'HTTP API endpoint' });
    new CfnOutput(this, 'CloudFrontUrl', { value: `https://${this.distribution.distributionDomainName}`, description: 'Web page and /people API' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
  }
}
