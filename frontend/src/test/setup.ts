import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach, vi } from "vitest";

// Node's fetch needs absolute URLs; the app reads this before any module builds its API client.
window.__WORKOPTI_CONFIG__ = { apiUrl: "http://api.test", clerkPublishableKey: null };

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  sessionStorage.clear();
  localStorage.clear();
});
