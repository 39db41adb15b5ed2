import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeSweepJobsHandler } from './sweep-jobs-handler';

export { makeSweepJobsHandler };

/** Lambda entry point of the job sweeper (CDK `entry`), wired to the AWS adapters. */
export const handler = makeSweepJobsHandler(getAwsServices);
