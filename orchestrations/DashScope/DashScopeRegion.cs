namespace VaceFunctions.Orchestrations.DashScope;

/// <summary>
/// A Model Studio deployment region. Model, endpoint and API key must all belong to one region;
/// cross-region calls fail at the service.
/// </summary>
public enum DashScopeRegion
{
    /// <summary>Singapore endpoint (dashscope-intl), model <c>wan2.1-vace-plus</c>.</summary>
    International,

    /// <summary>Beijing endpoint (dashscope), model <c>wanx2.1-vace-plus</c>.</summary>
    ChineseMainland,
}
