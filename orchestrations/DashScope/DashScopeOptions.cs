using System.ComponentModel.DataAnnotations;
using VaceFunctions.Orchestrations.Configuration;

namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>
/// How to reach DashScope: configuration section <c>DashScope</c> (<c>DashScope__BaseUrl</c>,
/// <c>DashScope__ApiKey</c>, …). Without a base URL the region's public endpoint is used.
/// </summary>
public sealed class DashScopeOptions : IValidatableObject
{
    public const string SectionName = "DashScope";

    /// <summary>The service root, e.g. <c>https://dashscope-intl.aliyuncs.com</c> or the simulator's address.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>The region whose public endpoint is used when <see cref="BaseUrl"/> is not set.</summary>
    public DashScopeRegion Region { get; set; } = DashScopeRegion.International;

    /// <summary>The model for jobs that name none; by default the region's VACE model.</summary>
    public string? Model { get; set; }

    /// <summary>The API key, sent as a Bearer token. A secret: never logged, never in ToString.</summary>
    /// <remarks>
    /// Not required: a host without a key starts, answers health, intake and status, and fails each job with
    /// <see cref="Workflow.VaceJobErrorCodes.NotConfigured"/> (<see cref="HasApiKey"/>) until one is set.
    /// </remarks>
    public string? ApiKey { get; set; }

    /// <summary>Whether a key is set: not empty, and not a Key Vault reference Azure could not resolve (<see cref="SecretSetting"/>).</summary>
    public bool HasApiKey => SecretSetting.ValueOf(ApiKey) is not null;

    /// <summary>How long one HTTP attempt may take before it is abandoned.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long opening a connection may take; a connect failure is always safe to retry.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries after the first attempt of a call that failed in a retryable way.</summary>
    [Range(0, 20)]
    public int MaxRetries { get; set; } = 4;

    /// <summary>The first retry delay; later ones double, with jitter, up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts, including one the service asks for with Retry-After.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The service root in use. A base URL given with the documentation's <c>/api/v1</c> suffix is accepted
    /// and trimmed to the root.
    /// </summary>
    public Uri EffectiveBaseUrl => BaseUrl is null
        ? (Region == DashScopeRegion.ChineseMainland ? VaceModels.ChineseMainlandEndpoint : VaceModels.InternationalEndpoint)
        : new Uri(TrimApiSuffix(BaseUrl.GetLeftPart(UriPartial.Path)));

    /// <summary>The region of the endpoint in use; null for an endpoint of no fixed region (the simulator).</summary>
    public DashScopeRegion? EffectiveRegion => BaseUrl is null ? Region : VaceModels.RegionOfEndpoint(BaseUrl);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BaseUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult("DashScope:BaseUrl must be an absolute http(s) URL.", [nameof(BaseUrl)]);
        }

        if (!string.IsNullOrEmpty(Model) && VaceModels.RegionOf(Model) is null)
        {
            yield return new ValidationResult($"DashScope:Model must be one of {string.Join(", ", VaceModels.All)}.", [nameof(Model)]);
        }
        else if (!string.IsNullOrEmpty(Model) && EffectiveRegion is { } region && VaceModels.RegionOf(Model) != region)
        {
            yield return new ValidationResult($"DashScope:Model {Model} does not belong to the endpoint's region; use {VaceModels.ForRegion(region)}.", [nameof(Model)]);
        }

        if (RetryDelay > MaxRetryDelay)
        {
            yield return new ValidationResult("DashScope:RetryDelay must not exceed DashScope:MaxRetryDelay.", [nameof(RetryDelay)]);
        }
    }

    /// <summary>
    /// The longest one call can take with every attempt timing out after the longest delays: the resilience pipeline's
    /// total timeout, and how long a submission in flight elsewhere may still be waiting for its answer.
    /// </summary>
    public TimeSpan MaxCallDuration => (RequestTimeout * (MaxRetries + 1)) + (MaxRetryDelay * MaxRetries);

    private static string TrimApiSuffix(string url)
    {
        var trimmed = url.TrimEnd('/');
        return (trimmed.EndsWith("/api/v1", StringComparison.OrdinalIgnoreCase) ? trimmed[..^"/api/v1".Length] : trimmed) + "/";
    }

    /// <summary>Describes the options without the API key.</summary>
    public override string ToString() =>
        $"DashScope {EffectiveBaseUrl} (region {EffectiveRegion?.ToString() ?? "any"}, key {(HasApiKey ? "set" : "not set")})";
}
