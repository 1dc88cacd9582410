using System.Security.Cryptography;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Tests.Workflow;

/// <summary>
/// VACE jobs run by real <c>vace serve</c> processes on Microsoft's Durable Task engine over Azurite: killed with
/// SIGKILL mid-job and restarted, and two hosts sharing one task hub. The test process only starts and reads jobs.
/// </summary>
public sealed class VaceJobProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Job_HostKilledWhileWaitingOnATimer_CompletesAfterRestartWithOneSubmission()
    {
        await using var host = await WorkflowHost.StartAsync(o => o.RunningDuration = TimeSpan.FromSeconds(4), runWorker: false);
        var port = HostProcess.FreePort();
        var settings = host.ProcessSettings("timer-host");
        var jobId = await host.StartAsync(host.Sample("video_edit", "killed-mid-timer"));

        using (var first = HostProcess.Start(port, settings))
        {
            await host.WaitForProgressAsync(jobId, p => p is { Phase: VaceJobPhase.Generating, PollCount: >= 2 });
            first.Kill();
        }

        using var second = HostProcess.Start(port, settings);
        var result = await host.WaitAsync(jobId, Patience);

        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        Assert.Equal(1, host.Simulator.State.Counters().TasksCreated);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(SampleVideo.Bytes.Span)), await host.OutputSha256Async(jobId));
    }

    [Fact]
    public async Task Job_HostKilledWhileCopying_CompletesAfterRestartWithOneSubmissionAndTheWholeVideo()
    {
        const long size = 200L * 1024 * 1024;
        await using var host = await WorkflowHost.StartAsync(o => o.OutputSizeBytes = size, runWorker: false);
        var port = HostProcess.FreePort();
        var settings = host.ProcessSettings("copy-host");
        var jobId = await host.StartAsync(host.Sample("video_edit", "killed-mid-copy"));

        using (var first = HostProcess.Start(port, settings))
        {
            // Killed once the video's download has begun: the copy streams at 100 MB/s or more, so a fixed pause after
            // the phase began could outlast it.
            await host.WaitForProgressAsync(jobId, p => p is { Phase: VaceJobPhase.Copying });
            while (host.Simulator.State.Counters().VideoRequests == 0)
            {
                await Task.Delay(20);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
            first.Kill();
        }

        Assert.False((await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient($"{jobId}/output.mp4").ExistsAsync()).Value,
            "the copy finished before the kill; the test proves nothing");
        using var second = HostProcess.Start(port, settings);
        var result = await host.WaitAsync(jobId, Patience);

        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        Assert.Equal(1, host.Simulator.State.Counters().TasksCreated);
        Assert.Equal(size, result.Size);
        Assert.Equal(await CopyOutputTests.ExpectedSha256Async(size), await host.OutputSha256Async(jobId));
    }

    [Fact]
    public async Task TwoHostProcesses_Share20Jobs_EachSucceedsOnceWithinTheAccountLimits()
    {
        await using var host = await WorkflowHost.StartAsync(runWorker: false);
        using var first = HostProcess.Start(HostProcess.FreePort(), host.ProcessSettings("host-a"));
        using var second = HostProcess.Start(HostProcess.FreePort(), host.ProcessSettings("host-b"));

        // The backend balances its partitions between the two: wait until each host owns some.
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!(await host.PartitionOwnersAsync()).SequenceEqual(["host-a", "host-b"]))
        {
            Assert.True(DateTime.UtcNow < deadline, $"partitions owned by {string.Join(", ", await host.PartitionOwnersAsync())}");
            await Task.Delay(500);
        }

        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var document = host.Sample("video_extension", $"shared-job-{i}");
            document["input"]!["prompt"] = $"Dog number {i} skateboarding, 3D cartoon.";
            ids.Add(await host.StartAsync(document));
        }

        foreach (var id in ids)
        {
            var result = await host.WaitAsync(id, Patience);
            Assert.True(result.Succeeded, $"{id}: {result.ErrorCode} {result.ErrorMessage}");
        }

        var counters = host.Simulator.State.Counters();
        Assert.Equal(20, counters.TasksCreated);
        Assert.All(counters.TasksByBody.Values, count => Assert.Equal(1, count));
        Assert.True(counters.ConcurrentPeak <= 2, $"peak {counters.ConcurrentPeak}");
        Assert.Equal(["host-a", "host-b"], await host.PartitionOwnersAsync());
        Assert.False(first.HasExited);
        Assert.False(second.HasExited);
    }
}
