import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";
import { Dialog } from "./Dialog";

function Page() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Delete
      </button>
      {open && (
        <Dialog title="Delete report.pdf?" onClose={() => setOpen(false)}>
          <button type="button" onClick={() => setOpen(false)} data-autofocus>
            Cancel
          </button>
          <button type="button">Confirm</button>
        </Dialog>
      )}
    </>
  );
}

describe("Dialog", () => {
  it("takes focus, keeps Tab inside, closes on Escape and gives focus back", async () => {
    const root = document.createElement("div");
    root.id = "root";
    document.body.append(root);
    const user = userEvent.setup();
    render(<Page />, { container: root });

    const opener = screen.getByRole("button", { name: "Delete" });
    await user.click(opener);
    const dialog = screen.getByRole("dialog", { name: "Delete report.pdf?" });
    expect(dialog).toHaveAttribute("aria-modal", "true");
    expect(root).toHaveAttribute("inert");
    expect(screen.getByRole("button", { name: "Cancel" })).toHaveFocus();

    await user.tab();
    expect(screen.getByRole("button", { name: "Confirm" })).toHaveFocus();
    await user.tab();
    expect(screen.getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.tab({ shift: true });
    expect(screen.getByRole("button", { name: "Confirm" })).toHaveFocus();

    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(root).not.toHaveAttribute("inert");
    expect(opener).toHaveFocus();
    root.remove();
  });
});
