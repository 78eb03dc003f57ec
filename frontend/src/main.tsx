import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App, createQueryClient } from "./App";
import { config } from "./config";
import "./styles/base.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App config={config} client={createQueryClient()} />
  </StrictMode>,
);
