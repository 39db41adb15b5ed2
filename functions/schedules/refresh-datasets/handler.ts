import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeRefreshDatasetsHandler } from './refresh-datasets-handler';

/** Lambda entry of the dataset refresh (EventBridge rule every 15 minutes, and per-dataset schedules). */
export const handler = makeRefreshDatasetsHandler(getAwsServices);
