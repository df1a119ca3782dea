/** The web UI's session cookie (src/ui/session.ts): a request carrying it is personal, like one with a token. */
export const SESSION_COOKIE = 'comfyreg_session';

export const hasSessionCookie = (cookieHeader: string | undefined): boolean =>
  cookieHeader !== undefined && cookieHeader.includes(`${SESSION_COOKIE}=`);
