import { useEffect } from "react";
import { Link, useParams } from "react-router";
import { useBatch } from "../../api/batches";
import { ErrorMessage } from "../../components/ErrorMessage";
import { formatBytes, formatDate } from "../../components/format";
import { BatchContents } from "./BatchView";

export default function BatchPage() {
  const { id = "" } = useParams();
  const { data, error, isPending } = useBatch(id);

  useEffect(() => {
    document.title = `${data?.filename ?? "Batch"} · WorkOpti`;
  }, [data?.filename]);

  return (
    <>
      <p>
        <Link to="/batches">All batches</Link>
      </p>
      <h1>{data?.filename ?? "Batch"}</h1>
      {isPending && <p role="status">Loading the batch…</p>}
      {error && <ErrorMessage error={error} />}
      {data && (
        <>
          <p className="batch-meta">
            A ZIP archive of {formatBytes(data.size_bytes)}, uploaded{" "}
            <time dateTime={data.created_at}>{formatDate(data.created_at)}</time>.
          </p>
          <BatchContents batch={data} />
        </>
      )}
    </>
  );
}
