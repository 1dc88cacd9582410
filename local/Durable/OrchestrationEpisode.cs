using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using VaceFunctions.Orchestrations.Durable;

namespace VaceFunctions.Local.Durable;

/// <summary>
/// One episode of an orchestration: the orchestrator is run from the start against its history plus the new
/// events, on one thread, and what it newly asks for (activities, timers) and whether it finished come out.
/// Pure: no storage, no clock but the history's.
/// </summary>
internal sealed class OrchestrationEpisode : IOrchestrationContext
{
    private readonly List<HistoryEvent> _history;
    private readonly int _replayedCount;
    private readonly Dictionary<int, HistoryEvent> _scheduled;
    private readonly Dictionary<int, PendingTask> _pending = [];
    private readonly ILoggerFactory _loggers;
    private int _nextTaskId;
    private string? _nondeterminism;

    private OrchestrationEpisode(string instanceId, string? input, List<HistoryEvent> history, int replayedCount, ILoggerFactory loggers)
    {
        InstanceId = instanceId;
        Input = input;
        _history = history;
        _replayedCount = replayedCount;
        _loggers = loggers;
        _scheduled = history
            .Where(e => e.Kind is HistoryEventKind.ActivityScheduled or HistoryEventKind.TimerCreated)
            .ToDictionary(e => e.TaskId);
    }

    public string InstanceId { get; }

    public bool IsReplaying { get; private set; }

    public DateTime CurrentUtcDateTime { get; private set; }

    /// <summary>The events this episode adds: what the orchestrator newly scheduled.</summary>
    public List<HistoryEvent> NewActions { get; } = [];

    public string? CustomStatus { get; private set; }

    private string? Input { get; }

    /// <summary>
    /// Runs an episode. <paramref name="history"/> is the stored history; <paramref name="newEvents"/> start with
    /// this episode's OrchestratorStarted and carry what happened since the last one.
    /// </summary>
    public static EpisodeResult Run(
        string instanceId,
        string? input,
        IReadOnlyList<HistoryEvent> history,
        IReadOnlyList<HistoryEvent> newEvents,
        Func<IOrchestrationContext, string?, Task<string?>> orchestrator,
        string? previousCustomStatus,
        ILoggerFactory? loggers = null)
    {
        var all = history.Concat(newEvents).ToList();
        var episode = new OrchestrationEpisode(instanceId, input, all, history.Count, loggers ?? NullLoggerFactory.Instance)
        {
            CustomStatus = previousCustomStatus,
        };
        return episode.Execute(orchestrator);
    }

    public T? GetInput<T>() => DurableJson.Deserialize<T>(Input);

    public async Task<TResult> CallActivityAsync<TResult>(string name, object? input = null, ActivityRetryPolicy? retry = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var result = await Schedule(HistoryEventKind.ActivityScheduled, name, DurableJson.Serialize(input), default);
                return DurableJson.Deserialize<TResult>(result)!;
            }
            catch (ActivityFailedException failed) when (retry is not null && retry.ShouldRetry(attempt, failed.FailureDetails))
            {
                await CreateTimer(CurrentUtcDateTime + retry.DelayAfter(attempt), CancellationToken.None);
            }
        }
    }

    public Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken) =>
        Schedule(HistoryEventKind.TimerCreated, null, null, DateTime.SpecifyKind(fireAt, DateTimeKind.Utc), cancellationToken);

    public void SetCustomStatus(object? customStatus) => CustomStatus = DurableJson.Serialize(customStatus);

    public ILogger CreateReplaySafeLogger(string categoryName) => new ReplaySafeLogger(this, _loggers.CreateLogger(categoryName));

    private EpisodeResult Execute(Func<IOrchestrationContext, string?, Task<string?>> orchestrator)
    {
        var previous = SynchronizationContext.Current;
        var sync = new EpisodeSynchronizationContext();
        SynchronizationContext.SetSynchronizationContext(sync);
        try
        {
            Task<string?>? run = null;
            for (var i = 0; i < _history.Count && _nondeterminism is null; i++)
            {
                var e = _history[i];
                IsReplaying = i < _replayedCount;
                switch (e.Kind)
                {
                    case HistoryEventKind.OrchestratorStarted:
                        CurrentUtcDateTime = e.Timestamp;
                        if (run is null)
                        {
                            run = StartOrchestrator(orchestrator);
                            sync.Drain();
                        }

                        break;
                    case HistoryEventKind.ActivityCompleted or HistoryEventKind.ActivityFailed or HistoryEventKind.TimerFired:
                        Complete(e);
                        sync.Drain();
                        break;
                }
            }

            IsReplaying = false;
            if (_nondeterminism is not null)
            {
                return EpisodeResult.Failed(this, new ActivityFailureDetails(typeof(NondeterministicOrchestrationException).FullName!, _nondeterminism));
            }

            if (run is null || !run.IsCompleted)
            {
                return EpisodeResult.Waiting(this);
            }

            if (run.IsCompletedSuccessfully)
            {
                var unfinished = _scheduled.Keys.Where(id => id >= _nextTaskId).ToArray();
                return unfinished.Length > 0
                    ? EpisodeResult.Failed(this, new ActivityFailureDetails(
                        typeof(NondeterministicOrchestrationException).FullName!,
                        $"The orchestrator finished without scheduling task {unfinished[0]}, which its history records."))
                    : EpisodeResult.Completed(this, run.Result);
            }

            var exception = run.Exception?.InnerException ?? (Exception?)run.Exception ?? new TaskCanceledException();
            return EpisodeResult.Failed(this, ActivityFailureDetails.FromException(exception));
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    private Task<string?> StartOrchestrator(Func<IOrchestrationContext, string?, Task<string?>> orchestrator)
    {
        try
        {
            return orchestrator(this, Input);
        }
        catch (Exception ex)
        {
            return Task.FromException<string?>(ex);
        }
    }

    private Task<string?> Schedule(HistoryEventKind kind, string? name, string? data, DateTime fireAt, CancellationToken cancellationToken = default)
    {
        var taskId = _nextTaskId++;
        var pending = new PendingTask(taskId, kind, name);
        if (_nondeterminism is not null)
        {
            return pending.Completion.Task;
        }

        if (_scheduled.TryGetValue(taskId, out var recorded))
        {
            if (recorded.Kind != kind || recorded.Name != name)
            {
                _nondeterminism = $"Step {taskId} of the orchestrator scheduled {Describe(kind, name)} on replay, but its history records {Describe(recorded.Kind, recorded.Name)}. "
                    + "Orchestrator code changed while instances were running, or it is not deterministic.";
                return pending.Completion.Task;
            }
        }
        else
        {
            NewActions.Add(new HistoryEvent { Kind = kind, TaskId = taskId, Name = name, Data = data, Timestamp = fireAt });
        }

        _pending[taskId] = pending;
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() => pending.Completion.TrySetCanceled(cancellationToken));
        }

        return pending.Completion.Task;
    }

    private void Complete(HistoryEvent e)
    {
        if (!_pending.Remove(e.TaskId, out var pending))
        {
            _nondeterminism ??= $"The history has a result for step {e.TaskId}, which the orchestrator did not schedule on replay.";
            return;
        }

        switch (e.Kind)
        {
            case HistoryEventKind.ActivityCompleted:
                pending.Completion.TrySetResult(e.Data);
                break;
            case HistoryEventKind.ActivityFailed:
                pending.Completion.TrySetException(new ActivityFailedException(pending.Name!, e.TaskId, e.Failure!));
                break;
            default:
                pending.Completion.TrySetResult(null);
                break;
        }
    }

    private static string Describe(HistoryEventKind kind, string? name) =>
        kind == HistoryEventKind.TimerCreated ? "a timer" : $"activity '{name}'";

    private sealed record PendingTask(int TaskId, HistoryEventKind Kind, string? Name)
    {
        public TaskCompletionSource<string?> Completion { get; } = new();
    }

    private sealed class ReplaySafeLogger(OrchestrationEpisode episode, ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => !episode.IsReplaying && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!episode.IsReplaying)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}

/// <summary>What an episode produced.</summary>
internal sealed record EpisodeResult(
    OrchestrationRuntimeStatus Status,
    IReadOnlyList<HistoryEvent> NewActions,
    string? Output,
    ActivityFailureDetails? Failure,
    string? CustomStatus)
{
    public static EpisodeResult Waiting(OrchestrationEpisode e) => new(OrchestrationRuntimeStatus.Running, e.NewActions, null, null, e.CustomStatus);

    public static EpisodeResult Completed(OrchestrationEpisode e, string? output) => new(OrchestrationRuntimeStatus.Completed, e.NewActions, output, null, e.CustomStatus);

    public static EpisodeResult Failed(OrchestrationEpisode e, ActivityFailureDetails failure) => new(OrchestrationRuntimeStatus.Failed, [], null, failure, e.CustomStatus);
}
