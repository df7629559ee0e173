// Fastify 5 with no session at all: the baseline every Fastify row is divided by.
import Fastify from 'fastify';
import { announce, settings } from './lib/common.mjs';

let n = 0;
const app = Fastify({ logger: false });
app.get('/login', async () => 'ok');
app.get('/hit', async () => String(++n));
app.get('/new', async () => '1');
app.get('/form', async () => 'no-token');
app.post('/submit', async () => String(++n));

await app.listen({ port: settings.port, host: '127.0.0.1' });
announce(app.server.address().port);
