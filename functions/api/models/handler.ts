import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeModelsHandler } from './models-handler';

export { makeModelsHandler };

/** Lambda entry point of the `models` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeModelsHandler(getAwsServices);
