# azd postdeploy hook (PowerShell; postdeploy.sh is its POSIX twin): subscribes the blob trigger StartJobFromBlob to
# the inbox's BlobCreated events for {folder}/job.json. It runs after the code is deployed because the webhook
# needs the host's blobs_extension system key, which exists only once the host has loaded the blob trigger.
# Creating the subscription again updates it, so every `azd deploy` (or `azd hooks run postdeploy`) refreshes it,
# after a key rotation too. The key is never printed.
$ErrorActionPreference = 'Stop'

foreach ($name in 'AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME',
    'AZURE_FUNCTION_APP_HOSTNAME', 'AZURE_EVENT_GRID_SYSTEM_TOPIC', 'VACE_INBOX_CONTAINER') {
    if (-not [Environment]::GetEnvironmentVariable($name)) {
        Write-Error "postdeploy: $name is not set; run azd provision first"
        exit 1
    }
}
if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Write-Error 'postdeploy: the Azure CLI (az) subscribes the blob trigger; install it, run az login, then azd hooks run postdeploy'
    exit 1
}

$subscription = $env:AZURE_SUBSCRIPTION_ID
$group = $env:AZURE_RESOURCE_GROUP
$app = $env:AZURE_FUNCTION_APP_NAME
$hostName = $env:AZURE_FUNCTION_APP_HOSTNAME

# Any request starts the host, which then creates the key; it can take a minute on a fresh app.
try {
    Invoke-WebRequest -Uri "https://$hostName/api/jobs" -Method Get -TimeoutSec 60 -SkipHttpErrorCheck | Out-Null
}
catch {
    # The key is polled for below; a request that times out still woke the host.
}

$key = ''
for ($attempt = 1; -not $key; $attempt++) {
    $key = az functionapp keys list --subscription $subscription -g $group -n $app `
        --query systemKeys.blobs_extension -o tsv 2> $null
    if ($key) { break }
    if ($attempt -ge 30) {
        Write-Error ("postdeploy: $app has no blobs_extension key after 5 minutes; check that the deploy succeeded and " +
            'the app starts (Application Insights, traces), then run azd hooks run postdeploy')
        exit 1
    }
    Start-Sleep -Seconds 10
}

$endpoint = "https://$hostName/runtime/webhooks/blobs?functionName=Host.Functions.StartJobFromBlob&code=$key"
if ($IsWindows -or $env:OS -eq 'Windows_NT') {
    # az is a batch file on Windows: without quotes of its own, cmd.exe would split the URL at '&'.
    $endpoint = '"' + $endpoint + '"'
}

# Event Grid validates the webhook (the blob extension answers the handshake) before it keeps the subscription.
az eventgrid system-topic event-subscription create --subscription $subscription `
    -g $group --system-topic-name $env:AZURE_EVENT_GRID_SYSTEM_TOPIC --name start-job-from-blob `
    --endpoint-type webhook --endpoint $endpoint --event-delivery-schema eventgridschema `
    --included-event-types Microsoft.Storage.BlobCreated `
    --subject-begins-with "/blobServices/default/containers/$env:VACE_INBOX_CONTAINER/" --subject-ends-with /job.json `
    --max-delivery-attempts 30 --event-ttl 1440 --output none
if ($LASTEXITCODE -ne 0) {
    exit $LASTEXITCODE
}
Write-Output "postdeploy: blob trigger subscribed to $env:VACE_INBOX_CONTAINER/{folder}/job.json (Event Grid subscription start-job-from-blob)"
