import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';

export type Stage = 'dev' | 'prod';

/** What differs between the stages, decided once by the stack and applied by each construct. */
export interface StageSettings {
  prod: boolean;
  /** Prod keeps its table, user pool, site bucket and logs on `cdk destroy`. */
  removalPolicy: RemovalPolicy;
  logRetention: logs.RetentionDays;
  /** Stage-wide requests per second and burst, per route (context `throttleRate`, `throttleBurst`). */
  throttle: { rate: number; burst: number };
  /** The list route's, lower than the stage's: a page costs a Query (context `listThrottleRate`, `listThrottleBurst`). */
  listThrottle: { rate: number; burst: number };
  /** A WAF web ACL in front of CloudFront (context `waf`). */
  waf: boolean;
  /** Turn off the API's execute-api endpoint, so traffic comes through CloudFront (context `disableExecuteApiEndpoint`). */
  disableExecuteApiEndpoint: boolean;
}

export function stageSettings(stage: Stage): StageSettings {
  const prod = stage === 'prod';
  return {
    prod,
    removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    logRetention: prod ? logs.RetentionDays.THREE_MONTHS : logs.RetentionDays.ONE_WEEK,
    throttle: prod ? { rate: 1000, burst: 2000 } : { rate: 100, burst: 200 },
    listThrottle: prod ? { rate: 200, burst: 400 } : { rate: 20, burst: 40 },
    waf: prod,
    disableExecuteApiEndpoint: prod,
  };
}
