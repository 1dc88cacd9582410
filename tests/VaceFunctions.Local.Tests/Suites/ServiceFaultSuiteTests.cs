using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Tests.Workflow;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Tests.Suites;

/// <summary>
/// The service-fault suite (issue 16): jobs through the whole workflow on the embedded engine while the simulator
/// throttles, fails, cuts connections, answers slowly, fails tasks, lets output URLs expire, leaves tasks RUNNING past
/// the deadline, or cannot be reached at all. Each job ends the documented way; none is lost; the simulator, which
/// enforces no concurrency limit here, counts that the account's 2 tasks at once were never exceeded, and that each
/// job created at most one task. <c>VACE_FULL_SUITES=1</c> runs more jobs, longer storms and the ten-minute outage.
/// </summary>
public sealed class ServiceFaultSuiteTests
{
    /// <summary>The account's limit the workflow keeps (Vace:MaxConcurrentTasks, default 2).</summary>
    private const int AccountLimit = 2;

    private static readonly int Jobs = SuiteSize.Pick(4, 20);

    /// <summary>429 storms and 500 bursts (the service's error body: nothing was created), on submissions and polls alike.</summary>
    [Theory]
    [InlineData(nameof(SimulatorFaults.Throttles))]
    [InlineData(nameof(SimulatorFaults.ServerErrors))]
    public async Task RetryableStorm_EveryJobSucceeds_EachSubmittedOnce(string fault)
    {
        var storm = SuiteSize.Pick(12, 80);
        await using var host = await StartAsync(fault == nameof(SimulatorFaults.Throttles)
            ? new SimulatorFaults { Throttles = storm }
            : new SimulatorFaults { ServerErrors = storm });

        var results = await RunAsync(host, await StartJobsAsync(host, fault, Jobs));

        Assert.All(results, r => Assert.True(r.Succeeded, $"{r.JobId}: {r.ErrorCode} {r.ErrorMessage}"));
        AssertAccount(host, tasks: Jobs);
        Assert.Equal(storm, host.Simulator.State.Counters().FaultsInjected);
    }

    /// <summary>Bare gateway errors and cut connections while the tasks run: polls ride them out.</summary>
    [Fact]
    public async Task GatewayErrorsAndDroppedConnections_WhilePolling_EveryJobSucceeds()
    {
        await using var host = await StartAsync(running: TimeSpan.FromSeconds(4));
        var jobs = await StartJobsAsync(host, "gateway", AccountLimit);
        foreach (var job in jobs)
        {
            await host.WaitForProgressAsync(job, p => p?.TaskId is not null);
        }

        host.Simulator.State.Faults = new SimulatorFaults { GatewayErrors = SuiteSize.Pick(8, 40), DroppedConnections = SuiteSize.Pick(8, 40) };
        var results = await RunAsync(host, jobs);

        Assert.All(results, r => Assert.True(r.Succeeded, $"{r.JobId}: {r.ErrorCode} {r.ErrorMessage}"));
        AssertAccount(host, tasks: AccountLimit);
        Assert.True(host.Simulator.State.Counters().FaultsInjected > 0);
    }

    /// <summary>
    /// The documented window: a submission whose answer is lost (a bare gateway error, a connection cut after sending,
    /// a task created and its answer cut) is never re-sent — the job ends AmbiguousSubmit — and the next job runs.
    /// </summary>
    [Fact]
    public async Task FaultsOnTheSubmission_EndAmbiguousSubmit_NeverResent()
    {
        await using var host = await StartAsync();
        SimulatorFaults[] faults = [new() { GatewayErrors = 1 }, new() { DroppedConnections = 1 }, new() { DropAfterCreate = 1 }];
        var created = 0;
        for (var i = 0; i < faults.Length; i++)
        {
            host.Simulator.State.Faults = faults[i];
            var job = (await StartJobsAsync(host, $"ambiguous-{i}", 1))[0];

            var result = await host.WaitAsync(job);

            Assert.Equal(VaceJobErrorCodes.AmbiguousSubmit, result.ErrorCode);
            created += faults[i].DropAfterCreate;
            Assert.Equal(created, host.Simulator.State.Counters().TasksCreated);

            // One call per job, its only submission, never sent again.
            Assert.Equal(i + 1, host.Simulator.State.Counters().ApiRequests);
        }

        var after = await RunAsync(host, await StartJobsAsync(host, "after-ambiguous", 1));
        Assert.True(after[0].Succeeded, after[0].ErrorMessage);
        AssertAccount(host, tasks: created + 1);
    }

    [Fact]
    public async Task SlowAnswers_EveryJobSucceeds()
    {
        await using var host = await StartAsync(new SimulatorFaults { ResponseDelay = SuiteSize.Pick(TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(5)) });

        var results = await RunAsync(host, await StartJobsAsync(host, "slow", Jobs));

        Assert.All(results, r => Assert.True(r.Succeeded, $"{r.JobId}: {r.ErrorCode} {r.ErrorMessage}"));
        AssertAccount(host, tasks: Jobs);
    }

    [Fact]
    public async Task FailedTasks_EndWithTheServiceCode_TheOthersSucceed()
    {
        await using var host = await StartAsync(new SimulatorFaults { FailTasksWithCode = DashScopeErrorCodes.DataInspectionFailed, FailEveryNthTask = 2 });

        var results = await RunAsync(host, await StartJobsAsync(host, "failing", Jobs));

        var failed = results.Where(r => !r.Succeeded).ToList();
        Assert.Equal(Jobs / 2, failed.Count);
        Assert.All(failed, r =>
        {
            Assert.Equal(DashScopeErrorCodes.DataInspectionFailed, r.ErrorCode);
            Assert.Equal(DashScopeTaskStatus.Failed.ToWire(), r.TaskStatus);
            Assert.False(string.IsNullOrEmpty(r.ErrorMessage));
        });
        AssertAccount(host, tasks: Jobs);
    }

    [Fact]
    public async Task ExpiredOutputUrls_EndOutputExpired_AtOnce()
    {
        await using var host = await StartAsync(urlLifetime: TimeSpan.FromMinutes(-1));

        var results = await RunAsync(host, await StartJobsAsync(host, "expired", AccountLimit));

        Assert.All(results, r =>
        {
            Assert.Equal(VaceJobErrorCodes.OutputExpired, r.ErrorCode);
            Assert.Null(r.Blob);
        });
        AssertAccount(host, tasks: AccountLimit);
    }

    /// <summary>
    /// Tasks that stay RUNNING past the deadline: each job reports Timeout at once (manifest written) and keeps its
    /// slot for the billed task, so a third job finds none free and times out without submitting anything.
    /// </summary>
    [Fact]
    public async Task TasksStuckRunningPastTheDeadline_ReportTimeout_AndKeepTheirSlots()
    {
        await using var host = await StartAsync(new SimulatorFaults { StuckInRunning = true }, maxWait: TimeSpan.FromSeconds(5));
        var stuck = await StartJobsAsync(host, "stuck", AccountLimit);
        foreach (var job in stuck)
        {
            await host.WaitForProgressAsync(job, p => p?.TaskId is not null);
        }

        var waiting = (await StartJobsAsync(host, "behind-stuck", 1))[0];

        var third = await host.WaitAsync(waiting);
        Assert.Equal(VaceJobErrorCodes.Timeout, third.ErrorCode);
        Assert.Null(third.TaskId);
        foreach (var job in stuck)
        {
            var manifest = await HostTestSupport.WaitForJsonBlobAsync(host.Blobs.GetBlobContainerClient(host.OutputContainer).GetBlobClient($"{job}/result.json"));
            Assert.Equal(VaceJobErrorCodes.Timeout, manifest["result"]!["errorCode"]!.GetValue<string>());
            Assert.Equal(VaceJobPhase.AwaitingBilledTask, (await host.ProgressAsync(job))!.Phase);
        }

        AssertAccount(host, tasks: AccountLimit);
    }

    /// <summary>
    /// The service refuses every connection for a while (CI: 10 s, longer than several polls with their backoff; full
    /// size: ten minutes): jobs polling show the outage and wait, backing off; jobs waiting to submit wait too; once it
    /// is back, every job succeeds, each with one task.
    /// </summary>
    [Fact]
    public async Task ServiceUnreachable_JobsWaitItOut_AndAllSucceed()
    {
        var outage = SuiteSize.Pick(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(10));
        await using var proxy = CuttableProxy.Start();
        await using var host = await StartAsync(running: TimeSpan.FromSeconds(2), maxWait: outage * 3, settings: new()
        {
            ["DashScope:BaseUrl"] = proxy.BaseUrl.ToString(),

            // The samples' media are on the simulator's own port, not the proxy's.
            ["Vace:AllowLoopbackUrls"] = "true",
        });
        proxy.Target = host.Simulator.BaseUrl;
        var jobs = await StartJobsAsync(host, "outage", Jobs);
        await host.WaitForProgressAsync(jobs[0], p => p?.TaskId is not null);

        proxy.Cut();
        await host.WaitForProgressAsync(jobs[0], p => p?.Outage is not null || p?.Phase is VaceJobPhase.Copying or VaceJobPhase.Succeeded);
        var sawOutage = (await host.ProgressAsync(jobs[0]))?.Outage is not null;
        await Task.Delay(outage);
        proxy.Restore();

        var results = await RunAsync(host, jobs, patience: outage * 3);
        Assert.True(sawOutage, "the polling job never showed the outage");
        Assert.All(results, r => Assert.True(r.Succeeded, $"{r.JobId}: {r.ErrorCode} {r.ErrorMessage}"));
        AssertAccount(host, tasks: Jobs);
    }

    private static Task<WorkflowHost> StartAsync(
        SimulatorFaults? faults = null, TimeSpan? running = null, TimeSpan? urlLifetime = null, TimeSpan? maxWait = null, Dictionary<string, string?>? settings = null)
    {
        settings ??= [];
        settings["Vace:MaxConcurrentTasks"] = AccountLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (maxWait is { } wait)
        {
            settings["Vace:MaxWait"] = wait.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        }

        return WorkflowHost.StartAsync(o =>
        {
            // The simulator only counts concurrency here: keeping to the account's limit is the workflow's job.
            o.MaxConcurrentTasks = 0;
            o.Faults = faults ?? new SimulatorFaults();
            o.RunningDuration = running ?? o.RunningDuration;
            o.VideoUrlLifetime = urlLifetime ?? o.VideoUrlLifetime;
        }, settings: settings);
    }

    /// <summary>Starts jobs whose request bodies differ (the prompt names the job), so the simulator counts tasks per job.</summary>
    private static async Task<List<string>> StartJobsAsync(WorkflowHost host, string prefix, int count)
    {
        var jobs = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var document = host.Sample("video_outpainting", $"{prefix}-{i}");
            document["input"]!["prompt"] = $"{document["input"]!["prompt"]!.GetValue<string>()} ({prefix}-{i})";
            jobs.Add(await host.StartAsync(document));
        }

        return jobs;
    }

    private static async Task<VaceJobResult[]> RunAsync(WorkflowHost host, List<string> jobs, TimeSpan? patience = null) =>
        await Task.WhenAll(jobs.Select(j => host.WaitAsync(j, patience)));

    /// <summary>Never more than the account's tasks at once, and each job's request created exactly one task.</summary>
    private static void AssertAccount(WorkflowHost host, int tasks)
    {
        var counters = host.Simulator.State.Counters();
        Assert.InRange(counters.ConcurrentPeak, 0, AccountLimit);
        Assert.Equal(tasks, counters.TasksCreated);
        Assert.Equal(tasks, counters.TasksByBody.Count);
        Assert.All(counters.TasksByBody.Values, n => Assert.Equal(1, n));
    }
}
