import { Aws } from 'aws-cdk-lib';

/**
 * Names that several stacks need. They are derived from the app prefix, the account and the
 * region instead of being passed between stacks, so IAM resource patterns in consuming stacks
 * stay readable (`…:s3:::pipeweave-data-<account>-<region>/jobs/*`) and no stack needs another
 * stack's outputs just to name a bucket prefix.
 */
export interface ResourceNames {
  /** Stack name prefix, e.g. `PipeWeave`. */
  prefix: string;
  /** The single data bucket (raw/, dropbox/, processed/, … prefixes). */
  dataBucketName: string;
  /** EventBridge Scheduler group that holds the per-dataset refresh schedules. */
  schedulerGroupName: string;
  /** The `run-pipeline` state machine. */
  runPipelineStateMachineName: string;
  runPipelineStateMachineArn: string;
}

export function resourceNames(prefix: string): ResourceNames {
  const lower = prefix.toLowerCase();
  return {
    prefix,
    dataBucketName: `${lower}-data-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
    schedulerGroupName: `${lower}-dataset-refresh`,
    runPipelineStateMachineName: `${prefix}-run-pipeline`,
    runPipelineStateMachineArn: `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:stateMachine:${prefix}-run-pipeline`,
  };
}

/** ARN of the objects under a key prefix of a bucket given by name. */
export function objectsArn(bucketName: string, keyPrefix: string): string {
  return `arn:${Aws.PARTITION}:s3:::${bucketName}/${keyPrefix}*`;
}

/** How cdk-nag prints the object ARN above in a wildcard finding (tokens rendered as `<AWS::…>`). */
export function nagObjectsArn(prefix: string, keyPrefix: string): string {
  return `arn:<AWS::Partition>:s3:::${prefix.toLowerCase()}-data-<AWS::AccountId>-<AWS::Region>/${keyPrefix}*`;
}

/** ARN pattern of the executions of a state machine given by name. */
export function executionsArn(stateMachineName: string): string {
  return `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${stateMachineName}:*`;
}

/** How cdk-nag prints `executionsArn` in a wildcard finding. */
export function nagExecutionsArn(stateMachineName: string): string {
  return `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${stateMachineName}:*`;
}
