using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Intake;

namespace VaceFunctions.Orchestrations.IO;

/// <summary>
/// Media a job keeps in the project's own storage (the blobs beside a job file in the inbox) travel through the
/// workflow as plain blob URLs: no SAS in the orchestration's input and history, its manifest or its logs. A read
/// SAS is minted only when a URL is fetched — by the probe, and in the request sent to DashScope at submit — valid
/// for <see cref="InboxOptions.MediaUrlLifetime"/> from then, so a job that waited long still hands the service
/// fresh URLs. Only URLs the intake recorded as the job's own are signed.
/// </summary>
public sealed class OwnedMediaUrls(BlobServiceClient blobs, BlobReadUrls urls, IOptions<InboxOptions> inbox, TimeProvider time)
{
    /// <summary>A read SAS URL of an owned blob of this storage account.</summary>
    public async Task<string> SignAsync(string url, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(url);
        var account = blobs.Uri.AbsoluteUri.TrimEnd('/') + "/";
        if (!url.StartsWith(account, StringComparison.Ordinal) || url.Contains('?', StringComparison.Ordinal))
        {
            throw new ArgumentException("Only plain blob URLs of this storage account are signed.", nameof(url));
        }

        var parts = new BlobUriBuilder(new Uri(url));
        var blob = blobs.GetBlobContainerClient(parts.BlobContainerName).GetBlobClient(parts.BlobName);
        return (await urls.ReadUrlAsync(blob, time.GetUtcNow() + inbox.Value.MediaUrlLifetime, cancellationToken)).ToString();
    }

    /// <summary>The DashScope request with each of its input URLs that is one of <paramref name="owned"/> signed.</summary>
    public async Task<string> SignRequestAsync(string requestJson, IReadOnlyCollection<string> owned, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owned);
        var request = JsonNode.Parse(requestJson)!.AsObject();
        if (owned.Count == 0 || request["input"] is not JsonObject input)
        {
            return requestJson;
        }

        foreach (var (name, value) in input.ToArray())
        {
            if (value is JsonValue single && single.TryGetValue<string>(out var url) && owned.Contains(url))
            {
                input[name] = await SignAsync(url, cancellationToken);
            }
            else if (value is JsonArray list)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if (list[i] is JsonValue item && item.TryGetValue<string>(out var listed) && owned.Contains(listed))
                    {
                        list[i] = await SignAsync(listed, cancellationToken);
                    }
                }
            }
        }

        return request.ToJsonString();
    }
}
