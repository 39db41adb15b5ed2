import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeSweepExportsHandler } from './sweep-exports-handler';

export { makeSweepExportsHandler };

/** Lambda entry point of the daily export sweep (CDK `entry`), wired to the AWS adapters. */
export const handler = makeSweepExportsHandler(getAwsServices);
