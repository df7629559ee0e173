// Express 5 with no session at all: the baseline every Express row is divided by.
import express from 'express';
import { announce, settings } from './lib/common.mjs';

let n = 0;
const app = express();
app.get('/login', (_req, res) => res.send('ok'));
app.get('/hit', (_req, res) => res.send(String(++n)));
app.get('/new', (_req, res) => res.send('1'));
app.get('/form', (_req, res) => res.send('no-token'));
app.post('/submit', (_req, res) => res.send(String(++n)));

const server = app.listen(settings.port, '127.0.0.1', () => announce(server.address().port));
