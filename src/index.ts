export { buildApp } from './app.js';
export { createRuntime } from './runtime.js';
export { loadConfig } from './config.js';
