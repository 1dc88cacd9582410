using System.Diagnostics;

namespace VaceFunctions.Tests.Shared;

/// <summary>Runs curl as the service's documentation does, for tests that must behave like its samples.</summary>
internal static class Curl
{
    public static async Task<string> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--silent");
        start.ArgumentList.Add("--show-error");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await process.StandardError.ReadToEndAsync());
        return output;
    }

    /// <summary>The documentation's create call, with only the base URL changed.</summary>
    public static Task<string> CreateTaskAsync(string baseUrl, string apiKey, string body) => RunAsync(
        "--location", $"{baseUrl}/api/v1/services/aigc/video-generation/video-synthesis",
        "--header", "X-DashScope-Async: enable",
        "--header", $"Authorization: Bearer {apiKey}",
        "--header", "Content-Type: application/json",
        "--data", body);

    /// <summary>The documentation's query call, with only the base URL changed.</summary>
    public static Task<string> GetTaskAsync(string baseUrl, string apiKey, string taskId) =>
        RunAsync("-X", "GET", $"{baseUrl}/api/v1/tasks/{taskId}", "--header", $"Authorization: Bearer {apiKey}");
}
