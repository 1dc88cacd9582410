namespace VaceFunctions.Local.Tests.Cli;

/// <summary>The command line as a whole: a line that does not parse is a usage error that names what is wrong.</summary>
public sealed class VaceCliTests
{
    [Fact]
    public async Task UnknownFlag_IsNamedOnStderr_AndExitsTwo()
    {
        var (exitCode, output, error) = await VaceProcess.RunAsync("demo", "--smaple", "video_edit");

        Assert.Equal((2, ""), (exitCode, output));
        Assert.Contains("'--smaple'", error, StringComparison.Ordinal);
        Assert.Contains("See `vace demo --help`.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadValue_NamesItsFlag_AndExitsTwo()
    {
        var (exitCode, output, error) = await VaceProcess.RunAsync("validate", "--region", "mars", "samples/video_edit.json");

        Assert.Equal((2, ""), (exitCode, output));
        Assert.StartsWith("--region: Argument 'mars' not recognized.", error, StringComparison.Ordinal);
        Assert.Contains("See `vace validate --help`.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingArgument_IsAUsageError_AndHelpStillWorks()
    {
        var missing = await VaceProcess.RunAsync("status");
        Assert.Equal((2, ""), (missing.ExitCode, missing.Output));
        Assert.Contains("Required argument missing for command: 'status'.", missing.Error, StringComparison.Ordinal);

        var help = await VaceProcess.RunAsync("status", "--help");
        Assert.Equal((0, ""), (help.ExitCode, help.Error));
        Assert.Contains("--json", help.Output, StringComparison.Ordinal);
    }
}
