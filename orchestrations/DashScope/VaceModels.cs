namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>
/// The Wan VACE models and the region each belongs to, with the region's public endpoint.
/// </summary>
public static class VaceModels
{
    public const string International = "wan2.1-vace-plus";
    public const string ChineseMainland = "wanx2.1-vace-plus";

    public static readonly Uri InternationalEndpoint = new("https://dashscope-intl.aliyuncs.com");
    public static readonly Uri ChineseMainlandEndpoint = new("https://dashscope.aliyuncs.com");

    /// <summary>Every known VACE model name.</summary>
    public static IReadOnlyList<string> All { get; } = [International, ChineseMainland];

    /// <summary>The model that serves <paramref name="region"/>.</summary>
    public static string ForRegion(DashScopeRegion region) => region switch
    {
        DashScopeRegion.International => International,
        DashScopeRegion.ChineseMainland => ChineseMainland,
        _ => throw new ArgumentOutOfRangeException(nameof(region), region, "Unknown region."),
    };

    /// <summary>The region a known model belongs to, or null for a name that is not a VACE model.</summary>
    public static DashScopeRegion? RegionOf(string model) => model switch
    {
        International => DashScopeRegion.International,
        ChineseMainland => DashScopeRegion.ChineseMainland,
        _ => null,
    };

    /// <summary>
    /// The region of a DashScope base URL: the two public endpoints map to their regions; any other host
    /// (the simulator, a proxy) has no fixed region and yields null.
    /// </summary>
    public static DashScopeRegion? RegionOfEndpoint(Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        if (string.Equals(baseUrl.Host, InternationalEndpoint.Host, StringComparison.OrdinalIgnoreCase))
        {
            return DashScopeRegion.International;
        }

        return string.Equals(baseUrl.Host, ChineseMainlandEndpoint.Host, StringComparison.OrdinalIgnoreCase)
            ? DashScopeRegion.ChineseMainland
            : null;
    }
}
