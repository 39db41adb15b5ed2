import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeAnalysesHandler } from './analyses-handler';

export { makeAnalysesHandler };

/** Lambda entry point of the `analyses` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeAnalysesHandler(getAwsServices);
