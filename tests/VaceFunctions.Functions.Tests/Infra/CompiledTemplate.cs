using System.Diagnostics;
using System.Text.Json.Nodes;

namespace VaceFunctions.Functions.Tests.Infra;

/// <summary>infra/main.bicep compiled to its ARM template by the Bicep CLI that scripts/bicep.sh pins and restores.</summary>
internal static class CompiledTemplate
{
    private static readonly Lazy<JsonObject> Main = new(Build);

    /// <summary>The subscription-scope template, with every module's template nested in its deployment.</summary>
    public static JsonObject Root => Main.Value;

    /// <summary>The template of module <paramref name="deployment"/> (its deployment's name in main.bicep).</summary>
    public static JsonObject Module(string deployment) => (JsonObject)Deployment(deployment)["properties"]!["template"]!;

    /// <summary>The parameter values main.bicep passes to module <paramref name="deployment"/>.</summary>
    public static JsonObject ModuleParameters(string deployment) => (JsonObject)Deployment(deployment)["properties"]!["parameters"]!;

    /// <summary>The resources of <paramref name="template"/> of the given type.</summary>
    public static IEnumerable<JsonObject> Resources(JsonObject template, string type) =>
        AllResources(template).Where(r => r["type"]!.GetValue<string>() == type);

    /// <summary>
    /// The resources of <paramref name="template"/>, declared or <c>existing</c>: an array, or an object by symbolic
    /// name in a template of language version 2.0 (which Bicep emits for some modules).
    /// </summary>
    public static IEnumerable<JsonObject> AllResources(JsonObject template) => template["resources"] switch
    {
        JsonArray array => array.OfType<JsonObject>(),
        JsonObject byName => byName.Select(r => r.Value).OfType<JsonObject>(),
        _ => [],
    };

    private static JsonObject Deployment(string name) =>
        Resources(Root, "Microsoft.Resources/deployments").Single(r => r["name"]!.GetValue<string>() == name);

    private static JsonObject Build()
    {
        var cli = Run("bash", Path.Combine(Repository.Root, "scripts", "bicep.sh"), "--cli-path").Trim();
        return (JsonObject)JsonNode.Parse(Run(cli, "build", Path.Combine(Repository.Root, "infra", "main.bicep"), "--stdout"))!;
    }

    private static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repository.Root };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in 5 minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Result}");
        }

        return output.Result;
    }
}
