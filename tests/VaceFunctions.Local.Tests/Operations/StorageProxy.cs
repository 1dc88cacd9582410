using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace VaceFunctions.Local.Tests.Operations;

/// <summary>
/// A TCP proxy in front of a storage account's blob, queue and table endpoints, which a test switches between
/// forwarding, refusing every connection (as a closed port does) and stalling (accepting and never answering). A switch
/// away from forwarding cuts the connections open through it, so pooled connections do not keep working.
/// </summary>
public sealed partial class StorageProxy : IAsyncDisposable
{
    public enum Mode
    {
        Forward,
        Refuse,
        Stall,
    }

    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpListener> _listeners = [];
    private readonly ConcurrentDictionary<TcpClient, bool> _open = new();
    private volatile Mode _mode = Mode.Forward;

    private StorageProxy(string connectionString)
    {
        ConnectionString = EndpointPort().Replace(connectionString, match =>
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            _listeners.Add(listener);
            _ = AcceptAsync(listener, int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture));
            return $"{match.Groups["name"].Value}http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        });
    }

    /// <summary>The connection string whose endpoints go through the proxy.</summary>
    public string ConnectionString { get; }

    public static StorageProxy Start(string connectionString) => new(connectionString);

    public void Set(Mode mode)
    {
        _mode = mode;
        if (mode != Mode.Forward)
        {
            foreach (var connection in _open.Keys)
            {
                Close(connection);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listeners.ForEach(l => l.Stop());
        foreach (var connection in _open.Keys)
        {
            Close(connection);
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync(TcpListener listener, int target)
    {
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(_stop.Token);
                _ = HandleAsync(client, target);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task HandleAsync(TcpClient client, int target)
    {
        using var server = new TcpClient();
        try
        {
            switch (_mode)
            {
                case Mode.Refuse:
                    client.Client.LingerState = new LingerOption(true, 0);
                    Close(client);
                    return;
                case Mode.Stall:
                    _open[client] = true;
                    await client.GetStream().CopyToAsync(Stream.Null, _stop.Token);
                    return;
                default:
                    _open[client] = true;
                    _open[server] = true;
                    await server.ConnectAsync(IPAddress.Loopback, target, _stop.Token);
                    await Task.WhenAny(
                        client.GetStream().CopyToAsync(server.GetStream(), _stop.Token),
                        server.GetStream().CopyToAsync(client.GetStream(), _stop.Token));
                    return;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // A connection cut by a switch, or by either end.
        }
        finally
        {
            Close(client);
            Close(server);
        }
    }

    private void Close(TcpClient connection)
    {
        _open.TryRemove(connection, out _);
        connection.Dispose();
    }

    [GeneratedRegex(@"(?<name>(Blob|Queue|Table)Endpoint=)http://127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex EndpointPort();
}
