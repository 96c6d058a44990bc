import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Match, type Template } from 'aws-cdk-lib/assertions';

import { FUNCTIONS, type RouteSpec, type RouteTable, type Scope, loadRoutes, routeKey } from '../lib/people-stack.ts';
import { apiId, apiResources, build, functionId, resources, synth } from './support.ts';

const dev = synth('dev');
const prod = synth('prod');
const table = loadRoutes();
const key = routeKey;

/** The HTTP API's routes (websocket.test.ts has the WebSocket API's). */
const routes = (template: Template) => Object.values(apiResources(template, 'AWS::ApiGatewayV2::Route', 'HTTP')).map((r) => r.Properties);
/** The logical id of the function a route's integration invokes. */
const integrationTarget = (template: Template, route: any): string => {
  const integrationId = route.Target['Fn::Join'][1][1].Ref;
  const uri = resources(template, 'AWS::ApiGatewayV2::Integration')[integrationId].Properties.IntegrationUri;
  return uri['Fn::GetAtt'][0];
};

describe('HTTP API routes, from infra/routes.json', () => {
  for (const [stage, { template }] of [['dev', dev], ['prod', prod]] as const) {
    it(`${stage}: has exactly one route per entry, and $default`, () => {
      const keys = routes(template).map((r) => r.RouteKey);
      assert.deepEqual(keys.filter((k) => k !== '$default').sort(), table.routes.map(key).sort());
      assert.equal(keys.filter((k) => k === '$default').length, 1);
    });

    it(`${stage}: sends each route to the function it names, and $default to the fallback`, () => {
      const found = Object.fromEntries(routes(template).map((r) => [r.RouteKey, integrationTarget(template, r)]));
      for (const r of table.routes) assert.equal(found[key(r)], functionId(template, r.function), key(r));
      assert.equal(found.$default, functionId(template, table.fallback));
    });

    it(`${stage}: lets the API invoke each function on each of its paths`, () => {
      const permissions = Object.values(resources(template, 'AWS::Lambda::Permission')).map((p) => p.Properties);
      for (const r of table.routes) {
        const fn = functionId(template, r.function);
        const allowed = permissions.some((p) => p.FunctionName['Fn::GetAtt'][0] === fn && JSON.stringify(p.SourceArn).endsWith(`/*/*${r.path}"]]}`));
        assert.ok(allowed, key(r));
      }
    });

    it(`${stage}: leaves no function without a route`, () => {
      const targets = new Set(routes(template).map((r) => integrationTarget(template, r)));
      for (const def of Object.values(FUNCTIONS)) assert.ok(targets.has(functionId(template, def.binary)), def.binary);
    });
  }

  it('shares one integration per function between its routes', () => {
    const used = new Set([table.fallback, ...table.routes.map((r) => r.function)]);
    assert.equal(Object.keys(apiResources(dev.template, 'AWS::ApiGatewayV2::Integration', 'HTTP')).length, used.size);
  });

  it('marks every route but GET and HEAD as a write, so no write can miss the authorizer', () => {
    for (const r of table.routes) assert.equal(r.writes, !['GET', 'HEAD'].includes(r.method), key(r));
  });

  it('fails synth on a function the stack does not build, or an unknown method', () => {
    const unknown: RouteSpec = { method: 'GET', path: '/people/{id}/avatar', function: 'people-avatar', action: 'read', writes: false, scopes: ['people/read'] };
    const withRoute: RouteTable = { ...table, routes: [...table.routes, unknown] };
    assert.throws(() => build('dev', { routes: withRoute }), /route GET \/people\/\{id\}\/avatar names function people-avatar/);
    assert.throws(() => build('dev', { routes: { ...table, fallback: 'people-nope' } }), /fallback names function people-nope/);
    const badMethod = { ...table.routes[0], method: 'FETCH' } as unknown as RouteSpec;
    assert.throws(() => build('dev', { routes: { ...table, routes: [badMethod] } }), /route FETCH \/people has a method API Gateway does not know/);
  });

  it('fails synth on an unknown scope, a route without scopes, or $default without scopes', () => {
    const withScopes = (scopes: unknown): RouteTable => ({ ...table, routes: [{ ...table.routes[0], scopes: scopes as Scope[] }, ...table.routes.slice(1)] });
    assert.throws(() => build('dev', { routes: withScopes(['people/read', 'people/admin']) }), /route GET \/people has scope "people\/admin", which is not one of people\/read, people\/write, people\/self/);
    assert.throws(() => build('dev', { routes: withScopes(['read']) }), /scope "read"/);
    assert.throws(() => build('dev', { routes: withScopes([]) }), /route GET \/people has no scopes/);
    assert.throws(() => build('dev', { routes: withScopes(undefined) }), /route GET \/people has no scopes \(regenerate the file with `make routes`\)/);
    assert.throws(() => build('dev', { routes: withScopes(['people/read', 'people/read']) }), /lists a scope twice/);
    assert.throws(() => build('dev', { routes: { ...table, fallback_scopes: ['people/everything' as Scope] } }), /the fallback \(\$default\) has scope "people\/everything"/);
    assert.throws(() => build('prod', { routes: { ...table, fallback_scopes: [] } }), /the fallback \(\$default\) has no scopes/);
    // Checked whether or not the authorizer is on.
    assert.throws(() => build('dev', { auth: false, routes: withScopes(['people/admin']) }), /people\/admin/);
  });
});

describe('HTTP API', () => {
  it('can use an external issuer instead of a user pool', () => {
    const { template } = synth('prod', { jwtIssuer: 'https://issuer.example.com/', jwtAudience: ['people-api'] });
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://issuer.example.com/', Audience: ['people-api'] },
    });
  });

  it('fails synth with an external issuer but no audience', () => {
    for (const jwtAudience of [undefined, [], [''], [' ']]) {
      assert.throws(() => build('prod', { jwtIssuer: 'https://issuer.example.com/', jwtAudience }), /jwtAudience is required with jwtIssuer/);
      assert.throws(() => build('dev', { jwtIssuer: 'https://issuer.example.com/', jwtAudience }), /jwtAudience is required with jwtIssuer/);
    }
    assert.throws(() => build('dev', { jwtIssuer: 'http://issuer.example.com/', jwtAudience: ['a'] }), /jwtIssuer must be an https:\/\/ URL/);
  });

  it('throttles the stage and writes JSON access logs', () => {
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
    prod.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 } });
    const [stage] = Object.values(apiResources(dev.template, 'AWS::ApiGatewayV2::Stage', 'HTTP'));
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format);
    assert.equal(format.requestId, '$context.requestId');
    assert.equal(format.status, '$context.status');
    assert.equal(format.authorizerError, '$context.authorizer.error');
    const { template } = synth('dev', { throttleRate: 70, throttleBurst: 90 });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 70, ThrottlingBurstLimit: 90 } });
  });

  for (const [stage, { template }] of [['dev', dev], ['prod', prod]] as const) {
    it(`${stage}: throttles the list route (routes.json action list) lower than the stage, and no other route separately`, () => {
      const [s] = Object.entries(apiResources(template, 'AWS::ApiGatewayV2::Stage', 'HTTP'));
      const [stageId, { Properties: p }] = [s[0], s[1]];
      const lists = table.routes.filter((r) => r.action === 'list').map(key);
      assert.ok(lists.length > 0);
      assert.deepEqual(Object.keys(p.RouteSettings).sort(), [...lists].sort());
      for (const k of lists) {
        assert.ok(p.RouteSettings[k].ThrottlingRateLimit < p.DefaultRouteSettings.ThrottlingRateLimit, k);
        assert.ok(p.RouteSettings[k].ThrottlingBurstLimit < p.DefaultRouteSettings.ThrottlingBurstLimit, k);
      }
      const expected = stage === 'prod' ? { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 } : { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 };
      for (const k of lists) assert.deepEqual(p.RouteSettings[k], expected);
      // CloudFormation rejects route settings for a route key that does not exist yet.
      const routeIds = Object.entries(resources(template, 'AWS::ApiGatewayV2::Route')).filter(([, r]) => lists.includes(r.Properties.RouteKey)).map(([id]) => id);
      const dependsOn = (template.toJSON().Resources[stageId].DependsOn ?? []) as string[];
      for (const id of routeIds) assert.ok(dependsOn.includes(id), `stage depends on ${id}`);
    });
  }

  it('takes the list throttle from context, but never above the stage\'s', () => {
    const { template } = synth('dev', { listThrottleRate: 5, listThrottleBurst: 10 });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { RouteSettings: { 'GET /people': { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 } } });
    assert.throws(() => build('dev', { listThrottleRate: 500 }), /must not exceed the stage's throttleRate\/throttleBurst \(100\/200\)/);
    assert.throws(() => build('dev', { throttleRate: 10, throttleBurst: 20 }), /\(20\/40\) must not exceed/);
    assert.throws(() => build('dev', { listThrottleBurst: 0 }), /listThrottleBurst must be a positive whole number/);
  });

  it('has no CORS by default: the page is same-origin with /people* behind CloudFront', () => {
    for (const { template } of [dev, prod]) {
      const api = resources(template, 'AWS::ApiGatewayV2::Api')[apiId(template, 'HTTP')];
      assert.equal(api.Properties.CorsConfiguration, undefined);
      for (const def of Object.values(FUNCTIONS)) {
        const fn = resources(template, 'AWS::Lambda::Function')[functionId(template, def.binary)];
        assert.equal(fn.Properties.Environment.Variables.ALLOWED_ORIGINS, '');
      }
    }
  });

  it('answers CORS for configured origins, for every method of the route table', () => {
    const { template } = synth('prod', { allowedOrigins: 'https://app.example.com, https://admin.example.com' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({
        AllowOrigins: ['https://app.example.com', 'https://admin.example.com'],
        AllowHeaders: Match.arrayWith(['if-match', 'authorization']),
        ExposeHeaders: Match.arrayWith(['etag']),
      }),
    });
    const api = resources(template, 'AWS::ApiGatewayV2::Api')[apiId(template, 'HTTP')];
    for (const r of table.routes) assert.ok(api.Properties.CorsConfiguration.AllowMethods.includes(r.method), r.method);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ALLOWED_ORIGINS: 'https://app.example.com,https://admin.example.com' }) } });
  });

  it('refuses * in prod, and anything but exact origins', () => {
    assert.throws(() => build('prod', { allowedOrigins: '*' }), /`\*` is not allowed in prod/);
    assert.throws(() => build('prod', { allowedOrigins: 'https://app.example.com,*' }), /`\*` is not allowed in prod/);
    for (const bad of ['https://app.example.com/', 'https://app.example.com/page', 'app.example.com', 'ftp://app.example.com', 'http://127.0.0.1:*']) {
      assert.throws(() => build('dev', { allowedOrigins: bad }), /is not an exact origin/, bad);
    }
    // A throwaway dev stack may allow any origin.
    const { template } = synth('dev', { allowedOrigins: '*' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: ['*'] }) });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ALLOWED_ORIGINS: '*' }) } });
  });
});
