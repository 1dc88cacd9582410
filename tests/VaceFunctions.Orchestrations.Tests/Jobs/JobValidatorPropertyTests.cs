using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Tests.Jobs;

/// <summary>
/// Random documents, fully random and mutated from the documented requests: whatever comes in, the validator
/// answers with a consistent result and never throws.
/// </summary>
public class JobValidatorPropertyTests
{
    private const int Iterations = 3000;

    private static readonly string[] KnownFields = typeof(JobFields)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (string)f.GetValue(null)!)
        .ToArray();

    private static readonly HashSet<string> KnownCodes = typeof(JobIssueCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (string)f.GetValue(null)!)
        .ToHashSet();

    private static readonly string[] Strings =
    [
        "", " ", "\t\n", "obj", "bg", "person", "depth", "scribble", "canny", "tracking", "fixed",
        "1280*720", "1920*1080", "wan2.1-vace-plus", "wanx2.1-vace-plus", "gpt-4",
        "https://example.com/a.mp4", "http://127.0.0.1/x.png", "clip.mp4", "../up.mp4", "/abs/path", "file:///etc/passwd",
        "https://user:pw@example.com/", "javascript:alert(1)", "vace-output", "Bad_Container", "a/b/c.mp4",
        "spring-campaign-017", "has space", "\u001b[31m", "\ud83c\udfac emoji", "中文提示词", new string('p', 900),
        "image_reference", "video_repainting", "video_edit", "video_extension", "video_outpainting",
    ];

    private static readonly double[] Numbers =
        [0, 1, -1, 0.05, 0.5, 1.0, 1.5, 2.0, 2.5, -0.0, 1e-9, 1e300, -1e300, 2147483648, 12345678901234567890d];

    [Fact]
    public void Validate_RandomDocuments_NeverThrowsAndIsConsistent()
    {
        var random = new Random(20261121);
        for (var i = 0; i < Iterations; i++)
        {
            var document = RandomObject(random, depth: 0);
            CheckInvariants(document, i);
        }
    }

    [Fact]
    public void Validate_MutatedDocumentedRequests_NeverThrowsAndIsConsistent()
    {
        var random = new Random(17);
        var validCount = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var document = Samples.Load(Samples.Documented[random.Next(Samples.Documented.Length)]);
            for (var m = random.Next(1, 5); m > 0; m--)
            {
                Mutate(random, document);
            }

            validCount += CheckInvariants(document, i) ? 1 : 0;
        }

        // The mutations must exercise both outcomes, or this test proves little.
        Assert.InRange(validCount, Iterations / 20, Iterations - (Iterations / 20));
    }

    [Fact]
    public void Validate_RandomBytes_GiveAReadErrorOrAResult()
    {
        var random = new Random(5);
        var seed = Encoding.UTF8.GetBytes(Samples.Text("video_edit"));
        for (var i = 0; i < Iterations; i++)
        {
            var bytes = (byte[])seed.Clone();
            for (var flips = random.Next(1, 8); flips > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            var result = JobValidator.Validate(bytes);

            Assert.Equal(result.IsValid, !result.Errors.Any());
            Assert.All(result.Issues, issue => Assert.Contains(issue.Code, KnownCodes));
        }
    }

    /// <summary>Checks what must hold for any document; returns whether it was valid.</summary>
    private static bool CheckInvariants(JsonObject document, int iteration)
    {
        var text = document.ToJsonString();
        JobValidationResult result;
        try
        {
            result = JobValidator.Validate(Encoding.UTF8.GetBytes(text));
        }
        catch (Exception ex)
        {
            Assert.Fail($"Iteration {iteration} threw {ex.GetType().Name}: {ex.Message}\n{text}");
            throw;
        }

        Assert.Equal(result.IsValid, !result.Errors.Any());
        foreach (var issue in result.Issues)
        {
            Assert.Contains(issue.Code, KnownCodes);
            Assert.False(string.IsNullOrWhiteSpace(issue.Path), text);
            Assert.False(string.IsNullOrWhiteSpace(issue.Message), text);
        }

        if (result.Job is { } job)
        {
            Assert.True(JobId.IsValid(job.Id), text);
            Assert.Equal(job.Id, JobValidator.Validate(Encoding.UTF8.GetBytes(text)).Job!.Id);
            var request = job.ToDashScopeRequest();
            Assert.Equal(job.Model, request["model"]!.GetValue<string>());
            Assert.Equal(job.Warnings, result.Warnings.ToArray());
        }

        return result.IsValid;
    }

    private static void Mutate(Random random, JsonObject document)
    {
        var target = random.Next(4) switch
        {
            0 => document,
            1 => document["input"] as JsonObject ?? document,
            _ => (JsonObject)(document["parameters"] as JsonObject ?? (document["parameters"] = new JsonObject())),
        };
        var field = KnownFields[random.Next(KnownFields.Length)];
        switch (random.Next(3))
        {
            case 0:
                target.Remove(field);
                break;
            default:
                target[field] = RandomValue(random, depth: 2);
                break;
        }
    }

    private static JsonObject RandomObject(Random random, int depth)
    {
        var obj = new JsonObject();
        for (var n = random.Next(0, 7); n > 0; n--)
        {
            var key = random.Next(5) == 0 ? Strings[random.Next(Strings.Length)] : KnownFields[random.Next(KnownFields.Length)];
            obj[key] = RandomValue(random, depth + 1);
        }

        return obj;
    }

    private static JsonNode? RandomValue(Random random, int depth)
    {
        var kinds = depth >= 3 ? 5 : 7;
        return random.Next(kinds) switch
        {
            0 => null,
            1 => JsonValue.Create(random.Next(2) == 0),
            2 => JsonValue.Create(Numbers[random.Next(Numbers.Length)]),
            3 => JsonValue.Create(random.Next(-3, 10)),
            4 => JsonValue.Create(Strings[random.Next(Strings.Length)]),
            5 => new JsonArray(Enumerable.Range(0, random.Next(0, 5)).Select(_ => RandomValue(random, depth + 1)).ToArray()),
            _ => RandomObject(random, depth),
        };
    }
}
