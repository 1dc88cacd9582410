using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace VaceFunctions.Tests.Shared;

/// <summary>
/// An HTTP server on one loopback port (127.0.0.1 and, where the machine has it, ::1) written on sockets, so it can
/// answer as no framework would: a Content-Length that lies, no length at all, a body that does not end. It counts
/// the connections it accepts (a request needs one) and the body bytes the network took from it. It can also be slow
/// on purpose: a body that trickles a byte at a time, a stall after some bytes with the connection held open, or no
/// answer at all (<see cref="Silent"/>). By default it is a service that jobs must not reach, answering 200 with an
/// empty body.
/// </summary>
internal sealed class RawHttpServer : IAsyncDisposable
{
    private const string Empty = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

    private readonly List<TcpListener> _listeners = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly byte[] _head;
    private readonly byte[] _prefix;
    private readonly long _bodyBytes;
    private readonly bool _chunked;
    private readonly TimeSpan? _byteInterval;
    private readonly long? _stallAfter;
    private int _connections;
    private long _sent;

    private RawHttpServer(string head, byte[] prefix, long bodyBytes, bool chunked, TimeSpan? byteInterval, long? stallAfter)
    {
        _head = Encoding.ASCII.GetBytes(head);
        _prefix = prefix;
        _bodyBytes = bodyBytes;
        _chunked = chunked;
        _byteInterval = byteInterval;
        _stallAfter = stallAfter;
    }

    public int Port { get; private set; }

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Body bytes (without chunk framing) the network took, over all connections.</summary>
    public long BodyBytesSent => Interlocked.Read(ref _sent);

    /// <param name="head">The status line and headers, ending with an empty line.</param>
    /// <param name="prefix">The body's first bytes; the rest is zeros.</param>
    /// <param name="bodyBytes">How long the body is, whatever <paramref name="head"/> says.</param>
    /// <param name="chunked">Frame the body in chunks (the head should then say Transfer-Encoding: chunked).</param>
    /// <param name="byteInterval">Send the body one byte at a time, this long apart (a trickle), instead of at once.</param>
    /// <param name="stallAfter">
    /// After this many body bytes, send nothing more and hold the connection open until the client hangs up.
    /// </param>
    public static RawHttpServer Start(
        string head = Empty, byte[]? prefix = null, long bodyBytes = 0, bool chunked = false, TimeSpan? byteInterval = null, long? stallAfter = null)
    {
        var server = new RawHttpServer(head, prefix ?? [], bodyBytes, chunked, byteInterval, stallAfter);
        var v4 = new TcpListener(IPAddress.Loopback, 0);
        v4.Start();
        server._listeners.Add(v4);
        server.Port = ((IPEndPoint)v4.LocalEndpoint).Port;
        try
        {
            var v6 = new TcpListener(IPAddress.IPv6Loopback, server.Port);
            v6.Start();
            server._listeners.Add(v6);
        }
        catch (SocketException)
        {
            // No IPv6 loopback here (or the port is taken on it): the IPv4 listener is enough.
        }

        foreach (var listener in server._listeners)
        {
            server._loops.Add(server.AcceptAsync(listener));
        }

        return server;
    }

    /// <summary>A server that takes each request and never answers it, nor closes the connection, until the client hangs up.</summary>
    public static RawHttpServer Silent() => Start(head: "", bodyBytes: 1, stallAfter: 0);

    public string Url(string path) => $"http://127.0.0.1:{Port}/{path.TrimStart('/')}";

    private async Task AcceptAsync(TcpListener listener)
    {
        var connections = new List<Task>();
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var socket = await listener.AcceptSocketAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                connections.Add(AnswerAsync(socket));
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                break;
            }
        }

        await Task.WhenAll(connections);
    }

    private async Task AnswerAsync(Socket socket)
    {
        using (socket)
        {
            var block = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                await ReadRequestHeadAsync(socket, block);
                await socket.SendAsync(_head, SocketFlags.None, _stop.Token);
                block.AsSpan().Clear();
                for (var sent = 0L; sent < _bodyBytes;)
                {
                    if (sent == _stallAfter)
                    {
                        await HoldAsync(socket, block);
                        return;
                    }

                    if (_byteInterval is { } interval && sent > 0)
                    {
                        await Task.Delay(interval, _stop.Token);
                    }

                    var length = (int)Math.Min(_byteInterval is null ? 64 * 1024 : 1, Math.Min(_bodyBytes, _stallAfter ?? long.MaxValue) - sent);
                    var data = sent < _prefix.Length
                        ? _prefix.AsMemory((int)sent, (int)Math.Min(length, _prefix.Length - sent))
                        : block.AsMemory(0, length);
                    length = data.Length;
                    if (_chunked)
                    {
                        await socket.SendAsync(Encoding.ASCII.GetBytes($"{length:x}\r\n"), SocketFlags.None, _stop.Token);
                    }

                    await socket.SendAsync(data, SocketFlags.None, _stop.Token);
                    Interlocked.Add(ref _sent, length);
                    sent += length;

                    if (_chunked)
                    {
                        await socket.SendAsync("\r\n"u8.ToArray(), SocketFlags.None, _stop.Token);
                    }
                }

                if (_chunked)
                {
                    await socket.SendAsync("0\r\n\r\n"u8.ToArray(), SocketFlags.None, _stop.Token);
                }

                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The client hung up, or the server stops.
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(block);
            }
        }
    }

    /// <summary>Sends nothing more and keeps the connection until the client closes it (or the server stops).</summary>
    private async Task HoldAsync(Socket socket, byte[] buffer)
    {
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token) > 0)
        {
        }
    }

    /// <summary>Reads until the empty line that ends the request's head (requests here have no body worth reading).</summary>
    private async Task ReadRequestHeadAsync(Socket socket, byte[] buffer)
    {
        var filled = 0;
        while (filled < buffer.Length && buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8) < 0)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _stop.Token);
            if (n == 0)
            {
                return;
            }

            filled += n;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var listener in _listeners)
        {
            listener.Stop();
        }

        await Task.WhenAll(_loops);
        _stop.Dispose();
    }
}
