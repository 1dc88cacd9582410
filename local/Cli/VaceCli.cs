using System.CommandLine;

namespace VaceFunctions.Local.Cli;

/// <summary>The <c>vace</c> command line: one root command with a subcommand per task.</summary>
public static class VaceCli
{
    public static RootCommand Create()
    {
        var root = new RootCommand("VaceFunctions: run Wan VACE video-editing jobs durably, keeping every result in your storage.")
        {
            DemoCommand.Create(),
            ServeCommand.Create(),
            ValidateCommand.Create(),
            KeyCommand.Create(),
        };
        foreach (var command in JobsClientCommands.Create())
        {
            root.Subcommands.Add(command);
        }

        return root;
    }
}
