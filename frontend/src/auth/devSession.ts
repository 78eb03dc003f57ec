/** Local dev sign-in. The token lives in sessionStorage, so each tab (or browser) can be a different
 * user while sharing is tried out; the recently used ids are remembered in localStorage to pick again. */

export interface DevSession {
  userId: string;
  name: string | null;
  token: string;
}

const SESSION_KEY = "workopti.devSession";
const RECENT_KEY = "workopti.recentUsers";
const RECENT_LIMIT = 6;

export function loadSession(storage: Storage = sessionStorage): DevSession | null {
  try {
    const value: unknown = JSON.parse(storage.getItem(SESSION_KEY) ?? "null");
    if (value && typeof value === "object" && "userId" in value && "token" in value) return value as DevSession;
  } catch {
    // a damaged entry is the same as none
  }
  return null;
}

export function saveSession(session: DevSession, storage: Storage = sessionStorage): void {
  storage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession(storage: Storage = sessionStorage): void {
  storage.removeItem(SESSION_KEY);
}

export function recentUsers(storage: Storage = localStorage): string[] {
  try {
    const value: unknown = JSON.parse(storage.getItem(RECENT_KEY) ?? "[]");
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
}

export function rememberUser(userId: string, storage: Storage = localStorage): void {
  const next = [userId, ...recentUsers(storage).filter((u) => u !== userId)].slice(0, RECENT_LIMIT);
  storage.setItem(RECENT_KEY, JSON.stringify(next));
}
