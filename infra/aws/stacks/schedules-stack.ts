import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { grantDataApi, grantObjects, type DataApiTarget } from '../constructs/access';
import { PipeWeaveFunction } from '../constructs/pipeweave-function';
import {
  EXECUTION_EVENT_SOURCE,
  EXECUTION_STATUS_CHANGE,
  RECONCILED_EXECUTION_STATUSES,
  type SweepRequest,
} from '../../../shared/domain/runs/execution-status-event';
import { USER_PREFIX_NAMES } from '../../../shared/storage/object-keys';
import { QUEUE_MODALITIES, type QueueModality } from '../../../shared/kernel/modality';
import { dataApiEnvironment, environment } from '../function-environment';
import { executionsArn, nagExecutionsArn, type ResourceNames } from '../naming';
import { RUN_PIPELINE_MACHINE } from './pipelines-stack';

export const SWEEP_JOBS_ENTRY = 'functions/schedules/sweep-jobs/handler.ts';
export const REFRESH_DATASETS_ENTRY = 'functions/schedules/refresh-datasets/handler.ts';
export const PURGE_DELETED_ENTRY = 'functions/schedules/purge-deleted/handler.ts';
export const SWEEP_BILLING_ENTRY = 'functions/schedules/sweep-billing/handler.ts';
export const SWEEP_VERSIONS_ENTRY = 'functions/schedules/sweep-versions/handler.ts';
export const MONITOR_NEW_VERSIONS_ENTRY = 'functions/schedules/monitor-new-versions/handler.ts';

/** Every prefix that holds a user's objects; purging a soft-deleted owner's data touches them all. */
export const USER_DATA_PREFIXES = USER_PREFIX_NAMES.map((name) => `${name}/`);

export interface SchedulesStackProps extends StackProps {
  names: ResourceNames;
  database: DataApiTarget & { name: string };
  /** The modality queues: the version sweep sends the message of an ingestion that lost its worker again. */
  ingestionQueues: Readonly<Record<QueueModality, IQueue>>;
}

/**
 * Timed and event-driven upkeep: the job sweeper (runs that ended without settling, went silent
 * or never started), the dataset refresh sweep, the purge of soft-deleted data, the billing sweep
 * (Stripe events re-driven, then the credit ledger reconciled), the automatic monitoring of new
 * versions of datasets bound to a baseline, and the
 * EventBridge Scheduler group (plus the role Scheduler assumes) that holds one schedule per
 * dataset with a refresh schedule.
 *
 * Aurora pauses after 5 idle minutes, and any query on a timer shorter than that keeps it awake
 * for good: nothing here queries the database more often than once a day unless there is work,
 * except the hourly monitoring sweep.
 */
export class SchedulesStack extends Stack {
  readonly sweepJobs: PipeWeaveFunction;
  readonly refreshDatasets: PipeWeaveFunction;
  readonly purgeDeleted: PipeWeaveFunction;
  readonly sweepBilling: PipeWeaveFunction;
  readonly sweepVersions: PipeWeaveFunction;
  readonly monitorNewVersions: PipeWeaveFunction;
  readonly scheduleGroup: ScheduleGroup;
  readonly schedulerRole: Role;

  constructor(scope: Construct, id: string, props: SchedulesStackProps) {
    super(scope, id, props);
    const { names, database } = props;
    const databaseEnv = dataApiEnvironment(database);
    const stateMachinesEnv = environment({
      PW_STATE_MACHINE_ARNS: this.toJsonString({ [RUN_PIPELINE_MACHINE]: names.runPipelineStateMachineArn }),
    });

    this.sweepJobs = new PipeWeaveFunction(this, 'SweepJobs', {
      entry: SWEEP_JOBS_ENTRY,
      description: 'Settles jobs whose execution ended without settling them, went silent or never started',
      timeout: Duration.minutes(2),
      environment: environment(databaseEnv, stateMachinesEnv),
    });
    grantDataApi(this.sweepJobs.role, database);
    /** Describe and stop run-pipeline executions, plus `onMachine` actions on the machine itself. */
    const controlExecutions = (role: IRole, onMachine: string[]) => {
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['states:DescribeExecution', 'states:StopExecution'],
          resources: [executionsArn(names.runPipelineStateMachineName)],
        }),
      );
      role.addToPrincipalPolicy(
        new PolicyStatement({ actions: onMachine, resources: [names.runPipelineStateMachineArn] }),
      );
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagExecutionsArn(names.runPipelineStateMachineName)}]`,
        reason:
          'Execution names are generated per job; access is limited to executions of the run-pipeline machine.',
      });
    };
    // The frequent sweep asks which executions run before it touches the database.
    controlExecutions(this.sweepJobs.role, ['states:ListExecutions']);

    this.refreshDatasets = new PipeWeaveFunction(this, 'RefreshDatasets', {
      entry: REFRESH_DATASETS_ENTRY,
      description:
        'Fetches sources of datasets whose refresh is due and stores changed content as a new version',
      memorySize: 1024,
      timeout: Duration.minutes(10),
      environment: environment(databaseEnv, { PW_BUCKET: names.dataBucketName }),
    });
    grantDataApi(this.refreshDatasets.role, database);
    grantObjects(
      this.refreshDatasets.role,
      names,
      // The fetched file streams into staging/ while it is hashed; a changed one is copied to raw/.
      { read: ['sources/', 'staging/'], write: ['staging/', 'raw/'], delete: ['staging/'] },
      'refresh: reads s3:// sources under sources/, stages the fetched file, stores a changed one as a new raw version',
    );

    this.purgeDeleted = new PipeWeaveFunction(this, 'PurgeDeleted', {
      entry: PURGE_DELETED_ENTRY,
      description: 'Removes rows and objects of records soft-deleted longer ago than the retention period',
      timeout: Duration.minutes(15),
      environment: environment(databaseEnv, { PW_BUCKET: names.dataBucketName }),
    });
    grantDataApi(this.purgeDeleted.role, database);
    grantObjects(
      this.purgeDeleted.role,
      names,
      { delete: USER_DATA_PREFIXES },
      'purge: deletes objects of soft-deleted records (noncurrent versions expire by lifecycle)',
    );

    // Database only: the re-drive applies the stored payload (verified on receipt), so no Stripe keys.
    this.sweepBilling = new PipeWeaveFunction(this, 'SweepBilling', {
      entry: SWEEP_BILLING_ENTRY,
      description:
        'Re-drives Stripe events recorded but not applied, then checks that the credit ledger adds up',
      timeout: Duration.minutes(5),
      environment: databaseEnv,
    });
    grantDataApi(this.sweepBilling.role, database);

    this.sweepVersions = new PipeWeaveFunction(this, 'SweepVersions', {
      entry: SWEEP_VERSIONS_ENTRY,
      description:
        'Settles dataset versions left unfinished: lost storage events, expired uploads, ingestion whose worker vanished',
      timeout: Duration.minutes(5),
      environment: environment(databaseEnv, {
        PW_BUCKET: names.dataBucketName,
        PW_QUEUE_URLS: this.toJsonString(
          Object.fromEntries(
            QUEUE_MODALITIES.map((modality) => [modality, props.ingestionQueues[modality].queueUrl]),
          ),
        ),
      }),
    });
    grantDataApi(this.sweepVersions.role, database);
    for (const modality of QUEUE_MODALITIES)
      props.ingestionQueues[modality].grantSendMessages(this.sweepVersions.role);
    grantObjects(
      this.sweepVersions.role,
      names,
      { read: ['raw/', 'dropbox/'], write: ['raw/', 'quarantine/'], delete: ['raw/', 'dropbox/'] },
      'version sweep: takes in uploads whose event was lost and files drops that were not moved, as the dispatcher does',
    );

    // Starts the monitoring job of each new version of a dataset bound to a baseline: a job like
    // any other (snapshot, estimate, credits), so it needs the database and the run-pipeline machine.
    this.monitorNewVersions = new PipeWeaveFunction(this, 'MonitorNewVersions', {
      entry: MONITOR_NEW_VERSIONS_ENTRY,
      description: 'Starts monitoring jobs for new versions of datasets bound to a baseline analysis',
      timeout: Duration.minutes(5),
      environment: environment(databaseEnv, stateMachinesEnv),
    });
    grantDataApi(this.monitorNewVersions.role, database);
    // A job whose start fails half-way is stopped by the same path that started it.
    controlExecutions(this.monitorNewVersions.role, ['states:StartExecution']);

    // The job sweeper's main trigger: a run-pipeline execution ended (stopped, failed, timed out,
    // or succeeded without settling). Delivery is best effort; the daily sweep catches a lost event.
    new Rule(this, 'SweepJobsOnRunEnded', {
      description: 'PipeWeave job sweeper: a run-pipeline execution ended',
      eventPattern: {
        source: [EXECUTION_EVENT_SOURCE],
        detailType: [EXECUTION_STATUS_CHANGE],
        detail: {
          stateMachineArn: [names.runPipelineStateMachineArn],
          status: [...RECONCILED_EXECUTION_STATUSES],
        },
      },
      targets: [
        new LambdaFunction(this.sweepJobs.function, { retryAttempts: 8, maxEventAge: Duration.hours(6) }),
      ],
    });

    // One daily minute for every sweep that must read the database (the purge's): Aurora wakes
    // once a day for all of them instead of once per sweep.
    const daily = Schedule.cron({ minute: '17', hour: '3' });
    const sweep = (request: SweepRequest) => RuleTargetInput.fromObject(request);
    const fixedSchedules: {
      id: string;
      fn: PipeWeaveFunction;
      schedule: Schedule;
      what: string;
      input?: RuleTargetInput;
    }[] = [
      // Silent runs: a job counts as lost after 15 minutes without a heartbeat, so checking every
      // 15 minutes finds one within 30. It asks Step Functions first and reads the database only
      // while executions run, so an idle deployment pays a Lambda call, not an awake Aurora.
      {
        id: 'SweepJobsEvery15Minutes',
        fn: this.sweepJobs,
        schedule: Schedule.rate(Duration.minutes(15)),
        what: 'job sweeper (only while runs execute)',
        input: sweep({ sweep: 'if-running' }),
      },
      {
        id: 'SweepJobsDaily',
        fn: this.sweepJobs,
        schedule: daily,
        what: 'job sweeper (every unfinished job)',
        input: sweep({ sweep: 'all' }),
      },
      // Per-dataset Scheduler schedules start each refresh; this catches one that was missed.
      {
        id: 'RefreshDatasetsDaily',
        fn: this.refreshDatasets,
        schedule: daily,
        what: 'dataset refresh sweep (missed schedules)',
      },
      { id: 'PurgeDeletedDaily', fn: this.purgeDeleted, schedule: daily, what: 'soft-delete purge' },
      // A refund that waited for its purchase is re-driven by the purchase's webhook at once; this
      // catches the rest (and a crash between recording and applying) within a day.
      // Worker crashes are retried by SQS within minutes; this settles what is left (lost events,
      // expired uploads, messages that vanished, retries that ran out) within a day.
      {
        id: 'SweepVersionsDaily',
        fn: this.sweepVersions,
        schedule: daily,
        what: 'dataset version sweep (expired uploads, ingestion whose worker vanished)',
      },
      // The one hourly sweep: a new version of a bound dataset is monitored within the hour, and
      // an idle Aurora wakes for it at most once an hour (about 5 minutes awake in 60).
      {
        id: 'MonitorNewVersionsHourly',
        fn: this.monitorNewVersions,
        schedule: Schedule.rate(Duration.hours(1)),
        what: 'automatic monitoring of new versions of bound datasets',
      },
      {
        id: 'SweepBillingDaily',
        fn: this.sweepBilling,
        schedule: daily,
        what: 'billing sweep (Stripe event re-drive, credit ledger reconciliation)',
      },
    ];
    for (const { id, fn, schedule, what, input } of fixedSchedules) {
      new Rule(this, id, {
        description: `PipeWeave ${what}`,
        schedule,
        targets: [
          new LambdaFunction(fn.function, {
            retryAttempts: 2,
            maxEventAge: Duration.hours(1),
            ...(input ? { event: input } : {}),
          }),
        ],
      });
    }

    this.scheduleGroup = new ScheduleGroup(this, 'DatasetRefreshSchedules', {
      scheduleGroupName: names.schedulerGroupName,
    });
    this.schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
      description: 'Assumed by EventBridge Scheduler to start a dataset refresh from a per-dataset schedule',
    });
    this.schedulerRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.refreshDatasets.function.functionArn],
      }),
    );
  }
}
