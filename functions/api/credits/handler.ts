import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeCreditsHandler } from './credits-handler';

export { makeCreditsHandler };

/** Lambda entry point of the `credits` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeCreditsHandler(getAwsServices);
