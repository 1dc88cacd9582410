using System.Net.Sockets;
using Grpc.Net.Client;

namespace VaceFunctions.Local.Engine;

/// <summary>
/// Where the embedded engine listens (a Unix socket private to this process), the gRPC channel to it, and whether
/// this process runs orchestrations or only starts and reads them.
/// </summary>
public sealed class EngineEndpoint : IDisposable
{
    public EngineEndpoint(bool runsWorker = true)
    {
        RunsWorker = runsWorker;
        SocketPath = Path.Combine(Path.GetTempPath(), $"vace-engine-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        var path = SocketPath;
        Channel = GrpcChannel.ForAddress("http://engine", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                // One HTTP/2 connection deadlocks past about 100 concurrent streams.
                EnableMultipleHttp2Connections = true,
                ConnectCallback = async (_, cancellationToken) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            },
        });
    }

    public string SocketPath { get; }

    /// <summary>False for a client-only process: the sidecar serves client calls and dispatches nothing.</summary>
    public bool RunsWorker { get; }

    public GrpcChannel Channel { get; }

    public void Dispose() => Channel.Dispose();
}
