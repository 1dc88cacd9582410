using System.Text;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Orchestrations.Tests.Jobs;

public class JobDocumentReaderTests
{
    [Fact]
    public void Read_DocumentedRequest_GivesTheObject()
    {
        var result = JobDocumentReader.Read(Samples.Text("video_edit"));

        Assert.True(result.Succeeded);
        Assert.Equal("video_edit", result.Document["input"]!["function"]!.GetValue<string>());
    }

    [Fact]
    public void Read_Utf8ByteOrderMark_IsSkipped()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("{\"model\":\"x\"}")).ToArray();

        Assert.True(JobDocumentReader.Read(bytes).Succeeded);
    }

    [Theory]
    [InlineData("[]", JobIssueCodes.NotAnObject)]
    [InlineData("\"job\"", JobIssueCodes.NotAnObject)]
    [InlineData("42", JobIssueCodes.NotAnObject)]
    [InlineData("null", JobIssueCodes.NotAnObject)]
    [InlineData("true", JobIssueCodes.NotAnObject)]
    [InlineData("", JobIssueCodes.InvalidJson)]
    [InlineData("{", JobIssueCodes.InvalidJson)]
    [InlineData("{} {}", JobIssueCodes.InvalidJson)]
    [InlineData("{'model': 'x'}", JobIssueCodes.InvalidJson)]
    [InlineData("{\"model\": \"x\",}", JobIssueCodes.InvalidJson)]
    [InlineData("{\"model\": \"a\", \"model\": \"b\"}", JobIssueCodes.InvalidJson)]
    [InlineData("{\"input\": {\"prompt\": \"a\", \"prompt\": \"b\"}}", JobIssueCodes.InvalidJson)]
    [InlineData("{\"input\": {\"prompt\": \"\\ud800\"}}", JobIssueCodes.InvalidJson)]
    [InlineData("{\"input\": {\"\\udc00\": 1}}", JobIssueCodes.InvalidJson)]
    public void Read_NotAJobObject_IsRejectedWithItsCode(string text, string code)
    {
        var result = JobDocumentReader.Read(text);

        Assert.False(result.Succeeded);
        Assert.Equal((JobIssueSeverity.Error, code, JobIssue.RootPath), (result.Error.Severity, result.Error.Code, result.Error.Path));
    }

    [Fact]
    public void Read_DuplicateProperty_SaysSo()
    {
        var result = JobDocumentReader.Read("{\"id\": \"a\", \"id\": \"b\"}");

        Assert.Contains("duplicate", result.Error!.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Read_DeeplyNested_IsRejectedNotOverflowed()
    {
        var text = new string('[', 10_000) + new string(']', 10_000);

        Assert.Equal(JobIssueCodes.InvalidJson, JobDocumentReader.Read("{\"x\":" + text + "}").Error!.Code);
    }

    [Fact]
    public void Read_AtTheSizeLimit_IsAcceptedAndOneByteMoreIsNot()
    {
        var atLimit = Padded(JobDocumentReader.MaxDocumentBytes);
        var overLimit = Padded(JobDocumentReader.MaxDocumentBytes + 1);

        Assert.True(JobDocumentReader.Read(atLimit).Succeeded);
        var error = JobDocumentReader.Read(overLimit).Error!;
        Assert.Equal(JobIssueCodes.DocumentTooLarge, error.Code);
        Assert.Contains("256 KB", error.Message);
    }

    [Fact]
    public async Task ReadAsync_EndlessStream_StopsJustPastTheLimit()
    {
        using var stream = new GeneratedBody(long.MaxValue, maxRead: 4096);

        var result = await JobDocumentReader.ReadAsync(stream);

        Assert.Equal(JobIssueCodes.DocumentTooLarge, result.Error!.Code);
        Assert.InRange(stream.BytesRead, JobDocumentReader.MaxDocumentBytes + 1, JobDocumentReader.MaxDocumentBytes + 1 + 4096);
    }

    [Fact]
    public async Task ReadAsync_SmallStream_ReadsIt()
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(Samples.Text("video_extension")));

        Assert.True((await JobDocumentReader.ReadAsync(stream)).Succeeded);
    }

    private static byte[] Padded(int totalBytes)
    {
        const string Head = "{\"pad\":\"";
        const string Tail = "\"}";
        return Encoding.UTF8.GetBytes(Head + new string('x', totalBytes - Head.Length - Tail.Length) + Tail);
    }
}
