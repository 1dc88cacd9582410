using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using VaceFunctions.Functions;

// The Azure host: Durable Functions runs the VACE orchestrator and activities; the queue, blob and HTTP triggers
// feed the same intake as the embedded host.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddVaceFunctions(builder.Configuration);
await builder.Build().RunAsync();
