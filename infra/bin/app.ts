import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { PeopleStack, loadRoutes, loadTableSpec } from '../lib/people-stack.ts';

const app = new App();
const ctx = (key: string): string | undefined => {
  const v = app.node.tryGetContext(key);
  return v === undefined || v === null || v === '' ? undefined : String(v);
};
const stage = ctx('stage') ?? 'dev';
if (stage !== 'dev' && stage !== 'prod') {
  throw new Error(`context stage must be dev or prod, not ${stage}`);
}
const number = (key: string) => (ctx(key) === undefined ? undefined : Number(ctx(key)));

new PeopleStack(app, `people-${stage}`, {
  stage,
  tableSpec: loadTableSpec(),
  routes: loadRoutes(),
  requireBuiltFunctions: ctx('requireBuiltFunctions') === 'true',
  memorySize: number('memorySize'),
  timeoutSeconds: number('timeoutSeconds'),
  allowedOrigins: ctx('allowedOrigins'),
  throttleRate: number('throttleRate'),
  throttleBurst: number('throttleBurst'),
  auth: ctx('auth') === undefined ? stage === 'prod' : ctx('auth') === 'true',
  jwtIssuer: ctx('jwtIssuer'),
  jwtAudience: ctx('jwtAudience')?.split(',').map((a) => a.trim()),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: `people API (${stage}): HTTP API, four Rust Lambdas, DynamoDB, CloudFront + S3`,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
