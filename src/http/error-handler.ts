import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isEngineError } from '../../plugins/sdk/errors.js';
import { toHttpError } from '../engines/engine-errors.js';
import { isLessorError } from '../errors.js';

/**
 * The one place errors become HTTP answers: `{"errors": [message]}` with the status the error
 * registry gives. Fastify's own 4xx errors (bad JSON, schema validation, body too large) keep
 * their status; anything unexpected is a 500 whose body says nothing about internals.
 */
export function errorHandler(raw: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  // The SDK's helpers (parseDuration, comma lists) throw engine errors in core routes too: they
  // get the status the engine error registry gives them (a config error is the caller's 400).
  const err = isEngineError(raw) ? (toHttpError(raw) as FastifyError) : raw;
  let status: number;
  let message: string;
  if (isLessorError(err)) {
    status = err.statusCode;
    message = err.message;
  } else if (err.validation) {
    status = 400;
    message = err.message;
  } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    status = err.statusCode;
    message = err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError
      ? 'request body is not valid JSON'
      : err.message;
  } else {
    status = 500;
    message = 'internal error';
  }
  // A 500 is a bug: its stack is what the operator needs. A 502/503 is a dependency failing (an
  // outage makes hundreds a minute): one line naming it is enough, and no stack floods the log.
  if (status === 500) req.log.error({ err, status }, 'request failed');
  else if (status > 500) req.log.warn({ status, message }, 'request failed: a dependency failed');
  else req.log.debug({ status, message }, 'request refused');
  return reply.code(status).type('application/json').send({ errors: [message] });
}

interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Validation messages that name the field, e.g. `unknown field "colour"` or `body.ttl must be integer`. */
export function schemaErrorFormatter(errors: SchemaError[], dataVar: string): Error {
  const parts = errors.map((e) => {
    const where = `${dataVar}${e.instancePath.replace(/\//g, '.')}`;
    if (e.keyword === 'additionalProperties') return `unknown field "${String(e.params.additionalProperty)}" in ${where}`;
    if (e.keyword === 'required') return `missing required field "${String(e.params.missingProperty)}" in ${where}`;
    return `${where} ${e.message ?? 'is invalid'}`;
  });
  return new Error([...new Set(parts)].join('; '));
}
