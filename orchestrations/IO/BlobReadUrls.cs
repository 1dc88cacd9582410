using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;

namespace VaceFunctions.Orchestrations.IO;

/// <summary>
/// Read-only, expiring URLs of owned blobs, for DashScope to fetch inputs and for callers of the DashScope face to
/// fetch outputs: signed with the account key when the storage client has one (connection strings, Azurite), else
/// with a user delegation key of the host's identity (identity-based <c>AzureWebJobsStorage</c> in Azure, which
/// needs the Storage Blob Delegator role). A delegation key is reused while it outlives the URL by a margin.
/// </summary>
public sealed class BlobReadUrls(BlobServiceClient blobs, TimeProvider time)
{
    /// <summary>
    /// The longest lifetime a configured read URL may have (6 days): a user delegation key is valid for at most 7 days
    /// from its start, and the key of a URL starts 5 minutes before it and ends 5 minutes after.
    /// </summary>
    public const string MaxUrlLifetime = "6.00:00:00";

    private static readonly TimeSpan KeyLifetime = TimeSpan.FromDays(2);
    private UserDelegationKey? _key;

    public async Task<Uri> ReadUrlAsync(BlobClient blob, DateTimeOffset expiresOn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        if (blob.CanGenerateSasUri)
        {
            return blob.GenerateSasUri(BlobSasPermissions.Read, expiresOn);
        }

        var sas = new BlobSasBuilder(BlobSasPermissions.Read, expiresOn)
        {
            BlobContainerName = blob.BlobContainerName,
            BlobName = blob.Name,
            Resource = "b",
        };
        var key = await DelegationKeyAsync(expiresOn, cancellationToken);
        return new BlobUriBuilder(blob.Uri) { Sas = sas.ToSasQueryParameters(key, blobs.AccountName) }.ToUri();
    }

    private async Task<UserDelegationKey> DelegationKeyAsync(DateTimeOffset until, CancellationToken cancellationToken)
    {
        // Two callers racing may both fetch a key: either one serves, so no lock is needed.
        if (Volatile.Read(ref _key) is { } key && key.SignedExpiresOn >= until.AddMinutes(5))
        {
            return key;
        }

        var now = time.GetUtcNow();
        var expiresOn = until > now + KeyLifetime ? until.AddMinutes(5) : now + KeyLifetime;
        key = (await blobs.GetUserDelegationKeyAsync(new BlobGetUserDelegationKeyOptions(expiresOn) { StartsOn = now.AddMinutes(-5) }, cancellationToken)).Value;
        Volatile.Write(ref _key, key);
        return key;
    }
}
