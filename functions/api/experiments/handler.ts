import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeExperimentsHandler } from './experiments-handler';

export { makeExperimentsHandler };

/** Lambda entry point of the `experiments` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeExperimentsHandler(getAwsServices);
