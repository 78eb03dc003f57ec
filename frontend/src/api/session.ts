/** Where the API client gets its bearer token and whom it tells when the token stops working.
 * The signed-in part of the app registers both; the client stays free of React. */

type TokenSource = () => Promise<string | null>;
type Listener = () => void;

let tokenSource: TokenSource = async () => null;
const expiredListeners = new Set<Listener>();

export function setTokenSource(source: TokenSource): void {
  tokenSource = source;
}

export function getToken(): Promise<string | null> {
  return tokenSource();
}

export function onSessionExpired(listener: Listener): () => void {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

export function reportSessionExpired(): void {
  for (const listener of expiredListeners) listener();
}
