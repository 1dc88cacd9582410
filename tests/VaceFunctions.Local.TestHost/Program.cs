using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VaceFunctions.Local;
using VaceFunctions.Local.Durable;
using VaceFunctions.Local.TestHost;

// A host process of the embedded runtime with the toy orchestrations, for the multi-process and crash tests.
// Usage: TestHost STORAGE_CONNECTION_STRING HUB [CRASH_POINT CRASH_OCCURRENCE]
// With a crash point, the process kills itself (SIGKILL) the given time it reaches that step.
var storage = args[0];
var hub = args[1];
var crashPoint = args.Length > 3 ? args[2] : null;
var crashAt = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 0;
var reached = 0;

var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton(new BlobServiceClient(storage));
builder.Services.AddSingleton(new QueueServiceClient(storage));
builder.Services.AddEmbeddedDurableRuntime(Toys.Register);
builder.Services.Configure<DurableOptions>(options =>
{
    options.HubName = hub;
    options.MaxPollInterval = TimeSpan.FromMilliseconds(100);
    options.ControlVisibility = TimeSpan.FromSeconds(5);
    options.ActivityVisibility = TimeSpan.FromSeconds(5);
    options.StepHook = step =>
    {
        if (step == crashPoint && Interlocked.Increment(ref reached) == crashAt)
        {
            Console.WriteLine($"crashing at {step} #{crashAt}");
            Console.Out.Flush();
            System.Diagnostics.Process.GetCurrentProcess().Kill();
        }
    };
});
await builder.Build().RunAsync();
