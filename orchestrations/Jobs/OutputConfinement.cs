namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>
/// Which containers a job may write its video and manifest to: the output container and the allow-list
/// (<c>Vace:AllowedOutputContainers</c>), never the workflow's own storage — the state container (admission slots,
/// submission records), the inbox, the containers of a Durable Task hub (<c>{hub}-leases</c>,
/// <c>{hub}-largemessages</c>, <c>{hub}-applease</c>, whatever the hub's name) and the Functions host's
/// (<c>azure-webjobs-*</c>).
/// </summary>
public static class OutputConfinement
{
    private static readonly string[] HubSuffixes = ["-leases", "-largemessages", "-applease"];

    private const string FunctionsHostPrefix = "azure-webjobs-";

    /// <summary>True for a container that holds the workflow's or the engine's own records.</summary>
    public static bool IsReserved(string container, string stateContainer, string? inboxContainer)
    {
        ArgumentNullException.ThrowIfNull(container);
        return container == stateContainer
            || container == inboxContainer
            || container.StartsWith(FunctionsHostPrefix, StringComparison.Ordinal)
            || HubSuffixes.Any(suffix => container.EndsWith(suffix, StringComparison.Ordinal));
    }

    /// <summary>The output container and the allow-list, less any reserved container, without repeats.</summary>
    public static IReadOnlyList<string> WritableContainers(string outputContainer, IEnumerable<string> allowList, string stateContainer, string inboxContainer)
    {
        ArgumentNullException.ThrowIfNull(allowList);
        return allowList.Prepend(outputContainer).Distinct(StringComparer.Ordinal)
            .Where(c => StorageNames.IsValidContainerName(c) && !IsReserved(c, stateContainer, inboxContainer))
            .ToArray();
    }
}
