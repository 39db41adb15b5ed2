import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeDatasetInsightsHandler } from './dataset-insights-handler';

export { makeDatasetInsightsHandler };

/** Lambda entry point of the `dataset-insights` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeDatasetInsightsHandler(getAwsServices);
