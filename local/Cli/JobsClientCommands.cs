using System.CommandLine;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.Http;
using VaceFunctions.Orchestrations.Jobs;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Local.Cli;

/// <summary>
/// <c>vace submit | status | list | cancel</c>: talk to a running host (<c>vace serve</c>, or the Functions app)
/// through its HTTP API. The key comes from <c>--api-key</c> or the environment variable <c>VACE_API_KEY</c>; on the
/// host's own machine none is needed.
/// </summary>
public static class JobsClientCommands
{
    internal static readonly Option<string> Url = new("--url") { Description = "The host's address.", DefaultValueFactory = _ => VaceLocalHost.DefaultUrl };
    internal static readonly Option<string?> ApiKey = new("--api-key")
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
        var json = new Option<bool>("--json") { Description = "Print the host's answer as JSON, for machines." };
        var status = new Command("status", "Show a job's status and result (exit code 1 once it failed).") { id, json, Url, ApiKey };
        status.SetAction((p, ct) => Guarded(p, () => StatusAsync(p, p.GetValue(id)!, p.GetValue(json), ct)));

        var filter = new Option<string?>("--status") { Description = "Only jobs with this outcome (Waiting, Running, Succeeded, Failed, Canceled, TimedOut)." };
        var next = new Option<string?>("--continue") { Description = "The token a previous list printed, for its next page." };
        var list = new Command("list", "List a page of jobs, newest first, each with its outcome.") { filter, next, Url, ApiKey };
        list.SetAction((p, ct) => Guarded(p, () => ListAsync(p, p.GetValue(filter), p.GetValue(next), ct)));

        var cancel = new Command("cancel", "Cancel a job.") { id, Url, ApiKey };
        cancel.SetAction((p, ct) => Guarded(p, () => CancelAsync(p, p.GetValue(id)!, ct)));
        return [submit, status, list, cancel];
    }

    /// <summary>How long <c>--wait</c> waits for a host to take in a job it does not know yet (from the queue or the inbox).</summary>
    private static readonly TimeSpan TakeInTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Runs a command; a host that cannot be reached is a message and exit code 2, not a stack trace.</summary>
    internal static async Task<int> Guarded(ParseResult parse, Func<Task<int>> command)
    {
        try
        {
            return await command();
        }
        catch (HttpRequestException ex)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"Cannot reach the host at {parse.GetValue(Url)} ({ex.Message}). Is `vace serve` running?");
            return ExitCodes.Usage;
        }
    }

    private static async Task<int> SubmitAsync(ParseResult parse, FileInfo file, bool wait, CancellationToken cancellationToken)
    {
        var (output, error) = (parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
        using var http = Client(parse);
        byte[] body;
        try
        {
            body = await File.ReadAllBytesAsync(file.FullName, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"{file}: unreadable — {ex.Message}");
            return ExitCodes.Usage;
        }

        using var response = await http.PostAsync("api/jobs", new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } }, cancellationToken);
        var answer = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            return await RefusedAsync(error, response, answer);
        }

        var accepted = JsonNode.Parse(answer)!;
        var id = accepted["id"]!.GetValue<string>();
        await WriteIssuesAsync(error, accepted["warnings"]);
        if (accepted["created"]?.GetValue<bool>() == false)
        {
            // The id names a job that exists already (the same document, or one with the same id): nothing new was started.
            var (_, existing) = await ReadStatusAsync(http, id, cancellationToken);
            await output.WriteLineAsync($"Job {id} already exists; nothing new was started. Its state:");
            foreach (var line in existing is null ? [$"Job {id}: unknown"] : JobSummary.Lines(existing))
            {
                await output.WriteLineAsync("  " + line);
            }
        }
        else
        {
            await output.WriteLineAsync($"Job {id} accepted.");
        }

        return wait ? await FollowAsync(http, [id], "waiting for the host to take it in", output, error, cancellationToken) : ExitCodes.Ok;
    }

    /// <summary>
    /// Polls the jobs every second, printing each one's progress when it changes, and each one's result once all have
    /// ended; exit code 1 when any failed. A job the host does not know yet shows <paramref name="notYetTaken"/> until
    /// the host takes it in from the queue or inbox it was put on, for up to <see cref="TakeInTimeout"/>.
    /// </summary>
    internal static async Task<int> FollowAsync(
        HttpClient http, IReadOnlyList<string> ids, string notYetTaken, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var display = new ProgressDisplay(output, ids.Count);
        var ended = new Dictionary<string, JobStatusView?>(StringComparer.Ordinal);
        while (true)
        {
            foreach (var id in ids.Where(id => !ended.ContainsKey(id)))
            {
                var (code, view) = await ReadStatusAsync(http, id, cancellationToken);
                if (view is not null)
                {
                    await display.ShowAsync(id, view.Progress is { } progress ? ProgressDisplay.Describe(progress) : view.RuntimeStatus);
                    if (code == HttpStatusCode.OK)
                    {
                        ended[id] = view;
                    }
                }
                else if (code != HttpStatusCode.NotFound)
                {
                    await error.WriteLineAsync($"Job {id}: the host answers {(int)code}.");
                    ended[id] = null;
                }
                else if (display.Elapsed > TakeInTimeout)
                {
                    await error.WriteLineAsync($"Job {id}: no host took it in within {TakeInTimeout.TotalMinutes:F0} minutes. Does `vace serve` run on the same storage account?");
                    ended[id] = null;
                }
                else
                {
                    await display.ShowAsync(id, notYetTaken);
                }
            }

            if (ended.Count == ids.Count)
            {
                break;
            }

            await Task.Delay(1000, cancellationToken);
        }

        var failed = false;
        foreach (var view in ids.Select(id => ended[id]))
        {
            failed |= view is null || await WriteSummaryAsync(view, output, error) != ExitCodes.Ok;
        }

        return failed ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static async Task<int> StatusAsync(ParseResult parse, string id, bool json, CancellationToken cancellationToken)
    {
        using var http = Client(parse);
        using var response = await http.GetAsync($"api/jobs/{Uri.EscapeDataString(id)}", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return await RefusedAsync(parse.InvocationConfiguration.Error, response, body);
        }

        var view = JsonSerializer.Deserialize<JobStatusView>(body, WorkflowJson.Options)!;
        if (json)
        {
            await parse.InvocationConfiguration.Output.WriteLineAsync(CliJson.Pretty(body));
            return JobSummary.Failed(view) ? ExitCodes.Failed : ExitCodes.Ok;
        }

        return await WriteSummaryAsync(view, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
    }

    /// <summary>The job's summary: to stdout while it runs or once it succeeded, to stderr once it failed (exit code 1).</summary>
    private static async Task<int> WriteSummaryAsync(JobStatusView view, TextWriter output, TextWriter error)
    {
        var failed = JobSummary.Failed(view);
        foreach (var line in JobSummary.Lines(view))
        {
            await (failed ? error : output).WriteLineAsync(line);
        }

        return failed ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static async Task<int> CancelAsync(ParseResult parse, string id, CancellationToken cancellationToken)
    {
        using var http = Client(parse);
        using var response = await http.PostAsync($"api/jobs/{Uri.EscapeDataString(id)}/cancel", content: null, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return await RefusedAsync(parse.InvocationConfiguration.Error, response, await response.Content.ReadAsStringAsync(cancellationToken));
        }

        await parse.InvocationConfiguration.Output.WriteLineAsync(
            $"Job {id}: cancel requested; it ends as Canceled at its next wait (`vace status {id}` shows when).");
        return ExitCodes.Ok;
    }

    /// <summary>The job's status as the host answers it, or null when the host does not know the job.</summary>
    private static async Task<(HttpStatusCode Code, JobStatusView? View)> ReadStatusAsync(HttpClient http, string id, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"api/jobs/{Uri.EscapeDataString(id)}", cancellationToken);
        return (response.StatusCode, response.IsSuccessStatusCode
            ? JsonSerializer.Deserialize<JobStatusView>(await response.Content.ReadAsStringAsync(cancellationToken), WorkflowJson.Options)
            : null);
    }

    /// <summary>
    /// A refusal on stderr: the host's problem title and every error of a rejected document. An unknown job or a refused
    /// key is a usage error (2); anything else the host refused counts as failed (1).
    /// </summary>
    internal static async Task<int> RefusedAsync(TextWriter error, HttpResponseMessage response, string body)
    {
        var problem = ParseObject(body);
        var title = problem?["title"]?.GetValue<string>() ?? (body.Length > 0 ? body : response.ReasonPhrase);
        await error.WriteLineAsync(response.StatusCode == HttpStatusCode.NotFound ? title : $"Refused ({(int)response.StatusCode}): {title}");
        await WriteIssuesAsync(error, problem?["errors"]);
        await WriteIssuesAsync(error, problem?["warnings"]);
        return response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? ExitCodes.Usage : ExitCodes.Failed;
    }

    private static JsonObject? ParseObject(string json)
    {
        try
        {
            return json.Length > 0 ? JsonNode.Parse(json) as JsonObject : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static async Task WriteIssuesAsync(TextWriter error, JsonNode? issues)
    {
        foreach (var issue in issues?.Deserialize<JobIssue[]>(WorkflowJson.Options) ?? [])
        {
            await error.WriteLineAsync(JobSummary.IssueLine(issue));
        }
    }

    /// <summary>Prints one page; when there are more, says how to ask for the next (a page filtered by outcome may be short, even empty).</summary>
    private static async Task<int> ListAsync(ParseResult parse, string? status, string? token, CancellationToken cancellationToken)
    {
        var query = string.Join('&', new[] { ("status", status), ("continuationToken", token) }
            .Where(q => q.Item2 is { Length: > 0 }).Select(q => $"{q.Item1}={Uri.EscapeDataString(q.Item2!)}"));
        using var http = Client(parse);
        using var response = await http.GetAsync(query.Length > 0 ? "api/jobs?" + query : "api/jobs", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return await RefusedAsync(parse.InvocationConfiguration.Error, response, body);
        }

        await parse.InvocationConfiguration.Output.WriteLineAsync(CliJson.Pretty(body));
        if (response.Headers.TryGetValues("X-Continuation-Token", out var more))
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"More jobs: add --continue \"{more.First()}\"");
        }

        return ExitCodes.Ok;
    }

    internal static HttpClient Client(ParseResult parse)
    {
        var http = new HttpClient { BaseAddress = new Uri(parse.GetValue(Url)!.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(100) };
        if (parse.GetValue(ApiKey) is { Length: > 0 } key)
        {
            http.DefaultRequestHeaders.Add("x-api-key", key);
        }

        return http;
    }
}
