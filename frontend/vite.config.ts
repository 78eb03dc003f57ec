import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The dev server forwards the API, its health checks and the runtime config to a running API
// (`make run` listens on :8000), so the app talks to the same origin it would in production.
const api = process.env.WORKOPTI_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      "/api": api,
      "/health": api,
      "/config.js": api,
    },
  },
  build: {
    target: "es2022",
    // No source maps in the image or the API's /assets: the app is what users load, nothing more.
    sourcemap: false,
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    css: false,
  },
});
