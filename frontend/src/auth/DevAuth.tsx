import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, unwrap } from "../api/client";
import { onSessionExpired, setTokenSource } from "../api/session";
import { AuthContext, type Auth } from "./AuthContext";
import { DevSignIn } from "./DevSignIn";
import { clearSession, loadSession, rememberUser, saveSession, type DevSession } from "./devSession";

const EXPIRED = "Your session has expired. Please sign in again.";

export function DevAuth({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [session, setSession] = useState<DevSession | null>(() => loadSession());
  const [notice, setNotice] = useState<string | null>(null);

  // Set during render so the first queries of a restored session already carry the token.
  setTokenSource(async () => session?.token ?? null);

  const end = useCallback(
    (message: string | null) => {
      clearSession();
      client.clear();
      setSession(null);
      setNotice(message);
    },
    [client],
  );

  useEffect(() => onSessionExpired(() => end(EXPIRED)), [end]);

  const signIn = useCallback(async (userId: string, name: string | null) => {
    const answer = await unwrap(
      api.POST("/api/v1/auth/dev-token", { body: { user_id: userId, name: name || undefined } }),
    );
    const next = { userId, name, token: answer.access_token };
    saveSession(next);
    rememberUser(userId);
    setNotice(null);
    setSession(next);
  }, []);

  const auth = useMemo<Auth | null>(
    () => (session ? { userId: session.userId, displayName: session.name, signOut: () => end(null) } : null),
    [session, end],
  );

  if (!auth) return <DevSignIn onSignIn={signIn} notice={notice} />;
  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
}
