using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Telemetry;

namespace VaceFunctions.Orchestrations.Tests.Telemetry;

/// <summary>The <c>traceparent</c> a job document may carry: read for tracing, never part of the job itself.</summary>
public class JobTraceContextTests
{
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    [Fact]
    public void Of_ADocumentWithATraceparent_IsItsTraceAndSpan()
    {
        var document = Samples.Load("video_edit");
        document[JobFields.TraceParent] = TraceParent;

        var context = JobTraceContext.Of(document);

        Assert.Equal(("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", true), (context!.Value.TraceId.ToHexString(), context.Value.SpanId.ToHexString(), context.Value.IsRemote));
    }

    [Fact]
    public void Validate_ATraceparent_IsNoWarning_NoPartOfTheIdAndNotSentToTheService()
    {
        var plain = Samples.Load("video_edit");
        var traced = Samples.Load("video_edit");
        traced[JobFields.TraceParent] = TraceParent;

        var result = JobValidator.Validate(traced);

        Assert.Empty(result.Issues);
        Assert.Equal(JobValidator.Validate(plain).Job!.Id, result.Job!.Id);
        Assert.False(result.Job.ToDashScopeRequest().ContainsKey(JobFields.TraceParent));
    }

    [Theory]
    [InlineData("\"not-a-traceparent\"")]
    [InlineData("42")]
    public void Validate_AnUnreadableTraceparent_IsAWarningAndTheJobRuns(string value)
    {
        var document = Samples.Load("video_edit");
        document[JobFields.TraceParent] = System.Text.Json.Nodes.JsonNode.Parse(value);

        var result = JobValidator.Validate(document);

        var warning = Assert.Single(result.Issues);
        Assert.Equal((JobIssueSeverity.Warning, JobIssueCodes.InvalidValue, JobFields.TraceParent), (warning.Severity, warning.Code, warning.Path));
        Assert.Null(JobTraceContext.Of(document));
        Assert.NotNull(result.Job);
    }
}
