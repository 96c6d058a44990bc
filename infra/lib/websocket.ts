import { CfnOutput, Duration, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

import { type FunctionsOptions, rustFunction } from './functions.ts';
import type { ApiOptions } from './http-api.ts';
import { METRICS_STAGE_VAR, Monitoring, RealtimeMonitoring } from './monitoring.ts';
import type { Stage, StageSettings } from './stage.ts';

/**
 * The real-time functions (crates/people/src/ws, functions/ws-*, functions/stream). Connection items
 * live in the people table under `CONNECTION#<id>` (sk `CONNECTION`, gsi1pk `CONNECTION`); each
 * function's table access is limited to those items where IAM can say so (CONNECTION_ITEMS).
 */
export const REALTIME_FUNCTIONS = {
  wsConnect: { binary: 'people-ws-connect', purpose: '$connect: records the connection' },
  wsDisconnect: { binary: 'people-ws-disconnect', purpose: '$disconnect: forgets the connection' },
  wsMessage: { binary: 'people-ws-message', purpose: '$default: subscribe, unsubscribe and ping, answered on the connection' },
  wsAuthorize: { binary: 'people-ws-authorize', purpose: '$connect request authorizer: verifies the access token of the query string' },
  stream: { binary: 'people-stream', purpose: 'the table stream consumer: pushes changes of people to subscribed connections' },
} as const;
export type RealtimeFunctionName = keyof typeof REALTIME_FUNCTIONS;

/** The partition key values of connection items, as an IAM `dynamodb:LeadingKeys` pattern. */
export const CONNECTION_ITEMS = 'CONNECTION#*';
/** The entity tag (`_type`) of person items: the only items whose changes are pushed. */
export const PERSON_ENTITY = 'person';
/** Where the access token comes from: browsers cannot set headers on a WebSocket. */
export const TOKEN_SOURCE = 'route.request.querystring.token';

/**
 * The stream function's event source mapping. Records of one item stay in order (one batch per
 * shard at a time); a record that keeps failing is retried alone (bisect, item failures) a few
 * times, then given up and its batch's position sent to the on-failure queue, so it never stalls
 * its shard (the defaults retry for a day).
 */
export const STREAM_MAPPING = {
  batchSize: 100,
  /** How long Lambda gathers records before invoking: the worst extra latency of a push. */
  maxBatchingWindow: Duration.seconds(1),
  retryAttempts: 3,
  /** A change older than this is no longer worth pushing: clients reload on reconnect anyway. */
  maxRecordAge: Duration.minutes(15),
  parallelizationFactor: 1,
  /** The on-failure queue keeps what was given up for two weeks (SQS's longest). */
  failureRetention: Duration.days(14),
  /** Enough for a batch's fan-out to thousands of connections with bounded concurrency. */
  timeout: Duration.seconds(60),
  memorySize: 256,
} as const;

export interface RealTimeProps extends FunctionsOptions, ApiOptions {
  stage: Stage;
  settings: StageSettings;
  /** The people table; its stream (table-spec.json `stream`) must carry new and old images. */
  table: dynamodb.ITable;
  /** Whether $connect is authorized (and the functions get `AUTH=on`), as the HTTP API's routes are. */
  auth: boolean;
  /** The HTTP API: $connect accepts exactly the tokens its JWT authorizer accepts (same issuer and audience). */
  httpApi: apigwv2.IHttpApi;
}

/**
 * The issuer and audience the HTTP API's JWT authorizer checks (the stack's Cognito pool and web
 * client, or the configured external issuer), so the WebSocket authorizer verifies the same tokens.
 */
export function jwtSettingsOf(httpApi: apigwv2.IHttpApi): { issuer: string; audience: string[] } {
  const authorizers = httpApi.node.findAll().filter((c): c is apigwv2.CfnAuthorizer => c instanceof apigwv2.CfnAuthorizer && c.authorizerType === 'JWT');
  if (authorizers.length !== 1) throw new Error(`the HTTP API has ${authorizers.length} JWT authorizers; the WebSocket API's authorizer copies the settings of exactly one`);
  const config = authorizers[0].jwtConfiguration as apigwv2.CfnAuthorizer.JWTConfigurationProperty | undefined;
  if (!config?.issuer || !config.audience?.length) throw new Error('the HTTP API\'s JWT authorizer has no issuer or audience');
  return { issuer: config.issuer, audience: [...config.audience] };
}

/** A resource as cdk-nag names it in a finding: references as `<LogicalId>`, `<LogicalId.Attribute>`, `<AWS::Region>`. */
function nagResource(stack: Stack, value: string): string {
  const flatten = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, any>;
    if (o.Ref) return `<${o.Ref}>`;
    if (o['Fn::GetAtt']) return `<${o['Fn::GetAtt'].join('.')}>`;
    if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(flatten).join(o['Fn::Join'][0]);
    throw new Error(`cannot name ${JSON.stringify(v)} as cdk-nag does`);
  };
  return flatten(stack.resolve(value));
}

/**
 * The real-time feed: a WebSocket API ($connect behind a Lambda request authorizer, $disconnect, and
 * a two-way $default), its throttled stage with JSON access logs and detailed metrics, and the table
 * stream's consumer with its event source mapping (person items only), on-failure queue, alarms and
 * the `WebSocketUrl` output. Each function has its own role with exactly what it needs. Its resources
 * live in the stack, not under this construct (see PeopleStack).
 */
export class RealTime extends Construct {
  readonly api: apigwv2.WebSocketApi;
  readonly stage: apigwv2.WebSocketStage;
  readonly functions: Partial<Record<RealtimeFunctionName, lambda.Function>>;
  readonly failures: sqs.Queue;
  readonly mapping: lambda.EventSourceMapping;
  readonly url: string;

  constructor(scope: Construct, id: string, props: RealTimeProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { settings, table, auth } = props;
    if (!table.tableStreamArn) {
      throw new Error('the real-time feed reads the people table\'s stream, which it does not have: infra/table-spec.json needs "stream": "NEW_AND_OLD_IMAGES" (make table-spec)');
    }
    const view = (table.node.defaultChild as dynamodb.CfnTable | undefined)?.streamSpecification;
    if (view && !Token.isUnresolved(view) && (view as dynamodb.CfnTable.StreamSpecificationProperty).streamViewType !== dynamodb.StreamViewType.NEW_AND_OLD_IMAGES) {
      throw new Error('the real-time feed needs both images of each change (it filters on the entity tag of either, and tells created, updated and deleted apart): infra/table-spec.json needs "stream": "NEW_AND_OLD_IMAGES"');
    }
    const jwt = auth ? jwtSettingsOf(props.httpApi) : undefined;
    const throttle = { rate: props.throttleRate ?? settings.throttle.rate, burst: props.throttleBurst ?? settings.throttle.burst };

    // The route functions and the authorizer before the API that invokes them; the stream function
    // after the stage, whose management endpoint it posts to.
    const apiName = `${stack.stackName}-ws`;
    const stageName = props.stage;
    const functions: Partial<Record<RealtimeFunctionName, lambda.Function>> = {};
    const make = (name: RealtimeFunctionName, statements: iam.PolicyStatement[], environment: Record<string, string>, what: string, extra: { tracing?: boolean; memorySize?: number; timeout?: Duration } = {}) => {
      const def = REALTIME_FUNCTIONS[name];
      const tracing = extra.tracing ?? true;
      const fn = rustFunction(stack, name, {
        binary: def.binary,
        description: `people API real-time: ${def.purpose} (${def.binary})`,
        roleDescription: `${def.binary}: logs to its own log group${tracing ? ', X-Ray' : ''}${what ? `, ${what}` : ''}`,
        statements,
        environment: { ...environment, RUST_LOG: 'info' },
        tracing,
        memorySize: extra.memorySize,
        timeout: extra.timeout,
      }, { ...props, settings });
      functions[name] = fn;
      return fn;
    };
    // Single-item writes limited to connection items: the WebSocket functions cannot touch a person.
    const connectionItems = (sid: string, action: string) => new iam.PolicyStatement({
      sid,
      actions: [action],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [CONNECTION_ITEMS] } },
    });
    const AUTH = auth ? 'on' : 'off';
    const connect = make('wsConnect', [connectionItems('ConnectionItems', 'dynamodb:PutItem')], { TABLE_NAME: table.tableName, AUTH }, 'PutItem on connection items');
    const disconnect = make('wsDisconnect', [connectionItems('ConnectionItems', 'dynamodb:DeleteItem')], { TABLE_NAME: table.tableName, AUTH }, 'DeleteItem on connection items');
    const message = make('wsMessage', [connectionItems('ConnectionItems', 'dynamodb:UpdateItem')], { TABLE_NAME: table.tableName, AUTH }, 'UpdateItem on connection items');
    // Verifies tokens against the issuer's public keys, fetched over HTTPS: no AWS permission at all,
    // and no tracing (which would add X-Ray's wildcard grant).
    const authorize = jwt
      ? make('wsAuthorize', [], { JWT_ISSUER: jwt.issuer, JWT_AUDIENCE: Fn.join(',', jwt.audience) }, '', { tracing: false })
      : undefined;

    const authorizer = authorize
      ? new WebSocketLambdaAuthorizer('ConnectAuthorizer', authorize, { authorizerName: `${apiName}-connect`, identitySource: [TOKEN_SOURCE] })
      : undefined;
    this.api = new apigwv2.WebSocketApi(stack, 'WebSocketApi', {
      apiName,
      description: 'people API: real-time changes of people (WebSocket)',
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: { integration: new WebSocketLambdaIntegration('ConnectIntegration', connect), authorizer },
      disconnectRouteOptions: { integration: new WebSocketLambdaIntegration('DisconnectIntegration', disconnect) },
      // Two-way: the function's answer (subscribed, pong, or an error message) goes back to the client.
      defaultRouteOptions: { integration: new WebSocketLambdaIntegration('MessageIntegration', message), returnResponse: true },
    });
    // WebSocket APIs authorize $connect only; later frames ride the authorized connection, and the
    // functions act only on the caller's own connection item (its id comes from API Gateway).
    for (const routeKey of ['$disconnect', '$default']) {
      const route = this.api.node.findAll().find((c): c is apigwv2.CfnRoute => c instanceof apigwv2.CfnRoute && c.routeKey === routeKey)!;
      const reason = `${routeKey} of the WebSocket API: API Gateway authorizes WebSocket connections at $connect only (${auth ? 'the Lambda request authorizer' : 'auth=false: nowhere'}); frames of an open connection and its close carry no credentials, and the function acts only on that connection's item.`;
      Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason });
    }
    if (!auth) {
      const route = this.api.node.findAll().find((c): c is apigwv2.CfnRoute => c instanceof apigwv2.CfnRoute && c.routeKey === '$connect')!;
      Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason: 'auth=false (throwaway stacks only, synth warns): anyone may connect, as anyone may call the HTTP API.' });
    }

    const accessLogs = new logs.LogGroup(stack, 'WebSocketAccessLogs', { retention: settings.logRetention, removalPolicy: settings.removalPolicy });
    this.stage = new apigwv2.WebSocketStage(stack, 'WebSocketStage', {
      webSocketApi: this.api,
      stageName,
      autoDeploy: true,
      throttle: { rateLimit: throttle.rate, burstLimit: throttle.burst },
      detailedMetricsEnabled: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        // Never the query string: it carries the access token.
        format: apigw.AccessLogFormat.custom(JSON.stringify({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          requestTime: '$context.requestTime',
          eventType: '$context.eventType',
          routeKey: '$context.routeKey',
          status: '$context.status',
          connectionId: '$context.connectionId',
          messageId: '$context.messageId',
          principal: '$context.authorizer.principalId',
          integrationLatency: '$context.integrationLatency',
          error: '$context.error.message',
          integrationStatus: '$context.integration.status',
          integrationError: '$context.integration.error',
          authorizerError: '$context.authorizer.error',
        })),
      },
    });
    this.url = this.stage.url;

    // The stream consumer: queries the connections, posts to them through this stage's management
    // API, deletes the ones that are gone; reads the stream through its event source mapping.
    const streamArn = table.tableStreamArn;
    this.failures = new sqs.Queue(stack, 'StreamFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: STREAM_MAPPING.failureRetention,
    });
    (this.failures.node.defaultChild as sqs.CfnQueue).addMetadata('checkov', {
      skip: [{
        id: 'CKV_AWS_27',
        comment: 'Encrypted at rest with SSE-SQS (SqsManagedSseEnabled), which this check does not recognise (it looks for a KMS key only). A KMS key would make recording a failure depend on KMS as well, for records that hold no personal data (shard ids and sequence numbers).',
      }],
    });
    Validations.of(this.failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the stream mapping\'s on-failure destination (what could not be delivered: shard and sequence numbers of the given-up batches); nothing consumes it automatically, so there is nothing to redrive to a further queue.',
    });
    const managementArn = stack.formatArn({ service: 'execute-api', resource: this.api.apiId, resourceName: `${stageName}/POST/@connections/*` });
    const stream = make('stream', [
      new iam.PolicyStatement({ sid: 'Connections', actions: ['dynamodb:Query'], resources: [`${table.tableArn}/index/gsi1`] }),
      connectionItems('GoneConnections', 'dynamodb:DeleteItem'),
      new iam.PolicyStatement({ sid: 'PushToConnections', actions: ['execute-api:ManageConnections'], resources: [managementArn] }),
      // What the event source mapping reads with the function's role (as AWS's policy example for
      // Lambda and DynamoDB Streams: the four actions on this table's stream only).
      new iam.PolicyStatement({
        sid: 'TableStream',
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        resources: [streamArn],
      }),
    ], {
      TABLE_NAME: table.tableName,
      WEBSOCKET_ENDPOINT: this.stage.callbackUrl,
      AUTH,
      // The Stage dimension of its embedded metrics, which this stage's alarms select.
      [METRICS_STAGE_VAR]: stageName,
    }, 'Query on gsi1, DeleteItem on connection items, PostToConnection on this WebSocket stage, the table\'s stream, and sending to its on-failure queue', {
      memorySize: STREAM_MAPPING.memorySize,
      timeout: STREAM_MAPPING.timeout,
    });
    Validations.of(stream.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResource(stack, managementArn)}]`,
      reason: 'PostToConnection to any connection of this API\'s stage: connection ids are made by API Gateway as clients connect.',
    });

    const isPerson = (image: 'NewImage' | 'OldImage') => lambda.FilterCriteria.filter({ dynamodb: { [image]: { _type: { S: lambda.FilterRule.isEqual(PERSON_ENTITY) } } } });
    this.mapping = new lambda.EventSourceMapping(stack, 'StreamMapping', {
      target: stream,
      eventSourceArn: streamArn,
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: STREAM_MAPPING.batchSize,
      maxBatchingWindow: STREAM_MAPPING.maxBatchingWindow,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      retryAttempts: STREAM_MAPPING.retryAttempts,
      maxRecordAge: STREAM_MAPPING.maxRecordAge,
      parallelizationFactor: STREAM_MAPPING.parallelizationFactor,
      // Lambda is invoked only for people: created (new image), changed (both), deleted (old image).
      filters: [isPerson('NewImage'), isPerson('OldImage')],
      // Grants the function's role sending to the queue (and nothing else on it).
      onFailure: new SqsDlq(this.failures),
    });
    // CloudFormation checks the role when it creates the mapping: the role's policy must be there first.
    this.mapping.node.addDependency(stream.role!);
    this.functions = functions;

    const { wsAuthorize: _authorizer, ...alarmed } = functions;
    new RealtimeMonitoring(this, 'Monitoring', {
      api: this.api,
      stage: this.stage,
      functions: alarmed as Record<string, lambda.IFunction>,
      authorizer: authorize,
      stream,
      failures: this.failures,
      dashboard: Monitoring.of(stack)?.dashboard,
    });

    new CfnOutput(stack, 'WebSocketUrl', { value: this.url, description: 'WebSocket API: real-time changes of people (wss://; connect with ?token=<access token>)' });
  }
}
