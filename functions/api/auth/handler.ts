import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeAuthHandler } from './auth-handler';

export { makeAuthHandler };

/** Lambda entry point of the `auth` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeAuthHandler(getAwsServices);
