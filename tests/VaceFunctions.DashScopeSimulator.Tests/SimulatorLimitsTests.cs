using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.DashScopeSimulator.Tests;

/// <summary>The account limits (2 submissions per second, 2 concurrent tasks) and the documented curl samples.</summary>
public sealed class SimulatorLimitsTests
{
    private const string CreatePath = "api/v1/services/aigc/video-generation/video-synthesis";

    [Fact]
    public async Task Create_ThirdSubmissionWithinASecond_IsThrottledWithRateQuota()
    {
        var clock = new ManualClock();
        await using var simulator = await SimulatorHost.StartAsync(o => o.MaxConcurrentTasks = 0, clock);
        using var http = Client(simulator);

        Assert.Equal(HttpStatusCode.OK, (await CreateAsync(http)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CreateAsync(http)).StatusCode);
        var third = await CreateAsync(http);

        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("Throttling.RateQuota", JsonNode.Parse(await third.Content.ReadAsStringAsync())!["code"]!.GetValue<string>());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await CreateAsync(http)).StatusCode);
        Assert.Equal(3, simulator.State.Counters().TasksCreated);
    }

    [Fact]
    public async Task Create_ThirdConcurrentTask_IsThrottledUntilOneEnds()
    {
        var clock = new ManualClock();
        await using var simulator = await SimulatorHost.StartAsync(
            o =>
            {
                o.SubmissionsPerSecond = 0;
                o.RetryAfterSeconds = 7;
            },
            clock);
        using var http = Client(simulator);

        await CreateAsync(http);
        await CreateAsync(http);
        var third = await CreateAsync(http);

        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), third.Headers.RetryAfter!.Delta);
        clock.Advance(simulator.Options.PendingDuration + simulator.Options.RunningDuration);
        Assert.Equal(HttpStatusCode.OK, (await CreateAsync(http)).StatusCode);
        var counters = simulator.State.Counters();
        Assert.Equal(2, counters.ConcurrentPeak);
        Assert.Equal(1, counters.Throttled);
    }

    /// <summary>
    /// The documentation's curl commands, run as they are with only the base URL changed: create, then query
    /// until the task ends. Submissions are not rate-limited here because curl sends them faster than the
    /// account's 2 per second.
    /// </summary>
    [Fact]
    public async Task DocumentedCurlSamples_ProduceTasksThatSucceed()
    {
        await using var simulator = await SimulatorHost.StartAsync(o =>
        {
            o.PendingDuration = TimeSpan.FromMilliseconds(100);
            o.RunningDuration = TimeSpan.FromMilliseconds(200);
            o.SubmissionsPerSecond = 0;
        });
        var baseUrl = simulator.BaseUrl.ToString().TrimEnd('/');
        foreach (var name in new[] { "image_reference", "video_repainting", "video_edit", "video_extension", "video_outpainting" })
        {
            var body = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", name + ".json"));
            var created = JsonNode.Parse(await Curl.CreateTaskAsync(baseUrl, "sk-simulator", body))!;
            var taskId = created["output"]!["task_id"]!.GetValue<string>();

            var status = "PENDING";
            var watch = Stopwatch.StartNew();
            while (status is "PENDING" or "RUNNING" && watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(100);
                var polled = JsonNode.Parse(await Curl.GetTaskAsync(baseUrl, "sk-simulator", taskId))!;
                status = polled["output"]!["task_status"]!.GetValue<string>();
            }

            Assert.True(status == "SUCCEEDED", $"{name}: {status}");
        }
    }

    private static HttpClient Client(RunningSimulator simulator) => new() { BaseAddress = simulator.BaseUrl };

    private static async Task<HttpResponseMessage> CreateAsync(HttpClient http)
    {
        var body = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", "video_extension.json"));
        using var request = new HttpRequestMessage(HttpMethod.Post, CreatePath) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-simulator");
        request.Headers.Add("X-DashScope-Async", "enable");
        return await http.SendAsync(request);
    }
}
