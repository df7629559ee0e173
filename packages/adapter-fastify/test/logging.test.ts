import { Writable } from 'node:stream';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { expect, it } from 'vitest';
import { spartan } from '../src/index.js';
import { Client, SECRET } from './support/client.js';
import { SwitchStore } from './support/store.js';

it("puts no session id, cookie or secret into Fastify's log, for requests, refusals and failures", async () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const store = new SwitchStore();
  const { sessions } = spartan({ secrets: SECRET, store });
  const app = Fastify({ logger: { level: 'trace', stream } });
  await app.register(formbody);
  await app.register(sessions.sessioner);
  app.addHook('preHandler', sessions.csrf({ cookie: false }));
  app.get('/login', async (request) => {
    await request.session.authenticate('alice');
    return { id: request.session.id };
  });
  app.get('/form', async (_request, reply) => ({ token: reply.csrfToken() }));
  app.post('/send', async () => 'sent');
  app.get('/write', async (request) => {
    request.session.more = true;
    return 'written';
  });
  await app.ready();

  const client = new Client(app);
  const { id } = (await client.get('/login')).json<{ id: string }>();
  const { token } = (await client.get('/form')).json<{ token: string }>();
  expect((await client.post('/send')).statusCode).toBe(403);
  expect((await client.post('/send', { _csrf: token })).statusCode).toBe(200);
  store.down = true;
  expect((await client.get('/write')).statusCode).toBe(503);
  await app.close();

  const log = lines.join('');
  expect(log).toMatch(/sessions\/store-unavailable/);
  expect(log).toMatch(/sessions\/csrf-invalid/);
  for (const secret of [id, client.session!, SECRET, token]) expect(log).not.toContain(secret);
});
