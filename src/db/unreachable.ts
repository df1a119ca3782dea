/** The database did not answer at start within the wait: the reason, for one line on stderr (no imports: the CLI loads it eagerly). */
export class DatabaseUnreachable extends Error {}
