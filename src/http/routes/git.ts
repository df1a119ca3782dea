import { Type } from '@sinclair/typebox';
import { fail } from '../../contract/index.js';
import type { GitRepositories } from '../../registry/git-repos.js';
import type { App } from '../app.js';
import { errorResponses } from '../schemas.js';

const tags = ['Git'];
export const GIT_PREFIX = '/git/';

const GitParams = Type.Object({ repo: Type.String({ maxLength: 210 }), '*': Type.String({ maxLength: 200 }) });

/**
 * Every pack as a read-only git repository over git's dumb HTTP protocol: `git clone
 * {public URL}/git/{nodeId}` (a `.git` suffix is accepted). Immutable object files are cacheable
 * for ever; refs are revalidated on every fetch.
 */
export async function gitRoutes(app: App, repos: GitRepositories) {
  app.get(
    '/git/:repo/*',
    {
      schema: {
        summary: "A file of a pack's git repository (git's dumb HTTP protocol: info/refs, HEAD, objects/...)",
        tags,
        params: GitParams,
        querystring: Type.Object({ service: Type.Optional(Type.String({ maxLength: 100 })) }),
        response: { ...errorResponses(403, 404, 502, 503) },
      },
    },
    async (req, reply) => {
      const file = req.params['*'];
      if (req.query.service !== undefined && req.query.service !== 'git-upload-pack') throw fail('GIT_PUSH_REFUSED');
      const answer = await repos.read(req.params.repo.replace(/\.git$/, ''), file);
      if (answer.kind === 'bytes') return reply.type(answer.contentType).header('cache-control', 'no-cache').send(answer.body);
      return reply
        .type(answer.contentType)
        .header('content-length', answer.size)
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(answer.handle.createReadStream());
    },
  );

  app.route({
    method: ['POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/git/*',
    schema: { summary: 'Refused: the repositories are read-only', tags, response: { ...errorResponses(403) } },
    handler: async () => {
      throw fail('GIT_PUSH_REFUSED');
    },
  });
}
