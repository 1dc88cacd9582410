using System.CommandLine;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using VaceFunctions.Local.Hosting;

namespace VaceFunctions.Local.Cli;

/// <summary>
/// <c>vace submit | status | list | cancel</c>: talk to a running host (<c>vace serve</c>, or the Functions app)
/// through its HTTP API. The key comes from <c>--api-key</c> or the environment variable <c>VACE_API_KEY</c>; on the
/// host's own machine none is needed.
/// </summary>
public static class JobsClientCommands
{
    private static readonly Option<string> Url = new("--url") { Description = "The host's address.", DefaultValueFactory = _ => VaceLocalHost.DefaultUrl };
    private static readonly Option<string?> ApiKey = new("--api-key")
    {
        Description = "This client's key for the host's HTTP API (default: the environment variable VACE_API_KEY; none is needed on the host's machine).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("VACE_API_KEY"),
    };

    public static IEnumerable<Command> Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "The job document (JSON)." };
        var wait = new Option<bool>("--wait") { Description = "Follow the job until it ends, showing its progress." };
        var submit = new Command("submit", "Submit a job document to a running host.") { file, wait, Url, ApiKey };
        submit.SetAction((p, ct) => Guarded(p, () => SubmitAsync(p, p.GetValue(file)!, p.GetValue(wait), ct)));

        var id = new Argument<string>("id") { Description = "The job id." };
        var status = new Command("status", "Show a job's status and result.") { id, Url, ApiKey };
        status.SetAction((p, ct) => Guarded(p, () => PrintAsync(p, $"api/jobs/{Uri.EscapeDataString(p.GetValue(id)!)}", HttpMethod.Get, ct)));

        var filter = new Option<string?>("--status") { Description = "Only jobs with this outcome (Waiting, Running, Succeeded, Failed, Canceled, TimedOut)." };
        var next = new Option<string?>("--continue") { Description = "The token a previous list printed, for its next page." };
        var list = new Command("list", "List a page of jobs, newest first, each with its outcome.") { filter, next, Url, ApiKey };
        list.SetAction((p, ct) => Guarded(p, () => ListAsync(p, p.GetValue(filter), p.GetValue(next), ct)));

        var cancel = new Command("cancel", "Cancel a job.") { id, Url, ApiKey };
        cancel.SetAction((p, ct) => Guarded(p, () => PrintAsync(p, $"api/jobs/{Uri.EscapeDataString(p.GetValue(id)!)}/cancel", HttpMethod.Post, ct)));
        return [submit, status, list, cancel];
    }

    /// <summary>Runs a command; a host that cannot be reached is a message and exit code 2, not a stack trace.</summary>
    private static async Task<int> Guarded(ParseResult parse, Func<Task<int>> command)
    {
        try
        {
            return await command();
        }
        catch (HttpRequestException ex)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"Cannot reach the host at {parse.GetValue(Url)} ({ex.Message}). Is `vace serve` running?");
            return 2;
        }
    }

    private static async Task<int> SubmitAsync(ParseResult parse, FileInfo file, bool wait, CancellationToken cancellationToken)
    {
        var console = parse.InvocationConfiguration.Output;
        using var http = Client(parse);
        byte[] body;
        try
        {
            body = await File.ReadAllBytesAsync(file.FullName, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await console.WriteLineAsync($"{file}: unreadable — {ex.Message}");
            return 2;
        }

        using var response = await http.PostAsync("api/jobs", new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } }, cancellationToken);
        var answer = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            await console.WriteLineAsync($"Refused ({(int)response.StatusCode}): {Pretty(answer)}");
            return 1;
        }

        var id = JsonNode.Parse(answer)!["id"]!.GetValue<string>();
        await console.WriteLineAsync($"Job {id} accepted.");
        if (!wait)
        {
            return 0;
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        string? last = null;
        while (true)
        {
            using var poll = await http.GetAsync($"api/jobs/{Uri.EscapeDataString(id)}", cancellationToken);
            var view = JsonNode.Parse(await poll.Content.ReadAsStringAsync(cancellationToken))!;
            var progress = view["progress"];
            var line = progress is null
                ? view["runtimeStatus"]!.GetValue<string>()
                : $"{progress["phase"]} {progress["taskStatus"]?.GetValue<string>()} {(progress["pollCount"]?.GetValue<int>() is > 0 and var n ? $"poll {n}" : "")}".TrimEnd();
            if (line != last)
            {
                await console.WriteLineAsync($"[{watch.Elapsed.TotalSeconds,6:F1}s] {line}");
                last = line;
            }

            if (poll.StatusCode == HttpStatusCode.OK)
            {
                var result = view["result"];
                await console.WriteLineAsync(result?["succeeded"]?.GetValue<bool>() == true
                    ? $"Succeeded: {result["blobUrl"]} ({result["size"]} bytes, sha256 {result["sha256"]})"
                    : $"Failed: {view["error"]}");
                return result?["succeeded"]?.GetValue<bool>() == true ? 0 : 1;
            }

            await Task.Delay(1000, cancellationToken);
        }
    }

    private static async Task<int> PrintAsync(ParseResult parse, string path, HttpMethod method, CancellationToken cancellationToken)
    {
        using var http = Client(parse);
        using var response = await http.SendAsync(new HttpRequestMessage(method, path), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        await parse.InvocationConfiguration.Output.WriteLineAsync(body.Length > 0 ? Pretty(body) : $"{(int)response.StatusCode} {response.ReasonPhrase}");
        return response.IsSuccessStatusCode ? 0 : response.StatusCode == HttpStatusCode.NotFound ? 2 : 1;
    }

    /// <summary>Prints one page; when there are more, says how to ask for the next (a page filtered by outcome may be short, even empty).</summary>
    private static async Task<int> ListAsync(ParseResult parse, string? status, string? token, CancellationToken cancellationToken)
    {
        var query = string.Join('&', new[] { ("status", status), ("continuationToken", token) }
            .Where(q => q.Item2 is { Length: > 0 }).Select(q => $"{q.Item1}={Uri.EscapeDataString(q.Item2!)}"));
        using var http = Client(parse);
        using var response = await http.GetAsync(query.Length > 0 ? "api/jobs?" + query : "api/jobs", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        await parse.InvocationConfiguration.Output.WriteLineAsync(body.Length > 0 ? Pretty(body) : $"{(int)response.StatusCode} {response.ReasonPhrase}");
        if (response.Headers.TryGetValues("X-Continuation-Token", out var more))
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"More jobs: add --continue \"{more.First()}\"");
        }

        return response.IsSuccessStatusCode ? 0 : 1;
    }

    private static HttpClient Client(ParseResult parse)
    {
        var http = new HttpClient { BaseAddress = new Uri(parse.GetValue(Url)!.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(100) };
        if (parse.GetValue(ApiKey) is { Length: > 0 } key)
        {
            http.DefaultRequestHeaders.Add("x-api-key", key);
        }

        return http;
    }

    private static string Pretty(string json)
    {
        try
        {
            return JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
