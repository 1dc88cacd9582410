using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;

namespace VaceFunctions.Local.Cli;

/// <summary>
/// <c>vace batch submit | status | cancel</c>: a batch file of job documents through a running host's HTTP API
/// (<c>/api/batches</c>), with the same <c>--url</c> and key as the job commands.
/// </summary>
public static class BatchCommands
{
    /// <summary>The outcomes a batch counts, in the order they are printed.</summary>
    private static readonly string[] Outcomes = ["waiting", "running", "succeeded", "failed", "canceled", "timedOut", "rejected"];

    public static Command Create()
    {
        var (url, key) = (JobsClientCommands.Url, JobsClientCommands.ApiKey);
        var file = new Argument<FileInfo>("file") { Description = "The batch file: JSON lines (.jsonl) or a JSON array." };
        var wait = new Option<bool>("--wait") { Description = "Follow the batch until it ends, showing its counts." };
        var submit = new Command("submit", "Submit a batch of job documents to a running host.") { file, wait, url, key };
        submit.SetAction((p, ct) => JobsClientCommands.Guarded(p, () => SubmitAsync(p, p.GetValue(file)!, p.GetValue(wait), ct)));

        var id = new Argument<string>("id") { Description = "The batch id." };
        var json = new Option<bool>("--json") { Description = "Print the host's answer as JSON, for machines." };
        var status = new Command("status", "Show a batch's state and counts (exit code 1 once it ended with any line not succeeded).")
        {
            id, json, url, key,
        };
        status.SetAction((p, ct) => JobsClientCommands.Guarded(p, () => StatusAsync(p, p.GetValue(id)!, p.GetValue(json), ct)));

        var cancel = new Command("cancel", "Cancel a batch: jobs not yet running at DashScope are canceled.") { id, url, key };
        cancel.SetAction((p, ct) => JobsClientCommands.Guarded(p, () => CancelAsync(p, p.GetValue(id)!, ct)));
        return new Command("batch", "Batches of job documents: submit, status, cancel.") { submit, status, cancel };
    }

    private static async Task<int> SubmitAsync(ParseResult parse, FileInfo file, bool wait, CancellationToken cancellationToken)
    {
        var (output, error) = (parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
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

        using var http = JobsClientCommands.Client(parse);
        var type = body.AsSpan().TrimStart(" \t\r\n\uFEFF"u8) is [(byte)'[', ..] ? "application/json" : "application/x-ndjson";
        using var response = await http.PostAsync(
            "api/batches", new ByteArrayContent(body) { Headers = { ContentType = new(type) } }, cancellationToken);
        var answer = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            return await JobsClientCommands.RefusedAsync(error, response, answer);
        }

        var accepted = JsonNode.Parse(answer)!;
        var id = accepted["id"]!.GetValue<string>();
        foreach (var line in accepted["rejected"]!.AsArray())
        {
            await error.WriteLineAsync($"line {line!["line"]}: rejected ({line["jobId"]})");
            await JobsClientCommands.WriteIssuesAsync(error, line["errors"]);
        }

        await output.WriteLineAsync(accepted["created"]!.GetValue<bool>()
            ? $"Batch {id} accepted: {accepted["accepted"]} of {accepted["lines"]} lines run."
            : $"Batch {id} already exists; nothing new was started.");
        return wait ? await FollowAsync(http, id, output, error, cancellationToken) : ExitCodes.Ok;
    }

    /// <summary>Polls the batch every second, printing its counts with a progress bar when they change.</summary>
    private static async Task<int> FollowAsync(
        HttpClient http, string id, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        string? shown = null;
        while (true)
        {
            using var response = await http.GetAsync($"api/batches/{Uri.EscapeDataString(id)}", cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Accepted))
            {
                return await JobsClientCommands.RefusedAsync(error, response, body);
            }

            var view = JsonNode.Parse(body)!;
            var line = Describe(view);
            if (line != shown)
            {
                await output.WriteLineAsync(line);
                shown = line;
            }

            if (response.StatusCode == HttpStatusCode.OK)
            {
                return Outcome(view);
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    private static async Task<int> StatusAsync(ParseResult parse, string id, bool json, CancellationToken cancellationToken)
    {
        using var http = JobsClientCommands.Client(parse);
        using var response = await http.GetAsync($"api/batches/{Uri.EscapeDataString(id)}", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Accepted))
        {
            return await JobsClientCommands.RefusedAsync(parse.InvocationConfiguration.Error, response, body);
        }

        var view = JsonNode.Parse(body)!;
        await parse.InvocationConfiguration.Output.WriteLineAsync(json ? CliJson.Pretty(body) : Describe(view));
        return response.StatusCode == HttpStatusCode.OK ? Outcome(view) : ExitCodes.Ok;
    }

    private static async Task<int> CancelAsync(ParseResult parse, string id, CancellationToken cancellationToken)
    {
        using var http = JobsClientCommands.Client(parse);
        using var response = await http.PostAsync($"api/batches/{Uri.EscapeDataString(id)}/cancel", null, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            return await JobsClientCommands.RefusedAsync(
                parse.InvocationConfiguration.Error, response, await response.Content.ReadAsStringAsync(cancellationToken));
        }

        await parse.InvocationConfiguration.Output.WriteLineAsync(
            $"Batch {id}: asked to cancel; jobs not yet running at DashScope will end Canceled.");
        return ExitCodes.Ok;
    }

    /// <summary>One line: <c>Batch b: running [######--------------] 3/10 — 3 succeeded, 7 waiting</c>.</summary>
    internal static string Describe(JsonNode view)
    {
        var counts = view["counts"]!;
        var lines = view["lines"]!.GetValue<int>();
        var ended = lines - counts["waiting"]!.GetValue<int>() - counts["running"]!.GetValue<int>();
        const int Width = 20;
        var filled = lines == 0 ? Width : ended * Width / lines;
        var parts = Outcomes.Select(o => (Name: o == "timedOut" ? "timed out" : o, Count: counts[o]!.GetValue<int>()))
            .Where(o => o.Count > 0).Select(o => $"{o.Count} {o.Name}");
        var state = view["state"]!.GetValue<string>();
        var line = $"Batch {view["id"]}: {state} [{new string('#', filled)}{new string('-', Width - filled)}] "
            + $"{ended}/{lines} — {string.Join(", ", parts)}";
        return view["results"] is { } results ? $"{line}\n  results   {results}" : line;
    }

    /// <summary>0 when every line succeeded, else 1.</summary>
    private static int Outcome(JsonNode view) =>
        view["counts"]!["succeeded"]!.GetValue<int>() == view["lines"]!.GetValue<int>() ? ExitCodes.Ok : ExitCodes.Failed;
}
