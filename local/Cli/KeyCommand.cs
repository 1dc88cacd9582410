using System.CommandLine;
using System.Text.RegularExpressions;
using VaceFunctions.Orchestrations.Http;

namespace VaceFunctions.Local.Cli;

/// <summary>
/// <c>vace key new [--client NAME]</c>: makes an HTTP API key for one client, prints it once, and prints the
/// configuration line that admits it — only the key's hash, so the host's configuration never holds the key.
/// </summary>
public static partial class KeyCommand
{
    public static Command Create()
    {
        var client = new Option<string>("--client")
        {
            Description = "The client's name: letters, digits, '-' and '_' (no '__'), at most 64; it names the client's rate limit and its log lines.",
            DefaultValueFactory = _ => "default",
        };
        client.Validators.Add(result =>
        {
            if (result.GetValue(client) is not { } name || !ClientName().IsMatch(name) || name.Contains("__", StringComparison.Ordinal))
            {
                result.AddError("--client: 1 to 64 letters, digits, '-' or '_' (no '__': it separates configuration sections).");
            }
        });
        var make = new Command("new", "Make a key for a client: prints the key once and the Vace:Http:Keys line with its hash.") { client };
        make.SetAction(async (parse, cancellationToken) =>
        {
            var name = parse.GetValue(client)!;
            var key = ClientKeys.NewKey();
            var hash = ClientKeys.Hash(key);
            var output = parse.InvocationConfiguration.Output;
            await output.WriteLineAsync($"Key for client '{name}' (shown only now; give it to the client, which sends it as x-api-key or Authorization: Bearer):");
            await output.WriteLineAsync($"  {key}");
            await output.WriteLineAsync("Admit it in the host's configuration: in local.settings.json's Values (a running host reads the edit within seconds), or as an environment variable (read at start):");
            await output.WriteLineAsync($"  \"Vace__Http__Keys__{name}\": \"{hash}\"");
            await output.WriteLineAsync($"  Vace__Http__Keys__{name}={hash}");
            return 0;
        });
        return new Command("key", "HTTP API keys.") { make };
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ClientName();
}
