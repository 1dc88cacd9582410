using System.Text.Json.Nodes;

namespace VaceFunctions.Local.Hosting;

/// <summary>The documented requests shipped with the host, and how to run them offline.</summary>
public static class SampleDocuments
{
    private static readonly string[] VideoFields = ["video_url", "mask_video_url", "first_clip_url", "last_clip_url"];
    private static readonly string[] ImageFields = ["mask_image_url", "first_frame_url", "last_frame_url"];

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "samples");

    /// <summary>
    /// The media URLs of the documented requests (samples/ and the service's own example requests), exactly as they
    /// are written there: what a simulator that stands in for DashScope offline serves its sample media for.
    /// </summary>
    public static IReadOnlyList<string> DocumentedMediaUrls { get; } =
    [
        "http://wanx.alicdn.com/material/20250318/image_reference_1_5_16.png",
        "http://wanx.alicdn.com/material/20250318/image_reference_2_5_16.png",
        "http://wanx.alicdn.com/material/20250318/video_edit_1_mask.png",
        "http://wanx.alicdn.com/material/20250318/video_edit_1_mask.mp4",
        "http://wanx.alicdn.com/material/20250318/video_edit_2.mp4",
        "http://wanx.alicdn.com/material/20250318/video_extension_1.mp4",
        "http://wanx.alicdn.com/material/20250318/video_outpainting_1.mp4",
        "https://wanx.alicdn.com/material/20250318/video_outpainting_1.mp4",
        "http://wanx.alicdn.com/material/20250318/video_repainting_1.mp4",
    ];

    /// <summary>The names of the shipped samples (their file names without .json), sorted.</summary>
    public static IReadOnlyList<string> Names =>
        [.. Directory.GetFiles(Folder, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal)];

    /// <summary>The file of the sample <paramref name="name"/>; null when no sample has that name.</summary>
    public static string? PathOf(string name) => Names.Contains(name, StringComparer.Ordinal) ? Path.Combine(Folder, name + ".json") : null;

    public static JsonObject Load(string name) =>
        JsonNode.Parse(File.ReadAllText(PathOf(name) ?? throw new ArgumentException($"No sample '{name}'. Samples: {string.Join(", ", Names)}.", nameof(name))))!.AsObject();

    /// <summary>
    /// Points a document's media at the simulator's sample media (a 2 s clip, a PNG), for a job that must run
    /// without a network: the documented media URLs are on the public internet.
    /// </summary>
    public static JsonObject UseSimulatorMedia(JsonObject document, Uri simulator)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(simulator);
        var input = document["input"]!.AsObject();
        var (clip, image) = (Clip(simulator), Image(simulator));
        foreach (var field in VideoFields.Where(input.ContainsKey))
        {
            input[field] = clip;
        }

        foreach (var field in ImageFields.Where(input.ContainsKey))
        {
            input[field] = image;
        }

        if (input["ref_images_url"] is JsonArray images)
        {
            input["ref_images_url"] = new JsonArray(images.Select(_ => (JsonNode?)image).ToArray());
        }

        return document;
    }

    /// <summary>
    /// From each of the <see cref="DocumentedMediaUrls"/> to the simulator's sample media of its kind (the 2 s clip
    /// for a video, the PNG for an image), for intake to substitute whatever the document's source.
    /// </summary>
    public static IReadOnlyDictionary<string, string> SimulatorMedia(Uri simulator)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        return DocumentedMediaUrls.ToDictionary(
            url => url,
            url => url.EndsWith(".mp4", StringComparison.Ordinal) ? Clip(simulator) : Image(simulator),
            StringComparer.Ordinal);
    }

    private static string Clip(Uri simulator) => new Uri(simulator, "media/sample-input.mp4").ToString();

    private static string Image(Uri simulator) => new Uri(simulator, "media/sample-image.png").ToString();
}
