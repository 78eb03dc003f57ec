import { useRef, useState } from "react";
import { Link } from "react-router";
import { useConversations, useDeleteConversation } from "../../api/ask";
import { problemMessage } from "../../api/problem";
import type { ConversationOut } from "../../api/types";
import { Dialog } from "../../components/Dialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { formatDate } from "../../components/format";

interface Props {
  /** The conversation on screen, if any. */
  openId: string | null;
  /** Where a conversation opens (the page keeps its own query around the id). */
  linkTo: (id: string) => string;
  onNew: () => void;
  onDeleted: (id: string) => void;
}

/** Earlier conversations, newest first: open one again, or delete it after confirming. */
export function ConversationList({ openId, linkTo, onNew, onDeleted }: Props) {
  const list = useConversations();
  const remove = useDeleteConversation();
  const [confirming, setConfirming] = useState<ConversationOut | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const newButton = useRef<HTMLButtonElement>(null);
  const items = list.data?.items ?? [];

  function close() {
    setConfirming(null);
    remove.reset();
  }

  function confirmDelete(conversation: ConversationOut) {
    remove.mutate(conversation.id, {
      onSuccess: () => {
        setConfirming(null);
        setAnnouncement(`Deleted “${conversation.title}”.`);
        onDeleted(conversation.id);
        // The button that opened the dialog is gone with its conversation.
        window.setTimeout(() => newButton.current?.focus(), 0);
      },
    });
  }

  return (
    <aside aria-labelledby="conversations-heading" className="conversations">
      <h2 id="conversations-heading">Conversations</h2>
      <button type="button" className="secondary" ref={newButton} onClick={onNew}>
        New conversation
      </button>
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      {list.error && <ErrorMessage error={list.error} />}
      {list.isPending && <p role="status">Loading conversations…</p>}
      {list.data && items.length === 0 && <p className="hint">No conversations yet.</p>}
      {items.length > 0 && (
        <ul aria-label="Earlier conversations">
          {items.map((conversation) => {
            const open = conversation.id === openId;
            return (
              <li key={conversation.id} className={open ? "open" : undefined}>
                <Link to={linkTo(conversation.id)} aria-current={open ? "page" : undefined} className="conversation-link">
                  {conversation.title}
                </Link>
                <span className="conversation-meta">
                  <time dateTime={conversation.updated_at} className="hint">
                    {formatDate(conversation.updated_at)}
                  </time>
                  <button
                    type="button"
                    className="link-button"
                    aria-label={`Delete “${conversation.title}”`}
                    onClick={() => setConfirming(conversation)}
                  >
                    Delete
                  </button>
                </span>
              </li>
            );
          })}
        </ul>
      )}

      {confirming && (
        <Dialog title="Delete this conversation?" onClose={close}>
          <p>
            “{confirming.title}” and all its questions and answers are removed. Your documents stay as they are. This
            cannot be undone.
          </p>
          {remove.error && <p role="alert" className="error">{problemMessage(remove.error)}</p>}
          <div className="dialog-actions">
            <button type="button" className="secondary" onClick={close} data-autofocus>
              Cancel
            </button>
            <button type="button" className="danger" disabled={remove.isPending} onClick={() => confirmDelete(confirming)}>
              Delete
            </button>
          </div>
        </Dialog>
      )}
    </aside>
  );
}
