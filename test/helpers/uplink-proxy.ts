import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ProxyMode = 'pass' | 'hang' | 'garbage' | 'loop' | 'huge' | 'wrong-shape';

/**
 * Stands between a mirror and its upstream registry on loopback: passes requests through, or
 * misbehaves as told; `stop()` and `start()` take the port away and give it back (an upstream
 * killed and restarted, as the mirror sees it: connections refused, then answers again).
 */
export class UplinkProxy {
  mode: ProxyMode = 'pass';
  /** Paths asked of the upstream, in order. */
  readonly hits: string[] = [];
  /** Paths answered 404, as an upstream without those routes would (api.comfy.org has no bulk resolve). */
  readonly missingRoutes = new Set<string>();
  private server: http.Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<string> {
    const server = http.createServer((req, res) => this.answer(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.hits.push(req.url!);
    if (this.missingRoutes.has(req.url!.split('?')[0])) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message": "Not Found"}');
      return;
    }
    switch (this.mode) {
      case 'hang':
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>upstream is having a bad day</html>');
        return;
      case 'loop':
        res.writeHead(302, { location: req.url }).end();
        return;
      case 'huge':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"id": "x", "description": "${'x'.repeat(20 * 1024 * 1024)}"}`);
        return;
      case 'wrong-shape':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": ["not", "a", "string"], "nodes": 7}');
        return;
      default: {
        const upstream = http.request(`${this.target}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode!, up.headers);
          up.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        req.pipe(upstream);
      }
    }
  }
}
