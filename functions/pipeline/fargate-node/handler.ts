import { pathToFileURL } from 'node:url';
import { loadAwsServices } from '../../../shared/adapters/aws/aws-services';
import { ConfigError, loadConfig } from '../../../shared/config/config';
import { runFargateNode } from './fargate-node-handler';

export { runFargateNode };

/** The container's work, from its environment: returns the process exit code. */
export async function handler(): Promise<number> {
  const config = loadConfig();
  if (!config.nodeTask)
    throw new ConfigError('PW_TASK_TOKEN, PW_JOB_ID and PW_NODE_ID must be set for a node task.');
  // Task callbacks need no state machine ARN: the token names the execution.
  const services = await loadAwsServices({ ...config, stateMachines: config.stateMachines ?? {} });
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  const result = await runFargateNode(services, config.nodeTask, { signal: stop.signal });
  services.logger.info('node task finished', {
    jobId: config.nodeTask.jobId,
    nodeId: config.nodeTask.nodeId,
    status: result.status,
  });
  // The failure was reported to the workflow; a non-zero code also marks the ECS task as failed.
  return result.status === 'succeeded' ? 0 : 1;
}

const isEntrypoint = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntrypoint) {
  handler().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  );
}
