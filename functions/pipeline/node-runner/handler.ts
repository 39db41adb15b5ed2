import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeNodeRunnerHandler } from './node-runner-handler';

export { makeNodeRunnerHandler };

/** Lambda entry point of the node runner (CDK `entry`), wired to the AWS adapters. */
export const handler = makeNodeRunnerHandler(getAwsServices);
