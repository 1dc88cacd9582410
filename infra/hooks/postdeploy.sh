#!/bin/sh
# azd postdeploy hook (POSIX; postdeploy.ps1 is its Windows twin): subscribes the blob trigger StartJobFromBlob to
# the inbox's BlobCreated events for {folder}/job.json. It runs after the code is deployed because the webhook
# needs the host's blobs_extension system key, which exists only once the host has loaded the blob trigger.
# Creating the subscription again updates it, so every `azd deploy` (or `azd hooks run postdeploy`) refreshes it,
# after a key rotation too. The key is never printed.
set -eu

for name in AZURE_SUBSCRIPTION_ID AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME AZURE_FUNCTION_APP_HOSTNAME \
  AZURE_EVENT_GRID_SYSTEM_TOPIC VACE_INBOX_CONTAINER; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "postdeploy: $name is not set; run azd provision first" >&2
    exit 1
  fi
done
if ! command -v az > /dev/null 2>&1; then
  echo "postdeploy: the Azure CLI (az) subscribes the blob trigger; install it, run az login, then azd hooks run postdeploy" >&2
  exit 1
fi

# Any request starts the host, which then creates the key; it can take a minute on a fresh app.
if command -v curl > /dev/null 2>&1; then
  curl -s -o /dev/null --max-time 60 "https://$AZURE_FUNCTION_APP_HOSTNAME/api/jobs" || true
fi
key=""
attempt=1
while :; do
  key="$(az functionapp keys list --subscription "$AZURE_SUBSCRIPTION_ID" -g "$AZURE_RESOURCE_GROUP" \
    -n "$AZURE_FUNCTION_APP_NAME" --query systemKeys.blobs_extension -o tsv 2> /dev/null || true)"
  [ -n "$key" ] && break
  if [ "$attempt" -ge 30 ]; then
    echo "postdeploy: $AZURE_FUNCTION_APP_NAME has no blobs_extension key after 5 minutes; check that the deploy" \
      "succeeded and the app starts (Application Insights, traces), then run azd hooks run postdeploy" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 10
done

endpoint="https://$AZURE_FUNCTION_APP_HOSTNAME/runtime/webhooks/blobs?functionName=Host.Functions.StartJobFromBlob&code=$key"
# Event Grid validates the webhook (the blob extension answers the handshake) before it keeps the subscription.
az eventgrid system-topic event-subscription create --subscription "$AZURE_SUBSCRIPTION_ID" \
  -g "$AZURE_RESOURCE_GROUP" --system-topic-name "$AZURE_EVENT_GRID_SYSTEM_TOPIC" --name start-job-from-blob \
  --endpoint-type webhook --endpoint "$endpoint" --event-delivery-schema eventgridschema \
  --included-event-types Microsoft.Storage.BlobCreated \
  --subject-begins-with "/blobServices/default/containers/$VACE_INBOX_CONTAINER/" --subject-ends-with /job.json \
  --max-delivery-attempts 30 --event-ttl 1440 --output none
echo "postdeploy: blob trigger subscribed to $VACE_INBOX_CONTAINER/{folder}/job.json (Event Grid subscription start-job-from-blob)"
