using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace VaceFunctions.Local.Tests;

/// <summary>
/// The Azure Storage emulator for integration tests: one Azurite process per test run, on free loopback ports,
/// in memory, stopped when the tests end. Installed by scripts/test.sh (npm); set VACE_TEST_STORAGE to a
/// connection string to use another account instead.
/// </summary>
internal sealed class Azurite
{
    private const string Account = "devstoreaccount1";
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly Lazy<Task<Azurite>> Shared = new(StartAsync);

    private Azurite(string connectionString) => ConnectionString = connectionString;

    public string ConnectionString { get; }

    public static Task<Azurite> GetAsync() => Shared.Value;

    /// <summary>A name no other test uses, for a hub, container or queue.</summary>
    public static string UniqueName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private static async Task<Azurite> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("VACE_TEST_STORAGE") is { Length: > 0 } configured)
        {
            return new Azurite(configured);
        }

        var (blobPort, queuePort, tablePort) = (FreePort(), FreePort(), FreePort());
        var start = new ProcessStartInfo(FindExecutable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--silent", "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", blobPort.ToString(),
            "--queueHost", "127.0.0.1", "--queuePort", queuePort.ToString(),
            "--tableHost", "127.0.0.1", "--tablePort", tablePort.ToString(),
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(process);
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => output.AppendLine(e.Data);
        process.ErrorDataReceived += (_, e) => output.AppendLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await IsListeningAsync(blobPort) && await IsListeningAsync(queuePort)))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                Stop(process);
                throw new InvalidOperationException($"Azurite did not start listening: {output}");
            }

            await Task.Delay(100);
        }

        return new Azurite(
            $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};"
            + $"BlobEndpoint=http://127.0.0.1:{blobPort}/{Account};QueueEndpoint=http://127.0.0.1:{queuePort}/{Account};");
    }

    private static string FindExecutable()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "node_modules", ".bin", "azurite");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "Azurite is not installed: run scripts/test.sh (it runs npm ci), or set VACE_TEST_STORAGE to a storage connection string.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> IsListeningAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
