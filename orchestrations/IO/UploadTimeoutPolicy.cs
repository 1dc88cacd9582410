using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;

namespace VaceFunctions.Orchestrations.IO;

/// <summary>
/// Gives a request with a large body the time to send it. The storage client's network timeout (100 s a try) covers
/// sending the body too, and the output copy sends a whole video in one Put Blob at the pace of its download: a 2 GiB
/// video coming at 10 MB/s would never make it. A body gets at least one second per MiB — a download of 1 MiB/s — and
/// never less than the client's own timeout.
/// </summary>
public sealed class UploadTimeoutPolicy : HttpPipelineSynchronousPolicy
{
    /// <summary>The slowest pace a large body is given time for.</summary>
    public const long MinimumBytesPerSecond = 1024 * 1024;

    private readonly TimeSpan _default;

    private UploadTimeoutPolicy(TimeSpan networkTimeout) => _default = networkTimeout;

    /// <summary>The options of the hosts' blob clients: the SDK's defaults and this policy.</summary>
    public static BlobClientOptions BlobClientOptions()
    {
        var options = new BlobClientOptions();
        options.AddPolicy(new UploadTimeoutPolicy(options.Retry.NetworkTimeout), HttpPipelinePosition.PerCall);
        return options;
    }

    /// <summary>The time a body of <paramref name="bytes"/> is given, when above <paramref name="networkTimeout"/>.</summary>
    public static TimeSpan? TimeoutFor(long bytes, TimeSpan networkTimeout) =>
        TimeSpan.FromSeconds((double)bytes / MinimumBytesPerSecond) is var needed && needed > networkTimeout ? needed : null;

    public override void OnSendingRequest(HttpMessage message)
    {
        if (message.Request.Content is { } content && content.TryComputeLength(out var length)
            && TimeoutFor(length, message.NetworkTimeout ?? _default) is { } timeout)
        {
            message.NetworkTimeout = timeout;
        }
    }
}
