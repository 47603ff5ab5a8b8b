import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../bench/datagen/seed.ts';
import { startTestApi, TEST_PASSWORD, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { startTestWorkers, type TestWorkers } from '../../platform/testing/temporal.ts';
import { ensureWebBuild, webBuildDir, webBuildIsStale } from '../../platform/web-build.ts';
import type { scoreCustomersWorkflow } from '../../workflows/score-customers.ts';

/**
 * The marketer's journey in a real browser (Debian's Chromium through playwright-core) against a
 * real stack: the API serving the production build of the app, real workers on the Temporal dev
 * server, the sandbox provider, and campaign days compressed to seconds. Each page visited is
 * saved as a screenshot in web/e2e/screenshots/ (git-ignored).
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screenshots = fileURLToPath(new URL('./screenshots/', import.meta.url));

// A day lasts a few seconds, sends may go at any hour, and nothing waits long for webhooks.
const env = {
  STORE_TIME_ZONE: 'America/Chicago',
  STORE_NAME: "Bob's Bottles",
  CAMPAIGN_DAY_LENGTH: '4 seconds',
  SEND_HOURS: '00:00-23:59',
  DELIVERY_WAIT: '3 seconds',
  ENGAGEMENT_WINDOW: '3 seconds',
  SEND_RETRY_DELAY: '1 second',
  UNSUBSCRIBE_SECRET: 'test-unsubscribe-secret-long-enough-0123456789',
};

const customersCsv = [
  'customer_id,email,phone,first_name,last_name,date_of_birth,email_consent,sms_consent',
  'WEB-1,ria@example.com,(312) 555-0141,Ria,Lopez,1984-03-02,yes,yes',
  'WEB-2,sam@example.com,(312) 555-0142,Sam,Okafor,1979-11-20,yes,no',
  'WEB-3,not-an-email,,Lee,Park,1990-06-14,yes,no',
].join('\n');

describe('the marketer journey in a browser', () => {
  let t: TestDatabase;
  let workers: TestWorkers;
  let api: TestApi;
  let browser: Browser;
  let page: Page;
  let shot = 0;
  const pageErrors: string[] = [];
  // Whole pages, except where an iframe is the point: Chromium leaves iframes blank in full-page captures.
  const screenshot = async (name: string, fullPage = true) => {
    await page.screenshot({ path: path.join(screenshots, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage });
  };

  beforeAll(async () => {
    // `npm test` builds the app first (platform/cli/prepare-test.ts); run alone, the test builds a stale one.
    ensureWebBuild();
    expect(webBuildIsStale()).toBe(false);
    mkdirSync(screenshots, { recursive: true });
    t = await createTestDatabase();
    await seedDemo(t.db, { seed: 7, customerCount: 120, asOf: new Date(), timeZone: env.STORE_TIME_ZONE });
    workers = await startTestWorkers(t.db, env);
    await workers.temporal.client.workflow.execute<typeof scoreCustomersWorkflow>('scoreCustomersWorkflow', {
      taskQueue: workers.queues.workflows,
      workflowId: `e2e-score-${Date.now()}`,
      args: [{ trigger: 'manual', scoringTaskQueue: workers.queues.scoring }],
    });
    api = await startTestApi(t.db, {
      env,
      webBuildDir,
      workflows: { client: workers.temporal.client, queues: workers.queues },
    });
    await api.realtime.ready;
    await api.tokenFor('manager');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    // A script error would leave a blank page: say what it was.
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('response', (res) => {
      if (res.status() >= 400) pageErrors.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    });
    page.on('requestfailed', (req) => pageErrors.push(`failed ${req.method()} ${req.url()}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await workers?.close();
    await t?.drop();
  });

  it('signs in, imports a CSV, plans, edits, starts and follows a campaign, then reads the outbox and analytics', async () => {
    try {
      await journey();
    } catch (err) {
      await screenshot('failure').catch(() => {});
      if (pageErrors.length) console.error(`In the page:\n${pageErrors.join('\n')}`);
      console.error(
        `At ${page.url()}:`,
        await page
          .locator('main')
          .innerText()
          .catch(() => ''),
      );
      throw err;
    }
  }, 300_000);

  async function journey() {
    // 1. Sign in: the app sends a visitor without a session to the login page and back.
    await page.goto(`${api.url}/`);
    await page.getByLabel('E-mail').fill('manager@store.example');
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await screenshot('login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await screenshot('dashboard');

    // 2. Import a CSV of customers: two rows accepted, one rejected with its reason.
    await page.getByRole('link', { name: 'Import' }).first().click();
    await page.getByRole('heading', { name: 'Import', level: 1 }).waitFor();
    await page.getByLabel('CSV file').setInputFiles({
      name: 'crm-export.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(customersCsv),
    });
    await page.getByRole('button', { name: 'Import' }).click();
    const report = page.getByText('Accepted').first();
    await report.waitFor();
    await page.getByText('not-an-email').first().waitFor();
    await screenshot('import');

    // 3. Create a campaign and generate its plan.
    await page.getByRole('link', { name: 'Campaigns' }).first().click();
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByLabel('Name').fill('Browser win-back');
    await page.getByLabel('Goal').fill('Bring lapsed regulars back before the holidays');
    await page.getByLabel('Audience size').fill('12');
    await page.getByLabel('Days').fill('3');
    await screenshot('wizard-details');
    await page.getByRole('button', { name: 'Generate the plan' }).click();
    await page.getByRole('heading', { name: 'Review the plan' }).waitFor({ timeout: 60_000 });
    // No OPENAI_API_KEY here: the page says the deterministic planner made the plan, and why.
    await page.getByText(/deterministic planner, because no LLM is configured/).waitFor();
    await screenshot('wizard-review');

    // 4. Edit an action: a mistake is shown next to it, then a valid change is saved.
    const firstRow = page.locator('tr[data-action]').first();
    const channels = firstRow.getByRole('group', { name: /Channels for/ });
    await channels.getByRole('checkbox', { name: 'E-mail' }).uncheck();
    await firstRow.getByText('Pick at least one channel.').waitFor();
    expect(await page.getByRole('button', { name: 'Save changes' }).isDisabled()).toBe(true);
    await channels.getByRole('checkbox', { name: 'E-mail' }).check();
    const removed = await firstRow.getAttribute('data-action');
    const remaining = await page.locator('tr[data-action]').count();
    await firstRow.getByRole('button', { name: /Remove the action for/ }).click();
    await page.getByText('1 unsaved change').waitFor();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('1 change saved.').waitFor({ timeout: 30_000 });
    // The plan reloads without the removed action.
    await page.locator(`tr[data-action="${removed}"]`).waitFor({ state: 'detached' });
    expect(await page.locator('tr[data-action]').count()).toBe(remaining - 1);
    await screenshot('wizard-edited');

    // 5. Approve and start, then follow the campaign live until it completes.
    await page.getByRole('button', { name: 'Approve and start' }).click();
    await page.waitForURL(/\/campaigns\/[0-9a-f-]{36}$/);
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    await screenshot('campaign-running');
    await page.getByTestId('campaign-status').getByText('Completed').waitFor({ timeout: 150_000 });
    await page.getByRole('heading', { name: 'Results' }).waitFor({ timeout: 15_000 });
    // Every action left in the plan was sent once, and none failed.
    const sent = Number((await page.locator('dd[data-result="sent"]').textContent())?.replace(/\D/g, ''));
    expect(sent).toBe(remaining - 1);
    await page.getByText('No failures.').waitFor();
    expect(await page.getByText('Day 3').isVisible()).toBe(true);
    await screenshot('campaign-completed');

    // 6. The outbox shows what customers would have received; analytics counts it.
    await page.getByRole('link', { name: 'Outbox' }).first().click();
    await page.getByRole('heading', { name: 'Outbox', level: 1 }).waitFor();
    const email = page.frameLocator('iframe[title^="E-mail to"]');
    // The e-mail as sent, with the compliance footer every marketing e-mail carries.
    await email.getByText('Hi ', { exact: false }).first().waitFor();
    await email.getByRole('link', { name: 'Unsubscribe' }).waitFor();
    await screenshot('outbox', false);

    await page.getByRole('link', { name: 'Analytics' }).first().click();
    await page.getByRole('heading', { name: 'Analytics', level: 1 }).waitFor();
    await page.getByRole('table', { name: 'Campaigns compared' }).getByText('Browser win-back').waitFor();
    await page
      .getByRole('list', { name: /Funnel of/ })
      .getByText('Sent')
      .waitFor();
    await screenshot('analytics');
  }
});
