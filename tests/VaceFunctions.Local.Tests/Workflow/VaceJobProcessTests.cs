using System.Security.Cryptography;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Durable;
using VaceFunctions.Local.Tests.Durable;

namespace VaceFunctions.Local.Tests.Workflow;

/// <summary>VACE jobs across real host processes: killed at every step and restarted, and shared by two hosts.</summary>
public sealed class VaceJobProcessTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("vace-jobs-");

    public void Dispose() => _temp.Delete(recursive: true);

    /// <summary>
    /// The host is SIGKILLed at <paramref name="point"/> on every step of a job (for activity:ran, on the first
    /// run of each activity — including the submit, after its POST) and restarted: the job completes, the
    /// simulator saw one task, and the blob's sha256 is the simulator's video's.
    /// </summary>
    [Theory]
    [InlineData("control:committed", "every")]
    [InlineData("activity:ran", "odd")]
    public async Task Job_KilledAtEveryStep_CompletesWithOneSubmissionAndTheRightBlob(string point, string mode)
    {
        await using var host = await WorkflowHost.StartAsync(runWorker: false);
        var counter = Path.Combine(_temp.FullName, "crashes");
        var jobId = await host.StartAsync(host.Sample("video_edit", "crash-job"));

        var restarts = 0;
        var deadline = DateTime.UtcNow + Patience;
        while ((await host.Client.GetStatusAsync(jobId))!.IsTerminal is false)
        {
            Assert.True(DateTime.UtcNow < deadline, $"not done after {restarts} restarts");
            using var process = TestHostProcess.Start(host.Storage, host.Hub, "--crash", point, counter, mode,
                "--vace", host.Simulator.BaseUrl.ToString(), host.StateContainer, host.OutputContainer);
            restarts++;
            while (!process.HasExited && !(await host.Client.GetStatusAsync(jobId))!.IsTerminal && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }

        var result = await host.WaitAsync(jobId);
        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        Assert.True(File.ReadAllText(counter).Length >= 8, $"only {File.ReadAllText(counter).Length} crashes");
        Assert.Equal(1, host.Simulator.State.Counters().TasksCreated);
        var blob = await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient($"{jobId}/output.mp4").DownloadContentAsync();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(SampleVideo.Bytes.Span)), Convert.ToHexStringLower(SHA256.HashData(blob.Value.Content.ToArray())));
    }

    [Fact]
    public async Task TwoHostProcesses_Share20Jobs_EachSucceedsOnceWithinTheAccountLimits()
    {
        await using var host = await WorkflowHost.StartAsync(runWorker: false);
        string[] vace = ["--vace", host.Simulator.BaseUrl.ToString(), host.StateContainer, host.OutputContainer];
        using var first = TestHostProcess.Start(host.Storage, host.Hub, vace);
        using var second = TestHostProcess.Start(host.Storage, host.Hub, vace);

        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var document = host.Sample("video_extension", $"shared-job-{i}");
            document["input"]!["prompt"] = $"Dog number {i} skateboarding, 3D cartoon.";
            ids.Add(await host.StartAsync(document));
        }

        foreach (var id in ids)
        {
            var status = await host.Client.WaitForCompletionAsync(id, Patience);
            Assert.Equal(OrchestrationRuntimeStatus.Completed, status.RuntimeStatus);
            Assert.True(status.ReadOutputAs<Orchestrations.Workflow.VaceJobResult>()!.Succeeded, id);
        }

        var counters = host.Simulator.State.Counters();
        Assert.Equal(20, counters.TasksCreated);
        Assert.All(counters.TasksByBody.Values, count => Assert.Equal(1, count));
        Assert.True(counters.ConcurrentPeak <= 2, $"peak {counters.ConcurrentPeak}");
        Assert.False(first.HasExited);
        Assert.False(second.HasExited);
    }
}
