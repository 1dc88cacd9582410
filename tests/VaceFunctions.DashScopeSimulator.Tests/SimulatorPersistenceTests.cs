using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.DashScopeSimulator.Tests;

/// <summary>
/// A simulator with a state file is an account that outlives its process, as the real service's does: stopped and
/// started again from the same file, it continues its tasks, on the same port, and the URLs it handed out still work.
/// </summary>
public sealed class SimulatorPersistenceTests : IDisposable
{
    private const string Key = "sk-simulator";

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("vace-simulator-");
    private readonly ManualClock _clock = new();

    public void Dispose() => _folder.Delete(recursive: true);

    private string StateFile => Path.Combine(_folder.FullName, "simulator.json");

    [Fact]
    public async Task Restart_FromItsStateFile_ContinuesItsTasksOnTheSamePort_AndServesTheirVideos()
    {
        string finishedVideo;
        string pendingTask;
        Uri address;
        await using (var first = await StartAsync())
        {
            address = first.BaseUrl;
            var finished = await CreateAsync(first, "video_edit");
            _clock.Advance(TimeSpan.FromSeconds(70));
            finishedVideo = (await QueryAsync(first, finished))["video_url"]!.GetValue<string>();
            pendingTask = await CreateAsync(first, "video_outpainting");
            Assert.Equal("PENDING", (await QueryAsync(first, pendingTask))["task_status"]!.GetValue<string>());
        }

        await using var second = await StartAsync();
        using var http = new HttpClient();

        Assert.Equal(address, second.BaseUrl);
        Assert.Equal("PENDING", (await QueryAsync(second, pendingTask))["task_status"]!.GetValue<string>());
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("RUNNING", (await QueryAsync(second, pendingTask))["task_status"]!.GetValue<string>());
        _clock.Advance(TimeSpan.FromSeconds(60));
        var succeeded = await QueryAsync(second, pendingTask);
        Assert.Equal("SUCCEEDED", succeeded["task_status"]!.GetValue<string>());
        foreach (var video in new[] { finishedVideo, succeeded["video_url"]!.GetValue<string>() })
        {
            Assert.Equal(SampleVideo.Bytes.ToArray(), await http.GetByteArrayAsync(video));
        }

        var counters = second.State.Counters();
        Assert.Equal(2, counters.TasksCreated);
        Assert.Equal(2, counters.Submissions);
        Assert.Equal([1, 1], counters.TasksByBody.Values);
    }

    [Fact]
    public async Task Restart_WhenItsPortIsTaken_ContinuesItsTasksOnAnotherPort()
    {
        string task;
        Uri address;
        await using (var first = await StartAsync())
        {
            address = first.BaseUrl;
            task = await CreateAsync(first, "video_edit");
        }

        using var squatter = new TcpListener(IPAddress.Loopback, address.Port);
        squatter.Start();
        await using var second = await StartAsync();

        Assert.NotEqual(address.Port, second.BaseUrl.Port);
        Assert.Equal("PENDING", (await QueryAsync(second, task))["task_status"]!.GetValue<string>());
        Assert.Equal(second.BaseUrl.ToString().TrimEnd('/'), second.State.Address);
    }

    [Fact]
    public async Task StateFile_DropsTasksPastTheirLifetime()
    {
        await using var simulator = await StartAsync();
        var expired = await CreateAsync(simulator, "video_edit");
        _clock.Advance(simulator.Options.TaskLifetime + TimeSpan.FromSeconds(1));
        var current = await CreateAsync(simulator, "video_edit");

        var saved = await File.ReadAllTextAsync(StateFile);
        Assert.DoesNotContain(expired, saved, StringComparison.Ordinal);
        Assert.Contains(current, saved, StringComparison.Ordinal);
    }

    private Task<RunningSimulator> StartAsync() => SimulatorHost.StartAsync(
        o =>
        {
            o.PendingDuration = TimeSpan.FromSeconds(10);
            o.RunningDuration = TimeSpan.FromSeconds(60);
            o.SubmissionsPerSecond = 0;
            o.MaxConcurrentTasks = 0;
            o.StateFile = StateFile;
        },
        _clock);

    private static async Task<string> CreateAsync(RunningSimulator simulator, string sample)
    {
        var body = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", sample + ".json"));
        var created = JsonNode.Parse(await Curl.CreateTaskAsync(BaseUrl(simulator), Key, body))!;
        return created["output"]!["task_id"]!.GetValue<string>();
    }

    private static async Task<JsonNode> QueryAsync(RunningSimulator simulator, string taskId) =>
        JsonNode.Parse(await Curl.GetTaskAsync(BaseUrl(simulator), Key, taskId))!["output"]!;

    private static string BaseUrl(RunningSimulator simulator) => simulator.BaseUrl.ToString().TrimEnd('/');
}
