// The web page behind CloudFront: the security headers of web/security-headers.json as a response
// headers policy (connect-src with the Cognito domain and the WebSocket API), the build uploaded in two
// steps with its caching, /config.json with the stack's Cognito sign-in and the real-time feed's
// WebSocket URL, and the distribution's URL as the web client's callback.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { ASSETS_CACHE_CONTROL, PAGE_CACHE_CONTROL, SECURITY_HEADERS_FILE, securityHeaders } from '../lib/web.ts';
import { build } from './support.ts';

/** A built web app as `make web-build` leaves it: index.html and hashed assets. */
const fixture = fs.mkdtempSync(path.join(os.tmpdir(), 'people-web-'));
fs.mkdirSync(path.join(fixture, 'assets'));
fs.writeFileSync(path.join(fixture, 'index.html'), '<!doctype html><script type="module" src="/assets/index-AbC123.js"></script>');
fs.writeFileSync(path.join(fixture, 'assets', 'index-AbC123.js'), 'console.log(1)');
fs.writeFileSync(path.join(fixture, 'assets', 'index-DeF456.css'), 'body{}');

const HEADERS = JSON.parse(fs.readFileSync(SECURITY_HEADERS_FILE, 'utf8')) as Record<string, string>;

function synthWeb(extra: Parameters<typeof build>[1] = {}) {
  const { app, stack } = build('dev', { webDir: fixture, ...extra });
  const assembly = app.synth();
  const template = (assembly.getStackByName(stack.stackName).template) as { Resources: Record<string, any>; Outputs: Record<string, any> };
  /** The files a bucket deployment's source holds (its staged asset folder in the cloud assembly). */
  const files = (objectKey: string): Record<string, string> => {
    const dir = path.join(assembly.directory, `asset.${objectKey.replace(/\.zip$/, '')}`);
    const found: Record<string, string> = {};
    const walk = (d: string) => {
      for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, entry.name);
        if (entry.isDirectory()) walk(p);
        else found[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
      }
    };
    walk(dir);
    return found;
  };
  const of = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
  return { template, files, of };
}

const dev = synthWeb();
const deployment = (w: typeof dev, id: string) => w.of('Custom::CDKBucketDeployment').find(([logicalId]) => logicalId.startsWith(id))?.[1];
/** The WebSocket API's logical id, and its endpoint (wss://<api>.execute-api.<region>.amazonaws.com) as the template gets it. */
const webSocketApi = (w: typeof dev) => {
  const [[id]] = w.of('AWS::ApiGatewayV2::Api').filter(([, r]) => r.Properties.ProtocolType === 'WEBSOCKET');
  return { id, endpoint: { 'Fn::GetAtt': [id, 'ApiEndpoint'] } };
};

describe('web page: security headers', () => {
  it('web/security-headers.json has no unsafe-inline or unsafe-eval, and each header CloudFront needs', () => {
    const csp = HEADERS['Content-Security-Policy'];
    assert.ok(csp);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(HEADERS['Strict-Transport-Security'], /^max-age=\d{8,}/, 'HSTS of a year or more');
    assert.equal(HEADERS['X-Content-Type-Options'], 'nosniff');
    assert.ok(HEADERS['Referrer-Policy']);
  });

  it('the page needs no inline script or style (web/index.html; the app builds elements without style attributes)', () => {
    const html = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'web', 'index.html'), 'utf8');
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script has a src');
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
  });

  it('the default behaviour sends them through a response headers policy, with the Cognito domain and the WebSocket API in connect-src', () => {
    const [[policyId, policy]] = dev.of('AWS::CloudFront::ResponseHeadersPolicy');
    const [[, dist]] = dev.of('AWS::CloudFront::Distribution');
    assert.deepEqual(dist.Properties.DistributionConfig.DefaultCacheBehavior.ResponseHeadersPolicyId, { Ref: policyId });
    const config = policy.Properties.ResponseHeadersPolicyConfig;
    const security = config.SecurityHeadersConfig;
    const [domainId] = dev.of('AWS::Cognito::UserPoolDomain').map(([id]) => id);
    const expected = HEADERS['Content-Security-Policy'].replace("connect-src 'self'", "connect-src 'self' https://");
    const [before, after] = expected.split('https://');
    assert.deepEqual(security.ContentSecurityPolicy, {
      ContentSecurityPolicy: { 'Fn::Join': ['', [`${before}https://`, { Ref: domainId }, '.auth.eu-west-1.amazoncognito.com ', webSocketApi(dev).endpoint, after]] },
      Override: true,
    });
    assert.deepEqual(security.StrictTransportSecurity, {
      AccessControlMaxAgeSec: Number(/max-age=(\d+)/.exec(HEADERS['Strict-Transport-Security'])![1]), IncludeSubdomains: false, Preload: false, Override: true,
    });
    assert.deepEqual(security.ContentTypeOptions, { Override: true });
    assert.deepEqual(security.ReferrerPolicy, { ReferrerPolicy: HEADERS['Referrer-Policy'], Override: true });
    assert.deepEqual(security.FrameOptions, { FrameOption: HEADERS['X-Frame-Options'], Override: true });
    assert.deepEqual(config.CustomHeadersConfig.Items, [{ Header: 'Cross-Origin-Opener-Policy', Value: HEADERS['Cross-Origin-Opener-Policy'], Override: true }]);
  });

  it('without the stack\'s own sign-in (auth=false, an external issuer), connect-src is the page\'s own origin and the WebSocket API only', () => {
    for (const extra of [{ auth: false }, { jwtIssuer: 'https://issuer.example.com/', jwtAudience: ['people-api'] }]) {
      const w = synthWeb(extra);
      const [[, policy]] = w.of('AWS::CloudFront::ResponseHeadersPolicy');
      const [before, after] = HEADERS['Content-Security-Policy'].split(/(?<=connect-src 'self')/);
      assert.deepEqual(policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy,
        { 'Fn::Join': ['', [`${before} `, webSocketApi(w).endpoint, after]] });
      const page = deployment(w, 'DeploySiteCustomResource');
      assert.deepEqual(JSON.parse(w.files(page.Properties.SourceObjectKeys[1])['config.json']), {
        signIn: null,
        webSocketUrl: 'wss://<<marker:0xbaba:0>>.execute-api.eu-west-1.<<marker:0xbaba:1>>/dev',
      });
      assert.deepEqual(page.Properties.SourceMarkers[1], { '<<marker:0xbaba:0>>': { Ref: webSocketApi(w).id }, '<<marker:0xbaba:1>>': { Ref: 'AWS::URLSuffix' } });
    }
  });

  it('refuses a policy with unsafe-inline, and a header it cannot map', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'people-headers-'));
    const write = (headers: object) => {
      const file = path.join(dir, `${Math.random()}.json`);
      fs.writeFileSync(file, JSON.stringify(headers));
      return file;
    };
    assert.throws(() => securityHeaders([], write({ 'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'" })), /unsafe-inline/);
    assert.throws(() => securityHeaders([], write({ 'X-Powered-By': 'people' })), /not mapped/);
    assert.throws(() => securityHeaders([], write({ 'Referrer-Policy': 'sometimes' })), /not one CloudFront knows/);
  });
});

describe('web page: the build in the bucket', () => {
  it('uploads the hashed assets first, cached for a year as immutable, and keeps earlier ones', () => {
    const assets = deployment(dev, 'DeploySiteAssetsCustomResource');
    assert.ok(assets);
    assert.equal(assets.Properties.SystemMetadata['cache-control'], ASSETS_CACHE_CONTROL);
    assert.equal(ASSETS_CACHE_CONTROL, 'public, max-age=31536000, immutable');
    assert.equal(assets.Properties.Prune, false, 'a page loaded before a deploy still finds its files');
    assert.equal(assets.Properties.DistributionId, undefined, 'new names need no invalidation');
    assert.deepEqual(Object.keys(dev.files(assets.Properties.SourceObjectKeys[0])).sort(), ['assets/index-AbC123.js', 'assets/index-DeF456.css']);
  });

  it('then index.html and config.json, revalidated on every load and invalidated', () => {
    const page = deployment(dev, 'DeploySiteCustomResource');
    assert.equal(page.Properties.SystemMetadata['cache-control'], PAGE_CACHE_CONTROL);
    assert.equal(PAGE_CACHE_CONTROL, 'no-cache');
    assert.ok(page.DependsOn.some((d: string) => d.startsWith('DeploySiteAssetsCustomResource')), 'after the assets');
    const [[distId]] = dev.of('AWS::CloudFront::Distribution');
    assert.deepEqual(page.Properties.DistributionId, { Ref: distId });
    assert.deepEqual(page.Properties.DistributionPaths, ['/', '/index.html', '/config.json']);
    assert.deepEqual(Object.keys(dev.files(page.Properties.SourceObjectKeys[0])), ['index.html']);
    assert.deepEqual(Object.keys(dev.files(page.Properties.SourceObjectKeys[1])), ['config.json']);
  });

  it('config.json tells the page to sign in with the stack\'s Cognito domain and web client (PKCE, no secret), and the WebSocket stage for live updates', () => {
    const page = deployment(dev, 'DeploySiteCustomResource');
    const config = JSON.parse(dev.files(page.Properties.SourceObjectKeys[1])['config.json']);
    assert.deepEqual(config, {
      signIn: {
        kind: 'cognito',
        authority: 'https://<<marker:0xbaba:0>>.auth.eu-west-1.amazoncognito.com',
        clientId: '<<marker:0xbaba:1>>',
        scopes: ['openid', 'people/read', 'people/write', 'people/self'],
      },
      webSocketUrl: 'wss://<<marker:0xbaba:2>>.execute-api.eu-west-1.<<marker:0xbaba:3>>/dev',
    });
    const [domainId] = dev.of('AWS::Cognito::UserPoolDomain').map(([id]) => id);
    const [clientId] = dev.of('AWS::Cognito::UserPoolClient').map(([id]) => id);
    assert.deepEqual(page.Properties.SourceMarkers[1], {
      '<<marker:0xbaba:0>>': { Ref: domainId },
      '<<marker:0xbaba:1>>': { Ref: clientId },
      '<<marker:0xbaba:2>>': { Ref: webSocketApi(dev).id },
      '<<marker:0xbaba:3>>': { Ref: 'AWS::URLSuffix' },
    });
    // The same URL as the stack's WebSocketUrl output (the stage the stream function pushes through).
    const output = dev.template.Outputs.WebSocketUrl.Value;
    assert.deepEqual(output, { 'Fn::Join': ['', ['wss://', { Ref: webSocketApi(dev).id }, '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/dev']] });
  });

  it('the web client takes the distribution\'s URL as callback and sign-out URL, beside the configured ones', () => {
    const [[, client]] = dev.of('AWS::Cognito::UserPoolClient');
    const [[distId]] = dev.of('AWS::CloudFront::Distribution');
    const url = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distId, 'DomainName'] }, '/']] };
    assert.deepEqual(client.Properties.CallbackURLs, ['http://localhost:9000/', url]);
    assert.deepEqual(client.Properties.LogoutURLs, ['http://localhost:9000/', url]);
  });

  it('without a build, the placeholder page alone', () => {
    const w = synthWeb({ webDir: path.join(fixture, 'not-built') });
    const deployments = w.of('Custom::CDKBucketDeployment');
    assert.equal(deployments.length, 1);
    assert.match(w.files(deployments[0][1].Properties.SourceObjectKeys[0])['index.html'], /not deployed yet/);
  });
});
