using System.Text.Json.Nodes;

namespace VaceFunctions.Functions.Tests;

/// <summary>What the build generates for the Functions host: every function with its trigger, and the extensions it needs.</summary>
public sealed class FunctionsMetadataTests
{
    private static readonly JsonArray Functions =
        JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.FunctionsOutput, "functions.metadata")))!.AsArray();

    [Theory]
    [InlineData("SubmitJob", "post", "jobs")]
    [InlineData("ListJobs", "get", "jobs")]
    [InlineData("GetJob", "get", "jobs/{id}")]
    [InlineData("GetJobManifest", "get", "jobs/{id}/manifest")]
    [InlineData("CancelJob", "post", "jobs/{id}/cancel")]
    [InlineData("ListPoison", "get", "poison")]
    [InlineData("ShowPoison", "get", "poison/{id}")]
    [InlineData("RedrivePoison", "post", "poison/{id}/redrive")]
    [InlineData("DeletePoison", "delete", "poison/{id}")]
    public void HttpFunctions_HaveTheEmbeddedHostsRoutes_BehindFunctionKeys(string name, string method, string route)
    {
        var trigger = Trigger(name);

        Assert.Equal("httpTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal(route, trigger["route"]!.GetValue<string>());
        Assert.Equal([method], trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal("Function", trigger["authLevel"]!.GetValue<string>());
        Assert.Contains(Bindings(name), b => b["type"]!.GetValue<string>() == "durableClient");
    }

    /// <summary>DashScope clients send a Bearer key, never a function key: the face checks client keys itself.</summary>
    [Theory]
    [InlineData("CreateDashScopeTask", "post", "v1/services/aigc/video-generation/video-synthesis")]
    [InlineData("GetDashScopeTask", "get", "v1/tasks/{taskId}")]
    [InlineData("CancelDashScopeTask", "post", "v1/tasks/{taskId}/cancel")]
    public void DashScopeFace_HasTheEmbeddedHostsRoutes_OpenToTheHost_ForItsOwnKeyCheck(string name, string method, string route)
    {
        var trigger = Trigger(name);

        Assert.Equal(route, trigger["route"]!.GetValue<string>());
        Assert.Equal([method], trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal("Anonymous", trigger["authLevel"]!.GetValue<string>());
        Assert.Contains(Bindings(name), b => b["type"]!.GetValue<string>() == "durableClient");
    }

    [Fact]
    public void QueueTrigger_ReadsTheJobsQueueNamedBySetting()
    {
        var trigger = Trigger("StartJobFromQueue");

        Assert.Equal(("queueTrigger", "%Vace__Queue__Name%", "AzureWebJobsStorage"),
            (trigger["type"]!.GetValue<string>(), trigger["queueName"]!.GetValue<string>(), trigger["connection"]!.GetValue<string>()));
        Assert.Contains(Bindings("StartJobFromQueue"), b => b["type"]!.GetValue<string>() == "durableClient");
    }

    [Fact]
    public void BlobTrigger_WatchesJobFilesInTheInboxThroughEventGrid()
    {
        var trigger = Trigger("StartJobFromBlob");

        Assert.Equal(("blobTrigger", "%Vace__Inbox__Container%/{folder}/job.json", "EventGrid"),
            (trigger["type"]!.GetValue<string>(), trigger["path"]!.GetValue<string>(), trigger["source"]!.GetValue<string>()));
    }

    [Fact]
    public void Workflow_IsTheOrchestratorAndEveryActivityUnderTheNamesTheOrchestratorCalls()
    {
        Assert.Equal("orchestrationTrigger", Trigger(Orchestrations.Workflow.VaceJobOrchestrator.Name)["type"]!.GetValue<string>());
        string[] activities =
        [
            Orchestrations.Inputs.ProbeInputsActivity.Name, Orchestrations.Admission.AcquireSlotActivity.Name, Orchestrations.Admission.ReleaseSlotActivity.Name,
            Orchestrations.DashScope.SubmitTaskActivity.Name, Orchestrations.DashScope.PollTaskActivity.Name, Orchestrations.DashScope.CancelTaskActivity.Name,
            Orchestrations.Output.CopyOutputActivity.Name, Orchestrations.Output.WriteManifestActivity.Name, Orchestrations.Output.NotifyCallbackActivity.Name,
            Orchestrations.Timing.RecentModelTimesActivity.Name, Orchestrations.Timing.RecordModelTimeActivity.Name,
        ];
        Assert.All(activities, a => Assert.Equal("activityTrigger", Trigger(a)["type"]!.GetValue<string>()));
        Assert.Equal(activities.Length + 1 + 8 + 4 + 2 + 1 + 10, Functions.Count);

        // Giving back a slot wakes the next job in line through the durable client.
        Assert.Contains(Bindings(Orchestrations.Admission.ReleaseSlotActivity.Name), b => b["type"]!.GetValue<string>() == "durableClient");
    }

    [Fact]
    public void Batches_AreTheirOrchestratorActivitiesAndFourHttpRoutes()
    {
        Assert.Equal("orchestrationTrigger", Trigger(Orchestrations.Batches.BatchOrchestrator.Name)["type"]!.GetValue<string>());
        string[] activities =
        [
            Orchestrations.Batches.StartBatchPageActivity.Name, Orchestrations.Batches.ReadBatchProgressActivity.Name,
            Orchestrations.Batches.CancelBatchJobsActivity.Name, Orchestrations.Batches.WriteBatchResultsActivity.Name,
        ];
        Assert.All(activities, a => Assert.Equal("activityTrigger", Trigger(a)["type"]!.GetValue<string>()));
        Assert.All(activities, a => Assert.Contains(Bindings(a), b => b["type"]!.GetValue<string>() == "durableClient"));
        Assert.Equal(
            ["batches", "batches", "batches/{id}", "batches/{id}/cancel"],
            new[] { "SubmitBatch", "ListBatches", "GetBatch", "CancelBatch" }.Select(f => Trigger(f)["route"]!.GetValue<string>()));
    }

    [Fact]
    public void Retention_IsAnHourlyTimerWithADurableClient()
    {
        var trigger = Trigger("PurgeFinishedInstances");

        Assert.Equal(("timerTrigger", "0 17 * * * *"), (trigger["type"]!.GetValue<string>(), trigger["schedule"]!.GetValue<string>()));
        Assert.Contains(Bindings("PurgeFinishedInstances"), b => b["type"]!.GetValue<string>() == "durableClient");
    }

    [Fact]
    public void Extensions_NameDurableTaskAndStorage()
    {
        var extensions = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.FunctionsOutput, "extensions.json")))!["extensions"]!.AsArray()
            .Select(e => e!["name"]!.GetValue<string>())
            .ToArray();

        Assert.Contains("DurableTask", extensions);
        Assert.Contains(extensions, e => e.StartsWith("AzureStorageBlobs", StringComparison.Ordinal));
        Assert.Contains(extensions, e => e.StartsWith("AzureStorageQueues", StringComparison.Ordinal));
    }

    private static IEnumerable<JsonNode> Bindings(string function) =>
        Functions.Single(f => f!["name"]!.GetValue<string>() == function)!["bindings"]!.AsArray().Select(b => b!);

    private static JsonNode Trigger(string function) =>
        Bindings(function).Single(b => b["direction"]!.GetValue<string>() == "In" && b["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal));
}
