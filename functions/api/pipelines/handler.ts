import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makePipelinesHandler } from './pipelines-handler';

export { makePipelinesHandler };

/** Lambda entry point of the `pipelines` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makePipelinesHandler(getAwsServices);
