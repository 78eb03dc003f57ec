/** Sign-in with Clerk. Loaded only when a publishable key is configured, so dev builds never ship it
 * in the first bundle. The session token from getToken() is the API's bearer token. */
import { ClerkProvider, SignIn, useAuth as useClerkAuth, useUser } from "@clerk/clerk-react";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, type ReactNode } from "react";
import { onSessionExpired, setTokenSource } from "../api/session";
import { AuthContext, type Auth } from "./AuthContext";
import "../styles/signin.css";

function Bridge({ children }: { children: ReactNode }) {
  const { isLoaded, isSignedIn, getToken, signOut } = useClerkAuth();
  const { user } = useUser();
  const client = useQueryClient();

  if (isSignedIn) setTokenSource(() => getToken());

  // A 401 means Clerk's session is gone: back to its sign-in.
  useEffect(() => onSessionExpired(() => void signOut()), [signOut]);

  useEffect(() => {
    if (isLoaded && !isSignedIn) client.clear();
  }, [isLoaded, isSignedIn, client]);

  const auth = useMemo<Auth | null>(
    () =>
      isSignedIn && user
        ? {
            userId: user.id,
            displayName: user.fullName ?? user.primaryEmailAddress?.emailAddress ?? null,
            signOut: () => void signOut(),
          }
        : null,
    [isSignedIn, user, signOut],
  );

  if (!isLoaded) return <p className="signin" role="status">Loading sign-in…</p>;
  if (!auth) {
    return (
      <main className="signin" id="main">
        <h1>WorkOpti</h1>
        <SignIn routing="hash" />
      </main>
    );
  }
  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
}

export default function ClerkAuth({ publishableKey, children }: { publishableKey: string; children: ReactNode }) {
  return (
    <ClerkProvider publishableKey={publishableKey} afterSignOutUrl="/">
      <Bridge>{children}</Bridge>
    </ClerkProvider>
  );
}
