import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, type ReactNode } from "react";
import { BrowserRouter, Link, Route, Routes } from "react-router";
import { retryDelay, shouldRetry } from "./api/polling";
import { DevAuth } from "./auth/DevAuth";
import { Layout } from "./components/Layout";
import { LiveUpdates } from "./components/LiveUpdates";
import type { AppConfig } from "./config";
import DocumentsPage from "./features/documents/DocumentsPage";

// Not on the first screen: each is its own chunk.
const DocumentPage = lazy(() => import("./features/document/DocumentPage"));
const SearchPage = lazy(() => import("./features/search/SearchPage"));
const AskPage = lazy(() => import("./features/ask/AskPage"));
const ApiKeysPage = lazy(() => import("./features/apikeys/ApiKeysPage"));
const BatchesPage = lazy(() => import("./features/batches/BatchesPage"));
const BatchPage = lazy(() => import("./features/batches/BatchPage"));
const WebhooksPage = lazy(() => import("./features/webhooks/WebhooksPage"));
const WebhookPage = lazy(() => import("./features/webhooks/WebhookPage"));
const SchemasPage = lazy(() => import("./features/schemas/SchemasPage"));
const SchemaPage = lazy(() => import("./features/schemas/SchemaPage"));
const ReviewPage = lazy(() => import("./features/extraction/ReviewPage"));
const ClerkAuth = lazy(() => import("./auth/ClerkAuth"));

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 10_000, retry: shouldRetry, retryDelay },
      mutations: { retry: false },
    },
  });
}

function SignedIn({ config, children }: { config: AppConfig; children: ReactNode }) {
  if (config.clerkPublishableKey) {
    return (
      <Suspense fallback={<p role="status">Loading sign-in…</p>}>
        <ClerkAuth publishableKey={config.clerkPublishableKey}>{children}</ClerkAuth>
      </Suspense>
    );
  }
  return <DevAuth>{children}</DevAuth>;
}

function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        <Link to="/">Go to your documents</Link>
      </p>
    </>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<DocumentsPage />} />
        <Route path="documents/:id" element={<DocumentPage />} />
        <Route path="batches" element={<BatchesPage />} />
        <Route path="batches/:id" element={<BatchPage />} />
        <Route path="search" element={<SearchPage />} />
        <Route path="ask" element={<AskPage />} />
        <Route path="api-keys" element={<ApiKeysPage />} />
        <Route path="webhooks" element={<WebhooksPage />} />
        <Route path="webhooks/:id" element={<WebhookPage />} />
        <Route path="schemas" element={<SchemasPage />} />
        <Route path="schemas/:id" element={<SchemaPage />} />
        <Route path="review" element={<ReviewPage />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

export function App({ config, client }: { config: AppConfig; client: QueryClient }) {
  return (
    <QueryClientProvider client={client}>
      <BrowserRouter>
        <SignedIn config={config}>
          <LiveUpdates>
            <AppRoutes />
          </LiveUpdates>
        </SignedIn>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
