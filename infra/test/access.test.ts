// Access control: the JWT authorizer with routes.json's scopes on every route of every stage, the
// Cognito resource server and client, AUTH for the functions, and auth=false for throwaway stacks.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';

import { FUNCTIONS, REPO_ROOT, SCOPES, loadRoutes, routeKey } from '../lib/people-stack.ts';
import { apiResources, build, functionId, resources, synth } from './support.ts';

const table = loadRoutes();
const stages = { dev: synth('dev'), prod: synth('prod') };
/** routes.json's scopes per route key, `$default` included. */
const expectedScopes: Record<string, string[]> = {
  $default: table.fallback_scopes,
  ...Object.fromEntries(table.routes.map((r) => [routeKey(r), r.scopes])),
};
/** The HTTP API's routes (websocket.test.ts has the WebSocket API's, authorized at $connect). */
const routes = (template: Template) => Object.values(apiResources(template, 'AWS::ApiGatewayV2::Route', 'HTTP')).map((r) => r.Properties);
const envOf = (template: Template, binary: string) => resources(template, 'AWS::Lambda::Function')[functionId(template, binary)].Properties.Environment.Variables;

describe('authorization, in every stage by default', () => {
  for (const [stage, { template }] of Object.entries(stages)) {
    it(`${stage}: every route, $default included, has the JWT authorizer with exactly routes.json's scopes`, () => {
      const all = routes(template);
      assert.deepEqual(all.map((r) => r.RouteKey).sort(), Object.keys(expectedScopes).sort());
      const [authorizerId] = Object.keys(apiResources(template, 'AWS::ApiGatewayV2::Authorizer', 'HTTP'));
      assert.ok(authorizerId, 'an authorizer exists');
      for (const r of all) {
        assert.equal(r.AuthorizationType, 'JWT', r.RouteKey);
        assert.deepEqual(r.AuthorizerId, { Ref: authorizerId }, r.RouteKey);
        assert.deepEqual(r.AuthorizationScopes, expectedScopes[r.RouteKey], r.RouteKey);
      }
    });

    it(`${stage}: the authorizer checks Cognito tokens of the stack's pool, for its web client`, () => {
      const authorizers = Object.values(apiResources(template, 'AWS::ApiGatewayV2::Authorizer', 'HTTP'));
      assert.equal(authorizers.length, 1);
      const [auth] = authorizers;
      assert.equal(auth.Properties.AuthorizerType, 'JWT');
      assert.deepEqual(auth.Properties.IdentitySource, ['$request.header.Authorization']);
      const [clientId] = Object.keys(resources(template, 'AWS::Cognito::UserPoolClient'));
      assert.deepEqual(auth.Properties.JwtConfiguration.Audience, [{ Ref: clientId }]);
      const [poolId] = Object.keys(resources(template, 'AWS::Cognito::UserPool'));
      assert.match(JSON.stringify(auth.Properties.JwtConfiguration.Issuer), new RegExp(`cognito-idp.*${poolId}`));
    });

    it(`${stage}: the user pool has the people resource server with read, write and self`, () => {
      template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
        Identifier: 'people',
        Scopes: Object.entries(SCOPES).map(([full, description]) => ({ ScopeName: full.split('/')[1], ScopeDescription: description })),
      });
      assert.deepEqual(Object.keys(SCOPES), ['people/read', 'people/write', 'people/self']);
    });

    it(`${stage}: the web client uses the authorization code grant for those scopes, openid and email, without a secret`, () => {
      const [client] = Object.values(resources(template, 'AWS::Cognito::UserPoolClient'));
      const p = client.Properties;
      assert.deepEqual(p.AllowedOAuthFlows, ['code']);
      assert.equal(p.AllowedOAuthFlowsUserPoolClient, true);
      assert.equal(p.GenerateSecret, false);
      const [serverId] = Object.keys(resources(template, 'AWS::Cognito::UserPoolResourceServer'));
      assert.deepEqual(p.AllowedOAuthScopes, [
        'openid', 'email',
        ...['read', 'write', 'self'].map((s) => ({ 'Fn::Join': ['', [{ Ref: serverId }, `/${s}`]] })),
      ]);
      // The configured URLs (default: the local one), then the page behind the stack's distribution (web.test.ts).
      assert.equal(p.CallbackURLs[0], 'http://localhost:9000/');
      assert.match(JSON.stringify(p.CallbackURLs[1]), /"Fn::GetAtt":\["Cdn[0-9A-F]+","DomainName"\]/);
      assert.deepEqual(p.SupportedIdentityProviders, ['COGNITO']);
    });

    it(`${stage}: the pool has a Cognito hosted domain for the sign-in`, () => {
      template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: `people-${stage}-123456789012` });
      assert.ok(Object.keys(template.findOutputs('*')).includes('AuthDomainUrl'));
    });

    it(`${stage}: the functions run with AUTH=on`, () => {
      for (const def of Object.values(FUNCTIONS)) assert.equal(envOf(template, def.binary).AUTH, 'on', def.binary);
    });

    it(`${stage}: synth gives no authorization warning`, () => {
      const warnings = Annotations.fromStack(stages[stage as 'dev' | 'prod'].stack).findWarning('*', Match.stringLikeRegexp('Authorization is OFF'));
      assert.equal(warnings.length, 0);
    });
  }

  it('takes callback URLs and the hosted domain prefix from configuration, and checks them', () => {
    const { template } = synth('dev', { callbackUrls: ['https://app.example.com/', 'http://localhost:5173/cb'], authDomainPrefix: 'people-sign-in' });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: ['https://app.example.com/', 'http://localhost:5173/cb', Match.anyValue()],
      LogoutURLs: ['https://app.example.com/', 'http://localhost:5173/cb', Match.anyValue()],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'people-sign-in' });
    assert.throws(() => build('dev', { callbackUrls: ['http://app.example.com/'] }), /must be an absolute https:\/\/ URL \(or http:\/\/localhost\)/);
    assert.throws(() => build('dev', { callbackUrls: ['https://app.example.com/#x'] }), /without a fragment/);
    assert.throws(() => build('dev', { callbackUrls: [] }), /at least one URL/);
    assert.throws(() => build('dev', { authDomainPrefix: 'People' }), /authDomainPrefix People/);
    assert.throws(() => build('dev', { authDomainPrefix: 'my-cognito-people' }), /not containing aws, amazon or cognito/);
  });

  it('an external issuer gets the same scopes on every route, and no user pool', () => {
    const { template } = synth('dev', { jwtIssuer: 'https://issuer.example.com/', jwtAudience: ['people-api'] });
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.resourceCountIs('AWS::Cognito::UserPoolResourceServer', 0);
    for (const r of routes(template)) {
      assert.equal(r.AuthorizationType, 'JWT', r.RouteKey);
      assert.deepEqual(r.AuthorizationScopes, expectedScopes[r.RouteKey], r.RouteKey);
    }
  });
});

describe('auth=false, for throwaway stacks', () => {
  for (const stage of ['dev', 'prod'] as const) {
    const { stack, template } = synth(stage, { auth: false });

    it(`${stage}: no authorizer, no user pool, every route open`, () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
      template.resourceCountIs('AWS::Cognito::UserPool', 0);
      for (const r of routes(template)) {
        assert.equal(r.AuthorizationType, 'NONE', r.RouteKey);
        assert.equal(r.AuthorizerId, undefined, r.RouteKey);
        assert.equal(r.AuthorizationScopes, undefined, r.RouteKey);
      }
    });

    it(`${stage}: the functions run with AUTH=off`, () => {
      for (const def of Object.values(FUNCTIONS)) assert.equal(envOf(template, def.binary).AUTH, 'off', def.binary);
    });

    it(`${stage}: synth warns`, () => {
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('Authorization is OFF \\(context auth=false\\)'));
      assert.equal(warnings.length, 1);
    });
  }
});

describe('SECURITY.md', () => {
  it('lists each route with the scopes routes.json gives it', () => {
    const text = fs.readFileSync(path.join(REPO_ROOT, 'SECURITY.md'), 'utf8');
    const rows = new Map<string, string[]>();
    for (const m of text.matchAll(/^\| `([^`]+)` \|[^|]*\| ((?:`people\/\w+`(?:, )?)+) \|/gm)) {
      rows.set(m[1], [...m[2].matchAll(/`(people\/\w+)`/g)].map((x) => x[1]));
    }
    assert.deepEqual(Object.fromEntries(rows), expectedScopes);
  });
});
