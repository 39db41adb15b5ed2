import { Aws } from 'aws-cdk-lib';
import type { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../infra/aws/project-paths';
import { NODE_CONTAINER_NAME, RUN_PIPELINE_ASL } from '../../infra/aws/stacks/pipelines-stack';
import { ALERT_TOPIC_PREFIX } from '../../shared/domain/monitoring/alert-rule-definition';
import { permission, rolePermissions } from './iam-permissions';
import { synthPipeWeave, type SynthesizedPipeWeave } from './synth-pipeweave';

let synth: SynthesizedPipeWeave;
let pipelines: Template;
let stack: Stack;
let machine: {
  DefinitionS3Location: { Key: string };
  DefinitionSubstitutions: Record<string, unknown>;
  LoggingConfiguration: { Level: string; IncludeExecutionData: boolean };
  TracingConfiguration: { Enabled: boolean };
};

const SUBSTITUTIONS = [
  'ClusterArn',
  'NodeContainerName',
  'NodeRunnerFunctionArn',
  'NodeTaskDefinitionArn',
  'PipelineControlFunctionArn',
  'SecurityGroupIds',
  'SubnetIds',
];

beforeAll(() => {
  synth = synthPipeWeave();
  pipelines = synth.template('pipelines');
  stack = synth.stacks.pipelines;
  const machines = Object.values(pipelines.findResources('AWS::StepFunctions::StateMachine'));
  expect(machines).toHaveLength(1);
  machine = (machines[0] as { Properties: typeof machine }).Properties;
});

const resolve = (value: unknown) => stack.resolve(value);
const asl = () => readFileSync(join(projectRoot, RUN_PIPELINE_ASL), 'utf8');

describe('run-pipeline state machine', () => {
  it('deploys the ASL file unchanged, with CloudFormation substituting its placeholders', () => {
    // The definition is uploaded as a file asset: the staged bytes are the ASL file itself.
    const staged = readFileSync(join(synth.outdir, `asset.${machine.DefinitionS3Location.Key}`), 'utf8');
    expect(staged).toBe(asl());
    const placeholders = [...new Set([...asl().matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]))].sort();
    expect(placeholders).toEqual(SUBSTITUTIONS);
    expect(Object.keys(machine.DefinitionSubstitutions).sort()).toEqual(SUBSTITUTIONS);
  });

  it('substitutes the resources of this stack and the node network of the data stack', () => {
    const p = synth.stacks.pipelines;
    const s = machine.DefinitionSubstitutions;
    expect(s.PipelineControlFunctionArn).toEqual(resolve(p.pipelineControl.function.functionArn));
    expect(s.NodeRunnerFunctionArn).toEqual(resolve(p.nodeRunner.function.functionArn));
    expect(s.ClusterArn).toEqual(resolve(p.cluster.clusterArn));
    expect(s.NodeTaskDefinitionArn).toEqual(resolve(p.nodeTask.taskDefinitionArn));
    expect(s.NodeContainerName).toBe(NODE_CONTAINER_NAME);
    const subnets = s.SubnetIds as { 'Fn::Join': [string, unknown[]] };
    expect(subnets['Fn::Join'][0]).toBe(',');
    expect(subnets['Fn::Join'][1]).toHaveLength(2);
    expect(JSON.stringify(s.SecurityGroupIds)).toContain('NodeTasks');
  });

  it('yields valid JSON once every placeholder is replaced', () => {
    const text = asl().replace(/\$\{([A-Za-z0-9_]+)\}/g, (_all, name: string) => `resolved-${name}`);
    expect(() => JSON.parse(text) as unknown).not.toThrow();
  });

  it('waits longer for each control Task than the control function may run, and retries its timeouts', () => {
    const control = pipelines.findResources('AWS::Lambda::Function')[
      stack.getLogicalId(synth.stacks.pipelines.pipelineControl.function.node.defaultChild as CfnFunction)
    ] as { Properties: { Timeout: number } };
    // Two transactions, each Data API call retried up to 45 s while a paused cluster resumes.
    expect(control.Properties.Timeout).toBeGreaterThanOrEqual(180);
    type TaskState = {
      Type: string;
      Parameters?: { FunctionName?: string };
      TimeoutSeconds?: number;
      Retry?: { ErrorEquals: string[] }[];
      ItemProcessor?: { States: Record<string, TaskState> };
    };
    const controlTasks: [string, TaskState][] = [];
    const walk = (states: Record<string, TaskState>) => {
      for (const [name, state] of Object.entries(states)) {
        if (state.Parameters?.FunctionName === '${PipelineControlFunctionArn}')
          controlTasks.push([name, state]);
        if (state.ItemProcessor) walk(state.ItemProcessor.States);
      }
    };
    walk((JSON.parse(asl()) as { States: Record<string, TaskState> }).States);
    expect(controlTasks.map(([name]) => name).sort()).toEqual(
      ['CheckStage', 'PlanStages', 'RecordNodeFailure', 'RecordNodeSuccess', 'Settle'].sort(),
    );
    for (const [name, state] of controlTasks) {
      expect(state.TimeoutSeconds ?? 0, name).toBeGreaterThan(control.Properties.Timeout);
      const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect(retried, name).toEqual(expect.arrayContaining(['Sandbox.Timedout', 'States.Timeout']));
    }
  });

  it('logs everything and traces with X-Ray', () => {
    expect(machine.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
    expect(machine.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('may invoke only its two functions and run, describe and stop only the node task', () => {
    const p = synth.stacks.pipelines;
    const taskArns = resolve(
      `arn:${stack.partition}:ecs:${stack.region}:${stack.account}:task/${p.cluster.clusterName}/*`,
    );
    const passedToEcs = { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } };
    const expected = [
      permission('lambda:InvokeFunction', resolve(p.pipelineControl.function.functionArn)),
      permission('lambda:InvokeFunction', resolve(p.nodeRunner.function.functionArn)),
      permission('ecs:RunTask', resolve(p.nodeTask.taskDefinitionArn), {
        ArnEquals: { 'ecs:cluster': resolve(p.cluster.clusterArn) },
      }),
      permission('ecs:DescribeTasks', taskArns),
      permission('ecs:StopTask', taskArns),
      permission('iam:PassRole', resolve(p.nodeTask.taskRole.roleArn), passedToEcs),
      permission('iam:PassRole', resolve(p.nodeTask.obtainExecutionRole().roleArn), passedToEcs),
      // Log delivery and X-Ray: services without resource-level permissions.
      ...[
        'logs:CreateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:DescribeLogGroups',
        'logs:DescribeResourcePolicies',
        'logs:GetLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:UpdateLogDelivery',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].map((action) => permission(action, '*')),
    ].sort();
    expect(rolePermissions(pipelines, stack, p.stateMachine.role)).toEqual(expected);
  });
});

describe('node hosts', () => {
  const prefixes = ['exports/', 'jobs/', 'models/', 'processed/'];
  const bucketArn = `arn:${Aws.PARTITION}:s3:::pipeweave-data-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
  // Nodes read their inputs from these prefixes and write only under jobs/, raw/ (where an
  // output registered as a dataset version is copied) and models/ (the artifacts training registers).
  const nodeObjectPermissions = () => [
    ...prefixes.map((prefix) => permission('s3:GetObject', resolve(`${bucketArn}/${prefix}*`))),
    ...['s3:AbortMultipartUpload', 's3:PutObject'].flatMap((action) =>
      ['jobs/', 'raw/', 'models/'].map((prefix) => permission(action, resolve(`${bucketArn}/${prefix}*`))),
    ),
  ];
  const listNodePrefixes = () =>
    permission('s3:ListBucket', resolve(bucketArn), {
      StringLike: { 's3:prefix': ['jobs/*', 'processed/*', 'models/*', 'exports/*'] },
    });
  const dataApiPermissions = () => {
    const { clusterArn, secretArn } = synth.stacks.data;
    return [
      ...[
        'rds-data:BatchExecuteStatement',
        'rds-data:BeginTransaction',
        'rds-data:CommitTransaction',
        'rds-data:ExecuteStatement',
        'rds-data:RollbackTransaction',
      ].map((action) => permission(action, resolve(clusterArn))),
      permission('secretsmanager:DescribeSecret', resolve(secretArn)),
      permission('secretsmanager:GetSecretValue', resolve(secretArn)),
    ];
  };

  // The monitoring node publishes alerts to the rules' SNS topics: this account's pipeweave-alerts-* only.
  const alertTopics = () =>
    permission(
      'sns:Publish',
      resolve(`arn:${Aws.PARTITION}:sns:${Aws.REGION}:${Aws.ACCOUNT_ID}:${ALERT_TOPIC_PREFIX}*`),
    );

  it('the node runner may use the Data API, its own log group, the node prefixes of the bucket and the alert topics, nothing else', () => {
    const runner = synth.stacks.pipelines.nodeRunner;
    const logGroup = resolve(runner.logGroup.logGroupArn);
    const expected = [
      permission('logs:CreateLogStream', logGroup),
      permission('logs:PutLogEvents', logGroup),
      permission('xray:PutTelemetryRecords', '*'),
      permission('xray:PutTraceSegments', '*'),
      ...dataApiPermissions(),
      ...nodeObjectPermissions(),
      listNodePrefixes(),
      alertTopics(),
    ].sort();
    const actual = rolePermissions(pipelines, stack, runner.role);
    expect(actual).toEqual(expected);
    for (const line of actual) expect(line.split(' ')[0]).not.toContain('*');
  });

  it('the Fargate task role has the node permissions plus task token callbacks, nothing else', () => {
    const p = synth.stacks.pipelines;
    const machineArn = resolve(p.stateMachine.stateMachineArn);
    const expected = [
      ...dataApiPermissions(),
      ...nodeObjectPermissions(),
      listNodePrefixes(),
      alertTopics(),
      permission('states:SendTaskFailure', machineArn),
      permission('states:SendTaskHeartbeat', machineArn),
      permission('states:SendTaskSuccess', machineArn),
    ].sort();
    const actual = rolePermissions(pipelines, stack, p.nodeTask.taskRole);
    expect(actual).toEqual(expected);
    for (const line of actual) expect(line.split(' ')[0]).not.toContain('*');
  });

  it('runs the node container from the Dockerfile on x86_64 Fargate with logs retained', () => {
    pipelines.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        {
          Name: NODE_CONTAINER_NAME,
          Image: { 'Fn::Sub': Match.stringLikeRegexp('container-assets') },
          LogConfiguration: { LogDriver: 'awslogs' },
        },
      ],
    });
    pipelines.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
    const manifest = JSON.parse(
      readFileSync(join(synth.outdir, `${stack.artifactId}.assets.json`), 'utf8'),
    ) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile?: string; platform?: string } }>;
    };
    const images = Object.values(manifest.dockerImages);
    expect(images).toHaveLength(1);
    expect(images[0]?.source).toMatchObject({ dockerFile: 'Dockerfile', platform: 'linux/amd64' });
  });
});
