using System.Text.Json.Nodes;

namespace VaceFunctions.Local.Hosting;

/// <summary>The documented requests shipped with the host, and how to run them offline.</summary>
public static class SampleDocuments
{
    private static readonly string[] VideoFields = ["video_url", "mask_video_url", "first_clip_url", "last_clip_url"];
    private static readonly string[] ImageFields = ["mask_image_url", "first_frame_url", "last_frame_url"];

    public static JsonObject Load(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "samples", name + ".json");
        if (!File.Exists(path))
        {
            var available = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "samples"), "*.json").Select(Path.GetFileNameWithoutExtension).Order();
            throw new ArgumentException($"No sample '{name}'. Samples: {string.Join(", ", available)}.", nameof(name));
        }

        return JsonNode.Parse(File.ReadAllText(path))!.AsObject();
    }

    /// <summary>
    /// Points a document's media at the simulator's sample media (a 2 s clip, a PNG), for a job that must run
    /// without a network: the documented media URLs are on the public internet.
    /// </summary>
    public static JsonObject UseSimulatorMedia(JsonObject document, Uri simulator)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(simulator);
        var input = document["input"]!.AsObject();
        var clip = new Uri(simulator, "media/sample-input.mp4").ToString();
        var image = new Uri(simulator, "media/sample-image.png").ToString();
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
}
