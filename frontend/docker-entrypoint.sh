#!/bin/sh
# Writes the web app's runtime configuration, the same script the API serves at /config.js:
#   window.__WORKOPTI_CONFIG__ = {"apiUrl": "...", "clerkPublishableKey": "..." | null};
# from VITE_APP_API_URL (empty: the API is on the app's origin) and VITE_CLERK_PUBLISHABLE_KEY (unset:
# dev sign-in). Run by the nginx image's entrypoint before nginx starts; WORKOPTI_CONFIG_JS says where.
set -eu

target="${WORKOPTI_CONFIG_JS:-/var/lib/workopti-web/config.js}"

# A JSON string. Control characters are dropped (no valid URL or key has one); "<" is escaped so the
# value stays inert even inside an inline <script>, as the API does.
json_string() {
    printf '"%s"' "$(printf '%s' "$1" | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/</\\u003c/g')"
}

api_url=$(json_string "${VITE_APP_API_URL:-}")
if [ -n "${VITE_CLERK_PUBLISHABLE_KEY:-}" ]; then
    clerk_key=$(json_string "$VITE_CLERK_PUBLISHABLE_KEY")
else
    clerk_key=null
fi

tmp="$target.tmp"
printf 'window.__WORKOPTI_CONFIG__ = {"apiUrl": %s, "clerkPublishableKey": %s};\n' "$api_url" "$clerk_key" > "$tmp"
mv "$tmp" "$target"
echo "$0: wrote $target (apiUrl $api_url, Clerk sign-in $([ "$clerk_key" = null ] && echo off || echo on))"
