using System.Text.Json.Nodes;
using VaceFunctions.Local.Durable;
using VaceFunctions.Local.TestHost;

namespace VaceFunctions.Local.Tests.Durable;

/// <summary>
/// The runtime across real host processes on Azurite: killed with SIGKILL at every step and restarted, and
/// several processes sharing one hub.
/// </summary>
public sealed class DurableProcessTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("vace-process-");

    public void Dispose() => _temp.Delete(recursive: true);

    /// <summary>
    /// A 6-step orchestration whose host is killed at <paramref name="point"/> on every step (for
    /// activity:ran, on the first run of each step, so the rerun can pass), restarted each time: the instance
    /// completes with the right result and each step's result recorded exactly once.
    /// </summary>
    [Theory]
    [InlineData("control:committed", "every")]
    [InlineData("control:sent", "every")]
    [InlineData("activity:ran", "odd")]
    [InlineData("activity:sent", "every")]
    public async Task KilledAtEveryStep_TheInstanceCompletesWithEachResultRecordedOnce(string point, string mode)
    {
        var hub = Azurite.UniqueName("k");
        var log = Path.Combine(_temp.FullName, "steps");
        var counter = Path.Combine(_temp.FullName, "crashes");
        await using var client = await RuntimeHost.StartAsync(hub: hub, runWorker: false);
        await client.Client.StartAsync(nameof(Toys.Sequence), "crashy", new Toys.SequenceInput(6, log));

        var restarts = 0;
        var deadline = DateTime.UtcNow + Patience;
        while ((await client.Client.GetStatusAsync("crashy"))!.IsTerminal is false)
        {
            Assert.True(DateTime.UtcNow < deadline, $"not done after {restarts} restarts");
            using var host = TestHostProcess.Start(client.Storage, hub, "--crash", point, counter, mode);
            restarts++;
            while (!host.HasExited && !(await client.Client.GetStatusAsync("crashy"))!.IsTerminal && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }

        var done = (await client.Client.GetStatusAsync("crashy"))!;
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal([10, 20, 30, 40, 50, 60], done.ReadOutputAs<int[]>()!);
        Assert.True(File.ReadAllText(counter).Length >= 6, $"only {File.ReadAllText(counter).Length} crashes at {point}");
        Assert.Equal(Enumerable.Range(0, 6), await CompletedTaskIdsAsync(client, "crashy"));
        Assert.Equal(Enumerable.Range(1, 6), DurableRuntimeTests.Executions(log).Select(e => int.Parse(e.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)).Distinct());
    }

    [Fact]
    public async Task TwoHostProcesses_Share50Instances_AndEachFinishesOnce()
    {
        var hub = Azurite.UniqueName("p");
        var log = Path.Combine(_temp.FullName, "shared");
        await using var client = await RuntimeHost.StartAsync(hub: hub, runWorker: false);
        using var first = TestHostProcess.Start(client.Storage, hub);
        using var second = TestHostProcess.Start(client.Storage, hub);

        var ids = Enumerable.Range(1, 50).Select(i => $"shared-{i}").ToArray();
        foreach (var id in ids)
        {
            await client.Client.StartAsync(nameof(Toys.Sequence), id, new Toys.SequenceInput(3, log));
        }

        foreach (var id in ids)
        {
            var done = await client.Client.WaitForCompletionAsync(id, Patience);
            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            Assert.Equal([10, 20, 30], done.ReadOutputAs<int[]>()!);
            var recorded = await CompletedTaskIdsAsync(client, id);
            Assert.Equal([0, 1, 2], recorded);
        }

        var workers = Directory.GetFiles(log).Select(f => Path.GetFileName(f).Split(' ')[2]).Distinct().ToArray();
        Assert.Equal(2, workers.Length);
        Assert.False(first.HasExited);
        Assert.False(second.HasExited);
    }

    /// <summary>The task ids with a recorded result in the instance's stored history, each as often as recorded.</summary>
    private static async Task<int[]> CompletedTaskIdsAsync(RuntimeHost host, string instanceId)
    {
        var blob = host.Blobs.GetBlobContainerClient($"{host.Hub}-instances").GetBlobClient(instanceId + ".json");
        var state = JsonNode.Parse((await blob.DownloadContentAsync()).Value.Content.ToString())!;
        return state["history"]!.AsArray()
            .Where(e => e!["kind"]!.GetValue<string>() == "ActivityCompleted")
            .Select(e => e!["taskId"]!.GetValue<int>())
            .Order()
            .ToArray();
    }
}
