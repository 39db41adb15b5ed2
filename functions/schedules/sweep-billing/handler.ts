import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeSweepBillingHandler } from './sweep-billing-handler';

export { makeSweepBillingHandler };

/** Lambda entry point of the daily billing sweep (CDK `entry`), wired to the AWS adapters. */
export const handler = makeSweepBillingHandler(getAwsServices);
