using System.Security.Cryptography;

namespace VaceFunctions.Orchestrations.Output;

/// <summary>
/// The body of a streamed Put Blob: exactly <paramref name="length"/> bytes, <paramref name="head"/> (already read from
/// the download) then the rest of <paramref name="rest"/>, each byte added to <paramref name="hash"/> as it is sent. The
/// storage client sends a body from a seekable stream of known length (it seeks to the start before each attempt), so
/// it says it can seek, but only to the start before its first read: the download cannot be read twice, so a
/// retried request fails at once (<see cref="NotSupportedException"/>, which the client does not retry) instead of
/// sending what is left under the whole length. A download that ends early, or goes on past the length, fails the
/// request with an <see cref="IOException"/> before its last byte is sent; the service then keeps no blob.
/// </summary>
internal sealed class SinglePassBody(ReadOnlyMemory<byte> head, Stream rest, long length, IncrementalHash hash) : Stream
{
    private long _position;

    /// <summary>True once a read began: the body cannot be sent again.</summary>
    public bool Spent { get; private set; }

    /// <summary>True when the download went on past the announced length (the request then failed).</summary>
    public bool Overran { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override long Seek(long offset, SeekOrigin origin) =>
        !Spent && offset == 0 && origin != SeekOrigin.End
            ? 0
            : throw new NotSupportedException($"The result video's body was already sent ({_position} of {length} bytes); the download cannot be read again, so the copy starts over.");

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Spent = true;
        var wanted = (int)Math.Min(buffer.Length, length - _position);
        if (wanted == 0)
        {
            if (length == 0)
            {
                await EnsureEndedAsync(cancellationToken);
            }

            return 0;
        }

        int read;
        if (_position < head.Length)
        {
            read = Math.Min(wanted, head.Length - (int)_position);
            head.Slice((int)_position, read).CopyTo(buffer);
        }
        else
        {
            // Filling the caller's buffer sends the upload whole buffers, not each small network read.
            read = await rest.ReadAtLeastAsync(buffer[..wanted], wanted, throwOnEndOfStream: false, cancellationToken);
            if (read < wanted)
            {
                throw new IOException($"The result video ended after {_position + read} of {length} bytes.");
            }
        }

        // The last bytes go out only once the download is known to end with them: sent with a body still coming
        // (a Content-Length that lies), they would complete a truncated blob.
        if (_position + read == length)
        {
            await EnsureEndedAsync(cancellationToken);
        }

        hash.AppendData(buffer.Span[..read]);
        _position += read;
        return read;
    }

    private async Task EnsureEndedAsync(CancellationToken cancellationToken)
    {
        if (await rest.ReadAsync(new byte[1], cancellationToken) > 0)
        {
            Overran = true;
            throw new IOException($"The result video is longer than the {length} bytes it announced.");
        }
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
