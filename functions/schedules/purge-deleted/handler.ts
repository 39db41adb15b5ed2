import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makePurgeDeletedHandler } from './purge-deleted-handler';

export { makePurgeDeletedHandler };

/** Lambda entry point of the daily purge of deleted accounts (CDK `entry`), wired to the AWS adapters. */
export const handler = makePurgeDeletedHandler(getAwsServices);
