import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Annotations, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

import { REPO_ROOT } from './specs.ts';
import type { StageSettings } from './stage.ts';

/** The four functions and exactly the DynamoDB actions each needs; infra/routes.json maps routes to their binaries. */
export const FUNCTIONS = {
  get: {
    binary: 'people-get',
    // Reads one person.
    actions: ['dynamodb:GetItem'],
    index: false,
  },
  list: {
    binary: 'people-list',
    // Lists through the gsi1 index; the email filter queries the email claim on the table.
    actions: ['dynamodb:Query'],
    index: true,
  },
  put: {
    binary: 'people-put',
    // Create, replace and patch read the current person, then write the person and its email claim in
    // one transaction (Put, Update, Delete of the old claim, ConditionCheck); transactions are
    // authorised per item action, there is no TransactWriteItems IAM action.
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
    index: false,
  },
  delete: {
    binary: 'people-delete',
    // Reads the person to find its email and owner claims, then deletes them in one transaction; an
    // Idempotency-Key puts, updates and (after a failure) deletes its idempotency record.
    actions: ['dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    index: false,
  },
} as const;
export type FunctionName = keyof typeof FUNCTIONS;

export interface FunctionsOptions {
  /** Folder holding `<binary>/bootstrap`; missing or non-arm64 binaries are replaced by a placeholder unless `requireBuiltFunctions`. */
  functionsDir?: string;
  requireBuiltFunctions?: boolean;
  memorySize?: number;
  timeoutSeconds?: number;
}

export interface FunctionsProps extends FunctionsOptions {
  settings: StageSettings;
  table: dynamodb.ITable;
  /** The functions' `ALLOWED_ORIGINS`: exact origins, comma-separated; empty for none. */
  allowedOrigins: string;
  /** The functions' `AUTH`: `on` when the API's JWT authorizer guards every route. */
  auth: boolean;
}

/** True when the file is an ELF executable for aarch64. */
function isArm64Elf(file: string): boolean {
  try {
    const header = Buffer.alloc(20);
    const fd = fs.openSync(file, 'r');
    fs.readSync(fd, header, 0, 20, 0);
    fs.closeSync(fd);
    return header.readUInt32BE(0) === 0x7f454c46 && header.readUInt16LE(18) === 183;
  } catch {
    return false;
  }
}

let placeholderDir: string | undefined;
/** A stand-in bootstrap, so synth and tests run without building the Rust functions. */
function placeholderAsset(): string {
  if (!placeholderDir) {
    placeholderDir = fs.mkdtempSync(path.join(os.tmpdir(), 'people-placeholder-'));
    fs.writeFileSync(path.join(placeholderDir, 'bootstrap'), '#!/bin/sh\necho "placeholder: run make deploy" >&2\nexit 1\n', { mode: 0o755 });
  }
  return placeholderDir;
}

/**
 * The Lambda functions, one least-privilege role and log group each. Their resources live in the
 * stack, not under this construct (see PeopleStack).
 */
export class Functions extends Construct {
  readonly functions: Record<FunctionName, lambda.Function>;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { settings, table } = props;
    const functionsDir = props.functionsDir ?? path.join(REPO_ROOT, 'target', 'lambda');
    const functions = {} as Record<FunctionName, lambda.Function>;
    for (const [name, def] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      const built = path.join(functionsDir, def.binary);
      const ready = isArm64Elf(path.join(built, 'bootstrap'));
      if (!ready && props.requireBuiltFunctions) {
        throw new Error(`${built}/bootstrap is missing or not arm64: run \`cargo lambda build --release --arm64\` (make deploy does)`);
      }
      const logGroup = new logs.LogGroup(stack, `${name}Logs`, {
        logGroupName: `/aws/lambda/${stack.stackName}-${def.binary}`,
        retention: settings.logRetention,
        removalPolicy: settings.removalPolicy,
      });
      const role = new iam.Role(stack, `${name}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `${def.binary}: logs to its own log group, X-Ray, and ${def.actions.join(', ')} on the people table`,
      });
      role.addToPolicy(new iam.PolicyStatement({
        sid: 'OwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }));
      role.addToPolicy(new iam.PolicyStatement({
        sid: 'PeopleTable',
        actions: [...def.actions],
        resources: def.index ? [table.tableArn, `${table.tableArn}/index/gsi1`] : [table.tableArn],
      }));
      const fn = new lambda.Function(stack, `${name}Function`, {
        functionName: `${stack.stackName}-${def.binary}`,
        description: `people API: ${name} (${def.binary})`,
        runtime: lambda.Runtime.PROVIDED_AL2023,
        architecture: lambda.Architecture.ARM_64,
        handler: 'bootstrap',
        code: lambda.Code.fromAsset(ready ? built : placeholderAsset()),
        memorySize: props.memorySize ?? 128,
        timeout: Duration.seconds(props.timeoutSeconds ?? 10),
        role,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        tracing: lambda.Tracing.ACTIVE,
        environment: {
          TABLE_NAME: table.tableName,
          ALLOWED_ORIGINS: props.allowedOrigins,
          // on: the functions require the authorizer's verified claims and check scopes and ownership
          // themselves too; off: anonymous full access (context auth=false, throwaway stacks only).
          AUTH: props.auth ? 'on' : 'off',
          RUST_LOG: 'info',
        },
      });
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords (added by active tracing) support no resource-level permissions.',
      });
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(logGroup.node.defaultChild as logs.CfnLogGroup)}.Arn>:*]`,
        reason: 'Log streams of this function\'s own log group only; stream names are chosen by Lambda.',
      });
      functions[name] = fn;
    }
    this.functions = functions;
    if (!isArm64Elf(path.join(functionsDir, FUNCTIONS.get.binary, 'bootstrap'))) {
      Annotations.of(stack).addInfo('Functions use a placeholder bootstrap: run `make deploy` to build and deploy the real ones.');
    }
  }
}
