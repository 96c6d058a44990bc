// The real-time feed: the WebSocket API and its stage, the table's stream and its consumer's event
// source mapping, each real-time function's exact permissions, the alarms and the output.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Template } from 'aws-cdk-lib/assertions';

import { REALTIME_FUNCTIONS, type RealtimeFunctionName } from '../lib/websocket.ts';
import { type TableSpec, loadTableSpec } from '../lib/people-stack.ts';
import { apiId, apiResources, asList, build, functionId, resources, roleStatements, synth } from './support.ts';

const dev = synth('dev');
const prod = synth('prod');
const stages = { dev, prod } as const;

const binary = (name: RealtimeFunctionName) => REALTIME_FUNCTIONS[name].binary;
const fnOf = (template: Template, name: RealtimeFunctionName) => resources(template, 'AWS::Lambda::Function')[functionId(template, binary(name))].Properties;
const tableId = (template: Template) => Object.keys(resources(template, 'AWS::DynamoDB::Table'))[0];
const queueId = (template: Template) => {
  const ids = Object.keys(resources(template, 'AWS::SQS::Queue'));
  assert.equal(ids.length, 1, 'one queue: the stream mapping\'s on-failure destination');
  return ids[0];
};
const wsRoutes = (template: Template): Record<string, any> => Object.fromEntries(Object.entries(apiResources(template, 'AWS::ApiGatewayV2::Route', 'WEBSOCKET')).map(([id, r]) => [r.Properties.RouteKey, { id, ...r.Properties }]));
/** The function a route's integration invokes (its logical id). */
const routeTarget = (template: Template, route: any): string => {
  const integrationId = route.Target['Fn::Join'][1][1].Ref;
  const integration = resources(template, 'AWS::ApiGatewayV2::Integration')[integrationId].Properties;
  assert.equal(integration.IntegrationType, 'AWS_PROXY');
  return JSON.stringify(integration.IntegrationUri).match(/"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]/)![1];
};
const xray = { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' };
const ownLogs = (template: Template, name: RealtimeFunctionName) => ({
  Sid: 'OwnLogs',
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: { 'Fn::GetAtt': [fnOf(template, name).LoggingConfig.LogGroup.Ref, 'Arn'] },
});
/** A role's statements with their action lists sorted (their order depends on policy minimization). */
const statementsOf = (template: Template, name: RealtimeFunctionName) =>
  roleStatements(template, functionId(template, binary(name))).map((st) => (Array.isArray(st.Action) ? { ...st, Action: [...st.Action].sort() } : st));
const onlyConnections = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CONNECTION#*'] } };

/** Whether an event-filter pattern of exact values (Lambda's filter syntax) matches a record. */
function matches(pattern: any, record: any): boolean {
  return Object.entries(pattern).every(([key, want]) => {
    const have = record?.[key];
    if (Array.isArray(want)) return have !== undefined && want.includes(have);
    return typeof have === 'object' && have !== null && matches(want, have);
  });
}

describe('the table\'s stream, from infra/table-spec.json', () => {
  it('is declared in the spec with new and old images, and enabled on the table in every stage', () => {
    assert.equal(loadTableSpec().stream, 'NEW_AND_OLD_IMAGES');
    for (const { template } of Object.values(stages)) {
      template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
    }
  });

  it('follows the spec, and synth fails clearly when the feed cannot work with it', () => {
    const spec = loadTableSpec();
    const without: TableSpec = { ...spec };
    delete without.stream;
    assert.throws(() => build('dev', {}, without), /needs "stream": "NEW_AND_OLD_IMAGES" \(make table-spec\)/);
    assert.throws(() => build('dev', {}, { ...spec, stream: 'KEYS_ONLY' }), /needs both images of each change/);
    assert.throws(() => build('dev', {}, { ...spec, stream: 'ALL' as TableSpec['stream'] }), /stream "ALL" is not one of NEW_AND_OLD_IMAGES, NEW_IMAGE, OLD_IMAGE, KEYS_ONLY/);
  });
});

describe('WebSocket API', () => {
  for (const [stage, { template }] of Object.entries(stages)) {
    it(`${stage}: has exactly $connect, $disconnect and $default, each sent to its own function`, () => {
      const routes = wsRoutes(template);
      assert.deepEqual(Object.keys(routes).sort(), ['$connect', '$default', '$disconnect']);
      assert.equal(routeTarget(template, routes.$connect), functionId(template, binary('wsConnect')));
      assert.equal(routeTarget(template, routes.$disconnect), functionId(template, binary('wsDisconnect')));
      assert.equal(routeTarget(template, routes.$default), functionId(template, binary('wsMessage')));
      const api = resources(template, 'AWS::ApiGatewayV2::Api')[apiId(template, 'WEBSOCKET')].Properties;
      assert.equal(api.RouteSelectionExpression, '$request.body.action');
      // The only way in: the WebSocket API keeps its execute-api endpoint (prod turns the HTTP API's off).
      assert.notEqual(api.DisableExecuteApiEndpoint, true);
    });

    it(`${stage}: the Lambda request authorizer guards $connect, and only $connect`, () => {
      const authorizers = Object.entries(apiResources(template, 'AWS::ApiGatewayV2::Authorizer', 'WEBSOCKET'));
      assert.equal(authorizers.length, 1);
      const [[authorizerId, { Properties: auth }]] = authorizers;
      assert.equal(auth.AuthorizerType, 'REQUEST');
      assert.deepEqual(auth.IdentitySource, ['route.request.querystring.token']);
      assert.match(JSON.stringify(auth.AuthorizerUri), new RegExp(`"Fn::GetAtt":\\["${functionId(template, binary('wsAuthorize'))}","Arn"\\]`));
      const routes = wsRoutes(template);
      assert.equal(routes.$connect.AuthorizationType, 'CUSTOM');
      assert.deepEqual(routes.$connect.AuthorizerId, { Ref: authorizerId });
      for (const key of ['$disconnect', '$default']) {
        assert.equal(routes[key].AuthorizationType, 'NONE', key);
        assert.equal(routes[key].AuthorizerId, undefined, key);
      }
    });

    it(`${stage}: $default is two-way (its function's answer goes back to the client), the others are not`, () => {
      const routes = wsRoutes(template);
      assert.equal(routes.$default.RouteResponseSelectionExpression, '$default');
      const responses = Object.values(resources(template, 'AWS::ApiGatewayV2::RouteResponse')).map((r) => r.Properties);
      assert.deepEqual(responses, [{ ApiId: { Ref: apiId(template, 'WEBSOCKET') }, RouteId: { Ref: routes.$default.id }, RouteResponseKey: '$default' }]);
      for (const key of ['$connect', '$disconnect']) assert.equal(routes[key].RouteResponseSelectionExpression, undefined, key);
    });

    it(`${stage}: API Gateway may invoke each route's function and the authorizer, from this API only`, () => {
      const ws = apiId(template, 'WEBSOCKET');
      const permissions = Object.values(resources(template, 'AWS::Lambda::Permission')).map((p) => p.Properties);
      const granted = (name: RealtimeFunctionName) => permissions.filter((p) => JSON.stringify(p.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [functionId(template, binary(name)), 'Arn'] }));
      for (const [name, tail] of [['wsConnect', '/*$connect'], ['wsDisconnect', '/*$disconnect'], ['wsMessage', '/*$default']] as const) {
        const [p, ...more] = granted(name);
        assert.equal(more.length, 0, name);
        assert.equal(p.Principal, 'apigateway.amazonaws.com');
        const arn = JSON.stringify(p.SourceArn);
        assert.ok(arn.includes(`{"Ref":"${ws}"}`) && arn.endsWith(`"${tail}"]]}`), `${name}: ${arn}`);
      }
      const [p, ...more] = granted('wsAuthorize');
      assert.equal(more.length, 0);
      assert.match(JSON.stringify(p.SourceArn), new RegExp(`\\{"Ref":"${ws}"\\},"/authorizers/",\\{"Ref":"${Object.keys(apiResources(template, 'AWS::ApiGatewayV2::Authorizer', 'WEBSOCKET'))[0]}"\\}`));
      assert.equal(granted('stream').length, 0, 'the stream function is invoked by its event source mapping only');
    });

    it(`${stage}: the authorizer verifies the same tokens as the HTTP API's JWT authorizer (issuer and audience)`, () => {
      const [jwt] = Object.values(apiResources(template, 'AWS::ApiGatewayV2::Authorizer', 'HTTP')).map((a) => a.Properties.JwtConfiguration);
      const env = fnOf(template, 'wsAuthorize').Environment.Variables;
      assert.deepEqual(Object.keys(env).sort(), ['JWT_AUDIENCE', 'JWT_ISSUER', 'RUST_LOG']);
      assert.deepEqual(env.JWT_ISSUER, jwt.Issuer);
      assert.deepEqual(env.JWT_AUDIENCE, jwt.Audience[0]);
      assert.match(JSON.stringify(env.JWT_ISSUER), /https:\/\/cognito-idp\.eu-west-1\.amazonaws\.com\//);
    });
  }

  it('an external issuer: the authorizer gets its issuer and every audience, comma-separated', () => {
    const { template } = synth('prod', { jwtIssuer: 'https://issuer.example.com/', jwtAudience: ['people-api', 'people-web'] });
    const env = fnOf(template, 'wsAuthorize').Environment.Variables;
    assert.equal(env.JWT_ISSUER, 'https://issuer.example.com/');
    assert.equal(env.JWT_AUDIENCE, 'people-api,people-web');
  });

  it('auth=false: no authorizer or authorizer function, every route open, the functions run with AUTH=off', () => {
    const { template } = synth('dev', { auth: false });
    assert.equal(Object.keys(apiResources(template, 'AWS::ApiGatewayV2::Authorizer', 'WEBSOCKET')).length, 0);
    assert.ok(!Object.values(resources(template, 'AWS::Lambda::Function')).some((f) => String(f.Properties.FunctionName).endsWith(binary('wsAuthorize'))));
    for (const r of Object.values(wsRoutes(template))) assert.equal(r.AuthorizationType, 'NONE', r.RouteKey);
    for (const name of ['wsConnect', 'wsDisconnect', 'wsMessage', 'stream'] as const) assert.equal(fnOf(template, name).Environment.Variables.AUTH, 'off', name);
  });
});

describe('WebSocket stage', () => {
  for (const [stage, { template }] of Object.entries(stages)) {
    it(`${stage}: named after the stage, auto-deployed, throttled like the HTTP stage, with detailed metrics`, () => {
      const stagesOfWs = Object.values(apiResources(template, 'AWS::ApiGatewayV2::Stage', 'WEBSOCKET')).map((s) => s.Properties);
      assert.equal(stagesOfWs.length, 1);
      const [s] = stagesOfWs;
      assert.equal(s.StageName, stage);
      assert.equal(s.AutoDeploy, true);
      assert.deepEqual(s.DefaultRouteSettings, stage === 'prod'
        ? { DetailedMetricsEnabled: true, ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 }
        : { DetailedMetricsEnabled: true, ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
    });

    it(`${stage}: JSON access logs to a log group with retention, never the query string (it carries the token)`, () => {
      const [s] = Object.values(apiResources(template, 'AWS::ApiGatewayV2::Stage', 'WEBSOCKET')).map((x) => x.Properties);
      const logGroupId = s.AccessLogSettings.DestinationArn['Fn::GetAtt'][0];
      assert.equal(resources(template, 'AWS::Logs::LogGroup')[logGroupId].Properties.RetentionInDays, stage === 'prod' ? 90 : 7);
      const format = JSON.parse(s.AccessLogSettings.Format);
      for (const [key, variable] of Object.entries({
        requestId: '$context.requestId', eventType: '$context.eventType', routeKey: '$context.routeKey', status: '$context.status',
        connectionId: '$context.connectionId', authorizerError: '$context.authorizer.error', integrationError: '$context.integration.error',
      })) assert.equal(format[key], variable, key);
      assert.doesNotMatch(s.AccessLogSettings.Format, /querystring|queryString|token/i);
    });
  }

  it('takes the stage throttle from context, as the HTTP stage does', () => {
    const { template } = synth('dev', { throttleRate: 70, throttleBurst: 90 });
    const [s] = Object.values(apiResources(template, 'AWS::ApiGatewayV2::Stage', 'WEBSOCKET')).map((x) => x.Properties);
    assert.equal(s.DefaultRouteSettings.ThrottlingRateLimit, 70);
    assert.equal(s.DefaultRouteSettings.ThrottlingBurstLimit, 90);
  });
});

describe('the stream function and its event source mapping', () => {
  for (const [stage, { template }] of Object.entries(stages)) {
    it(`${stage}: reads the table's stream from the latest record with bounded retries, bisecting, item failures, one batch per shard`, () => {
      const mappings = Object.entries(resources(template, 'AWS::Lambda::EventSourceMapping'));
      assert.equal(mappings.length, 1);
      const [[, { Properties: m }]] = mappings;
      const { FilterCriteria, DestinationConfig, ...settings } = m;
      assert.deepEqual(settings, {
        EventSourceArn: { 'Fn::GetAtt': [tableId(template), 'StreamArn'] },
        FunctionName: { Ref: functionId(template, binary('stream')) },
        StartingPosition: 'LATEST',
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 1,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumRetryAttempts: 3,
        MaximumRecordAgeInSeconds: 900,
        ParallelizationFactor: 1,
      });
      assert.deepEqual(DestinationConfig, { OnFailure: { Destination: { 'Fn::GetAtt': [queueId(template), 'Arn'] } } });
      assert.ok(FilterCriteria, 'filtered');
    });

    it(`${stage}: is invoked for person items only: new image or old image tagged person`, () => {
      const [m] = Object.values(resources(template, 'AWS::Lambda::EventSourceMapping')).map((x) => x.Properties);
      const patterns = m.FilterCriteria.Filters.map((f: any) => JSON.parse(f.Pattern));
      assert.deepEqual(patterns, [
        { dynamodb: { NewImage: { _type: { S: ['person'] } } } },
        { dynamodb: { OldImage: { _type: { S: ['person'] } } } },
      ]);
      // Lambda invokes the function when any filter matches.
      const invoked = (record: any) => patterns.some((p: any) => matches(p, record));
      const person = { pk: { S: 'PERSON#1' }, sk: { S: 'PERSON' }, _type: { S: 'person' } };
      const connection = { pk: { S: 'CONNECTION#abc' }, sk: { S: 'CONNECTION' }, _type: { S: 'connection' } };
      const claim = { pk: { S: 'EMAIL#a@example.com' }, sk: { S: 'EMAIL' }, _type: { S: 'email_claim' } };
      assert.ok(invoked({ eventName: 'INSERT', dynamodb: { NewImage: person } }), 'a person created');
      assert.ok(invoked({ eventName: 'MODIFY', dynamodb: { NewImage: person, OldImage: person } }), 'a person changed');
      assert.ok(invoked({ eventName: 'REMOVE', dynamodb: { OldImage: person } }), 'a person deleted');
      assert.ok(!invoked({ eventName: 'INSERT', dynamodb: { NewImage: connection } }), 'a connection');
      assert.ok(!invoked({ eventName: 'MODIFY', dynamodb: { NewImage: connection, OldImage: connection } }), 'a subscription');
      assert.ok(!invoked({ eventName: 'REMOVE', dynamodb: { OldImage: connection } }), 'a connection expired (TTL) or gone');
      assert.ok(!invoked({ eventName: 'INSERT', dynamodb: { NewImage: claim } }), 'an email claim');
    });

    it(`${stage}: is created after the role's policy (CloudFormation checks the stream permissions then)`, () => {
      const [[, m]] = Object.entries(template.toJSON().Resources as Record<string, any>).filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping');
      const roleId = fnOf(template, 'stream').Role['Fn::GetAtt'][0];
      const policyId = Object.entries(resources(template, 'AWS::IAM::Policy')).find(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId))![0];
      assert.ok(m.DependsOn.includes(policyId), JSON.stringify(m.DependsOn));
    });

    it(`${stage}: the on-failure queue is encrypted, TLS-only, and keeps messages 14 days`, () => {
      const queue = resources(template, 'AWS::SQS::Queue')[queueId(template)].Properties;
      assert.equal(queue.SqsManagedSseEnabled, true);
      assert.equal(queue.MessageRetentionPeriod, 14 * 24 * 3600);
      // checkov's CKV_AWS_27 knows only KMS keys: skipped on this queue alone, with the reason.
      const skips = template.toJSON().Resources[queueId(template)].Metadata.checkov.skip;
      assert.deepEqual(skips.map((x: any) => x.id), ['CKV_AWS_27']);
      assert.match(skips[0].comment, /SSE-SQS/);
      const [policy] = Object.values(resources(template, 'AWS::SQS::QueuePolicy')).map((p) => p.Properties);
      assert.deepEqual(policy.Queues, [{ Ref: queueId(template) }]);
      assert.deepEqual(policy.PolicyDocument.Statement, [{
        Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Effect: 'Deny', Principal: { AWS: '*' },
        Resource: { 'Fn::GetAtt': [queueId(template), 'Arn'] },
      }]);
    });

    it(`${stage}: the stream function's environment names the table, this stage's management endpoint, AUTH and the stage of its metrics`, () => {
      const fn = fnOf(template, 'stream');
      assert.deepEqual(fn.Environment.Variables, {
        TABLE_NAME: { Ref: tableId(template) },
        WEBSOCKET_ENDPOINT: { 'Fn::Join': ['', ['https://', { Ref: apiId(template, 'WEBSOCKET') }, '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, `/${stage}`]] },
        AUTH: 'on',
        RUST_LOG: 'info',
        STAGE: stage,
      });
      assert.equal(fn.Timeout, 60);
      assert.equal(fn.MemorySize, 256);
    });
  }

  it('STAGE (the Stage dimension of the stream function\'s metrics) is in the stream function\'s environment only', () => {
    for (const [stage, { template }] of [...Object.entries(stages), ['dev with auth=false', synth('dev', { auth: false })] as const]) {
      const streamId = functionId(template, binary('stream'));
      const functions = Object.entries(resources(template, 'AWS::Lambda::Function'));
      assert.ok(functions.length > Object.keys(REALTIME_FUNCTIONS).length, stage);
      for (const [id, fn] of functions) {
        const env = fn.Properties.Environment?.Variables ?? {};
        if (id === streamId) assert.equal(env.STAGE, stage.startsWith('dev') ? 'dev' : 'prod', stage);
        else assert.equal(env.STAGE, undefined, `${stage}: ${fn.Properties.FunctionName ?? id}`);
      }
    }
  });
});

describe('real-time functions', () => {
  for (const [stage, { template }] of Object.entries(stages)) {
    it(`${stage}: each is arm64 provided.al2023 with its own role and a log group with retention`, () => {
      const roles = new Set<string>();
      for (const [name, def] of Object.entries(REALTIME_FUNCTIONS) as [RealtimeFunctionName, (typeof REALTIME_FUNCTIONS)[RealtimeFunctionName]][]) {
        const fn = fnOf(template, name);
        assert.equal(fn.FunctionName, `people-${stage}-${def.binary}`);
        assert.equal(fn.Runtime, 'provided.al2023');
        assert.deepEqual(fn.Architectures, ['arm64']);
        assert.equal(fn.Handler, 'bootstrap');
        // Traced like the REST functions, except the authorizer, which may do nothing but log.
        assert.deepEqual(fn.TracingConfig, name === 'wsAuthorize' ? undefined : { Mode: 'Active' }, name);
        const logGroup = resources(template, 'AWS::Logs::LogGroup')[fn.LoggingConfig.LogGroup.Ref].Properties;
        assert.equal(logGroup.LogGroupName, `/aws/lambda/people-${stage}-${def.binary}`);
        assert.equal(logGroup.RetentionInDays, stage === 'prod' ? 90 : 7);
        const roleId = fn.Role['Fn::GetAtt'][0];
        assert.equal(resources(template, 'AWS::IAM::Role')[roleId].Properties.ManagedPolicyArns, undefined, `${name}: no managed policy`);
        roles.add(roleId);
      }
      assert.equal(roles.size, 5);
    });

    it(`${stage}: the route functions get the table and AUTH=on`, () => {
      for (const name of ['wsConnect', 'wsDisconnect', 'wsMessage'] as const) {
        assert.deepEqual(fnOf(template, name).Environment.Variables, { TABLE_NAME: { Ref: tableId(template) }, AUTH: 'on', RUST_LOG: 'info' }, name);
      }
    });

    it(`${stage}: IAM, exactly: connect puts, disconnect deletes, message updates connection items only; the authorizer only logs`, () => {
      const table = { 'Fn::GetAtt': [tableId(template), 'Arn'] };
      const expected = { wsConnect: 'dynamodb:PutItem', wsDisconnect: 'dynamodb:DeleteItem', wsMessage: 'dynamodb:UpdateItem' } as const;
      for (const [name, action] of Object.entries(expected) as [RealtimeFunctionName, string][]) {
        assert.deepEqual(statementsOf(template, name), [
          ownLogs(template, name),
          { Sid: 'ConnectionItems', Effect: 'Allow', Action: action, Resource: table, Condition: onlyConnections },
          xray,
        ], name);
      }
      assert.deepEqual(statementsOf(template, 'wsAuthorize'), [ownLogs(template, 'wsAuthorize')]);
    });

    it(`${stage}: IAM, exactly: the stream function queries gsi1, deletes gone connections, posts to this stage's connections, reads the stream, sends to its queue`, () => {
      const t = tableId(template);
      assert.deepEqual(statementsOf(template, 'stream'), [
        ownLogs(template, 'stream'),
        { Sid: 'Connections', Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [t, 'Arn'] }, '/index/gsi1']] } },
        { Sid: 'GoneConnections', Effect: 'Allow', Action: 'dynamodb:DeleteItem', Resource: { 'Fn::GetAtt': [t, 'Arn'] }, Condition: onlyConnections },
        {
          Sid: 'PushToConnections',
          Effect: 'Allow',
          Action: 'execute-api:ManageConnections',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:eu-west-1:123456789012:', { Ref: apiId(template, 'WEBSOCKET') }, `/${stage}/POST/@connections/*`]] },
        },
        {
          Sid: 'TableStream',
          Effect: 'Allow',
          Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
          Resource: { 'Fn::GetAtt': [t, 'StreamArn'] },
        },
        xray,
        { Effect: 'Allow', Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], Resource: { 'Fn::GetAtt': [queueId(template), 'Arn'] } },
      ]);
    });

    it(`${stage}: no other role may manage connections, read the stream or touch the on-failure queue`, () => {
      const streamRole = fnOf(template, 'stream').Role['Fn::GetAtt'][0];
      for (const policy of Object.values(resources(template, 'AWS::IAM::Policy'))) {
        if (policy.Properties.Roles.some((r: any) => r.Ref === streamRole)) continue;
        for (const s of policy.Properties.PolicyDocument.Statement) {
          const actions = asList(s.Action) as string[];
          assert.ok(!actions.some((a) => a.startsWith('execute-api:') || a.startsWith('sqs:') || /dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)/.test(a)), JSON.stringify(s));
        }
      }
    });
  }
});

describe('real-time alarms', () => {
  const alarms = (template: Template) => Object.values(resources(template, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const onAny = { ComparisonOperator: 'GreaterThanThreshold', Threshold: 0, EvaluationPeriods: 1, TreatMissingData: 'notBreaching', Period: 300 };
  const pick = (a: any, keys: string[]) => Object.fromEntries(keys.map((k) => [k, a[k]]));
  const lambdaAlarm = (template: Template, fnId: string, metric: string) => alarms(template).filter((a) => a.MetricName === metric && a.Dimensions?.[0]?.Value?.Ref === fnId);

  for (const [stage, { template }] of Object.entries(stages)) {
    it(`${stage}: the stream's iterator age, over a minute at its maximum`, () => {
      const [a, ...more] = lambdaAlarm(template, functionId(template, binary('stream')), 'IteratorAge');
      assert.equal(more.length, 0);
      assert.deepEqual(pick(a, ['Namespace', 'Statistic', 'Threshold', 'ComparisonOperator', 'Period', 'TreatMissingData']), {
        Namespace: 'AWS/Lambda', Statistic: 'Maximum', Threshold: 60000, ComparisonOperator: 'GreaterThanThreshold', Period: 300, TreatMissingData: 'notBreaching',
      });
    });

    it(`${stage}: any failed delivery (the stream function's FailedRecords embedded metric), of this stage only`, () => {
      const found = alarms(template).filter((a) => a.MetricName === 'FailedRecords');
      assert.equal(found.length, 1);
      assert.deepEqual(pick(found[0], ['Namespace', 'Statistic', 'Dimensions', ...Object.keys(onAny)]), {
        Namespace: 'people-api', Statistic: 'Sum', Dimensions: [{ Name: 'Stage', Value: stage }], ...onAny,
      });
    });

    it(`${stage}: more than 5% of at least 20 pushes failed (FailedPushes of Pushed and FailedPushes), of this stage only`, () => {
      const found = alarms(template).filter((a) => (a.Metrics ?? []).some((m: any) => m.MetricStat?.Metric?.MetricName === 'FailedPushes'));
      assert.equal(found.length, 1);
      const [a] = found;
      assert.deepEqual(pick(a, ['Threshold', 'ComparisonOperator', 'EvaluationPeriods', 'TreatMissingData']), {
        Threshold: 5, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching',
      });
      assert.match(a.AlarmDescription, /FailedPushes/);
      const metrics = Object.fromEntries(a.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [m.Id, { ...m.MetricStat, ReturnData: m.ReturnData }]));
      const dims = [{ Name: 'Stage', Value: stage }];
      assert.deepEqual(metrics, {
        failed: { Metric: { Namespace: 'people-api', MetricName: 'FailedPushes', Dimensions: dims }, Period: 300, Stat: 'Sum', ReturnData: false },
        pushed: { Metric: { Namespace: 'people-api', MetricName: 'Pushed', Dimensions: dims }, Period: 300, Stat: 'Sum', ReturnData: false },
      });
      assert.equal(a.Metrics.find((m: any) => m.Expression).Expression, 'IF(pushed + failed >= 20, 100 * failed / (pushed + failed), 0)');
    });

    it(`${stage}: every alarm on the stream function's embedded metrics selects this stage (no alarm on the dimensionless metric)`, () => {
      const onFeed = alarms(template).flatMap((a) => (a.Namespace === 'people-api' ? [a] : (a.Metrics ?? []).map((m: any) => m.MetricStat?.Metric).filter((m: any) => m?.Namespace === 'people-api')));
      assert.equal(onFeed.length, 3, 'FailedRecords; FailedPushes and Pushed of the push failure rate');
      for (const m of onFeed) assert.deepEqual(m.Dimensions, [{ Name: 'Stage', Value: stage }], JSON.stringify(m));
    });

    it(`${stage}: any message in the on-failure queue`, () => {
      const found = alarms(template).filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible');
      assert.equal(found.length, 1);
      assert.deepEqual(pick(found[0], ['Namespace', 'Statistic', 'Dimensions', ...Object.keys(onAny)]), {
        Namespace: 'AWS/SQS', Statistic: 'Maximum', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId(template), 'QueueName'] } }], ...onAny,
      });
    });

    it(`${stage}: WebSocket API: any failed call to a function, and a 4xx/5xx rate from the functions above 1%`, () => {
      const dims = [{ Name: 'ApiId', Value: { Ref: apiId(template, 'WEBSOCKET') } }, { Name: 'Stage', Value: stage }];
      const execution = alarms(template).filter((a) => a.MetricName === 'ExecutionError');
      assert.equal(execution.length, 1);
      assert.deepEqual(pick(execution[0], ['Namespace', 'Statistic', 'Dimensions', ...Object.keys(onAny)]), { Namespace: 'AWS/ApiGateway', Statistic: 'Sum', Dimensions: dims, ...onAny });
      const rate = alarms(template).filter((a) => (a.Metrics ?? []).some((m: any) => m.MetricStat?.Metric?.MetricName === 'IntegrationError'));
      assert.equal(rate.length, 1);
      assert.equal(rate[0].Threshold, 1);
      const metrics = Object.fromEntries(rate[0].Metrics.filter((m: any) => m.MetricStat).map((m: any) => [m.Id, m.MetricStat.Metric]));
      assert.deepEqual(metrics, {
        errors: { Namespace: 'AWS/ApiGateway', MetricName: 'IntegrationError', Dimensions: dims },
        connects: { Namespace: 'AWS/ApiGateway', MetricName: 'ConnectCount', Dimensions: dims },
        messages: { Namespace: 'AWS/ApiGateway', MetricName: 'MessageCount', Dimensions: dims },
      });
      assert.equal(rate[0].Metrics.find((m: any) => m.Expression).Expression, 'IF(connects + messages > 0, 100 * errors / (connects + messages), 0)');
    });

    it(`${stage}: errors and throttles of each route function and the stream function; the authorizer's throttles and failure rate, not single refusals`, () => {
      for (const name of ['wsConnect', 'wsDisconnect', 'wsMessage', 'stream'] as const) {
        for (const metric of ['Errors', 'Throttles']) {
          const found = lambdaAlarm(template, functionId(template, binary(name)), metric);
          assert.equal(found.length, 1, `${name} ${metric}`);
          assert.deepEqual(pick(found[0], ['Statistic', ...Object.keys(onAny)]), { Statistic: 'Sum', ...onAny }, `${name} ${metric}`);
        }
      }
      const authorizer = functionId(template, binary('wsAuthorize'));
      assert.equal(lambdaAlarm(template, authorizer, 'Errors').length, 0, 'every refused token is an error of the authorizer');
      assert.equal(lambdaAlarm(template, authorizer, 'Throttles').length, 1);
      const rate = alarms(template).filter((a) => (a.Metrics ?? []).some((m: any) => m.MetricStat?.Metric?.Dimensions?.[0]?.Value?.Ref === authorizer));
      assert.equal(rate.length, 1);
      assert.equal(rate[0].Threshold, 50);
      assert.equal(rate[0].Metrics.find((m: any) => m.Expression).Expression, 'IF(invocations >= 20, 100 * errors / invocations, 0)');
    });

    it(`${stage}: 16 alarms in all for the real-time path, and its widgets on the stack's dashboard`, () => {
      const realtime = new Set(Object.values(REALTIME_FUNCTIONS).map((d) => functionId(template, d.binary)));
      const ws = apiId(template, 'WEBSOCKET');
      const ours = alarms(template).filter((a) => {
        const text = JSON.stringify(a);
        return [...realtime].some((id) => text.includes(`"${id}"`)) || text.includes(`"${ws}"`) || text.includes('"people-api"') || text.includes(`"${queueId(template)}"`);
      });
      assert.equal(ours.length, 16);
      const [dashboard] = Object.values(resources(template, 'AWS::CloudWatch::Dashboard'));
      const body = JSON.stringify(dashboard.Properties.DashboardBody);
      for (const text of ['IteratorAge', 'FailedRecords', 'ApproximateNumberOfMessagesVisible', 'IntegrationError', 'ConnectCount', 'WebSocket authorizer failures']) assert.ok(body.includes(text), text);
      // The stream function's figures as this stage's.
      for (const metric of ['FailedRecords', 'FailedPushes']) assert.ok(body.includes(`\\"people-api\\",\\"${metric}\\",\\"Stage\\",\\"${stage}\\"`), metric);
    });
  }
});

describe('outputs', () => {
  for (const [stage, { template }] of Object.entries(stages)) {
    it(`${stage}: the WebSocket URL (wss://) of the stage`, () => {
      const out = template.findOutputs('WebSocketUrl').WebSocketUrl;
      assert.deepEqual(out.Value, { 'Fn::Join': ['', ['wss://', { Ref: apiId(template, 'WEBSOCKET') }, '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, `/${stage}`]] });
    });
  }
});
