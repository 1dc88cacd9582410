using System.CommandLine;

namespace VaceFunctions.Local.Cli;

/// <summary>The <c>vace</c> command line: one root command with a subcommand per task.</summary>
public static class VaceCli
{
    public static RootCommand Create() => new("VaceFunctions: run Wan VACE video-editing jobs durably, keeping every result in your storage.")
    {
        DemoCommand.Create(),
        ValidateCommand.Create(),
    };
}
