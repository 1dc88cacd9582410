using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;

namespace VaceFunctions.Local.Cli;

/// <summary>
/// <c>vace poison list | show | redrive | delete</c>: the jobs queue's poison messages, through a running host's HTTP
/// API (<c>/api/poison</c>), with the same <c>--url</c> and key as the job commands.
/// </summary>
public static class PoisonCommands
{
    public static Command Create()
    {
        var url = JobsClientCommands.Url;
        var key = JobsClientCommands.ApiKey;
        var list = new Command("list", "The first poison messages (at most 32) with their job ids and reasons, and how many the queue holds.") { url, key };
        list.SetAction((p, ct) => JobsClientCommands.Guarded(p, () => ListAsync(p, ct)));

        var id = new Argument<string>("id") { Description = "The poison message's id (from vace poison list)." };
        var show = new Command("show", "A poison message with its document and why it is there.") { id, url, key };
        show.SetAction((p, ct) => JobsClientCommands.Guarded(p, () => ShowAsync(p, p.GetValue(id)!, ct)));

        var file = new Option<FileInfo?>("--file") { Description = "A corrected job document to send instead of the message's own." };
        var redrive = new Command("redrive", "Validate the message's document again (or --file's) and, when it is valid, send it back to the jobs queue.") { id, file, url, key };
        redrive.SetAction((p, ct) => JobsClientCommands.Guarded(p, () => RedriveAsync(p, p.GetValue(id)!, p.GetValue(file), ct)));

        var delete = new Command("delete", "Delete a poison message (its rejection record stays).") { id, url, key };
        delete.SetAction((p, ct) => JobsClientCommands.Guarded(p, () => DeleteAsync(p, p.GetValue(id)!, ct)));
        return new Command("poison", "The jobs queue's poison messages: list, show, re-drive, delete.") { list, show, redrive, delete };
    }

    private static async Task<int> ListAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        using var http = JobsClientCommands.Client(parse);
        using var response = await http.GetAsync("api/poison", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return await JobsClientCommands.RefusedAsync(parse.InvocationConfiguration.Error, response, body);
        }

        var listing = JsonNode.Parse(body)!;
        var shown = listing["messages"]!.AsArray().Count;
        await parse.InvocationConfiguration.Output.WriteLineAsync(CliJson.Write(listing["messages"]));
        var count = listing["approximateCount"]!.GetValue<int>();
        if (count > shown)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync(
                $"Showing {shown} of about {count}: a queue can be peeked only at its front; re-drive or delete these to see the next.");
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> ShowAsync(ParseResult parse, string id, CancellationToken cancellationToken)
    {
        using var http = JobsClientCommands.Client(parse);
        using var response = await http.GetAsync($"api/poison/{Uri.EscapeDataString(id)}", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return await JobsClientCommands.RefusedAsync(parse.InvocationConfiguration.Error, response, body);
        }

        await parse.InvocationConfiguration.Output.WriteLineAsync(CliJson.Pretty(body));
        return ExitCodes.Ok;
    }

    private static async Task<int> RedriveAsync(ParseResult parse, string id, FileInfo? file, CancellationToken cancellationToken)
    {
        var (output, error) = (parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
        byte[] body = [];
        if (file is not null)
        {
            try
            {
                body = await File.ReadAllBytesAsync(file.FullName, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"{file}: unreadable — {ex.Message}");
                return ExitCodes.Usage;
            }
        }

        using var http = JobsClientCommands.Client(parse);
        using var content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } };
        using var response = await http.PostAsync($"api/poison/{Uri.EscapeDataString(id)}/redrive", content, cancellationToken);
        var answer = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            return await JobsClientCommands.RefusedAsync(error, response, answer);
        }

        var jobId = JsonNode.Parse(answer)!["jobId"]!.GetValue<string>();
        await output.WriteLineAsync($"Message {id} re-driven: job {jobId} is back on the jobs queue (`vace status {jobId}` follows it).");
        return ExitCodes.Ok;
    }

    private static async Task<int> DeleteAsync(ParseResult parse, string id, CancellationToken cancellationToken)
    {
        using var http = JobsClientCommands.Client(parse);
        using var response = await http.DeleteAsync($"api/poison/{Uri.EscapeDataString(id)}", cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return await JobsClientCommands.RefusedAsync(parse.InvocationConfiguration.Error, response, await response.Content.ReadAsStringAsync(cancellationToken));
        }

        await parse.InvocationConfiguration.Output.WriteLineAsync($"Message {id} deleted.");
        return ExitCodes.Ok;
    }
}
