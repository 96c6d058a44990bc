// Shared by the test files: the stack built as bin/app.ts builds it, from the committed exports.
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
