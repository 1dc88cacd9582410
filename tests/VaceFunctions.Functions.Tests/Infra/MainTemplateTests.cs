using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace VaceFunctions.Functions.Tests.Infra;

/// <summary>
/// infra/ as ARM will run it (the compiled template) and as azd will (azure.yaml, main.parameters.json, the hooks):
/// a first <c>azd up</c> cannot fail on a key the fresh app lacks, and a later provision keeps what the operator set.
/// </summary>
public sealed partial class MainTemplateTests
{
    private static readonly string Infra = Path.Combine(Repository.Root, "infra");

    private static JsonObject AppSettings => (JsonObject)CompiledTemplate
        .Resources(CompiledTemplate.Module("functionapp"), "Microsoft.Web/sites/config").Single()["properties"]!;

    [Fact]
    public void Template_CallsNoListFunction()
    {
        // ARM may evaluate a list function even in a resource whose condition is false; on a fresh app the host has
        // no blobs_extension key, so such a call fails the first provision.
        var calls = ListCall().Matches(CompiledTemplate.Root.ToJsonString()).Select(m => m.Value).Distinct().ToArray();

        Assert.True(calls.Length == 0, "list functions: " + string.Join(", ", calls));
    }

    [Fact]
    public void Template_LeavesTheEventSubscriptionToThePostdeployHook()
    {
        var resources = ModuleNames().SelectMany(m => CompiledTemplate.AllResources(CompiledTemplate.Module(m)))
            .Select(r => r["type"]!.GetValue<string>()).ToArray();

        Assert.Contains("Microsoft.EventGrid/systemTopics", resources);
        Assert.DoesNotContain("Microsoft.EventGrid/systemTopics/eventSubscriptions", resources);
    }

    [Theory]
    [InlineData("posix", "sh", "./infra/hooks/postdeploy.sh")]
    [InlineData("windows", "pwsh", "./infra/hooks/postdeploy.ps1")]
    public void AzureYaml_SubscribesTheBlobTriggerAfterEveryDeploy(string platform, string shell, string script)
    {
        var azureYaml = File.ReadAllText(Path.Combine(Repository.Root, "azure.yaml"));
        var hook = Regex.Match(azureYaml, $@"(?m)^hooks:\n  postdeploy:\n(?:    .*\n)*?    {platform}:\n      shell: (\S+)\n      run: (\S+)\n");
        Assert.True(hook.Success, $"azure.yaml has no postdeploy hook for {platform}");
        Assert.Equal(shell, hook.Groups[1].Value);
        Assert.Equal(script, hook.Groups[2].Value);

        var text = File.ReadAllText(Path.Combine(Repository.Root, script));
        Assert.Contains($"functionName=Host.Functions.{nameof(StartJobFromBlob)}&code=", text, StringComparison.Ordinal);
        Assert.Contains("systemKeys.blobs_extension", text, StringComparison.Ordinal);
        Assert.Contains("--subject-ends-with /job.json", text, StringComparison.Ordinal);

        // What the hook reads is what provisioning left in the azd environment: the template's outputs (and the
        // subscription, which azd itself keeps there).
        var outputs = CompiledTemplate.Root["outputs"]!.AsObject().Select(o => o.Key).Append("AZURE_SUBSCRIPTION_ID");
        var read = EnvironmentName().Matches(text).Select(m => m.Value).Distinct();
        Assert.Empty(read.Except(outputs));
    }

    [Fact]
    public void ApiKeySetting_IsAKeyVaultReference_EvenWhenNoKeyIsGiven()
    {
        // The secret is written only when this provision has the key; the reference, always.
        var keyVault = CompiledTemplate.Module("keyvault");
        var secret = CompiledTemplate.Resources(keyVault, "Microsoft.KeyVault/vaults/secrets")
            .Single(s => s["properties"]!["value"]!.GetValue<string>() == "[parameters('dashScopeApiKey')]");
        Assert.Equal("[not(empty(parameters('dashScopeApiKey')))]", secret["condition"]!.GetValue<string>());

        var uri = keyVault["outputs"]!["apiKeySecretUri"]!["value"]!.GetValue<string>();
        Assert.Contains(".vaultUri, parameters('secretName'))", uri, StringComparison.Ordinal);
        Assert.DoesNotContain("Microsoft.KeyVault/vaults/secrets", uri, StringComparison.Ordinal);
        Assert.Contains("'keyvault'", CompiledTemplate.ModuleParameters("functionapp")["apiKeySecretUri"]!["value"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("[format('@Microsoft.KeyVault(SecretUri={0})', parameters('apiKeySecretUri'))]", AppSettings["DashScope__ApiKey"]!.GetValue<string>());
    }

    [Fact]
    public void AppSettings_HangOnNoCondition()
    {
        // sites/config/appsettings replaces every setting: one that a provision run may leave empty is wiped by it.
        var conditional = AppSettings.Where(s => s.Value!.GetValue<string>() is var v && (v.Contains("if(", StringComparison.Ordinal)
            || v.Contains("empty(", StringComparison.Ordinal) || v.Contains("coalesce(", StringComparison.Ordinal))).Select(s => s.Key).ToArray();

        Assert.True(conditional.Length == 0, "conditional settings: " + string.Join(", ", conditional));
    }

    [Fact]
    public void AppSettings_CarryTheCallbackSecretAndAllowedContainers_FromParameters()
    {
        Assert.Equal("[format('@Microsoft.KeyVault(SecretUri={0})', parameters('callbackSecretUri'))]", AppSettings["Vace__CallbackSecret"]!.GetValue<string>());
        Assert.Equal("[parameters('allowedOutputContainers')]", AppSettings["Vace__AllowedOutputContainers"]!.GetValue<string>());

        var keyVault = CompiledTemplate.Module("keyvault");
        var secret = CompiledTemplate.Resources(keyVault, "Microsoft.KeyVault/vaults/secrets")
            .Single(s => s["properties"]!["value"]!.GetValue<string>() == "[parameters('callbackSecret')]");
        Assert.Equal("[not(empty(parameters('callbackSecret')))]", secret["condition"]!.GetValue<string>());
        Assert.Contains(".vaultUri, parameters('callbackSecretName'))", keyVault["outputs"]!["callbackSecretUri"]!["value"]!.GetValue<string>(), StringComparison.Ordinal);

        var parameters = CompiledTemplate.Root["parameters"]!;
        Assert.Equal("securestring", parameters["callbackSecret"]!["type"]!.GetValue<string>());
        Assert.Equal("securestring", parameters["dashScopeApiKey"]!["type"]!.GetValue<string>());
        Assert.Equal("${VACE_CALLBACK_SECRET=}", AzdParameters()["callbackSecret"]!["value"]!.GetValue<string>());
        Assert.Equal("${VACE_ALLOWED_OUTPUT_CONTAINERS=}", AzdParameters()["allowedOutputContainers"]!["value"]!.GetValue<string>());
    }

    /// <summary>The face's client keys survive a provision: a parameter, not settings added by hand.</summary>
    [Fact]
    public void AppSettings_CarryTheFacesClientKeys_FromAParameter()
    {
        Assert.Equal("[parameters('httpClientKeys')]", AppSettings["Vace__Http__KeyList"]!.GetValue<string>());
        Assert.Equal("${VACE_HTTP_CLIENT_KEYS=}", AzdParameters()["httpClientKeys"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public void EveryParameter_IsSetFromAnAzdVariable()
    {
        var unmapped = CompiledTemplate.Root["parameters"]!.AsObject().Select(p => p.Key).Where(p => !AzdParameters().ContainsKey(p)).ToArray();

        Assert.True(unmapped.Length == 0, "not in main.parameters.json: " + string.Join(", ", unmapped));
    }

    [Fact]
    public void Outputs_CarryNoSecret()
    {
        var outputs = CompiledTemplate.Root["outputs"]!.ToJsonString();

        Assert.DoesNotContain("dashScopeApiKey", outputs, StringComparison.Ordinal);
        Assert.DoesNotContain("callbackSecret", outputs, StringComparison.Ordinal);
    }

    private static JsonObject AzdParameters() =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Infra, "main.parameters.json")))!["parameters"]!;

    private static IEnumerable<string> ModuleNames() => CompiledTemplate.Resources(CompiledTemplate.Root, "Microsoft.Resources/deployments")
        .Select(d => d["name"]!.GetValue<string>());

    [GeneratedRegex(@"(?<![A-Za-z0-9_.])list[A-Za-z]*\(", RegexOptions.IgnoreCase)]
    private static partial Regex ListCall();

    [GeneratedRegex(@"\b(?:AZURE|VACE)_[A-Z_]+\b")]
    private static partial Regex EnvironmentName();
}
