using System.Diagnostics;
using VaceFunctions.Local.Durable;
using VaceFunctions.Local.TestHost;
using VaceFunctions.Orchestrations.Durable;

namespace VaceFunctions.Local.Tests.Durable;

/// <summary>The embedded runtime in one process, on Azurite, with toy orchestrations.</summary>
public sealed class DurableRuntimeTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("vace-durable-");

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public async Task Sequence_RunsEachStepInOrderAndReturnsTheResults()
    {
        await using var host = await RuntimeHost.StartAsync();
        var log = LogFile();

        var started = await host.Client.StartAsync(nameof(Toys.Sequence), "seq-1", new Toys.SequenceInput(4, log));
        var done = await host.Client.WaitForCompletionAsync("seq-1", Patience);

        Assert.True(started.Created);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal([10, 20, 30, 40], done.ReadOutputAs<int[]>()!);
        Assert.Equal(["seq-1 1", "seq-1 2", "seq-1 3", "seq-1 4"], Executions(log));
        Assert.Contains("\"done\":4", done.CustomStatus, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FanOut_RunsAllStepsAndJoinsTheirResults()
    {
        await using var host = await RuntimeHost.StartAsync();
        var log = LogFile();

        await host.Client.StartAsync(nameof(Toys.FanOut), "fan-1", new Toys.SequenceInput(20, log));
        var done = await host.Client.WaitForCompletionAsync("fan-1", Patience);

        Assert.Equal(Enumerable.Range(1, 20).Select(i => i * 10), done.ReadOutputAs<int[]>());
        Assert.Equal(20, Executions(log).Distinct().Count());
    }

    [Fact]
    public async Task Timer_FiresNoEarlierThanItsDueTime()
    {
        await using var host = await RuntimeHost.StartAsync();
        var watch = Stopwatch.StartNew();

        await host.Client.StartAsync(nameof(Toys.Sleep), "sleep-1", TimeSpan.FromSeconds(2));
        var done = await host.Client.WaitForCompletionAsync("sleep-1", Patience);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(2), $"woke after {watch.Elapsed}");
        Assert.True(done.ReadOutputAs<DateTime>() >= done.CreatedAt.AddSeconds(2));
    }

    [Fact]
    public async Task Timer_LongerThanAQueueMessageMayHide_IsChained()
    {
        await using var host = await RuntimeHost.StartAsync(o => o.MaxQueueVisibility = TimeSpan.FromSeconds(1));
        var watch = Stopwatch.StartNew();

        await host.Client.StartAsync(nameof(Toys.Sleep), "sleep-long", TimeSpan.FromSeconds(3.5));
        var done = await host.Client.WaitForCompletionAsync("sleep-long", Patience);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(3.5), $"woke after {watch.Elapsed}");
    }

    [Fact]
    public async Task ActivityRetries_BackOffAndSucceed()
    {
        await using var host = await RuntimeHost.StartAsync();
        var counter = LogFile();
        var watch = Stopwatch.StartNew();

        await host.Client.StartAsync(nameof(Toys.Retrying), "retry-1", new Toys.RetryInput(counter, 2, 5, 300, false));
        var done = await host.Client.WaitForCompletionAsync("retry-1", Patience);

        Assert.Equal("succeeded after 3 attempts", done.ReadOutputAs<string>());
        Assert.Equal(3, File.ReadAllText(counter).Length);

        // Waits of 300 ms then 600 ms (coefficient 2) between the attempts.
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(900), $"done after {watch.Elapsed}");
    }

    [Fact]
    public async Task ActivityRetries_StopAtMaxAttemptsAndFailTheInstanceWithTheTypedFailure()
    {
        await using var host = await RuntimeHost.StartAsync();
        var counter = LogFile();

        await host.Client.StartAsync(nameof(Toys.Retrying), "retry-2", new Toys.RetryInput(counter, 10, 3, 50, false));
        var done = await host.Client.WaitForCompletionAsync("retry-2", Patience);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Equal(3, File.ReadAllText(counter).Length);
        Assert.Equal(typeof(ActivityFailedException).FullName, done.Failure!.ErrorType);
        Assert.Contains("InvalidOperationException", done.Failure.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ActivityRetries_FailureTheHandlerRejects_IsNotRetried()
    {
        await using var host = await RuntimeHost.StartAsync();
        var counter = LogFile();

        await host.Client.StartAsync(nameof(Toys.Retrying), "retry-3", new Toys.RetryInput(counter, 0, 5, 50, Permanent: true));
        var done = await host.Client.WaitForCompletionAsync("retry-3", Patience);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Equal(1, File.ReadAllText(counter).Length);
        Assert.Contains("NotSupportedException", done.Failure!.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ActivityFailure_ReachesTheOrchestratorAsATypedFailure()
    {
        await using var host = await RuntimeHost.StartAsync();

        await host.Client.StartAsync(nameof(Toys.CatchFailure), "catch-1", "boom");
        var done = await host.Client.WaitForCompletionAsync("catch-1", Patience);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.StartsWith("caught System.ArgumentException: the input was boom", done.ReadOutputAs<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NondeterministicOrchestrator_FailsItsInstanceWithAClearError()
    {
        await using var host = await RuntimeHost.StartAsync();

        await host.Client.StartAsync(nameof(Toys.Unstable), "unstable-1", "x");
        var done = await host.Client.WaitForCompletionAsync("unstable-1", Patience);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Equal(typeof(NondeterministicOrchestrationException).FullName, done.Failure!.ErrorType);
        Assert.Contains("history records", done.Failure.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ExistingInstance_ReturnsItInsteadOfASecondRun()
    {
        await using var host = await RuntimeHost.StartAsync();
        var log = LogFile();

        var first = await host.Client.StartAsync(nameof(Toys.Sequence), "dup-1", new Toys.SequenceInput(2, log));
        var second = await host.Client.StartAsync(nameof(Toys.Sequence), "dup-1", new Toys.SequenceInput(5, log));
        await host.Client.WaitForCompletionAsync("dup-1", Patience);
        var third = await host.Client.StartAsync(nameof(Toys.Sequence), "dup-1", new Toys.SequenceInput(5, log));

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.False(third.Created);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, third.RuntimeStatus);
        Assert.Equal(2, Executions(log).Length);
    }

    [Fact]
    public async Task Terminate_RunningInstance_EndsItAndLateResultsAreIgnored()
    {
        await using var host = await RuntimeHost.StartAsync();

        await host.Client.StartAsync(nameof(Toys.Sleep), "term-1", TimeSpan.FromHours(1));
        await WaitUntilAsync(async () => (await host.Client.GetStatusAsync("term-1"))!.RuntimeStatus == OrchestrationRuntimeStatus.Running);
        Assert.True(await host.Client.TerminateAsync("term-1", "no longer needed"));
        var done = await host.Client.WaitForCompletionAsync("term-1", Patience);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, done.RuntimeStatus);
        Assert.Equal("no longer needed", done.ReadOutputAs<string>());
        Assert.False(await host.Client.TerminateAsync("term-1", "again"));
        Assert.False(await host.Client.TerminateAsync("no-such-instance", "x"));
    }

    [Fact]
    public async Task ListAndPurge_FilterByStatusAndTime_AndSpareRunningInstances()
    {
        await using var host = await RuntimeHost.StartAsync();
        var before = DateTime.UtcNow.AddSeconds(-1);
        await host.Client.StartAsync(nameof(Toys.CatchFailure), "list-done", "ok");
        await host.Client.StartAsync(nameof(Toys.Sleep), "list-running", TimeSpan.FromHours(1));
        await host.Client.WaitForCompletionAsync("list-done", Patience);
        await WaitUntilAsync(async () => (await host.Client.GetStatusAsync("list-running"))!.RuntimeStatus == OrchestrationRuntimeStatus.Running);

        var all = await ToListAsync(host.Client.ListAsync());
        var completed = await ToListAsync(host.Client.ListAsync(new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Completed] }));
        var future = await ToListAsync(host.Client.ListAsync(new OrchestrationQuery { CreatedFrom = DateTime.UtcNow.AddMinutes(1) }));
        var recent = await ToListAsync(host.Client.ListAsync(new OrchestrationQuery { CreatedFrom = before }));

        Assert.Equal(["list-done", "list-running"], all.Select(s => s.InstanceId).Order());
        Assert.Equal("list-done", Assert.Single(completed).InstanceId);
        Assert.Empty(future);
        Assert.Equal(2, recent.Count);

        Assert.False(await host.Client.PurgeAsync("list-running"));
        Assert.Equal(1, await host.Client.PurgeAsync(new OrchestrationQuery()));
        Assert.Null(await host.Client.GetStatusAsync("list-done"));
        Assert.NotNull(await host.Client.GetStatusAsync("list-running"));
    }

    [Fact]
    public async Task Start_BeforeAnyWorkerRuns_IsPendingAndRunsWhenOneStarts()
    {
        var hub = Azurite.UniqueName("h");
        var log = LogFile();
        await using (var clientOnly = await RuntimeHost.StartAsync(hub: hub, runWorker: false))
        {
            await EnsureHubAsync(clientOnly);
            await clientOnly.Client.StartAsync(nameof(Toys.Sequence), "later-1", new Toys.SequenceInput(1, log));
            Assert.Equal(OrchestrationRuntimeStatus.Pending, (await clientOnly.Client.GetStatusAsync("later-1"))!.RuntimeStatus);
        }

        await using var worker = await RuntimeHost.StartAsync(hub: hub);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await worker.Client.WaitForCompletionAsync("later-1", Patience)).RuntimeStatus);
    }

    [Fact]
    public async Task Message_ThatKeepsFailing_IsPoisonedAndItsInstanceFailsInsteadOfWaitingForever()
    {
        var hub = Azurite.UniqueName("h");
        await using var client = await RuntimeHost.StartAsync(hub: hub, runWorker: false);
        await client.Client.StartAsync(nameof(Toys.Sequence), "poisoned-1", new Toys.SequenceInput(1, null));

        // A worker that lacks the orchestrator: every attempt at the start message throws.
        await using var worker = await RuntimeHost.StartAsync(
            o => (o.MaxDequeueCount, o.ControlVisibility) = (2, TimeSpan.FromSeconds(1)), hub, register: _ => { });
        var done = await worker.Client.WaitForCompletionAsync("poisoned-1", Patience);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Contains("Start message failed 3 times", done.Failure!.ErrorMessage, StringComparison.Ordinal);
        var poison = new Azure.Storage.Queues.QueueClient(worker.Storage, $"{hub}-poison");
        Assert.NotNull((await poison.PeekMessageAsync()).Value);
    }

    [Fact]
    public async Task StartMessage_LostAfterTheInstanceWasCreated_IsSentAgainByTheSweep()
    {
        var hub = Azurite.UniqueName("h");
        await using (var client = await RuntimeHost.StartAsync(hub: hub, runWorker: false))
        {
            await client.Client.StartAsync(nameof(Toys.Sequence), "lost-start", new Toys.SequenceInput(1, null));
            var control = new Azure.Storage.Queues.QueueClient(client.Storage, $"{hub}-control");
            var start = (await control.ReceiveMessageAsync()).Value;
            await control.DeleteMessageAsync(start.MessageId, start.PopReceipt);
        }

        await using var worker = await RuntimeHost.StartAsync(o => o.ControlVisibility = TimeSpan.FromSeconds(1), hub);
        var done = await worker.Client.WaitForCompletionAsync("lost-start", Patience);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
    }

    internal static async Task EnsureHubAsync(RuntimeHost host)
    {
        await host.Blobs.GetBlobContainerClient($"{host.Hub}-instances").CreateIfNotExistsAsync();
        var queues = new Azure.Storage.Queues.QueueServiceClient(host.Storage);
        await queues.GetQueueClient($"{host.Hub}-control").CreateIfNotExistsAsync();
        await queues.GetQueueClient($"{host.Hub}-workitems").CreateIfNotExistsAsync();
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(50);
        }
    }

    private string LogFile() => Path.Combine(_temp.FullName, Guid.NewGuid().ToString("N") + ".log");

    /// <summary>"instance step" for each recorded execution of a step, in step order.</summary>
    internal static string[] Executions(string log) =>
        Directory.Exists(log)
            ? Directory.GetFiles(log).Select(f => Path.GetFileName(f).Split(' ')).OrderBy(p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture))
                .Select(p => $"{p[0]} {p[1]}").ToArray()
            : [];

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
