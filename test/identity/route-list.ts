import type { FastifyInstance } from 'fastify';

/** Every (method, url) the app routes, read back from fastify's route tree print-out. */
export function routeList(app: FastifyInstance): Array<{ method: string; url: string }> {
  const out: Array<{ method: string; url: string }> = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const at = line.indexOf('── ');
    if (at < 0) continue;
    const depth = Math.round(at / 4);
    const m = /^(.*?)(?: \(([^)]*)\))?$/.exec(line.slice(at + 3).trim())!;
    const url = (depth > 0 ? stack[depth - 1] : '') + m[1];
    stack[depth] = url;
    stack.length = depth + 1;
    for (const method of (m[2] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      if (method !== 'HEAD' && method !== 'OPTIONS') out.push({ method, url });
    }
  }
  return out;
}
