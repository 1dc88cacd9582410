using VaceFunctions.Orchestrations.Durable;

namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>Cancels a task if it is still PENDING; false when the service refuses (it is already running or done).</summary>
public sealed class CancelTaskActivity(DashScopeClient client) : IActivity<string, bool>
{
    public const string Name = "CancelTask";

    public async Task<bool> RunAsync(string input, CancellationToken cancellationToken)
    {
        try
        {
            await client.CancelAsync(input, cancellationToken);
            return true;
        }
        catch (DashScopeException ex) when (ex.Code == DashScopeErrorCodes.UnsupportedOperation)
        {
            return false;
        }
    }
}
