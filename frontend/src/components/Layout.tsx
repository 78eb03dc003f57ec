import { Suspense, useEffect, useRef } from "react";
import { Link, NavLink, Outlet, useLocation } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { DisabledWebhooksBanner } from "../features/webhooks/DisabledWebhooksBanner";

export function Layout() {
  const { userId, displayName, signOut } = useAuth();
  const location = useLocation();
  const onList = location.pathname === "/";
  const sharedView = onList && new URLSearchParams(location.search).get("scope") === "shared";
  const main = useRef<HTMLElement>(null);
  const firstPath = useRef(location.pathname);

  // After moving to another screen, keyboard and screen-reader users start at its content, not at
  // the link they left behind.
  useEffect(() => {
    if (location.pathname === firstPath.current) return;
    firstPath.current = "";
    main.current?.focus({ preventScroll: true });
  }, [location.pathname]);

  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="app-header">
        <Link to="/" className="brand">
          WorkOpti
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <NavLink to="/" end aria-current={onList && !sharedView ? "page" : undefined} className={() => (onList && !sharedView ? "active" : "")}>
                Documents
              </NavLink>
            </li>
            <li>
              <NavLink to="/?scope=shared" aria-current={sharedView ? "page" : undefined} className={() => (sharedView ? "active" : "")}>
                Shared with me
              </NavLink>
            </li>
            <li>
              <NavLink to="/batches">Batches</NavLink>
            </li>
            <li>
              <NavLink to="/search">Search</NavLink>
            </li>
            <li>
              <NavLink to="/ask">Ask</NavLink>
            </li>
            <li>
              <NavLink to="/schemas">Schemas</NavLink>
            </li>
            <li>
              <NavLink to="/review">Review</NavLink>
            </li>
            <li>
              <NavLink to="/api-keys">API keys</NavLink>
            </li>
            <li>
              <NavLink to="/webhooks">Webhooks</NavLink>
            </li>
          </ul>
        </nav>
        <div className="user">
          <span className="user-id" title={displayName ?? undefined}>
            {userId}
          </span>
          <button type="button" className="secondary" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <DisabledWebhooksBanner />
      <main id="main" tabIndex={-1} ref={main}>
        <Suspense fallback={<p role="status">Loading…</p>}>
          <Outlet />
        </Suspense>
      </main>
    </>
  );
}
