export * from './types.js';
export * from './errors.js';
export * from './duration.js';
export * from './comma-list.js';
