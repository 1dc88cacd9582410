using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

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
            PoisonCommands.Create(),
            BatchCommands.Create(),
        };
        foreach (var command in JobsClientCommands.Create().Concat(IntakeCommands.Create()))
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    /// <summary>
    /// Parses and runs a command line. A line that does not parse is a usage error: each problem, naming its flag,
    /// and where to find the command's help go to stderr, and the exit code is <see cref="ExitCodes.Usage"/>.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, InvocationConfiguration? configuration = null)
    {
        var parse = Create().Parse(args);
        if (parse.Action is not ParseErrorAction)
        {
            return await parse.InvokeAsync(configuration);
        }

        var error = configuration?.Error ?? Console.Error;
        foreach (var problem in parse.Errors)
        {
            await error.WriteLineAsync(Describe(problem));
        }

        await error.WriteLineAsync($"See `{CommandPath(parse.CommandResult)} --help`.");
        return ExitCodes.Usage;
    }

    /// <summary>A parse error that names its flag, also where the parser's own message only names the value.</summary>
    private static string Describe(ParseError problem)
    {
        var option = problem.SymbolResult switch
        {
            OptionResult result => result.Option,
            ArgumentResult { Parent: OptionResult result } => result.Option,
            _ => null,
        };
        return option is null || problem.Message.Contains(option.Name, StringComparison.Ordinal) ? problem.Message : $"{option.Name}: {problem.Message}";
    }

    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? result = command; result is not null; result = result.Parent)
        {
            if (result is CommandResult { Command: var c })
            {
                names.Insert(0, c is RootCommand ? "vace" : c.Name);
            }
        }

        return string.Join(' ', names);
    }
}
