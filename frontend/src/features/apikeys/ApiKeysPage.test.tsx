import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { fakeApi, json, NOW, path, problem } from "../../test/fakeApi";
import ApiKeysPage from "./ApiKeysPage";

const SECRET = "wo_Zm9yIHRoZSBuaWdodGx5IGltcG9ydCBvbmx5IQ-s3cr3tKey";

function aKey(extra: Record<string, unknown> = {}) {
  return {
    id: "key-1",
    name: "nightly import",
    prefix: "wo_abcd1234",
    scopes: ["documents:read", "documents:write"],
    created_at: NOW,
    expires_at: null,
    last_used_at: "2026-11-28T11:30:00Z",
    ...extra,
  };
}

const NEW_KEY = aKey({ id: "key-2", name: "reports bot", prefix: SECRET.slice(0, 11), scopes: ["documents:read", "search"], last_used_at: null });

function renderPage() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter>
        <ApiKeysPage />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return client;
}

/** The keys API of one user: GET lists what is there, POST adds, DELETE revokes. */
function keysApi(initial = [aKey()]) {
  let keys = [...initial];
  const requests = fakeApi(async (request) => {
    switch (path(request)) {
      case "GET /api/v1/api-keys":
        return json({ items: keys });
      case "POST /api/v1/api-keys":
        keys = [NEW_KEY, ...keys];
        return json({ ...NEW_KEY, key: SECRET }, { status: 201 });
      default: {
        if (request.method === "DELETE") {
          const id = new URL(request.url).pathname.split("/").at(-1);
          keys = keys.filter((key) => key.id !== id);
          return new Response(null, { status: 204 });
        }
        throw new Error(`unexpected ${path(request)}`);
      }
    }
  });
  return requests;
}

describe("ApiKeysPage", () => {
  it("lists the keys with their prefix, scopes and when they were last used, never their secrets", async () => {
    keysApi([aKey(), aKey({ id: "key-3", name: "old sync", prefix: "wo_zzzz9999", scopes: ["search"], last_used_at: null, expires_at: "2026-01-01T00:00:00Z" })]);
    renderPage();
    const table = await screen.findByRole("table", { name: "API keys" });
    const [header, first, second] = within(table).getAllByRole("row");
    expect(within(header!).getAllByRole("columnheader").map((cell) => cell.textContent)).toEqual([
      "Name",
      "Key",
      "Scopes",
      "Created",
      "Expires",
      "Last used",
      "Actions",
    ]);
    expect(first).toHaveTextContent("nightly import");
    expect(first).toHaveTextContent("wo_abcd1234…");
    expect(within(within(first!).getByRole("list", { name: "Scopes of nightly import" })).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "documents:read",
      "documents:write",
    ]);
    expect(within(first!).getAllByRole("cell")[4]).toHaveTextContent("Never");
    expect(second).toHaveTextContent("Never used");
    expect(within(second!).getAllByRole("cell")[4]).toHaveTextContent("expired");
  });

  it("creates a key and shows it once, with a warning and a copy button, then puts it away", async () => {
    const requests = keysApi();
    const user = userEvent.setup();
    const client = renderPage();
    await screen.findByRole("table", { name: "API keys" });

    await user.type(screen.getByRole("textbox", { name: "Name" }), "  reports bot ");
    const read = screen.getByRole("checkbox", { name: "documents:read" });
    expect(read).toHaveAccessibleDescription(/Read documents: their pages, results and files/);
    expect(screen.getByRole("checkbox", { name: "webhooks" })).toHaveAccessibleDescription(/Manage webhook endpoints, send test events/);
    await user.click(screen.getByRole("checkbox", { name: "search" }));
    await user.click(read);
    await user.selectOptions(screen.getByRole("combobox", { name: "Expires" }), "In 30 days");
    const before = Date.now();
    await user.click(screen.getByRole("button", { name: "Create key" }));

    const shown = await screen.findByRole("region", { name: "Your new key: reports bot" });
    expect(shown).toHaveFocus();
    expect(shown).toHaveTextContent("Copy this key now: it will not be shown again.");
    const field = within(shown).getByRole("textbox", { name: "Key" });
    expect(field).toHaveValue(SECRET);
    expect(field).toHaveAttribute("readonly");

    const post = requests.find((request) => path(request) === "POST /api/v1/api-keys")!;
    const body = (await post.json()) as { name: string; scopes: string[]; expires_at: string };
    expect(body.name).toBe("reports bot");
    // In the order the form lists them, whatever order they were ticked in.
    expect(body.scopes).toEqual(["documents:read", "search"]);
    const days = (Date.parse(body.expires_at) - before) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);
    expect(body.expires_at).toMatch(/Z$/);

    await user.click(within(shown).getByRole("button", { name: "Copy" }));
    expect(await navigator.clipboard.readText()).toBe(SECRET);
    expect(within(shown).getByText("Copied to the clipboard.")).toBeInTheDocument();

    // Listed like any other key, and the secret is kept nowhere but on the screen.
    const table = screen.getByRole("table", { name: "API keys" });
    const row = within(table).getAllByRole("row").find((tr) => tr.textContent?.includes("reports bot"))!;
    expect(row).toHaveTextContent("Never used");
    expect(JSON.stringify(client.getQueryCache().getAll().map((query) => query.state.data))).not.toContain(SECRET);

    await user.click(within(shown).getByRole("button", { name: "Done" }));
    expect(screen.queryByDisplayValue(SECRET)).not.toBeInTheDocument();
    expect(screen.queryByRole("region", { name: /Your new key/ })).not.toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "Name" })).toHaveFocus();
    expect(screen.getByRole("textbox", { name: "Name" })).toHaveValue("");
    expect(JSON.stringify(client.getMutationCache().getAll().map((m) => m.state.data))).not.toContain(SECRET);
  }, 15000);

  it("says what is missing before asking, and the server's refusals in words", async () => {
    let answer = problem(400, "expires_in_past", { detail: "expires_at is in the past." });
    const requests = fakeApi((request) => {
      if (path(request) === "GET /api/v1/api-keys") return json({ items: [] });
      return answer;
    });
    const user = userEvent.setup();
    renderPage();
    expect(await screen.findByText("No keys yet.")).toBeInTheDocument();
    const create = screen.getByRole("button", { name: "Create key" });

    await user.click(create);
    expect(screen.getByRole("alert")).toHaveTextContent("Give the key a name.");
    await user.type(screen.getByRole("textbox", { name: "Name" }), "ci");
    await user.click(create);
    expect(screen.getByRole("alert")).toHaveTextContent("Choose at least one scope.");
    await user.click(screen.getByRole("checkbox", { name: "documents:read" }));
    await user.selectOptions(screen.getByRole("combobox", { name: "Expires" }), "On a date…");
    await user.click(create);
    expect(screen.getByRole("alert")).toHaveTextContent("Choose the day the key stops working.");
    expect(requests.filter((request) => request.method === "POST")).toHaveLength(0);

    const day = screen.getByLabelText("Last day it works");
    await user.type(day, "2031-02-03");
    await user.click(create);
    expect(await screen.findByRole("alert")).toHaveTextContent("That expiry is already past; choose a later one.");
    const body = (await requests.find((request) => request.method === "POST")!.json()) as { expires_at: string };
    // The last day lasts to its end, in the user's time zone.
    expect(new Date(body.expires_at).getDate()).toBe(3);
    expect(new Date(body.expires_at).getHours()).toBe(23);

    answer = problem(400, "too_many_api_keys", { detail: "You have 50 keys; revoke one first." });
    await user.click(create);
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("You have 50 keys; revoke one first."));

    answer = problem(422, "validation_error", { errors: [{ msg: "String should have at most 100 characters" }] });
    await user.click(create);
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("String should have at most 100 characters"));
  }, 15000);

  it("revokes a key after confirming in a dialog, then takes the focus to the list", async () => {
    const root = document.createElement("div");
    root.id = "root";
    document.body.append(root);
    const requests = keysApi();
    const user = userEvent.setup();
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <MemoryRouter>
          <ApiKeysPage />
        </MemoryRouter>
      </QueryClientProvider>,
      { container: root },
    );
    const revoke = await screen.findByRole("button", { name: "Revoke nightly import (wo_abcd1234…)" });

    await user.click(revoke);
    let dialog = screen.getByRole("dialog", { name: "Revoke nightly import?" });
    expect(dialog).toHaveTextContent("Programs using the key wo_abcd1234… stop working at once.");
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(revoke).toHaveFocus();
    expect(requests.filter((request) => request.method === "DELETE")).toHaveLength(0);

    await user.keyboard("{Enter}");
    dialog = screen.getByRole("dialog", { name: "Revoke nightly import?" });
    await user.click(within(dialog).getByRole("button", { name: "Revoke" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(path(requests.find((request) => request.method === "DELETE")!)).toBe("DELETE /api/v1/api-keys/key-1");
    expect(await screen.findByText("No keys yet.")).toBeInTheDocument();
    expect(screen.getByText("Revoked nightly import.")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole("heading", { name: "Your keys" })).toHaveFocus());
    root.remove();
  }, 15000);

  it("says so in the dialog when the key was already revoked", async () => {
    fakeApi((request) => {
      if (path(request) === "GET /api/v1/api-keys") return json({ items: [aKey()] });
      return problem(404, "api_key_not_found");
    });
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole("button", { name: /^Revoke nightly import/ }));
    const dialog = screen.getByRole("dialog", { name: "Revoke nightly import?" });
    await user.click(within(dialog).getByRole("button", { name: "Revoke" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("That key does not exist any more; it may have been revoked already.");
  });
});
