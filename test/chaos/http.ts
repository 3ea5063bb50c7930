// Requests to the lessor replicas: a random replica that is up, the answer's status counted per
// route, a 500 or a hang recorded as a finding. A request that dies with its replica (killed
// mid-flight) is returned as 'down' so the caller decides whether to try another one.
import type { Ledger } from './ledger.js';
import type { Prng } from './prng.js';

export interface ReplicaEndpoint {
  url: string;
  up: boolean;
}

export type Answer =
  | { kind: 'ok'; status: number; body: any; sentAt: number; recvAt: number }
  | { kind: 'down'; sentAt: number; recvAt: number; error: string };

/** An answer slower than this is a hang: lessor must answer 503 instead when a dependency is down. */
const HANG_MS = 15_000;

export class LessorClient {
  constructor(private readonly replicas: ReplicaEndpoint[], private readonly token: string,
    private readonly ledger: Ledger, private readonly rng: Prng) {}

  async call(method: string, route: string, path: string, body?: unknown): Promise<Answer> {
    const up = this.replicas.filter((r) => r.up);
    const replica = this.rng.pick(up.length ? up : this.replicas);
    const sentAt = Date.now();
    try {
      const res = await fetch(`${replica.url}/v1/${path}`, {
        method: method === 'LIST' ? 'GET' : method, // LIST goes as ?list=true in the path
        headers: { 'x-vault-token': this.token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(HANG_MS),
      });
      const text = await res.text();
      const recvAt = Date.now();
      const key = `${method} ${route}`;
      this.ledger.status(key, String(res.status), () => text.slice(0, 200));
      if (res.status === 500) this.ledger.find({ kind: 'http-500', detail: `${key} at ${this.ledger.t(sentAt)}: ${text.slice(0, 300)}` });
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch { /* not JSON: keep the text */ }
      return { kind: 'ok', status: res.status, body: parsed, sentAt, recvAt };
    } catch (err) {
      const recvAt = Date.now();
      const e = err as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError') {
        this.ledger.status(`${method} ${route}`, 'hang');
        this.ledger.find({ kind: 'hang', detail: `${method} ${route} at ${this.ledger.t(sentAt)}: no answer in ${HANG_MS} ms` });
      } else {
        this.ledger.status(`${method} ${route}`, 'conn-error', () => e.cause?.code ?? e.message);
      }
      return { kind: 'down', sentAt, recvAt, error: e.cause?.code ?? e.message };
    }
  }
}
