using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Local.Tests.Hosting;

/// <summary>
/// <c>vace serve</c> offline as a new user runs it — no storage, no DashScope key, so serve starts Azurite and the
/// simulator with their data in ./.azurite — killed outright while the service's own requests are in flight, and
/// started again on the same folder: the jobs carry on where they were, as they would with the real service.
/// </summary>
[Collection(AzuriteProcessTests.DefaultPortsCollection)]
public sealed partial class ServeRestartTests : IDisposable
{
    /// <summary>What a user of the documentation's samples has in <c>$DASHSCOPE_API_KEY</c>: a key no client of the host has.</summary>
    private const string DashScopeKey = "sk-0f1e2d3c4b5a69788796a5b4c3d2e1f0";

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("vace-serve-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task ReferenceRequests_OnTheDashScopeFace_SucceedWithOneSubmissionEach_WhenServeIsKilledMidFlightAndRestarted()
    {
        await AzuriteProcessTests.WaitUntilDefaultPortsFreeAsync();
        var port = HostProcess.FreePort();
        var settings = new Dictionary<string, string?>(HostProcess.OfflineSettings())
        {
            // Long enough for every task to be still running when the host is killed; all five at once.
            ["Simulator:RunningDuration"] = "00:00:40",
            ["Simulator:MaxConcurrentTasks"] = "5",
            ["Vace:MaxConcurrentTasks"] = "5",
            ["Vace:InitialPollInterval"] = "00:00:01",
            ["Vace:PollInterval"] = "00:00:01",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/") };
        var requests = HostTestSupport.ReferenceRequests();

        var tasks = new List<string>();
        string simulator;
        using (var first = HostProcess.Start(port, settings, _folder.FullName))
        {
            await first.WaitUntilServingAsync();
            simulator = SimulatorUrl(first);
            foreach (var request in requests)
            {
                // The documentation's curl call, its Bearer DashScope key and all: only the base URL is this host's.
                var created = await Curl.CreateTaskAsync(http.BaseAddress!.ToString().TrimEnd('/'), DashScopeKey, await File.ReadAllTextAsync(request));
                tasks.Add(JsonNode.Parse(created)!["output"]!["task_id"]!.GetValue<string>());
            }

            await WaitUntilSubmittedAsync(http, tasks);
            foreach (var task in tasks)
            {
                var output = JsonNode.Parse(await http.GetStringAsync($"api/v1/tasks/{task}"))!["output"]!;
                Assert.True(output["task_status"]!.GetValue<string>() is "PENDING" or "RUNNING", $"{task} ended before the kill: {output.ToJsonString()}");
            }

            first.Kill();
        }

        // The killed host's Azurite saves its data as it stops; the restarted host starts its own over that data.
        await AzuriteProcessTests.WaitUntilDefaultPortsFreeAsync();
        using var second = HostProcess.Start(port, settings, _folder.FullName);
        await second.WaitUntilServingAsync();
        Assert.Equal(simulator, SimulatorUrl(second));

        using var download = new HttpClient();
        foreach (var (task, request) in tasks.Zip(requests))
        {
            var output = await HostTestSupport.WaitForTaskAsync(http, task);
            var queried = JsonNode.Parse(await Curl.GetTaskAsync(http.BaseAddress!.ToString().TrimEnd('/'), DashScopeKey, task))!["output"]!;
            Assert.Equal(output["video_url"]!.GetValue<string>().Split('?')[0], queried["video_url"]!.GetValue<string>().Split('?')[0]);
            Assert.True(output["task_status"]!.GetValue<string>() == "SUCCEEDED", $"{Path.GetFileName(request)}: {output.ToJsonString()}");
            var video = output["video_url"]!.GetValue<string>();
            Assert.StartsWith($"http://127.0.0.1:10000/{AzuriteProcess.Account}/", video, StringComparison.Ordinal);
            Assert.Equal(SampleVideo.Bytes.ToArray(), await download.GetByteArrayAsync(video));
        }

        var counters = JsonNode.Parse(await download.GetStringAsync(new Uri(new Uri(simulator), "admin/counters")))!;
        Assert.Equal(tasks.Count, counters["tasksCreated"]!.GetValue<int>());
        Assert.Equal(Enumerable.Repeat(1, tasks.Count), counters["tasksByBody"]!.AsObject().Select(p => p.Value!.GetValue<int>()));
    }

    /// <summary>The simulator's address, as serve announces it.</summary>
    internal static string SimulatorUrl(HostProcess host) =>
        host.Output.Select(line => SimulatorLine().Match(line)).First(m => m.Success).Groups[1].Value;

    /// <summary>Waits until every job has its DashScope task (the submission answered and recorded).</summary>
    private static async Task WaitUntilSubmittedAsync(HttpClient http, IEnumerable<string> jobs)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        foreach (var job in jobs)
        {
            while (JsonNode.Parse(await http.GetStringAsync($"api/jobs/{job}"))!["progress"]?["taskId"] is null)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{job} was not submitted within 2 min");
                await Task.Delay(200);
            }
        }
    }

    [GeneratedRegex(@"DashScope: the simulator at (\S+) ")]
    private static partial Regex SimulatorLine();
}
