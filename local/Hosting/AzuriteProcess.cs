using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace VaceFunctions.Local.Hosting;

/// <summary>
/// Azurite, the Azure Storage emulator, run as a child process: installed by the project from npm
/// (<c>node_modules/.bin/azurite</c>), in memory or in a folder, on free loopback ports or the default ones.
/// Stopped when disposed or when this process exits — also when it is killed outright: Azurite runs under
/// <c>azurite-watchdog.js</c>, which stops it once this process's end of the watchdog's stdin closes, as the system
/// does for a process that dies however it dies. Stopped, not killed: Azurite saves its data to its folder only every
/// few seconds and on a graceful stop, and a storage account must not lose writes it acknowledged. Its ports are free
/// again for the next start.
/// <para>
/// Its account key is never the well-known development key, which any web page could sign requests with: a new
/// random key for each in-memory Azurite, and for a folder one key kept in the folder (<see cref="KeyFileName"/>,
/// readable by its owner alone), which every local command reads (<see cref="DefaultConnectionStringFor"/>).
/// </para>
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    public const string Account = "devstoreaccount1";

    /// <summary>The well-known key of Azurite's development account: for an Azurite this project did not start.</summary>
    public const string WellKnownKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>In an Azurite's folder: the account key it runs with.</summary>
    public const string KeyFileName = "account-key";

    private const string WatchdogScript = "azurite-watchdog.js";

    /// <summary>In an Azurite's folder: the process id of the watchdog that runs it.</summary>
    private const string WatchdogPidFile = "azurite-watchdog.pid";

    private readonly Process _process;

    private AzuriteProcess(Process process, string key, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        ConnectionString = ConnectionStringFor(key, blobPort, queuePort, tablePort);
    }

    public string ConnectionString { get; }

    /// <summary>The connection string of an Azurite on these ports (blob, queue and table: the engine's backend uses all three).</summary>
    public static string ConnectionStringFor(string key, int blobPort, int queuePort, int tablePort) =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={key};"
        + $"BlobEndpoint=http://127.0.0.1:{blobPort}/{Account};QueueEndpoint=http://127.0.0.1:{queuePort}/{Account};"
        + $"TableEndpoint=http://127.0.0.1:{tablePort}/{Account};";

    /// <summary>
    /// The connection string of an Azurite on the default ports, as <c>vace serve</c> starts it over the folder
    /// <paramref name="location"/>: with the key kept there, or the well-known key when the folder has none (an
    /// Azurite someone else started).
    /// </summary>
    public static string DefaultConnectionStringFor(string location)
    {
        var file = Path.Combine(location, KeyFileName);
        return ConnectionStringFor(File.Exists(file) ? File.ReadAllText(file).Trim() : WellKnownKey, 10000, 10001, 10002);
    }

    /// <summary>
    /// Starts Azurite. With <paramref name="location"/> it keeps its data in that folder on the default ports
    /// (10000–10002); without, it keeps everything in memory on free ports.
    /// </summary>
    public static async Task<AzuriteProcess> StartAsync(string? location = null, CancellationToken cancellationToken = default)
    {
        var (blob, queue, table) = location is null ? (FreePort(), FreePort(), FreePort()) : (10000, 10001, 10002);
        var key = location is null ? NewKey() : await FolderKeyAsync(location, cancellationToken);
        if (location is not null)
        {
            await WaitForPreviousAsync(location, cancellationToken);
        }

        // stdin stays open and unwritten for the watchdog: its end is how the watchdog learns this process has gone.
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, WatchdogScript), FindExecutable() },
            Environment = { ["AZURITE_ACCOUNTS"] = $"{Account}:{key}" },
        };
        string[] storage = location is null ? ["--inMemoryPersistence"] : ["--location", location];
        foreach (var arg in storage.Concat(
        [
            "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", $"{blob}",
            "--queueHost", "127.0.0.1", "--queuePort", $"{queue}",
            "--tableHost", "127.0.0.1", "--tablePort", $"{table}",
        ]))
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("Azurite needs Node.js (node on the PATH): apt-get install nodejs npm.", ex);
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill(process);
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await IsListeningAsync(blob, cancellationToken) && await IsListeningAsync(queue, cancellationToken) && await IsListeningAsync(table, cancellationToken)))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                Kill(process);
                lock (output)
                {
                    throw new InvalidOperationException($"Azurite did not start listening: {output}");
                }
            }

            await Task.Delay(100, cancellationToken);
        }

        if (location is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(location, WatchdogPidFile), process.Id.ToString(CultureInfo.InvariantCulture), cancellationToken);
        }

        return new AzuriteProcess(process, key, blob, queue, table);
    }

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));

    /// <summary>The key kept in the folder, made (mode 0600) the first time an Azurite runs over it.</summary>
    private static async Task<string> FolderKeyAsync(string location, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(location);
        var file = Path.Combine(location, KeyFileName);
        if (File.Exists(file) && (await File.ReadAllTextAsync(file, cancellationToken)).Trim() is { Length: > 0 } kept)
        {
            return kept;
        }

        var key = NewKey();
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(file, options))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteAsync(key);
        }

        return key;
    }

    /// <summary>
    /// Waits for the Azurite that last ran on this folder to end: a stopping Azurite closes its ports first and saves
    /// its data after, and one started over the folder before that would read the data as it was seconds earlier.
    /// </summary>
    private static async Task WaitForPreviousAsync(string location, CancellationToken cancellationToken)
    {
        var pidFile = Path.Combine(location, WatchdogPidFile);
        if (!File.Exists(pidFile) || !int.TryParse(await File.ReadAllTextAsync(pidFile, cancellationToken), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return;
        }

        try
        {
            using var previous = Process.GetProcessById(pid);
            using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            grace.CancelAfter(TimeSpan.FromSeconds(30));
            await previous.WaitForExitAsync(grace.Token);
        }
        catch (ArgumentException)
        {
            // Not running: it ended long ago.
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Its watchdog kills it well before this; whatever holds the id now is not it.
        }
    }

    /// <summary>True when something listens on the default Azurite blob port (an Azurite already running).</summary>
    public static Task<bool> IsDefaultRunningAsync(CancellationToken cancellationToken = default) => IsListeningAsync(10000, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // The watchdog's stdin ending is its signal to stop Azurite gracefully; a kill is for one that does not stop.
        _process.StandardInput.Close();
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(_process);
        }

        _process.Dispose();
    }

    private static string FindExecutable()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "node_modules", ".bin", "azurite");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new InvalidOperationException(
            "Azurite is not installed: run ./vace or scripts/test.sh from the repository (they run npm ci), or set AzureWebJobsStorage to a storage account.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> IsListeningAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static void Kill(Process process)
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
