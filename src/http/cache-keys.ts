import type { FastifyRequest } from 'fastify';
import { changeKeys as keys } from '../db/change-feed.js';
import type { CacheKeys } from './response-cache.js';

/*
 * What each cached route's answers depend on, in the change keys the registry touches when it
 * writes (src/registry/changes.ts). A route without keys depends on everything (`all`).
 */

const param = (req: FastifyRequest, name: string): string => (req.params as Record<string, string>)[name] ?? '';
const publisherOf = (answer: unknown): string[] => {
  const id = (answer as { publisher?: { id?: string } } | undefined)?.publisher?.id;
  return id ? [keys.publisher(id)] : [];
};

/** One pack's versions and comfy nodes (the node itself, without its counters). */
export const packKeys: CacheKeys = (req) => [keys.pack(param(req, 'nodeId'))];

/** A pack with its publisher and counters (`GET /nodes/{id}`). */
export const nodeKeys: CacheKeys = (req, answer) => [
  keys.pack(param(req, 'nodeId')),
  keys.counts(param(req, 'nodeId')),
  ...publisherOf(answer),
];

/**
 * The resolver: the name, and the pack that won with its publisher. Download counts are not among
 * them: the answer's count may lag by the cache's age bound, and a stream of installs never evicts it.
 */
export const resolverKeys: CacheKeys = (req, answer) => {
  const id = (answer as { id?: string } | undefined)?.id;
  return [keys.name(param(req, 'comfyNodeName')), ...(id ? [keys.pack(id)] : []), ...publisherOf(answer)];
};

export const publisherKeys: CacheKeys = (req) => [keys.publisher(param(req, 'publisherId'))];
