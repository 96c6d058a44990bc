import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { App, Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';

import { FUNCTIONS, type PeopleStackProps, type TableSpec, loadTableSpec } from '../lib/people-stack.ts';
import { asList, build, functionId, resources, synth } from './support.ts';

const dev = synth('dev');
const prod = synth('prod');

/** Every IAM statement attached to a function's role. */
function roleStatements(template: Template, fnId: string): any[] {
  const fn = resources(template, 'AWS::Lambda::Function')[fnId];
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(resources(template, 'AWS::IAM::Policy'))
    .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('DynamoDB table', () => {
  it('is built from infra/table-spec.json, the export of the Rust model', () => {
    const spec = loadTableSpec();
    const [table] = Object.values(resources(dev.template, 'AWS::DynamoDB::Table'));
    const p = table.Properties;
    assert.deepEqual(p.KeySchema, [
      { AttributeName: spec.partition_key.name, KeyType: 'HASH' },
      ...(spec.sort_key ? [{ AttributeName: spec.sort_key.name, KeyType: 'RANGE' }] : []),
    ]);
    const keys = [spec.partition_key, spec.sort_key, ...spec.global_secondary_indexes.flatMap((i) => [i.partition_key, i.sort_key])]
      .filter((k) => k !== null)
      .map((k) => ({ AttributeName: k!.name, AttributeType: k!.type }));
    const unique = keys.filter((k, i) => keys.findIndex((o) => o.AttributeName === k.AttributeName) === i);
    assert.deepEqual(
      [...p.AttributeDefinitions].sort((a: any, b: any) => a.AttributeName.localeCompare(b.AttributeName)),
      unique.sort((a, b) => a.AttributeName.localeCompare(b.AttributeName)),
    );
    assert.deepEqual(
      (p.GlobalSecondaryIndexes ?? []).map((g: any) => ({ name: g.IndexName, keys: g.KeySchema, projection: g.Projection.ProjectionType })),
      spec.global_secondary_indexes.map((g) => ({
        name: g.name,
        keys: [{ AttributeName: g.partition_key.name, KeyType: 'HASH' }, ...(g.sort_key ? [{ AttributeName: g.sort_key.name, KeyType: 'RANGE' }] : [])],
        projection: 'ALL',
      })),
    );
    assert.equal(p.TimeToLiveSpecification?.AttributeName, spec.ttl_attribute ?? undefined);
  });

  it('follows a changed definition, so the stack and the model cannot drift apart', () => {
    const spec = loadTableSpec();
    const changed: TableSpec = {
      ...spec,
      ttl_attribute: 'expires_at',
      global_secondary_indexes: [...spec.global_secondary_indexes, { name: 'gsi2', partition_key: { name: 'gsi2pk', type: 'S' }, sort_key: null, projection: 'ALL' }],
    };
    const { template } = synth('dev', {}, changed);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      GlobalSecondaryIndexes: Match.arrayWith([Match.objectLike({ IndexName: 'gsi2' })]),
    });
  });

  it('is on-demand, encrypted, with point-in-time recovery', () => {
    for (const { template } of [dev, prod]) {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        // SSEEnabled without a key id: KMS with the AWS-managed key.
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    }
  });

  it('is kept and protected in prod, removable in dev', () => {
    prod.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    dev.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    prod.template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
  });
});

describe('functions', () => {
  for (const [name, def] of Object.entries(FUNCTIONS)) {
    it(`${def.binary}: arm64, provided.al2023, 128 MB, timeout, tracing, environment, log retention`, () => {
      const id = functionId(dev.template, def.binary);
      const fn = resources(dev.template, 'AWS::Lambda::Function')[id].Properties;
      assert.equal(fn.Runtime, 'provided.al2023');
      assert.deepEqual(fn.Architectures, ['arm64']);
      assert.equal(fn.Handler, 'bootstrap');
      assert.equal(fn.MemorySize, 128);
      assert.equal(fn.Timeout, 10);
      assert.deepEqual(fn.TracingConfig, { Mode: 'Active' });
      assert.deepEqual(fn.Environment.Variables.TABLE_NAME, { Ref: Object.keys(resources(dev.template, 'AWS::DynamoDB::Table'))[0] });
      assert.equal(fn.Environment.Variables.ALLOWED_ORIGINS, '');
      assert.equal(fn.Environment.Variables.AUTH, 'on');
      const logGroupId = fn.LoggingConfig.LogGroup.Ref;
      assert.equal(resources(dev.template, 'AWS::Logs::LogGroup')[logGroupId].Properties.RetentionInDays, 7);
      assert.equal(resources(prod.template, 'AWS::Logs::LogGroup')[logGroupId].Properties.RetentionInDays, 90);
      assert.ok(name);
    });

    it(`${def.binary}: may do exactly ${def.actions.join(', ')} on the table${def.index ? ' and its index' : ''}`, () => {
      const statements = roleStatements(dev.template, functionId(dev.template, def.binary));
      const dynamo = statements.filter((s) => asList(s.Action).some((a: string) => a.startsWith('dynamodb:')));
      assert.equal(dynamo.length, 1);
      assert.deepEqual([...asList(dynamo[0].Action)].sort(), [...def.actions].sort());
      const resourcesText = JSON.stringify(dynamo[0].Resource);
      assert.match(resourcesText, /Table/);
      assert.equal(resourcesText.includes('/index/gsi1'), def.index);
      const other = statements.flatMap((s) => asList(s.Action)).filter((a: string) => !a.startsWith('dynamodb:'));
      const expected = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
      if (def.cursorKey) expected.push('secretsmanager:GetSecretValue');
      assert.deepEqual([...new Set(other)].sort(), expected.sort());
    });
  }

  it('grant no wildcard action anywhere, and no DynamoDB access on *', () => {
    for (const { template } of [dev, prod]) {
      for (const policy of Object.values(resources(template, 'AWS::IAM::Policy'))) {
        for (const s of policy.Properties.PolicyDocument.Statement) {
          for (const action of asList(s.Action)) {
            assert.notEqual(action, '*');
            assert.ok(!/^[a-z0-9-]+:\*$/.test(action), `service wildcard ${action}`);
          }
          if (asList(s.Action).some((a: string) => a.startsWith('dynamodb:'))) {
            assert.ok(!asList(s.Resource).includes('*'), 'DynamoDB statement on *');
          }
        }
      }
      for (const role of Object.values(resources(template, 'AWS::IAM::Role'))) {
        for (const p of role.Properties.Policies ?? []) {
          for (const s of p.PolicyDocument.Statement) assert.ok(!asList(s.Action).includes('*'));
        }
      }
    }
  });

  it('the list signs cursors with a generated secret it alone may read, and only its value', () => {
    for (const { template } of [dev, prod]) {
      const secrets = resources(template, 'AWS::SecretsManager::Secret');
      assert.equal(Object.keys(secrets).length, 1);
      const [[secretId, secret]] = Object.entries(secrets);
      // 64 letters and digits, generated when the stack is created: never in the template or the code.
      assert.deepEqual(secret.Properties.GenerateSecretString, { ExcludePunctuation: true, IncludeSpace: false, PasswordLength: 64 });
      assert.equal(secret.Properties.SecretString, undefined);
      for (const [name, def] of Object.entries(FUNCTIONS)) {
        const id = functionId(template, def.binary);
        const env = resources(template, 'AWS::Lambda::Function')[id].Properties.Environment.Variables;
        assert.equal(env.CURSOR_KEY, undefined, `${name}: never the key itself`);
        const secretStatements = roleStatements(template, id).filter((s) => asList(s.Action).some((a: string) => a.startsWith('secretsmanager:') || a.startsWith('kms:')));
        if (def.cursorKey) {
          assert.deepEqual(env.CURSOR_SECRET_ARN, { Ref: secretId });
          assert.deepEqual(secretStatements, [{ Sid: 'CursorKey', Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: secretId } }]);
        } else {
          assert.equal(env.CURSOR_SECRET_ARN, undefined, name);
          assert.deepEqual(secretStatements, [], name);
        }
      }
      // No other role anywhere in the stack may read it.
      const readers = Object.values(resources(template, 'AWS::IAM::Policy')).filter((p) =>
        p.Properties.PolicyDocument.Statement.some((s: any) => asList(s.Action).some((a: string) => a.startsWith('secretsmanager:'))),
      );
      assert.equal(readers.length, 1);
    }
  });

  it('are given separate roles', () => {
    const roles = Object.values(FUNCTIONS).map((d) => resources(dev.template, 'AWS::Lambda::Function')[functionId(dev.template, d.binary)].Properties.Role['Fn::GetAtt'][0]);
    assert.equal(new Set(roles).size, 4);
  });

  it('memory and timeout are configurable', () => {
    const { template } = synth('dev', { memorySize: 256, timeoutSeconds: 5 });
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'provided.al2023', MemorySize: 256, Timeout: 5 });
  });
});

describe('web frontend and CDN', () => {
  it('keeps the bucket private, encrypted, versioned and SSL-only', () => {
    dev.template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    dev.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('serves the bucket through origin access control and /people* from the API, uncached, all methods', () => {
    dev.template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    const [dist] = Object.values(resources(dev.template, 'AWS::CloudFront::Distribution'));
    const config = dist.Properties.DistributionConfig;
    assert.equal(config.DefaultRootObject, 'index.html');
    assert.equal(config.DefaultCacheBehavior.ViewerProtocolPolicy, 'redirect-to-https');
    const s3Origin = config.Origins.find((o: any) => o.S3OriginConfig);
    assert.ok(s3Origin.OriginAccessControlId, 'the bucket origin uses OAC');
    const api = config.CacheBehaviors.find((b: any) => b.PathPattern === '/people*');
    assert.ok(api, 'a /people* behavior exists');
    assert.equal(api.CachePolicyId, '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', 'CachingDisabled');
    assert.deepEqual([...api.AllowedMethods].sort(), ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
    const apiOrigin = config.Origins.find((o: any) => o.Id === api.TargetOriginId);
    assert.equal(apiOrigin.CustomOriginConfig.OriginProtocolPolicy, 'https-only');
    assert.match(JSON.stringify(apiOrigin.DomainName), /ApiEndpoint/);
  });

  it('deploys the web build, or the placeholder page, with a bucket deployment (web.test.ts has the details)', () => {
    const deployments = Object.keys(resources(dev.template, 'Custom::CDKBucketDeployment'));
    assert.ok(deployments.some((id) => id.startsWith('DeploySiteCustomResource')), deployments.join(', '));
  });
});

describe('monitoring', () => {
  it('alarms on API 5xx rate, each function\'s errors and throttles, and DynamoDB throttling', () => {
    const alarms = Object.values(resources(dev.template, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    // These, and the real-time path's 16 (websocket.test.ts).
    assert.equal(alarms.length, 1 + 4 * 2 + 1 + 16);
    const metricNames = alarms.flatMap((a) => (a.MetricName ? [a.MetricName] : (a.Metrics ?? []).map((m: any) => m.MetricStat?.Metric?.MetricName).filter(Boolean)));
    for (const m of ['5xx', 'Count', 'Errors', 'Throttles', 'ThrottledRequests']) assert.ok(metricNames.includes(m), m);
    dev.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('outputs the API URL, the CloudFront URL and the table name', () => {
    const outputs = Object.keys(dev.template.findOutputs('*'));
    for (const o of ['ApiUrl', 'CloudFrontUrl', 'TableName', 'UserPoolId', 'UserPoolClientId', 'AuthDomainUrl']) assert.ok(outputs.includes(o), o);
    assert.ok(Object.keys(prod.template.findOutputs('*')).includes('UserPoolId'));
  });
});

/** Synthesizes with cdk-nag; returns the validation report ('' when nothing was found). */
function nagReport(app: App): string {
  try {
    app.synth();
    return '';
  } catch (e) {
    const report = path.join(app.outdir, 'validation-report.json');
    return fs.existsSync(report) ? fs.readFileSync(report, 'utf8') : String(e);
  }
}

describe('cdk-nag AwsSolutions', () => {
  const variants: [string, 'dev' | 'prod', Partial<PeopleStackProps>][] = [
    ['dev', 'dev', {}],
    ['prod (and its us-east-1 edge stack)', 'prod', {}],
    ['prod in us-east-1 (web ACL in the stack)', 'prod', { env: { account: '123456789012', region: 'us-east-1' } }],
    ['dev with auth=false', 'dev', { auth: false }],
    ['prod with an external issuer', 'prod', { jwtIssuer: 'https://issuer.example.com/', jwtAudience: ['people-api'] }],
  ];
  for (const [name, stage, extra] of variants) {
    it(`${name}: no unacknowledged finding`, () => {
      const { app } = build(stage, extra);
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      assert.equal(nagReport(app), '');
    });
  }

  it('APIG4 (authorization) is acknowledged only when auth is off', () => {
    const acknowledged = (extra: Partial<PeopleStackProps>) => build('dev', extra).stack.api.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .some((m) => Object.keys(m.data).some((id) => id.includes('APIG4')));
    assert.equal(acknowledged({}), false);
    assert.equal(acknowledged({ auth: false }), true);
  });

  it('reports a finding that nobody acknowledged', () => {
    const { app, stack } = build('dev');
    new s3.Bucket(stack, 'Unreviewed');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const report = nagReport(app);
    assert.match(report, /AwsSolutions-S1/);
    assert.match(report, /Unreviewed/);
  });
});
