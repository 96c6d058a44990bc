import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';

export type Stage = 'dev' | 'prod';

/** What differs between the stages, decided once by the stack and applied by each construct. */
export interface StageSettings {
  prod: boolean;
  /** Prod keeps its table, user pool, site bucket and logs on `cdk destroy`. */
  removalPolicy: RemovalPolicy;
  logRetention: logs.RetentionDays;
}

export function stageSettings(stage: Stage): StageSettings {
  const prod = stage === 'prod';
  return {
    prod,
    removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    logRetention: prod ? logs.RetentionDays.THREE_MONTHS : logs.RetentionDays.ONE_WEEK,
  };
}
