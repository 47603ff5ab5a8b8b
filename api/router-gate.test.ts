import express, { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gated } from './router-gate.ts';
import { listen, type ApiServer } from './server.ts';

describe('gated routers', () => {
  let server: ApiServer;
  const offered: string[] = [];
  beforeAll(async () => {
    const campaigns = Router();
    campaigns.use((req, _res, next) => (offered.push(`campaigns ${req.path}`), next()));
    campaigns.get('/api/campaigns', (_req, res) => res.json({ route: 'list' }));
    campaigns.get('/api/campaigns/:id/progress', (req, res) => res.json({ route: 'progress', id: req.params.id }));
    // The same router without its spy: only routes, so it is gated.
    const routesOnly = Router();
    routesOnly.get('/api/campaigns', (_req, res) => res.json({ route: 'list' }));
    routesOnly.get('/api/campaigns/:id/progress', (req, res) => res.json({ route: 'progress', id: req.params.id }));
    routesOnly.get('/r/:token', (req, res) => res.json({ route: 'redirect', token: req.params.token }));
    const everything = Router();
    everything.get('/:anything', (req, res) => res.json({ route: 'anything', path: req.params.anything }));

    const app = express();
    const spy = Router();
    spy.use((req, _res, next) => (offered.push(`gated ${req.path}`), next()));
    app.use(gated(spy)); // middleware for every path: never gated, alone
    // Records each request the gate offers it.
    const watchedRoutes = Object.assign(
      (req: express.Request, res: express.Response, next: express.NextFunction) => {
        offered.push(`routes ${req.path}`);
        routesOnly(req, res, next);
      },
      { stack: routesOnly.stack },
    ) as unknown as Router;
    app.use(gated(watchedRoutes, campaigns, everything));
    server = await listen(app, 0, '127.0.0.1');
  });
  afterAll(async () => server.close(1_000));

  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path}`);
    return { status: res.status, body: res.status === 200 ? await res.json() : undefined };
  };

  it("passes the router's own paths, ignoring case and a trailing slash as Express does", async () => {
    expect(await get('/api/campaigns')).toEqual({ status: 200, body: { route: 'list' } });
    expect(await get('/API/Campaigns/')).toEqual({ status: 200, body: { route: 'list' } });
    expect(await get('/api/campaigns/c1/progress')).toEqual({ status: 200, body: { route: 'progress', id: 'c1' } });
    expect(await get('/r/abc')).toEqual({ status: 200, body: { route: 'redirect', token: 'abc' } });
  });

  it('passes other paths on without offering them to the router', async () => {
    offered.length = 0;
    expect(await get('/api/campaignsx')).toEqual({ status: 404, body: undefined });
    expect(await get('/rx')).toEqual({ status: 200, body: { route: 'anything', path: 'rx' } });
    expect(await get('/api/customers')).toEqual({ status: 404, body: undefined });
    // Routers with middleware for every path see every request; the gated one saw none of these.
    expect(offered.filter((o) => o.startsWith('routes'))).toEqual([]);
    expect(offered).toContain('campaigns /api/customers');
    await get('/api/Campaigns/c2/progress');
    expect(offered).toContain('routes /api/Campaigns/c2/progress');
  });
});
