using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using VaceFunctions.Local.Engine;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Http;
using VaceFunctions.Orchestrations.Intake;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Functions.Tests;

/// <summary>host.json and local.settings.sample.json, the two files both hosts' configuration starts from.</summary>
public sealed class HostSettingsTests
{
    private static readonly string HostJson = File.ReadAllText(Path.Combine(Repository.Root, "host.json"));

    [Fact]
    public void HostJson_IsValidAgainstThePublicSchema()
    {
        var schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(Repository.Root, "..", "shared", "schemas", "host.schema.json")));

        var result = schema.Evaluate(JsonDocument.Parse(HostJson).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.True(result.IsValid, string.Join("; ", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    [Fact]
    public void HostJson_TakesTheTaskHubFromTheSettingBothHostsRead_AndPoisonsAfterFiveAttempts()
    {
        var host = JsonNode.Parse(HostJson)!;

        Assert.Equal("%Durable__TaskHub%", host["extensions"]!["durableTask"]!["hubName"]!.GetValue<string>());
        Assert.Equal(4, host["extensions"]!["durableTask"]!["storageProvider"]!["partitionCount"]!.GetValue<int>());
        Assert.Equal(5, host["extensions"]!["queues"]!["maxDequeueCount"]!.GetValue<int>());
    }

    [Fact]
    public void HostJson_SpeaksOpenTelemetry_AsTheWorkersExportersDo()
    {
        // One schema for the host's and the worker's telemetry (the worker exports with OpenTelemetry).
        Assert.Equal("OpenTelemetry", JsonNode.Parse(HostJson)!["telemetryMode"]?.GetValue<string>());
    }

    [Fact]
    public void SettingsSample_ListsEveryKeyTheHostsRead()
    {
        var values = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.Root, "local.settings.sample.json")))!["Values"]!.AsObject();
        (Type Options, string Section)[] read =
        [
            (typeof(DashScopeOptions), DashScopeOptions.SectionName),
            (typeof(WorkflowOptions), WorkflowOptions.SectionName),
            (typeof(QueueIntakeOptions), QueueIntakeOptions.SectionName),
            (typeof(InboxOptions), InboxOptions.SectionName),
            (typeof(HttpApiOptions), HttpApiOptions.SectionName),
            (typeof(EngineOptions), EngineOptions.SectionName),
        ];

        var missing = read
            .SelectMany(r => r.Options.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanWrite && p.SetMethod!.IsPublic)
                .Select(p => $"{r.Section.Replace(":", "__", StringComparison.Ordinal)}__{p.Name}"))
            .Concat(["AzureWebJobsStorage", "FUNCTIONS_WORKER_RUNTIME"])
            .Where(key => !values.ContainsKey(key))
            .ToArray();

        Assert.True(missing.Length == 0, "missing: " + string.Join(", ", missing));
        Assert.Equal("UseDevelopmentStorage=true", values["AzureWebJobsStorage"]!.GetValue<string>());
        Assert.Equal("dotnet-isolated", values["FUNCTIONS_WORKER_RUNTIME"]!.GetValue<string>());
    }

    [Fact]
    public void FunctionsOutput_CarriesHostJson()
    {
        Assert.Equal(HostJson, File.ReadAllText(Path.Combine(Repository.FunctionsOutput, "host.json")));
    }
}
