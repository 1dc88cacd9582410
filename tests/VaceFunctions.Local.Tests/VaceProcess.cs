using System.Diagnostics;

namespace VaceFunctions.Local.Tests;

/// <summary>Runs the real <c>vace</c> executable (built beside the tests) as a separate process.</summary>
internal static class VaceProcess
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            // No storage or key from the environment: the commands under test start Azurite and the simulator.
            Environment = { ["AzureWebJobsStorage"] = null, ["DashScope__ApiKey"] = null, ["DashScope__BaseUrl"] = null },
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "vace.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
