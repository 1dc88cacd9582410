using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.DashScopeSimulator;
using Microsoft.DurableTask.Client;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Tests;

/// <summary>What the tests of the whole local host share: its settings, and waiting for what it produces.</summary>
internal static class HostTestSupport
{
    /// <summary>Settings for a fast host on Azurite and the simulator, with its own hub, queue, inbox and containers.</summary>
    public static async Task<Dictionary<string, string?>> SettingsAsync(RunningSimulator simulator)
    {
        var settings = TestSettings.Workflow(simulator.BaseUrl, Azurite.UniqueName("state"), Azurite.UniqueName("out"));
        settings["AzureWebJobsStorage"] = (await Azurite.GetAsync()).ConnectionString;
        settings["Durable:TaskHub"] = Azurite.UniqueName("h");
        settings["Durable:MaxQueuePollingInterval"] = "00:00:00.100";
        settings["Vace:Queue:Name"] = Azurite.UniqueName("jobs");
        settings["Vace:Queue:MaxPollingInterval"] = "00:00:00.100";
        settings["Vace:Inbox:Container"] = Azurite.UniqueName("inbox");
        settings["Vace:Inbox:PollInterval"] = "00:00:00.200";
        settings["Logging:LogLevel:Default"] = "Warning";
        return settings;
    }

    /// <summary>Waits for a job to be started (by a listener) and to end; returns its result.</summary>
    public static async Task<VaceJobResult> WaitForJobAsync(IServiceProvider services, string id)
    {
        var client = services.GetRequiredService<DurableTaskClient>();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (await client.GetInstanceAsync(id) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"job {id} never started");
            await Task.Delay(100);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{id}: {done.RuntimeStatus} {done.FailureDetails?.ErrorMessage}");
        return done.ReadOutputAs<VaceJobResult>()!;
    }

    /// <summary>The service's own five example requests (../shared/reference/requests), as files.</summary>
    public static string[] ReferenceRequests()
    {
        var requests = Directory.GetFiles(Path.Combine(ReferenceFolder(), "requests"), "*.json").Order().ToArray();
        Assert.Equal(5, requests.Length);
        return requests;
    }

    /// <summary>The service's documentation and sample requests: ../shared/reference beside the repository.</summary>
    public static string ReferenceFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "VaceFunctions.sln")))
            {
                return Path.Combine(dir.FullName, "..", "shared", "reference");
            }
        }

        throw new InvalidOperationException("The repository root was not found.");
    }

    /// <summary>Sends a request file unchanged to the host's DashScope-compatible face, as the service's curl does; returns its task id.</summary>
    public static async Task<string> CreateTaskAsync(HttpClient http, string requestFile)
    {
        using var create = new HttpRequestMessage(HttpMethod.Post, "api/v1/services/aigc/video-generation/video-synthesis")
        {
            Content = new ByteArrayContent(await File.ReadAllBytesAsync(requestFile)) { Headers = { { "Content-Type", "application/json" } } },
            Headers = { { "X-DashScope-Async", "enable" } },
        };
        using var created = await http.SendAsync(create);
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.IsSuccessStatusCode, $"{Path.GetFileName(requestFile)}: {(int)created.StatusCode} {body}");
        return JsonNode.Parse(body)!["output"]!["task_id"]!.GetValue<string>();
    }

    /// <summary>Queries the host's DashScope-compatible face until the task ends; returns its <c>output</c>.</summary>
    public static async Task<JsonNode> WaitForTaskAsync(HttpClient http, string taskId)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var output = JsonNode.Parse(await http.GetStringAsync($"api/v1/tasks/{taskId}"))!["output"]!;
            if (output["task_status"]!.GetValue<string>() is not ("PENDING" or "RUNNING"))
            {
                return output;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"task {taskId} still {output["task_status"]} after 3 min: {await http.GetStringAsync($"api/jobs/{taskId}")}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Waits for a JSON blob (a manifest or rejection record) to appear; returns it.</summary>
    public static async Task<JsonNode> WaitForJsonBlobAsync(BlobClient blob)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!(await blob.ExistsAsync()).Value)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{blob.Name} never appeared");
            await Task.Delay(100);
        }

        return JsonNode.Parse((await blob.DownloadContentAsync()).Value.Content.ToString())!;
    }
}
