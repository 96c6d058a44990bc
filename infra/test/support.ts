// Shared by the test files: the stack built as bin/app.ts builds it, from the committed exports.
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

import { PeopleStack, type PeopleStackProps, type TableSpec, loadRoutes, loadTableSpec } from '../lib/people-stack.ts';

export type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;

export function build(stage: 'dev' | 'prod', extra: Partial<PeopleStackProps> = {}, spec: TableSpec = loadTableSpec()) {
  const app = new App();
  const stack = new PeopleStack(app, `people-${stage}`, {
    stage,
    tableSpec: spec,
    routes: loadRoutes(),
    auth: stage === 'prod',
    env: { account: '123456789012', region: 'eu-west-1' },
    ...extra,
  });
  return { app, stack };
}

export function synth(stage: 'dev' | 'prod', extra: Partial<PeopleStackProps> = {}, spec: TableSpec = loadTableSpec()) {
  const { app, stack } = build(stage, extra, spec);
  return { app, stack, template: Template.fromStack(stack) };
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
