import { Type, type Static } from '@sinclair/typebox';
import { Opt } from './types.js';

/* Mirror mode: ids reserved for local packs. */

export const ReservedId = Type.Object(
  {
    pattern: Type.String({ description: 'an id, or a pattern where `*` stands for any characters' }),
    reason: Type.String(),
    created_at: Type.String({ description: 'empty for patterns from COMFYREG_RESERVED_IDS' }),
  },
  { $id: 'ReservedId' },
);
export type ReservedId = Static<typeof ReservedId>;

export const ReservedIdInput = Type.Object({
  pattern: Type.String({ maxLength: 100 }),
  reason: Opt(Type.String({ maxLength: 2000 })),
});
export type ReservedIdInput = Static<typeof ReservedIdInput>;
