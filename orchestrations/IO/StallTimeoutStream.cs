using System.Globalization;

namespace VaceFunctions.Orchestrations.IO;

/// <summary>A read-only view of a download that fails a read on which no byte arrives within a given time.</summary>
/// <remarks>
/// <para>
/// Only the time spent waiting inside a read counts: between reads (while what was read is uploaded) the clock is
/// stopped, so a slow upload never passes for a stalled download, and a long download that keeps coming is never cut.
/// </para>
/// <para>
/// A stalled read is canceled, which aborts the connection under it, and fails with <see cref="TimeoutException"/>;
/// every later read fails the same way.
/// </para>
/// </remarks>
public sealed class StallTimeoutStream : Stream
{
    private readonly Stream _inner;
    private readonly TimeSpan _window;
    private readonly CancellationTokenSource _stalled;

    public StallTimeoutStream(Stream inner, TimeSpan window, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        _inner = inner;
        _window = window;
        _stalled = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_stalled.IsCancellationRequested)
        {
            throw Stalled(null);
        }

        _stalled.CancelAfter(_window);
        using var linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stalled.Token)
            : null;
        try
        {
            return await _inner.ReadAsync(buffer, linked?.Token ?? _stalled.Token);
        }
        catch (Exception ex) when (_stalled.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw Stalled(ex);
        }
        finally
        {
            if (!_stalled.IsCancellationRequested)
            {
                _stalled.CancelAfter(Timeout.InfiniteTimeSpan);
            }
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stalled.Dispose();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        _stalled.Dispose();
        await _inner.DisposeAsync();
        await base.DisposeAsync();
    }

    private TimeoutException Stalled(Exception? inner) =>
        new(
            $"No byte of the download arrived for {_window.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s; it is cut, to be tried again.",
            inner);
}
