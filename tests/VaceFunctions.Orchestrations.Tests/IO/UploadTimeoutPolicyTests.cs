using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using VaceFunctions.Orchestrations.IO;

namespace VaceFunctions.Orchestrations.Tests.IO;

/// <summary>The hosts' blob clients give a large body time to be sent; small requests keep the SDK's timeout.</summary>
public sealed class UploadTimeoutPolicyTests
{
    private const long MiB = 1024 * 1024;

    [Theory]
    [InlineData(300 * MiB, 300)]
    [InlineData(2048 * MiB, 2048)]
    public async Task PutBlob_OfALargeBody_GetsASecondPerMebibyte(long length, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), await NetworkTimeoutOfUploadAsync(length));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4 * MiB)]
    [InlineData(100 * MiB)]
    public async Task PutBlob_OfABodyTheDefaultTimeoutCovers_KeepsIt(long length)
    {
        Assert.Null(await NetworkTimeoutOfUploadAsync(length));
    }

    /// <summary>What network timeout a one-request upload of <paramref name="length"/> bytes is sent with (it is stopped before the wire).</summary>
    private static async Task<TimeSpan?> NetworkTimeoutOfUploadAsync(long length)
    {
        var options = UploadTimeoutPolicy.BlobClientOptions();
        options.Retry.MaxRetries = 0;
        var seen = new StopBeforeSending();
        options.AddPolicy(seen, HttpPipelinePosition.PerRetry);
        var blob = new BlockBlobClient(new Uri("http://127.0.0.1:9/devstoreaccount1/videos/out.mp4"), options);

        await Assert.ThrowsAsync<StopBeforeSending.Stopped>(() => blob.UploadAsync(
            new LengthOnlyStream(length),
            new BlobUploadOptions { TransferOptions = new Azure.Storage.StorageTransferOptions { InitialTransferSize = 5000 * MiB } }));
        return seen.NetworkTimeout;
    }

    private sealed class StopBeforeSending : HttpPipelinePolicy
    {
        public TimeSpan? NetworkTimeout { get; private set; }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw Stop(message);

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw Stop(message);

        private Stopped Stop(HttpMessage message)
        {
            NetworkTimeout = message.NetworkTimeout;
            return new Stopped();
        }

        public sealed class Stopped : Exception;
    }

    /// <summary>A seekable body of a given length that is never read (the request stops before it is sent).</summary>
    private sealed class LengthOnlyStream(long length) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get; set; }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            _ => length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
