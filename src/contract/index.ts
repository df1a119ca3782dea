/*
 * The API contract, defined once. TypeBox schemas here validate requests and serialise responses
 * (src/http), are what /openapi.json publishes, and their `Static<>` types are what the registry,
 * the extractor and the jobs pass around. The error catalogue lives here too.
 */
export * from './types.js';
export * from './errors.js';
export * from './registry.js';
export * from './comfy-nodes.js';
export * from './operations.js';
export * from './manager.js';
export * from './mirror.js';
