import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A load balancer with no stickiness at all, for tests: each HTTP request
 * goes to the next target in turn, over a fresh connection. A target that
 * refuses the connection is skipped, as a balancer retries on another server.
 */
export class RoundRobin {
  /** Which target served each request, in order. */
  readonly served: string[] = [];
  private next = 0;

  private constructor(
    private readonly server: Server,
    readonly targets: string[],
  ) {}

  static async start(targets: string[]): Promise<RoundRobin> {
    const server = createServer();
    const rr = new RoundRobin(server, targets);
    server.on('request', async (req, res) => {
      // The body is read first, so a request can be sent again to another target.
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const attempt = (left: number) => {
        const target = new URL(rr.targets[rr.next++ % rr.targets.length]!);
        const upstream = request(
          { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers, agent: false },
          (answer) => {
            rr.served.push(target.origin);
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ECONNREFUSED' && left > 1 && !res.headersSent) return attempt(left - 1);
          res.destroy();
        });
        res.on('close', () => upstream.destroy());
        upstream.end(body);
      };
      attempt(rr.targets.length);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return rr;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
