using System.Text.RegularExpressions;
using VaceFunctions.Local.Hosting;

namespace VaceFunctions.Local.Tests.Cli;

/// <summary>
/// The checked examples of README and docs/*.md are what the code prints today. A checked example is a fenced block
/// right after the comment <c>&lt;!-- checked: vace ARGS --&gt;</c>: the test runs <c>vace ARGS</c>, README's first in
/// its order, then each docs/ file's by file name, each in its file's order, as a user would
/// from the repository (a folder holding samples/, no settings, stderr shown with stdout); a command that talks to a
/// host gets the <c>--url</c> and storage account (<c>AzureWebJobsStorage</c>) of a <c>vace serve</c> on its own
/// Azurite with its simulator, as one on the default port and Azurite would be found without them. Only volatile parts are normalised: elapsed times, GUIDs, loopback ports, the demo's timestamp, poll
/// counts and absolute folders. A progress line (<c>[  1.0s] …</c>) shows what a run printed when its sampling saw it,
/// so a run may skip some of the file's progress lines — never print another, or another order — and must print every
/// other line exactly.
/// </summary>
public sealed partial class ReadmeExamplesTests : IAsyncLifetime
{
    private static readonly HashSet<string> HostCommands = ["enqueue", "upload", "submit", "status", "list", "cancel"];

    private readonly DirectoryInfo _repository = Directory.CreateTempSubdirectory("vace-readme-");
    private AzuriteProcess _azurite = null!;
    private HostProcess _host = null!;

    public async Task InitializeAsync()
    {
        var samples = _repository.CreateSubdirectory("samples");
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "samples")))
        {
            File.Copy(file, Path.Combine(samples.FullName, Path.GetFileName(file)));
        }

        _azurite = await AzuriteProcess.StartAsync();
        var settings = new Dictionary<string, string?>(Storage) { ["DashScope:ApiKey"] = null, ["DashScope:BaseUrl"] = null };
        _host = HostProcess.Start(HostProcess.FreePort(), settings, _repository.FullName);
        await _host.WaitUntilServingAsync();
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _azurite.DisposeAsync();
        _repository.Delete(recursive: true);
    }

    [Fact]
    public async Task Readme_CheckedExamples_AreWhatTheCommandsPrint()
    {
        var readme = Examples(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "README.md")));
        Assert.Contains(readme, e => e.Command == "vace demo");
        Assert.Contains(readme, e => e.Command.StartsWith("vace enqueue ", StringComparison.Ordinal));

        var docs = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "docs"), "*.md").Order(StringComparer.Ordinal);
        var files = new List<(string File, (string Command, string Shown)[] Examples)> { ("README.md", readme) };
        foreach (var doc in docs)
        {
            files.Add(("docs/" + Path.GetFileName(doc), Examples(await File.ReadAllTextAsync(doc))));
        }

        Assert.Contains(files.Skip(1).SelectMany(f => f.Examples), e => e.Command.StartsWith("vace validate ", StringComparison.Ordinal));

        foreach (var (file, examples) in files)
        {
            foreach (var (command, shown) in examples)
            {
                await AssertPrintsAsync(file, command, shown);
            }
        }
    }

    private static (string Command, string Shown)[] Examples(string text) =>
        CheckedExample().Matches(text).Select(m => (Command: m.Groups["command"].Value, Shown: m.Groups["output"].Value)).ToArray();

    private async Task AssertPrintsAsync(string file, string command, string shown)
    {
        var args = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        var forHost = HostCommands.Contains(args[0]);
        if (forHost)
        {
            args.AddRange(["--url", $"http://127.0.0.1:{_host.Port}"]);
        }

        var (_, printed, _) = await VaceProcess.RunAsync(args, forHost ? Storage : null, workingDirectory: _repository.FullName, mergeErrors: true);

        var expected = Lines(shown);
        var actual = Lines(printed);
        Assert.True(
            IsSubsequence(actual, expected) && expected.Except(actual).All(IsProgress),
            $"{file}'s example of `{command}` differs from what it prints.\n{file}:\n{shown}\nprinted:\n{printed}");
    }

    /// <summary>Normalised lines, a line repeated at once counted once (a poll count that changed is no new line).</summary>
    private static List<string> Lines(string text)
    {
        var lines = new List<string>();
        foreach (var line in text.TrimEnd().Split('\n').Select(l => Normalise(l.TrimEnd('\r'))))
        {
            if (lines.Count == 0 || lines[^1] != line)
            {
                lines.Add(line);
            }
        }

        return lines;
    }

    private static string Normalise(string line)
    {
        line = Elapsed().Replace(line, "[N s]");
        line = Guid().Replace(line, "<guid>");
        line = LoopbackPort().Replace(line, "127.0.0.1:<port>");
        line = DemoStamp().Replace(line, "<time>");
        line = PollCount().Replace(line, "poll N");
        return AbsoluteFolder().Replace(line, "<folder>/");
    }

    private static bool IsProgress(string line) => line.StartsWith("[N s] ", StringComparison.Ordinal);

    private static bool IsSubsequence(List<string> part, List<string> whole)
    {
        var at = 0;
        foreach (var line in part)
        {
            at = whole.IndexOf(line, at) + 1;
            if (at == 0)
            {
                return false;
            }
        }

        return true;
    }

    private Dictionary<string, string?> Storage => new() { ["AzureWebJobsStorage"] = _azurite.ConnectionString };

    [GeneratedRegex(@"<!-- checked: (?<command>vace [^\n]*?) -->\n```[a-z]*\n(?<output>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex CheckedExample();

    [GeneratedRegex(@"^\[\s*\d+\.\ds\]")]
    private static partial Regex Elapsed();

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Guid();

    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex LoopbackPort();

    [GeneratedRegex(@"(?<=demo-[a-z-]+-)\d{14}")]
    private static partial Regex DemoStamp();

    [GeneratedRegex(@"poll \d+")]
    private static partial Regex PollCount();

    [GeneratedRegex(@"(?<=^|\s)/\S*/")]
    private static partial Regex AbsoluteFolder();
}
