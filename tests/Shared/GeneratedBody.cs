namespace VaceFunctions.Tests.Shared;

/// <summary>
/// A body of <c>length</c> padding bytes (<see cref="long.MaxValue"/>: one that never ends, as a hostile client might
/// send), produced as it is read, at most <c>maxRead</c> bytes a read, each read after <c>pause</c>; counts what it gave.
/// Not seekable, so an HTTP client sends it chunked.
/// </summary>
internal sealed class GeneratedBody(long length, int maxRead = int.MaxValue, TimeSpan pause = default) : Stream
{
    public long BytesRead { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Fill(buffer.AsSpan(offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (pause > TimeSpan.Zero)
        {
            await Task.Delay(pause, cancellationToken);
        }

        return Fill(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Fill(Span<byte> buffer)
    {
        var count = (int)Math.Min(Math.Min(buffer.Length, maxRead), length - BytesRead);
        buffer[..count].Fill((byte)' ');
        BytesRead += count;
        return count;
    }
}
