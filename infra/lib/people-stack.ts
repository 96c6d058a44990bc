import { Annotations, CfnOutput, CrossStackReferences, ReferenceStrength, Stack, type StackProps, Token } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

import { Data } from './data.ts';
import { type FunctionName, Functions, type FunctionsOptions } from './functions.ts';
import { type ApiOptions, PeopleApi, parseAllowedOrigins } from './http-api.ts';
import { Monitoring } from './monitoring.ts';
import type { RouteTable, TableSpec } from './specs.ts';
import { type Stage, stageSettings } from './stage.ts';
import { EdgeStack, WAF_REGION, type WafOptions, createWebAcl, requireWafRegion } from './waf.ts';
import { Web, type WebOptions } from './web.ts';
import { RealTime } from './websocket.ts';

export { FUNCTIONS, type FunctionName } from './functions.ts';
export {
  type IndexSpec, type KeyAttribute, REPO_ROOT, RESOURCE_SERVER, type RouteSpec, type RouteTable, SCOPES, type Scope, type TableSpec,
  loadRoutes, loadTableSpec, routeKey,
} from './specs.ts';
export { EdgeStack, WAF_REGION } from './waf.ts';

export interface PeopleStackProps extends StackProps, FunctionsOptions, ApiOptions, WebOptions, WafOptions {
  stage: Stage;
  tableSpec: TableSpec;
  routes: RouteTable;
  /**
   * Exact origins, comma-separated, that may call the API cross-origin: the API's CORS and the
   * functions' `ALLOWED_ORIGINS`. Unset: none, as the page shares the CloudFront origin with the API.
   * `*` fails synth in prod.
   */
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
  /** The secret whose value signs the list's cursors (the list function's CURSOR_SECRET_ARN). */
  readonly cursorKey: secretsmanager.ISecret;
  readonly api: apigwv2.HttpApi;
  readonly distribution: cloudfront.Distribution;
  readonly siteBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: PeopleStackProps) {
    super(scope, id, props);
    // The edge stack's web ACL ARN arrives through a strong cross-region reference: CDK's exports writer
    // and reader (an SSM parameter in this region, kept by custom resources), which also stop the ACL
    // from being deleted while this stack uses it. Set explicitly; it is also the library's default.
    if (props.crossRegionReferences) CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);
    const settings = stageSettings(props.stage);
    const origins = parseAllowedOrigins(props.allowedOrigins, settings.prod);
    const auth = props.auth ?? true;
    if (!auth) {
      Annotations.of(this).addWarning(
        `Authorization is OFF (context auth=false): every route of ${id}, writes included, is open to anyone on the internet who finds its URL. Use this for throwaway stacks only, and destroy them after use.`,
      );
    }

    // WAF: a web ACL passed in (an edge stack's, or an existing one), or one created here, which only
    // works when this stack is in us-east-1 (see createPeopleStacks for the other regions).
    let webAclArn = props.webAclArn;
    if (!webAclArn && (props.waf ?? settings.waf)) {
      if (!Token.isUnresolved(this.region) && this.region !== WAF_REGION) {
        throw new Error(`${id} is in ${this.region}, but a CloudFront web ACL must be in ${WAF_REGION}: build the stacks with createPeopleStacks (it adds a us-east-1 edge stack), or pass webAclArn, or waf=false`);
      }
      webAclArn = createWebAcl(this, this.stackName, props.wafRateLimit).attrArn;
      if (Token.isUnresolved(this.region)) requireWafRegion(this);
    }

    this.table = new Data(this, 'Data', { spec: props.tableSpec, settings }).table;
    const functions = new Functions(this, 'Functions', { ...props, settings, table: this.table, auth, allowedOrigins: origins.join(',') });
    this.functions = functions.functions;
    this.cursorKey = functions.cursorKey;
    const http = new PeopleApi(this, 'PeopleApi', { ...props, settings, functions: this.functions, auth, allowedOrigins: origins });
    this.api = http.api;
    new Monitoring(this, 'Monitoring', { api: this.api, stage: http.stage, functions: this.functions, table: this.table });
    const realtime = new RealTime(this, 'RealTime', { ...props, settings, table: this.table, auth, httpApi: this.api });
    // The page gets live updates from the WebSocket stage: its URL in config.json, its origin in connect-src.
    const webSocket = { url: realtime.url, origin: realtime.api.apiEndpoint };
    const web = new Web(this, 'Web', { ...props, settings, apiOrigin: http.originDomain, webAclArn, signIn: http.signIn, webSocket });
    this.siteBucket = web.siteBucket;
    this.distribution = web.distribution;

    new CfnOutput(this, 'ApiUrl', { value: http.url, description: 'HTTP API endpoint' });
    new CfnOutput(this, 'CloudFrontUrl', { value: `https://${this.distribution.distributionDomainName}`, description: 'Web page and /people API' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
  }
}

/**
 * The people stack, and when it needs a web ACL outside us-east-1, the `<id>-edge` stack in us-east-1
 * that holds it (CloudFront web ACLs exist only there); the people stack reads the ACL's ARN through
 * CDK's cross-region references. bin/app.ts and the tests build the stacks with this.
 */
export function createPeopleStacks(scope: Construct, id: string, props: PeopleStackProps): { stack: PeopleStack; edge?: EdgeStack } {
  const region = props.env?.region;
  const wafOn = props.waf ?? stageSettings(props.stage).waf;
  const elsewhere = region !== undefined && !Token.isUnresolved(region) && region !== WAF_REGION;
  if (!wafOn || props.webAclArn || !elsewhere) return { stack: new PeopleStack(scope, id, props) };
  const edge = new EdgeStack(scope, `${id}-edge`, {
    peopleStackName: id,
    rateLimit: props.wafRateLimit,
    env: { account: props.env?.account },
    description: `people API (${props.stage}): the WAF web ACL in front of ${id}'s CloudFront distribution`,
  });
  const stack = new PeopleStack(scope, id, { ...props, webAclArn: edge.webAcl.attrArn, crossRegionReferences: true });
  return { stack, edge };
}
