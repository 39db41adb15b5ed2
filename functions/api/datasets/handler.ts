import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeDatasetsHandler } from './datasets-handler';

export { makeDatasetsHandler };

/** Lambda entry point of the `datasets` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeDatasetsHandler(getAwsServices);
