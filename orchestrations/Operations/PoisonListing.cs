namespace VaceFunctions.Orchestrations.Operations;

/// <summary>
/// The first messages of the poison queue (at most 32, as many as the queue service lets anyone peek) and the queue's
/// approximate length: the rest are seen as those are re-driven or deleted.
/// </summary>
public sealed record PoisonListing(int ApproximateCount, IReadOnlyList<PoisonMessage> Messages);
