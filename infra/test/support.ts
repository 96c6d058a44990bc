// Shared by the test files: the stack built as bin/app.ts builds it, from the committed exports.
import assert from 'node:assert/strict';

import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

import { type PeopleStackProps, type TableSpec, createPeopleStacks, loadRoutes, loadTableSpec } from '../lib/people-stack.ts';

export type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;

/**
 * Prod turns the execute-api endpoint off, so it needs a custom domain for the API (infra.mk passes
 * the same example values to `cdk synth`).
 */
export const PROD_API_DOMAIN: Partial<PeopleStackProps> = {
  apiDomainName: 'api.people.example.com',
  apiCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
};

export function build(stage: 'dev' | 'prod', extra: Partial<PeopleStackProps> = {}, spec: TableSpec = loadTableSpec()) {
  const app = new App();
  const { stack, edge } = createPeopleStacks(app, `people-${stage}`, {
    stage,
    tableSpec: spec,
    routes: loadRoutes(),
    env: { account: '123456789012', region: 'eu-west-1' },
    ...(stage === 'prod' ? PROD_API_DOMAIN : {}),
    ...extra,
  });
  return { app, stack, edge };
}

export function synth(stage: 'dev' | 'prod', extra: Partial<PeopleStackProps> = {}, spec: TableSpec = loadTableSpec()) {
  const { app, stack, edge } = build(stage, extra, spec);
  return { app, stack, edge, template: Template.fromStack(stack), edgeTemplate: edge ? Template.fromStack(edge) : undefined };
}

export function resources(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** The logical id of the function built from `binary`. */
export function functionId(template: Template, binary: string): string {
  const [id] = Object.entries(resources(template, 'AWS::Lambda::Function')).find(([, r]) =>
    String(r.Properties.FunctionName ?? '').endsWith(binary),
  )!;
  return id;
}

export const asList = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

/** The logical id of the API of `protocol` (the stack has one HTTP API and one WebSocket API). */
export function apiId(template: Template, protocol: 'HTTP' | 'WEBSOCKET'): string {
  const ids = Object.entries(resources(template, 'AWS::ApiGatewayV2::Api')).filter(([, r]) => r.Properties.ProtocolType === protocol).map(([id]) => id);
  assert.equal(ids.length, 1, `one ${protocol} API`);
  return ids[0];
}

/** The resources of `type` (routes, integrations, authorizers, stages) that belong to the API of `protocol`. */
export function apiResources(template: Template, type: string, protocol: 'HTTP' | 'WEBSOCKET'): Resources {
  const id = apiId(template, protocol);
  return Object.fromEntries(Object.entries(resources(template, type)).filter(([, r]) => r.Properties.ApiId?.Ref === id));
}

/** Every IAM statement attached to a function's role. */
export function roleStatements(template: Template, fnId: string): any[] {
  const fn = resources(template, 'AWS::Lambda::Function')[fnId];
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(resources(template, 'AWS::IAM::Policy'))
    .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}
