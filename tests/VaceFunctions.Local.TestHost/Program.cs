using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VaceFunctions.Local;
using VaceFunctions.Local.Durable;
using VaceFunctions.Local.TestHost;

// A host process of the embedded runtime with the toy orchestrations, for the multi-process and crash tests.
// Usage: TestHost STORAGE_CONNECTION_STRING HUB [CRASH_POINT COUNTER_FILE every|odd]
// With a crash point, the process kills itself (SIGKILL) when it reaches that step: every time, or on the odd
// occurrences counted across processes in COUNTER_FILE (so a step that crashes once succeeds when retried).
var storage = args[0];
var hub = args[1];
var crashPoint = args.Length > 4 ? args[2] : null;
var counterFile = args.Length > 4 ? args[3] : null;
var oddOnly = args.Length > 4 && args[4] == "odd";

var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton(new BlobServiceClient(storage));
builder.Services.AddSingleton(new QueueServiceClient(storage));
builder.Services.AddEmbeddedDurableRuntime(Toys.Register);
builder.Services.Configure<DurableOptions>(options =>
{
    options.HubName = hub;
    options.MaxPollInterval = TimeSpan.FromMilliseconds(100);
    options.ControlVisibility = TimeSpan.FromSeconds(2);
    options.ActivityVisibility = TimeSpan.FromSeconds(2);
    options.StepHook = step =>
    {
        if (step != crashPoint)
        {
            return;
        }

        File.AppendAllText(counterFile!, "x");
        if (!oddOnly || File.ReadAllText(counterFile!).Length % 2 == 1)
        {
            System.Diagnostics.Process.GetCurrentProcess().Kill();
        }
    };
});
await builder.Build().RunAsync();
