using System.Text.Json.Nodes;

namespace VaceFunctions.Orchestrations.Tests;

/// <summary>The files of samples/, copied beside the tests.</summary>
internal static class Samples
{
    /// <summary>The five requests of the API documentation, unchanged.</summary>
    public static readonly string[] Documented =
        ["image_reference", "video_repainting", "video_edit", "video_extension", "video_outpainting"];

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "samples", name + ".json");

    public static string Text(string name) => File.ReadAllText(PathOf(name));

    /// <summary>A fresh, mutable copy of a sample.</summary>
    public static JsonObject Load(string name) => (JsonObject)JsonNode.Parse(Text(name))!;
}
