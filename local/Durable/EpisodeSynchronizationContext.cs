namespace VaceFunctions.Local.Durable;

/// <summary>
/// Runs an orchestrator's continuations one at a time on the thread that replays it, in the order they were
/// posted, so a replay of the same history always takes the same path.
/// </summary>
internal sealed class EpisodeSynchronizationContext : SynchronizationContext
{
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _queue = new();

    public override void Post(SendOrPostCallback d, object? state) => _queue.Enqueue((d, state));

    public override void Send(SendOrPostCallback d, object? state) => d(state);

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Runs every queued continuation, including the ones they queue.</summary>
    public void Drain()
    {
        while (_queue.TryDequeue(out var item))
        {
            item.Callback(item.State);
        }
    }
}
