using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VaceFunctions.Functions.Tests;

/// <summary>What the Functions app's registrations take from its settings, and refuse at start.</summary>
public sealed class ServiceCollectionExtensionsTests
{
    [Theory]
    [InlineData("Vace:Inbox:MediaUrlLifetime")]
    [InlineData("Vace:Http:OutputUrlLifetime")]
    public void UrlLifetimes_BeyondWhatAUserDelegationKeyCovers_AreRefusedAtStart(string setting)
    {
        // A user delegation key lives at most 7 days: a longer SAS could not be signed with it.
        using var refused = Services((setting, "7.00:00:00"));
        using var accepted = Services((setting, "6.00:00:00"));

        var error = Assert.Throws<OptionsValidationException>(() => refused.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(setting.Split(':')[^1], error.Message, StringComparison.Ordinal);
        accepted.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public void StorageClients_UseTheConfiguredServiceUris_BeforeThePublicCloudsNames()
    {
        var (blobs, queues) = ServiceCollectionExtensions.StorageClients(Configuration(
            ("AzureWebJobsStorage:accountName", "vacestore"),
            ("AzureWebJobsStorage:blobServiceUri", "https://vacestore.blob.core.chinacloudapi.cn/"),
            ("AzureWebJobsStorage:queueServiceUri", "https://queues.vace.example/")));

        Assert.Equal(new Uri("https://vacestore.blob.core.chinacloudapi.cn/"), blobs.Uri);
        Assert.Equal(new Uri("https://queues.vace.example/"), queues.Uri);
    }

    [Fact]
    public void StorageClients_WithOnlyAnAccountName_UseThePublicCloudsNames()
    {
        var (blobs, queues) = ServiceCollectionExtensions.StorageClients(Configuration(("AzureWebJobsStorage:accountName", "vacestore")));

        Assert.Equal(new Uri("https://vacestore.blob.core.windows.net/"), blobs.Uri);
        Assert.Equal(new Uri("https://vacestore.queue.core.windows.net/"), queues.Uri);
    }

    [Fact]
    public void LogEventIds_OfTheFunctionsApp_AreItsOwn()
    {
        // 6500-6599: the Functions app's triggers; the local host's intake and HTTP keep 6000-6299, so an id names
        // one message whichever host logged it.
        var functions = EventIds(typeof(ServiceCollectionExtensions).Assembly);
        var local = EventIds(typeof(Local.Intake.StartJobFromQueue).Assembly);

        Assert.NotEmpty(functions);
        Assert.All(functions, id => Assert.InRange(id, 6500, 6599));
        Assert.Empty(functions.Intersect(local));
    }

    private static int[] EventIds(Assembly assembly) => [.. assembly.GetTypes()
        .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
        .Select(m => m.GetCustomAttribute<LoggerMessageAttribute>())
        .OfType<LoggerMessageAttribute>()
        .Select(a => a.EventId)];

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();

    private static ServiceProvider Services(params (string Key, string Value)[] settings)
    {
        var configuration = Configuration([("AzureWebJobsStorage", "UseDevelopmentStorage=true"), .. settings]);
        var services = new ServiceCollection().AddSingleton(configuration).AddLogging();
        services.AddVaceFunctions(configuration);
        return services.BuildServiceProvider();
    }
}
