namespace VaceFunctions.Orchestrations.Configuration;

/// <summary>Reads a secret setting (the DashScope API key, the callback secret) that Azure may fill from Key Vault.</summary>
/// <remarks>
/// App Service leaves a Key Vault reference it cannot resolve — the secret was never written, or the app's identity
/// may not read it — as its own text, <c>@Microsoft.KeyVault(SecretUri=…)</c>. infra/ always writes the references
/// (a provision without the secret's value must not blank it), so such a value means the secret is not set, and is
/// never used as the secret itself.
/// </remarks>
public static class SecretSetting
{
    private const string ReferencePrefix = "@Microsoft.KeyVault(";

    /// <summary>The secret, or null when it is empty or an unresolved Key Vault reference.</summary>
    public static string? ValueOf(string? setting) =>
        string.IsNullOrWhiteSpace(setting) || IsUnresolvedReference(setting) ? null : setting;

    /// <summary>Whether the setting is a Key Vault reference the platform could not resolve.</summary>
    public static bool IsUnresolvedReference(string? setting) =>
        setting?.TrimStart().StartsWith(ReferencePrefix, StringComparison.OrdinalIgnoreCase) == true;
}
