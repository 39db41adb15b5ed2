import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeWebhooksHandler } from './webhooks-handler';

export { makeWebhooksHandler };

/** Lambda entry point of the `webhooks` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeWebhooksHandler(getAwsServices);
