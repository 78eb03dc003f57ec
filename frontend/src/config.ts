/** Runtime configuration: served as /config.js beside the app, so one build fits every environment.
 * The VITE_* build-time variables are only a fallback for `vite dev` without an API behind it. */
export interface AppConfig {
  /** Origin of the API; "" means the origin that served the app. */
  apiUrl: string;
  clerkPublishableKey: string | null;
}

interface RawConfig {
  apiUrl?: unknown;
  clerkPublishableKey?: unknown;
}

declare global {
  interface Window {
    __WORKOPTI_CONFIG__?: RawConfig;
  }
}

function text(value: unknown): string {
  return typeof value === "string" ? value.trim() : "";
}

export function readConfig(
  raw: RawConfig | undefined = window.__WORKOPTI_CONFIG__,
  env: Record<string, unknown> = import.meta.env,
): AppConfig {
  const apiUrl = text(raw?.apiUrl) || text(env.VITE_APP_API_URL);
  const key = text(raw?.clerkPublishableKey) || text(env.VITE_CLERK_PUBLISHABLE_KEY);
  return { apiUrl: apiUrl.replace(/\/+$/, ""), clerkPublishableKey: key || null };
}

export const config: AppConfig = readConfig();
