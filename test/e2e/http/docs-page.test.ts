import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHandlerFactories, apiRoutes } from '../../../functions/api/routes';
import { startHttpServer, type RunningHttpServer } from '../../../infra/local/http-server';
import { launchChromium, type HeadlessChromium } from '../../support/chromium';
import { httpTestServices, RecordingLogger } from '../../unit/support/http-test-services';

/** The docs page as a person sees it: a real browser, the real CSP, no network beyond the API. */
describe('API docs page in a browser', () => {
  const { services } = httpTestServices();
  let server: RunningHttpServer;
  let browser: HeadlessChromium;

  beforeAll(async () => {
    server = await startHttpServer({
      port: 0,
      routes: apiRoutes,
      logger: new RecordingLogger(),
      getHandler: async (group) => {
        const load = apiHandlerFactories[group];
        if (!load) throw new Error(`no factory for ${group}`);
        return (await load())(() => services);
      },
    });
    browser = await launchChromium();
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('renders every operation, grouped by tag, with auth and a curl example', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(server.url) && !request.url().startsWith('data:'))
        outside.push(request.url());
    });

    await page.goto(`${server.url}/docs`);
    const operations = page.locator('details.op');
    await operations.first().waitFor({ timeout: 15_000 });
    expect(await operations.count()).toBe(apiRoutes.length);

    const health = page.locator('details#getHealth');
    await expect.poll(() => health.locator(':scope > summary').innerText()).toMatch(/GET\s+\/health/);
    expect(await health.locator('.auth').innerText()).toBe('public');
    expect(await page.locator('section#tag-system h2').innerText()).toMatch(/system/i);

    await health.locator(':scope > summary').click();
    const body = await health.locator('.body').innerText();
    expect(body).toContain('200');
    expect(body).toContain('503');
    expect(body).toContain('HealthReport');
    expect(await health.locator('pre.curl').innerText()).toBe(`curl -sS '${server.url}/health'`);

    expect(await page.locator('#meta').innerText()).toContain(server.url);
    await page.locator('#filter').fill('openapi');
    await expect.poll(() => page.locator('details.op:not(.hidden)').count()).toBe(1);

    expect(problems).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  });
});
