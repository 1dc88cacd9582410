using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace VaceFunctions.Local.Cli;

/// <summary>
/// How the CLI writes JSON: indented, plain UTF-8 — only what JSON itself requires is escaped (no <c>\u0022</c>
/// for a quote, no <c>\u2014</c> for a dash), since it goes to a terminal or a pipe, never into HTML.
/// </summary>
internal static class CliJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
    };

    public static string Write(JsonNode? node) => node?.ToJsonString(Options) ?? "null";

    /// <summary>A JSON text rewritten plainly, or the text as it is when it is not JSON.</summary>
    public static string Pretty(string json)
    {
        try
        {
            return Write(JsonNode.Parse(json));
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
