import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiGroups, apiRoutes } from '../../functions/api/routes';
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
