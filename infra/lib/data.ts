import { Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

import type { KeyAttribute, TableSpec } from './specs.ts';
import type { StageSettings } from './stage.ts';

export interface DataProps {
  spec: TableSpec;
  settings: StageSettings;
}

/**
 * The people table, from the model's definition. Its resources live in the stack, not under this
 * construct (see PeopleStack).
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
