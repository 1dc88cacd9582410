namespace VaceFunctions.Orchestrations.Http;

/// <summary>
/// The HTTP API: configuration section <c>Vace:Http</c>. With an API key, every call must carry it
/// (<c>x-api-key</c>, <c>x-functions-key</c>, or <c>Authorization: Bearer</c>); without one, only loopback
/// callers are served.
/// </summary>
public sealed class HttpApiOptions
{
    public const string SectionName = "Vace:Http";

    /// <summary>The key callers present. A secret: never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>How long the read SAS URL of an output, handed out by the DashScope-compatible face, stays valid.</summary>
    public TimeSpan OutputUrlLifetime { get; set; } = TimeSpan.FromHours(24);
}
