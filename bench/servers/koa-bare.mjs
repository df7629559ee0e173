// Koa 3 + @koa/router with no session at all: the baseline every Koa row is divided by.
import Router from '@koa/router';
import Koa from 'koa';
import { announce, settings } from './lib/common.mjs';

let n = 0;
const app = new Koa();
const router = new Router();
router.get('/login', (ctx) => {
  ctx.body = 'ok';
});
router.get('/hit', (ctx) => {
  ctx.body = String(++n);
});
router.get('/new', (ctx) => {
  ctx.body = '1';
});
router.get('/form', (ctx) => {
  ctx.body = 'no-token';
});
router.post('/submit', (ctx) => {
  ctx.body = String(++n);
});
app.use(router.routes());

const server = app.listen(settings.port, '127.0.0.1', () => announce(server.address().port));
