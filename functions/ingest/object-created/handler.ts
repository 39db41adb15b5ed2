import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeObjectCreatedHandler } from './object-created-handler';

/** Lambda entry of the ingest dispatcher (S3 ObjectCreated under raw/ and dropbox/). */
export const handler = makeObjectCreatedHandler(getAwsServices);
