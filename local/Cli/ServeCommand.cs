using System.CommandLine;
using Microsoft.Extensions.Hosting;
using VaceFunctions.Local.Hosting;
using VaceFunctions.Orchestrations.Telemetry;

namespace VaceFunctions.Local.Cli;

/// <summary>
/// <c>vace serve</c>: runs the host — Durable Task engine, job queue, blob inbox and HTTP API — until Ctrl+C, on
/// http://127.0.0.1:7071 like <c>func start</c>. Starts Azurite (data in ./.azurite) when no storage is configured
/// and none runs on the default ports, and the simulator when no DashScope key is configured (its tasks and port kept in
/// ./.azurite/simulator.json, so a restarted serve continues the jobs of one that was killed). <c>--verbose</c> writes
/// the jobs' traces and metrics to the console too.
/// </summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Where the HTTP API listens.", DefaultValueFactory = _ => VaceLocalHost.DefaultUrl };
        var verbose = new Option<bool>("--verbose") { Description = "Also write every trace and metric of the jobs to the console." };
        var command = new Command("serve", "Run the host: Durable Task engine, job queue, blob inbox and HTTP API, until Ctrl+C.") { urls, verbose };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var console = parseResult.InvocationConfiguration.Output;
            var url = parseResult.GetValue(urls)!;
            await using var development = await DevelopmentServices.StartAsync(
                VaceLocalHost.ReadConfiguration([]), dataLocation: Path.GetFullPath(".azurite"), cancellationToken: cancellationToken);
            if (development.UsesSimulator)
            {
                await console.WriteLineAsync($"DashScope: the simulator at {development.Simulator!.BaseUrl} (no API key configured).");
            }

            var overrides = new Dictionary<string, string?>(development.Overrides);
            if (parseResult.GetValue(verbose))
            {
                overrides[VaceTelemetryExport.ConsoleKey] = "true";
            }

            await using var host = VaceLocalHost.Build(["--urls", url], overrides);
            await host.StartAsync(cancellationToken);
            await console.WriteLineAsync($"VaceFunctions host on {string.Join(", ", host.Urls)}: POST /api/jobs, GET /api/jobs/{{id}}, /openapi/v1.json. Ctrl+C to stop.");
            await host.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
