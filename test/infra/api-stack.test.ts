import type { CfnApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { CfnDistribution, CfnResponseHeadersPolicy } from 'aws-cdk-lib/aws-cloudfront';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiGroups, apiRoutes } from '../../functions/api/routes';
import {
  DEFAULT_CONTENT_SECURITY_POLICY,
  SECURITY_HEADERS,
  securityHeaderValues,
} from '../../shared/http/middleware/security-headers';
import { routeKey } from '../../shared/http/route';
import { synthPipeWeave, type SynthesizedPipeWeave } from './synth-pipeweave';

let synth: SynthesizedPipeWeave;
let api: Template;

beforeAll(() => {
  synth = synthPipeWeave();
  api = synth.template('api');
});

type Resource = { Properties: Record<string, unknown> };

describe('HTTP API', () => {
  it('has one route per RouteSpec, each integrated with the function of its group', () => {
    const stack = synth.stacks.api;
    const routes = Object.values(api.findResources('AWS::ApiGatewayV2::Route')) as Resource[];
    const integrations = api.findResources('AWS::ApiGatewayV2::Integration') as Record<string, Resource>;
    // HEAD wherever GET is, and requests no route matches go to the system function.
    const expected = [
      ...apiRoutes.map(routeKey),
      ...apiRoutes.filter((r) => r.method === 'GET').map((r) => `HEAD ${r.path}`),
      '$default',
    ];
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(expected.sort());
    for (const spec of apiRoutes) {
      const route = routes.find((r) => r.Properties.RouteKey === routeKey(spec));
      const target = JSON.stringify(route?.Properties.Target);
      const integrationId = Object.keys(integrations).find((id) => target.includes(id));
      const integration = integrations[integrationId ?? ''];
      const fn = synth.stacks.api.groupFunctions[spec.group];
      expect(fn, `function for group ${spec.group}`).toBeDefined();
      expect(integration?.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: {
          'Fn::GetAtt': [stack.getLogicalId(fn?.function.node.defaultChild as CfnFunction), 'Arn'],
        },
      });
    }
  });

  it('creates a function for exactly the groups that have routes', () => {
    const groups = [...new Set(apiRoutes.map((route) => route.group))].sort();
    expect(Object.keys(synth.stacks.api.groupFunctions).sort()).toEqual(groups);
    for (const group of groups) expect(apiGroups[group], group).toBeDefined();
  });

  it('logs every request as JSON and throttles the default stage', () => {
    const stage = Object.values(api.findResources('AWS::ApiGatewayV2::Stage'))[0] as Resource;
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: {
        DestinationArn: {
          'Fn::GetAtt': [
            synth.stacks.api.getLogicalId(synth.stacks.api.accessLogs.node.defaultChild as CfnLogGroup),
            'Arn',
          ],
        },
      },
    });
    const format = JSON.parse((stage.Properties.AccessLogSettings as { Format: string }).Format) as Record<
      string,
      string
    >;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      routeKey: '$context.routeKey',
      status: '$context.status',
      latency: '$context.responseLatency',
    });
    api.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });
  });

  it('answers no cross-origin callers unless origins are configured', () => {
    api.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.absent(),
    });
  });
});

describe('CDN in front of the HTTP API', () => {
  type HeadersConfig = {
    SecurityHeadersConfig: {
      StrictTransportSecurity: {
        AccessControlMaxAgeSec: number;
        IncludeSubdomains: boolean;
        Override: boolean;
      };
      ContentTypeOptions: { Override: boolean };
      ReferrerPolicy: { ReferrerPolicy: string; Override: boolean };
      ContentSecurityPolicy: { ContentSecurityPolicy: string; Override: boolean };
    };
    CustomHeadersConfig: { Items: { Header: string; Value: string; Override: boolean }[] };
  };

  /** The headers a response passing through the distribution gets, lower-cased, as HTTP would show them. */
  const headersAdded = (config: HeadersConfig): Record<string, string> => {
    const security = config.SecurityHeadersConfig;
    const hsts = security.StrictTransportSecurity;
    return {
      'strict-transport-security': `max-age=${hsts.AccessControlMaxAgeSec}${hsts.IncludeSubdomains ? '; includeSubDomains' : ''}`,
      ...(security.ContentTypeOptions ? { 'x-content-type-options': 'nosniff' } : {}),
      'referrer-policy': security.ReferrerPolicy.ReferrerPolicy,
      'content-security-policy': security.ContentSecurityPolicy.ContentSecurityPolicy,
      ...Object.fromEntries(
        config.CustomHeadersConfig.Items.map((item) => [item.Header.toLowerCase(), item.Value]),
      ),
    };
  };

  it('adds every header the handlers send, to answers that lack them (gateway 413, 429, 5xx)', async () => {
    const policies = Object.values(api.findResources('AWS::CloudFront::ResponseHeadersPolicy')) as Resource[];
    expect(policies).toHaveLength(1);
    const config = (policies[0]?.Properties.ResponseHeadersPolicyConfig ?? {}) as HeadersConfig;
    const added = headersAdded(config);
    expect(added).toEqual(await securityHeaderValues());
    expect(added['content-security-policy']).toBe(DEFAULT_CONTENT_SECURITY_POLICY);
    for (const name of Object.keys(SECURITY_HEADERS)) expect(added[name.toLowerCase()], name).toBeDefined();
    // A handler's own value (the docs page's CSP) wins.
    const overrides = [
      ...Object.values(config.SecurityHeadersConfig).map((header) => header.Override),
      ...config.CustomHeadersConfig.Items.map((item) => item.Override),
    ];
    expect(overrides.every((override) => override === false)).toBe(true);
  });

  it('caches nothing, forwards every method and all but Host, over HTTPS only, to the HTTP API', () => {
    const stack = synth.stacks.api;
    const distributions = Object.values(api.findResources('AWS::CloudFront::Distribution')) as Resource[];
    expect(distributions).toHaveLength(1);
    const config = distributions[0]?.Properties.DistributionConfig as {
      DefaultCacheBehavior: Record<string, unknown>;
      Origins: { DomainName: unknown; CustomOriginConfig: Record<string, unknown> }[];
    };
    expect(config.DefaultCacheBehavior).toMatchObject({
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // Managed-CachingDisabled
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac', // Managed-AllViewerExceptHostHeader
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      ViewerProtocolPolicy: 'https-only',
      ResponseHeadersPolicyId: {
        Ref: stack.getLogicalId(
          stack.cdn.responseHeadersPolicy.node.defaultChild as CfnResponseHeadersPolicy,
        ),
      },
    });
    expect(config.Origins).toHaveLength(1);
    expect(config.Origins[0]?.CustomOriginConfig).toMatchObject({
      OriginProtocolPolicy: 'https-only',
      OriginSSLProtocols: ['TLSv1.2'],
    });
    expect(JSON.stringify(config.Origins[0]?.DomainName)).toContain(
      stack.getLogicalId(stack.httpApi.node.defaultChild as CfnApi),
    );
  });

  it("publishes the distribution's URL as the API URL, and hands it to the functions", () => {
    const stack = synth.stacks.api;
    const distributionId = stack.getLogicalId(stack.cdn.distribution.node.defaultChild as CfnDistribution);
    const outputs = api.findOutputs('*') as Record<string, { Value: unknown }>;
    expect(JSON.stringify(outputs.ApiUrl?.Value)).toContain(distributionId);
    expect(JSON.stringify(outputs.HttpApiUrl?.Value)).toContain(
      stack.getLogicalId(stack.httpApi.node.defaultChild as CfnApi),
    );
    const functions = Object.values(api.findResources('AWS::Lambda::Function')) as Resource[];
    const apiFunctions = functions.filter((fn) => JSON.stringify(fn.Properties).includes('PW_PUBLIC_URL'));
    expect(apiFunctions.length).toBe(Object.keys(stack.groupFunctions).length);
    for (const fn of apiFunctions) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(JSON.stringify(variables.PW_PUBLIC_URL)).toContain(distributionId);
      // No origins configured: CORS falls back to the platform's own origin, the CDN's.
      expect(variables.PW_CORS_ORIGINS).toBeUndefined();
    }
  });
});

describe('billing', () => {
  it('keeps the Stripe keys in a secret without a value in the template', () => {
    const secrets = Object.values(
      synth.template('billing').findResources('AWS::SecretsManager::Secret'),
    ) as Resource[];
    expect(secrets).toHaveLength(1);
    expect(secrets[0]?.Properties.SecretString).toBeUndefined();
  });

  it('serves POST /webhooks/stripe from the webhooks group, which can read the Stripe secret', () => {
    const webhook = apiRoutes.find((route) => routeKey(route) === 'POST /webhooks/stripe');
    expect(webhook?.group).toBe('webhooks');
    const fn = synth.stacks.api.groupFunctions.webhooks;
    const env = JSON.stringify(
      api.findResources('AWS::Lambda::Function')[
        synth.stacks.api.getLogicalId(fn?.function.node.defaultChild as CfnFunction)
      ],
    );
    expect(env).toContain('PW_STRIPE_SECRET_ARN');
  });
});
