import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeSystemHandler } from './system-handler';

export { makeSystemHandler };

/** Lambda entry point of the `system` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeSystemHandler(getAwsServices);
