import type { Logger } from 'pino';
import type { LessorClient } from '../client/client.js';
import type { Credential, Lease } from '../client/lease.js';
import type { AgentHealth } from './health.js';
import type { Notifier } from './notify.js';
import type { OutputFormat, SecretSpec } from './options.js';
import { render, writeAtomic } from './output.js';
import { readState, removeState, writeState } from './state.js';

export interface KeeperDeps {
  client: LessorClient;
  format: OutputFormat;
  notifier: Notifier;
  health: AgentHealth;
  log: Logger;
  graceMs: number;
}

/**
 * One --secret: adopts the lease named in the state file or fetches new credentials, writes
 * the output file, and on every rotation rewrites it, notifies the app, and revokes the old
 * lease after the grace period. Logs name paths and lease ids, never the data.
 */
export class SecretKeeper {
  private lease: Lease | undefined;
  private written: string | undefined;
  private readonly retiring = new Map<string, NodeJS.Timeout>();

  constructor(readonly spec: SecretSpec, private readonly deps: KeeperDeps) {}

  get current(): Credential | undefined {
    return this.lease?.current;
  }

  /** First credentials on disk. Safe to call again after a failure (a fresh Lease each time). */
  async start(): Promise<void> {
    const { client, log } = this.deps;
    const { path, file } = this.spec;
    this.lease?.stop();
    const state = await readState(file, path);
    const lease = client.lease(path, state ? { adopt: { leaseId: state.lease_id, leaseDuration: state.lease_duration } } : {});
    this.lease = lease;
    lease.on('renewed', (c) => {
      log.info({ path, leaseId: c.leaseId, ttl: c.leaseDuration }, 'lease renewed');
      this.deps.health.renewals.inc({ path });
      void this.deps.health.ok(path, c.expiresAt);
    });
    lease.on('expiring', (c) => log.info({ path, leaseId: c.leaseId }, 'lease cannot be extended, fetching new credentials'));
    lease.on('error', (err) => {
      log.warn({ path, err: err.message }, 'lease renewal or fetch failed, retrying');
      this.deps.health.errors.inc({ path });
    });
    lease.on('rotated', ({ previous, current, reason }) => void this.rotated(previous, current, reason));

    const cred = await lease.start();
    if (cred.adopted) {
      this.written = cred.leaseId;
      log.info({ path, leaseId: cred.leaseId, ttl: cred.leaseDuration }, 'live lease adopted, keeping the existing file');
      await writeState(file, { path, lease_id: cred.leaseId, lease_duration: state?.lease_duration ?? cred.leaseDuration });
    } else if (this.written !== cred.leaseId) {
      await this.write(cred);
      log.info({ path, leaseId: cred.leaseId, ttl: cred.leaseDuration, file }, 'credentials written');
    }
    this.deps.health.fetches.inc({ path });
    await this.deps.health.ok(path, cred.expiresAt);
  }

  /** Stops renewing; with revoke, ends the current and any retiring lease now. */
  async stop(revoke: boolean): Promise<void> {
    this.lease?.stop();
    const ids = [...this.retiring.keys()];
    for (const t of this.retiring.values()) clearTimeout(t);
    this.retiring.clear();
    if (!revoke) return;
    const current = this.lease?.current?.leaseId;
    if (current) ids.push(current);
    await Promise.all(ids.map((id) => this.revoke(id)));
    await removeState(this.spec.file);
  }

  private async write(cred: Credential): Promise<void> {
    const content = await render(this.deps.format, { leaseId: cred.leaseId, leaseDuration: cred.leaseDuration, data: cred.data ?? {} });
    await writeAtomic(this.spec.file, content);
    await writeState(this.spec.file, { path: this.spec.path, lease_id: cred.leaseId, lease_duration: cred.leaseDuration });
    this.written = cred.leaseId;
  }

  private async rotated(previous: Credential, current: Credential, reason: string): Promise<void> {
    const { log, health } = this.deps;
    const { path } = this.spec;
    try {
      await this.write(current);
    } catch (err) {
      // The new credentials are valid but not on disk: keep the old lease, say so loudly.
      log.error({ path, leaseId: current.leaseId, err: (err as Error).message }, 'could not write the new credentials');
      health.errors.inc({ path });
      return;
    }
    health.rotations.inc({ path });
    health.fetches.inc({ path });
    void health.ok(path, current.expiresAt);
    log.info({ path, leaseId: current.leaseId, previousLeaseId: previous.leaseId, reason, ttl: current.leaseDuration }, 'credentials rotated');
    this.deps.notifier.changed();
    // The app needs a moment to pick up the new file; the old lease ends on its own anyway.
    const grace = Math.max(0, Math.min(this.deps.graceMs, previous.expiresAt - Date.now() - 250));
    const t = setTimeout(() => {
      this.retiring.delete(previous.leaseId);
      void this.revoke(previous.leaseId);
    }, grace);
    this.retiring.set(previous.leaseId, t);
  }

  private async revoke(leaseId: string): Promise<void> {
    try {
      await this.deps.client.revoke(leaseId);
      this.deps.log.info({ path: this.spec.path, leaseId }, 'lease revoked');
    } catch (err) {
      this.deps.log.warn({ path: this.spec.path, leaseId, err: (err as Error).message }, 'could not revoke lease');
    }
  }
}
