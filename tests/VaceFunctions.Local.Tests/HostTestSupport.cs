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
