using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Workflow;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Local.Tests.Workflow;

/// <summary>
/// The submission step's write-ahead record on Azurite: a job is ambiguous only when it really is. A duplicate
/// delivery adopts the task of the attempt in flight, and a task the service created is never lost to storage trouble.
/// </summary>
public sealed class SubmitTaskTests
{
    [Fact]
    public async Task Submit_DuplicateDeliveryWhileTheFirstIsInFlight_AdoptsItsTask()
    {
        await using var host = await WorkflowHost.StartAsync(o => o.Faults = new SimulatorFaults { ResponseDelay = TimeSpan.FromSeconds(1.5) }, runWorker: false);
        var request = Request(host, "dup-delivery");

        var first = ActivatorUtilities.CreateInstance<SubmitTaskActivity>(host.Services).RunAsync(request, CancellationToken.None);
        await Task.Delay(300);
        var second = ActivatorUtilities.CreateInstance<SubmitTaskActivity>(host.Services).RunAsync(request, CancellationToken.None);
        var results = await Task.WhenAll(first, second);

        Assert.All(results, r => Assert.Null(r.ErrorCode));
        Assert.NotNull(results[0].TaskId);
        Assert.Equal(results[0].TaskId, results[1].TaskId);
        Assert.Equal(1, host.Simulator.State.Counters().Submissions);
    }

    [Fact]
    public async Task Submit_AnswerRecordedOnlyOnTheSecondTry_ReturnsTheTaskAndARedeliveryAdoptsIt()
    {
        await using var host = await WorkflowHost.StartAsync(runWorker: false);
        var request = Request(host, "record-retry");
        var flaky = new FailRecordWrites(failures: 1);

        var result = await Activity(host, flaky).RunAsync(request, CancellationToken.None);
        var again = await Activity(host, new FailRecordWrites(0)).RunAsync(request, CancellationToken.None);

        Assert.NotNull(result.TaskId);
        Assert.Equal(1, flaky.Failed);
        Assert.Equal(result.TaskId, again.TaskId);
        Assert.Equal(1, host.Simulator.State.Counters().Submissions);
    }

    [Fact]
    public async Task Submit_AnswerNeverRecorded_StillReturnsTheTaskTheServiceCreated()
    {
        await using var host = await WorkflowHost.StartAsync(runWorker: false);
        var request = Request(host, "record-lost");
        var broken = new FailRecordWrites(failures: int.MaxValue);

        var result = await Activity(host, broken).RunAsync(request, CancellationToken.None);

        Assert.Null(result.ErrorCode);
        Assert.NotNull(result.TaskId);
        Assert.True(broken.Failed >= 3, $"{broken.Failed} failed writes");
        Assert.Equal(1, host.Simulator.State.Counters().Submissions);
    }

    [Fact]
    public async Task Submit_AfterAnInterruptedAttempt_IsAmbiguous_UnlessResubmittingIsAllowed_ThenCountsIt()
    {
        // The POST is cut off (the host stopping mid-call) after the attempt was recorded; later deliveries come an
        // hour on, long after any answer could have arrived.
        await using var host = await WorkflowHost.StartAsync(o => o.Faults = new SimulatorFaults { ResponseDelay = TimeSpan.FromSeconds(30) }, runWorker: false);
        var request = Request(host, "interrupted");
        using (var crash = new CancellationTokenSource())
        {
            var first = ActivatorUtilities.CreateInstance<SubmitTaskActivity>(host.Services).RunAsync(request, crash.Token);
            while (host.Simulator.State.Counters().ApiRequests == 0)
            {
                await Task.Delay(20);
            }

            await crash.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        }

        host.Simulator.State.Faults = new SimulatorFaults();
        var later = new ManualClock(DateTimeOffset.UtcNow.AddHours(1));
        var state = host.Services.GetRequiredService<IOptions<WorkflowOptions>>().Value.StateContainer;
        SubmitTaskActivity Delivery(bool resubmit) => ActivatorUtilities.CreateInstance<SubmitTaskActivity>(
            host.Services, Options.Create(new WorkflowOptions { StateContainer = state, ResubmitInterrupted = resubmit }), (TimeProvider)later);

        var refused = await Delivery(resubmit: false).RunAsync(request, CancellationToken.None);
        var resubmitted = await Delivery(resubmit: true).RunAsync(request, CancellationToken.None);
        var redelivered = await Delivery(resubmit: true).RunAsync(request, CancellationToken.None);

        Assert.Equal(VaceJobErrorCodes.AmbiguousSubmit, refused.ErrorCode);
        Assert.Equal((null, 1), (resubmitted.ErrorCode, resubmitted.Interrupted));
        Assert.NotNull(resubmitted.TaskId);
        Assert.Equal((resubmitted.TaskId, 1), (redelivered.TaskId, redelivered.Interrupted));
        Assert.Equal(1, host.Simulator.State.Counters().TasksCreated);
    }

    [Fact]
    public async Task Job_WhoseSubmitGetsABareGatewayError_IsSubmittedAgainWhenAllowed_AndItsManifestSaysSo()
    {
        await using var host = await WorkflowHost.StartAsync(
            o => o.Faults = new SimulatorFaults { GatewayErrors = 1 },
            settings: new Dictionary<string, string?> { ["Vace:ResubmitInterrupted"] = "true" });

        var result = await host.WaitAsync(await host.StartAsync(host.Sample("video_edit", "resubmitted-1")));

        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        Assert.Single(result.Warnings, w => w.Code == JobIssueCodes.SubmittedAgain);
        var manifest = (await host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient($"{result.JobId}/result.json").DownloadContentAsync()).Value.Content.ToString();
        Assert.Contains(JobIssueCodes.SubmittedAgain, manifest, StringComparison.Ordinal);
        var counters = host.Simulator.State.Counters();
        Assert.Equal((1, 1, 1), (counters.FaultsInjected, counters.Submissions, counters.TasksCreated));
    }

    private static SubmitTaskActivity.Request Request(WorkflowHost host, string id)
    {
        var validation = JobValidator.Validate(host.Sample("video_edit", id), new JobValidationOptions { Region = null });
        var job = VaceJobRequest.Create(validation.Job!, host.Services.GetRequiredService<IOptions<WorkflowOptions>>().Value);
        return new SubmitTaskActivity.Request(job.JobId, job.RequestJson);
    }

    /// <summary>The activity over a storage client whose writes of a recorded answer fail with 503.</summary>
    private static SubmitTaskActivity Activity(WorkflowHost host, FailRecordWrites policy)
    {
        var clientOptions = new BlobClientOptions();
        clientOptions.Retry.MaxRetries = 0;
        clientOptions.AddPolicy(policy, HttpPipelinePosition.PerCall);
        return ActivatorUtilities.CreateInstance<SubmitTaskActivity>(host.Services, new BlobServiceClient(host.Storage, clientOptions));
    }

    /// <summary>
    /// Fails the first <c>failures</c> writes of a submission record made with If-Match — the answer written over the
    /// attempt — as a storage outage would, before they reach storage.
    /// </summary>
    private sealed class FailRecordWrites(int failures) : HttpPipelinePolicy
    {
        public int Failed { get; private set; }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            throw new NotSupportedException("async only");

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            if (message.Request.Method == RequestMethod.Put
                && message.Request.Uri.Path.Contains("/submissions/", StringComparison.Ordinal)
                && message.Request.Headers.Contains("If-Match")
                && Failed < failures)
            {
                Failed++;
                throw new Azure.RequestFailedException(503, "Injected storage outage", "ServerBusy", null);
            }

            await ProcessNextAsync(message, pipeline);
        }
    }
}
