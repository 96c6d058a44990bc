import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { createPeopleStacks, loadRoutes, loadTableSpec } from '../lib/people-stack.ts';

const app = new App();
const ctx = (key: string): string | undefined => {
  const v = app.node.tryGetContext(key);
  return v === undefined || v === null || v === '' ? undefined : String(v);
};
const stage = ctx('stage') ?? 'dev';
if (stage !== 'dev' && stage !== 'prod') {
  throw new Error(`context stage must be dev or prod, not ${stage}`);
}
const number = (key: string): number | undefined => {
  const v = ctx(key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`context ${key} must be a positive whole number, not ${v}`);
  return n;
};
const flag = (key: string): boolean | undefined => {
  const v = ctx(key);
  if (v === undefined) return undefined;
  if (v !== 'true' && v !== 'false') throw new Error(`context ${key} must be true or false, not ${v}`);
  return v === 'true';
};
const list = (key: string): string[] | undefined => ctx(key)?.split(',').map((s) => s.trim()).filter(Boolean);

createPeopleStacks(app, `people-${stage}`, {
  stage,
  tableSpec: loadTableSpec(),
  routes: loadRoutes(),
  requireBuiltFunctions: flag('requireBuiltFunctions') ?? false,
  memorySize: number('memorySize'),
  timeoutSeconds: number('timeoutSeconds'),
  allowedOrigins: ctx('allowedOrigins'),
  throttleRate: number('throttleRate'),
  throttleBurst: number('throttleBurst'),
  listThrottleRate: number('listThrottleRate'),
  listThrottleBurst: number('listThrottleBurst'),
  // On in every stage; auth=false is for throwaway stacks (synth warns).
  auth: flag('auth') ?? true,
  jwtIssuer: ctx('jwtIssuer'),
  jwtAudience: list('jwtAudience'),
  callbackUrls: list('callbackUrls'),
  authDomainPrefix: ctx('authDomainPrefix'),
  disableExecuteApiEndpoint: flag('disableExecuteApiEndpoint'),
  apiDomainName: ctx('apiDomainName'),
  apiCertificateArn: ctx('apiCertificateArn'),
  apiHostedZoneId: ctx('apiHostedZoneId'),
  apiHostedZoneName: ctx('apiHostedZoneName'),
  waf: flag('waf'),
  wafRateLimit: number('wafRateLimit'),
  webAclArn: ctx('webAclArn'),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: `people API (${stage}): HTTP API, four Rust Lambdas, DynamoDB, CloudFront + S3`,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
