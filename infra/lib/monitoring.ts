import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
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
  /** The stack's Monitoring construct, if it has one: RealtimeMonitoring adds its widgets to its dashboard. */
  static of(stack: Stack): Monitoring | undefined {
    return stack.node.children.find((c): c is Monitoring => c instanceof Monitoring);
  }

  readonly dashboard: cloudwatch.Dashboard;

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
    this.dashboard = new cloudwatch.Dashboard(stack, 'Dashboard', { dashboardName: `${stack.stackName}`, widgets: [widgets] });
  }
}

/** The namespace of the stream function's embedded-metric lines (crates/people/src/ws/feed.rs log_metrics). */
export const REALTIME_NAMESPACE = 'people-api';
/**
 * The stream function's environment variable naming its stage, which its metric lines carry as the
 * `Stage` dimension (feed.rs `STAGE_VAR`): stages in one account write, and alarm on, their own figures.
 */
export const METRICS_STAGE_VAR = 'STAGE';
/** Pushes failing for reasons other than a gone connection: this share of at least this many pushes in 5 minutes. */
export const PUSH_FAILURE_RATE = { percent: 5, minPushes: 20 };
/** The stream is behind when its oldest unprocessed record is older than this (IteratorAge, maximum). */
export const ITERATOR_AGE_THRESHOLD = Duration.minutes(1);
/** The authorizer's share of failed invocations (refused tokens included) that means trouble, at this many invocations or more. */
export const AUTHORIZER_FAILURE_RATE = { percent: 50, minInvocations: 20 };

export interface RealtimeMonitoringProps {
  api: apigwv2.IWebSocketApi;
  stage: apigwv2.IWebSocketStage;
  /** Functions alarmed on any error or throttle: the routes' and the stream function. */
  functions: Record<string, lambda.IFunction>;
  /** The $connect authorizer, whose errors include every refused token: alarmed on its failure rate instead. */
  authorizer?: lambda.IFunction;
  /** The stream consumer, alarmed on its iterator age. */
  stream: lambda.IFunction;
  /** The event source mapping's on-failure destination. */
  failures: sqs.IQueue;
  /** The dashboard to add the widgets to (the stack's Monitoring dashboard). */
  dashboard?: cloudwatch.Dashboard;
}

/**
 * Alarms on the real-time path: each function's errors and throttles (the authorizer's failure
 * rate), the stream's iterator age, records the stream function could not deliver (its
 * `FailedRecords` metric) and its share of failed pushes (`FailedPushes`), both of this stage's
 * `Stage` dimension, records in the on-failure queue, and the WebSocket API's failed
 * integration calls and integration error rate; widgets on the stack's dashboard. Its resources
 * live in the stack, not under this construct (see PeopleStack).
 */
export class RealtimeMonitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: RealtimeMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { api, stage, functions, authorizer, stream, failures } = props;
    const alarm = (alarmId: string, alarmProps: cloudwatch.AlarmProps) => {
      const a = new cloudwatch.Alarm(stack, alarmId, alarmProps);
      this.alarms.push(a);
      return a;
    };
    const widgets: cloudwatch.IWidget[] = [];

    for (const [name, fn] of Object.entries(functions)) {
      alarm(`${name}Errors`, { alarmDescription: `${fn.node.id}: invocation errors`, metric: fn.metricErrors({ period }), ...alarmOnAny });
      alarm(`${name}Throttles`, { alarmDescription: `${fn.node.id}: throttled invocations`, metric: fn.metricThrottles({ period }), ...alarmOnAny });
    }
    if (authorizer) {
      // The authorizer fails with Unauthorized for every missing, expired or forged token, so single
      // errors are callers' mistakes; most invocations failing means it cannot verify anything (the
      // issuer's keys unreachable, a wrong issuer or audience).
      const failureRate = new cloudwatch.MathExpression({
        expression: `IF(invocations >= ${AUTHORIZER_FAILURE_RATE.minInvocations}, 100 * errors / invocations, 0)`,
        usingMetrics: { errors: authorizer.metricErrors({ period }), invocations: authorizer.metricInvocations({ period }) },
        label: 'WebSocket authorizer failures (%)',
        period,
      });
      alarm('wsAuthorizeFailureRate', {
        alarmDescription: `${authorizer.node.id}: more than ${AUTHORIZER_FAILURE_RATE.percent}% of at least ${AUTHORIZER_FAILURE_RATE.minInvocations} connection attempts refused or failed over 5 minutes`,
        metric: failureRate,
        threshold: AUTHORIZER_FAILURE_RATE.percent,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm('wsAuthorizeThrottles', { alarmDescription: `${authorizer.node.id}: throttled invocations`, metric: authorizer.metricThrottles({ period }), ...alarmOnAny });
      widgets.push(new cloudwatch.GraphWidget({ title: 'WebSocket authorizer: invocations, failure rate', left: [authorizer.metricInvocations({ period })], right: [failureRate], width: 12 }));
    }

    const iteratorAge = stream.metric('IteratorAge', { statistic: 'Maximum', period });
    alarm('StreamIteratorAge', {
      alarmDescription: `The people table's stream consumer is more than ${ITERATOR_AGE_THRESHOLD.toSeconds()} seconds behind (IteratorAge maximum over 5 minutes)`,
      metric: iteratorAge,
      threshold: ITERATOR_AGE_THRESHOLD.toMilliseconds(),
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // The stream function's embedded metrics, of this stage only (it logs them with its STAGE as the Stage dimension).
    const feedMetric = (metricName: string) => new cloudwatch.Metric({
      namespace: REALTIME_NAMESPACE, metricName, dimensionsMap: { Stage: stage.stageName }, statistic: 'Sum', period,
    });
    const failedRecords = feedMetric('FailedRecords');
    const failedPushes = feedMetric('FailedPushes');
    alarm('StreamFailedRecords', {
      alarmDescription: 'The stream function reported changes it could not deliver (FailedRecords, returned as batch item failures and retried)',
      metric: failedRecords,
      ...alarmOnAny,
    });
    // A failed push also fails its record (StreamFailedRecords), so single failures are covered there;
    // this one tells that pushes fail broadly: API Gateway's management API throttling or failing, or
    // the function not allowed to post (a wrong endpoint or policy), rather than one record.
    const pushFailureRate = new cloudwatch.MathExpression({
      expression: `IF(pushed + failed >= ${PUSH_FAILURE_RATE.minPushes}, 100 * failed / (pushed + failed), 0)`,
      usingMetrics: { failed: failedPushes, pushed: feedMetric('Pushed') },
      label: 'Failed pushes (%)',
      period,
    });
    alarm('StreamFailedPushRate', {
      alarmDescription: `The stream function: more than ${PUSH_FAILURE_RATE.percent}% of at least ${PUSH_FAILURE_RATE.minPushes} pushes to connections failed over 5 minutes (FailedPushes: not gone connections, which are pruned, but throttling, errors or denied posts to the management API)`,
      metric: pushFailureRate,
      threshold: PUSH_FAILURE_RATE.percent,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const queued = failures.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period });
    alarm('StreamFailureQueue', {
      alarmDescription: 'Stream records were given up on (retries or record age exhausted): their batches are in the on-failure queue',
      metric: queued,
      ...alarmOnAny,
    });

    const wsMetric = (metricName: string) => new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway', metricName, dimensionsMap: { ApiId: api.apiId, Stage: stage.stageName }, statistic: 'Sum', period,
    });
    const executionErrors = wsMetric('ExecutionError');
    alarm('WebSocketExecutionErrors', {
      alarmDescription: 'WebSocket API: calls to a route\'s function failed (ExecutionError)',
      metric: executionErrors,
      ...alarmOnAny,
    });
    const integrationErrorRate = new cloudwatch.MathExpression({
      expression: 'IF(connects + messages > 0, 100 * errors / (connects + messages), 0)',
      usingMetrics: { errors: wsMetric('IntegrationError'), connects: wsMetric('ConnectCount'), messages: wsMetric('MessageCount') },
      label: 'WebSocket integration 4xx/5xx rate (%)',
      period,
    });
    alarm('WebSocketIntegrationErrorRate', {
      alarmDescription: 'More than 1% of WebSocket connections and messages answered 4xx/5xx by their function over 5 minutes (IntegrationError)',
      metric: integrationErrorRate,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    widgets.unshift(
      new cloudwatch.GraphWidget({
        title: 'WebSocket: connects, messages, errors',
        left: [wsMetric('ConnectCount'), wsMetric('MessageCount')],
        right: [wsMetric('ClientError'), wsMetric('IntegrationError'), executionErrors],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Stream: iterator age, failed records and pushes, on-failure queue',
        left: [iteratorAge],
        right: [failedRecords, failedPushes, queued],
        width: 12,
      }),
    );
    for (const [name, fn] of Object.entries(functions)) {
      widgets.push(new cloudwatch.GraphWidget({
        title: `${name}: duration p50/p99, errors, throttles`,
        left: [fn.metricDuration({ statistic: 'p50', period }), fn.metricDuration({ statistic: 'p99', period })],
        right: [fn.metricErrors({ period }), fn.metricThrottles({ period })],
        width: 12,
      }));
    }
    props.dashboard?.addWidgets(...widgets);
  }
}
