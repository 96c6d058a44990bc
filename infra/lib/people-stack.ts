import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

import { Data } from './data.ts';
import { type FunctionName, Functions, type FunctionsOptions } from './functions.ts';
import { type ApiOptions, PeopleApi } from './http-api.ts';
import { Monitoring } from './monitoring.ts';
import type { RouteTable, TableSpec } from './specs.ts';
import { type Stage, stageSettings } from './stage.ts';
import { Web, type WebOptions } from './web.ts';

export { FUNCTIONS, type FunctionName } from './functions.ts';
export {
  type IndexSpec, type KeyAttribute, REPO_ROOT, type RouteSpec, type RouteTable, type TableSpec, loadRoutes, loadTableSpec,
} from './specs.ts';

export interface PeopleStackProps extends StackProps, FunctionsOptions, ApiOptions, WebOptions {
  stage: Stage;
  tableSpec: TableSpec;
  routes: RouteTable;
  /** `*` or a comma-separated list of origins: the API's CORS and the functions' `ALLOWED_ORIGINS`. */
  allowedOrigins?: string;
}

/**
 * The people API, composed of one construct per concern. The constructs create their resources in
 * this stack rather than under themselves: a construct's path is part of each resource's logical id,
 * so nesting would replace every deployed resource, the table and the user pool included.
 */
export class PeopleStack extends Stack {
  readonly table: dynamodb.Table;
  readonly functions: Record<FunctionName, lambda.Function>;
  readonly api: apigwv2.HttpApi;
  readonly distribution: cloudfront.Distribution;
  readonly siteBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: PeopleStackProps) {
    super(scope, id, props);
    const settings = stageSettings(props.stage);
    const allowedOrigins = props.allowedOrigins ?? '*';

    this.table = new Data(this, 'Data', { spec: props.tableSpec, settings }).table;
    this.functions = new Functions(this, 'Functions', { ...props, settings, table: this.table, allowedOrigins }).functions;
    const http = new PeopleApi(this, 'PeopleApi', { ...props, settings, functions: this.functions, allowedOrigins });
    this.api = http.api;
    const web = new Web(this, 'Web', { ...props, settings, api: this.api });
    this.siteBucket = web.siteBucket;
    this.distribution = web.distribution;
    new Monitoring(this, 'Monitoring', { api: this.api, stage: http.stage, functions: this.functions, table: this.table });

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'HTTP API endpoint' });
    new CfnOutput(this, 'CloudFrontUrl', { value: `https://${this.distribution.distributionDomainName}`, description: 'Web page and /people API' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
  }
}
