import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { JobOut } from "../api/types";
import { aJob, fakeApi, json, path, problem } from "../test/fakeApi";
import { JobList } from "./JobList";

function renderJobs(jobs: unknown[], canAct = true) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <JobList documentId="doc-1" jobs={jobs as JobOut[]} canAct={canAct} />
    </QueryClientProvider>,
  );
}

describe("JobList", () => {
  it("shows each job's status, attempts, error in words, queue time and run time", () => {
    renderJobs([
      aJob("extract", "succeeded", { wait_ms: null, run_ms: 840 }),
      aJob("embed", "failed", { attempts: 3, error: { code: "provider_unavailable", message: "503 from upstream" }, run_ms: 4200 }),
      aJob("ai", "waiting", { attempts: 0, started_at: null, run_ms: null }),
    ]);
    const items = within(screen.getByRole("list", { name: "Jobs" })).getAllByRole("listitem");
    expect(items).toHaveLength(3);
    // queue time is started minus queued when the server gives no wait_ms
    expect(items[0]).toHaveTextContent("extract");
    expect(items[0]).toHaveTextContent("succeeded");
    expect(items[0]).toHaveTextContent("attempt 1 of 3 · queue time 2.5 s · run time 840 ms");
    expect(items[1]).toHaveTextContent("attempt 3 of 3");
    expect(items[1]).toHaveTextContent("The AI service is unavailable.");
    expect(items[1]).toHaveTextContent("run time 4.2 s");
    expect(items[2]).toHaveTextContent("waiting");
    expect(items[2]).toHaveTextContent("queue time – · run time –");
  });

  it("offers Retry on ended jobs and Cancel on live ones, and posts the right call", async () => {
    const requests = fakeApi(() => json({}, { status: 202 }));
    renderJobs([aJob("extract", "failed"), aJob("embed", "running"), aJob("ai", "succeeded")]);
    expect(screen.getByRole("button", { name: "Retry extract" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Cancel embed" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /ai$/ })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Retry extract" }));
    await userEvent.click(screen.getByRole("button", { name: "Cancel embed" }));
    const calls = requests.filter((r) => r.method === "POST").map(path);
    expect(calls).toEqual(["POST /api/v1/jobs/job-extract/retry", "POST /api/v1/jobs/job-embed/cancel"]);
  });

  it("says in words why an action was refused", async () => {
    fakeApi(() => new Response(JSON.stringify({ code: "job_active", status: 409, title: "x" }), {
      status: 409,
      headers: { "Content-Type": "application/problem+json" },
    }));
    renderJobs([aJob("extract", "failed")]);
    await userEvent.click(screen.getByRole("button", { name: "Retry extract" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This job is still running");
  });

  it("shows a job of a kind it does not know by its name, with its actions", () => {
    renderJobs([aJob("extract", "succeeded"), aJob("redact", "failed", { error: { code: "redactor_down", message: "The redactor is down." } })]);
    const items = within(screen.getByRole("list", { name: "Jobs" })).getAllByRole("listitem");
    expect(items[1]).toHaveTextContent("redact");
    expect(items[1]).toHaveTextContent("The redactor is down.");
    expect(screen.getByRole("button", { name: "Retry redact" })).toBeInTheDocument();
  });

  it("says when a newer run replaced the job that was retried", async () => {
    fakeApi(() => problem(409, "job_superseded"));
    renderJobs([aJob("extract", "failed")]);
    await userEvent.click(screen.getByRole("button", { name: "Retry extract" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("A newer run of this document has replaced that job");
  });

  it("gives a viewer no buttons", () => {
    renderJobs([aJob("extract", "failed"), aJob("embed", "running")], false);
    expect(screen.queryAllByRole("button")).toHaveLength(0);
  });
});
