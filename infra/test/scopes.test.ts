// Scopes per user: the people-writers and people-readers groups, and the pre token generation trigger
// (V2_0, Essentials feature plan) that removes people/write and people/read from the access tokens of
// users whose groups do not grant them. The trigger's inline source is run here against events.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';

import { INLINE_CODE_LIMIT, READERS_GROUP, SCOPE_GRANTS, SCOPE_TRIGGER_SOURCE, WRITERS_GROUP } from '../lib/scope-trigger.ts';
import { asList, resources, synth } from './support.ts';

// ---------------------------------------------------------------------------------------------------
// The handler, evaluated from the very string the stack deploys inline (CommonJS, as Lambda loads
// index.js), with a console that records what it would log and a require that refuses everything.

interface Logged { level: string; text: string }

function loadHandler(): { handler: (event: unknown) => Promise<any>; logged: Logged[] } {
  const logged: Logged[] = [];
  const record = (level: string) => (...args: unknown[]) => {
    logged.push({ level, text: args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') });
  };
  const console = { log: record('log'), info: record('info'), warn: record('warn'), error: record('error'), debug: record('debug') };
  const exports: Record<string, any> = {};
  const module = { exports };
  const require = (id: string) => {
    throw new Error(`the scope trigger must not load modules (asked for ${id})`);
  };
  new Function('exports', 'require', 'module', 'console', SCOPE_TRIGGER_SOURCE)(exports, require, module, console);
  assert.equal(typeof module.exports.handler, 'function', 'index.handler is exported');
  return { handler: module.exports.handler, logged };
}

/** A V2_0 pre token generation event as Cognito sends it for a hosted sign-in. */
function cognitoEvent(groups: unknown): any {
  return {
    version: '2',
    triggerSource: 'TokenGeneration_HostedAuth',
    region: 'eu-west-1',
    userPoolId: 'eu-west-1_Example',
    userName: 'a1b2c3d4-user-name',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'example-client-id' },
    request: {
      userAttributes: { sub: 'a1b2c3d4-user-sub', email: 'alice@example.com', email_verified: 'true' },
      groupConfiguration: { groupsToOverride: groups, iamRolesToOverride: [], preferredRole: null },
      scopes: ['openid', 'email', 'people/read', 'people/write', 'people/self'],
    },
    response: { claimsAndScopeOverrideDetails: null },
  };
}

const BOTH = ['people/read', 'people/write'];
const suppressed = (result: any): string[] => [...result.response.claimsAndScopeOverrideDetails.accessTokenGeneration.scopesToSuppress].sort();

describe('the scope trigger handler (its inline source, run against events)', () => {
  it('a people-writers member gets nothing suppressed', async () => {
    const { handler, logged } = loadHandler();
    assert.deepEqual(suppressed(await handler(cognitoEvent([WRITERS_GROUP]))), []);
    assert.deepEqual(suppressed(await handler(cognitoEvent([READERS_GROUP, WRITERS_GROUP, 'other']))), []);
    assert.deepEqual(logged, []);
  });

  it('a people-readers member gets people/write suppressed', async () => {
    const { handler, logged } = loadHandler();
    assert.deepEqual(suppressed(await handler(cognitoEvent([READERS_GROUP]))), ['people/write']);
    assert.deepEqual(suppressed(await handler(cognitoEvent(['other', READERS_GROUP]))), ['people/write']);
    assert.deepEqual(logged, []);
  });

  it('a user in neither group gets people/read and people/write suppressed, keeping people/self', async () => {
    const { handler, logged } = loadHandler();
    assert.deepEqual(suppressed(await handler(cognitoEvent([]))), BOTH);
    assert.deepEqual(suppressed(await handler(cognitoEvent(['admins', 'people']))), BOTH);
    // Group names are case-sensitive in Cognito, and so is the trigger.
    assert.deepEqual(suppressed(await handler(cognitoEvent(['People-Writers', 'PEOPLE-READERS']))), BOTH);
    assert.deepEqual(logged, []);
  });

  it('never suppresses people/self, adds a scope or touches anything else of the event', async () => {
    const { handler } = loadHandler();
    for (const groups of [[], [READERS_GROUP], [WRITERS_GROUP], 'malformed']) {
      const event = cognitoEvent(groups);
      const before = structuredClone(event);
      const result = await handler(event);
      assert.equal(result, event, 'the event is returned, as Cognito expects');
      assert.ok(!suppressed(result).includes('people/self'));
      assert.deepEqual(Object.keys(result.response.claimsAndScopeOverrideDetails), ['accessTokenGeneration']);
      assert.deepEqual(Object.keys(result.response.claimsAndScopeOverrideDetails.accessTokenGeneration), ['scopesToSuppress']);
      const { response: _after, ...rest } = result;
      const { response: _before, ...restBefore } = before;
      assert.deepEqual(rest, restBefore);
    }
  });

  it('fails closed: a malformed event gets people/read and people/write suppressed', async () => {
    const malformed: [string, unknown][] = [
      ['undefined', undefined],
      ['null', null],
      ['a string', 'people-writers'],
      ['an array', [WRITERS_GROUP]],
      ['an empty object', {}],
      ['request null', { request: null, response: {} }],
      ['request without groupConfiguration', { request: { userAttributes: {} } }],
      ['groupConfiguration null', { request: { groupConfiguration: null } }],
      ['groupConfiguration a list', { request: { groupConfiguration: [WRITERS_GROUP] } }],
      ['groupsToOverride missing', { request: { groupConfiguration: {} } }],
      ['groupsToOverride null', cognitoEvent(null)],
      // A string would pass a naive includes(): 'people-writers'.includes('people-writers').
      ['groupsToOverride a string', cognitoEvent(WRITERS_GROUP)],
      ['groupsToOverride array-like', cognitoEvent({ 0: WRITERS_GROUP, length: 1 })],
      ['groupsToOverride with a non-string', cognitoEvent([WRITERS_GROUP, 42])],
      ['groupsToOverride with a nested list', cognitoEvent([[WRITERS_GROUP]])],
    ];
    for (const [name, event] of malformed) {
      const { handler, logged } = loadHandler();
      const result = await handler(event);
      assert.deepEqual(suppressed(result), BOTH, name);
      assert.equal(logged.length, 1, `${name}: one warning`);
      assert.equal(logged[0].level, 'warn', name);
    }
  });

  it('logs nothing about the user, not even for a malformed event', async () => {
    const { handler, logged } = loadHandler();
    const event = cognitoEvent({ groups: [WRITERS_GROUP] });
    await handler(event);
    assert.equal(logged.length, 1);
    for (const secret of ['alice@example.com', 'a1b2c3d4', WRITERS_GROUP, 'people/', 'example-client-id', 'eu-west-1']) {
      assert.ok(!logged[0].text.includes(secret), `the log line does not contain ${secret}`);
    }
  });

  it('grants people/write to people-writers only and people/read to people-readers and people-writers', () => {
    assert.deepEqual(SCOPE_GRANTS, { 'people/write': [WRITERS_GROUP], 'people/read': [READERS_GROUP, WRITERS_GROUP] });
    assert.ok(!('people/self' in SCOPE_GRANTS));
    assert.ok(SCOPE_TRIGGER_SOURCE.length <= INLINE_CODE_LIMIT, `${SCOPE_TRIGGER_SOURCE.length} characters fit CloudFormation's inline code`);
  });
});

// ---------------------------------------------------------------------------------------------------
// The stack: feature plan, trigger wiring, groups, the trigger function's runtime, role and logs.

const stages = { dev: synth('dev'), prod: synth('prod') };

/** The latest Node.js runtime aws-cdk-lib knows, as cdk-nag's L1 rule computes it. */
const latestNode = lambda.Runtime.ALL.map((r) => r.name)
  .filter((n) => /^nodejs\d+\.x$/.test(n))
  .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
  .pop();

function triggerFunction(template: Template): [string, any] {
  const found = Object.entries(resources(template, 'AWS::Lambda::Function')).filter(([, r]) => String(r.Properties.FunctionName ?? '').endsWith('-scope-trigger'));
  assert.equal(found.length, 1, 'one scope trigger function');
  return [found[0][0], found[0][1].Properties];
}

describe('scopes per user in the stack\'s Cognito pool', () => {
  for (const [stage, { template }] of Object.entries(stages)) {
    it(`${stage}: the pool has the Essentials feature plan, which V2_0 triggers need`, () => {
      template.resourceCountIs('AWS::Cognito::UserPool', 1);
      template.hasResourceProperties('AWS::Cognito::UserPool', { UserPoolTier: 'ESSENTIALS' });
    });

    it(`${stage}: the scope trigger is the pool's pre token generation trigger, event version V2_0, invocable by that pool only`, () => {
      const [fnId] = triggerFunction(template);
      const [pool] = Object.values(resources(template, 'AWS::Cognito::UserPool'));
      assert.deepEqual(pool.Properties.LambdaConfig, {
        PreTokenGenerationConfig: { LambdaArn: { 'Fn::GetAtt': [fnId, 'Arn'] }, LambdaVersion: 'V2_0' },
      });
      const [poolId] = Object.keys(resources(template, 'AWS::Cognito::UserPool'));
      const permissions = Object.values(resources(template, 'AWS::Lambda::Permission'))
        .filter((p) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [fnId, 'Arn'] }));
      assert.equal(permissions.length, 1);
      assert.equal(permissions[0].Properties.Principal, 'cognito-idp.amazonaws.com');
      assert.deepEqual(permissions[0].Properties.SourceArn, { 'Fn::GetAtt': [poolId, 'Arn'] });
    });

    it(`${stage}: the groups people-writers and people-readers exist in the pool${stage === 'prod' ? ', kept on destroy like the pool' : ''}`, () => {
      const [poolId] = Object.keys(resources(template, 'AWS::Cognito::UserPool'));
      const groups = Object.values(resources(template, 'AWS::Cognito::UserPoolGroup'));
      assert.deepEqual(groups.map((g) => g.Properties.GroupName).sort(), [READERS_GROUP, WRITERS_GROUP]);
      for (const g of groups) {
        assert.deepEqual(g.Properties.UserPoolId, { Ref: poolId });
        assert.equal(g.DeletionPolicy, stage === 'prod' ? 'Retain' : 'Delete');
      }
    });

    it(`${stage}: the web client still allows people/read, people/write and people/self (the trigger decides per user)`, () => {
      const [serverId] = Object.keys(resources(template, 'AWS::Cognito::UserPoolResourceServer'));
      template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        AllowedOAuthScopes: Match.arrayWith(['read', 'write', 'self'].map((s) => ({ 'Fn::Join': ['', [{ Ref: serverId }, `/${s}`]] }))),
      });
    });

    it(`${stage}: the trigger is the inline handler on the latest Node.js runtime, arm64, without VPC or environment`, () => {
      const [, fn] = triggerFunction(template);
      assert.equal(fn.Runtime, latestNode);
      assert.equal(fn.Handler, 'index.handler');
      assert.equal(fn.Code.ZipFile, SCOPE_TRIGGER_SOURCE);
      assert.deepEqual(fn.Architectures, ['arm64']);
      assert.equal(fn.Timeout, 5);
      assert.equal(fn.VpcConfig, undefined);
      assert.equal(fn.Environment, undefined);
    });

    it(`${stage}: the trigger has its own role, allowed only to write to its own log group, which has retention`, () => {
      const [, fn] = triggerFunction(template);
      const roleId = fn.Role['Fn::GetAtt'][0];
      const logGroupId = fn.LoggingConfig.LogGroup.Ref;
      const role = resources(template, 'AWS::IAM::Role')[roleId];
      assert.equal(role.Properties.ManagedPolicyArns, undefined, 'no managed policy');
      assert.equal(role.Properties.Policies, undefined);
      const otherRoles = Object.values(resources(template, 'AWS::Lambda::Function'))
        .filter((f) => f.Properties.Role?.['Fn::GetAtt']?.[0] === roleId);
      assert.equal(otherRoles.length, 1, 'no other function uses the role');
      const statements = Object.values(resources(template, 'AWS::IAM::Policy'))
        .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
        .flatMap((p) => p.Properties.PolicyDocument.Statement);
      assert.deepEqual(statements, [{
        Sid: 'OwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      }]);
      const logGroup = resources(template, 'AWS::Logs::LogGroup')[logGroupId];
      assert.equal(logGroup.Properties.LogGroupName, `/aws/lambda/people-${stage}-scope-trigger`);
      assert.equal(logGroup.Properties.RetentionInDays, stage === 'prod' ? 90 : 7);
      assert.ok(asList(statements[0].Action).every((a: string) => a.startsWith('logs:')));
    });
  }

  it('an external issuer gets no groups and no trigger: it must assign scopes per user itself', () => {
    const { template } = synth('prod', { jwtIssuer: 'https://issuer.example.com/', jwtAudience: ['people-api'] });
    template.resourceCountIs('AWS::Cognito::UserPoolGroup', 0);
    const fns = Object.values(resources(template, 'AWS::Lambda::Function'));
    assert.ok(!fns.some((f) => String(f.Properties.FunctionName ?? '').endsWith('-scope-trigger')));
  });

  it('auth=false: no pool, no groups, no trigger', () => {
    const { template } = synth('dev', { auth: false });
    template.resourceCountIs('AWS::Cognito::UserPoolGroup', 0);
    const fns = Object.values(resources(template, 'AWS::Lambda::Function'));
    assert.ok(!fns.some((f) => String(f.Properties.FunctionName ?? '').endsWith('-scope-trigger')));
  });
});
