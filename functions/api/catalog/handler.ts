import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { makeCatalogHandler } from './catalog-handler';

export { makeCatalogHandler };

/** Lambda entry point of the `catalog` function (CDK `entry`), wired to the AWS adapters. */
export const handler = makeCatalogHandler(getAwsServices);
