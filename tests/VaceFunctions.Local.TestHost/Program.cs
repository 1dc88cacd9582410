using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VaceFunctions.Local;
using VaceFunctions.Local.Durable;
using VaceFunctions.Local.TestHost;
using VaceFunctions.Local.Workflow;
using VaceFunctions.Orchestrations;

// A host process of the embedded runtime with the toy orchestrations (and the VACE workflow when given a
// DashScope address), for the multi-process and crash tests.
// Usage: TestHost STORAGE HUB [--crash POINT COUNTER_FILE every|odd] [--vace DASHSCOPE_URL STATE_CONTAINER OUTPUT_CONTAINER]
// With a crash point, the process kills itself (SIGKILL) when it reaches that step: every time, or on the odd
// occurrences counted across processes in COUNTER_FILE (so a step that crashes once succeeds when retried).
var storage = args[0];
var hub = args[1];
var crash = Array.IndexOf(args, "--crash") is var c and >= 0 ? (Point: args[c + 1], Counter: args[c + 2], OddOnly: args[c + 3] == "odd") : default;
var vace = Array.IndexOf(args, "--vace") is var v and >= 0 ? (Url: new Uri(args[v + 1]), State: args[v + 2], Output: args[v + 3]) : default;

var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton(new BlobServiceClient(storage));
builder.Services.AddSingleton(new QueueServiceClient(storage));
if (vace.Url is not null)
{
    builder.Configuration.AddInMemoryCollection(TestSettings.Workflow(vace.Url, vace.State, vace.Output));
    builder.Services.AddVaceOrchestrations();
}

builder.Services.AddEmbeddedDurableRuntime(registry =>
{
    Toys.Register(registry);
    registry.AddVaceWorkflow();
});
builder.Services.Configure<DurableOptions>(options =>
{
    options.HubName = hub;
    options.MaxPollInterval = TimeSpan.FromMilliseconds(100);
    options.ControlVisibility = TimeSpan.FromSeconds(2);
    options.ActivityVisibility = TimeSpan.FromSeconds(2);
    options.StepHook = step =>
    {
        if (step != crash.Point)
        {
            return;
        }

        File.AppendAllText(crash.Counter, "x");
        if (!crash.OddOnly || File.ReadAllText(crash.Counter).Length % 2 == 1)
        {
            System.Diagnostics.Process.GetCurrentProcess().Kill();
        }
    };
});
await builder.Build().RunAsync();
