import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

type ClientError = Error & { code?: string; rawPacket?: unknown };

/**
 * Node's HTTP parser rejects the LIST method (it is not in llhttp's method table) with a bare
 * 400 before any route runs, yet node-vault's list() sends it. The parser hands the rejected
 * bytes to fastify's clientErrorHandler; when they are a LIST request we replay it through
 * fastify as `GET ...?list=true` (which the router turns back into LIST) and write the answer
 * on the socket ourselves. The parser is dead for that connection, so we close it afterwards.
 */
export function makeClientErrorHandler(getApp: () => FastifyInstance) {
  return function clientErrorHandler(err: ClientError, socket: Socket): void {
    const raw = Buffer.isBuffer(err.rawPacket) ? err.rawPacket : undefined;
    if (err.code === 'HPE_INVALID_METHOD' && raw && raw.subarray(0, 5).toString('latin1') === 'LIST ') {
      void replayAsGet(raw, getApp(), socket);
      return;
    }
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, message] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['408 Request Timeout', 'the request was not received in time']
      : ['400 Bad Request', 'malformed HTTP request'];
    const body = JSON.stringify({ errors: [message] });
    socket.end(
      `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  };
}

async function replayAsGet(raw: Buffer, app: FastifyInstance, socket: Socket): Promise<void> {
  const text = raw.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  const head = headEnd < 0 ? text : text.slice(0, headEnd);
  const [requestLine, ...headerLines] = head.split('\r\n');
  const target = requestLine.split(' ')[1] ?? '/';
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  const url = target + (target.includes('?') ? '&' : '?') + 'list=true';
  try {
    const res = await app.inject({ method: 'GET', url, headers, remoteAddress: socket.remoteAddress });
    const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage || ''}`];
    for (const [k, v] of Object.entries(res.headers)) {
      if (k === 'connection' || k === 'transfer-encoding' || k === 'content-length' || v === undefined) continue;
      for (const value of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${value}`);
    }
    const body = res.rawPayload;
    lines.push(`content-length: ${body.length}`, 'connection: close', '', '');
    socket.end(Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]));
  } catch {
    socket.destroy();
  }
}
