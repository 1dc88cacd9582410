using System.Net;
using System.Net.Sockets;

namespace VaceFunctions.Local.Tests.Suites;

/// <summary>
/// A loopback TCP proxy in front of the simulator that can make the service unreachable: <see cref="Cut"/> closes every
/// connection and stops listening, so new connections are refused (as a service that is down refuses them), and
/// <see cref="Restore"/> listens again on the same port. Its port is known before the simulator starts, so a host can
/// be configured with it.
/// </summary>
internal sealed class CuttableProxy : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<TcpClient> _live = [];
    private readonly IPEndPoint _endpoint;
    private TcpListener? _listener;
    private CancellationTokenSource _stop = new();

    private CuttableProxy(TcpListener listener)
    {
        _listener = listener;
        _endpoint = (IPEndPoint)listener.LocalEndpoint;
        _ = AcceptAsync(listener, _stop.Token);
    }

    public Uri BaseUrl => new($"http://127.0.0.1:{_endpoint.Port}/");

    /// <summary>Where connections go; set once the service is up.</summary>
    public Uri? Target { get; set; }

    public static CuttableProxy Start()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new CuttableProxy(listener);
    }

    /// <summary>Refuses new connections and cuts the open ones.</summary>
    public void Cut()
    {
        lock (_gate)
        {
            _stop.Cancel();
            _listener?.Stop();
            _listener = null;
            foreach (var client in _live)
            {
                client.Dispose();
            }

            _live.Clear();
        }
    }

    /// <summary>Listens again on the same port.</summary>
    public void Restore()
    {
        lock (_gate)
        {
            _stop = new CancellationTokenSource();
            var listener = new TcpListener(_endpoint);
            listener.Start();
            _listener = listener;
            _ = AcceptAsync(listener, _stop.Token);
        }
    }

    public ValueTask DisposeAsync()
    {
        Cut();
        return ValueTask.CompletedTask;
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await listener.AcceptTcpClientAsync(stop);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = PipeAsync(inbound, stop);
        }
    }

    private async Task PipeAsync(TcpClient inbound, CancellationToken stop)
    {
        var outbound = new TcpClient();
        lock (_gate)
        {
            _live.Add(inbound);
            _live.Add(outbound);
        }

        try
        {
            await outbound.ConnectAsync(Target!.Host, Target.Port, stop);
            var a = inbound.GetStream();
            var b = outbound.GetStream();
            await Task.WhenAny(a.CopyToAsync(b, stop), b.CopyToAsync(a, stop));
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // Cut, or one side closed: the other is closed below.
        }
        finally
        {
            lock (_gate)
            {
                _live.Remove(inbound);
                _live.Remove(outbound);
            }

            inbound.Dispose();
            outbound.Dispose();
        }
    }
}
