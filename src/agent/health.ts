import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import { writeAtomic } from './output.js';

/**
 * Liveness for the sidecar: Prometheus metrics and /health on --metrics-listen, and/or a health
 * file rewritten after every successful fetch or renewal (a probe checks its age).
 */
export class AgentHealth {
  readonly registry = new Registry();
  readonly fetches = new Counter({ name: 'lessor_agent_fetches_total', help: 'Credentials fetched', labelNames: ['path'], registers: [this.registry] });
  readonly renewals = new Counter({ name: 'lessor_agent_renewals_total', help: 'Lease renewals', labelNames: ['path'], registers: [this.registry] });
  readonly rotations = new Counter({ name: 'lessor_agent_rotations_total', help: 'Credential rotations', labelNames: ['path'], registers: [this.registry] });
  readonly errors = new Counter({ name: 'lessor_agent_errors_total', help: 'Failed renewals, fetches, logins and revocations', labelNames: ['path'], registers: [this.registry] });
  readonly expiry = new Gauge({ name: 'lessor_agent_lease_expiry_timestamp_seconds', help: 'When the current lease ends unless renewed', labelNames: ['path'], registers: [this.registry] });
  private server: Server | undefined;
  private readonly expiries = new Map<string, number>();

  constructor(private readonly healthFile?: string) {}

  /** Healthy while every secret's current lease is still valid. */
  healthy(): boolean {
    const now = Date.now();
    return this.expiries.size > 0 && [...this.expiries.values()].every((t) => t > now);
  }

  async ok(path: string, expiresAt: number): Promise<void> {
    this.expiries.set(path, expiresAt);
    this.expiry.set({ path }, Math.floor(expiresAt / 1000));
    if (this.healthFile) await writeAtomic(this.healthFile, `${new Date().toISOString()}\n`).catch(() => {});
  }

  async listen(host: string, port: number): Promise<string> {
    this.server = createServer((req, res) => {
      if (req.url === '/metrics') {
        void this.registry.metrics().then((body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body));
      } else if (req.url === '/health') {
        const ok = this.healthy();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'lease expired or not yet fetched\n');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const addr = this.server.address();
    return typeof addr === 'object' && addr ? `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}` : '';
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
