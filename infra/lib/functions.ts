import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Annotations, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

import { REPO_ROOT } from './specs.ts';
import type { StageSettings } from './stage.ts';

/**
 * The four functions and exactly the DynamoDB actions each needs; infra/routes.json maps routes to
 * their binaries. `cursorKey`: the function signs list cursors, with the key in the stack's cursor
 * key secret (CURSOR_SECRET_ARN).
 */
export const FUNCTIONS = {
  get: {
    binary: 'people-get',
    // Reads one person.
    actions: ['dynamodb:GetItem'],
    index: false,
    cursorKey: false,
  },
  list: {
    binary: 'people-list',
    // Lists through the gsi1 index; the email filter queries the email claim on the table.
    actions: ['dynamodb:Query'],
    index: true,
    cursorKey: true,
  },
  put: {
    binary: 'people-put',
    // Create, replace and patch read the current person, then write the person and its email claim in
    // one transaction (Put, Update, Delete of the old claim, ConditionCheck); transactions are
    // authorised per item action, there is no TransactWriteItems IAM action.
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
    index: false,
    cursorKey: false,
  },
  delete: {
    binary: 'people-delete',
    // Reads the person to find its email and owner claims, then deletes them in one transaction; an
    // Idempotency-Key puts, updates and (after a failure) deletes its idempotency record.
    actions: ['dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    index: false,
    cursorKey: false,
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

/** One Rust function of the stack: its binary, role statements beyond its own logs, and environment. */
export interface RustFunctionSpec {
  /** The cargo-lambda binary: `<functionsDir>/<binary>/bootstrap`. */
  binary: string;
  description: string;
  roleDescription: string;
  /** What the role may do besides writing to the function's own log group (and X-Ray with `tracing`). */
  statements: iam.PolicyStatement[];
  environment: Record<string, string>;
  /** Active X-Ray tracing, which adds X-Ray's (resource-less) permissions to the role. */
  tracing: boolean;
  memorySize?: number;
  timeout?: Duration;
}

/**
 * A Rust function built by cargo-lambda (arm64, provided.al2023) with its own log group and role:
 * the role may write to that log group and do exactly `statements` (and X-Ray with `tracing`).
 * Without an arm64 `bootstrap` it runs a placeholder, unless `requireBuiltFunctions`. `id` prefixes
 * the logical ids of the log group, role and function, which live in `stack`.
 */
export function rustFunction(stack: Stack, id: string, spec: RustFunctionSpec, options: FunctionsOptions & { settings: StageSettings }): lambda.Function {
  const functionsDir = options.functionsDir ?? path.join(REPO_ROOT, 'target', 'lambda');
  const built = path.join(functionsDir, spec.binary);
  const ready = isArm64Elf(path.join(built, 'bootstrap'));
  if (!ready && options.requireBuiltFunctions) {
    throw new Error(`${built}/bootstrap is missing or not arm64: run \`cargo lambda build --release --arm64\` (make deploy does)`);
  }
  const logGroup = new logs.LogGroup(stack, `${id}Logs`, {
    logGroupName: `/aws/lambda/${stack.stackName}-${spec.binary}`,
    retention: options.settings.logRetention,
    removalPolicy: options.settings.removalPolicy,
  });
  const role = new iam.Role(stack, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: spec.roleDescription,
  });
  role.addToPolicy(new iam.PolicyStatement({
    sid: 'OwnLogs',
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupArn],
  }));
  for (const statement of spec.statements) role.addToPolicy(statement);
  const fn = new lambda.Function(stack, `${id}Function`, {
    functionName: `${stack.stackName}-${spec.binary}`,
    description: spec.description,
    runtime: lambda.Runtime.PROVIDED_AL2023,
    architecture: lambda.Architecture.ARM_64,
    handler: 'bootstrap',
    code: lambda.Code.fromAsset(ready ? built : placeholderAsset()),
    memorySize: spec.memorySize ?? options.memorySize ?? 128,
    timeout: spec.timeout ?? Duration.seconds(options.timeoutSeconds ?? 10),
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    tracing: spec.tracing ? lambda.Tracing.ACTIVE : undefined,
    environment: spec.environment,
  });
  if (spec.tracing) {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords (added by active tracing) support no resource-level permissions.',
    });
  }
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(logGroup.node.defaultChild as logs.CfnLogGroup)}.Arn>:*]`,
    reason: 'Log streams of this function\'s own log group only; stream names are chosen by Lambda.',
  });
  return fn;
}

/**
 * The key that signs the list's cursors (HMAC-SHA256; crates/people/src/cursor_key.rs): 64 random
 * letters and digits, generated by Secrets Manager when the stack is created, whose bytes are the key.
 * The list function reads it at its first listing and keeps it while it runs.
 */
function cursorKeySecret(stack: Stack): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(stack, 'CursorKey', {
    description: `${stack.stackName}: the key that signs the people API's list cursors (read by ${FUNCTIONS.list.binary})`,
    generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    // Only outstanding cursors depend on it: a new stack, or a new key, just starts listings afresh.
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const rotation = 'Not rotated automatically yet: a new key makes every outstanding cursor a 400 until its listing is started again (cursors expire after 24 hours anyway). Rotation with a grace period (sign with the new key, accept the previous one for a cursor lifetime) is future work. To rotate by hand, put a new value of 32 or more characters; list functions read it when they start, so update the list function (or wait for Lambda to recycle it) for every instance to switch.';
  Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: rotation });
  const cfn = secret.node.defaultChild as secretsmanager.CfnSecret;
  cfn.addMetadata('checkov', {
    skip: [{
      id: 'CKV_AWS_149',
      comment: 'Encrypted with the AWS-managed key aws/secretsmanager; only the list function role may read it (GetSecretValue on this secret alone), and a customer managed key adds cost and key administration without a requirement for it (the same decision as the table, CKV_AWS_119).',
    }],
  });
  return secret;
}

/**
 * The Lambda functions, one least-privilege role and log group each, and the secret that signs the
 * list's cursors. Their resources live in the stack, not under this construct (see PeopleStack).
 */
export class Functions extends Construct {
  readonly functions: Record<FunctionName, lambda.Function>;
  /** The list cursors' signing key. */
  readonly cursorKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { table } = props;
    const functionsDir = props.functionsDir ?? path.join(REPO_ROOT, 'target', 'lambda');
    const functions = {} as Record<FunctionName, lambda.Function>;
    this.cursorKey = cursorKeySecret(stack);
    for (const [name, def] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      const statements = [new iam.PolicyStatement({
        sid: 'PeopleTable',
        actions: [...def.actions],
        resources: def.index ? [table.tableArn, `${table.tableArn}/index/gsi1`] : [table.tableArn],
      })];
      if (def.cursorKey) {
        // Exactly reading this secret's value (encrypted with the AWS-managed key, so no KMS grant).
        statements.push(new iam.PolicyStatement({
          sid: 'CursorKey',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [this.cursorKey.secretArn],
        }));
      }
      functions[name] = rustFunction(stack, name, {
        binary: def.binary,
        description: `people API: ${name} (${def.binary})`,
        roleDescription: `${def.binary}: logs to its own log group, X-Ray, ${def.actions.join(', ')} on the people table${def.cursorKey ? ', and the cursor key secret' : ''}`,
        statements,
        tracing: true,
        environment: {
          TABLE_NAME: table.tableName,
          ALLOWED_ORIGINS: props.allowedOrigins,
          // on: the functions require the authorizer's verified claims and check scopes and ownership
          // themselves too; off: anonymous full access (context auth=false, throwaway stacks only).
          AUTH: props.auth ? 'on' : 'off',
          RUST_LOG: 'info',
          // The secret's ARN, not its value: the function reads the key at its first listing.
          ...(def.cursorKey ? { CURSOR_SECRET_ARN: this.cursorKey.secretArn } : {}),
        },
      }, { ...props, functionsDir });
    }
    this.functions = functions;
    if (!isArm64Elf(path.join(functionsDir, FUNCTIONS.get.binary, 'bootstrap'))) {
      Annotations.of(stack).addInfo('Functions use a placeholder bootstrap: run `make deploy` to build and deploy the real ones.');
    }
  }
}
