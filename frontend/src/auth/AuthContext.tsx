import { createContext, useContext } from "react";

/** Who is signed in, whatever signed them in (Clerk or a local dev user). */
export interface Auth {
  userId: string;
  displayName: string | null;
  signOut: () => void;
}

export const AuthContext = createContext<Auth | null>(null);

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside a signed-in tree");
  return auth;
}
