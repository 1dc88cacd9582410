using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;

namespace VaceFunctions.Local.Hosting;

/// <summary>
/// Reads the <c>Values</c> of an Azure Functions <c>local.settings.json</c>, so a Functions user's file configures
/// the local host as it is: <c>DashScope__ApiKey</c> becomes <c>DashScope:ApiKey</c>. With reload on change, an edit
/// of the file reaches what reads configuration through <c>IOptionsMonitor</c> (the HTTP API's keys) within seconds.
/// </summary>
public static class LocalSettings
{
    public const string FileName = "local.settings.json";

    public static IConfigurationBuilder AddLocalSettings(this IConfigurationBuilder builder, string? path = null, bool reloadOnChange = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        path = Path.GetFullPath(path ?? Path.Combine(Environment.CurrentDirectory, FileName));
        if (Path.GetDirectoryName(path) is not { } folder || !Directory.Exists(folder))
        {
            return builder;
        }

        return builder.Add(new Source
        {
            // Polling looks at this one file every few seconds; a native watcher would watch the whole folder tree.
            FileProvider = new PhysicalFileProvider(folder) { UsePollingFileWatcher = true, UseActivePolling = true },
            Path = Path.GetFileName(path),
            Optional = true,
            ReloadOnChange = reloadOnChange,
        });
    }

    public static Dictionary<string, string?> Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream);
    }

    private static Dictionary<string, string?> Read(Stream stream)
    {
        using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
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

    private sealed class Source : FileConfigurationSource
    {
        public override IConfigurationProvider Build(IConfigurationBuilder builder)
        {
            EnsureDefaults(builder);
            return new Provider(this);
        }
    }

    private sealed class Provider(Source source) : FileConfigurationProvider(source)
    {
        private bool _loaded;

        public override void Load(Stream stream)
        {
            try
            {
                Data = Read(stream);
                _loaded = true;
            }
            catch (JsonException) when (_loaded)
            {
                // A file caught half-written on reload reads as empty (no key admits anyone) until its next change, rather
                // than failing the reload on a background thread; at start a broken file still stops the host.
                Data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            }
        }
    }
}
