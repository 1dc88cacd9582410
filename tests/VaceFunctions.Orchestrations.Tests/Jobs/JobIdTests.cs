using System.Text.Json.Nodes;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Tests.Jobs;

public class JobIdTests
{
    [Theory]
    [InlineData("a", true)]
    [InlineData("spring-campaign_017", true)]
    [InlineData("ABC-123", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("slash/inside", false)]
    [InlineData("dot.inside", false)]
    [InlineData("ümlaut", false)]
    [InlineData("trailing-newline\n", false)]
    public void IsValid_FollowsTheIdRule(string id, bool valid) => Assert.Equal(valid, JobId.IsValid(id));

    [Fact]
    public void IsValid_SixtyFourCharactersAtMost()
    {
        Assert.True(JobId.IsValid(new string('a', 64)));
        Assert.False(JobId.IsValid(new string('a', 65)));
    }

    [Fact]
    public void Derive_SameDocumentWithOtherKeyOrderWhitespaceAndSpelling_GivesTheSameId()
    {
        const string Original = """
            {"model":"wan2.1-vace-plus","input":{"function":"video_outpainting","prompt":"Violin, café","video_url":"https://e.com/a.mp4"},"parameters":{"top_scale":1.5,"prompt_extend":false}}
            """;
        const string Reordered = """
            {
              "parameters": { "prompt_extend": false, "top_scale": 1.50 },
              "input": {
                "video_url": "https:\/\/e.com\/a.mp4",
                "prompt": "Violin, caf\u00e9",
                "function": "video_outpainting"
              },
              "model": "wan2.1-vace-plus"
            }
            """;

        Assert.Equal(Derive(Original), Derive(Reordered));
    }

    [Fact]
    public void Derive_DifferentDocuments_GiveDifferentIds()
    {
        var ids = new[]
        {
            Derive("""{"input":{"prompt":"a"}}"""),
            Derive("""{"input":{"prompt":"b"}}"""),
            Derive("""{"input":{"prompt":"a"},"output":{"blob":"x.mp4"}}"""),
            Derive("""{"input":{"prompt":["a"]}}"""),
            Derive("""{"input":{"prompt":"a","n":1}}"""),
            Derive("""{"input":{"prompt":"a","n":"1"}}"""),
        };

        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public void Derive_GivesAValidIdOfTheDocumentedForm()
    {
        var id = Derive(Samples.Text("video_edit"));

        Assert.True(JobId.IsValid(id));
        Assert.Matches("^job-[0-9a-f]{32}$", id);
    }

    [Fact]
    public void Derive_DocumentBuiltInCodeWithLoneSurrogate_StillGivesAnId()
    {
        var document = new JsonObject { ["input"] = new JsonObject { ["prompt"] = "\ud800" } };

        Assert.True(JobId.IsValid(JobId.Derive(document)));
    }

    [Fact]
    public void Validate_DerivedId_IsTheSameForEveryDeliveryOfADocument()
    {
        var first = JobValidator.Validate(Samples.Load("image_reference")).Job!.Id;
        var again = JobValidator.Validate(Samples.Load("image_reference")).Job!.Id;

        Assert.Equal(first, again);
    }

    private static string Derive(string json) => JobId.Derive((JsonObject)JsonNode.Parse(json)!);
}
