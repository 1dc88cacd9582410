using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Orchestrations.Timing;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Tests.Workflow;

/// <summary>
/// The real <see cref="VaceJobOrchestrator"/> on the in-memory Durable Task engine, with a scripted stand-in for
/// DashScope and storage: every activity is registered under its real name and types and answers from a script (a
/// thrown exception is an activity failure, retried per the orchestrator's policy). Every call — each attempt — is
/// recorded with its input, its time and the custom status the job showed at that moment. Values cross the engine
/// as JSON with <see cref="WorkflowJson.DataConverter"/>, as in the hosts. Timers run in real time; the in-memory
/// engine keeps no history to read back, so a test sees the job's waits in the times its activities ran.
/// </summary>
internal sealed class ScriptedWorkflow : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Func<object?>> _script = [];
    private readonly List<ActivityCall> _calls = [];
    private readonly List<(string Activity, int Times, TaskCompletionSource Reached)> _waiters = [];
    private DurableTaskTestHost? _host;

    public DurableTaskClient Client => (_host ?? throw new InvalidOperationException("No job has started.")).Client;

    /// <summary>Every activity call (each attempt), in order.</summary>
    public IReadOnlyList<ActivityCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>The custom statuses the job showed when its activities ran, in order.</summary>
    public IReadOnlyList<VaceJobStatus> Statuses => [.. Calls.Select(c => c.Status).OfType<VaceJobStatus>()];

    /// <summary>The custom status the job ended with.</summary>
    public VaceJobStatus? FinalStatus { get; private set; }

    /// <summary>Answers every call of an activity with <paramref name="answer"/> (which may throw).</summary>
    public ScriptedWorkflow On(string activity, Func<object?> answer)
    {
        lock (_gate)
        {
            _script[activity] = answer;
        }

        return this;
    }

    /// <summary>Answers an activity from a list, one answer per call, repeating the last.</summary>
    public ScriptedWorkflow OnSequence(string activity, params Func<object?>[] answers)
    {
        var call = 0;
        return On(activity, () => answers[Math.Min(call++, answers.Length - 1)]());
    }

    public int CallCount(string activity) => Calls.Count(c => c.Name == activity);

    public IReadOnlyList<T> InputsOf<T>(string activity) => [.. Calls.Where(c => c.Name == activity).Select(c => (T)c.Input!)];

    /// <summary>Completes once <paramref name="activity"/> has been called <paramref name="times"/> times.</summary>
    public Task WhenCalledAsync(string activity, int times)
    {
        lock (_gate)
        {
            if (_calls.Count(c => c.Name == activity) >= times)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((activity, times, reached));
            return reached.Task;
        }
    }

    /// <summary>Runs a job to its end; the instance id is the job id, as the starters make it.</summary>
    public async Task<VaceJobResult> RunAsync(VaceJobRequest job)
    {
        await StartAsync(job);
        return await CompletionAsync(job.JobId);
    }

    public async Task StartAsync(VaceJobRequest job)
    {
        ArgumentNullException.ThrowIfNull(job);

        // Left to itself the test host draws its port from 30000-40000, where the system also places outgoing
        // connections: take a port the system says is free, and another if it was taken meanwhile.
        for (var attempt = 1; _host is null; attempt++)
        {
            try
            {
                _host = await DurableTaskTestHost.StartAsync(Register, new DurableTaskTestHostOptions { Port = FreePort(), ConfigureServices = services => services.UseWorkflowJson() });
            }
            catch (IOException) when (attempt < 3)
            {
            }
        }

        await Client.ScheduleNewOrchestrationInstanceAsync(VaceJobOrchestrator.Name, job, new StartOrchestrationOptions(job.JobId));
    }

    /// <summary>Waits for the job's end: it must complete (a result, never an exception) within a minute and a half.</summary>
    public async Task<VaceJobResult> CompletionAsync(string instanceId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var metadata = await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, timeout.Token);
        Assert.True(metadata.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"The job ended {metadata.RuntimeStatus}: {metadata.FailureDetails}");
        FinalStatus = metadata.ReadCustomStatusAs<VaceJobStatus>();
        return metadata.ReadOutputAs<VaceJobResult>()!;
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Register(DurableTaskRegistry registry)
    {
        registry.AddOrchestrator<VaceJobOrchestrator>();
        Script<ProbeInputsActivity, IReadOnlyList<MediaReference>, IReadOnlyList<string>>(registry);
        Script<AcquireSlotActivity, AcquireSlotActivity.Request, SlotGrant>(registry);
        Script<ReleaseSlotActivity, string, bool>(registry);
        Script<SubmitTaskActivity, SubmitTaskActivity.Request, SubmitTaskActivity.Result>(registry);
        Script<PollTaskActivity, string, PollTaskActivity.Result>(registry);
        Script<RecentModelTimesActivity, string, IReadOnlyList<double>>(registry);
        Script<RecordModelTimeActivity, RecordModelTimeActivity.Request, bool>(registry);
        Script<CancelTaskActivity, string, bool>(registry);
        Script<CopyOutputActivity, CopyOutputActivity.Request, CopyOutputActivity.Result>(registry);
        Script<WriteManifestActivity, WriteManifestActivity.Request, string>(registry);
        Script<NotifyCallbackActivity, NotifyCallbackActivity.Request, int>(registry);
    }

    /// <summary>Registers the stand-in of an activity under its name, with its input and output types (the constraint checks them).</summary>
    private void Script<TActivity, TInput, TOutput>(DurableTaskRegistry registry)
        where TActivity : TaskActivity<TInput, TOutput>
    {
        var name = typeof(TActivity).GetCustomAttribute<DurableTaskAttribute>()!.Name;
        registry.AddActivityFunc<TInput, TOutput>(name, async (context, input) => (TOutput)(await AnswerAsync(context, name.Name, input))!);
    }

    private async Task<object?> AnswerAsync(TaskActivityContext context, string activity, object? input)
    {
        // The custom status set before an activity is scheduled is committed with the schedule: what a watcher saw.
        var instance = await Client.GetInstanceAsync(context.InstanceId, getInputsAndOutputs: true);
        var status = instance?.ReadCustomStatusAs<VaceJobStatus>();
        lock (_gate)
        {
            _calls.Add(new ActivityCall(activity, input, status, DateTime.UtcNow));
            var count = _calls.Count(c => c.Name == activity);
            foreach (var waiter in _waiters.Where(w => w.Activity == activity && w.Times <= count).ToArray())
            {
                waiter.Reached.TrySetResult();
                _waiters.Remove(waiter);
            }

            var answer = _script.GetValueOrDefault(activity) ?? throw new InvalidOperationException($"No script for activity {activity}.");
            return answer();
        }
    }
}

/// <summary>One call of a scripted activity: its input, the job's custom status when it ran, and when (UTC).</summary>
internal sealed record ActivityCall(string Name, object? Input, VaceJobStatus? Status, DateTime At);
