using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.Http;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Tests.Workflow;

/// <summary>VACE jobs through the embedded Durable Task engine, on Azurite, against the simulator.</summary>
public sealed class VaceJobEndToEndTests
{
    private static readonly string SampleSha256 = Convert.ToHexStringLower(SHA256.HashData(SampleVideo.Bytes.Span));

    [Theory]
    [InlineData("image_reference")]
    [InlineData("video_repainting")]
    [InlineData("video_edit")]
    [InlineData("video_extension")]
    [InlineData("video_outpainting")]
    public async Task Job_OfEachFunction_RunsToAVerifiedBlobAndManifest(string function)
    {
        await using var host = await WorkflowHost.StartAsync();
        var jobId = await host.StartAsync(host.Sample(function, $"e2e-{function.Replace('_', '-')}"));

        var result = await host.WaitAsync(jobId);

        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        Assert.Equal((SampleSha256, (long)SampleVideo.Bytes.Length, "SUCCEEDED"), (result.Sha256, result.Size, result.TaskStatus));
        Assert.Equal(5.0, result.DurationSeconds!.Value, 1);
        var blob = host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient($"{jobId}/output.mp4");
        var content = (await blob.DownloadContentAsync()).Value;
        Assert.Equal(SampleSha256, Convert.ToHexStringLower(SHA256.HashData(content.Content.ToArray())));
        Assert.Equal("video/mp4", content.Details.ContentType);
        Assert.Equal((jobId, result.TaskId, SampleSha256), (content.Details.Metadata["jobid"], content.Details.Metadata["taskid"], content.Details.Metadata["sha256"]));

        var manifest = JsonNode.Parse((await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient($"{jobId}/result.json").DownloadContentAsync()).Value.Content.ToString())!;
        Assert.True(manifest["result"]!["succeeded"]!.GetValue<bool>());
        Assert.Equal(SampleSha256, manifest["result"]!["sha256"]!.GetValue<string>());
        Assert.Equal(function, manifest["request"]!["input"]!["function"]!.GetValue<string>());
        Assert.NotNull(manifest["phases"]!["Generating"]);
        var counters = host.Simulator.State.Counters();
        Assert.Equal((1, 1), (counters.TasksCreated, Assert.Single(counters.TasksByBody).Value));
    }

    [Fact]
    public async Task Job_WhoseTaskEndsOnThePollGrid_IsSeenEndedByThePollDueThen_NeverByAnEarlierOne()
    {
        // The task ends 4 s after it was created; polls are due 2 s and 4 s after the submission returned, which is
        // later. A timer that fired before its due time would poll at 3.x s, see the task still running and poll a third time.
        await using var host = await WorkflowHost.StartAsync(o =>
        {
            o.PendingDuration = TimeSpan.Zero;
            o.RunningDuration = TimeSpan.FromSeconds(4);
        });
        var jobId = await host.StartAsync(host.Sample("video_edit", "e2e-grid"), request => request with
        {
            InitialPollInterval = TimeSpan.FromSeconds(2),
            PollInterval = TimeSpan.FromSeconds(2),
        });

        var result = await host.WaitAsync(jobId);

        // On a loaded machine the first poll may come late enough to see the end itself: one poll is no fault, three are.
        // The copy reads the task once more, for its video's URL.
        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        Assert.InRange(host.Simulator.State.Counters().PollsByTask[result.TaskId!] - 1, 1, 2);
    }

    [Fact]
    public async Task Job_WithALongTask_ContinuesAsNewOnTheBackendAndEndsAsOneJob()
    {
        // Long enough that even a loaded machine polls it more than once (the first poll comes 100 ms after submit).
        await using var host = await WorkflowHost.StartAsync(o => o.RunningDuration = TimeSpan.FromSeconds(6));
        var jobId = await host.StartAsync(host.Sample("video_edit", "e2e-continued"), request => request with { PollsPerExecution = 1 });

        var result = await host.WaitAsync(jobId);

        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        Assert.Equal(SampleSha256, result.Sha256);
        Assert.Equal(1, host.Simulator.State.Counters().TasksCreated);
        // The task runs for seconds, so the first poll cannot see it end: the last execution is a continued one, and
        // its poll count carries on from the executions before it.
        var instance = (await host.Client.GetInstanceAsync(jobId, getInputsAndOutputs: true))!;
        var resume = instance.ReadInputAs<VaceJobRequest>()!.Resume!;
        Assert.Equal(result.TaskId, resume.TaskId);
        Assert.Equal(resume.Status.PollCount + 1, (await host.ProgressAsync(jobId))!.PollCount);
        Assert.True(resume.Status.PollCount >= 1);
    }

    [Fact]
    public async Task Job_OutOfTimeWhileItsTaskRuns_IsReportedAtOnce_KeepsItsSlot_AndStillCopiesTheBilledVideo()
    {
        // The deadline falls while the task runs: 5 s into the job, against a task that runs 10 s.
        await using var host = await WorkflowHost.StartAsync(o => o.RunningDuration = TimeSpan.FromSeconds(10));
        var jobId = await host.StartAsync(host.Sample("video_edit", "e2e-billed"), request => request with { MaxWait = TimeSpan.FromSeconds(5) });

        // Reported at once: the job's outcome is in its status, its manifest and the HTTP view while the task still runs.
        await host.WaitForProgressAsync(jobId, p => p?.Outcome is not null);
        var instance = (await host.Client.GetInstanceAsync(jobId, getInputsAndOutputs: true))!;
        var view = JobStatusView.From(instance);
        Assert.Equal(("Running", VaceJobErrorCodes.Timeout, VaceJobPhase.AwaitingBilledTask), (view.RuntimeStatus, view.Result?.ErrorCode, view.Progress!.Phase));
        Assert.Contains("runs on and is billed", view.Error, StringComparison.Ordinal);
        Assert.Contains(jobId, await host.Services.GetRequiredService<AdmissionSlots>().HoldersAsync(default));
        var manifest = host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient($"{jobId}/result.json");
        var reported = JsonNode.Parse((await manifest.DownloadContentAsync()).Value.Content.ToString())!["result"]!;
        Assert.Equal((VaceJobErrorCodes.Timeout, null), (reported["errorCode"]!.GetValue<string>(), reported["blob"]?.GetValue<string>()));

        var result = await host.WaitAsync(jobId);

        Assert.Equal((false, VaceJobErrorCodes.Timeout, "SUCCEEDED"), (result.Succeeded, result.ErrorCode, result.TaskStatus));
        Assert.Equal(SampleSha256, result.Sha256);
        Assert.Equal(SampleSha256, await host.OutputSha256Async(jobId));
        Assert.DoesNotContain(jobId, await host.Services.GetRequiredService<AdmissionSlots>().HoldersAsync(default));
        Assert.Equal((1, 1), (host.Simulator.State.Counters().TasksCreated, host.Simulator.State.Counters().Cancels));
        var final = JsonNode.Parse((await manifest.DownloadContentAsync()).Value.Content.ToString())!["result"]!;
        Assert.Equal(result.Blob, final["blob"]!.GetValue<string>());
    }

    [Fact]
    public async Task TenJobs_AgainstTwoSlots_NeverExceedTwoConcurrentTasksAndAllSucceed()
    {
        await using var host = await WorkflowHost.StartAsync();
        var ids = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var document = host.Sample("video_outpainting", $"many-{i}");
            document["input"]!["prompt"] = $"Variation {i}: an elegant lady playing the violin.";
            ids.Add(await host.StartAsync(document));
        }

        foreach (var id in ids)
        {
            var result = await host.WaitAsync(id);
            Assert.True(result.Succeeded, $"{id}: {result.ErrorCode} {result.ErrorMessage}");
        }

        var counters = host.Simulator.State.Counters();
        Assert.Equal(10, counters.TasksCreated);
        Assert.True(counters.ConcurrentPeak <= 2, $"peak {counters.ConcurrentPeak}");
        Assert.Equal(0, counters.Throttled);
    }

    [Fact]
    public async Task SlotGivenBack_IsTakenByTheNextJobInLineAtOnce_NotAtItsTimer()
    {
        // One slot; the job in line would ask again only after 60 s were it not woken when the first gives it back.
        await using var host = await WorkflowHost.StartAsync(o => o.RunningDuration = TimeSpan.FromSeconds(2), settings: new Dictionary<string, string?>
        {
            ["Vace:MaxConcurrentTasks"] = "1",
            ["Vace:SlotRetryInterval"] = "00:01:00",
        });
        var first = await host.StartAsync(host.Sample("video_outpainting", "handoff-first"));
        await host.WaitForProgressAsync(first, s => s?.Phase == VaceJobPhase.Generating);
        var second = await host.StartAsync(host.Sample("video_outpainting", "handoff-second"));

        var firstResult = await host.WaitAsync(first);
        var secondResult = await host.WaitAsync(second);

        Assert.True(firstResult.Succeeded && secondResult.Succeeded, $"{firstResult.ErrorCode} {secondResult.ErrorCode}");
        var handoff = (await host.ProgressAsync(second))!.Phases[nameof(VaceJobPhase.WaitingForSlot)].Ended
            - (await host.ProgressAsync(first))!.Phases[nameof(VaceJobPhase.Generating)].Ended;
        Assert.True(handoff < TimeSpan.FromSeconds(20), $"The slot was taken {handoff.TotalSeconds:F1} s after it was given back.");
        Assert.True(host.Simulator.State.Counters().ConcurrentPeak <= 1);
    }

    [Theory]
    [InlineData("video_extension", "first_clip_url", "sample-output.mp4", "is 5.00 s long; clips for video_extension may be at most 3 s")]
    [InlineData("video_edit", "video_url", "sample-image.png", "is not an MP4 video")]
    [InlineData("video_edit", "mask_image_url", "sample-input.mp4", "is not an image")]
    [InlineData("video_outpainting", "video_url", "missing.mp4", "cannot be fetched (HTTP 404)")]
    public async Task Job_WithUnfitMedia_FailsWithInvalidInputBeforeSubmitting(string function, string field, string media, string problem)
    {
        await using var host = await WorkflowHost.StartAsync();
        var document = host.Sample(function, $"unfit-{field.Replace('_', '-')}");
        document["input"]![field] = host.Media(media);

        var result = await host.WaitAsync(await host.StartAsync(document));

        Assert.Equal(VaceJobErrorCodes.InvalidInput, result.ErrorCode);
        Assert.Contains($"input.{field}: {problem}", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(0, host.Simulator.State.Counters().Submissions);
    }

    [Fact]
    public async Task Job_UnderAnIdUsedBeforeAndPurged_SubmitsItsOwnTask_AndLeavesTheEarlierVideoAndManifestAlone()
    {
        await using var host = await WorkflowHost.StartAsync();
        var first = await host.WaitAsync(await host.StartAsync(host.Sample("video_outpainting", "reused-id")));
        Assert.True(first.Succeeded, $"{first.ErrorCode}: {first.ErrorMessage}");
        var output = host.Blobs.GetBlobContainerClient(host.OutputContainer);
        var (video, manifest) = ((await output.GetBlobClient("reused-id/output.mp4").GetPropertiesAsync()).Value, (await output.GetBlobClient("reused-id/result.json").GetPropertiesAsync()).Value);
        Assert.Equal(1, (await host.Client.PurgeInstanceAsync("reused-id")).PurgedInstanceCount);

        var again = host.Sample("video_outpainting", "reused-id");
        again["input"]!["prompt"] = "Another run under the same id";
        var second = await host.WaitAsync(await host.StartAsync(again));

        // Its own task, not the earlier run's (whose submission record it would otherwise have adopted).
        Assert.Equal(2, host.Simulator.State.Counters().TasksCreated);
        Assert.NotEqual(first.TaskId, second.TaskId);
        Assert.Equal(VaceJobErrorCodes.OutputConflict, second.ErrorCode);
        Assert.Equal(video.ETag, (await output.GetBlobClient("reused-id/output.mp4").GetPropertiesAsync()).Value.ETag);
        Assert.Equal(manifest.ETag, (await output.GetBlobClient("reused-id/result.json").GetPropertiesAsync()).Value.ETag);
    }

    [Fact]
    public async Task Job_WhoseTaskFails_EndsWithTheServiceCodeAndAManifest()
    {
        await using var host = await WorkflowHost.StartAsync(o => o.Faults = new SimulatorFaults { FailTasksWithCode = "InternalError" });

        var jobId = await host.StartAsync(host.Sample("video_repainting", "fails-1"));
        var result = await host.WaitAsync(jobId);

        Assert.Equal(("InternalError", "FAILED"), (result.ErrorCode, result.TaskStatus));
        var manifest = await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient($"{jobId}/result.json").ExistsAsync();
        Assert.True(manifest.Value);
        Assert.False((await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient($"{jobId}/output.mp4").ExistsAsync()).Value);
    }

    [Fact]
    public async Task Job_ThrottledAndFlakyService_StillSubmitsOnce()
    {
        await using var host = await WorkflowHost.StartAsync(o => o.Faults = new SimulatorFaults { Throttles = 3, ServerErrors = 3 });

        var result = await host.WaitAsync(await host.StartAsync(host.Sample("video_edit", "flaky-1")));

        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        Assert.Equal(1, host.Simulator.State.Counters().TasksCreated);
        Assert.Equal(6, host.Simulator.State.Counters().FaultsInjected);
    }

    [Fact]
    public async Task Job_WhoseSubmitGetsABareGatewayError_FailsAsAmbiguousAndIsNeverResent()
    {
        await using var host = await WorkflowHost.StartAsync(o => o.Faults = new SimulatorFaults { GatewayErrors = 1 });

        var result = await host.WaitAsync(await host.StartAsync(host.Sample("video_edit", "ambiguous-1")));

        Assert.Equal(VaceJobErrorCodes.AmbiguousSubmit, result.ErrorCode);
        var counters = host.Simulator.State.Counters();
        Assert.Equal((1, 0), (counters.ApiRequests, counters.TasksCreated));
    }

    [Fact]
    public async Task Job_WithACallback_PostsTheSignedResult()
    {
        var received = new ConcurrentQueue<(string Body, string? Signature, string? JobId)>();
        var receiver = WebApplication.CreateSlimBuilder();
        receiver.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = receiver.Build();
        app.MapPost("/hooks/vace", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            received.Enqueue((await reader.ReadToEndAsync(), request.Headers[CallbackSignature.HeaderName], request.Headers["X-Vace-Job-Id"]));
            return Results.Ok();
        });
        await app.StartAsync();
        await using var host = await WorkflowHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Vace:CallbackSecret"] = "hook-secret",
            ["Vace:AllowLoopbackUrls"] = "true",
        });
        var document = host.Sample("video_outpainting", "with-callback");
        document["callback_url"] = app.Urls.First() + "/hooks/vace";

        var result = await host.WaitAsync(await host.StartAsync(document));

        Assert.True(result.Succeeded);
        var (body, signature, jobId) = Assert.Single(received);
        Assert.Equal("with-callback", jobId);
        Assert.True(CallbackSignature.Verify("hook-secret", signature, body, DateTimeOffset.UtcNow, CallbackSignature.DefaultWindow), signature);
        var posted = JsonNode.Parse(body)!;
        Assert.True(posted["succeeded"]!.GetValue<bool>());
        Assert.Equal(result.Sha256, posted["sha256"]!.GetValue<string>());
    }
}
