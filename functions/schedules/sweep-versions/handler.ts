import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeSweepVersionsHandler } from './sweep-versions-handler';

export { makeSweepVersionsHandler };

/** Lambda entry point of the dataset version sweep (CDK `entry`), wired to the AWS adapters. */
export const handler = makeSweepVersionsHandler(getAwsServices);
