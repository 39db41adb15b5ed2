import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeJobsHandler } from './jobs-handler';

export { makeJobsHandler };

/** Lambda entry point of the `jobs` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeJobsHandler(getAwsServices);
