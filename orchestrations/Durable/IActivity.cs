namespace VaceFunctions.Orchestrations.Durable;

/// <summary>
/// An activity: one unit of real work (I/O allowed), run at least once; its result is recorded once. Activities
/// know nothing of the host that runs them.
/// </summary>
public interface IActivity<TInput, TOutput>
{
    Task<TOutput> RunAsync(TInput input, CancellationToken cancellationToken);
}
