/** `lessor/client`: the consumer side of lessor's HTTP API. */
export { LessorClient, type ClientEvents } from './client.js';
export { Lease, type Credential, type LeaseOptions, type LeaseEvents, type RotationReason } from './lease.js';
export { LessorApiError, LessorConnectionError, LessorProtocolError, isTransient } from './errors.js';
export { createPgPool, RotatingPgPool, type PgPoolOptions } from './pg-pool.js';
export { createMysqlPool, RotatingMysqlPool, type MysqlPoolOptions } from './mysql-pool.js';
export type * from './types.js';
