using System.Runtime.CompilerServices;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Local.Durable;

/// <summary>
/// Starts, reads, lists, terminates and purges instances of the embedded runtime. Any process with access to
/// the hub's storage may use it; the work runs wherever a <see cref="DurableWorker"/> runs.
/// </summary>
public sealed class DurableClient
{
    private readonly DurableStore _store;
    private readonly DurableRegistry _registry;
    private readonly TimeProvider _time;

    internal DurableClient(DurableStore store, DurableRegistry registry, TimeProvider time)
    {
        _store = store;
        _registry = registry;
        _time = time;
    }

    /// <summary>
    /// Starts an instance with id <paramref name="instanceId"/>. An instance that already exists, in any state,
    /// is returned as it is instead of being started twice: the id is the idempotency key.
    /// </summary>
    public async Task<StartResult> StartAsync(string orchestratorName, string instanceId, object? input, CancellationToken cancellationToken = default)
    {
        if (!_registry.HasOrchestrator(orchestratorName))
        {
            throw new ArgumentException($"No orchestrator named '{orchestratorName}' is registered.", nameof(orchestratorName));
        }

        if (!JobId.IsValid(instanceId))
        {
            throw new ArgumentException("An instance id is 1–64 characters of letters, digits, '-' and '_'.", nameof(instanceId));
        }

        await _store.EnsureCreatedAsync(cancellationToken);
        var now = _time.GetUtcNow().UtcDateTime;
        var state = new InstanceState
        {
            InstanceId = instanceId,
            Name = orchestratorName,
            Status = OrchestrationRuntimeStatus.Pending,
            Input = DurableJson.Serialize(input),
            CreatedAt = now,
            LastUpdatedAt = now,
            History = [new HistoryEvent { Kind = HistoryEventKind.ExecutionStarted, Timestamp = now }],
        };

        var created = await _store.TryCreateAsync(state, cancellationToken);
        var existing = created ? state : (await _store.ReadAsync(instanceId, cancellationToken))?.State;
        if (existing is null)
        {
            // Purged between the two calls: the caller may simply try again.
            throw new InvalidOperationException($"Instance '{instanceId}' was removed while starting; try again.");
        }

        if (existing.Status == OrchestrationRuntimeStatus.Pending)
        {
            // Also for an instance created earlier whose start message may have been lost in a crash: the start
            // message has a fixed id, so a second one is recognized and dropped.
            await _store.SendAsync(new WorkMessage { Id = StartMessageId(instanceId), Kind = WorkMessageKind.Start, InstanceId = instanceId }, cancellationToken);
        }

        return new StartResult(instanceId, created, existing.Status);
    }

    public async Task<OrchestrationStatus?> GetStatusAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        if (!JobId.IsValid(instanceId) || await _store.ReadAsync(instanceId, cancellationToken) is not { } loaded)
        {
            return null;
        }

        var s = loaded.State;
        return new OrchestrationStatus(s.InstanceId, s.Name, s.Status, s.CreatedAt, s.LastUpdatedAt, s.Input, s.Output, s.CustomStatus, s.Failure);
    }

    /// <summary>Lists instances matching <paramref name="query"/> (without their payloads).</summary>
    public async IAsyncEnumerable<OrchestrationStatus> ListAsync(OrchestrationQuery? query = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await _store.EnsureCreatedAsync(cancellationToken);
        await foreach (var status in _store.ListAsync(cancellationToken))
        {
            if (query?.Matches(status) ?? true)
            {
                yield return status;
            }
        }
    }

    /// <summary>Asks a running instance to stop; false when there is no such instance or it has already ended.</summary>
    public async Task<bool> TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken = default)
    {
        if (await GetStatusAsync(instanceId, cancellationToken) is not { IsTerminal: false })
        {
            return false;
        }

        await _store.SendAsync(
            new WorkMessage { Id = Guid.NewGuid().ToString("N"), Kind = WorkMessageKind.Terminate, InstanceId = instanceId, Reason = reason },
            cancellationToken);
        return true;
    }

    /// <summary>Deletes an ended instance and its payloads; false when it does not exist or is still running.</summary>
    public async Task<bool> PurgeAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        if (!JobId.IsValid(instanceId) || await _store.ReadAsync(instanceId, cancellationToken) is not { } loaded || !loaded.State.IsTerminal)
        {
            return false;
        }

        return await _store.DeleteAsync(instanceId, loaded.ETag, cancellationToken);
    }

    /// <summary>Purges every ended instance matching <paramref name="query"/>; returns how many.</summary>
    public async Task<int> PurgeAsync(OrchestrationQuery query, CancellationToken cancellationToken = default)
    {
        var purged = 0;
        await foreach (var status in ListAsync(query, cancellationToken))
        {
            if (status.IsTerminal && await PurgeAsync(status.InstanceId, cancellationToken))
            {
                purged++;
            }
        }

        return purged;
    }

    /// <summary>Waits until the instance ends, polling its state; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task<OrchestrationStatus> WaitForCompletionAsync(string instanceId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            var status = await GetStatusAsync(instanceId, cancellationToken)
                ?? throw new InvalidOperationException($"No instance '{instanceId}'.");
            if (status.IsTerminal)
            {
                return status;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"Instance '{instanceId}' is still {status.RuntimeStatus} after {timeout}.");
            }

            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
        }
    }

    internal static string StartMessageId(string instanceId) => "start-" + instanceId;
}
