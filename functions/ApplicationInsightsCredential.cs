using Azure.Core;
using Azure.Identity;

namespace VaceFunctions.Functions;

/// <summary>The credential the app's Azure Monitor exporters send telemetry with, from <see cref="SettingName"/>.</summary>
/// <remarks>
/// The Functions host reads <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> (<c>ClientId=…;Authorization=AAD</c>, as
/// infra/ writes it); Azure.Monitor.OpenTelemetry.Exporter does not, and an Application Insights component with
/// local authentication off refuses telemetry sent without a Microsoft Entra token. So the worker parses the same
/// setting and gives its exporters the managed identity it names.
/// </remarks>
internal static class ApplicationInsightsCredential
{
    public const string SettingName = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>
    /// The managed identity of <c>Authorization=AAD</c>: the user-assigned one of <c>ClientId</c>, else the
    /// system-assigned one; null without <c>Authorization=AAD</c>.
    /// </summary>
    public static TokenCredential? FromAuthenticationString(string? setting)
    {
        var parts = (setting ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Split('=', 2, StringSplitOptions.TrimEntries))
            .Where(pair => pair.Length == 2)
            .GroupBy(pair => pair[0], StringComparer.OrdinalIgnoreCase)
            .ToDictionary(group => group.Key, group => group.Last()[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Authorization", out var authorization) || !authorization.Equals("AAD", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return parts.TryGetValue("ClientId", out var clientId) && clientId.Length > 0
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
    }
}
