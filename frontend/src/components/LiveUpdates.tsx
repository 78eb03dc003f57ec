import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type ReactNode } from "react";
import type { DocumentFollower } from "../api/follow";
import { LiveContext } from "../api/live";

/** One live stream for the signed-in app: opened when it mounts, closed when it unmounts (on sign-out).
 * While the stream is open, events refetch the documents they are about and the timed polls stop;
 * while it is down, the polls carry on and the stream is tried again. */
export function LiveUpdates({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [live, setLive] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    let follower: DocumentFollower | null = null;
    // Its own chunk, off the first screen: until it is there, and if it cannot be had, the polls go on.
    void Promise.all([import("../api/events"), import("../api/follow")])
      .then(([{ followEvents }, { DocumentFollower }]) => {
        if (controller.signal.aborted) return;
        const following = new DocumentFollower(client);
        follower = following;
        return followEvents(
          {
            onLive: (resumed) => {
              setLive(true);
              if (!resumed) following.catchUp();
            },
            onDown: () => setLive(false),
            onEvent: (event) => following.apply(event),
          },
          controller.signal,
        );
      })
      .catch(() => setLive(false));
    return () => {
      controller.abort();
      follower?.stop();
      setLive(false);
    };
  }, [client]);

  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}
