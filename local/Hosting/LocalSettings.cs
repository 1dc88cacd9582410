using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace VaceFunctions.Local.Hosting;

/// <summary>
/// Reads the <c>Values</c> of an Azure Functions <c>local.settings.json</c>, so a Functions user's file configures
/// the local host as it is: <c>DashScope__ApiKey</c> becomes <c>DashScope:ApiKey</c>.
/// </summary>
public static class LocalSettings
{
    public const string FileName = "local.settings.json";

    public static IConfigurationBuilder AddLocalSettings(this IConfigurationBuilder builder, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        path ??= Path.Combine(Environment.CurrentDirectory, FileName);
        return File.Exists(path) ? builder.AddInMemoryCollection(Read(path)) : builder;
    }

    public static Dictionary<string, string?> Read(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (document.RootElement.TryGetProperty("Values", out var section) && section.ValueKind == JsonValueKind.Object)
        {
            foreach (var value in section.EnumerateObject())
            {
                values[value.Name.Replace("__", ":", StringComparison.Ordinal)] = value.Value.ValueKind == JsonValueKind.String ? value.Value.GetString() : value.Value.GetRawText();
            }
        }

        return values;
    }
}
