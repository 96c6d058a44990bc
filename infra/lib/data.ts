import { Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

import type { KeyAttribute, StreamView, TableSpec } from './specs.ts';
import type { StageSettings } from './stage.ts';

export interface DataProps {
  spec: TableSpec;
  settings: StageSettings;
}

const STREAM_VIEWS: Record<StreamView, dynamodb.StreamViewType> = {
  NEW_AND_OLD_IMAGES: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
  NEW_IMAGE: dynamodb.StreamViewType.NEW_IMAGE,
  OLD_IMAGE: dynamodb.StreamViewType.OLD_IMAGE,
  KEYS_ONLY: dynamodb.StreamViewType.KEYS_ONLY,
};

/** The table's stream view from the spec's `stream`, checked; undefined when the spec has none. */
export function streamView(spec: TableSpec): dynamodb.StreamViewType | undefined {
  if (spec.stream === undefined || spec.stream === null) return undefined;
  const view = Object.hasOwn(STREAM_VIEWS, spec.stream) ? STREAM_VIEWS[spec.stream] : undefined;
  if (!view) {
    throw new Error(`infra/table-spec.json: stream ${JSON.stringify(spec.stream)} is not one of ${Object.keys(STREAM_VIEWS).join(', ')} (regenerate the file with \`make table-spec\`)`);
  }
  return view;
}

/**
 * The people table, from the model's definition, with the stream the definition asks for (the
 * real-time feed reads it). Its resources live in the stack, not under this construct (see
 * PeopleStack).
 */
export class Data extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, { spec, settings }: DataProps) {
    super(scope, id);
    const attr = (k: KeyAttribute) => ({ name: k.name, type: k.type as dynamodb.AttributeType });
    this.table = new dynamodb.Table(Stack.of(this), 'Table', {
      partitionKey: attr(spec.partition_key),
      sortKey: spec.sort_key ? attr(spec.sort_key) : undefined,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: settings.prod,
      removalPolicy: settings.removalPolicy,
      timeToLiveAttribute: spec.ttl_attribute ?? undefined,
      stream: streamView(spec),
    });
    for (const ix of spec.global_secondary_indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: ix.name,
        partitionKey: attr(ix.partition_key),
        sortKey: ix.sort_key ? attr(ix.sort_key) : undefined,
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    for (const ix of spec.local_secondary_indexes) {
      if (!ix.sort_key) throw new Error(`local index ${ix.name} needs a sort key`);
      this.table.addLocalSecondaryIndex({ indexName: ix.name, sortKey: attr(ix.sort_key), projectionType: dynamodb.ProjectionType.ALL });
    }
    Validations.of(this.table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason: 'Point-in-time recovery is enabled through pointInTimeRecoverySpecification.',
    });
  }
}
