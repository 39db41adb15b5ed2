import type { App, Environment, StackProps } from 'aws-cdk-lib';
import { apiGroups, apiRoutes } from '../../functions/api/routes';
import { QUEUE_MODALITIES } from '../../shared/kernel/modality';
import { EXPORTS_QUEUE, type WorkQueue } from '../../shared/kernel/work-queues';
import type { RouteSpec } from '../../shared/http/route';
import { resourceNames } from './naming';
import { ApiStack } from './stacks/api-stack';
import { BillingStack } from './stacks/billing-stack';
import { DataStack, NODE_SUBNETS } from './stacks/data-stack';
import { ExportsStack } from './stacks/exports-stack';
import { IngestionStack } from './stacks/ingestion-stack';
import { PipelinesStack } from './stacks/pipelines-stack';
import { SchedulesStack } from './stacks/schedules-stack';

export interface PipeWeaveAppOptions {
  /** Stack name prefix and resource name prefix. @default 'PipeWeave' */
  prefix?: string;
  /** Browser origins allowed by the API and by presigned uploads. @default ['*'] */
  corsOrigins?: string[];
  /** Aurora Serverless v2 ceiling in ACUs. @default 4 */
  databaseMaxCapacity?: number;
  /** Interface VPC endpoints in both AZs instead of one. @default false */
  endpointsInEveryAz?: boolean;
  /** SNS topic that the dead-letter alarms notify. @default no action (alarm state only) */
  alarmTopicArn?: string;
  /** Default stage throttling of the HTTP API. @default 50 requests/s, burst 100 */
  apiThrottle?: { rateLimit: number; burstLimit: number };
  /** Routes and group entries; defaults to functions/api/routes.ts. */
  api?: { routes: readonly RouteSpec[]; groups: Readonly<Record<string, string>> };
  /** Leave undefined to keep the stacks environment-agnostic (no lookups, no credentials at synth). */
  env?: Environment;
}

export interface PipeWeaveStacks {
  data: DataStack;
  ingestion: IngestionStack;
  exports: ExportsStack;
  pipelines: PipelinesStack;
  schedules: SchedulesStack;
  billing: BillingStack;
  api: ApiStack;
}

/** Adds the PipeWeave stacks, one per concern, to a CDK app. */
export function buildPipeWeaveApp(app: App, options: PipeWeaveAppOptions = {}): PipeWeaveStacks {
  const prefix = options.prefix ?? 'PipeWeave';
  const names = resourceNames(prefix);
  const corsOrigins = options.corsOrigins ?? ['*'];
  const common: StackProps = {
    ...(options.env ? { env: options.env } : {}),
    tags: { project: 'pipeweave' },
  };

  const data = new DataStack(app, `${prefix}-Data`, {
    ...common,
    description: 'PipeWeave network, Aurora PostgreSQL (Data API) and the data bucket',
    names,
    corsOrigins,
    maxCapacity: options.databaseMaxCapacity ?? 4,
    endpointsInEveryAz: options.endpointsInEveryAz ?? false,
  });
  const database = { clusterArn: data.clusterArn, secretArn: data.secretArn, name: data.databaseName };

  const ingestion = new IngestionStack(app, `${prefix}-Ingestion`, {
    ...common,
    description: 'PipeWeave ingestion: S3 events, modality queues with DLQs, workers',
    names,
    database,
    ...(options.alarmTopicArn ? { alarmTopicArn: options.alarmTopicArn } : {}),
  });
  // The bucket is imported by name there, which CloudFormation cannot see as a dependency.
  ingestion.addStackDependency(data, 'S3 notifications are attached to the data bucket');

  const exportsStack = new ExportsStack(app, `${prefix}-Exports`, {
    ...common,
    description: 'PipeWeave exports: exports queue with DLQ, exports worker, daily sweep',
    names,
    database,
    ...(options.alarmTopicArn ? { alarmTopicArn: options.alarmTopicArn } : {}),
  });

  const pipelines = new PipelinesStack(app, `${prefix}-Pipelines`, {
    ...common,
    description: 'PipeWeave pipeline runs: run-pipeline state machine, node runner, Fargate node task',
    names,
    database,
    vpc: data.vpc,
    nodeSubnets: data.vpc.selectSubnets({ subnetGroupName: NODE_SUBNETS }).subnets,
    nodeSecurityGroup: data.nodeSecurityGroup,
  });

  const schedules = new SchedulesStack(app, `${prefix}-Schedules`, {
    ...common,
    description: 'PipeWeave schedules: job sweeper, dataset refresh, purge, per-dataset schedule group',
    names,
    database,
    ingestionQueues: Object.fromEntries(
      QUEUE_MODALITIES.map((modality) => [modality, ingestion.modalities[modality].queue]),
    ) as Record<(typeof QUEUE_MODALITIES)[number], ExportsStack['queue']>,
  });
  schedules.addStackDependency(
    pipelines,
    'The sweeper lists, describes and stops run-pipeline executions by name',
  );

  const billing = new BillingStack(app, `${prefix}-Billing`, {
    ...common,
    description: 'PipeWeave billing: Stripe keys secret',
  });

  const routes = options.api?.routes ?? apiRoutes;
  const groups = options.api?.groups ?? apiGroups;
  const queues = {
    ...Object.fromEntries(
      QUEUE_MODALITIES.map((modality) => [modality, ingestion.modalities[modality].queue]),
    ),
    [EXPORTS_QUEUE]: exportsStack.queue,
  } as Record<WorkQueue, ExportsStack['queue']>;
  const api = new ApiStack(app, `${prefix}-Api`, {
    ...common,
    description: 'PipeWeave HTTP API: one function per API group, Stripe webhooks',
    names,
    database,
    routes,
    groups,
    queues,
    stripeSecret: billing.stripeSecret,
    scheduler: { role: schedules.schedulerRole, targetArn: schedules.refreshDatasets.function.functionArn },
    // The API answers cross-origin callers only from origins given explicitly (`*` included).
    corsOrigins: options.corsOrigins ?? [],
    throttle: options.apiThrottle ?? { rateLimit: 50, burstLimit: 100 },
  });
  api.addStackDependency(pipelines, 'API groups start run-pipeline executions by name');

  return { data, ingestion, exports: exportsStack, pipelines, schedules, billing, api };
}
