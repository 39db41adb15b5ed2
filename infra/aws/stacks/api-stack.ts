import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  LogGroupLogDestination,
  type CorsPreflightOptions,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { WorkQueue } from '../../../shared/config/config';
import { QUEUE_MODALITIES } from '../../../shared/kernel/modality';
import { EXPORTS_QUEUE } from '../../../shared/kernel/work-queues';
import type { RouteSpec } from '../../../shared/http/route';
import { grantDataApi, grantObjects, type DataApiTarget, type ObjectAccess } from '../constructs/access';
import { ApiDistribution } from '../constructs/api-distribution';
import { Argon2Layer, SharpLayer } from '../constructs/native-modules-layer';
import { PipeWeaveFunction } from '../constructs/pipeweave-function';
import {
  dataApiEnvironment,
  environment,
  STRIPE_SECRET_VARIABLE,
  type FunctionEnvironment,
} from '../function-environment';
import { executionsArn, nagExecutionsArn, type ResourceNames } from '../naming';
import { RUN_PIPELINE_MACHINE } from './pipelines-stack';

/** What the function of one API group may do besides querying the database. */
export interface ApiGroupAccess {
  objects?: ObjectAccess;
  /** The work queues it sends to: the modality queues (`POST …/complete`), the exports queue. */
  queues?: readonly WorkQueue[];
  /** Starts, stops and inspects `run-pipeline` executions. */
  pipelines?: boolean;
  /** Creates and removes per-dataset refresh schedules. */
  schedules?: boolean;
  /** Reads the Stripe keys. */
  stripe?: boolean;
  /** Decodes images with sharp (image models predict from the image sent). */
  images?: boolean;
  memorySize?: number;
  timeout?: Duration;
}

/**
 * Access per API group. A group not listed here gets database access only; a group that needs
 * more fails at runtime with AccessDenied, which is the safe direction.
 */
export const API_GROUP_ACCESS: Record<string, ApiGroupAccess> = {
  datasets: {
    objects: { read: ['raw/', 'processed/', 'reports/'], write: ['raw/'] },
    queues: QUEUE_MODALITIES,
    schedules: true,
  },
  // pipelines (definitions, validation, templates) and catalog need the database only.
  jobs: { objects: { read: ['jobs/'] }, pipelines: true },
  models: { objects: { read: ['models/'] }, images: true },
  // Presigned downloads of every stored artifact (an originally uploaded file included); exports
  // are queued for their worker and deleted with their files.
  exports: {
    objects: { read: ['raw/', 'processed/', 'jobs/', 'exports/'], delete: ['exports/'] },
    queues: [EXPORTS_QUEUE],
  },
  analyses: { objects: { read: ['processed/', 'jobs/'] }, pipelines: true },
  credits: { stripe: true },
  webhooks: { stripe: true },
  // Profiles larger than 1 MiB live under reports/; previews come from the stored profile.
  'dataset-insights': { objects: { read: ['processed/', 'reports/'] } },
};

export interface ApiStackProps extends StackProps {
  names: ResourceNames;
  database: DataApiTarget & { name: string };
  routes: readonly RouteSpec[];
  /** API group → handler entry file (repository-relative). */
  groups: Readonly<Record<string, string>>;
  queues: Readonly<Record<WorkQueue, IQueue>>;
  stripeSecret: ISecret;
  scheduler: { role: IRole; targetArn: string };
  corsOrigins: string[];
  throttle: { rateLimit: number; burstLimit: number };
}

/**
 * The HTTP API: one Lambda function per API group, one route per RouteSpec in
 * functions/api/routes.ts, JSON access logs and stage throttling.
 */
export class ApiStack extends Stack {
  readonly httpApi: HttpApi;
  readonly groupFunctions: Record<string, PipeWeaveFunction>;
  readonly accessLogs: LogGroup;
  /** The public entry: CloudFront in front of the HTTP API, adding the security headers. */
  readonly cdn: ApiDistribution;
  /** HS256 key that signs access tokens; read by every group with signed-in routes. */
  readonly jwtSigningSecret: Secret;
  readonly argon2: Argon2Layer;
  #sharp: SharpLayer | undefined;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { names, database } = props;

    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `${names.prefix}-api`,
      description: 'PipeWeave REST API',
      createDefaultStage: false,
      // Cross-origin callers only from the configured origins (`*` only when configured so).
      ...(props.corsOrigins.length > 0 ? { corsPreflight: this.corsPreflight(props.corsOrigins) } : {}),
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.THREE_MONTHS });
    this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            userAgent: '$context.identity.userAgent',
            responseLength: '$context.responseLength',
          }),
        ),
      },
    });

    this.cdn = new ApiDistribution(this, 'Cdn', { httpApi: this.httpApi, namePrefix: names.prefix });

    // API bundles that register or sign users in hash passwords with a native argon2 binding.
    this.argon2 = new Argon2Layer(this, 'Argon2');

    this.jwtSigningSecret = new Secret(this, 'JwtSigningKey', {
      description: 'PipeWeave access-token signing key (HS256)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.jwtSigningSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Functions cache the key per cold start, so a scheduled rotation would reject valid tokens until every instance recycles; rotate by hand (new value, then redeploy) when needed.',
    });

    // Links, callbacks and the docs' server name the CDN's URL; without configured origins, CORS
    // allows that origin only.
    const baseEnv = environment(dataApiEnvironment(database), {
      ...(props.corsOrigins.length > 0 ? { PW_CORS_ORIGINS: props.corsOrigins.join(',') } : {}),
      PW_PUBLIC_URL: this.cdn.url,
    });

    const usedGroups = [...new Set(props.routes.map((route) => route.group))].sort();
    this.groupFunctions = {};
    for (const group of usedGroups) {
      const entry = props.groups[group];
      if (!entry) {
        throw new Error(
          `API route group "${group}" has no handler entry in apiGroups (functions/api/routes.ts); routes: ${props.routes
            .filter((route) => route.group === group)
            .map((route) => `${route.method} ${route.path}`)
            .join(', ')}`,
        );
      }
      this.groupFunctions[group] = this.groupFunction(
        group,
        entry,
        API_GROUP_ACCESS[group] ?? {},
        baseEnv,
        props,
      );
    }

    for (const route of props.routes) {
      const fn = this.groupFunctions[route.group];
      if (!fn) throw new Error(`No function for API group "${route.group}".`);
      this.httpApi.addRoutes({
        path: route.path,
        // HEAD is served wherever GET is: the handler answers it without a body.
        methods: route.method === 'GET' ? [HttpMethod.GET, HttpMethod.HEAD] : [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.operationId}Integration`, fn.function, {
          // One invoke permission per function, not per route: 500 resources is a stack's limit.
          scopePermissionToRoute: false,
        }),
      });
    }
    // Requests no route matches reach the system function instead of API Gateway's bare 404, so
    // they get a problem+json answer with the security headers every other response carries.
    const fallback = this.groupFunctions['system'];
    if (fallback) {
      new HttpRoute(this.httpApi, 'DefaultRoute', {
        httpApi: this.httpApi,
        routeKey: HttpRouteKey.DEFAULT,
        integration: new HttpLambdaIntegration('DefaultRouteIntegration', fallback.function, {
          scopePermissionToRoute: false,
        }),
      });
    }

    Validations.of(this.httpApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Callers authenticate with JWT access tokens or API keys that the handlers verify per route (RouteSpec.auth); public routes (register, login, Stripe webhooks, docs) must stay open.',
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.cdn.url,
      description: 'PipeWeave API base URL (CloudFront: security headers on every answer)',
    });
    new CfnOutput(this, 'HttpApiUrl', {
      value: this.httpApi.apiEndpoint,
      description:
        'The HTTP API behind the CDN, for diagnosis only: its own 413, 429 and 5xx answers lack the security headers',
    });
  }

  /** Preflight answers for `origins`, with the methods and headers the API takes. */
  private corsPreflight(origins: string[]): CorsPreflightOptions {
    return {
      allowOrigins: origins,
      allowMethods: [
        CorsHttpMethod.GET,
        CorsHttpMethod.HEAD,
        CorsHttpMethod.POST,
        CorsHttpMethod.PUT,
        CorsHttpMethod.PATCH,
        CorsHttpMethod.DELETE,
      ],
      allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-api-key'],
      exposeHeaders: ['x-request-id'],
      maxAge: Duration.hours(1),
    };
  }

  /** One sharp layer for the groups that decode images, made when the first one needs it. */
  private sharpLayer(): SharpLayer {
    this.#sharp ??= new SharpLayer(this, 'Sharp');
    return this.#sharp;
  }

  private groupFunction(
    group: string,
    entry: string,
    access: ApiGroupAccess,
    baseEnv: FunctionEnvironment,
    props: ApiStackProps,
  ): PipeWeaveFunction {
    const { names } = props;
    const extraEnv: FunctionEnvironment = {};
    if (access.objects) extraEnv.PW_BUCKET = names.dataBucketName;
    if (access.queues) {
      extraEnv.PW_QUEUE_URLS = this.toJsonString(
        Object.fromEntries(access.queues.map((name) => [name, props.queues[name].queueUrl])),
      );
    }
    if (access.pipelines) {
      extraEnv.PW_STATE_MACHINE_ARNS = this.toJsonString({
        [RUN_PIPELINE_MACHINE]: names.runPipelineStateMachineArn,
      });
    }
    if (access.schedules) {
      extraEnv.PW_SCHEDULER_GROUP = names.schedulerGroupName;
      extraEnv.PW_SCHEDULER_ROLE_ARN = props.scheduler.role.roleArn;
      extraEnv.PW_SCHEDULER_TARGET_ARN = props.scheduler.targetArn;
    }
    if (access.stripe) extraEnv[STRIPE_SECRET_VARIABLE] = props.stripeSecret.secretArn;
    const signsIn = props.routes.some((route) => route.group === group && route.auth !== 'none');
    if (signsIn) extraEnv.PW_JWT_SECRET_ARN = this.jwtSigningSecret.secretArn;

    const fn = new PipeWeaveFunction(this, `${pascal(group)}Api`, {
      entry,
      description: `PipeWeave API: ${group} routes`,
      memorySize: access.memorySize ?? 1024,
      // API Gateway gives up on an integration after 30 s.
      timeout: access.timeout ?? Duration.seconds(29),
      environment: environment(baseEnv, extraEnv),
      layers: [this.argon2.layer, ...(access.images ? [this.sharpLayer().layer] : [])],
    });
    grantDataApi(fn.role, props.database);
    if (access.objects)
      grantObjects(fn.role, names, access.objects, `API ${group}: presigned transfers of its own objects`);
    for (const name of access.queues ?? []) props.queues[name].grantSendMessages(fn.role);
    if (access.pipelines) {
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['states:StartExecution'],
          resources: [names.runPipelineStateMachineArn],
        }),
      );
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['states:DescribeExecution', 'states:StopExecution'],
          resources: [executionsArn(names.runPipelineStateMachineName)],
        }),
      );
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagExecutionsArn(names.runPipelineStateMachineName)}]`,
        reason:
          'Execution names are generated per job; access is limited to executions of the run-pipeline machine.',
      });
    }
    if (access.schedules) {
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: [
            'scheduler:CreateSchedule',
            'scheduler:DeleteSchedule',
            'scheduler:GetSchedule',
            'scheduler:UpdateSchedule',
          ],
          resources: [
            `arn:${this.partition}:scheduler:${this.region}:${this.account}:schedule/${names.schedulerGroupName}/*`,
          ],
        }),
      );
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [props.scheduler.role.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }),
      );
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${names.schedulerGroupName}/*]`,
        reason:
          'One schedule per dataset, named after it; access is limited to the dataset refresh schedule group.',
      });
    }
    if (access.stripe) props.stripeSecret.grantRead(fn.role);
    if (signsIn) this.jwtSigningSecret.grantRead(fn.role);
    return fn;
  }
}

function pascal(value: string): string {
  return value
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
