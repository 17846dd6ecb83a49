// The reference for the accept path: a bare express app that parses the same JSON body and
// answers 202 with an id, and nothing else. Run as a child process: `bare-server.ts <port>`.
import { randomUUID } from 'node:crypto';
import express from 'express';

const port = Number(process.argv[2]);
const app = express();
app.use(express.json({ limit: '100kb' }));
app.post('/v1/notifications', (req, res) => {
  res.status(202).json({ id: randomUUID(), status: 'accepted', received: Object.keys(req.body ?? {}).length });
});
const server = app.listen(port, '127.0.0.1', () => process.stdout.write(`bare server listening on ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
