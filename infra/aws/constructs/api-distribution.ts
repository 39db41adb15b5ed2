import { Duration, Fn, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';
import {
  DEFAULT_CONTENT_SECURITY_POLICY,
  SECURITY_HEADERS,
  STRICT_TRANSPORT_SECURITY,
} from '../../../shared/http/middleware/security-headers';

/** Headers CloudFront sets through its own security-header settings, never as custom headers. */
const CLOUDFRONT_SECURITY_HEADERS = new Set([
  'strict-transport-security',
  'x-content-type-options',
  'referrer-policy',
  'content-security-policy',
  'x-frame-options',
  'x-xss-protection',
]);

/**
 * The API's public entry: a CloudFront distribution in front of the HTTP API that caches nothing,
 * forwards every method, header, query string and cookie (Host aside, which API Gateway needs as
 * its own) and adds the handlers' security headers to any answer that lacks them — API Gateway's
 * own 413, 429 and 5xx answers, which an HTTP API cannot decorate.
 */
export class ApiDistribution extends Construct {
  readonly distribution: Distribution;
  readonly responseHeadersPolicy: ResponseHeadersPolicy;
  /** `https://<distribution domain>`, no trailing slash. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: { httpApi: HttpApi; namePrefix: string }) {
    super(scope, id);

    const custom = Object.entries(SECURITY_HEADERS).filter(
      ([name]) => !CLOUDFRONT_SECURITY_HEADERS.has(name.toLowerCase()),
    );
    this.responseHeadersPolicy = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'The security headers every PipeWeave API response carries',
      // override: false — a handler's own value (the docs page's CSP) is kept.
      securityHeadersBehavior: {
        strictTransportSecurity: {
          accessControlMaxAge: Duration.seconds(STRICT_TRANSPORT_SECURITY.maxAgeSeconds),
          includeSubdomains: STRICT_TRANSPORT_SECURITY.includeSubDomains,
          preload: false,
          override: false,
        },
        contentTypeOptions: { override: false }, // nosniff, CloudFront's only value
        referrerPolicy: { referrerPolicy: referrerPolicy(), override: false },
        contentSecurityPolicy: { contentSecurityPolicy: DEFAULT_CONTENT_SECURITY_POLICY, override: false },
      },
      customHeadersBehavior: {
        customHeaders: custom.map(([header, value]) => ({ header, value, override: false })),
      },
    });

    // https://<id>.execute-api.<region>.amazonaws.com → its host name.
    const apiDomain = Fn.select(2, Fn.split('/', props.httpApi.apiEndpoint));
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `${props.namePrefix} API`,
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: new HttpOrigin(apiDomain, {
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [OriginSslPolicy.TLS_V1_2],
          // API Gateway gives up on an integration after 30 s.
          readTimeout: Duration.seconds(30),
        }),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        responseHeadersPolicy: this.responseHeadersPolicy,
        compress: false,
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    const acknowledge = (ruleId: string, reason: string) =>
      Validations.of(this.distribution).acknowledge({ id: `AwsSolutions-${ruleId}`, reason });
    acknowledge(
      'CFR1',
      'The API serves registered users wherever they are; access is decided per request by tokens and API keys, not by country.',
    );
    acknowledge(
      'CFR2',
      'No WAF web ACL yet: the HTTP API stage throttles every route and the handlers cap body size and nesting; a web ACL is an account-level choice left to the operator.',
    );
    acknowledge(
      'CFR3',
      "Every request that reaches the API is logged as JSON by the HTTP API stage (its access-log group); CloudFront standard logging would need an ACL-enabled bucket, which the platform's buckets (bucket owner enforced) do not allow.",
    );
    acknowledge(
      'CFR4',
      'The distribution answers on its default *.cloudfront.net name, whose certificate CloudFront manages and which cannot take a minimum TLS version; a custom domain with its own certificate would set TLS 1.2.',
    );
  }
}

function headerValue(lowerCaseName: string): string | undefined {
  return Object.entries(SECURITY_HEADERS).find(([name]) => name.toLowerCase() === lowerCaseName)?.[1];
}

/** SECURITY_HEADERS' Referrer-Policy as CloudFront's enum value. */
function referrerPolicy(): HeadersReferrerPolicy {
  if (headerValue('x-content-type-options') !== 'nosniff')
    throw new Error('CloudFront can add X-Content-Type-Options only as nosniff.');
  const value = headerValue('referrer-policy');
  const policy = Object.values(HeadersReferrerPolicy).find((candidate) => candidate === value);
  if (!policy) throw new Error(`Referrer-Policy "${value ?? ''}" has no CloudFront equivalent.`);
  return policy;
}
