import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

import type { FunctionName } from './functions.ts';

export interface MonitoringProps {
  api: apigwv2.IHttpApi;
  stage: apigwv2.IHttpStage;
  functions: Record<FunctionName, lambda.IFunction>;
  table: dynamodb.ITable;
}

const period = Duration.minutes(5);

/** Alarms on anything above zero within five minutes; no data is not an error. */
const alarmOnAny = {
  threshold: 0,
  evaluationPeriods: 1,
  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
};

/**
 * Alarms on the API 5xx rate, each function's errors and throttles and DynamoDB throttling, and a
 * dashboard. Its resources live in the stack, not under this construct (see PeopleStack).
 */
export class Monitoring extends Construct {
  constructor(scope: Construct, id: string, { api, stage, functions, table }: MonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const apiRequests = new cloudwatch.Metric({ namespace: 'AWS/ApiGateway', metricName: 'Count', dimensionsMap: { ApiId: api.apiId, Stage: stage.stageName }, statistic: 'Sum', period });
    const api5xx = new cloudwatch.Metric({ namespace: 'AWS/ApiGateway', metricName: '5xx', dimensionsMap: { ApiId: api.apiId, Stage: stage.stageName }, statistic: 'Sum', period });
    const api5xxRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { errors: api5xx, requests: apiRequests },
      label: 'API 5xx rate (%)',
      period,
    });
    new cloudwatch.Alarm(stack, 'Api5xxRate', {
      alarmDescription: 'More than 1% of API requests answered 5xx over 5 minutes',
      metric: api5xxRate,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const widgets: cloudwatch.IWidget[] = [
      new cloudwatch.GraphWidget({ title: 'API requests and 5xx rate', left: [apiRequests], right: [api5xxRate], width: 12 }),
    ];
    for (const [name, fn] of Object.entries(functions)) {
      new cloudwatch.Alarm(stack, `${name}Errors`, { alarmDescription: `${fn.node.id}: invocation errors`, metric: fn.metricErrors({ period }), ...alarmOnAny });
      new cloudwatch.Alarm(stack, `${name}Throttles`, { alarmDescription: `${fn.node.id}: throttled invocations`, metric: fn.metricThrottles({ period }), ...alarmOnAny });
      widgets.push(new cloudwatch.GraphWidget({
        title: `${name}: duration p50/p99, errors, throttles`,
        left: [fn.metricDuration({ statistic: 'p50', period }), fn.metricDuration({ statistic: 'p99', period })],
        right: [fn.metricErrors({ period }), fn.metricThrottles({ period })],
        width: 12,
      }));
    }
    const ddbThrottles = table.metricThrottledRequestsForOperations({
      operations: [
        dynamodb.Operation.GET_ITEM, dynamodb.Operation.PUT_ITEM, dynamodb.Operation.UPDATE_ITEM,
        dynamodb.Operation.DELETE_ITEM, dynamodb.Operation.QUERY, dynamodb.Operation.TRANSACT_WRITE_ITEMS,
      ],
      period,
    });
    new cloudwatch.Alarm(stack, 'TableThrottles', { alarmDescription: 'DynamoDB throttled requests on the people table', metric: ddbThrottles, ...alarmOnAny });
    widgets.push(new cloudwatch.GraphWidget({ title: 'DynamoDB throttled requests', left: [ddbThrottles], width: 12 }));
    new cloudwatch.Dashboard(stack, 'Dashboard', { dashboardName: `${stack.stackName}`, widgets: [widgets] });
  }
}
