import packageJson from '../../package.json' with { type: 'json' };
import type { ApiHandlerFactory } from '../../shared/http/api-handler';
import type { RouteSpec } from '../../shared/http/route';
import { createSystemRoutes } from './system/routes';
import { authRoutes } from './auth/routes';
import { apiKeyRoutes } from './api-keys/routes';
import { auditLogRoutes } from './audit-logs/routes';
import { adminRoutes } from './admin/routes';
import { createWebhookRoutes } from './webhooks/routes';
import { datasetRoutes } from './datasets/routes';
import { datasetInsightRoutes } from './dataset-insights/routes';
import { jobRoutes } from './jobs/routes';
import { catalogRoutes } from './catalog/routes';
import { pipelineRoutes } from './pipelines/routes';
import { experimentRoutes } from './experiments/routes';
import { modelRoutes } from './models/routes';
import { createCreditRoutes } from './credits/routes';
import { exportRoutes } from './exports/routes';
import { analysisRoutes } from './analyses/routes';
import { tutorialRoutes } from './tutorials/routes';

/**
 * The API in one list. Each group is one Lambda function: CDK creates a function per group
 * from `entry` and an HTTP API route per spec; the local server loads `factory` for the group
 * and calls it with local services; `/openapi.json` documents every route. Adding a group
 * (auth, datasets, pipelines, jobs, credits, webhooks) means adding one entry here.
 */
export interface ApiGroup {
  name: string;
  /** Lambda entry file, relative to the repository root. */
  entry: string;
  routes: readonly RouteSpec[];
  /** Loaded lazily so the local server never imports AWS wiring or groups it does not call. */
  factory: () => Promise<ApiHandlerFactory>;
}

export const API_VERSION: string = packageJson.version;

export const apiGroupList: readonly ApiGroup[] = [
  {
    name: 'system',
    entry: 'functions/api/system/handler.ts',
    routes: createSystemRoutes({ listRoutes: () => apiRoutes, version: API_VERSION }),
    factory: async () =>
      (await import('./system/system-handler')).makeSystemHandler(
        apiRoutes.filter((route) => route.group === 'system'),
      ),
  },
  {
    name: 'datasets',
    entry: 'functions/api/datasets/handler.ts',
    routes: datasetRoutes,
    factory: async () => (await import('./datasets/datasets-handler')).makeDatasetsHandler,
  },
  {
    name: 'webhooks',
    entry: 'functions/api/webhooks/handler.ts',
    routes: createWebhookRoutes(),
    factory: async () => (await import('./webhooks/webhooks-handler')).makeWebhooksHandler,
  },
  {
    name: 'auth',
    entry: 'functions/api/auth/handler.ts',
    routes: authRoutes,
    factory: async () => (await import('./auth/auth-handler')).makeAuthHandler,
  },
  {
    name: 'api-keys',
    entry: 'functions/api/api-keys/handler.ts',
    routes: apiKeyRoutes,
    factory: async () => (await import('./api-keys/api-keys-handler')).makeApiKeysHandler,
  },
  {
    name: 'audit-logs',
    entry: 'functions/api/audit-logs/handler.ts',
    routes: auditLogRoutes,
    factory: async () => (await import('./audit-logs/audit-logs-handler')).makeAuditLogsHandler,
  },
  {
    name: 'admin',
    entry: 'functions/api/admin/handler.ts',
    routes: adminRoutes,
    factory: async () => (await import('./admin/admin-handler')).makeAdminHandler,
  },
  {
    name: 'dataset-insights',
    entry: 'functions/api/dataset-insights/handler.ts',
    routes: datasetInsightRoutes,
    factory: async () =>
      (await import('./dataset-insights/dataset-insights-handler')).makeDatasetInsightsHandler,
  },
  {
    name: 'catalog',
    entry: 'functions/api/catalog/handler.ts',
    routes: catalogRoutes,
    factory: async () => (await import('./catalog/catalog-handler')).makeCatalogHandler,
  },
  {
    name: 'pipelines',
    entry: 'functions/api/pipelines/handler.ts',
    routes: pipelineRoutes,
    factory: async () => (await import('./pipelines/pipelines-handler')).makePipelinesHandler,
  },
  {
    name: 'jobs',
    entry: 'functions/api/jobs/handler.ts',
    routes: jobRoutes,
    factory: async () => (await import('./jobs/jobs-handler')).makeJobsHandler,
  },
  {
    name: 'experiments',
    entry: 'functions/api/experiments/handler.ts',
    routes: experimentRoutes,
    factory: async () => (await import('./experiments/experiments-handler')).makeExperimentsHandler,
  },
  {
    name: 'models',
    entry: 'functions/api/models/handler.ts',
    routes: modelRoutes,
    factory: async () => (await import('./models/models-handler')).makeModelsHandler,
  },
  {
    name: 'credits',
    entry: 'functions/api/credits/handler.ts',
    routes: createCreditRoutes(),
    factory: async () => (await import('./credits/credits-handler')).makeCreditsHandler,
  },
  {
    name: 'exports',
    entry: 'functions/api/exports/handler.ts',
    routes: exportRoutes,
    factory: async () => (await import('./exports/exports-handler')).makeExportsHandler,
  },
  {
    name: 'tutorials',
    entry: 'functions/api/tutorials/handler.ts',
    routes: tutorialRoutes,
    factory: async () => (await import('./tutorials/tutorials-handler')).makeTutorialsHandler,
  },
  {
    name: 'analyses',
    entry: 'functions/api/analyses/handler.ts',
    routes: analysisRoutes,
    factory: async () => (await import('./analyses/analyses-handler')).makeAnalysesHandler,
  },
];

/** Every API operation: CDK, the local server and the OpenAPI document read it. */
export const apiRoutes: RouteSpec[] = apiGroupList.flatMap((group) => [...group.routes]);

/** Group name → Lambda entry file (relative to the repository root). */
export const apiGroups: Record<string, string> = Object.fromEntries(
  apiGroupList.map((g) => [g.name, g.entry]),
);

/** Group name → lazy handler factory (local server, tests). */
export const apiHandlerFactories: Record<string, () => Promise<ApiHandlerFactory>> = Object.fromEntries(
  apiGroupList.map((g) => [g.name, g.factory]),
);
