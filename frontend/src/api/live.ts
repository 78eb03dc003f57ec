import { createContext, useContext } from "react";

/** Whether the live stream is open (src/components/LiveUpdates.tsx). While it is, documents are
 * followed by its events and their timed polls stop; without it (or outside it) they are polled. */
export const LiveContext = createContext(false);

export function useLiveStream(): boolean {
  return useContext(LiveContext);
}
