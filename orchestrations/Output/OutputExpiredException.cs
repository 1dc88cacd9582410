namespace VaceFunctions.Orchestrations.Output;

/// <summary>The result's URL answered 403 or 404: it expired (after 24 hours) or vanished. Retrying cannot help.</summary>
public sealed class OutputExpiredException(string message) : Exception(message);
