using Azure.Storage.Blobs;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Tests.Http;

namespace VaceFunctions.Local.Tests.Operations;

/// <summary>The local host's scheduled retention, with a retention of seconds, on Azurite against the simulator.</summary>
public sealed class InstanceRetentionTests(InstanceRetentionTests.ShortRetentionHost host) : IClassFixture<InstanceRetentionTests.ShortRetentionHost>
{
    /// <summary>A host that keeps finished instances for 2 s and purges every half second.</summary>
    public sealed class ShortRetentionHost : HttpHostFixture
    {
        protected override void Configure(Dictionary<string, string?> settings)
        {
            settings["Vace:Retention"] = "00:00:02";
            settings["Vace:RetentionInterval"] = "00:00:00.500";
        }
    }

    [Fact]
    public async Task FinishedInstance_IsPurgedPastTheRetention_WhileAnOlderRunningOneStays_AndOutputsAndManifestsStay()
    {
        var client = host.Host.Services.GetRequiredService<DurableTaskClient>();

        // Started first, so it is older than the finished one when that is purged: its task never ends.
        host.Simulator.State.Faults = new SimulatorFaults { StuckInRunning = true };
        await host.SendAsync(HttpMethod.Post, "api/jobs", host.Sample("video_extension", "retention-running").ToJsonString());
        await WaitUntilAsync(async () => (await client.GetInstanceAsync("retention-running"))?.RuntimeStatus == OrchestrationRuntimeStatus.Running
            && host.Simulator.State.Counters().TasksCreated > 0, "the running job's task never started");
        host.Simulator.State.Faults = new SimulatorFaults();
        await host.SendAsync(HttpMethod.Post, "api/jobs", host.Sample("video_outpainting", "retention-done").ToJsonString());
        var configuration = host.Host.Services.GetRequiredService<IConfiguration>();
        var outputs = new BlobServiceClient(configuration["AzureWebJobsStorage"]).GetBlobContainerClient(configuration["Vace:OutputContainer"]);

        // The job takes longer than the retention: its instance may go as soon as it has finished, so its manifest says how it ended.
        var manifest = await HostTestSupport.WaitForJsonBlobAsync(outputs.GetBlobClient("retention-done/result.json"));
        Assert.True(manifest["result"]!["succeeded"]!.GetValue<bool>());

        await WaitUntilAsync(async () => await client.GetInstanceAsync("retention-done") is null, "the finished instance was never purged");

        var running = await client.GetInstanceAsync("retention-running");
        Assert.Equal(OrchestrationRuntimeStatus.Running, running?.RuntimeStatus);
        Assert.True((await outputs.GetBlobClient("retention-done/output.mp4").ExistsAsync()).Value);
        Assert.True((await outputs.GetBlobClient("retention-done/result.json").ExistsAsync()).Value);

        // The task never ends: stop following it, so the host shuts down promptly.
        await client.TerminateInstanceAsync("retention-running");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(200);
        }
    }
}
