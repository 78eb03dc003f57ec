import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { api, unwrap } from "../api/client";
import { useAuth } from "./AuthContext";
import { DevAuth } from "./DevAuth";
import { fakeApi, json, path, problem } from "../test/fakeApi";

function Home() {
  const { userId, signOut } = useAuth();
  return (
    <>
      <p>signed in as {userId}</p>
      <button type="button" onClick={() => void unwrap(api.GET("/api/v1/auth/me")).catch(() => undefined)}>
        Who am I
      </button>
      <button type="button" onClick={signOut}>
        Sign out
      </button>
    </>
  );
}

function renderApp() {
  const client = new QueryClient();
  return render(
    <QueryClientProvider client={client}>
      <DevAuth>
        <Home />
      </DevAuth>
    </QueryClientProvider>,
  );
}

describe("dev sign-in", () => {
  it("signs in by user id, keeps the token for this tab and sends it as a Bearer header", async () => {
    const requests = fakeApi((request) => {
      if (path(request) === "POST /api/v1/auth/dev-token") return json({ access_token: "tok-alice", token_type: "bearer", expires_in: 3600 });
      return json({ id: "u1", subject: "alice", name: null, email: null });
    });
    const user = userEvent.setup();
    renderApp();
    await user.type(screen.getByRole("textbox", { name: "User ID" }), "alice{Enter}");
    expect(await screen.findByText("signed in as alice")).toBeInTheDocument();
    expect(await requests[0]!.json()).toMatchObject({ user_id: "alice" });
    expect(sessionStorage.getItem("workopti.devSession")).toContain("tok-alice");

    await user.click(screen.getByRole("button", { name: "Who am I" }));
    const me = requests.find((r) => path(r) === "GET /api/v1/auth/me")!;
    expect(me.headers.get("Authorization")).toBe("Bearer tok-alice");

    await user.click(screen.getByRole("button", { name: "Sign out" }));
    expect(screen.getByRole("textbox", { name: "User ID" })).toBeInTheDocument();
    expect(sessionStorage.getItem("workopti.devSession")).toBeNull();
    // The id is offered again next time.
    expect(screen.getByRole("button", { name: "alice" })).toBeInTheDocument();
  });

  it("goes back to sign-in with a message when the API answers 401", async () => {
    sessionStorage.setItem("workopti.devSession", JSON.stringify({ userId: "bob", name: null, token: "stale" }));
    fakeApi(() => problem(401, "token_expired", {}, { "WWW-Authenticate": "Bearer" }));
    const user = userEvent.setup();
    renderApp();
    expect(screen.getByText("signed in as bob")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Who am I" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Your session has expired. Please sign in again.");
    expect(screen.getByRole("textbox", { name: "User ID" })).toBeInTheDocument();
  });

  it("explains a refused sign-in", async () => {
    fakeApi(() => problem(422, "validation_error", { errors: [{ msg: "String should have at most 128 characters" }] }));
    const user = userEvent.setup();
    renderApp();
    await user.type(screen.getByRole("textbox", { name: "User ID" }), "x{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("String should have at most 128 characters");
  });
});
