import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeAtomic } from './output.js';

/**
 * The state file beside each output: which lease the output's credentials belong to. A
 * restarted agent, or a sidecar started after an init container's `--once`, adopts that lease
 * (if lessor says it is still live) instead of issuing a second set of credentials.
 * It holds no secret: a lease id only lets its holder renew or revoke with a token allowed to.
 */
export interface AgentState {
  path: string;
  lease_id: string;
  lease_duration: number;
  updated_at: string;
}

export const statePath = (output: string) => join(dirname(output), `.${basename(output)}.lessor-state`);

export async function readState(output: string, path: string): Promise<AgentState | undefined> {
  try {
    const s = JSON.parse(await readFile(statePath(output), 'utf8')) as Partial<AgentState>;
    if (s.path !== path || typeof s.lease_id !== 'string' || !s.lease_id) return undefined;
    // Without the output file there is nothing to keep: adopting would leave the app with no credentials.
    await readFile(output);
    return s as AgentState;
  } catch {
    return undefined;
  }
}

export async function writeState(output: string, s: Omit<AgentState, 'updated_at'>): Promise<void> {
  await writeAtomic(statePath(output), `${JSON.stringify({ ...s, updated_at: new Date().toISOString() })}\n`);
}

export async function removeState(output: string): Promise<void> {
  await rm(statePath(output), { force: true });
}
