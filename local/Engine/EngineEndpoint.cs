using System.Net.Sockets;
using Grpc.Net.Client;

namespace VaceFunctions.Local.Engine;

/// <summary>
/// Where the embedded engine listens — a Unix socket in a folder only this user can enter (0700), named for this
/// process, so neither the network nor other users can reach it — the gRPC channel to it, and whether this process
/// runs orchestrations or only starts and reads them.
/// </summary>
public sealed class EngineEndpoint : IDisposable
{
    private const string FolderPrefix = "vace-engine-";

    public EngineEndpoint(bool runsWorker = true)
    {
        RunsWorker = runsWorker;
        RemoveFoldersOfEndedProcesses();
        Folder = Directory.CreateTempSubdirectory($"{FolderPrefix}{Environment.ProcessId}-");
        if (!OperatingSystem.IsWindows())
        {
            Folder.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        }

        SocketPath = Path.Combine(Folder.FullName, "engine.sock");
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

    public DirectoryInfo Folder { get; }

    public string SocketPath { get; }

    /// <summary>False for a client-only process: the sidecar serves client calls and dispatches nothing.</summary>
    public bool RunsWorker { get; }

    public GrpcChannel Channel { get; }

    public void Dispose()
    {
        Channel.Dispose();
        Folder.Refresh();
        if (Folder.Exists)
        {
            Folder.Delete(recursive: true);
        }
    }

    /// <summary>A host killed with SIGKILL leaves its socket folder behind; the next host removes those of ended processes.</summary>
    private static void RemoveFoldersOfEndedProcesses()
    {
        foreach (var folder in new DirectoryInfo(Path.GetTempPath()).EnumerateDirectories(FolderPrefix + "*"))
        {
            var pid = folder.Name[FolderPrefix.Length..].Split('-')[0];
            if (int.TryParse(pid, out var id) && id != Environment.ProcessId && !IsRunning(id))
            {
                try
                {
                    folder.Delete(recursive: true);
                }
                catch (IOException)
                {
                    // Another host is removing it, or it belongs to another user: not ours to clean.
                }
                catch (UnauthorizedAccessException)
                {
                    // Another user's.
                }
            }
        }
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
