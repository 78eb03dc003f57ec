/** API keys: the caller's keys (never their secrets), a new key (its secret shown once), revoking. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import type { ApiKeyIn, ApiKeyOut } from "./types";

export const apiKeyKeys = {
  list: ["api-keys"] as const,
};

export function useApiKeys() {
  return useQuery({
    queryKey: apiKeyKeys.list,
    queryFn: () => unwrap(api.GET("/api/v1/api-keys")),
  });
}

/** The answer holds the key itself: it goes to the caller to show once, and into no cache. */
export function useCreateApiKey() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ApiKeyIn) => unwrap(api.POST("/api/v1/api-keys", { body })),
    // The mutation cache would otherwise keep the secret for minutes after the page is left.
    gcTime: 0,
    onSuccess: ({ key: _secret, ...listed }) => {
      client.setQueryData<{ items: ApiKeyOut[] }>(apiKeyKeys.list, (list) =>
        list ? { ...list, items: [listed, ...list.items.filter((item) => item.id !== listed.id)] } : list,
      );
      void client.invalidateQueries({ queryKey: apiKeyKeys.list });
    },
  });
}

export function useRevokeApiKey() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/api-keys/{key_id}", { params: { path: { key_id: id } } })),
    onSuccess: (_data, id) => {
      // Out of the list at once: the key no longer works.
      client.setQueryData<{ items: ApiKeyOut[] }>(apiKeyKeys.list, (list) =>
        list ? { ...list, items: list.items.filter((item) => item.id !== id) } : list,
      );
      void client.invalidateQueries({ queryKey: apiKeyKeys.list });
    },
    // Already revoked elsewhere, say: the list says what is left.
    onError: () => client.invalidateQueries({ queryKey: apiKeyKeys.list }),
  });
}
