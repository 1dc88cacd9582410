using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using VaceFunctions.Orchestrations.Durable;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Tests.Workflow;

/// <summary>
/// A scripted context for unit tests of an orchestrator: activities answer from handlers (a thrown exception
/// becomes an activity failure, retried per the policy), timers fire at once and move the clock to their due
/// time, and every call is recorded. Values cross the boundary as JSON, as they do in a real runtime.
/// </summary>
internal sealed class FakeOrchestrationContext(string instanceId, DateTime start) : IOrchestrationContext
{
    private readonly Dictionary<string, Func<JsonElement, object?>> _handlers = [];

    public string InstanceId { get; } = instanceId;

    public bool IsReplaying => false;

    public DateTime CurrentUtcDateTime { get; private set; } = start;

    /// <summary>Every activity call (each attempt), in order.</summary>
    public List<(string Name, JsonElement Input, DateTime At)> Calls { get; } = [];

    /// <summary>Every timer's due time, in order.</summary>
    public List<DateTime> Timers { get; } = [];

    public List<VaceJobStatus> Statuses { get; } = [];

    public FakeOrchestrationContext On(string activity, Func<JsonElement, object?> handler)
    {
        _handlers[activity] = handler;
        return this;
    }

    /// <summary>Answers an activity from a list, one answer per call, repeating the last.</summary>
    public FakeOrchestrationContext OnSequence(string activity, params Func<object?>[] answers)
    {
        var call = 0;
        return On(activity, _ => answers[Math.Min(call++, answers.Length - 1)]());
    }

    public int CallCount(string activity) => Calls.Count(c => c.Name == activity);

    public T? GetInput<T>() => default;

    public async Task<TResult> CallActivityAsync<TResult>(string name, object? input = null, ActivityRetryPolicy? retry = null)
    {
        var json = JsonSerializer.SerializeToElement(input, WorkflowJson.Options);
        for (var attempt = 1; ; attempt++)
        {
            Calls.Add((name, json, CurrentUtcDateTime));
            try
            {
                var handler = _handlers.TryGetValue(name, out var h) ? h : throw new InvalidOperationException($"No handler for activity {name}.");
                var result = handler(json);
                return JsonSerializer.Deserialize<TResult>(JsonSerializer.Serialize(result, WorkflowJson.Options), WorkflowJson.Options)!;
            }
            catch (Exception ex) when (ex is not ActivityFailedException)
            {
                var failure = ActivityFailureDetails.FromException(ex);
                if (retry is null || !retry.ShouldRetry(attempt, failure))
                {
                    throw new ActivityFailedException(name, Calls.Count - 1, failure);
                }

                await CreateTimer(CurrentUtcDateTime + retry.DelayAfter(attempt), CancellationToken.None);
            }
        }
    }

    public Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        Timers.Add(fireAt);
        if (fireAt > CurrentUtcDateTime)
        {
            CurrentUtcDateTime = fireAt;
        }

        return Task.CompletedTask;
    }

    public void SetCustomStatus(object? customStatus) => Statuses.Add((VaceJobStatus)customStatus!);

    public ILogger CreateReplaySafeLogger(string categoryName) => NullLogger.Instance;
}
