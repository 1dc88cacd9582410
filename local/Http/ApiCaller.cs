namespace VaceFunctions.Local.Http;

/// <summary>A caller of the HTTP API, as <see cref="ApiKeyring"/> worked it out: admitted or not, and the partition its job creations are counted in.</summary>
public sealed record ApiCaller(bool Admitted, string Partition);
