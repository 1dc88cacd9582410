using System.Text.Json.Nodes;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Local.Tests.Hosting;

public sealed class SampleDocumentsTests
{
    [Fact]
    public void SimulatorMedia_MapsEveryMediaUrlOfTheSamples_ToTheSimulatorsMediaOfItsKind()
    {
        var simulator = new Uri("http://127.0.0.1:5000/");
        var media = SampleDocuments.SimulatorMedia(simulator);
        var documented = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "samples"), "*.json")
            .Select(File.ReadAllText)
            .Where(text => JobDocumentReader.Read(System.Text.Encoding.UTF8.GetBytes(text)).Succeeded)
            .Select(text => JsonNode.Parse(text)!.AsObject())
            .SelectMany(document => MediaValues(document["input"]!.AsObject()))
            .Where(url => new Uri(url).Host == "wanx.alicdn.com")
            .ToHashSet();

        Assert.Equal(documented.Order(), media.Keys.Order());
        Assert.All(media, m => Assert.Equal(
            new Uri(simulator, m.Key.EndsWith(".mp4", StringComparison.Ordinal) ? "media/sample-input.mp4" : "media/sample-image.png").ToString(), m.Value));
    }

    private static IEnumerable<string> MediaValues(JsonObject input) =>
        input.Where(field => field.Key.EndsWith("_url", StringComparison.Ordinal))
            .SelectMany(field => field.Value is JsonArray array ? array.Select(v => v!.GetValue<string>()) : [field.Value!.GetValue<string>()])
            .Where(MediaUrls.IsHttpUrl);
}
