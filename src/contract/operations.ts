import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './types.js';

/* The operations routes (contract §7): liveness and readiness for orchestrators. */

const CheckResult = StringEnum(['ok', 'failed'] as const);

export const ReadinessChecks = Type.Object(
  { database: CheckResult, migrations: CheckResult, archiveStore: CheckResult },
  { description: 'each check: the database answers, every migration has run, the archive store answers' },
);

export const Liveness = Type.Object({ status: Type.Literal('ok') });
export type Liveness = Static<typeof Liveness>;

export const Ready = Type.Object({ status: Type.Literal('ok'), checks: ReadinessChecks });
export type Ready = Static<typeof Ready>;

/** An ErrorResponse (`NOT_READY`) with the checks that failed. */
export const NotReady = Type.Object({ error: Type.Literal('NOT_READY'), message: Type.String(), checks: ReadinessChecks });
export type NotReady = Static<typeof NotReady>;
