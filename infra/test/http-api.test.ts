import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Match, type Template } from 'aws-cdk-lib/assertions';

import { FUNCTIONS, type RouteSpec, type RouteTable, loadRoutes } from '../lib/people-stack.ts';
import { build, functionId, resources, synth } from './support.ts';

const dev = synth('dev');
const prod = synth('prod');
const table = loadRoutes();
const key = (r: RouteSpec) => `${r.method} ${r.path}`;

const routes = (template: Template) => Object.values(resources(template, 'AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
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
    dev.template.resourceCountIs('AWS::ApiGatewayV2::Integration', used.size);
  });

  it('marks every route but GET and HEAD as a write, so no write can miss the authorizer', () => {
    for (const r of table.routes) assert.equal(r.writes, !['GET', 'HEAD'].includes(r.method), key(r));
  });

  it('puts the JWT authorizer on the writes in prod, on no route in dev', () => {
    const writes = new Set(table.routes.filter((r) => r.writes).map(key));
    const authorizers = new Set<string>();
    for (const r of routes(prod.template)) {
      assert.equal(r.AuthorizationType, writes.has(r.RouteKey) ? 'JWT' : 'NONE', r.RouteKey);
      if (r.AuthorizerId) authorizers.add(r.AuthorizerId.Ref);
    }
    assert.equal(authorizers.size, 1);
    prod.template.resourceCountIs('AWS::Cognito::UserPool', 1);
    prod.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'JWT' });
    for (const r of routes(dev.template)) assert.equal(r.AuthorizationType ?? 'NONE', 'NONE', r.RouteKey);
    dev.template.resourceCountIs('AWS::Cognito::UserPool', 0);
  });

  it('fails synth on a function the stack does not build, or an unknown method', () => {
    const unknown: RouteSpec = { method: 'GET', path: '/people/{id}/avatar', function: 'people-avatar', action: 'read', writes: false };
    const withRoute: RouteTable = { ...table, routes: [...table.routes, unknown] };
    assert.throws(() => build('dev', { routes: withRoute }), /route GET \/people\/\{id\}\/avatar names function people-avatar/);
    assert.throws(() => build('dev', { routes: { ...table, fallback: 'people-nope' } }), /fallback names function people-nope/);
    const badMethod = { ...table.routes[0], method: 'FETCH' } as unknown as RouteSpec;
    assert.throws(() => build('dev', { routes: { ...table, routes: [badMethod] } }), /route FETCH \/people has a method API Gateway does not know/);
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

  it('throttles the stage and writes JSON access logs', () => {
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
    prod.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 } });
    const [stage] = Object.values(resources(dev.template, 'AWS::ApiGatewayV2::Stage'));
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format);
    assert.equal(format.requestId, '$context.requestId');
    assert.equal(format.status, '$context.status');
    const { template } = synth('dev', { throttleRate: 7, throttleBurst: 9 });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 } });
  });

  it('answers CORS from configuration, for every method of the route table', () => {
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({
        AllowOrigins: ['*'],
        AllowHeaders: Match.arrayWith(['if-match', 'authorization']),
        ExposeHeaders: Match.arrayWith(['etag']),
      }),
    });
    const [api] = Object.values(resources(dev.template, 'AWS::ApiGatewayV2::Api'));
    for (const r of table.routes) assert.ok(api.Properties.CorsConfiguration.AllowMethods.includes(r.method), r.method);
    const { template } = synth('dev', { allowedOrigins: 'https://app.example.com,https://admin.example.com' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://app.example.com', 'https://admin.example.com'] }) });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ALLOWED_ORIGINS: 'https://app.example.com,https://admin.example.com' }) } });
  });
});
