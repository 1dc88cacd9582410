using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace VaceFunctions.Local.Tests;

/// <summary>
/// A real <c>vace serve</c> process (built beside the tests), configured through its environment as a user would:
/// storage, DashScope address and key, task hub, worker id and the workflow's settings. Killed (SIGKILL) with
/// whatever it started when disposed if still running. Its standard output is kept, line by line.
/// </summary>
internal sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _errors = new();

    private HostProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>The port its HTTP API listens on.</summary>
    public int Port { get; }

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    /// <summary>What the host wrote to its standard output so far.</summary>
    public IReadOnlyCollection<string> Output => _output;

    /// <summary>What the host wrote to its standard error so far.</summary>
    public IReadOnlyCollection<string> Errors => _errors;

    /// <summary>
    /// Starts <c>vace serve</c> on <paramref name="port"/> with <paramref name="settings"/> (configuration keys, ':' separated;
    /// a null value unsets one), in <paramref name="workingDirectory"/> (by default the tests' own).
    /// </summary>
    public static HostProcess Start(int port, IReadOnlyDictionary<string, string?> settings, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "vace.dll"), "serve", "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        var host = new HostProcess(process, port);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                host._output.Enqueue(line);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                host._errors.Enqueue(line);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Waits until the host answers on its HTTP port (its OpenAPI document), at most a minute.</summary>
    public async Task WaitUntilServingAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/"), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            Assert.False(HasExited, "vace serve exited");
            Assert.True(DateTime.UtcNow < deadline, "vace serve did not answer within a minute");
            try
            {
                using var response = await http.GetAsync("openapi/v1.json");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }
    }

    /// <summary>
    /// Settings of a serve left to start what it lacks, as a new user's is: no storage (Azurite, data in ./.azurite)
    /// and no DashScope key (the simulator); a task hub of its own.
    /// </summary>
    public static Dictionary<string, string?> OfflineSettings() => new()
    {
        ["AzureWebJobsStorage"] = null,
        ["DashScope:ApiKey"] = null,
        ["DashScope:BaseUrl"] = null,
        ["Durable:TaskHub"] = Azurite.UniqueName("h"),
    };

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>SIGKILL of the host alone: no shutdown code runs, as in a crash or an OOM kill; what it started is left to itself.</summary>
    public void Kill() => Kill(entireProcessTree: false);

    public void Dispose()
    {
        Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private void Kill(bool entireProcessTree)
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree);
            _process.WaitForExit();
        }
    }
}
