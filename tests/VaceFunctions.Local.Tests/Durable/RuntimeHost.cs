using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VaceFunctions.Local.Durable;
using VaceFunctions.Local.TestHost;

namespace VaceFunctions.Local.Tests.Durable;

/// <summary>An in-process host of the embedded runtime on Azurite, with the toy orchestrations, on its own hub.</summary>
internal sealed class RuntimeHost : IAsyncDisposable
{
    private readonly IHost _host;

    private RuntimeHost(IHost host, string hub, string storage)
    {
        _host = host;
        Hub = hub;
        Storage = storage;
    }

    public string Hub { get; }

    public string Storage { get; }

    public DurableClient Client => _host.Services.GetRequiredService<DurableClient>();

    public BlobServiceClient Blobs => _host.Services.GetRequiredService<BlobServiceClient>();

    public static async Task<RuntimeHost> StartAsync(
        Action<DurableOptions>? configure = null, string? hub = null, bool runWorker = true, Action<DurableRegistry>? register = null)
    {
        var storage = (await Azurite.GetAsync()).ConnectionString;
        hub ??= Azurite.UniqueName("h");
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(new BlobServiceClient(storage));
        builder.Services.AddSingleton(new QueueServiceClient(storage));
        builder.Services.AddEmbeddedDurableRuntime(register ?? Toys.Register);
        builder.Services.Configure<DurableOptions>(options =>
        {
            options.HubName = hub;
            options.MaxPollInterval = TimeSpan.FromMilliseconds(100);
            configure?.Invoke(options);
        });
        if (!runWorker)
        {
            builder.Services.RemoveAll<IHostedService>();
        }

        var host = builder.Build();
        await host.StartAsync();
        return new RuntimeHost(host, hub, storage);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
