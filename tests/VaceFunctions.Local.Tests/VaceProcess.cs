using System.Diagnostics;

namespace VaceFunctions.Local.Tests;

/// <summary>Runs the real <c>vace</c> executable (built beside the tests) as a separate process.</summary>
internal static class VaceProcess
{
    public static Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => RunAsync(args, environment: null);

    /// <summary>
    /// Runs <c>vace</c> with no storage or DashScope settings from the test's environment (the commands under test start
    /// Azurite and the simulator) but <paramref name="environment"/>'s (configuration keys, ':' separated), with
    /// <paramref name="input"/> on its standard input. With <paramref name="mergeErrors"/> stderr goes into the output as
    /// a terminal shows both, in the order written.
    /// </summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        IReadOnlyList<string> args, IReadOnlyDictionary<string, string?>? environment, string? input = null, string? workingDirectory = null, bool mergeErrors = false)
    {
        var start = new ProcessStartInfo(mergeErrors ? "/bin/sh" : "dotnet")
        {
            Environment = { ["AzureWebJobsStorage"] = null, ["DashScope__ApiKey"] = null, ["DashScope__BaseUrl"] = null },
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        if (mergeErrors)
        {
            foreach (var arg in new[] { "-c", "exec dotnet \"$@\" 2>&1", "sh" })
            {
                start.ArgumentList.Add(arg);
            }
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "vace.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input ?? "");
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
