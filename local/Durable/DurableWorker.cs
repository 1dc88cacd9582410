using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Durable;

namespace VaceFunctions.Local.Durable;

/// <summary>
/// Runs the hub's work in this process: replays orchestrators for control messages and runs activities for
/// work items. Any number of processes may run one against the same hub; blob ETags keep each instance's
/// history consistent and each activity result is recorded once.
/// </summary>
/// <remarks>
/// Crash safety, step by step: an episode's new history (with what it scheduled) is committed before the
/// messages for it are sent, and the triggering message is deleted last. A crash before the commit replays the
/// message; a crash after it finds the message already applied and re-sends what that episode scheduled and is
/// still unfinished. Activities run at least once; a second result for the same task is dropped.
/// </remarks>
internal sealed partial class DurableWorker(
    DurableStore store,
    DurableRegistry registry,
    IServiceProvider services,
    IOptions<DurableOptions> options,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    /// <summary>How many applied control messages an instance remembers (see <see cref="InstanceState.Processed"/>).</summary>
    private const int ProcessedMemory = 256;

    private readonly DurableOptions _options = options.Value;
    private readonly ILogger _logger = loggers.CreateLogger<DurableWorker>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await store.EnsureCreatedAsync(stoppingToken);
        await Task.WhenAll(ControlLoopAsync(stoppingToken), ActivityLoopAsync(stoppingToken), StartSweepAsync(stoppingToken));
    }

    /// <summary>
    /// At start and then every four control-visibility periods (2 minutes by default), re-sends the start message of
    /// instances still Pending that long after they were created: a client that crashed between creating an
    /// instance and sending its start leaves one behind.
    /// The start message has a fixed id, so one that was only slow is recognized and dropped.
    /// </summary>
    private async Task StartSweepAsync(CancellationToken stoppingToken)
    {
        var age = _options.ControlVisibility * 4;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var before = time.GetUtcNow().UtcDateTime - age;
                await foreach (var pending in store.ListAsync(stoppingToken))
                {
                    if (pending.RuntimeStatus == OrchestrationRuntimeStatus.Pending && pending.CreatedAt < before)
                    {
                        await store.SendAsync(
                            new WorkMessage { Id = DurableClient.StartMessageId(pending.InstanceId), Kind = WorkMessageKind.Start, InstanceId = pending.InstanceId },
                            stoppingToken);
                    }
                }

                await Task.Delay(age, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.LoopFailed(_logger, "start sweep", ex);
                await Task.Delay(_options.MaxPollInterval, stoppingToken);
            }
        }
    }

    /// <summary>
    /// Moves a message that cannot be read, or that failed more often than allowed, to the poison queue; a readable
    /// one also fails its instance with <paramref name="reason"/>.
    /// </summary>
    private async Task PoisonAsync(QueueClient queue, QueueMessage queued, WorkMessage? message, string reason, CancellationToken cancellationToken)
    {
        if (message is not null)
        {
            Log.Poisoned(_logger, message.InstanceId, message.Kind, queued.DequeueCount);
            await FailInstanceAsync(message.InstanceId, reason, cancellationToken);
        }

        await store.MoveToPoisonAsync(queue, queued);
    }

    /// <summary>
    /// Ends an instance whose message failed too often to go on (it would otherwise wait forever): Failed, with the
    /// reason. A write conflict means the instance moved on after all, and it is left alone.
    /// </summary>
    private async Task FailInstanceAsync(string instanceId, string reason, CancellationToken cancellationToken)
    {
        if (await store.ReadAsync(instanceId, cancellationToken) is var (state, etag) && !state.IsTerminal)
        {
            state.Status = OrchestrationRuntimeStatus.Failed;
            state.Failure = new ActivityFailureDetails("VaceFunctions.Local.Durable.PoisonMessage", reason);
            state.LastUpdatedAt = time.GetUtcNow().UtcDateTime;
            await store.TryReplaceAsync(state, etag, cancellationToken);
        }
    }

    private async Task ControlLoopAsync(CancellationToken stoppingToken)
    {
        var idle = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var messages = await DurableStore.ReceiveAsync(store.Control, 32, _options.ControlVisibility, stoppingToken);
                if (messages.Length == 0)
                {
                    idle = await IdleAsync(idle, stoppingToken);
                    continue;
                }

                idle = TimeSpan.Zero;

                // One instance's messages run in order; different instances in parallel.
                using var gate = new SemaphoreSlim(_options.MaxConcurrentOrchestrations);
                var parsed = messages.Select(m => (Queued: m, Message: Parse(m)));
                await Task.WhenAll(parsed.GroupBy(p => p.Message?.InstanceId ?? p.Queued.MessageId).Select(async group =>
                {
                    await gate.WaitAsync(stoppingToken);
                    try
                    {
                        foreach (var (queued, message) in group)
                        {
                            await ProcessControlAsync(queued, message, stoppingToken);
                        }
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.LoopFailed(_logger, "control", ex);
                idle = await IdleAsync(_options.MaxPollInterval, stoppingToken);
            }
        }
    }

    private async Task ActivityLoopAsync(CancellationToken stoppingToken)
    {
        var running = new List<Task>();
        var idle = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                running.RemoveAll(t => t.IsCompleted);
                var free = _options.MaxConcurrentActivities - running.Count;
                if (free <= 0)
                {
                    await Task.WhenAny(running);
                    continue;
                }

                var messages = await DurableStore.ReceiveAsync(store.WorkItems, Math.Min(free, 32), _options.ActivityVisibility, stoppingToken);
                if (messages.Length == 0)
                {
                    idle = await IdleAsync(idle, stoppingToken);
                    continue;
                }

                idle = TimeSpan.Zero;
                running.AddRange(messages.Select(m => RunActivityAsync(m, stoppingToken)));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                Log.LoopFailed(_logger, "activity", ex);
                idle = await IdleAsync(_options.MaxPollInterval, stoppingToken);
            }
        }

        await Task.WhenAll(running);
    }

    private async Task ProcessControlAsync(QueueMessage queued, WorkMessage? message, CancellationToken stoppingToken)
    {
        try
        {
            if (message is null || queued.DequeueCount > _options.MaxDequeueCount)
            {
                await PoisonAsync(store.Control, queued, message, $"Its {message?.Kind} message failed {queued.DequeueCount} times; see the host's logs.", stoppingToken);
                return;
            }

            if (store.IsEarly(message))
            {
                // A link of a chained long timer: wait the rest in a new message.
                await store.SendAsync(message, stoppingToken);
                await DurableStore.DeleteMessageAsync(store.Control, queued);
                return;
            }

            if (await ApplyAsync(message, redelivered: queued.DequeueCount > 1, stoppingToken))
            {
                await DurableStore.DeleteMessageAsync(store.Control, queued);
            }
            else
            {
                // Another process changed the instance first: try again shortly, after re-reading it.
                await DurableStore.ExtendAsync(store.Control, queued.MessageId, queued.PopReceipt, TimeSpan.FromMilliseconds(Random.Shared.Next(50, 500)), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the message becomes visible again and another process (or this one, later) takes it.
        }
        catch (Exception ex)
        {
            Log.MessageFailed(_logger, queued.MessageId, ex);
        }
    }

    /// <summary>Applies one control message to its instance; false when the instance changed underneath (retry).</summary>
    /// <param name="message">The message.</param>
    /// <param name="redelivered">True when this queue message was received before: its earlier processing may have
    /// committed and then crashed before sending what it scheduled.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    private async Task<bool> ApplyAsync(WorkMessage message, bool redelivered, CancellationToken cancellationToken)
    {
        if (await store.ReadAsync(message.InstanceId, cancellationToken) is not var (state, etag) || state.IsTerminal)
        {
            return true;
        }

        if (state.Processed.Find(p => p.MessageId == message.Id) is { } processed)
        {
            if (!redelivered)
            {
                // A second copy of an applied message (a start sent twice), not a crash: nothing to redo.
                return true;
            }

            await SendScheduledAsync(state, state.History.Where(e => processed.ScheduledTaskIds.Contains(e.TaskId) && IsUnfinished(state, e.TaskId)), cancellationToken);
            return true;
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (message.Kind == WorkMessageKind.Terminate)
        {
            state.Status = OrchestrationRuntimeStatus.Terminated;
            state.Output = DurableJson.Serialize(message.Reason);
            state.LastUpdatedAt = now;
            return await store.TryReplaceAsync(state, etag, cancellationToken) is not null;
        }

        var happened = await ToHistoryEventAsync(message, state, cancellationToken);
        if (happened is null && message.Kind != WorkMessageKind.Start)
        {
            return true;
        }

        if (message.Kind == WorkMessageKind.Start && state.History.Any(e => e.Kind == HistoryEventKind.OrchestratorStarted))
        {
            return true;
        }

        List<HistoryEvent> newEvents = [new HistoryEvent { Kind = HistoryEventKind.OrchestratorStarted, Timestamp = now }];
        if (happened is not null)
        {
            newEvents.Add(happened);
        }

        var run = registry.Orchestrator(state.Name);
        var result = OrchestrationEpisode.Run(
            state.InstanceId, state.Input, state.History, newEvents, (context, input) => run(services, context, input), state.CustomStatus, loggers);

        state.History.AddRange(newEvents);
        state.History.AddRange(result.NewActions);
        state.Status = result.Status;
        state.Output = result.Output;
        state.Failure = result.Failure;
        state.CustomStatus = result.CustomStatus;
        state.LastUpdatedAt = now;
        state.Processed.Add(new ProcessedMessage(message.Id, result.NewActions.Select(a => a.TaskId).ToArray()));
        if (state.Processed.Count > ProcessedMemory)
        {
            state.Processed.RemoveRange(0, state.Processed.Count - ProcessedMemory);
        }

        if (await store.TryReplaceAsync(state, etag, cancellationToken) is null)
        {
            return false;
        }

        if (result.Status == OrchestrationRuntimeStatus.Failed)
        {
            Log.InstanceFailed(_logger, state.InstanceId, result.Failure!.ErrorType, result.Failure.ErrorMessage);
        }

        _options.StepHook?.Invoke("control:committed");
        await SendScheduledAsync(state, result.NewActions, cancellationToken);
        _options.StepHook?.Invoke("control:sent");
        return true;
    }

    /// <summary>The history event a control message brings; null for a duplicate or a message that no longer applies.</summary>
    private async Task<HistoryEvent?> ToHistoryEventAsync(WorkMessage message, InstanceState state, CancellationToken cancellationToken)
    {
        var kind = message.Kind switch
        {
            WorkMessageKind.ActivityCompleted => HistoryEventKind.ActivityCompleted,
            WorkMessageKind.ActivityFailed => HistoryEventKind.ActivityFailed,
            WorkMessageKind.TimerFired => HistoryEventKind.TimerFired,
            _ => (HistoryEventKind?)null,
        };
        if (kind is null || !IsUnfinished(state, message.TaskId))
        {
            return null;
        }

        var data = message.DataBlob is { } blob ? await store.LoadPayloadAsync(blob, cancellationToken) : message.Data;
        return new HistoryEvent { Kind = kind.Value, TaskId = message.TaskId, Data = data, Failure = message.Failure, Timestamp = message.FireAt };
    }

    private async Task SendScheduledAsync(InstanceState state, IEnumerable<HistoryEvent> scheduled, CancellationToken cancellationToken)
    {
        foreach (var action in scheduled)
        {
            await store.SendAsync(
                new WorkMessage
                {
                    Id = Guid.NewGuid().ToString("N"),
                    Kind = action.Kind == HistoryEventKind.TimerCreated ? WorkMessageKind.TimerFired : WorkMessageKind.RunActivity,
                    InstanceId = state.InstanceId,
                    TaskId = action.TaskId,
                    FireAt = action.Timestamp,
                },
                cancellationToken);
        }
    }

    private async Task RunActivityAsync(QueueMessage queued, CancellationToken stoppingToken)
    {
        try
        {
            var message = Parse(queued);
            if (message is null || queued.DequeueCount > _options.MaxDequeueCount)
            {
                await PoisonAsync(store.WorkItems, queued, message,
                    $"Its activity (task {message?.TaskId}) was started {queued.DequeueCount} times without finishing; see the host's logs.", stoppingToken);
                return;
            }

            if (await store.ReadAsync(message.InstanceId, stoppingToken) is not var (state, _)
                || state.IsTerminal
                || !IsUnfinished(state, message.TaskId)
                || state.History.Find(e => e.Kind == HistoryEventKind.ActivityScheduled && e.TaskId == message.TaskId) is not { } scheduled)
            {
                await DurableStore.DeleteMessageAsync(store.WorkItems, queued);
                return;
            }

            await using var lease = QueueMessageLease.Start(store.WorkItems, queued, _options.ActivityVisibility);
            var completion = await ExecuteActivityAsync(message, scheduled, stoppingToken);
            _options.StepHook?.Invoke("activity:ran");
            await store.SendAsync(completion, stoppingToken);
            _options.StepHook?.Invoke("activity:sent");
            await lease.CompleteAsync();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down mid-activity: the message reappears and the activity runs again elsewhere.
        }
        catch (Exception ex)
        {
            Log.MessageFailed(_logger, queued.MessageId, ex);
        }
    }

    private async Task<WorkMessage> ExecuteActivityAsync(WorkMessage message, HistoryEvent scheduled, CancellationToken stoppingToken)
    {
        var reply = new WorkMessage { Id = Guid.NewGuid().ToString("N"), Kind = WorkMessageKind.ActivityCompleted, InstanceId = message.InstanceId, TaskId = message.TaskId };
        if (registry.Activity(scheduled.Name!) is not { } activity)
        {
            return reply with
            {
                Kind = WorkMessageKind.ActivityFailed,
                Failure = new ActivityFailureDetails(typeof(InvalidOperationException).FullName!, $"No activity named '{scheduled.Name}' is registered."),
            };
        }

        try
        {
            var result = await activity(services, scheduled.Data, stoppingToken);
            return result is { Length: > DurableStore.MaxInlinePayloadChars }
                ? reply with { DataBlob = await store.StorePayloadAsync(message.InstanceId, $"{message.TaskId}-{reply.Id}.json", result, stoppingToken) }
                : reply with { Data = result };
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            Log.ActivityFailed(_logger, scheduled.Name!, message.InstanceId, message.TaskId, ex);
            return reply with { Kind = WorkMessageKind.ActivityFailed, Failure = ActivityFailureDetails.FromException(ex) };
        }
    }

    private static bool IsUnfinished(InstanceState state, int taskId) =>
        !state.History.Any(e => e.TaskId == taskId && e.Kind is HistoryEventKind.ActivityCompleted or HistoryEventKind.ActivityFailed or HistoryEventKind.TimerFired);

    private static WorkMessage? Parse(QueueMessage message)
    {
        try
        {
            return message.Body.ToObjectFromJson<WorkMessage>(DurableJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<TimeSpan> IdleAsync(TimeSpan current, CancellationToken stoppingToken)
    {
        var next = current == TimeSpan.Zero ? TimeSpan.FromMilliseconds(10) : TimeSpan.FromTicks(Math.Min(current.Ticks * 2, _options.MaxPollInterval.Ticks));
        await Task.Delay(next, stoppingToken);
        return next;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4000, Level = LogLevel.Error, Message = "Durable {Loop} loop failed; retrying")]
        public static partial void LoopFailed(ILogger logger, string loop, Exception exception);

        [LoggerMessage(EventId = 4001, Level = LogLevel.Error, Message = "Durable message {MessageId} failed; it will be retried")]
        public static partial void MessageFailed(ILogger logger, string messageId, Exception exception);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "Instance {InstanceId}: {Kind} message failed {DequeueCount} times; moved to the poison queue")]
        public static partial void Poisoned(ILogger logger, string instanceId, WorkMessageKind kind, long dequeueCount);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Instance {InstanceId} failed: {ErrorType}: {ErrorMessage}")]
        public static partial void InstanceFailed(ILogger logger, string instanceId, string errorType, string errorMessage);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Activity {Activity} of {InstanceId} (task {TaskId}) failed")]
        public static partial void ActivityFailed(ILogger logger, string activity, string instanceId, int taskId, Exception exception);
    }
}
