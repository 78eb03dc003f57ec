import { Link } from "react-router";
import { useWebhooksDisabledByFailures } from "../../api/webhooks";
import "../../styles/banner.css";

/** Tells the owner, on every page, of endpoints WorkOpti disabled because their deliveries kept failing:
 * events are no longer sent to them until they are enabled again. */
export function DisabledWebhooksBanner() {
  const { data: disabled } = useWebhooksDisabledByFailures();
  if (!disabled || disabled.length === 0) return null;
  const [first] = disabled;
  return (
    <section className="app-banner" aria-label="Webhooks need attention">
      <p>
        {disabled.length === 1 && first ? (
          <>
            <strong>A webhook endpoint was disabled:</strong> <code>{first.url}</code>. {first.disabled_reason}
          </>
        ) : (
          <>
            <strong>{disabled.length} webhook endpoints were disabled</strong> after their deliveries kept failing. No
            events are sent to them until they are enabled again.
          </>
        )}{" "}
        <Link to={disabled.length === 1 && first ? `/webhooks/${first.id}` : "/webhooks"}>Review webhooks</Link>
      </p>
    </section>
  );
}
